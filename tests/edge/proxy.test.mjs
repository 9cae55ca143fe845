// The worker in front of the demo storefront: rewriting, pass-through, headers, redirects.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startStorefront } from "../../fixtures/storefront/server.mjs";
import { DEMO_RULES, direct, endToEndHeaders, startVeneer } from "./harness.mjs";

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

/** Asserts that Veneer's response is the origin's own: status, end-to-end headers and bytes. */
async function assertIdentical(path, init = {}, worker = veneer) {
  // Ask for no transfer compression, which workerd would otherwise apply (and drop the length).
  init = { ...init, headers: { "accept-encoding": "identity", ...init.headers } };
  const origin = await direct(shop.url, path, init);
  const response = await worker.fetch(path, { redirect: "manual", ...init });
  const body = Buffer.from(await response.arrayBuffer());
  assert.equal(response.status, origin.response.status, `status of ${path}`);
  assert.equal(response.statusText, origin.response.statusText, `status text of ${path}`);
  assert.deepEqual(endToEndHeaders(response), endToEndHeaders(origin.response), `headers of ${path}`);
  assert.ok(body.equals(origin.body), `body of ${path} differs from the origin's`);
  return { response, body };
}

describe("rewriting the demo storefront", () => {
  test("the demo rules visibly change the home page", async () => {
    const response = await veneer.fetch("/");
    const html = await response.text();
    assert.equal(response.status, 200);
    assert.match(html, /<h1>Black Friday on the trail<\/h1>/);
    assert.doesNotMatch(html, /Built for the trail/);
    assert.match(html, /<div class="promo-bar"><p><strong>Black Friday:<\/strong> 30% off all trail shoes<\/p><\/div>/);
    assert.match(html, /<a class="cta" href="\/c\/shoes\?sale=black-friday" data-campaign="black-friday">Shop the sale<\/a>/);
    assert.match(html, /data-sku="TR-2041"[\s\S]*?<span class="badge-slot"><span class="badge badge-bestseller">Bestseller<\/span><\/span>/);
  });

  test("rules apply only to their pages", async () => {
    const search = await (await veneer.fetch("/search?q=boots")).text();
    assert.match(search, /30% off all trail shoes/, "the every-page rule applies");
    assert.doesNotMatch(search, /Bestseller/, "the home/category rule does not");
    const category = await (await veneer.fetch("/c/shoes")).text();
    assert.match(category, /Bestseller/);
    assert.doesNotMatch(category, /category-banner/);
    assert.doesNotMatch(category, /Black Friday on the trail/);
  });

  test("a rewritten page drops Content-Length and the strong ETag, keeps the rest", async () => {
    const origin = await direct(shop.url, "/");
    assert.ok(origin.response.headers.get("content-length"));
    assert.match(origin.response.headers.get("etag"), /^"/);
    const response = await veneer.fetch("/");
    await response.arrayBuffer();
    assert.equal(response.headers.get("content-length"), null);
    assert.equal(response.headers.get("etag"), null);
    assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(response.headers.get("cache-control"), origin.response.headers.get("cache-control"));
  });

  test("two Set-Cookie headers from the origin both arrive, on a rewritten page", async () => {
    const response = await veneer.fetch("/cart");
    assert.match(await response.text(), /30% off all trail shoes/);
    assert.deepEqual(response.headers.getSetCookie(), [
      "session=abc123; Path=/; HttpOnly; SameSite=Lax",
      "cart=2; Path=/; SameSite=Lax",
    ]);
  });
});

describe("passing through byte-identical", () => {
  test("a PNG", async () => {
    const { response, body } = await assertIdentical("/assets/logo.png");
    assert.equal(response.headers.get("content-type"), "image/png");
    assert.ok(body.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])));
  });

  test("a JSON response", async () => {
    const { body } = await assertIdentical("/assets/stock.json");
    assert.equal(JSON.parse(body.toString("utf8"))["TR-2041"], 12);
  });

  test("a 404 page, even though rules match every page", async () => {
    const { response, body } = await assertIdentical("/no-such-page");
    assert.equal(response.status, 404);
    assert.equal(response.statusText, "Page Not Found");
    assert.doesNotMatch(body.toString("utf8"), /Black Friday/);
  });

  test("a HEAD request", async () => {
    const { response, body } = await assertIdentical("/", { method: "HEAD" });
    assert.equal(body.length, 0);
    assert.ok(response.headers.get("content-length"), "HEAD keeps the origin's Content-Length");
    assert.match(response.headers.get("etag"), /^"/);
  });

  test("a 304 to a conditional request", async () => {
    const etag = (await direct(shop.url, "/")).response.headers.get("etag");
    const { response } = await assertIdentical("/", { headers: { "if-none-match": etag } });
    assert.equal(response.status, 304);
  });

  test("a POST with its body, and the origin's redirect with Location untouched", async () => {
    const { response } = await assertIdentical("/cart", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "sku=TR-2041&size=42&qty=1",
    });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/cart");
    assert.equal(response.headers.getSetCookie().length, 2);
  });
});

// With the rules in isolate memory, a page no rule or experiment names goes on to the origin
// before anything is awaited in Rust: the runtime's own fetch promise is the response.
describe("pages without rules, with the rules already in memory", () => {
  const SCOPED = JSON.stringify({
    version: "scoped",
    rules: [{ id: "shoes", pages: ["/c/*"], actions: [{ select: "h1", set_text: "Only shoes" }] }],
  });
  let cached;
  before(async () => {
    cached = await startVeneer({ origin: shop.url, rules: SCOPED, vars: { RULES_CACHE_SECONDS: "300" } });
    assert.match(await (await cached.fetch("/c/shoes")).text(), /<h1>Only shoes<\/h1>/);
  });
  after(async () => {
    await cached?.close();
  });

  test("an HTML page with two Set-Cookie headers comes back byte-identical", async () => {
    const { response } = await assertIdentical("/cart", {}, cached);
    assert.equal(response.headers.getSetCookie().length, 2);
  });

  test("the home page, a 404 with its reason phrase, a PNG, a HEAD and a POST", async () => {
    await assertIdentical("/", {}, cached);
    const { response } = await assertIdentical("/no-such-page", {}, cached);
    assert.equal(response.statusText, "Page Not Found");
    await assertIdentical("/assets/logo.png", {}, cached);
    await assertIdentical("/c/shoes", { method: "HEAD" }, cached);
    const post = await assertIdentical("/cart", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "sku=TR-2041&size=42&qty=1",
    }, cached);
    assert.equal(post.response.status, 303);
  });

  test("the page the rule names is still rewritten", async () => {
    assert.match(await (await cached.fetch("/c/shoes?sort=price")).text(), /<h1>Only shoes<\/h1>/);
  });
});
