// Caching in workerd: a response whose content or cookies may depend on the visitor is kept out
// of shared caches (`private`, the browser keeps its max-age), even for a visitor nothing applied
// to; a page that no rule or experiment can touch keeps the origin's headers byte for byte.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { direct, endToEndHeaders, startOrigin, startVeneer } from "./harness.mjs";

const PAGE = "<!doctype html><html><head><title>Shop</title></head><body><h1>Trail shoes</h1></body></html>";
const ORIGIN_HEADERS = [
  ["Content-Type", "text/html; charset=utf-8"],
  ["Cache-Control", "public, max-age=300, s-maxage=600"],
  ["ETag", '"page-v1"'],
  ["Vary", "Accept-Encoding, Accept-Language"],
  ["Set-Cookie", "session=abc123; Path=/; HttpOnly"],
  ["Set-Cookie", "cart=2; Path=/"],
  ["X-Origin", "kept"],
];

const RULES = {
  version: "cache-1",
  rules: [
    { id: "static", pages: ["/static"], actions: [{ select: "h1", set_text: "Same for all" }] },
    { id: "targeted", pages: ["/targeted"], audience: { utm_source: "news" }, actions: [{ select: "h1", set_text: "Hello reader" }] },
    { id: "templated", pages: ["/templated"], actions: [{ select: "h1", set_text: "Hello {{language}}" }] },
    { id: "cookie", pages: ["/cookie"], actions: [{ set_cookie: { name: "promo", value: "bf" } }] },
  ],
  experiments: [{
    id: "hero", pages: ["/experiment"],
    variations: [{ id: "control", actions: [] }, { id: "bold", actions: [{ select: "h1", set_text: "Bold" }] }],
  }],
};

let origin;
let veneer;
before(async () => {
  origin = await startOrigin((req, res) => {
    const body = Buffer.from(PAGE);
    res.writeHead(200, [...ORIGIN_HEADERS, ["Content-Length", String(body.length)]].flat());
    res.end(body);
  });
  veneer = await startVeneer({ origin: origin.url, rules: JSON.stringify(RULES) });
});
after(async () => {
  await veneer?.close();
  await origin?.close();
});

// No transfer compression, which workerd would otherwise apply (and drop the length).
const IDENTITY = { "accept-encoding": "identity" };
const get = (path, headers = {}) => veneer.fetch(path, { headers: { ...IDENTITY, ...headers } });

/** The origin's end-to-end headers for `path`, with `changes` (name -> value, null removes). */
async function originHeadersWith(path, changes = {}) {
  const { response } = await direct(origin.url, path, { headers: IDENTITY });
  return endToEndHeaders(response)
    .filter(([name]) => !(name in changes))
    .concat(Object.entries(changes).filter(([, v]) => v !== null))
    .sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1));
}

const cookieNames = (response) => response.headers.getSetCookie().map((c) => c.split("=")[0]);

describe("responses that depend on the visitor are private", () => {
  test("a new visitor's first response, which sets their veneer_id, is not publicly cacheable", async () => {
    // The document runs an experiment (on another page), so every visitor gets an id.
    const response = await get("/static");
    assert.match(await response.text(), /<h1>Same for all<\/h1>/);
    assert.ok(cookieNames(response).includes("veneer_id"), "a new visitor gets an id");
    assert.equal(response.headers.get("cache-control"), "private, max-age=300");
    assert.equal(response.headers.get("vary"), "Accept-Encoding, Accept-Language");
    // Once they have it, the page is the same for everyone again: the origin's caching.
    const jar = response.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    const again = await get("/static", { cookie: jar });
    await again.arrayBuffer();
    assert.deepEqual(cookieNames(again), ["session", "cart"]);
    assert.equal(again.headers.get("cache-control"), "public, max-age=300, s-maxage=600");
  });

  test("a visitor outside a targeted rule's audience gets the origin's page, not publicly cacheable", async () => {
    const cookie = "veneer_id=AAAAAAAAAAAAAAAAAAAAAA";
    const response = await get("/targeted", { cookie });
    const body = await response.text();
    assert.equal(body, PAGE, "nothing applied: the origin's bytes");
    // Everything else as the origin sent it (Content-Length, Vary, both Set-Cookie lines), but
    // the ETag names this variant (cache-safety.test.mjs).
    assert.match(response.headers.get("etag"), /^W\/"page-v1-v[0-9a-f]{16}"$/);
    assert.deepEqual(endToEndHeaders(response), await originHeadersWith("/targeted", {
      "cache-control": "private, max-age=300",
      etag: response.headers.get("etag"),
    }));
    const inside = await get("/targeted?utm_source=news", { cookie });
    assert.match(await inside.text(), /<h1>Hello reader<\/h1>/);
    assert.equal(inside.headers.get("cache-control"), "private, max-age=300");
  });

  test("a running experiment, a template and a rule's cookie each make the page private", async () => {
    for (const path of ["/experiment", "/templated", "/cookie"]) {
      const response = await get(path, { cookie: "veneer_id=AAAAAAAAAAAAAAAAAAAAAA" });
      await response.arrayBuffer();
      assert.equal(response.headers.get("cache-control"), "private, max-age=300", path);
      assert.equal(response.headers.get("vary"), "Accept-Encoding, Accept-Language", path);
    }
  });

  test("a rule that changes the page the same way for everyone keeps the origin's Cache-Control", async () => {
    const response = await get("/static", { cookie: "veneer_id=AAAAAAAAAAAAAAAAAAAAAA" });
    assert.match(await response.text(), /Same for all/);
    assert.deepEqual(endToEndHeaders(response), await originHeadersWith("/static", { "content-length": null, etag: null }));
  });
});

describe("a page no rule or experiment can touch keeps the origin's headers byte for byte", () => {
  for (const [what, vars] of [["rules read from KV", {}], ["rules in memory", { RULES_CACHE_SECONDS: "300" }]]) {
    test(what, async () => {
      const worker = await startVeneer({ origin: origin.url, rules: JSON.stringify(RULES), vars });
      try {
        for (const cookie of [undefined, "veneer_id=AAAAAAAAAAAAAAAAAAAAAA"]) {
          const response = await worker.fetch("/untouched", { headers: { ...IDENTITY, ...(cookie ? { cookie } : {}) } });
          const body = await response.text();
          assert.equal(body, PAGE);
          const headers = endToEndHeaders(response);
          assert.deepEqual(headers, await originHeadersWith("/untouched"));
          // Spelled out, so no harness filter can hide a difference in these.
          const values = (name) => headers.filter(([n]) => n === name).map(([, v]) => v);
          assert.deepEqual(values("cache-control"), ["public, max-age=300, s-maxage=600"]);
          assert.deepEqual(values("etag"), ['"page-v1"']);
          assert.deepEqual(values("content-length"), [String(PAGE.length)]);
          assert.deepEqual(values("vary"), ["Accept-Encoding, Accept-Language"]);
          assert.deepEqual(values("set-cookie"), ["cart=2; Path=/", "session=abc123; Path=/; HttpOnly"]);
        }
      } finally {
        await worker.close();
      }
    });
  }
});
