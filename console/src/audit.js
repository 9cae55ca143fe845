// Audit log: who did what and when, newest first, exportable as CSV or JSON.

import { apiUrl, get } from "./api.js";
import { fill, h, time } from "./dom.js";

const LIMIT = 500;

const ACTIONS = {
  sign_in: "signed in",
  sign_in_failed: "failed to sign in",
  save: "saved the draft",
  publish: "published",
  rollback: "rolled back",
  schedule: "scheduled a publish",
  unschedule: "cancelled a scheduled publish",
  scheduled_publish: "scheduled publish ran",
};

export function createAudit() {
  const body = h("tbody");
  const filter = h("select", { id: "audit-filter", name: "action" },
    h("option", { value: "" }, "every action"),
    Object.entries(ACTIONS).map(([k, v]) => h("option", { value: k }, v)),
  );
  const count = h("p", { class: "hint", "data-testid": "audit-count", "aria-live": "polite" });
  const el = h("section", { class: "screen", "aria-labelledby": "audit-title" },
    h("div", { class: "toolbar" },
      h("h1", { id: "audit-title" }, "Audit log"),
      h("div", { class: "toolbar-buttons" },
        h("label", { for: "audit-filter" }, "Show "), filter,
        h("button", { type: "button", name: "refresh-audit", onclick: () => enter() }, "Refresh"),
        h("a", { class: "button", href: apiUrl("audit?format=csv"), download: "veneer-audit.csv", "data-testid": "audit-export-csv" }, "Export CSV"),
        h("a", { class: "button", href: apiUrl("audit?format=json"), download: "veneer-audit.json", "data-testid": "audit-export-json" }, "Export JSON"),
      ),
    ),
    count,
    h("table", { class: "grid", "data-testid": "audit" },
      h("caption", {}, "Newest first"),
      h("thead", {}, h("tr", {}, ["When", "Who", "What", "Revision", "Summary"].map((c) => h("th", { scope: "col" }, c)))),
      body,
    ),
  );
  let entries = [];
  filter.addEventListener("change", () => render());

  function render() {
    const shown = filter.value ? entries.filter((e) => e.action === filter.value) : entries;
    fill(count, `${shown.length} of ${entries.length} entr${entries.length === 1 ? "y" : "ies"}${entries.length >= LIMIT ? ` (the latest ${LIMIT}; export for all)` : ""}.`);
    fill(body, shown.length
      ? shown.map((e) => h("tr", { "data-action": e.action || "" },
        h("td", {}, time(e.time)),
        h("td", {}, e.who || ""),
        h("td", {}, h("span", { class: `pill pill-action pill-${e.action}`, title: e.action }, ACTIONS[e.action] || e.action || "")),
        h("td", {}, e.revision === null || e.revision === undefined ? "" : `#${e.revision}`),
        h("td", {}, e.summary || ""),
      ))
      : h("tr", {}, h("td", { colspan: 5, class: "muted" }, "Nothing recorded.")));
  }

  async function enter() {
    const { data } = await get(`audit?format=json&limit=${LIMIT}`);
    entries = Array.isArray(data?.entries) ? data.entries : [];
    render();
  }

  return { title: "Audit log", el, enter };
}
