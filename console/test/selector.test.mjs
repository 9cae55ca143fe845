// The visual editor's selector generator (console/src/selector.js) on fixture pages, in Chromium
// (real DOM, real CSS matching): every element of the demo shop's pages gets a selector that
// matches exactly it, the same after a reload; ids, data-* keys and meaningful classes are
// preferred, generated class names never used, positions only as a last resort, and nothing
// the edge refuses while streaming.
//
// Needs /usr/bin/chromium and playwright-core (npm ci).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { buildSync } from "esbuild";
import { chromium } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";
const SHOP = new URL("../../fixtures/storefront/", import.meta.url);
const PAGES = readdirSync(SHOP).filter((f) => f.endsWith(".html"));
const BUNDLE = buildSync({ entryPoints: [new URL("../src/selector.js", import.meta.url).pathname], bundle: true, format: "iife", globalName: "VeneerSelector", write: false }).outputFiles[0].text;

/** A page with generated class names and ids (CSS-in-JS, CSS modules, framework ids). */
const GENERATED = `<!doctype html><html><body>
<div class="css-1x2y3z sc-AxjAm"><section class="Hero_root__a1b2c hero-banner"><h2 class="jsx-123456">Title</h2></section></div>
<div id="react-select-3-input" class="_3xYz1"><span class="css-9f8e7d">a</span><span class="css-9f8e7d">b</span></div>
<ul class="list"><li><a href="/one">One</a></li><li><a href="/two">Two</a></li><li><span>x</span></li><li><span>y</span></li></ul>
</body></html>`;

let browser;
let page;
before(async () => {
  assert.ok(existsSync(CHROMIUM), "Chromium is missing: apt-get install chromium");
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu"] });
  page = await browser.newPage();
});
after(async () => { await browser?.close(); });

/** Loads `html` (without running its scripts' network), adds the generator, proposes for every body element. */
async function proposals(html) {
  await page.setContent(html.replace(/<link[^>]*stylesheet[^>]*>/g, ""), { waitUntil: "domcontentloaded" });
  await page.addScriptTag({ content: BUNDLE });
  return page.evaluate(() => {
    const all = [...document.body.querySelectorAll("*")];
    return all.map((el, i) => {
      const p = window.VeneerSelector.proposeSelector(el, document);
      const matched = [...document.querySelectorAll(p.selector)];
      return { i, tag: el.tagName.toLowerCase(), ...p, exact: matched.length === 1 && matched[0] === el };
    });
  });
}

for (const file of PAGES) {
  const html = readFileSync(new URL(file, SHOP), "utf8");
  test(`${file}: every element gets a selector matching exactly it, the same after a reload`, async () => {
    const first = await proposals(html);
    assert.ok(first.length > 5);
    const notExact = first.filter((p) => !p.exact);
    assert.deepEqual(notExact, [], "every proposal matches its element and only it");
    const again = await proposals(html);
    assert.deepEqual(again.map((p) => p.selector), first.map((p) => p.selector), "stable over reloads");
    for (const p of first) {
      assert.doesNotMatch(p.selector, /[+~]|:last|:only|:has|:nth-last/, `streaming-safe: ${p.selector}`);
    }
    // Positions are a last resort: most elements of a hand-written shop page are named.
    const positional = first.filter((p) => p.kind === "position").length;
    assert.ok(positional / first.length < 0.5, `${positional} of ${first.length} by position`);
  });
}

test("the shop's product key, ids and meaningful classes are what the selectors use", async () => {
  const list = await proposals(readFileSync(new URL("index.html", SHOP), "utf8"));
  const by = (pred) => list.find(pred)?.selector;
  const selectors = list.map((p) => p.selector);
  assert.ok(selectors.includes('[data-sku="TR-2041"]'), selectors.join("\n"));
  assert.ok(selectors.includes("#search-q"));
  assert.ok(selectors.includes(".promo-bar"));
  assert.equal(by((p) => p.tag === "h1"), ".hero h1");
  assert.ok(selectors.includes('[data-sku="TR-2055"] .product-name'), selectors.join("\n"));
});

test("generated class names and ids are never used; positions only where nothing else names the element", async () => {
  const list = await proposals(GENERATED);
  const all = list.map((p) => p.selector);
  for (const s of all) assert.doesNotMatch(s, /css-|sc-|jsx-|__a1b2c|_3xYz1|react-select/, s);
  assert.ok(all.includes(".hero-banner"), all.join("\n"));
  assert.ok(all.includes(".hero-banner h2"), all.join("\n"));
  assert.ok(all.includes('.list a[href="/one"]'), all.join("\n"));
  assert.ok(all.includes(".list > li:nth-of-type(3) > span:nth-of-type(1)"), "positions start from the nearest named ancestor");
  assert.ok(all.some((s) => /^body > div:nth-of-type\(2\) > span:nth-of-type\(2\)$/.test(s)), "without one, from the body");
  assert.ok(list.every((p) => p.exact), JSON.stringify(list.filter((p) => !p.exact)));
});
