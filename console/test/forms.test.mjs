// The visual editor's and task forms' document model, without a browser: every example
// document of fixtures/rules/ read into the forms and written back is the same JSON, byte for
// byte; edits through the forms write the documented shapes and keep everything else.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import {
  clausesToCondition, conditionToClauses, evenWeights, experimentToForm, formToExperiment, formToRule, formToSchedule,
  patch, putGoal, putRule, roundTrip, withPrimaryGoal, ruleToForm, scheduleToForm, setClause, setListClause, zonedTime, zoneOffset,
} from "../src/forms-model.js";
import { commerceRoundTrip, formToMerch, formToSearch, hasMerch, merchToForm, putListing, redirectAction, searchToForm } from "../src/merch-model.js";
import { actionsOnPage, addAction, buildAction, freshRuleId, onPage, proposePages, targets } from "../src/draft-model.js";

const DIR = new URL("../../fixtures/rules/", import.meta.url);
const FIXTURES = readdirSync(DIR).filter((f) => f.endsWith(".json"));

test("there are example documents to round-trip", () => {
  assert.ok(FIXTURES.length >= 4, FIXTURES.join(", "));
});

for (const file of FIXTURES) {
  const text = readFileSync(new URL(file, DIR), "utf8");
  const doc = JSON.parse(text);
  test(`${file}: the forms read and write it back unchanged`, () => {
    assert.equal(JSON.stringify(roundTrip(doc), null, 2), JSON.stringify(doc, null, 2));
    for (const rule of doc.rules || []) {
      assert.equal(JSON.stringify(formToRule(ruleToForm(rule))), JSON.stringify(rule), `rule ${rule.id}`);
      if (rule.schedule) assert.equal(JSON.stringify(formToSchedule(scheduleToForm(rule.schedule))), JSON.stringify(rule.schedule));
      if (rule.audience !== undefined) assert.equal(JSON.stringify(clausesToCondition(conditionToClauses(rule.audience))), JSON.stringify(rule.audience));
    }
    for (const x of doc.experiments || []) assert.equal(JSON.stringify(formToExperiment(experimentToForm(x))), JSON.stringify(x), `experiment ${x.id}`);
    for (const [name, c] of Object.entries(doc.audiences || {})) assert.equal(JSON.stringify(clausesToCondition(conditionToClauses(c))), JSON.stringify(c), `audience ${name}`);
  });
  test(`${file}: the commerce forms read and write every rule back unchanged`, () => {
    for (const rule of doc.rules || []) assert.equal(JSON.stringify(commerceRoundTrip(rule, doc.settings?.listings)), JSON.stringify(rule), `rule ${rule.id}`);
  });
  test(`${file}: an edit through a rule's form changes only what it edits`, () => {
    for (const rule of doc.rules || []) {
      const form = ruleToForm(rule);
      form.pages = ["/changed"];
      const out = formToRule(form);
      assert.deepEqual(out.pages, ["/changed"]);
      assert.deepEqual(Object.keys(out), Object.keys(rule).includes("pages") ? Object.keys(rule) : [...Object.keys(rule), "pages"]);
      const { pages: _a, ...restOut } = out;
      const { pages: _b, ...restIn } = rule;
      assert.deepEqual(restOut, restIn);
    }
  });
}

test("an experiment with unknown fields keeps them through the wizard", () => {
  const x = { id: "hero", status: "draft", future_field: { a: 1 }, variations: [{ id: "control", extra: true }, { id: "b", actions: [{ select: "h1", set_text: "B" }] }] };
  const form = experimentToForm(x);
  const w = evenWeights(2);
  form.variations.forEach((v, i) => { v.weight = w[i]; });
  const out = formToExperiment(form);
  assert.deepEqual(out.future_field, { a: 1 });
  assert.equal(out.variations[0].extra, true);
  assert.deepEqual(out.variations[1].actions, [{ select: "h1", set_text: "B" }]);
  assert.deepEqual(out.variations.map((v) => v.weight), [0.5, 0.5]);
  assert.equal(evenWeights(3).reduce((a, b) => a + b, 0), 1);
});

test("the audience builder writes GrowthBook conditions and keeps what it has no control for", () => {
  const form = conditionToClauses({ "$or": [{ a: 1 }], device: "mobile" });
  setListClause(form.clauses, "country", ["DE"]);
  setListClause(form.clauses, "device", ["mobile", "tablet"]);
  setClause(form.clauses, "returning", { op: "is", value: true });
  setClause(form.clauses, "cookies.consent", { op: "is", value: "all" });
  setClause(form.clauses, "referrer", { op: "regex", value: "instagram\\.com" });
  assert.equal(JSON.stringify(clausesToCondition(form)),
    JSON.stringify({ "$or": [{ a: 1 }], device: { $in: ["mobile", "tablet"] }, country: "DE", returning: true, "cookies.consent": "all", referrer: { $regex: "instagram\\.com" } }));
  // A list of one stays a list when it was one.
  const kept = conditionToClauses({ country: { $in: ["DE", "AT"] } });
  setListClause(kept.clauses, "country", ["DE"]);
  assert.deepEqual(clausesToCondition(kept), { country: { $in: ["DE"] } });
  assert.equal(clausesToCondition(conditionToClauses("dach")), "dach");
});

test("schedules: a wall-clock time in a time zone gets that zone's offset then", () => {
  assert.equal(zonedTime("2026-12-24T08:00", "Europe/Berlin"), "2026-12-24T08:00:00+01:00");
  assert.equal(zonedTime("2026-07-01T08:00", "Europe/Berlin"), "2026-07-01T08:00:00+02:00");
  assert.equal(zonedTime("2026-07-01T08:00", "America/New_York"), "2026-07-01T08:00:00-04:00");
  assert.equal(zoneOffset("Asia/Kolkata", new Date("2026-01-01T00:00:00Z")), "+05:30");
  const form = scheduleToForm({ start: "2026-11-27T00:00:00+01:00", note: "kept" });
  form.end = { local: "2026-12-01T00:00", zone: "Europe/Berlin" };
  form.windows = [{ days: ["sat"], from: "09:00", to: "18:00", utc_offset: "+01:00" }];
  assert.equal(JSON.stringify(formToSchedule(form)), JSON.stringify({ start: "2026-11-27T00:00:00+01:00", note: "kept", end: "2026-12-01T00:00:00+01:00", windows: [{ days: ["sat"], from: "09:00", to: "18:00", utc_offset: "+01:00" }] }));
});

test("patch keeps key order, removes keys set to undefined, appends new ones", () => {
  assert.equal(JSON.stringify(patch({ a: 1, b: 2, c: 3 }, { b: undefined, a: 9, d: 4 })), '{"a":9,"c":3,"d":4}');
});

test("visual changes become actions of the documented operations, in a new rule, a rule or a variation", () => {
  assert.deepEqual(buildAction("set_text", "h1", { text: "Hi" }), { select: "h1", set_text: "Hi" });
  assert.deepEqual(buildAction("image", "img", { src: "/a.png", alt: "A" }), { select: "img", set_attribute: { src: "/a.png", alt: "A" } });
  assert.deepEqual(buildAction("link", "a.cta", { href: "/sale" }), { select: "a.cta", set_attribute: { href: "/sale" } });
  assert.deepEqual(buildAction("remove", ".promo-bar", {}), { select: ".promo-bar", remove: true });
  assert.deepEqual(buildAction("badge", "[data-sku=\"A\"]", { text: "<New>" }), { select: "[data-sku=\"A\"]", append: '<span class="badge">&lt;New&gt;</span>' });
  assert.deepEqual(buildAction("insert_before", "main", { text: "Sale", href: "/s" }), { select: "main", insert_before: '<div class="veneer-banner" role="note"><a href="/s">Sale</a></div>' });
  assert.deepEqual(buildAction("add_class", "h1", { classes: "a b" }), { select: "h1", add_class: ["a", "b"] });
  assert.deepEqual(buildAction("remove_class", "h1", { classes: "a" }), { select: "h1", remove_class: "a" });
  assert.deepEqual(buildAction("set_style", "h1", { property: "color", value: "red" }), { select: "h1", set_style: { color: "red" } });

  const doc = { version: 1, rules: [{ id: "a", pages: ["/"], actions: [] }], experiments: [{ id: "x", pages: ["/p/*"], variations: [{ id: "control" }, { id: "b" }] }] };
  const one = addAction(doc, { kind: "new", id: freshRuleId(doc, "a"), pages: proposePages("/p/trail-runner-2").slice(0, 1) }, { select: "h1", set_text: "T" });
  assert.equal(one.pointer, "/rules/1/actions/0");
  assert.deepEqual(one.doc.rules[1], { id: "a-2", pages: ["/p/trail-runner-2"], actions: [{ select: "h1", set_text: "T" }] });
  const two = addAction(one.doc, targets(one.doc).find((t) => t.key === "variation:x:b"), { select: "h1", remove: true });
  assert.equal(two.pointer, "/experiments/0/variations/1/actions/0");
  assert.equal(doc.rules.length, 1, "the input is not changed");
  assert.deepEqual(proposePages("/p/trail-runner-2"), ["/p/trail-runner-2", "/p/*", "*"]);
  assert.deepEqual(proposePages("/"), ["/", "*"]);
  assert.ok(onPage(["/c/*"], "/c/shoes") && !onPage(["/c/*"], "/c") && onPage(undefined, "/x"));
  const list = actionsOnPage(two.doc, "/p/trail-runner-2");
  assert.deepEqual(list.map((c) => c.pointer), ["/rules/1/actions/0", "/experiments/0/variations/1/actions/0"]);
  assert.equal(list[1].running, true);
  assert.deepEqual(putRule(doc, { id: "a", actions: [] }).rules, [{ id: "a", actions: [] }]);
});

test("the wizard's goal part writes docs/rules.md's goals and metrics, keeping the rest", () => {
  const x = { id: "hero", variations: [{ id: "a" }, { id: "b" }], metrics: { primary: { goal: "purchase", kind: "binomial" }, secondary: ["cta_click", "order"] } };
  const form = experimentToForm(x);
  assert.equal(JSON.stringify(formToExperiment(form)), JSON.stringify(x), "metrics round-trip");
  form.metrics = withPrimaryGoal(form.metrics, "order");
  assert.deepEqual(formToExperiment(form).metrics, { primary: { goal: "order", kind: "binomial" }, secondary: ["cta_click"] });
  assert.deepEqual(withPrimaryGoal(undefined, "purchase"), { primary: "purchase" });
  assert.equal(withPrimaryGoal({ primary: "purchase" }, ""), undefined);
  const doc = putGoal({ version: 1, goals: { a: { type: "custom" } } }, "cta_click", { type: "click", select: ".hero a.cta", pages: ["/"] });
  assert.equal(JSON.stringify(doc.goals), JSON.stringify({ a: { type: "custom" }, cta_click: { type: "click", select: ".hero a.cta", pages: ["/"] } }));
});

const DEMO = JSON.parse(readFileSync(new URL("demo.json", DIR), "utf8"));

test("demo.json's commerce rules load into the merchandising form and save back unchanged", () => {
  const rule = DEMO.rules.find((r) => r.id === "shoes-merchandising");
  const form = merchToForm(rule.actions, DEMO.settings.listings);
  assert.equal(form.listing, "grid");
  assert.deepEqual(form.rows.map((r) => [r.sku, r.pin, r.hide, r.badge, r.now, r.was]), [
    ["TR-2102", 1, false, false, "", ""], ["TR-2210", null, true, false, "", ""], ["TR-1955", null, false, true, "€119.00", "€139.00"]]);
  assert.equal(form.badgeInto, ".badge-slot");
  assert.equal(form.priceClass, "price-sale");
  assert.equal(JSON.stringify(formToMerch(form)), JSON.stringify(rule.actions));
  const search = DEMO.rules.find((r) => r.id === "search-women-promote");
  assert.deepEqual(searchToForm(search.search), { match: "any_word", terms: ["women", "womens", "damen"], not: ["kids"], original: search.search });
  assert.ok(DEMO.rules.filter(hasMerch).length >= 3);
});

test("the merchandising form writes pin, hide, badge and price the way docs/rules.md shows, keeping the rest", () => {
  const rule = DEMO.rules.find((r) => r.id === "shoes-merchandising");
  const form = merchToForm(rule.actions, DEMO.settings.listings);
  form.rows.push({ sku: "TR-2041", pin: 2, hide: false, badge: true, now: "", was: "€99.00" });
  form.rows[1].hide = false; // TR-2210 shown again: the hide action goes
  const out = formToMerch(form);
  assert.deepEqual(out.map((a) => Object.keys(a).find((k) => k !== "select")), ["pin", "bury", "insert_tile", "badge", "price", "replace_label"]);
  assert.deepEqual(out[0], { pin: { listing: "grid", products: ["TR-2102", "TR-2041"], at: 1 } });
  assert.deepEqual(out[3].badge.products, ["TR-1955", "TR-2041"]);
  assert.deepEqual(out[4].price.products, { "TR-1955": { now: "€119.00", was: "€139.00" }, "TR-2041": { was: "€99.00" } });
  assert.deepEqual(out[1], rule.actions[2], "the bury the form does not edit is kept");
  // Positions that are not one run are written as positions.
  form.rows[3].pin = 5;
  assert.deepEqual(formToMerch(form)[0].pin, { listing: "grid", positions: { "TR-2102": 1, "TR-2041": 5 } });

  // A new rule, from nothing: each operation in the documented shape, naming the listing.
  const fresh = merchToForm([], { grid: {} });
  fresh.rows = [{ sku: "TR-2210", pin: 1, hide: false, badge: false, now: "€10.00", was: "" }, { sku: "TR-2041", pin: null, hide: true, badge: false, now: "", was: "" }];
  fresh.priceClass = "price-sale";
  assert.deepEqual(formToMerch(fresh), [
    { pin: { listing: "grid", products: ["TR-2210"], at: 1 } },
    { hide: { listing: "grid", products: ["TR-2041"] } },
    { price: { listing: "grid", products: { "TR-2210": { now: "€10.00" } }, class: "price-sale" } },
  ]);
});

test("the search-terms form writes a rule's search and a redirect, keeping what it does not show", () => {
  const form = searchToForm({ contains: "summit", param: "query" });
  assert.deepEqual(formToSearch(form), { contains: "summit", param: "query" }, "a single term stays a string");
  form.match = "is";
  form.terms = ["gift card", "gift cards"];
  form.not = ["wrapping"];
  assert.deepEqual(formToSearch(form), { param: "query", is: ["gift card", "gift cards"], not: ["wrapping"] });
  assert.deepEqual(redirectAction(undefined, "/p/gift-card", 302), { redirect: { to: "/p/gift-card", status: 302 } });
  assert.deepEqual(redirectAction({ redirect: { to: "/a" } }, "/b", 302), { redirect: { to: "/b" } });
  const doc = putListing({ version: 1, settings: { search_param: "q" }, rules: [] }, "grid", { container: "ul.product-grid", tile: ".product-tile", key: { attribute: "data-sku" } });
  assert.equal(JSON.stringify(doc), JSON.stringify({ version: 1, settings: { search_param: "q", listings: { grid: { container: "ul.product-grid", tile: ".product-tile", key: { attribute: "data-sku" } } } }, rules: [] }));
});
