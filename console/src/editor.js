// The draft editor: CodeMirror with JSON, completion and hover from the rules schema, the edge
// validator's problems inline (debounced POST api/validate) and listed below; save, preview on
// the site, publish.

import { EditorView, basicSetup } from "codemirror";
import { EditorState, Prec } from "@codemirror/state";
import { keymap } from "@codemirror/view";
import { json, jsonLanguage } from "@codemirror/lang-json";
import { ensureSyntaxTree, syntaxTree } from "@codemirror/language";
import { linter, lintGutter, setDiagnostics, forceLinting } from "@codemirror/lint";
import schema from "../../schema/rules.schema.json";
import { get, post, put } from "./api.js";
import { fill, h, time } from "./dom.js";
import { problemRange } from "./pointer.js";
import { schemaCompletionSource, schemaHover } from "./schema-assist.js";
import { conflictView, dialog, problemItems } from "./parts.js";
import { cspNonce } from "./csp.js";
import { jsonKeys } from "./highlight.js";
import { experimentAt } from "./ship.js";
import { resultsHref } from "./results-format.js";

const VALIDATE_DELAY_MS = 500;

/** Diagnostics for the problems the API found in this exact text. */
export function toDiagnostics(state, problems) {
  const tree = ensureSyntaxTree(state, state.doc.length, 500) || syntaxTree(state);
  const text = state.doc.toString();
  return problems.map((p) => {
    const range = problemRange(tree, text, p);
    const where = p.path && p.path !== "$" ? `${p.path}: ` : "";
    const note = range.exact ? "" : " (that spot is not in the text; shown where it would be)";
    return { from: range.from, to: range.to, severity: "error", source: "Veneer", message: `${where}${p.message}${note}`, problem: p };
  });
}

export function createEditorScreen(app) {
  let view = null;
  let savedText = null; // the text the server holds as the draft, else the live text it started from
  let loaded = false;
  let busy = false;
  let lastProblems = [];
  let lastDiagnostics = [];

  const title = h("h1", { id: "editor-title" }, "Draft");
  const draftState = h("span", { class: "draft-state", "data-testid": "draft-state" });
  const baseLabel = h("span", { class: "base", "data-testid": "base-revision" });
  // Inside an experiment, a link to its results.
  const resultsLink = h("a", { class: "results-link", "data-testid": "editor-results-link", hidden: true });
  const saveButton = h("button", { type: "button", name: "save", class: "primary", title: "Save the draft (Ctrl+S / ⌘S)", onclick: () => save() }, "Save draft");
  const formatButton = h("button", { type: "button", name: "format", title: "Indent the document (only when it is valid JSON)", onclick: () => format() }, "Format");
  const previewButton = h("button", { type: "button", name: "preview", title: "Open the live site with this draft, in a new tab", onclick: () => preview() }, "Preview on the site");
  const publishButton = h("button", { type: "button", name: "publish", onclick: () => openPublish() }, "Publish…");
  const previewLink = h("p", { class: "preview-link", "data-testid": "preview-link", hidden: true });
  const editorEl = h("div", { class: "editor", "data-testid": "editor" });
  const problemsState = h("p", { class: "problems-state", "data-testid": "problems-state", "aria-live": "polite" }, "");
  const problemsList = h("ul", { class: "problems", "data-testid": "problems", "aria-labelledby": "problems-title" });

  const el = h("section", { class: "screen screen-editor", "aria-labelledby": "editor-title" },
    h("div", { class: "toolbar" },
      title,
      h("div", { class: "toolbar-state" }, draftState, baseLabel, resultsLink),
      h("div", { class: "toolbar-buttons", role: "toolbar", "aria-label": "Draft" }, saveButton, formatButton, previewButton, publishButton),
    ),
    previewLink,
    editorEl,
    h("section", { class: "problems-box", "aria-labelledby": "problems-title" },
      h("h2", { id: "problems-title" }, "Problems"),
      problemsState,
      problemsList,
    ),
  );

  // ---- problems -------------------------------------------------------------------------------

  function renderProblems(problems, diagnostics, { checking = false, error = null } = {}) {
    lastProblems = problems;
    lastDiagnostics = diagnostics;
    el.dataset.problems = String(problems.length);
    if (error) {
      fill(problemsState, `Could not check the draft: ${error}`);
      problemsState.className = "problems-state problems-error";
      return;
    }
    if (checking) {
      fill(problemsState, "Checking…");
      problemsState.className = "problems-state";
      return;
    }
    problemsState.className = problems.length ? "problems-state problems-some" : "problems-state problems-none";
    fill(problemsState, problems.length
      ? `${problems.length} problem${problems.length === 1 ? "" : "s"}: on the site the rules they are in would be skipped, so the draft cannot be published until they are fixed.`
      : "No problems: the edge accepts this document.");
    fill(problemsList, problemItems(problems, (p, i) => reveal(i)));
  }

  function reveal(i) {
    const d = lastDiagnostics[i];
    if (!d || !view) return;
    const to = Math.min(d.to, view.state.doc.length);
    const from = Math.min(d.from, to);
    view.dispatch({ selection: { anchor: from, head: to }, effects: EditorView.scrollIntoView(from, { y: "center" }) });
    view.focus();
  }

  async function validateSource(v) {
    const doc = v.state.doc;
    renderProblems(lastProblems, lastDiagnostics, { checking: true });
    let problems;
    try {
      const { data } = await post("validate", { document: doc.toString() });
      problems = Array.isArray(data?.problems) ? data.problems : [];
    } catch (e) {
      if (v.state.doc === doc) renderProblems(lastProblems, lastDiagnostics, { error: e.message });
      return lastDiagnostics;
    }
    const diagnostics = toDiagnostics(v.state, problems);
    if (v.state.doc === doc) renderProblems(problems, diagnostics);
    return diagnostics;
  }

  // ---- the editor -----------------------------------------------------------------------------

  function dirty() {
    return !!view && view.state.doc.toString() !== (savedText ?? "");
  }

  function renderDirty() {
    const isDirty = dirty();
    el.dataset.dirty = String(isDirty);
    if (isDirty) fill(draftState, h("span", { class: "unsaved" }, "Unsaved changes"));
  }

  function renderResultsLink(state) {
    const id = experimentAt(syntaxTree(state), state.doc.toString(), state.selection.main.head);
    resultsLink.hidden = !id;
    if (id && resultsLink.dataset.experiment !== id) {
      resultsLink.dataset.experiment = id;
      resultsLink.href = resultsHref(id);
      fill(resultsLink, "Results of ", h("code", {}, id));
    }
  }

  function createView(text) {
    view = new EditorView({
      parent: editorEl,
      state: EditorState.create({
        doc: text,
        extensions: [
          basicSetup,
          json(),
          jsonKeys,
          jsonLanguage.data.of({ autocomplete: schemaCompletionSource(schema) }),
          schemaHover(schema),
          linter(validateSource, { delay: VALIDATE_DELAY_MS }),
          lintGutter(),
          EditorView.lineWrapping,
          Prec.highest(keymap.of([{ key: "Mod-s", preventDefault: true, run: () => { save(); return true; } }])),
          // tabindex: focusable already (contenteditable), said explicitly for accessibility checkers.
          EditorView.contentAttributes.of({ "aria-label": "Rules document (JSON)", "data-testid": "editor-content", tabindex: "0" }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) renderDirty();
            if (u.docChanged || u.selectionSet) renderResultsLink(u.state);
          }),
          cspNonce,
        ],
      }),
    });
  }

  function setText(text) {
    if (!view) createView(text);
    else view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
  }

  function describeBase() {
    fill(baseLabel, app.base === null || app.base === undefined ? "Nothing published yet" : `Based on live revision ${app.base}`);
  }

  async function load() {
    const [draft, live] = await Promise.all([
      get("draft", { accept: [404] }),
      get("live", { accept: [404] }),
    ]);
    const liveDoc = live.status === 404 ? null : live.data;
    app.base = liveDoc?.revision?.number ?? null;
    describeBase();
    if (draft.status === 404) {
      const text = liveDoc?.document ?? "";
      savedText = text;
      setText(text);
      fill(draftState, "No draft yet: this is the live document. Save to start a draft.");
    } else {
      savedText = draft.data.document;
      setText(savedText);
      fill(draftState, "Saved", draft.data.author ? ` by ${draft.data.author}` : "", draft.data.time ? [", ", time(draft.data.time)] : "");
    }
    loaded = true;
    renderDirty();
    forceLinting(view);
  }

  async function save({ quiet = false } = {}) {
    if (!view || busy) return null;
    busy = true;
    saveButton.disabled = true;
    const text = view.state.doc.toString();
    try {
      const { status, data } = await put("draft", { document: text }, { accept: [422] });
      savedText = text;
      const problems = Array.isArray(data?.problems) ? data.problems : [];
      if (view.state.doc.toString() === text) {
        const diagnostics = toDiagnostics(view.state, problems);
        view.dispatch(setDiagnostics(view.state, diagnostics));
        renderProblems(problems, diagnostics);
      }
      fill(draftState, "Saved", app.me?.name ? ` by ${app.me.name}` : "", ", ", time(new Date().toISOString()));
      renderDirty();
      if (status === 422) {
        if (!quiet) app.notify(`Draft saved with ${problems.length} problem${problems.length === 1 ? "" : "s"}: fix ${problems.length === 1 ? "it" : "them"} before publishing.`, { warn: true });
      } else if (!quiet) {
        app.notify("Draft saved.");
      }
      return { ok: status === 200, problems };
    } catch (e) {
      app.fail(e);
      return null;
    } finally {
      busy = false;
      saveButton.disabled = false;
    }
  }

  function format() {
    if (!view) return;
    const text = view.state.doc.toString();
    try {
      const pretty = JSON.stringify(JSON.parse(text), null, 2) + "\n";
      if (pretty !== text) view.dispatch({ changes: { from: 0, to: text.length, insert: pretty } });
    } catch (e) {
      app.fail(`Not valid JSON yet, so it cannot be formatted: ${e.message}`);
    }
  }

  // ---- preview --------------------------------------------------------------------------------

  async function preview() {
    // Open the tab now, inside the click, so no popup blocker stops it; navigate it when ready.
    const tab = window.open("", "_blank");
    try {
      if (dirty() && !(await save({ quiet: true }))) throw new Error("The draft could not be saved, so there is nothing new to preview.");
      const { data } = await post("preview-token", { ttl: "1h" });
      fill(previewLink, "Preview: ", h("a", { href: data.url, target: "_blank", rel: "noopener" }, "open the site with the draft"),
        data.expires_at ? [" (the link works until ", time(data.expires_at), ")"] : "");
      previewLink.hidden = false;
      if (tab) {
        tab.opener = null;
        tab.location.href = data.url;
      }
      app.notify("Preview opened in a new tab.");
    } catch (e) {
      tab?.close();
      app.fail(e);
    }
  }

  // ---- publish --------------------------------------------------------------------------------

  const publishMessage = h("textarea", { id: "publish-message", name: "message", rows: 3, required: true, maxLength: 500, placeholder: "Black Friday banner, 30% off" });
  const publishBase = h("p", { class: "hint", "data-testid": "publish-base" });
  const publishDialog = dialog({
    id: "publish-dialog",
    title: "Publish the draft",
    submitName: "publish-confirm",
    submitLabel: "Publish",
    body: [
      h("p", {}, "The saved draft goes live on the site for every visitor; it becomes a new revision in History."),
      publishBase,
      h("label", { for: "publish-message" }, "What changed (for History and the audit log)"),
      publishMessage,
    ],
    onSubmit: () => publish(),
  });

  function openPublish() {
    if (!loaded) return;
    fill(publishBase, app.base === null ? "This is the first publish." : ["Based on live revision ", String(app.base), ".", dirty() ? " Your unsaved changes are saved first." : ""]);
    if (lastProblems.length) {
      fill(publishBase, publishBase.textContent, " ", h("strong", { class: "form-error" }, `The draft has ${lastProblems.length} problem${lastProblems.length === 1 ? "" : "s"} (listed under the editor): the publish will be refused until they are fixed.`));
    }
    publishDialog.open();
    publishMessage.focus();
  }

  async function publish() {
    const result = publishDialog.result;
    fill(result);
    const message = publishMessage.value.trim();
    if (!message) {
      fill(result, h("p", { class: "form-error", role: "alert" }, "Say what changed: the message goes into History."));
      return;
    }
    if (dirty()) {
      const saved = await save({ quiet: true });
      if (!saved) return;
      if (!saved.ok) return showProblems(result, saved.problems, "The draft was saved, but it has problems, so it cannot be published:");
    }
    try {
      const { status, data } = await post("publish", { message, base: app.base }, { accept: [409, 422] });
      if (status === 409) {
        fill(result, conflictView(data, () => reloadBase(data?.head)));
        return;
      }
      if (status === 422) return showProblems(result, data?.problems || [], "The draft has problems, so it cannot be published:");
      app.base = data.revision.number;
      describeBase();
      publishMessage.value = "";
      publishDialog.close();
      app.notify(`Published revision ${data.revision.number}. The site updates within about a minute.`);
      app.refreshStatus();
    } catch (e) {
      fill(result, h("p", { class: "form-error", role: "alert" }, e.message));
    }
  }

  function showProblems(result, problems, lead) {
    fill(result, h("div", { role: "alert", "data-testid": "publish-problems" },
      h("p", {}, lead),
      h("ul", { class: "problems" }, problemItems(problems)),
    ));
  }

  /** After a 409: take the new head as our base; reload the draft when we have no edits. */
  async function reloadBase(head) {
    try {
      const { status, data } = await get("live", { accept: [404] });
      app.base = status === 404 ? null : data.revision?.number ?? head?.number ?? null;
      if (!dirty()) {
        const draft = await get("draft", { accept: [404] });
        if (draft.status !== 404 && draft.data.document !== view.state.doc.toString()) {
          savedText = draft.data.document;
          setText(savedText);
        }
      }
      describeBase();
      fill(publishDialog.result, h("p", { class: "hint", role: "status" }, `Now based on live revision ${app.base}. Check what changed in History, then publish again.`));
      app.refreshStatus();
    } catch (e) {
      app.fail(e);
    }
  }

  // Ctrl/Cmd+S anywhere on this screen (inside the editor its own keymap answers first).
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "s" && !e.defaultPrevented && !el.hidden && loaded) {
      e.preventDefault();
      save();
    }
  });

  return {
    title: "Editor",
    el,
    dirty,
    async enter() {
      if (!loaded) await load();
      else if (!dirty()) {
        // Someone may have saved the draft meanwhile: take theirs when we have no edits.
        const draft = await get("draft", { accept: [404] });
        if (draft.status !== 404 && draft.data.document !== view.state.doc.toString()) {
          savedText = draft.data.document;
          setText(savedText);
        }
      }
      view?.requestMeasure();
    },
    /** For the other screens: the rollback or schedule they made moves the editor's base. */
    setBase(n) {
      app.base = n;
      describeBase();
    },
    view: () => view,
  };
}
