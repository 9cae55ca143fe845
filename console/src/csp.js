// CodeMirror injects its styles as <style> elements; under a Content-Security-Policy without
// 'unsafe-inline' for styles they need the page's nonce, which the worker may put in
// <meta name="veneer-csp-nonce" content="...">.

import { EditorView } from "@codemirror/view";

const nonce = document.querySelector('meta[name="veneer-csp-nonce"]')?.getAttribute("content") || "";

export const cspNonce = nonce ? [EditorView.cspNonce.of(nonce)] : [];
