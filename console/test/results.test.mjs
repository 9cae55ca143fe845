// The results screen's pure parts, without a browser: reading the API's answer, the numbers as
// the table writes them (checked against what `veneer results` prints for the same counts), the
// suggested winner, the charts' data and scale, "ship the winner" as a text edit that keeps the
// marketer's layout and validates, and the mock's results API.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parser } from "@lezer/json";
import {
  dailyUsers, effectScale, effectText, evidenceText, experimentInHash, niceTicks, pValue, rate, readAnswer,
  resultsHref, signedPercent, suggestedWinner, totalUsers,
} from "../src/results-format.js";
import { experimentAt, shipWinner, ShipError } from "../src/ship.js";
import { DEMO_EXPERIMENTS, resultsAnswer, validate, withDemoExperiments } from "../dev-server.mjs";

const fixture = (name) => JSON.parse(readFileSync(new URL(`../../fixtures/results/demo/${name}`, import.meta.url), "utf8"));
const reviews = fixture("product-reviews-first.bayesian.json");
const reviewsF = fixture("product-reviews-first.frequentist.json");
const srm = fixture("checkout-trust-badge.bayesian.json");
const fresh = fixture("free-shipping-bar.bayesian.json");
const L = "en-GB";
const metric = (r, goal) => r.metrics.find((m) => m.goal === goal);
const row = (r, goal, key) => metric(r, goal).variations.find((v) => v.key === key);

test("the API's answer: the analysis itself, or wrapped with the counts", () => {
  assert.deepEqual(readAnswer(reviews), { results: reviews, counts: null });
  const counts = fixture("product-reviews-first.counts.json");
  assert.deepEqual(readAnswer({ counts, analysis: reviews }), { results: reviews, counts });
  assert.deepEqual(readAnswer({ counts, analysis: null }), { results: null, counts });
  assert.deepEqual(readAnswer({ error: "x" }), { results: null, counts: null });
  assert.deepEqual(readAnswer(null), { results: null, counts: null });
});

test("the table's numbers are the ones veneer results prints for the same counts", () => {
  // `veneer results --counts fixtures/results/demo/product-reviews-first.counts.json`:
  //   reviews-first  6158  598  9.71%  +19.9% [+6.4%, +33.5%]  99.8%  better
  //   (bounce)       6158  2480 40.27% -4.1% [-8.2%, -0.1%]    97.8%  better
  const add = row(reviews, "add_to_cart", "reviews-first");
  assert.equal(rate(add.mean, L), "9.71%");
  assert.equal(rate(row(reviews, "add_to_cart", "control").mean, L), "8.10%");
  assert.equal(effectText(add.comparison, "binomial", L), "+19.9% [+6.4%, +33.5%]");
  assert.equal(evidenceText(add.comparison, L), "99.8%");
  const bounce = row(reviews, "bounce", "reviews-first");
  assert.equal(effectText(bounce.comparison, "binomial", L), "-4.1% [-8.2%, -0.1%]");
  assert.equal(evidenceText(bounce.comparison, L), "97.8%");
  // Frequentist: a p-value instead of the chance to win.
  const p = row(reviewsF, "add_to_cart", "reviews-first").comparison;
  assert.equal(evidenceText(p, L), pValue(p.relative.p_value));
  assert.match(evidenceText(p, L), /^(0\.\d{4}|< 0\.0001)$/);
  assert.equal(totalUsers(reviews), 12370);
});

test("formatting: signs, tiny p-values, missing numbers", () => {
  assert.equal(signedPercent(0.1234, L), "+12.3%");
  assert.equal(signedPercent(-0.0041, L), "-0.4%");
  assert.equal(signedPercent(0, L), "0.0%");
  assert.equal(pValue(0.00001), "< 0.0001");
  assert.equal(pValue(0.04321), "0.0432");
  assert.equal(rate(null, L), "–");
  assert.equal(effectText(null, "binomial", L), null);
  // Not enough data: no effect, no evidence.
  const bar = row(fresh, "add_to_cart", "bar-top").comparison;
  assert.equal(bar.verdict, "not_enough_data");
  assert.equal(effectText(bar, "binomial", L), null);
  assert.equal(evidenceText(bar, L), "–");
  // An absolute effect (the baseline's mean was 0) is marked as such.
  const absolute = { relative: null, absolute: { estimate: 0.5, interval: [0.1, 0.9], chance_to_win: 0.97 } };
  assert.equal(effectText(absolute, "value", L), "+0.50 [+0.10, +0.90] (absolute)");
});

test("the suggested winner: the best variation that is better on the primary metric", () => {
  assert.deepEqual(suggestedWinner(reviews), { key: "reviews-first", goal: "add_to_cart" });
  assert.equal(suggestedWinner(fresh), null, "nothing to compare yet");
  // Lower is better: the bigger drop wins; a worse variation never does.
  const inverse = {
    metrics: [{ goal: "bounce", primary: true, inverse: true, variations: [
      { key: "a" },
      { key: "b", comparison: { verdict: "better", relative: { estimate: -0.05, interval: [-0.09, -0.01] } } },
      { key: "c", comparison: { verdict: "better", relative: { estimate: -0.12, interval: [-0.2, -0.04] } } },
      { key: "d", comparison: { verdict: "worse", relative: { estimate: 0.3, interval: [0.1, 0.5] } } },
    ] }],
  };
  assert.equal(suggestedWinner(inverse).key, "c");
});

test("the effect chart's scale holds 0 and every interval, with round ticks", () => {
  const intervals = metric(reviews, "add_to_cart").variations.slice(1).map((v) => v.comparison.relative.interval);
  const s = effectScale(intervals);
  assert.ok(s.min <= 0 && s.max >= intervals[0][1], JSON.stringify(s));
  assert.ok(s.ticks.includes(0));
  const steps = s.ticks.slice(1).map((t, i) => +(t - s.ticks[i]).toFixed(9));
  assert.equal(new Set(steps).size, 1, "evenly spaced");
  assert.ok([0.05, 0.1, 0.2].includes(steps[0]), `a round step: ${steps[0]}`);
  // Only negative effects: 0 is still on the scale.
  const neg = effectScale([[-0.082, -0.001]]);
  assert.ok(neg.max >= 0 && neg.min <= -0.082);
  // Nothing to draw.
  assert.deepEqual(effectScale([null, undefined]).ticks.includes(0), true);
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
});

test("users over time: days in order, one series per variation, bad days dropped", () => {
  const d = dailyUsers([
    { day: "2026-12-02", users: [5, 6] },
    { day: "2026-12-01", users: [3, 4] },
    { day: "not a day", users: [1, 1] },
    { day: "2026-12-03", users: [1] },
  ], 2);
  assert.deepEqual(d.days, ["2026-12-01", "2026-12-02"]);
  assert.deepEqual(d.x, [Date.UTC(2026, 11, 1) / 1000, Date.UTC(2026, 11, 2) / 1000]);
  assert.deepEqual(d.series, [[3, 5], [4, 6]]);
  const all = dailyUsers(reviews.days, 2);
  assert.equal(all.x.length, 14);
  assert.equal(all.series[0].reduce((a, b) => a + b, 0), 6212, "the days add up to the control's users");
  assert.equal(all.series[1].reduce((a, b) => a + b, 0), 6158);
});

test("routes: #/results/<experiment>", () => {
  assert.equal(resultsHref("hero cta"), "#/results/hero%20cta");
  assert.equal(experimentInHash("#/results/hero%20cta"), "hero cta");
  assert.equal(experimentInHash("#/results/checkout-trust-badge"), "checkout-trust-badge");
  assert.equal(experimentInHash("#/overview"), "");
});

const DEMO = withDemoExperiments();

test("ship the winner: the experiment stopped with its winner, nothing else changed, and it validates", () => {
  const out = shipWinner(DEMO, "product-reviews-first", "reviews-first");
  const doc = JSON.parse(out);
  const x = doc.experiments.find((e) => e.id === "product-reviews-first");
  assert.equal(x.status, "stopped");
  assert.equal(x.winner, "reviews-first");
  // The rest of the document is as it was, line for line: two lines added after the id.
  const before = DEMO.split("\n");
  const after = out.split("\n");
  assert.equal(after.length, before.length + 2);
  const at = after.findIndex((l) => l.includes('"id": "product-reviews-first"'));
  assert.deepEqual(after.slice(at + 1, at + 3), ['      "status": "stopped",', '      "winner": "reviews-first",']);
  assert.deepEqual([...after.slice(0, at + 1), ...after.slice(at + 3)], before);
  assert.deepEqual(validate(out), [], "the mock's validator accepts it");
  assert.deepEqual(doc.experiments.filter((e) => e.id !== "product-reviews-first"), JSON.parse(DEMO).experiments.filter((e) => e.id !== "product-reviews-first"));
});

test("ship the winner: an existing status and winner are replaced in place, compact objects stay compact", () => {
  const text = '{"experiments": [{"id": "a", "status": "running", "variations": [{"id": "x"}, {"id": "y"}]}]}';
  assert.equal(shipWinner(text, "a", "y"), '{"experiments": [{"id": "a", "winner": "y", "status": "stopped", "variations": [{"id": "x"}, {"id": "y"}]}]}');
  const stopped = '{"experiments": [{"id": "a", "status": "stopped", "winner": "x", "variations": [{"id": "x"}, {"id": "y"}]}]}';
  assert.equal(shipWinner(stopped, "a", "y"), stopped.replace('"winner": "x"', '"winner": "y"'));
  // The control may be shipped too (stop, and everyone keeps the page as it was).
  assert.equal(JSON.parse(shipWinner(text, "a", "x")).experiments[0].winner, "x");
});

test("ship the winner: refused, with a reason, when it cannot be done", () => {
  assert.throws(() => shipWinner("{ not json", "a", "x"), (e) => e instanceof ShipError && /not valid JSON/.test(e.message));
  assert.throws(() => shipWinner(DEMO, "gone", "x"), /no experiment "gone"/);
  assert.throws(() => shipWinner(DEMO, "product-reviews-first", "nope"), /no variation "nope"/);
});

test("the mock's validator knows a winner needs a stopped experiment and one of its variations", () => {
  const doc = JSON.parse(DEMO);
  const i = doc.experiments.findIndex((x) => x.id === "product-reviews-first");
  doc.experiments[i].winner = "reviews-first";
  assert.deepEqual(validate(JSON.stringify(doc)).map((p) => p.path), [`$.experiments[${i}].winner`]);
  doc.experiments[i].status = "stopped";
  assert.deepEqual(validate(JSON.stringify(doc)), []);
  doc.experiments[i].winner = "nope";
  assert.match(validate(JSON.stringify(doc))[0].message, /one of the variations/);
});

test("the editor's link: which experiment a position is in", () => {
  const tree = parser.parse(DEMO);
  const inside = DEMO.indexOf('"reviews-first"');
  assert.equal(experimentAt(tree, DEMO, inside), "product-reviews-first");
  assert.equal(experimentAt(tree, DEMO, DEMO.indexOf('"badge"', DEMO.indexOf('"id": "checkout-trust-badge"'))), "checkout-trust-badge");
  assert.equal(experimentAt(tree, DEMO, DEMO.indexOf("black-friday-bar")), null, "a rule is no experiment");
  assert.equal(experimentAt(tree, DEMO, 0), null);
});

test("the mock's results API: stored results per engine, counts, 404 and 400, and an experiment nobody saw", () => {
  const q = (s) => new URLSearchParams(s);
  assert.deepEqual(resultsAnswer(DEMO, "product-reviews-first", q("")), { status: 200, body: reviews });
  assert.deepEqual(resultsAnswer(DEMO, "product-reviews-first", q("engine=frequentist")).body, reviewsF);
  assert.deepEqual(resultsAnswer(DEMO, "checkout-trust-badge", q("")).body.srm.status, "warning");
  assert.equal(srm.srm.status, "warning");
  assert.equal(resultsAnswer(DEMO, "product-reviews-first", q("format=counts")).body.metrics.length, 4);
  assert.equal(resultsAnswer(DEMO, "product-reviews-first", q("engine=magic")).status, 400);
  assert.equal(resultsAnswer(DEMO, "nope", q("")).status, 404);
  // In the document but without stored results: 0 users, as the worker answers before any visit.
  const doc = JSON.parse(DEMO);
  doc.experiments.push({ id: "brand-new", variations: [{ id: "a" }, { id: "b" }] });
  const empty = resultsAnswer(JSON.stringify(doc), "brand-new", q("engine=frequentist"));
  assert.equal(empty.status, 200);
  assert.deepEqual(empty.body.variations, [{ key: "a", users: 0 }, { key: "b", users: 0 }]);
  assert.equal(empty.body.options.engine, "frequentist");
  assert.deepEqual(DEMO_EXPERIMENTS.map((x) => x.id), ["product-reviews-first", "checkout-trust-badge", "free-shipping-bar"]);
});
