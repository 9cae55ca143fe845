// The rules document as the visual editor and the forms change it: pure functions over the
// parsed JSON (no DOM, no API), so they are unit-tested in node. Every change returns a new
// document and keeps every field it does not own, in its place.

/** The element operations of docs/rules.md the visual editor writes, with a label each. */
export const VISUAL_ACTIONS = [
  ["set_text", "Edit text"],
  ["set_html", "Edit HTML"],
  ["image", "Replace the image (src, alt)"],
  ["link", "Change the link (href)"],
  ["remove", "Hide (remove from the page)"],
  ["badge", "Add a badge"],
  ["insert_before", "Insert a banner before"],
  ["insert_after", "Insert a banner after"],
  ["add_class", "Add classes"],
  ["remove_class", "Remove classes"],
  ["set_style", "Set styles"],
];

/** The style properties offered (set_style). */
export const STYLE_PROPERTIES = ["color", "background-color", "font-size", "font-weight", "display", "text-align", "border", "padding", "margin"];

/** A deep copy of a JSON value. */
export function clone(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/** HTML text with `& < > "` escaped, for values the marketer types as plain text. */
export function escapeHtml(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * The action a visual change writes: `kind` from VISUAL_ACTIONS, `v` the form's values
 * ({text, html, src, alt, href, classes, property, value}).
 */
export function buildAction(kind, select, v = {}) {
  const words = (s) => String(s || "").split(/[\s,]+/).filter(Boolean);
  switch (kind) {
    case "set_text": return { select, set_text: v.text ?? "" };
    case "set_html": return { select, set_html: v.html ?? "" };
    case "image": {
      const attrs = {};
      if (v.src) attrs.src = v.src;
      if (v.alt !== undefined && v.alt !== "") attrs.alt = v.alt;
      return { select, set_attribute: attrs };
    }
    case "link": return { select, set_attribute: { href: v.href ?? "" } };
    case "remove": return { select, remove: true };
    case "badge": return { select, append: `<span class="badge">${escapeHtml(v.text || "New")}</span>` };
    case "insert_before":
    case "insert_after": {
      const inner = v.href ? `<a href="${escapeHtml(v.href)}">${escapeHtml(v.text || "")}</a>` : escapeHtml(v.text || "");
      return { select, [kind]: `<div class="veneer-banner" role="note">${inner}</div>` };
    }
    case "add_class":
    case "remove_class": {
      const list = words(v.classes);
      return { select, [kind]: list.length === 1 ? list[0] : list };
    }
    case "set_style": return { select, set_style: { [v.property || "color"]: v.value ?? "" } };
    default: throw new Error(`unknown visual action ${kind}`);
  }
}

/** The operation of an element action (its key other than `select`). */
export function operationOf(action) {
  return Object.keys(action || {}).find((k) => k !== "select");
}

/** Whether a page pattern (docs/rules.md, "Page patterns") matches a decoded path. */
export function pageMatches(pattern, path) {
  if (pattern === "*") return true;
  if (typeof pattern !== "string") return false;
  return pattern.endsWith("*") ? path.startsWith(pattern.slice(0, -1)) : path === pattern;
}

/** Whether a rule or experiment with these `pages` applies to `path` (absent: every page). */
export function onPage(pages, path) {
  return pages === undefined || (Array.isArray(pages) && pages.some((p) => pageMatches(p, path)));
}

/** Page patterns proposed for a URL path: the page itself, then its section (`/p/*`), then every page. */
export function proposePages(path) {
  const clean = path.split(/[?#]/)[0] || "/";
  const out = [clean];
  const first = clean.split("/").filter(Boolean)[0];
  if (first && clean !== `/${first}`) out.push(`/${first}/*`);
  out.push("*");
  return out;
}

/** A rule id not yet used in the document, from a base like `visual-home`. */
export function freshRuleId(doc, base) {
  const used = new Set((doc.rules || []).map((r) => r.id));
  const slug = String(base).toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 50) || "visual";
  if (!used.has(slug)) return slug;
  for (let n = 2; ; n++) if (!used.has(`${slug}-${n}`)) return `${slug}-${n}`;
}

/**
 * The places a change can go: `{key, label, kind: "rule"|"variation", rule?, experiment?,
 * variation?, running?}`; key is `rule:<id>` or `variation:<experiment>:<variation>`.
 */
export function targets(doc) {
  const out = [];
  for (const r of doc.rules || []) out.push({ key: `rule:${r.id}`, label: `Rule ${r.id}`, kind: "rule", rule: r.id });
  for (const x of doc.experiments || []) {
    for (const v of x.variations || []) {
      out.push({ key: `variation:${x.id}:${v.id}`, label: `Experiment ${x.id}, variation ${v.id}`, kind: "variation", experiment: x.id, variation: v.id, running: (x.status ?? "running") === "running" });
    }
  }
  return out;
}

/**
 * The document with `action` added: to a new rule (`target.kind === "new"`, with `target.id`
 * and `target.pages`), to an existing rule, or to an experiment's variation. Returns
 * `{doc, pointer}`, the pointer of the new action (`/rules/3/actions/0`).
 */
export function addAction(doc, target, action) {
  const next = clone(doc);
  if (target.kind === "new") {
    next.rules = next.rules || [];
    const rule = { id: target.id };
    if (target.pages && target.pages.length) rule.pages = target.pages;
    if (target.description) rule.description = target.description;
    rule.actions = [action];
    next.rules.push(rule);
    return { doc: next, pointer: `/rules/${next.rules.length - 1}/actions/0` };
  }
  if (target.kind === "rule") {
    const i = (next.rules || []).findIndex((r) => r.id === target.rule);
    if (i < 0) throw new Error(`there is no rule ${target.rule}`);
    const rule = next.rules[i];
    rule.actions = rule.actions || [];
    rule.actions.push(action);
    return { doc: next, pointer: `/rules/${i}/actions/${rule.actions.length - 1}` };
  }
  const xi = (next.experiments || []).findIndex((x) => x.id === target.experiment);
  if (xi < 0) throw new Error(`there is no experiment ${target.experiment}`);
  const vi = next.experiments[xi].variations.findIndex((v) => v.id === target.variation);
  if (vi < 0) throw new Error(`experiment ${target.experiment} has no variation ${target.variation}`);
  const variation = next.experiments[xi].variations[vi];
  variation.actions = variation.actions || [];
  variation.actions.push(action);
  return { doc: next, pointer: `/experiments/${xi}/variations/${vi}/actions/${variation.actions.length - 1}` };
}

/**
 * Every element action that can apply to `path`: `{where, pointer, action, running}` for the
 * list of changes on this page.
 */
export function actionsOnPage(doc, path) {
  const out = [];
  (doc.rules || []).forEach((r, i) => {
    if (!onPage(r.pages, path)) return;
    (r.actions || []).forEach((a, j) => {
      if (a && a.select !== undefined) out.push({ where: `rule ${r.id}`, pointer: `/rules/${i}/actions/${j}`, action: a, running: false });
    });
  });
  (doc.experiments || []).forEach((x, i) => {
    if (!onPage(x.pages, path)) return;
    (x.variations || []).forEach((v, k) => {
      (v.actions || []).forEach((a, j) => {
        if (a && a.select !== undefined) out.push({ where: `experiment ${x.id} › ${v.id}`, pointer: `/experiments/${i}/variations/${k}/actions/${j}`, action: a, running: (x.status ?? "running") === "running" });
      });
    });
  });
  return out;
}

/** Operations after which the selected element is gone from the page (a 0 count is expected). */
export const REMOVING = new Set(["remove", "replace", "unwrap"]);
