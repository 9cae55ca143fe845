// An experiment's results page end to end (issue 11): visitors with given ids reach the real
// worker (workerd, local D1), some of them convert (a page-view goal, a server goal posted
// with the admin token); then headless Chromium signs in to the console, opens the
// experiment's results from the overview and sees exactly D1's users and conversions in the
// table, the effect chart and users over time, switches the engine, and ships the winner as a
// draft that the edge's own validator accepts and that is not live until published.
//
// Needs the recording and the results API (the `analytics` branch: goals, metrics,
// migrations/0002, GET api/results/<experiment>?engine=) and the built console UI; without
// goals in the rules schema it is skipped and says why.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { startStorefront } from "../../fixtures/storefront/server.mjs";
import { ROOT, launchChromium, startVeneer } from "./harness.mjs";

const CHROMIUM = "/usr/bin/chromium";
const TOKEN = "results-browser-token-0123456789";
const RULES = {
  version: "results-1",
  goals: {
    cart_view: { type: "page_view", pages: ["/cart"] },
    order: { type: "server", description: "orders with revenue, posted by the shop's backend" },
  },
  experiments: [{
    id: "hero-copy",
    description: "A shorter headline",
    pages: ["/"],
    variations: [
      { id: "control", actions: [] },
      { id: "bold", actions: [{ select: ".hero h1", set_text: "Made to last" }] },
    ],
    metrics: { primary: "cart_view", secondary: [{ goal: "order", kind: "value" }] },
  }],
};
const VARIATIONS = ["control", "bold"];
const SCHEMA = JSON.parse(readFileSync(new URL("../../schema/rules.schema.json", import.meta.url), "utf8"));
const SKIP = "goals" in (SCHEMA.properties || {}) ? false : "needs goals, recording and the results API (issue 11's analytics work), which this build lacks";
const VISITORS = 60;

let shop;
let veneer;
let browser;
before(async () => {
  if (SKIP) return;
  assert.ok(existsSync(CHROMIUM), "Chromium is missing: `make test` installs it (apt-get install chromium)");
  assert.ok(existsSync(`${ROOT}console/dist/__veneer/app.js`), "the console UI is not built: run `npm run build:console` (make test does)");
  shop = await startStorefront({ port: 0 });
  veneer = await startVeneer({
    origin: shop.url,
    rules: JSON.stringify(RULES, null, 2),
    vars: { VENEER_SECRET: "results-browser-secret", VENEER_ADMIN_TOKEN: TOKEN },
    listen: true,
  });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await veneer?.close();
  await shop?.close();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const variationOf = (html) => (html.includes("<h1>Made to last</h1>") ? "bold" : html.includes("<h1>Built for the trail</h1>") ? "control" : "?");

/** Rows of a query once `ready(rows)` holds (recording writes after the response), or after 5 s. */
async function rows(sql, params, ready) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const { results } = await veneer.db.prepare(sql).bind(...params).all();
    if (ready(results) || Date.now() > deadline) return results;
    await sleep(25);
  }
}

/** Visitors with given ids: the home page (exposed), then the cart for some, an order for others. */
async function seed() {
  const visitors = [];
  for (let i = 0; i < VISITORS; i++) {
    const id = randomBytes(16).toString("base64url");
    const response = await veneer.fetch("https://shop.test/", { headers: { cookie: `veneer_id=${id}` } });
    const html = await response.text();
    const exp = response.headers.getSetCookie().find((c) => c.startsWith("veneer_exp="));
    visitors.push({ id, variation: variationOf(html), cookie: [`veneer_id=${id}`, ...(exp ? [exp.split(";")[0]] : [])].join("; ") });
  }
  const ids = visitors.map((v) => v.id);
  const exposed = await rows(`SELECT visitor, variation FROM exposures WHERE experiment = 'hero-copy' AND visitor IN (${ids.map(() => "?").join(",")})`, ids, (r) => r.length >= ids.length);
  assert.equal(exposed.length, VISITORS, "every visitor is exposed");
  // Bold converts more: every second bold visitor views the cart, every fourth control one.
  const converted = visitors.filter((v, i) => (v.variation === "bold" ? i % 2 === 0 : i % 4 === 0));
  for (const v of converted) await veneer.fetch("https://shop.test/cart", { headers: { cookie: v.cookie } }).then((r) => r.text());
  const buyers = converted.slice(0, 6);
  for (const [i, v] of buyers.entries()) {
    const posted = await veneer.fetch("https://shop.test/__veneer/api/conversions", {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, origin: "https://shop.test", "content-type": "application/json" },
      body: JSON.stringify({ goal: "order", visitor: v.id, value: 40 + 10 * i }),
    });
    assert.equal(posted.status, 200, await posted.text());
  }
  await rows(`SELECT visitor FROM conversions WHERE experiment = 'hero-copy' AND goal = 'cart_view'`, [], (r) => r.length >= converted.length);
  await rows(`SELECT visitor FROM conversions WHERE experiment = 'hero-copy' AND goal = 'order'`, [], (r) => r.length >= buyers.length);
  return { visitors, converted, buyers };
}

test("a marketer reads the recorded results in the console and ships the winner as a draft", { skip: SKIP }, async (t) => {
  const { visitors, converted } = await seed();
  const users = VARIATIONS.map((v) => visitors.filter((x) => x.variation === v).length);
  const carts = VARIATIONS.map((v) => converted.filter((x) => x.variation === v).length);
  assert.ok(users.every((n) => n > 5), `both variations got visitors: ${users}`);
  const context = await browser.newContext({ locale: "en-GB" });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  const cells = (goal, variation) => page.locator(`[data-testid=results-metric][data-goal=${goal}] tr[data-variation=${variation}] td`).allTextContents();
  try {
    await t.test("sign in, and the overview links the experiment to its results", async () => {
      await page.goto(new URL("/__veneer/", veneer.url).href);
      await page.locator("#signin-token").fill(TOKEN);
      await page.locator("#signin-name").fill("Mara Marketer");
      await page.locator("button[name=signin]").click();
      await page.locator("[data-testid=overview-experiments] tr[data-id=hero-copy] a[data-testid=results-link]").click();
      await page.locator("[data-testid=results][data-state=ready]").waitFor();
    });

    await t.test("the table shows D1's users and conversions per variation", async () => {
      const summary = page.locator("[data-testid=results-summary]");
      assert.equal(await summary.getAttribute("data-users"), String(VISITORS));
      assert.equal(await summary.getAttribute("data-engine"), "bayesian");
      for (const [i, key] of VARIATIONS.entries()) {
        const row = await cells("cart_view", key);
        assert.equal(row[0], String(users[i]), `${key} users`);
        assert.equal(row[1], String(carts[i]), `${key} cart views`);
        assert.ok(Math.abs(parseFloat(row[2]) - (carts[i] / users[i]) * 100) < 0.006, `${key} rate: ${row[2]}`);
      }
      const bold = await cells("cart_view", "bold");
      assert.match(bold[3], /^[+-]?\d+\.\d% \[[+-]?\d+\.\d%, [+-]?\d+\.\d%\]$/, `an effect with its interval: ${bold[3]}`);
      assert.match(bold[4], /^\d+\.\d%$/, "a chance to win");
      assert.equal(await page.locator("[data-testid=results-metric]").count(), 2, "cart_view and order");
    });

    await t.test("the charts: the effect with its interval, and users over time", async () => {
      assert.equal(await page.locator("svg[data-testid=effect-chart][data-goal=cart_view] [data-testid=effect-bar]").count(), 1);
      const chart = page.locator("[data-testid=users-chart][data-drawn=true]");
      await chart.waitFor();
      assert.equal(await chart.getAttribute("data-series"), "2");
      assert.equal(await chart.getAttribute("data-days"), "1", "everyone came today");
    });

    await t.test("the engine switch gets frequentist results from the worker", async () => {
      await page.locator("label[for=results-engine-frequentist]").click();
      await page.locator("[data-testid=results-summary][data-engine=frequentist]").waitFor();
      assert.match(await page.locator("[data-testid=results-metric][data-goal=cart_view] thead").textContent(), /p-value/);
      assert.equal(await page.locator("[data-testid=results-engine-note]").isVisible(), false, "the worker applied ?engine=");
    });

    await t.test("stop and ship the winner: a draft the edge accepts, not live until published", async () => {
      await page.locator("button[name=ship-winner]").click();
      await page.locator("[data-testid=ship-dialog] input[name=ship-variation][value=bold]").check();
      await page.locator("button[name=ship-confirm]").click();
      await page.locator("[data-testid=ship-done][data-winner=bold]").waitFor();
      const draft = await veneer.kv.get("rules:draft");
      const x = JSON.parse(draft).experiments[0];
      assert.deepEqual([x.id, x.status, x.winner], ["hero-copy", "stopped", "bold"]);
      const checked = await veneer.fetch("https://shop.test/__veneer/api/validate", {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, origin: "https://shop.test", "content-type": "application/json" },
        body: JSON.stringify({ document: draft }),
      });
      assert.deepEqual(await checked.json(), { problems: [] });
      assert.equal(JSON.parse(await veneer.kv.get("rules")).experiments[0].status, undefined, "the live rules still run the experiment");
      await page.locator("[data-testid=ship-done] a").click();
      await page.locator("[data-testid=problems-state]").filter({ hasText: "No problems" }).waitFor();
    });

    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
