// The merchandised category page in a real browser (Chromium through the worker in workerd):
// the pinned product is first in the rendered grid, the hidden one is gone, the badge shows,
// and the banner's countdown ticks in the visitor's browser.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startStorefront } from "../../fixtures/storefront/server.mjs";
import { DEMO_RULES, launchChromium, startVeneer } from "./harness.mjs";

let shop;
let veneer;
let browser;
before(async () => {
  shop = await startStorefront({ port: 0 });
  veneer = await startVeneer({ origin: shop.url, rules: DEMO_RULES, listen: true });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await veneer?.close();
  await shop?.close();
});

test("pinned first, hidden gone, badge visible, countdown ticking, no console errors", async () => {
  const context = await browser.newContext({ timezoneId: "America/New_York" });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  await page.goto(new URL("/c/shoes", veneer.url).href);
  const skus = await page.locator("ul.product-grid > li").evaluateAll((tiles) => tiles.map((t) => t.dataset.sku ?? "promo"));
  assert.equal(skus[0], "TR-2102", `pinned first: ${skus}`);
  assert.ok(!skus.includes("TR-2210"), "the hidden product is gone");
  assert.equal(skus[3], "promo");
  const badge = page.locator('[data-sku="TR-1955"] .badge-sale');
  assert.ok(await badge.isVisible(), "the sale badge is visible");
  assert.equal(await badge.textContent(), "Sale");
  assert.equal(await page.locator('[data-sku="TR-1955"] .veneer-was').innerText(), "€139.00");
  const countdown = page.locator("time.veneer-countdown");
  assert.ok(await countdown.isVisible());
  const first = await countdown.innerText();
  assert.match(first, /^ends in \d+d \d\d:\d\d:\d\d$/);
  await page.waitForFunction((before) => document.querySelector("time.veneer-countdown").textContent !== before, first, { timeout: 3000 });
  const left = Number(await countdown.getAttribute("data-veneer-left"));
  const expected = Math.floor((Date.parse("2027-01-31T23:59:00+01:00") - Date.now()) / 1000);
  assert.ok(Math.abs(left - expected) <= 3, `${left} seconds left, expected about ${expected}`);
  // The end time in the visitor's own timezone (New York: 17:59 on 31 January).
  assert.match(await countdown.getAttribute("title"), /1\/31\/2027, 5:59:00\sPM/);
  assert.deepEqual(problems, []);
  await context.close();
});
