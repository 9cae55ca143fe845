// Pieces more than one screen shows: a list of validation problems, "someone published
// meanwhile", a revision's one-line description, and a modal dialog.

import { h, fill, time } from "./dom.js";

/** `<li>` per problem: its path (a button when `onPick` is given) and its message. */
export function problemItems(problems, onPick) {
  return problems.map((p, i) =>
    h("li", { "data-testid": "problem", "data-path": p.path || "", "data-pointer": p.pointer ?? "" },
      onPick
        ? h("button", { type: "button", class: "path", onclick: () => onPick(p, i), title: "Show it in the editor" }, p.path || "$")
        : h("code", { class: "path" }, p.path || "$"),
      " ",
      h("span", { class: "message" }, p.message || ""),
    ));
}

/** "revision 7 by ana@shop.example, 1 Dec 2026, 11:00: “Black Friday banner”". */
export function describeRevision(meta) {
  if (!meta) return "no revision";
  return [
    h("strong", {}, `revision ${meta.number}`),
    meta.author ? ` by ${meta.author}` : "",
    meta.time ? [", ", time(meta.time)] : "",
    meta.message ? [": “", meta.message, "”"] : "",
  ];
}

/** What a 409 answer says: who published what since our base, with a way to reload. */
export function conflictView(data, onReload, reloadLabel = "Reload the live revision") {
  return h("div", { class: "conflict", "data-testid": "conflict", role: "alert" },
    h("p", {}, "Someone published since you loaded the live revision: ", describeRevision(data?.head), "."),
    data?.summary ? h("p", { class: "summary", "data-testid": "conflict-summary" }, data.summary) : null,
    data?.error ? h("p", { class: "hint" }, data.error) : null,
    h("p", {},
      h("button", { type: "button", name: "reload", onclick: onReload }, reloadLabel),
      " ",
      h("a", { href: "#/history" }, "See the change in History"),
    ),
  );
}

/**
 * A native modal <dialog> (focus moves in and back, Escape closes) around a form. `body` is a
 * list of nodes; `onSubmit(form)` runs on the submit button and may throw to keep it open.
 */
export function dialog({ id, title, body, submitName, submitLabel, onSubmit, onClose }) {
  const result = h("div", { class: "dialog-result", "data-testid": `${id}-result` });
  const submit = h("button", { type: "submit", name: submitName, class: "primary" }, submitLabel);
  const form = h("form", { method: "dialog" },
    h("h2", { id: `${id}-title` }, title),
    body,
    result,
    h("div", { class: "buttons" },
      submit,
      h("button", { type: "button", name: "cancel", onclick: () => el.close() }, "Cancel"),
    ),
  );
  const el = h("dialog", { id, "aria-labelledby": `${id}-title`, "data-testid": id }, form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      await onSubmit(form);
    } finally {
      submit.disabled = false;
    }
  });
  el.addEventListener("close", () => onClose?.());
  document.body.append(el);
  return {
    el,
    result,
    submit,
    open() {
      fill(result);
      el.showModal();
    },
    close() {
      el.close();
    },
  };
}
