// Colours for JSON on top of CodeMirror's default style: keys stand apart from string values.

import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { tags } from "@lezer/highlight";

export const jsonKeys = syntaxHighlighting(HighlightStyle.define([
  { tag: tags.propertyName, color: "#1d4f91" },
]));
