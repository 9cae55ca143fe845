// The commerce forms as a merchandiser uses them, end to end: headless Chromium signs in to the
// real worker (workerd, local KV, D1, the publisher Durable Object), defines the shop's product
// grid, pins one product to the top of the category grid and hides another with the
// Merchandising form, sends the search "gift card" to the gift card page with the Search terms
// form, publishes, and a visitor (a request straight to the worker, and the page rendered in
// Chromium without a console cookie) gets each change; the search redirect is answered before
// the origin is asked.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { startStorefront } from "../../fixtures/storefront/server.mjs";
import { BROWSER_UA, ROOT, launchChromium, startOrigin, startVeneer, signedInConsole } from "./harness.mjs";

const CHROMIUM = "/usr/bin/chromium";
const TOKEN = "console-commerce-token";
const LIVE = JSON.stringify({ version: 1, rules: [] }, null, 2);
/**
 * How long the worker keeps published rules in the isolate's memory (RULES_CACHE_SECONDS). A
 * search redirect is answered before the origin is fetched only from rules in memory; a publish
 * reaches this isolate once what it holds is older than this.
 */
const MEMORY_SECONDS = 3;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let shop;
let origin;
let veneer;
let browser;
let context;
let page;
/** The paths the origin was asked for, in order (the storefront behind a counting proxy). */
const asked = [];
const errors = [];

before(async () => {
  assert.ok(existsSync(CHROMIUM), "Chromium is missing: `make test` installs it (apt-get install chromium)");
  assert.ok(existsSync(`${ROOT}console/dist/__veneer/app.js`), "the console UI is not built: run `npm run build:console`");
  shop = await startStorefront({ port: 0 });
  const target = new URL(shop.url);
  origin = await startOrigin((req, res) => {
    asked.push(req.url);
    const upstream = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    upstream.on("error", () => { res.writeHead(502); res.end(); });
    req.pipe(upstream);
  });
  veneer = await startVeneer({
    origin: origin.url,
    rules: LIVE,
    vars: { VENEER_SECRET: "console-commerce-secret", VENEER_ADMIN_TOKEN: TOKEN, RULES_CACHE_SECONDS: String(MEMORY_SECONDS) },
    listen: true,
  });
  browser = await launchChromium();
  ({ context, page } = await signedInConsole(browser, veneer.url, { token: TOKEN, name: "Mina Merchandiser", errors }));
});
after(async () => {
  await context?.close();
  await browser?.close();
  await veneer?.close();
  await origin?.close();
  await shop?.close();
});

/** The product keys of a page's grid, in order. */
const grid = (html) => [...html.matchAll(/<li class="product-tile[^"]*" data-sku="([^"]+)"/g)].map((m) => m[1]);

async function publish(message) {
  await page.locator("#nav-editor").click();
  await page.locator("[data-testid=editor] .cm-content").waitFor();
  await page.locator("button[name=publish]").click();
  await page.locator("#publish-message").fill(message);
  await page.locator("button[name=publish-confirm]").click();
  await page.locator("[data-testid=notice]").filter({ hasText: /Published revision/ }).waitFor();
  await sleep(MEMORY_SECONDS * 1000 + 100); // what this isolate held before the publish is stale now
}

async function saved(id) {
  await page.locator("[data-testid=forms-status]").filter({ hasText: `rule ${id}.` }).waitFor();
}

test("pin a product to the top of the category grid and hide another, with the Merchandising form", async () => {
  const origin = grid(await (await veneer.fetch("/c/shoes", { headers: { "user-agent": BROWSER_UA } })).text());
  assert.ok(origin.indexOf("TR-2210") > 0 && origin.includes("TR-2041"), `the shop's own order: ${origin}`);
  await page.locator("#nav-forms").click();
  await page.locator("button[name=task-merch]").click();
  // The shop has no listing yet: the form asks how its pages show products.
  await page.locator("[data-testid=merch-define-listing]:not([hidden])").waitFor();
  await page.locator("#merch-def-container").fill("ul.product-grid");
  await page.locator("#merch-def-tile").fill(".product-tile");
  assert.equal(await page.locator("#merch-def-key").inputValue(), "data-sku");
  await page.locator("#merch-id").fill("winter-first");
  assert.equal(await page.locator("#merch-pages").inputValue(), "/c/*");
  await page.locator("button[name=merch-add-product]").click();
  await page.locator("#merch-row-0-sku").fill("TR-2210");
  await page.locator("#merch-row-0-pin").fill("1");
  await page.locator("button[name=merch-add-product]").click();
  await page.locator("#merch-row-1-sku").fill("TR-2041");
  await page.locator("#merch-row-1-hide").check();
  await page.locator("button[name=merch-save]").click();
  await saved("winter-first");
  const draft = JSON.parse(await veneer.kv.get("rules:draft"));
  assert.deepEqual(draft.settings.listings.grid, { container: "ul.product-grid", tile: ".product-tile", key: { attribute: "data-sku" } });
  await sleep(MEMORY_SECONDS * 1000 + 100); // nothing held in memory hides the draft either way
  assert.deepEqual(grid(await (await veneer.fetch("/c/shoes", { headers: { "user-agent": BROWSER_UA } })).text()), origin, "a draft is not live");

  await publish("Winter shoes first");
  const served = grid(await (await veneer.fetch("/c/shoes", { headers: { "user-agent": BROWSER_UA } })).text());
  assert.equal(served[0], "TR-2210", `pinned first: ${served}`);
  assert.ok(!served.includes("TR-2041"), `hidden: ${served}`);
  assert.deepEqual(served.slice().sort(), origin.filter((s) => s !== "TR-2041").sort(), "every other product stays");

  // The page as a visitor's browser renders it (no console cookie: the live rules).
  const visitor = await browser.newContext();
  try {
    const tab = await visitor.newPage();
    await tab.goto(new URL("/c/shoes", veneer.url).href);
    const shown = await tab.locator("ul.product-grid .product-tile").evaluateAll((tiles) => tiles.map((t) => t.dataset.sku));
    assert.equal(shown[0], "TR-2210");
    assert.ok(!shown.includes("TR-2041"));
    assert.equal(shown.length, origin.length - 1);
  } finally {
    await visitor.close();
  }

  // The rule loads back into the form.
  await page.locator("#nav-forms").click();
  await page.locator("button[name=task-merch]").click();
  await page.locator("#merch-open").selectOption("winter-first");
  assert.equal(await page.locator("#merch-row-0-sku").inputValue(), "TR-2210");
  assert.equal(await page.locator("#merch-row-0-pin").inputValue(), "1");
  assert.ok(await page.locator("#merch-row-1-hide").isChecked());
  assert.equal(await page.locator("#merch-listing").inputValue(), "grid");
});

test("send the search \"gift card\" to a landing page: answered before the origin is fetched", async () => {
  await page.locator("#nav-forms").click();
  await page.locator("button[name=task-search]").click();
  await page.locator("#search-open").selectOption("");
  await page.locator("#search-id").fill("gift-card-search");
  assert.equal(await page.locator("#search-pages").inputValue(), "/search");
  await page.locator("#search-match").selectOption("is");
  await page.locator("#search-terms").fill("gift card, gift cards");
  await page.locator("input[name=search-mode][value=redirect]").check();
  await page.locator("#search-redirect-to").fill("/p/gift-card");
  await page.locator("button[name=search-save]").click();
  await saved("gift-card-search");
  await publish("Gift card searches to the gift card page");

  await (await veneer.fetch("/", { headers: { "user-agent": BROWSER_UA } })).text(); // the rules in the isolate's memory
  const before = asked.length; // within MEMORY_SECONDS of that load
  const response = await veneer.fetch("/search?q=Gift+Cards", { headers: { "user-agent": BROWSER_UA }, redirect: "manual" });
  assert.equal(response.status, 302);
  assert.equal(response.headers.get("location"), "/p/gift-card");
  await response.text();
  assert.deepEqual(asked.slice(before), [], "the origin was not asked");
  const other = await veneer.fetch("/search?q=gift+card+wrapping", { headers: { "user-agent": BROWSER_UA }, redirect: "manual" });
  assert.equal(other.status, 200, "`is` matches the whole search only");
  await other.text();
  assert.deepEqual(errors, []);
});
