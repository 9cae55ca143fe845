// The visual editor (#/visual): a page of the shop in a frame, same origin, served by the edge
// as a preview of the draft; hover highlights an element (an overlay the console draws over the
// frame, the page is not changed), a click selects it, with its parent, children and siblings
// a click away. A selector is proposed (selector.js), counted on the page and checked by the
// edge's validator; each change becomes an action in the draft (a new rule, a rule, or an
// experiment's variation), the draft is saved, and the frame reloads through the edge.

import { get, post, put } from "./api.js";
import { fill, h } from "./dom.js";
import { describeElement, proposeSelector } from "./selector.js";
import { REMOVING, STYLE_PROPERTIES, VISUAL_ACTIONS, actionsOnPage, addAction, buildAction, freshRuleId, operationOf, proposePages, targets } from "./draft-model.js";

const BADGE_ID = "veneer-preview-badge";

/** The draft's text, or the live document's, or an empty document. */
export async function loadDraftText() {
  const draft = await get("draft", { accept: [404] });
  if (draft.status !== 404) return draft.data.document;
  const live = await get("live");
  return live.data.document || '{\n  "rules": []\n}';
}

/** Saves `text` as the draft; answers the problems (422: saved with problems). */
export async function saveDraftText(text) {
  const { data } = await put("draft", { document: text }, { accept: [422] });
  return data?.problems || [];
}

export function createVisual(app) {
  let doc = null; // the draft, parsed
  let docText = "";
  let token = null; // {token, expires}
  let frameDoc = null;
  let selected = null; // an element of the frame
  let clickedAt = 0; // performance.now() of the last Apply, for the timing figure
  const undoStack = [];
  const redoStack = [];
  let pending = {}; // {target, open}: set by aim() for the next enter()

  // ---- controls ----
  const urlInput = h("input", { id: "visual-url", type: "text", value: "/", "aria-describedby": "visual-url-hint", spellcheck: false });
  const openButton = h("button", { type: "submit", name: "visual-open" }, "Open");
  const frame = h("iframe", { id: "visual-frame", "data-testid": "visual-frame", title: "The page, as the edge serves it with the draft" });
  const hoverBox = h("div", { class: "visual-box visual-hover", "data-testid": "visual-hover", hidden: true });
  const selectBox = h("div", { class: "visual-box visual-selected", "data-testid": "visual-selected", hidden: true });
  const stage = h("div", { class: "visual-stage" }, frame, hoverBox, selectBox);

  const crumbs = h("ol", { class: "crumbs", "data-testid": "visual-breadcrumb", "aria-label": "The selected element and its parents" });
  const nav = (name, label, pick) => h("button", { type: "button", name, onclick: () => { const next = selected && pick(selected); if (next) select(next); } }, label);
  const arrows = h("div", { class: "arrows" },
    nav("select-parent", "↑ Parent", (e) => (e.parentElement && e.parentElement.tagName !== "HTML" ? e.parentElement : null)),
    nav("select-child", "↓ First child", (e) => e.firstElementChild),
    nav("select-prev", "← Previous", (e) => e.previousElementSibling),
    nav("select-next", "→ Next", (e) => e.nextElementSibling),
  );
  const selectorInput = h("input", { id: "visual-selector", type: "text", spellcheck: false, oninput: () => checkSelector() });
  const matchCount = h("p", { "data-testid": "visual-match-count", class: "hint", "aria-live": "polite" });
  const validator = h("p", { "data-testid": "visual-validator", "aria-live": "polite" });

  const actionSelect = h("select", { id: "visual-action", onchange: () => showFields() }, VISUAL_ACTIONS.map(([v, l]) => h("option", { value: v }, l)));
  const field = (id, label, input) => h("div", { class: "field", "data-field": id }, h("label", { for: `visual-${id}` }, label), input);
  const inputs = {
    text: h("textarea", { id: "visual-text", rows: 2 }),
    html: h("textarea", { id: "visual-html", rows: 3, spellcheck: false }),
    src: h("input", { id: "visual-src", type: "text", spellcheck: false }),
    alt: h("input", { id: "visual-alt", type: "text" }),
    href: h("input", { id: "visual-href", type: "text", spellcheck: false }),
    classes: h("input", { id: "visual-classes", type: "text", spellcheck: false }),
    property: h("select", { id: "visual-property" }, STYLE_PROPERTIES.map((p) => h("option", { value: p }, p))),
    value: h("input", { id: "visual-value", type: "text", spellcheck: false }),
  };
  const fields = {
    text: field("text", "Text", inputs.text),
    html: field("html", "HTML", inputs.html),
    src: field("src", "Image URL (src)", inputs.src),
    alt: field("alt", "Alternative text (alt)", inputs.alt),
    href: field("href", "Link (href)", inputs.href),
    classes: field("classes", "Classes (separated by spaces)", inputs.classes),
    property: field("property", "Style property", inputs.property),
    value: field("value", "Value", inputs.value),
  };
  const FIELDS_OF = {
    set_text: ["text"], set_html: ["html"], image: ["src", "alt"], link: ["href"], remove: [], badge: ["text"],
    insert_before: ["text", "href"], insert_after: ["text", "href"], add_class: ["classes"], remove_class: ["classes"], set_style: ["property", "value"],
  };

  const targetSelect = h("select", { id: "visual-target", onchange: () => { showTarget(); if (frame.getAttribute("src")) openPage({ keepSelection: true }); } });
  const ruleIdInput = h("input", { id: "visual-rule-id", type: "text", spellcheck: false });
  const pagesInput = h("input", { id: "visual-pages", type: "text", spellcheck: false, "aria-describedby": "visual-pages-hint" });
  const pagesHint = h("p", { id: "visual-pages-hint", class: "hint" });
  const newRuleFields = h("div", { "data-testid": "visual-new-rule" },
    h("label", { for: "visual-rule-id" }, "New rule's id"), ruleIdInput,
    h("label", { for: "visual-pages" }, "Pages (patterns, separated by commas)"), pagesInput, pagesHint);
  const warning = h("div", { class: "warning", "data-testid": "visual-warning", role: "alert", hidden: true });
  const applyButton = h("button", { type: "button", name: "visual-apply", class: "primary", onclick: () => apply(false) }, "Apply to the draft");
  const undoButton = h("button", { type: "button", name: "visual-undo", disabled: true, onclick: () => undo() }, "Undo");
  const redoButton = h("button", { type: "button", name: "visual-redo", disabled: true, onclick: () => redo() }, "Redo");
  const timing = h("span", { "data-testid": "visual-timing", class: "hint" });
  const changes = h("ul", { class: "changes", "data-testid": "visual-changes" });

  const selection = h("div", { class: "visual-selection", "data-testid": "visual-selection", hidden: true },
    h("h2", {}, "Selected element"), crumbs, arrows,
    h("label", { for: "visual-selector" }, "Selector"), selectorInput, matchCount, validator,
    h("h2", {}, "Change it"),
    h("label", { for: "visual-action" }, "Change"), actionSelect,
    Object.values(fields),
    h("label", { for: "visual-target" }, "Where the change goes"), targetSelect, newRuleFields,
    warning,
    h("p", { class: "buttons" }, applyButton),
  );
  const findInput = h("input", { id: "visual-find", type: "text", spellcheck: false, placeholder: ".hero h1" });
  const findError = h("p", { class: "form-error", "data-testid": "visual-find-error", "aria-live": "polite" });
  const findForm = h("form", { class: "visual-find", onsubmit: (event) => { event.preventDefault(); find(); } },
    h("label", { for: "visual-find" }, "Or select by a CSS selector"), findInput,
    h("button", { type: "submit", name: "visual-find" }, "Select"), findError);
  const empty = h("p", { class: "hint", "data-testid": "visual-empty" }, "Point at an element of the page to highlight it; click it to select it.");

  /** Keyboard users (and anyone who knows the selector): the first element it matches. */
  function find() {
    fill(findError);
    let e = null;
    try {
      e = frameDoc?.querySelector(findInput.value.trim()) || null;
    } catch {
      return fill(findError, "The browser cannot read this selector.");
    }
    if (!e) return fill(findError, "Nothing on this page matches it.");
    select(e);
    selectorInput.focus();
  }

  const el = h("section", { class: "screen visual", "aria-labelledby": "visual-title" },
    h("div", { class: "toolbar" },
      h("h1", { id: "visual-title" }, "Visual editor"),
      h("form", { class: "visual-open", onsubmit: (e) => { e.preventDefault(); openPage(); } },
        h("label", { for: "visual-url" }, "Page"), urlInput, openButton),
      h("div", { class: "toolbar-buttons" }, undoButton, redoButton, timing),
    ),
    h("p", { id: "visual-url-hint", class: "hint" }, "A path of the shop (/, /c/shoes, /p/…). The frame shows it as the edge serves it with the draft (a preview: visitors still get the live rules)."),
    h("div", { class: "visual-layout" },
      stage,
      h("aside", { class: "visual-panel" }, empty, findForm, selection,
        h("h2", {}, "Changes on this page"), changes),
    ),
  );

  // ---- the frame ----

  async function previewToken() {
    if (token && token.expires - Date.now() > 60_000) return token.token;
    const { data } = await post("preview-token", { ttl: "1h" });
    token = { token: data.token, expires: new Date(data.expires_at).getTime() };
    return token.token;
  }

  function currentPath() {
    let path = urlInput.value.trim() || "/";
    try {
      path = new URL(path, location.origin).pathname;
    } catch {
      path = "/";
    }
    return path;
  }

  async function openPage({ keepSelection = false } = {}) {
    el.dataset.loading = "true";
    const raw = urlInput.value.trim() || "/";
    const url = new URL(raw, location.origin);
    if (url.origin !== location.origin) {
      el.dataset.loading = "false";
      app.fail("The visual editor opens pages of this site only: give a path like /c/shoes.");
      return;
    }
    // Editing a variation: the frame shows that variation (a preview may force one).
    const aimed = targets(doc || {}).find((t) => t.key === targetSelect.value);
    if (aimed?.kind === "variation") url.searchParams.set("veneer_force", `${aimed.experiment}:${aimed.variation}`);
    try {
      url.searchParams.set("veneer_preview", await previewToken());
    } catch (e) {
      el.dataset.loading = "false";
      app.fail(e); // previews off (no VENEER_SECRET): the API says what to set
      return;
    }
    const keep = keepSelection && selectorInput.value ? selectorInput.value : null;
    if (!keepSelection) deselect();
    await new Promise((resolve) => {
      frame.addEventListener("load", resolve, { once: true });
      frame.src = url.pathname + url.search;
    });
    attach(keep);
  }

  function attach(keepSelector) {
    el.dataset.loading = "false";
    try {
      frameDoc = frame.contentDocument;
    } catch {
      frameDoc = null;
    }
    if (!frameDoc) return;
    const win = frame.contentWindow;
    // The page may have moved on by itself (a redirect): the URL box and page patterns follow.
    const shown = new URL(win.location.href);
    shown.searchParams.delete("veneer_preview");
    shown.searchParams.delete("veneer_force");
    const path = shown.pathname + shown.search;
    if (path !== urlInput.value.trim()) {
      urlInput.value = path;
      showTarget();
    }
    const real = (target) => {
      const e = target?.nodeType === 1 ? target : target?.parentElement;
      if (!e || e.closest(`#${BADGE_ID}`)) return null;
      return e;
    };
    frameDoc.addEventListener("mouseover", (event) => {
      const e = real(event.target);
      if (e) box(hoverBox, e);
    });
    frameDoc.addEventListener("mouseleave", () => { hoverBox.hidden = true; });
    // Clicks select; links and forms do not navigate while editing (the URL box does).
    frameDoc.addEventListener("click", (event) => {
      const e = real(event.target);
      if (!e) return;
      event.preventDefault();
      event.stopPropagation();
      select(e);
    }, true);
    frameDoc.addEventListener("submit", (event) => event.preventDefault(), true);
    win.addEventListener("scroll", () => { if (selected) box(selectBox, selected); hoverBox.hidden = true; });
    win.addEventListener("resize", () => { if (selected) box(selectBox, selected); });
    if (clickedAt) {
      const ms = Math.round(performance.now() - clickedAt);
      clickedAt = 0;
      fill(timing, `Shown in the frame ${ms} ms after Apply`);
      timing.dataset.ms = String(ms);
    }
    if (keepSelector) {
      let again = null;
      try {
        again = frameDoc.querySelector(keepSelector);
      } catch {
        again = null;
      }
      if (again) select(again, { keepSelector: true });
      else deselect();
    }
    renderChanges();
  }

  function box(b, e) {
    const r = e.getBoundingClientRect();
    b.hidden = false;
    b.style.left = `${r.left}px`;
    b.style.top = `${r.top}px`;
    b.style.width = `${r.width}px`;
    b.style.height = `${r.height}px`;
  }

  function deselect() {
    selected = null;
    selectBox.hidden = true;
    selection.hidden = true;
    empty.hidden = false;
  }

  function select(e, { keepSelector = false } = {}) {
    selected = e;
    box(selectBox, e);
    selection.hidden = false;
    empty.hidden = true;
    const chain = [];
    for (let a = e; a && a.tagName !== "HTML"; a = a.parentElement) chain.unshift(a);
    fill(crumbs, chain.map((a) => h("li", {}, h("button", { type: "button", class: "link", "aria-current": a === e ? "true" : null, onclick: () => select(a) }, describeElement(a)))));
    if (!keepSelector) {
      const proposal = proposeSelector(e, frameDoc);
      selectorInput.value = proposal ? proposal.selector : "";
      prefill(e);
    }
    checkSelector();
  }

  /** The fields start from what the element has now. */
  function prefill(e) {
    inputs.text.value = e.textContent.trim().replace(/\s+/g, " ");
    inputs.html.value = e.innerHTML.trim();
    const img = e.tagName === "IMG" ? e : e.querySelector("img");
    inputs.src.value = img?.getAttribute("src") || "";
    inputs.alt.value = img?.getAttribute("alt") || "";
    const link = e.closest("a") || e.querySelector("a");
    inputs.href.value = link?.getAttribute("href") || "";
    if (e.tagName === "IMG") actionSelect.value = "image";
    showFields();
  }

  function showFields() {
    const wanted = FIELDS_OF[actionSelect.value] || [];
    for (const [name, f] of Object.entries(fields)) f.hidden = !wanted.includes(name);
    if (actionSelect.value === "badge" && inputs.text.value.length > 30) inputs.text.value = "New";
  }

  // ---- selector checks ----

  function countOnPage(selector) {
    if (!frameDoc || !selector) return null;
    try {
      return [...frameDoc.querySelectorAll(selector)].filter((e) => !e.closest(`#${BADGE_ID}`)).length;
    } catch {
      return null;
    }
  }

  let checkSeq = 0;
  async function checkSelector() {
    const selector = selectorInput.value.trim();
    const n = countOnPage(selector);
    fill(matchCount, n === null ? "The browser cannot read this selector." : `Matches ${n} element${n === 1 ? "" : "s"} on this page.`);
    matchCount.dataset.count = n === null ? "" : String(n);
    const seq = ++checkSeq;
    if (!selector || !doc) return;
    // The edge's validator, on the draft with this selector in a probe action.
    const probe = addAction(doc, { kind: "new", id: freshRuleId(doc, "selector-check"), pages: ["/"] }, { select: selector, add_class: "veneer-check" });
    fill(validator, "Checking with the edge…");
    validator.dataset.state = "checking";
    try {
      const { data } = await post("validate", { document: JSON.stringify(probe.doc) });
      if (seq !== checkSeq) return;
      const mine = (data.problems || []).filter((p) => (p.pointer || "").startsWith(probe.pointer));
      validator.dataset.state = mine.length ? "refused" : "ok";
      fill(validator, mine.length ? mine.map((p) => p.message).join(" ") : "The edge accepts this selector (it works while the page streams).");
      validator.className = mine.length ? "form-error" : "hint";
    } catch (e) {
      if (seq === checkSeq) fill(validator, `Could not check: ${e.message}`);
    }
  }

  // ---- where changes go ----

  function fillTargets(keep) {
    const list = targets(doc || {});
    fill(targetSelect,
      h("option", { value: "new" }, "A new rule"),
      list.map((t) => h("option", { value: t.key }, t.label + (t.running ? " (running)" : ""))));
    if (keep && [...targetSelect.options].some((o) => o.value === keep)) targetSelect.value = keep;
    showTarget();
  }

  function showTarget() {
    newRuleFields.hidden = targetSelect.value !== "new";
    if (!ruleIdInput.value || !ruleIdInput.dataset.touched) {
      const path = currentPath();
      ruleIdInput.value = freshRuleId(doc || {}, `visual-${path === "/" ? "home" : path.split("/").filter(Boolean).join("-")}`);
    }
    const proposed = proposePages(currentPath());
    if (!pagesInput.dataset.touched) pagesInput.value = proposed[0];
    fill(pagesHint, "Proposed from this page: ", proposed.map((p, i) => [i ? ", " : "", h("button", { type: "button", class: "link", onclick: () => { pagesInput.value = p; pagesInput.dataset.touched = "1"; } }, p)]));
  }
  ruleIdInput.addEventListener("input", () => { ruleIdInput.dataset.touched = "1"; });
  pagesInput.addEventListener("input", () => { pagesInput.dataset.touched = "1"; });

  function target() {
    const key = targetSelect.value;
    if (key === "new") {
      const pages = pagesInput.value.split(",").map((p) => p.trim()).filter(Boolean);
      return { kind: "new", id: ruleIdInput.value.trim(), pages, description: "Made in the visual editor" };
    }
    return targets(doc).find((t) => t.key === key);
  }

  // ---- changes ----

  function showWarning(text, confirmLabel) {
    fill(warning, h("p", {}, text), confirmLabel ? h("button", { type: "button", name: "visual-confirm", onclick: () => apply(true) }, confirmLabel) : null);
    warning.hidden = false;
  }

  async function apply(confirmed) {
    if (!selected && !selectorInput.value.trim()) return;
    warning.hidden = true;
    const selector = selectorInput.value.trim();
    const kind = actionSelect.value;
    const values = Object.fromEntries(Object.entries(inputs).map(([k, i]) => [k, i.value]));
    const where = target();
    if (!where || (where.kind === "new" && !where.id)) return showWarning("Give the new rule an id.");
    const count = countOnPage(selector);
    if (!confirmed && where.kind === "variation" && where.running) {
      return showWarning(`Experiment ${where.experiment} is running: visitors in variation ${where.variation} get this change as soon as it is published, and results mix the old and the new version.`, "Change the running experiment");
    }
    if (!confirmed && count === 0) {
      return showWarning("This selector matches nothing on this page: the change would do nothing here.", "Add it anyway");
    }
    const action = buildAction(kind, selector, values);
    const { doc: next, pointer } = addAction(doc, where, action);
    const text = JSON.stringify(next, null, 2);
    applyButton.disabled = true;
    clickedAt = performance.now();
    try {
      const { data } = await post("validate", { document: text });
      const mine = (data.problems || []).filter((p) => (p.pointer || "").startsWith(pointer) || p.pointer === "");
      if (mine.length) {
        clickedAt = 0;
        return showWarning(`The edge refuses this change: ${mine.map((p) => `${p.path}: ${p.message}`).join(" ")}`);
      }
      undoStack.push(docText);
      redoStack.length = 0;
      await commit(text);
      if (where.kind === "new") fillTargets(`rule:${where.id}`);
      ruleIdInput.dataset.touched = "";
      app.notify(`Draft saved: ${operationOf(action)} on ${selector}.`);
    } catch (e) {
      clickedAt = 0;
      app.fail(e);
    } finally {
      applyButton.disabled = false;
    }
  }

  async function commit(text) {
    const problems = await saveDraftText(text);
    docText = text;
    doc = JSON.parse(text);
    undoButton.disabled = !undoStack.length;
    redoButton.disabled = !redoStack.length;
    el.dataset.problems = String(problems.length);
    fillTargets(targetSelect.value);
    await openPage({ keepSelection: true });
  }

  async function undo() {
    if (!undoStack.length) return;
    redoStack.push(docText);
    try {
      await commit(undoStack.pop());
      app.notify("Undone: the draft is back as it was.");
    } catch (e) {
      app.fail(e);
    }
  }

  async function redo() {
    if (!redoStack.length) return;
    undoStack.push(docText);
    try {
      await commit(redoStack.pop());
      app.notify("Redone.");
    } catch (e) {
      app.fail(e);
    }
  }

  function renderChanges() {
    const list = doc ? actionsOnPage(doc, currentPath()) : [];
    if (!list.length) return fill(changes, h("li", { class: "muted" }, "The draft changes nothing on this page."));
    fill(changes, list.map((c) => {
      const op = operationOf(c.action);
      const n = countOnPage(c.action.select);
      const nothing = n === 0 && !REMOVING.has(op);
      return h("li", { "data-testid": "visual-change", "data-pointer": c.pointer, "data-selector": c.action.select, "data-op": op },
        h("button", { type: "button", class: "link", onclick: () => { const e = n ? frameDoc.querySelector(c.action.select) : null; if (e) select(e); }, title: "Select the element it changes" }, h("code", {}, c.action.select)),
        ` ${op} · ${c.where}`,
        c.running ? h("span", { class: "pill pill-running" }, " running") : null,
        nothing ? h("span", { class: "form-error", "data-testid": "visual-matches-nothing" }, " matches nothing on this page") : null);
    }));
  }

  return {
    title: "Visual editor",
    el,
    async enter() {
      // Unsaved JSON edits would be lost (or would overwrite these changes on their save).
      if (app.screens.editor?.dirty?.()) {
        app.fail("The Editor has unsaved changes: save them there first, then come back to the visual editor.");
        return;
      }
      docText = await loadDraftText();
      try {
        doc = JSON.parse(docText);
      } catch {
        doc = null;
        app.fail("The draft is not valid JSON: fix it in the Editor first.");
        return;
      }
      fillTargets(pending.target || targetSelect.value);
      const reopen = pending.open || !frame.getAttribute("src");
      pending = {};
      if (reopen) await openPage();
      else renderChanges();
    },
    /** For the forms: open the editor on `path`, aimed at a variation (`variation:<exp>:<var>`). */
    aim(key, path) {
      pending = { target: key, open: true };
      el.dataset.loading = "true";
      if (path) urlInput.value = path;
      app.navigate("visual");
    },
  };
}

