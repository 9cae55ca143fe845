// Cache safety beyond Cache-Control: on a response that may differ per visitor, the headers CDNs
// obey first (CDN-Cache-Control, Cloudflare-CDN-Cache-Control, Surrogate-Control) are removed,
// and the validators name the variant, so that revalidating can never hand a visitor another
// variant's page (a 304 for a tag the origin never made cannot happen). A marketer's preview is
// never stored.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startOrigin, startVeneer } from "./harness.mjs";

const PAGE = "<!doctype html><html><body><h1>Trail shoes</h1></body></html>";
const HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "public, max-age=60, s-maxage=600",
  "cdn-cache-control": "public, max-age=600",
  "cloudflare-cdn-cache-control": "max-age=600",
  "surrogate-control": "max-age=600",
  "surrogate-key": "shoes",
  etag: 'W/"shoes-1"',
  "last-modified": "Tue, 01 Dec 2026 10:00:00 GMT",
};
const RULES = JSON.stringify({
  rules: [
    { id: "de", pages: ["/targeted"], audience: { country: "DE" }, actions: [{ select: "h1", set_text: "Laufschuhe" }] },
    { id: "all", pages: ["/static"], actions: [{ select: "h1", set_text: "Same for all" }] },
  ],
});

let origin;
let veneer;
const conditional = [];
before(async () => {
  origin = await startOrigin((req, res) => {
    if (req.headers["if-none-match"] === HEADERS.etag) {
      conditional.push(req.url);
      res.writeHead(304, { etag: HEADERS.etag });
      return res.end();
    }
    res.writeHead(200, HEADERS);
    res.end(PAGE);
  });
  veneer = await startVeneer({ origin: origin.url, rules: RULES });
});
after(async () => {
  await veneer?.close();
  await origin?.close();
});

const get = (path, country, headers = {}) =>
  veneer.fetch(path, { cf: { country }, headers: { "accept-encoding": "identity", ...headers } });

test("a page that varies by visitor loses the CDN cache headers and gets a tag per variant", async () => {
  const de = await get("/targeted", "DE");
  const us = await get("/targeted", "US");
  assert.equal(await de.text(), PAGE.replace("Trail shoes", "Laufschuhe"));
  assert.equal(await us.text(), PAGE);
  for (const response of [de, us]) {
    assert.equal(response.headers.get("cache-control"), "private, max-age=60");
    for (const name of ["cdn-cache-control", "cloudflare-cdn-cache-control", "surrogate-control", "last-modified"]) {
      assert.equal(response.headers.get(name), null, name);
    }
    assert.equal(response.headers.get("surrogate-key"), "shoes");
    assert.match(response.headers.get("etag"), /^W\/"shoes-1-v[0-9a-f]{16}"$/);
  }
  assert.notEqual(de.headers.get("etag"), us.headers.get("etag"), "each variant its own tag");
  assert.equal((await get("/targeted", "DE")).headers.get("etag"), de.headers.get("etag"), "stable per variant");
  // Revalidating with either variant's tag gets the visitor's own page, never a 304.
  for (const tag of [de.headers.get("etag"), us.headers.get("etag")]) {
    const again = await get("/targeted", "DE", { "if-none-match": tag });
    assert.equal(again.status, 200);
    assert.equal(await again.text(), PAGE.replace("Trail shoes", "Laufschuhe"));
  }
  assert.deepEqual(conditional, []);
});

test("a page that is the same for everyone keeps the origin's headers, validators included", async () => {
  const response = await get("/static", "DE");
  assert.equal(await response.text(), PAGE.replace("Trail shoes", "Same for all"));
  assert.equal(response.headers.get("cdn-cache-control"), HEADERS["cdn-cache-control"]);
  assert.equal(response.headers.get("etag"), HEADERS.etag);
  assert.equal(response.headers.get("last-modified"), HEADERS["last-modified"]);
});
