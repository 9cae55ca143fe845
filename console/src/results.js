// Results of one experiment (#/results/<experiment>): per metric a table (users, conversions or
// mean, effect with its interval, chance to win or p-value, verdict) and the effect drawn with
// its interval; users over time; a warning on a sample-ratio mismatch; and "stop and ship the
// winner", which saves a draft with the experiment stopped and the chosen variation as its
// winner (published from the editor as usual). The numbers are the results API's
// (`GET api/results/<experiment>?engine=`): nothing is computed here.

import { get, put } from "./api.js";
import { fill, h } from "./dom.js";
import { dialog, problemItems } from "./parts.js";
import { effectChart, usersChart } from "./charts.js";
import { describeShip, shipWinner } from "./ship.js";
import {
  ENGINES, METRIC_STATUS, REASONS, VERDICTS, count, effectText, evidenceText, experimentInHash, mean,
  primaryMetric, rate, readAnswer, suggestedWinner, totalUsers,
} from "./results-format.js";

const ENGINE_LABELS = { bayesian: "Bayesian (chance to win)", frequentist: "Frequentist (p-value)" };

export function createResults(app) {
  const title = h("h1", { id: "results-title" }, "Results");
  const facts = h("p", { class: "hint", "data-testid": "results-experiment" });
  const engineInputs = ENGINES.map((e) => h("input", { type: "radio", name: "results-engine", id: `results-engine-${e}`, value: e, checked: e === "bayesian" }));
  const engineNote = h("p", { class: "hint", "data-testid": "results-engine-note", hidden: true });
  const refresh = h("button", { type: "button", name: "refresh-results", onclick: () => load() }, "Refresh");
  const body = h("div", { class: "results-body", "data-testid": "results-body", "aria-live": "polite", "aria-busy": "false" });
  const shipResult = h("div", { "data-testid": "ship-result" });
  const shipButton = h("button", { type: "button", name: "ship-winner", class: "primary", onclick: () => openShip() }, "Stop and ship a variation…");
  const shipSection = h("section", { class: "ship", "aria-labelledby": "ship-title", hidden: true },
    h("h2", { id: "ship-title" }, "Stop and ship the winner"),
    h("p", { class: "hint" }, "Saves a draft in which the experiment is stopped and everyone on its pages gets the variation you choose. Nothing goes live until you publish the draft from the editor."),
    shipButton,
    shipResult,
  );
  const el = h("section", { class: "screen results", "aria-labelledby": "results-title", "data-testid": "results", "data-state": "loading" },
    title,
    facts,
    h("div", { class: "results-controls" },
      h("fieldset", { class: "segmented" },
        h("legend", {}, "Statistics"),
        ENGINES.map((e, i) => [engineInputs[i], h("label", { for: `results-engine-${e}` }, ENGINE_LABELS[e])]),
      ),
      refresh,
    ),
    engineNote,
    body,
    shipSection,
  );
  for (const input of engineInputs) input.addEventListener("change", () => load());

  let id = "";
  let results = null;
  let experiment = null; // the live document's entry, when it has one
  let charts = [];
  let loading = 0;

  const shipChoices = h("fieldset", { class: "ship-choices" }, h("legend", {}, "Everyone gets"));
  const shipWarnings = h("div", { class: "ship-warnings" });
  const shipDialog = dialog({
    id: "ship-dialog",
    title: "Stop the experiment and ship a variation",
    body: [shipWarnings, shipChoices, h("p", { class: "hint", "data-testid": "ship-what" })],
    submitName: "ship-confirm",
    submitLabel: "Save as draft",
    onSubmit: () => ship(),
  });

  function engine() {
    return engineInputs.find((i) => i.checked)?.value || "bayesian";
  }

  function setState(state) {
    el.dataset.state = state;
    body.setAttribute("aria-busy", state === "loading" ? "true" : "false");
  }

  function describeExperiment() {
    const bits = [];
    if (experiment?.description) bits.push(experiment.description, " · ");
    const status = experiment ? experiment.status ?? "running" : null;
    if (status) bits.push(h("span", { class: `pill pill-${status} pill-action` }, status), status === "stopped" && experiment.winner ? [" winner ", h("code", {}, experiment.winner)] : "", " · ");
    if (experiment && Array.isArray(experiment.pages)) bits.push("pages ", experiment.pages.map((p, i) => [i ? ", " : "", h("code", {}, p)]), " · ");
    if (!experiment && id) bits.push("not in the live document · ");
    bits.push(h("a", { href: "#/editor" }, "Open the editor"), " · ", h("a", { href: "#/overview" }, "All experiments"));
    fill(facts, bits);
  }

  async function loadExperiment() {
    try {
      const { status, data } = await get("live", { accept: [404] });
      const doc = status === 404 || !data?.document ? null : JSON.parse(data.document);
      experiment = (Array.isArray(doc?.experiments) ? doc.experiments : []).find((x) => x?.id === id) || null;
    } catch {
      experiment = null;
    }
  }

  async function load() {
    const mine = ++loading;
    const wanted = engine();
    setState("loading");
    engineNote.hidden = true;
    for (const c of charts) c.destroy();
    charts = [];
    fill(body, h("p", { class: "muted" }, "Loading the results…"));
    let data;
    try {
      [{ data }] = await Promise.all([get(`results/${encodeURIComponent(id)}?engine=${wanted}`), loadExperiment()]);
    } catch (e) {
      if (mine !== loading) return;
      results = null;
      setState("error");
      shipSection.hidden = true;
      describeExperiment();
      fill(body, h("p", { class: "form-error", role: "alert", "data-testid": "results-error" }, e.status === 404 ? `No results: ${e.message}` : `The results could not be loaded: ${e.message}`));
      return;
    }
    if (mine !== loading) return;
    describeExperiment();
    const answer = readAnswer(data);
    results = answer.results;
    const got = results?.options?.engine;
    if (got && got !== wanted) {
      engineNote.hidden = false;
      fill(engineNote, `These are ${got} results: the results API did not apply ?engine=${wanted}.`);
    }
    render(answer);
  }

  function render({ results: r, counts }) {
    if (!r) {
      setState(counts ? "counts-only" : "empty");
      shipSection.hidden = !experiment;
      const note = h("p", { class: "muted", "data-testid": "results-not-enough" }, counts
        ? "The results API answered the counts but no analysis: this worker does not compute results yet."
        : "The results API gave nothing to show.");
      fill(body, note, counts ? usersSection(counts.days, counts.variations) : null);
      drawCharts();
      return;
    }
    const users = totalUsers(r);
    const parts = [];
    if (Array.isArray(r.problems) && r.problems.length) {
      parts.push(h("div", { class: "form-error", role: "alert", "data-testid": "results-problems" },
        h("p", {}, "The recorded counts have problems, so there are no results:"),
        h("ul", { class: "problems" }, problemItems(r.problems))));
    }
    parts.push(summary(r, users));
    if (r.srm?.status === "warning") parts.push(srmWarning(r.srm));
    if (users === 0) {
      parts.push(h("p", { class: "empty-state", "data-testid": "results-not-enough" }, "No visitor has been counted in this experiment yet. Visitors are counted when a running experiment puts them in a variation on one of its pages (bots, visitors without consent and previews never are)."));
    } else if ((r.metrics || []).length && r.metrics.every((m) => m.status === "not_enough_data")) {
      parts.push(h("p", { class: "empty-state", "data-testid": "results-not-enough" }, `Not enough data yet: ${count(users)} users so far. The effects appear once every variation has at least 2 users and some, but not all, of them converted.`));
    }
    if (!(r.metrics || []).length && !(r.problems || []).length) parts.push(h("p", { class: "muted" }, "This experiment measures no goal: give it metrics (docs/rules.md, Goals and metrics) to see effects."));
    for (const m of r.metrics || []) parts.push(metricSection(m, r));
    parts.push(usersSection(r.days, r.variations || []));
    fill(body, parts);
    setState(users === 0 ? "empty" : "ready");
    shipSection.hidden = !experiment || !(r.variations || []).length;
    drawCharts();
  }

  function drawCharts() {
    for (const c of charts) c.draw();
  }

  function summary(r, users) {
    const srm = r.srm || {};
    const srmText = srm.status === "ok" ? `sample ratio ok (p = ${srm.p_value?.toFixed(4)})` : srm.status === "warning" ? "sample ratio mismatch" : "sample ratio: not enough data";
    const o = r.options || {};
    const how = o.engine === "frequentist" ? "frequentist two-sided t-test" : `Bayesian, ${o.prior === "proper" ? `proper prior N(0, ${o.prior_stddev}²)` : "flat prior"}`;
    return h("p", { class: "results-summary", "data-testid": "results-summary", "data-users": users, "data-engine": o.engine ?? "" },
      h("strong", {}, `${count(users)} users`), ` in ${(r.variations || []).length} variations · ${srmText} · ${how}, ${Math.round((o.confidence ?? 0.95) * 100)}% intervals`);
  }

  function srmWarning(srm) {
    return h("div", { class: "srm-warning", role: "alert", "data-testid": "srm-warning" },
      h("strong", {}, "Sample ratio mismatch. "),
      `The variations did not get the share of visitors their weights ask for (p = ${srm.p_value < 0.0001 ? srm.p_value.toExponential(1) : srm.p_value.toFixed(4)}). `,
      "Assignment or tracking is broken (often: some visitors never reach the page where they are counted), so these effects cannot be trusted. Find the cause before you ship anything.");
  }

  function metricSection(m, r) {
    const binomial = m.kind === "binomial";
    const bayes = r.options?.engine !== "frequentist";
    const level = `${Math.round((r.options?.confidence ?? 0.95) * 100)}%`;
    const head = ["Variation", "Users", binomial ? "Conversions" : "Total", binomial ? "Rate" : "Mean", `Effect [${level} interval]`, bayes ? "Chance to win" : "p-value", "Verdict"];
    const rows = (m.variations || []).map((v, i) => {
      const c = v.comparison;
      const verdict = i === 0 ? "baseline" : c?.verdict ?? "not_enough_data";
      const effect = i === 0 ? h("span", { class: "muted" }, "baseline") : effectText(c, m.kind) ?? h("span", { class: "muted" }, `not enough data${c?.reason ? `: ${REASONS[c.reason] ?? c.reason}` : ""}`);
      return h("tr", { "data-variation": v.key, "data-verdict": verdict },
        h("th", { scope: "row" }, h("span", { class: `swatch swatch-${i % 8}`, "aria-hidden": "true" }), h("code", {}, v.key)),
        h("td", { class: "num", "data-col": "users" }, count(v.users)),
        h("td", { class: "num", "data-col": binomial ? "conversions" : "total" }, count(binomial ? v.conversions : v.total)),
        h("td", { class: "num", "data-col": binomial ? "rate" : "mean" }, binomial ? rate(v.mean) : mean(v.mean)),
        h("td", { "data-col": "effect" }, effect),
        h("td", { class: "num", "data-col": bayes ? "chance" : "p-value" }, i === 0 ? "" : evidenceText(c)),
        h("td", { "data-col": "verdict" }, i === 0 ? "" : h("span", { class: `verdict verdict-${verdict}` }, VERDICTS[verdict] ?? verdict)),
      );
    });
    const headingId = `results-metric-${m.goal}`;
    return h("section", { class: "metric", "data-testid": "results-metric", "data-goal": m.goal, "data-status": m.status, "aria-labelledby": headingId },
      h("h2", { id: headingId }, h("code", {}, m.goal), m.primary ? h("span", { class: "pill" }, "primary") : null, m.inverse ? h("span", { class: "pill" }, "lower is better") : null,
        h("span", { class: `pill status-${m.status}` }, METRIC_STATUS[m.status] ?? m.status)),
      h("table", { class: "grid results-table", "data-testid": "results-table" },
        h("caption", {}, `${m.goal}: ${binomial ? "visitors who converted" : "value per visitor"}, each variation against ${m.variations?.[0]?.key ?? "the baseline"}`),
        h("thead", {}, h("tr", {}, head.map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, rows),
      ),
      (m.variations || []).length > 1 ? effectChart(m, { confidence: r.options?.confidence }) : null,
    );
  }

  function usersSection(days, variations) {
    const section = h("section", { class: "users-over-time", "aria-labelledby": "results-users-title" }, h("h2", { id: "results-users-title" }, "Users over time"));
    if (!Array.isArray(days) || !days.length) {
      section.append(h("p", { class: "muted", "data-testid": "users-chart-empty" }, "No exposures per day yet."));
      return section;
    }
    const chart = usersChart(days, variations);
    charts.push(chart);
    section.append(h("p", { class: "legend" }, variations.map((v, i) => h("span", { class: "legend-item" }, h("span", { class: `swatch swatch-${i % 8}`, "aria-hidden": "true" }), v.key))), chart.el);
    return section;
  }

  // ---- stop and ship ----------------------------------------------------------------------------

  function openShip() {
    if (!results || !experiment) return;
    const suggested = suggestedWinner(results);
    const primary = primaryMetric(results);
    const verdictOf = (key) => primary?.variations?.find((v) => v.key === key)?.comparison?.verdict;
    const keys = (experiment.variations || []).map((v) => v?.id).filter((k) => typeof k === "string");
    fill(shipChoices, h("legend", {}, "Everyone gets"), keys.map((key, i) => {
      const inputId = `ship-variation-${i}`;
      const verdict = i === 0 ? "the control" : verdictOf(key) ? `${VERDICTS[verdictOf(key)].toLowerCase()} on ${primary.goal}` : "";
      return h("div", { class: "choice" },
        h("input", { type: "radio", name: "ship-variation", id: inputId, value: key, checked: suggested ? key === suggested.key : i === 0, onchange: () => explain() }),
        h("label", { for: inputId }, h("code", {}, key), verdict ? h("span", { class: "muted" }, ` (${verdict})`) : null, suggested?.key === key ? h("span", { class: "pill" }, "suggested") : null));
    }));
    const warnings = [];
    if (results.srm?.status === "warning") warnings.push("The sample ratio does not match the weights: these results cannot be trusted.");
    if (!suggested) warnings.push(primary ? `No variation is better than the control on ${primary.goal} yet: shipping now is a guess.` : "The experiment measures nothing: shipping is a guess.");
    fill(shipWarnings, warnings.map((w) => h("p", { class: "ship-warning", "data-testid": "ship-warning" }, w)));
    explain();
    shipDialog.open();
  }

  function chosen() {
    return shipChoices.querySelector("input[name=ship-variation]:checked")?.value ?? null;
  }

  function explain() {
    const key = chosen();
    fill(shipDialog.el.querySelector("[data-testid=ship-what]"), key ? `${describeShip(experiment, key)} The live site changes only when you publish the draft.` : "");
  }

  async function ship() {
    const winner = chosen();
    if (!winner) return fill(shipDialog.result, h("p", { class: "form-error", role: "alert" }, "Choose the variation everyone gets."));
    if (app.screens.editor?.dirty?.()) {
      return fill(shipDialog.result, h("p", { class: "form-error", role: "alert" }, "The editor has unsaved changes: save or undo them first, so that nothing is lost."));
    }
    try {
      const [draft, live] = await Promise.all([get("draft", { accept: [404] }), get("live", { accept: [404] })]);
      const text = draft.status === 404 ? live.data?.document ?? "" : draft.data.document;
      const next = shipWinner(text, id, winner);
      const { status, data } = await put("draft", { document: next }, { accept: [422] });
      const problems = Array.isArray(data?.problems) ? data.problems : [];
      if (status === 422 && problems.length) {
        fill(shipDialog.result, h("div", { role: "alert", "data-testid": "ship-problems" },
          h("p", {}, `The draft was saved, but it has ${problems.length} problem(s) (some may have been there before): fix them in the editor before publishing.`),
          h("ul", { class: "problems" }, problemItems(problems))));
        return;
      }
      shipDialog.close();
      fill(shipResult, h("p", { class: "ship-done", role: "status", "data-testid": "ship-done", "data-winner": winner },
        `Draft saved: "${id}" stopped, everyone gets "${winner}". `, h("a", { href: "#/editor" }, "Open the editor to publish it"), "."));
      app.notify(`Draft saved with "${id}" stopped and "${winner}" for everyone: publish it from the editor.`);
    } catch (e) {
      fill(shipDialog.result, h("p", { class: "form-error", role: "alert" }, e.message));
    }
  }

  return {
    title: "Results",
    el,
    async enter() {
      const next = experimentInHash(location.hash);
      if (next !== id) {
        id = next;
        results = null;
        fill(shipResult);
      }
      fill(title, "Results of ", h("code", {}, id || "?"));
      if (!id) {
        setState("error");
        shipSection.hidden = true;
        fill(facts, h("a", { href: "#/overview" }, "Pick an experiment in the overview"));
        fill(body, h("p", { class: "muted" }, "No experiment named: open the results from an experiment in the overview."));
        return;
      }
      await load();
    },
  };
}
