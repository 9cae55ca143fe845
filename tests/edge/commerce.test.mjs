// Commerce rules at the edge, in workerd: the demo category and search pages merchandised by
// the demo rules (pin, hide, bury, promo tile, badge, price, label, banner), a search-term
// redirect answered before the origin is fetched, fragments, and the cap fallback.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startStorefront } from "../../fixtures/storefront/server.mjs";
import { DEMO_RULES, direct, startOrigin, startVeneer } from "./harness.mjs";

let shop;
let veneer;
before(async () => {
  shop = await startStorefront({ port: 0 });
  veneer = await startVeneer({ origin: shop.url, rules: DEMO_RULES });
});
after(async () => {
  await veneer?.close();
  await shop?.close();
});

/** The product keys of the grid, in page order (promo tiles as "promo"). */
function grid(html) {
  const list = html.slice(html.indexOf('<ul class="product-grid">'), html.indexOf("</ul>", html.indexOf('<ul class="product-grid">')));
  return [...list.matchAll(/<li class="product-tile( promo-tile)?"(?: data-sku="([^"]+)")?/g)].map((m) => m[2] ?? "promo");
}

test("the demo category: pinned first, hidden gone, buried down, promo tile, badge, price, label, banner", async () => {
  const origin = await (await direct(shop.url, "/c/shoes")).body.toString();
  assert.deepEqual(grid(origin), ["TR-2041", "TR-2055", "TR-1987", "TR-2102", "TR-1830", "TR-2210", "TR-1955", "TR-2077"]);
  const response = await veneer.fetch("/c/shoes");
  assert.equal(response.status, 200);
  const html = await response.text();
  assert.deepEqual(grid(html), ["TR-2102", "TR-2041", "TR-1987", "promo", "TR-1830", "TR-1955", "TR-2077", "TR-2055"]);
  assert.doesNotMatch(html, /TR-2210|mudlark-kids/);
  assert.match(html, /<p class="price price-sale" data-price="139.00"><s class="veneer-was">€139.00<\/s> €119.00<\/p>\s*<span class="badge-slot"><span class="badge badge-sale">Sale<\/span><\/span>/);
  assert.match(html, /<p class="result-count">8 trail shoes<\/p>/);
  assert.match(html, /<main id="content"><div class="veneer-banner"><p><strong>Winter sale<\/strong> prices on every trail shoe<\/p> <time class="veneer-countdown" datetime="2027-01-31T23:59:00\+01:00" data-veneer-ends>ends 31 Jan 2027, 23:59 UTC\+01:00<\/time><\/div>/);
  assert.match(html, /<script>\(function\(\)\{function p\(x\)/, "the countdown script is in the page");
  assert.ok(html.endsWith(origin.slice(origin.indexOf("</main>"))), "everything after the listing is the origin's");
});

test("search pages: terms match case- and accent-insensitively, negative terms exclude", async () => {
  const order = async (q) => grid(await (await veneer.fetch(`/search?q=${encodeURIComponent(q)}`)).text());
  assert.deepEqual(await order("running shoes"), ["TR-2041", "TR-2077", "TR-1955"]);
  assert.deepEqual(await order("DAMEN Schuhe"), ["TR-2077", "TR-2041", "TR-1955"]);
  assert.deepEqual(await order("women kids"), ["TR-2041", "TR-2077", "TR-1955"], "not: kids");
  assert.deepEqual(await order("Sümmit light"), ["TR-2077", "TR-1955"], "hidden on searches containing summit");
  const picked = await (await veneer.fetch("/search?q=womens")).text();
  assert.match(picked, /data-sku="TR-2077">[\s\S]*?<span class="badge badge-pick">Our pick<\/span>/);
});

test("a search-term redirect is answered before the origin is fetched", async () => {
  let hits = 0;
  const origin = await startOrigin((req, res) => {
    hits += 1;
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<html><body><ul class=\"product-grid\"></ul></body></html>");
  });
  const cached = await startVeneer({ origin: origin.url, rules: DEMO_RULES, vars: { RULES_CACHE_SECONDS: "60" } });
  try {
    await (await cached.fetch("/")).text(); // loads the rules into the isolate
    const before = hits;
    const response = await cached.fetch("/search?q=Gift%20CARDS", { redirect: "manual" });
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("location"), "/p/gift-card");
    assert.equal(hits, before, "the origin was not asked");
    const other = await cached.fetch("/search?q=gift%20card%20wrapping", { redirect: "manual" });
    assert.equal(other.status, 200, "`is` matches the whole search only");
    await other.text();
  } finally {
    await cached.close();
    await origin.close();
  }
});

test("a fragment of tiles is reordered; a listing over its cap streams in the origin's order, logged once", async () => {
  const tiles = (n) => Array.from({ length: n }, (_, i) => `<li class="product-tile" data-sku="S${i}"><img src="/s${i}.png" loading="lazy">S${i}</li>\n`).join("");
  const page = `<html><body><ul class="product-grid">\n${tiles(400)}</ul><p>end</p></body></html>`;
  const origin = await startOrigin((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    const url = new URL(req.url, "http://x");
    res.end(url.searchParams.has("section_id") ? tiles(3) : page);
  });
  const rules = {
    settings: { listings: { grid: { container: "ul.product-grid", tile: ".product-tile", key: { attribute: "data-sku" },
      max_bytes: 4096, fragment_params: ["section_id"] } } },
    rules: [{ id: "pin", pages: ["/c/*"], actions: [{ pin: { products: ["S2"] } }, { badge: { products: ["S1"], html: "<b>1</b>" } }] }],
  };
  const edge = await startVeneer({ origin: origin.url, rules: JSON.stringify(rules) });
  try {
    const fragment = await (await edge.fetch("/c/shoes?section_id=main-grid&page=2")).text();
    assert.equal(fragment, '<li class="product-tile" data-sku="S2"><img src="/s2.png">S2</li>\n'
      + '<li class="product-tile" data-sku="S0"><img src="/s0.png" loading="lazy">S0</li>\n'
      + '<li class="product-tile" data-sku="S1"><img src="/s1.png" loading="lazy">S1<b>1</b></li>\n');
    const big = await (await edge.fetch("/c/shoes")).text();
    assert.equal(big, page.replace('S1</li>', 'S1<b>1</b></li>'), "the origin's order, the badge kept");
    const events = await edge.events();
    const fallbacks = events.filter((e) => e.veneer === "listing_fallback");
    assert.equal(fallbacks.length, 1);
    assert.equal(fallbacks[0].detail, "listing kept in its original order: the listing is larger than its max_bytes (4096 bytes)");
  } finally {
    await edge.close();
    await origin.close();
  }
});
