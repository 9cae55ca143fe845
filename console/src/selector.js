// Selector proposals for the visual editor: a CSS selector for one element of a page that is
// stable across reloads (ids, data-* attributes such as the shop's product key, meaningful
// classes; never generated class names; :nth-of-type positions only as a last resort) and that
// the edge can use while the page streams (only the element, its ancestors, and the
// descendant / child combinators: no `+`, `~`, `:last-child`, `:has`).
//
// Works over the standard DOM (element.tagName, id, classList, attributes, parentElement,
// children, and root.querySelectorAll), so it runs in the console against the framed page and
// in the tests against fixture pages in Chromium. No imports.

/** Class names that look generated (CSS-in-JS, CSS modules, hashes) or that only say a state. */
const GENERATED_CLASS = [
  /^(css|sc|jsx|emotion|styled|svelte|astro|chakra|mui|Mui[A-Z]\w*)-[\w-]*\d[\w-]*$/i, // css-1x2y3z, sc-AxjAm, jsx-123
  /^(css|jsx|emotion|sc|tw)-[A-Za-z0-9]{4,}$/, // sc-AxjAm (styled-components), css-abcdef
  /^_?[a-zA-Z]{1,3}[0-9][a-zA-Z0-9]{3,}$/, // a1b2c3
  /^_[a-zA-Z0-9]*[0-9][a-zA-Z0-9]*$/, // _3xYz1
  /^[a-zA-Z0-9]+_[a-zA-Z0-9]+__[a-zA-Z0-9_-]{4,}$/, // Button_root__a1b2c (CSS modules)
  /[a-f0-9]{6,}/i, // a hash anywhere (x-9f8e7d6c)
  /^(is|has)-(active|open|hover|focus|selected|visible|hidden|loading|loaded)$/,
  /^(active|hover|focus|selected|open|visible|hidden|show|collapsed|lazyloaded|loaded)$/,
];
const GENERATED_ID = [/\d{3,}/, /[a-f0-9]{8,}/i, /^(ember|react|radix|headlessui|mui|yui|ext-gen)/i, /:/];

/** data-* attributes that name a thing (checked first, in this order), and those never used. */
const KEY_ATTRIBUTES = ["data-sku", "data-product-id", "data-product", "data-id", "data-testid", "data-test", "data-qa", "data-section", "data-component", "data-block"];
const SKIPPED_ATTRIBUTES = /^data-(v-|reactid|react|styled|emotion|astro|sentry|gtm|ga)|^data-(src|srcset|price|count|index|state|loaded|lazy)$/;
/** Other attributes worth a try before positions, by tag. */
const OTHER_ATTRIBUTES = ["name", "role", "aria-label", "href", "alt", "type", "for"];

/** Whether a class name reads like a person wrote it. */
export function meaningfulClass(name) {
  return name.length >= 2 && name.length <= 40 && !GENERATED_CLASS.some((re) => re.test(name));
}

/** Whether an id reads like a person wrote it. */
export function meaningfulId(id) {
  return !!id && id.length <= 60 && /^[A-Za-z][\w-]*$/.test(id) && !GENERATED_ID.some((re) => re.test(id));
}

/** CSS identifier escaping (CSS.escape where the browser has it). */
export function ident(text) {
  if (globalThis.CSS?.escape) return globalThis.CSS.escape(text);
  return String(text).replace(/^(\d)/, "\\3$1 ").replace(/[^\w-]/g, (c) => `\\${c}`);
}

/** A quoted CSS attribute value. */
export function quoted(value) {
  return `"${String(value).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\a ")}"`;
}

function tag(el) {
  return el.tagName.toLowerCase();
}

/**
 * The element's own simple selectors, most stable first: `#id`, key data-* attributes,
 * tag + meaningful classes, other attributes, the tag alone. Each is `{text, kind}`.
 */
export function ownSelectors(el) {
  const out = [];
  const t = tag(el);
  if (meaningfulId(el.id)) out.push({ text: `#${ident(el.id)}`, kind: "id" });
  const attrs = [...el.attributes].map((a) => a.name);
  const keyed = KEY_ATTRIBUTES.filter((n) => attrs.includes(n));
  const otherData = attrs.filter((n) => n.startsWith("data-") && !KEY_ATTRIBUTES.includes(n) && !SKIPPED_ATTRIBUTES.test(n)).sort();
  for (const name of [...keyed, ...otherData]) {
    const value = el.getAttribute(name);
    if (value && value.length <= 80 && !/[a-f0-9]{12,}/i.test(value)) out.push({ text: `[${name}=${quoted(value)}]`, kind: "data" });
    else if (!value) out.push({ text: `[${name}]`, kind: "data" });
  }
  const classes = [...el.classList].filter(meaningfulClass);
  if (classes.length) {
    // The first meaningful class alone, then with the tag, then all of them.
    out.push({ text: `.${ident(classes[0])}`, kind: "class" });
    out.push({ text: `${t}.${ident(classes[0])}`, kind: "class" });
    if (classes.length > 1) out.push({ text: `${t}${classes.map((c) => `.${ident(c)}`).join("")}`, kind: "class" });
  }
  for (const name of OTHER_ATTRIBUTES) {
    const value = el.getAttribute(name);
    if (value && value.length <= 80 && !/^(javascript|data):/i.test(value)) out.push({ text: `${t}[${name}=${quoted(value)}]`, kind: "attribute" });
  }
  out.push({ text: t, kind: "tag" });
  return out;
}

function count(root, selector) {
  try {
    return root.querySelectorAll(selector).length;
  } catch {
    return Infinity;
  }
}

function matchesOnly(root, selector, el) {
  try {
    const all = root.querySelectorAll(selector);
    return all.length === 1 && all[0] === el;
  } catch {
    return false;
  }
}

/** `:nth-of-type(n)` of the element among its parent's children (counted from the start). */
function position(el) {
  let n = 1;
  for (let s = el.previousElementSibling; s; s = s.previousElementSibling) if (s.tagName === el.tagName) n++;
  return `${tag(el)}:nth-of-type(${n})`;
}

/** The best own selector of an ancestor that names it well (id, data-*, class), or null. */
function anchorOf(el, root) {
  const own = ownSelectors(el).filter((s) => s.kind !== "tag" && s.kind !== "attribute");
  return own.find((s) => count(root, s.text) === 1) || own[0] || null;
}

/**
 * A selector for `el` in `root` (its document): `{selector, count, unique, kind}`. Unique when
 * it can be; `kind` is the most fragile part used ("id", "data", "class", "attribute", "tag",
 * "position").
 */
export function proposeSelector(el, root = el.ownerDocument) {
  if (!el || !el.tagName) return null;
  const t = tag(el);
  if (t === "html" || t === "body" || t === "head") return { selector: t, count: 1, unique: true, kind: "tag" };
  const own = ownSelectors(el);
  const done = (selector, kind) => ({ selector, count: count(root, selector), unique: count(root, selector) === 1, kind });
  // The element's own names (id, data-*, classes) alone.
  for (const s of own) if ((s.kind === "id" || s.kind === "data" || s.kind === "class") && matchesOnly(root, s.text, el)) return done(s.text, s.kind);
  // Scoped by the nearest ancestors that name themselves (`.hero h1`, `[data-sku="A"] img`).
  const ancestors = [];
  for (let a = el.parentElement; a && tag(a) !== "body" && tag(a) !== "html" && ancestors.length < 6; a = a.parentElement) ancestors.push(a);
  const rank = { id: 0, data: 0, class: 0, tag: 1, attribute: 2 };
  const scoped = own.slice().sort((a, b) => rank[a.kind] - rank[b.kind]).slice(0, 6);
  for (const a of ancestors) {
    const anchor = anchorOf(a, root);
    if (!anchor) continue;
    for (const s of scoped) {
      const sel = `${anchor.text} ${s.text}`;
      if (matchesOnly(root, sel, el)) return done(sel, worse(anchor.kind, s.kind));
    }
  }
  // Other attributes, or the tag, alone (`a[href="/cart"]`, `h1`).
  for (const s of own) if (matchesOnly(root, s.text, el)) return done(s.text, s.kind);
  // Last resort: positions (counted from the start, which streaming allows), from the nearest
  // ancestor with a unique name, or from the body, down to the element.
  const chain = [];
  for (let cur = el; cur && tag(cur) !== "body" && tag(cur) !== "html"; cur = cur.parentElement) {
    const anchor = cur === el ? null : anchorOf(cur, root);
    if (anchor && count(root, anchor.text) === 1) {
      chain.unshift(anchor.text);
      break;
    }
    chain.unshift(position(cur));
  }
  const sel = chain.join(" > ");
  const full = chain.length && chain[0].includes(":nth-of-type") ? `body > ${sel}` : sel;
  if (chain.length && matchesOnly(root, full, el)) return done(full, "position");
  return done(own[0].text, own[0].kind);
}

const ORDER = ["id", "data", "class", "attribute", "tag", "position"];
function worse(a, b) {
  return ORDER[Math.max(ORDER.indexOf(a), ORDER.indexOf(b))];
}

/** A short label for an element: `li.product-tile[data-sku="TR-2041"]`, `h1 "Built for…"`. */
export function describeElement(el) {
  const t = tag(el);
  const id = el.id ? `#${el.id}` : "";
  const cls = [...el.classList].filter(meaningfulClass).slice(0, 2).map((c) => `.${c}`).join("");
  const sku = KEY_ATTRIBUTES.map((n) => (el.getAttribute(n) ? `[${n}="${el.getAttribute(n)}"]` : "")).find(Boolean) || "";
  return `${t}${id}${cls}${sku}`;
}
