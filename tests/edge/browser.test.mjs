// A real visitor's view: headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) loads the demo storefront through the worker running in workerd.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { startStorefront } from "../../fixtures/storefront/server.mjs";
import { ROOT, launchChromium, startVeneer } from "./harness.mjs";

const CHROMIUM = "/usr/bin/chromium";
const SECRET = "browser-test-secret";
const RULES = {
  version: 1,
  rules: [{ id: "bar", actions: [{ select: ".promo-bar p", set_html: "<strong>Black Friday:</strong> 30% off" }] }],
  experiments: [{
    id: "hero-copy", pages: ["/"],
    variations: [
      { id: "control", actions: [] },
      { id: "bold", actions: [{ select: ".hero h1", set_text: "Made to last" }] },
      { id: "calm", actions: [{ select: ".hero h1", set_text: "Quiet miles" }] },
    ],
  }],
};

let shop;
let veneer;
let browser;
before(async () => {
  assert.ok(existsSync(CHROMIUM), "Chromium is missing: `make test` installs it (apt-get install chromium)");
  shop = await startStorefront({ port: 0 });
  veneer = await startVeneer({ origin: shop.url, rules: JSON.stringify(RULES), vars: { VENEER_SECRET: SECRET }, listen: true });
  await veneer.kv.put("rules:draft", JSON.stringify({ ...RULES, rules: [{ id: "draft", actions: [{ select: ".promo-bar p", set_text: "Draft promo" }] }] }));
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await veneer?.close();
  await shop?.close();
});

/** A fresh visitor (own cookie jar) that records every console error and failed request. */
async function visitor() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`failed: ${r.url()}`));
  page.on("response", (r) => r.status() >= 400 && problems.push(`${r.status()}: ${r.url()}`));
  return { context, page, problems };
}

test("a visitor keeps the same variation across reloads, with no console errors", async () => {
  const { context, page, problems } = await visitor();
  await page.goto(veneer.url);
  const heading = await page.locator(".hero h1").textContent();
  assert.ok(["Built for the trail", "Made to last", "Quiet miles"].includes(heading), heading);
  assert.equal(await page.locator(".promo-bar p").innerText(), "Black Friday: 30% off");
  assert.equal(await page.evaluate(() => document.documentElement.dataset.js), "1", "the page's own script ran");
  for (let i = 0; i < 5; i++) {
    await page.reload();
    assert.equal(await page.locator(".hero h1").textContent(), heading, `reload ${i + 1}`);
  }
  const cookies = await context.cookies();
  assert.ok(cookies.some((c) => c.name === "veneer_id"));
  assert.equal(await page.locator("#veneer-preview-badge").count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test("the preview badge appears only in preview, and its link ends the preview", async () => {
  const token = execFileSync(`${ROOT}target/debug/veneer`, ["preview-token", "--secret", SECRET, "--ttl", "10m"], { encoding: "utf8" }).trim();
  const marketer = await visitor();
  const shopper = await visitor();
  await marketer.page.goto(`${veneer.url}?veneer_preview=${token}`);
  await shopper.page.goto(veneer.url);
  assert.ok(await marketer.page.locator("#veneer-preview-badge").isVisible());
  assert.equal(await marketer.page.locator(".promo-bar p").innerText(), "Draft promo");
  assert.equal(await shopper.page.locator("#veneer-preview-badge").count(), 0);
  assert.equal(await shopper.page.locator(".promo-bar p").innerText(), "Black Friday: 30% off");
  // The preview follows the marketer to other pages (cookie), then the badge's link ends it.
  await marketer.page.goto(`${veneer.url}c/shoes`);
  assert.ok(await marketer.page.locator("#veneer-preview-badge").isVisible());
  await marketer.page.locator("#veneer-preview-badge a").click();
  await marketer.page.waitForLoadState();
  assert.equal(await marketer.page.locator("#veneer-preview-badge").count(), 0);
  assert.equal(await marketer.page.locator(".promo-bar p").innerText(), "Black Friday: 30% off");
  assert.deepEqual(marketer.problems, []);
  assert.deepEqual(shopper.problems, []);
  await marketer.context.close();
  await shopper.context.close();
});
