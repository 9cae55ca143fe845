// A tiny element builder: h("button", {name: "save", onclick}, "Save").
// Attributes: `class`, `id`, `for`, `data-*`, `aria-*` and `role` become attributes; `on<event>`
// become listeners; anything else (value, checked, hidden, disabled, type…) is set as a property
// when the element has one, else as an attribute. Children are strings, nodes, arrays or null.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class" || key === "for" || key === "role" || key.includes("-")) {
      el.setAttribute(key, value === true ? "" : String(value));
    } else if (key in el) {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A `<time>` showing a moment in the marketer's local time, with the exact UTC in its title. */
export function time(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return h("time", { datetime: d.toISOString(), title: d.toISOString() }, formatLocal(d));
}

export function formatLocal(d) {
  return d.toLocaleString(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
  });
}
