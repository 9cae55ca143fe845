// Overview: what the draft (or the live document) holds, rule by rule and experiment by
// experiment, with the live revision, the draft's last save and any scheduled publish.

import { get } from "./api.js";
import { fill, h, time } from "./dom.js";
import { describeRevision } from "./parts.js";
import { resultsHref } from "./results-format.js";

function pages(list) {
  if (list === undefined) return h("span", { class: "muted" }, "every page");
  if (!Array.isArray(list)) return JSON.stringify(list);
  return list.map((p, i) => [i ? ", " : "", h("code", {}, String(p))]);
}

function audience(a) {
  if (a === undefined) return h("span", { class: "muted" }, "everyone");
  if (typeof a === "string") return ["audience ", h("code", {}, a)];
  const text = JSON.stringify(a);
  return h("code", { title: text }, text.length > 80 ? `${text.slice(0, 77)}…` : text);
}

function schedule(s) {
  if (s === undefined) return h("span", { class: "muted" }, "always");
  if (!s || typeof s !== "object") return JSON.stringify(s);
  const parts = [];
  if (s.start) parts.push(["from ", time(s.start)]);
  if (s.end) parts.push([" until ", time(s.end)]);
  for (const w of Array.isArray(s.windows) ? s.windows : []) {
    const days = Array.isArray(w.days) ? w.days.join(", ") : "every day";
    parts.push(h("div", { class: "window" }, `${days} ${w.from ?? "?"}–${w.to ?? "?"} ${w.utc_offset ?? "+00:00"}`));
  }
  return parts.length ? parts : h("span", { class: "muted" }, "always");
}

function experimentStatus(x) {
  const status = x.status ?? "running";
  const bits = [h("span", { class: `pill pill-${status}` }, status)];
  if (status === "stopped" && x.winner) bits.push(" winner ", h("code", {}, x.winner));
  if (typeof x.coverage === "number" && x.coverage !== 1) bits.push(` · ${Math.round(x.coverage * 100)}% of `);
  else bits.push(" · ");
  bits.push(audience(x.audience));
  return bits;
}

function table(testid, caption, head, rows, empty) {
  return h("table", { class: "grid", "data-testid": testid },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, head.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: head.length, class: "muted" }, empty))),
  );
}

export function createOverview(app) {
  const sourceDraft = h("input", { type: "radio", name: "overview-source", id: "overview-source-draft", value: "draft", checked: true });
  const sourceLive = h("input", { type: "radio", name: "overview-source", id: "overview-source-live", value: "live" });
  const facts = h("dl", { class: "facts", "data-testid": "overview-facts" });
  const body = h("div", { "data-testid": "overview" });
  const el = h("section", { class: "screen", "aria-labelledby": "overview-title" },
    h("h1", { id: "overview-title" }, "Overview"),
    facts,
    h("fieldset", { class: "segmented" },
      h("legend", {}, "Show"),
      sourceDraft, h("label", { for: "overview-source-draft" }, "Draft"),
      sourceLive, h("label", { for: "overview-source-live" }, "Live"),
    ),
    body,
  );
  let cache = null;
  for (const r of [sourceDraft, sourceLive]) r.addEventListener("change", () => render());

  function render() {
    if (!cache) return;
    const which = sourceLive.checked ? "live" : "draft";
    const text = which === "draft" ? cache.draft?.document ?? cache.live?.document : cache.live?.document;
    const label = which === "draft" && !cache.draft ? "live document (there is no draft)" : `${which} document`;
    body.dataset.source = which;
    if (text === undefined || text === null || text === "") {
      fill(body, h("p", { class: "muted" }, which === "live" ? "Nothing is published yet." : "The draft is empty."));
      return;
    }
    let doc;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      fill(body, h("p", { class: "form-error" }, `The ${label} document is not valid JSON (${e.message}); open the editor to fix it.`));
      return;
    }
    const rules = Array.isArray(doc?.rules) ? doc.rules : [];
    const experiments = Array.isArray(doc?.experiments) ? doc.experiments : [];
    const ruleRows = rules.map((r) =>
      h("tr", { "data-id": r?.id ?? "" },
        h("th", { scope: "row" }, h("code", {}, String(r?.id ?? "(no id)"))),
        h("td", {}, pages(r?.pages)),
        h("td", {}, audience(r?.audience), typeof r?.priority === "number" && r.priority !== 0 ? h("div", { class: "muted" }, `priority ${r.priority}`) : null),
        h("td", {}, schedule(r?.schedule)),
        h("td", {}, r?.description ?? ""),
        h("td", { class: "num" }, String(Array.isArray(r?.actions) ? r.actions.length : 0)),
      ));
    const expRows = experiments.map((x) =>
      h("tr", { "data-id": x?.id ?? "" },
        h("th", { scope: "row" }, h("code", {}, String(x?.id ?? "(no id)"))),
        h("td", {}, pages(x?.pages)),
        h("td", {}, experimentStatus(x || {})),
        h("td", {}, schedule(x?.schedule)),
        h("td", {}, x?.description ?? ""),
        h("td", { class: "num" }, String(Array.isArray(x?.variations) ? x.variations.length : 0)),
        h("td", {}, typeof x?.id === "string" && x.id ? h("a", { href: resultsHref(x.id), "data-testid": "results-link", "aria-label": `Results of ${x.id}` }, "Results") : ""),
      ));
    fill(body,
      table("overview-rules", `Rules (${rules.length}) in the ${label}`, ["Rule", "Pages", "Audience", "Schedule", "Description", "Actions"], ruleRows, "No rules."),
      table("overview-experiments", `Experiments (${experiments.length}) in the ${label}`, ["Experiment", "Pages", "Status and audience", "Schedule", "Description", "Variations", "Results"], expRows, "No experiments."),
    );
  }

  return {
    title: "Overview",
    el,
    async enter() {
      const [draft, live, scheduled] = await Promise.all([
        get("draft", { accept: [404] }),
        get("live", { accept: [404] }),
        get("schedule").catch(() => null),
      ]);
      cache = { draft: draft.status === 404 ? null : draft.data, live: live.status === 404 ? null : live.data };
      const s = scheduled?.data?.scheduled;
      const same = cache.draft && cache.live && cache.draft.document === cache.live.document;
      fill(facts,
        h("dt", {}, "Live"), h("dd", { "data-testid": "overview-live" }, cache.live?.revision ? describeRevision(cache.live.revision) : "nothing published yet"),
        h("dt", {}, "Draft"), h("dd", { "data-testid": "overview-draft" }, cache.draft
          ? ["saved", cache.draft.author ? ` by ${cache.draft.author}` : "", cache.draft.time ? [", ", time(cache.draft.time)] : "",
            same ? " (the same as live)" : " (differs from live)",
            Array.isArray(cache.draft.problems) && cache.draft.problems.length ? h("span", { class: "pill pill-stopped" }, ` ${cache.draft.problems.length} problem(s)`) : ""]
          : "none: the editor starts from the live document"),
        h("dt", {}, "Scheduled"), h("dd", { "data-testid": "overview-scheduled" }, s ? ["publish at ", time(s.at), s.by ? ` by ${s.by}` : "", s.message ? `: “${s.message}”` : ""] : "nothing"),
      );
      if (!cache.draft && sourceDraft.checked) sourceDraft.checked = true;
      render();
    },
  };
}
