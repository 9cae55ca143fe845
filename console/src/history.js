// History: every revision, newest first; pick any two (or the draft) for a side-by-side diff;
// roll back to any revision (a new revision with its content: history only grows).

import { EditorView, lineNumbers } from "@codemirror/view";
import { EditorState } from "@codemirror/state";
import { json } from "@codemirror/lang-json";
import { syntaxHighlighting, defaultHighlightStyle } from "@codemirror/language";
import { MergeView } from "@codemirror/merge";
import { get, post } from "./api.js";
import { fill, h, time } from "./dom.js";
import { conflictView, describeRevision, dialog } from "./parts.js";
import { cspNonce } from "./csp.js";
import { jsonKeys } from "./highlight.js";

/** Indented JSON for the diff, so a one-line document still diffs line by line. */
export function pretty(text) {
  try {
    return `${JSON.stringify(JSON.parse(text), null, 2)}\n`;
  } catch {
    return text ?? "";
  }
}

function kb(bytes) {
  if (typeof bytes !== "number") return "";
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
}

export function createHistory(app) {
  const list = h("tbody");
  const table = h("table", { class: "grid history", "data-testid": "history" },
    h("caption", {}, "Revisions, newest first. Choose a left (A) and a right (B) side to compare."),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, "A"), h("th", { scope: "col" }, "B"),
      h("th", { scope: "col" }, "Revision"), h("th", { scope: "col" }, "When"), h("th", { scope: "col" }, "Who"),
      h("th", { scope: "col" }, "Message"), h("th", { scope: "col" }, "Size"), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
    list,
  );
  const diffTitle = h("h2", { id: "diff-title" }, "Differences");
  const diffLabels = h("div", { class: "diff-labels", "data-testid": "diff-labels" });
  const diffBox = h("div", { class: "diff", "data-testid": "diff", "aria-labelledby": "diff-title", role: "region" });
  const el = h("section", { class: "screen", "aria-labelledby": "history-title" },
    h("div", { class: "toolbar" },
      h("h1", { id: "history-title" }, "History"),
      h("div", { class: "toolbar-buttons" }, h("button", { type: "button", name: "refresh-history", onclick: () => enter() }, "Refresh")),
    ),
    table,
    h("section", { class: "diff-section" }, diffTitle, diffLabels, diffBox),
  );

  const documents = new Map(); // revision number → text (revisions are immutable)
  let revisions = [];
  let draft = null;
  let merge = null;
  let head = null;
  let rollbackTo = null;

  // ---- rollback -------------------------------------------------------------------------------

  const rollbackMessage = h("textarea", { id: "rollback-message", name: "message", rows: 2, required: true, maxLength: 500 });
  const rollbackWhat = h("p", { "data-testid": "rollback-what" });
  const rollbackDialog = dialog({
    id: "rollback-dialog",
    title: "Roll back",
    submitName: "rollback-confirm",
    submitLabel: "Roll back",
    body: [
      rollbackWhat,
      h("p", { class: "hint" }, "The old content becomes a new revision and goes live for every visitor; the draft is not changed."),
      h("label", { for: "rollback-message" }, "Why (for History and the audit log)"),
      rollbackMessage,
    ],
    onSubmit: () => rollback(),
  });

  function openRollback(meta) {
    rollbackTo = meta;
    fill(rollbackWhat, "Publish the content of ", describeRevision(meta), " again, as a new revision.");
    rollbackMessage.value = `Roll back to revision ${meta.number}`;
    rollbackDialog.open();
    rollbackMessage.focus();
    rollbackMessage.select();
  }

  async function rollback() {
    const result = rollbackDialog.result;
    const message = rollbackMessage.value.trim();
    if (!message) {
      fill(result, h("p", { class: "form-error", role: "alert" }, "Say why: the message goes into History."));
      return;
    }
    try {
      const { status, data } = await post("rollback", { to: rollbackTo.number, message, base: head }, { accept: [409, 422] });
      if (status === 409) {
        fill(result, conflictView(data, async () => {
          await enter();
          fill(result, h("p", { class: "hint", role: "status" }, `The list is up to date (live revision ${head}). Roll back again if it is still what you want.`));
        }, "Reload the history"));
        return;
      }
      if (status === 422) {
        fill(result, h("p", { class: "form-error", role: "alert" }, data?.error || "That revision cannot be published."));
        return;
      }
      rollbackDialog.close();
      app.screens.editor.setBase?.(data.revision.number);
      app.notify(`Rolled back: revision ${data.revision.number} has the content of revision ${rollbackTo.number}.`);
      app.refreshStatus();
      await enter();
    } catch (e) {
      fill(result, h("p", { class: "form-error", role: "alert" }, e.message));
    }
  }

  // ---- the list and the diff ------------------------------------------------------------------

  function radio(side, value, label, checked) {
    return h("input", { type: "radio", name: `diff-${side}`, value: String(value), checked, "aria-label": `${label} as side ${side.toUpperCase()}`, onchange: () => showDiff() });
  }

  function selected(side) {
    return el.querySelector(`input[name=diff-${side}]:checked`)?.value ?? null;
  }

  function render() {
    const rows = [];
    const defaultB = draft ? "draft" : revisions[0] ? String(revisions[0].number) : null;
    const defaultA = draft ? (revisions[0] ? String(revisions[0].number) : null) : revisions[1] ? String(revisions[1].number) : defaultB;
    const keepA = selected("a");
    const keepB = selected("b");
    const wantA = keepA ?? defaultA;
    const wantB = keepB ?? defaultB;
    if (draft) {
      rows.push(h("tr", { "data-revision": "draft", class: "draft-row" },
        h("td", {}, radio("a", "draft", "The draft", wantA === "draft")),
        h("td", {}, radio("b", "draft", "The draft", wantB === "draft")),
        h("th", { scope: "row" }, "Draft"),
        h("td", {}, time(draft.time)),
        h("td", {}, draft.author || ""),
        h("td", { class: "muted", "data-testid": "draft-same" }, draftSame()),
        h("td", {}, kb(new TextEncoder().encode(draft.document).length)),
        h("td", {}, ""),
      ));
    }
    for (const r of revisions) {
      const live = r.number === app.status?.live;
      rows.push(h("tr", { "data-revision": String(r.number), class: live ? "live-row" : "" },
        h("td", {}, radio("a", r.number, `Revision ${r.number}`, wantA === String(r.number))),
        h("td", {}, radio("b", r.number, `Revision ${r.number}`, wantB === String(r.number))),
        h("th", { scope: "row" }, `#${r.number}`, live ? h("span", { class: "pill pill-running" }, "live") : ""),
        h("td", {}, time(r.time)),
        h("td", {}, r.author || ""),
        h("td", {}, r.message || ""),
        h("td", {}, kb(r.size)),
        h("td", {}, live
          ? h("span", { class: "muted" }, "on the site")
          : h("button", { type: "button", name: "rollback", "data-revision": String(r.number), "aria-label": `Roll back to this: revision ${r.number}`, onclick: () => openRollback(r) }, "Roll back to this")),
      ));
    }
    fill(list, rows.length ? rows : h("tr", {}, h("td", { colspan: 8, class: "muted" }, "Nothing has been published yet.")));
  }

  function draftSame() {
    const match = revisions.find((r) => documents.get(r.number) === draft.document);
    if (match && match.number === revisions[0]?.number) return "not changed since the live revision";
    return match ? `the same as revision ${match.number}, not published` : "not published";
  }

  async function textOf(which) {
    if (which === "draft") return draft?.document ?? "";
    const n = Number(which);
    if (!documents.has(n)) {
      const { data } = await get(`revisions/${n}`);
      documents.set(n, data.document);
    }
    return documents.get(n);
  }

  function label(which) {
    if (which === "draft") return "Draft";
    const meta = revisions.find((r) => String(r.number) === which);
    return meta ? describeRevision(meta) : `revision ${which}`;
  }

  let diffSeq = 0;
  async function showDiff() {
    const a = selected("a");
    const b = selected("b");
    const seq = ++diffSeq;
    if (!a || !b) {
      merge?.destroy();
      merge = null;
      fill(diffLabels);
      fill(diffBox, h("p", { class: "muted" }, "Choose two revisions to compare."));
      return;
    }
    let docA;
    let docB;
    try {
      [docA, docB] = await Promise.all([textOf(a), textOf(b)]);
    } catch (e) {
      app.fail(e);
      return;
    }
    if (seq !== diffSeq) return;
    diffBox.dataset.a = a;
    diffBox.dataset.b = b;
    fill(diffLabels,
      h("div", { class: "side side-a", "data-testid": "diff-a" }, "A: ", label(a)),
      h("div", { class: "side side-b", "data-testid": "diff-b" }, "B: ", label(b)),
    );
    merge?.destroy();
    const readOnly = [lineNumbers(), json(), jsonKeys, syntaxHighlighting(defaultHighlightStyle), EditorState.readOnly.of(true), EditorView.editable.of(false), EditorView.lineWrapping, cspNonce];
    fill(diffBox);
    const pa = pretty(docA);
    const pb = pretty(docB);
    if (pa === pb) diffBox.append(h("p", { class: "muted", "data-testid": "diff-same" }, "These two have the same content."));
    merge = new MergeView({
      a: { doc: pa, extensions: [...readOnly, EditorView.contentAttributes.of({ "aria-label": "Side A" })] },
      b: { doc: pb, extensions: [...readOnly, EditorView.contentAttributes.of({ "aria-label": "Side B" })] },
      parent: diffBox,
      highlightChanges: true,
      gutter: true,
      collapseUnchanged: { margin: 3, minSize: 6 },
    });
    // The two sides are read-only (not focusable): the scrolling box takes the focus instead,
    // so the diff scrolls with the keyboard.
    merge.dom.tabIndex = 0;
    merge.dom.setAttribute("role", "region");
    merge.dom.setAttribute("aria-label", "Differences: side A on the left, side B on the right");
  }

  async function enter() {
    const [list, d] = await Promise.all([get("revisions"), get("draft", { accept: [404] })]);
    revisions = Array.isArray(list.data?.revisions) ? list.data.revisions : [];
    head = revisions[0]?.number ?? null;
    draft = d.status === 404 ? null : d.data;
    if (draft && head !== null) await textOf(String(head)).catch(() => null);
    render();
    await showDiff();
  }

  return { title: "History", el, enter };
}
