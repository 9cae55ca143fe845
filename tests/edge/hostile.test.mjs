// Hostile requests at the edge: headers a visitor sends to spoof geo or to poison the origin's
// caches. Geo comes from request.cf only; the unkeyed override headers never reach the origin,
// in either mode (edge/origin.mjs, UNKEYED_OVERRIDES; docs/hardening.md).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startOrigin, startVeneer } from "./harness.mjs";

const PAGE = "<!doctype html><html><body><h1>Hello</h1></body></html>";
const RULES = JSON.stringify({
  rules: [{ id: "de", audience: { country: "DE" }, actions: [{ select: "h1", set_text: "Hallo {{country}}" }] }],
});
const OVERRIDES = {
  "x-forwarded-host": "evil.example",
  "x-host": "evil.example",
  "x-forwarded-server": "evil.example",
  "x-forwarded-scheme": "http",
  "x-original-url": "/admin",
  "x-rewrite-url": "/admin",
  "x-http-method-override": "DELETE",
  "x-http-method": "DELETE",
  "x-method-override": "DELETE",
  forwarded: "host=evil.example;proto=http",
};

let origin;
let seen = [];
before(async () => {
  origin = await startOrigin((req, res) => {
    seen.push({ url: req.url, method: req.method, headers: req.headers });
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(PAGE);
  });
});
after(() => origin?.close());

test("a visitor's geo headers never override request.cf", async () => {
  const veneer = await startVeneer({ origin: origin.url, rules: RULES });
  try {
    const spoofed = { "cf-ipcountry": "DE", "x-forwarded-for": "85.214.0.1", "true-client-ip": "85.214.0.1", "x-country": "DE" };
    const us = await veneer.fetch("/", { cf: { country: "US" }, headers: spoofed });
    assert.equal(await us.text(), PAGE);
    const de = await veneer.fetch("/", { cf: { country: "DE" }, headers: { "cf-ipcountry": "US" } });
    assert.equal(await de.text(), PAGE.replace("Hello", "Hallo DE"));
  } finally {
    await veneer.close();
  }
});

for (const [mode, setup] of [
  ["ORIGIN mode", () => ({ origin: origin.url })],
  ["route mode", () => ({ upstream: origin.url })],
]) {
  test(`${mode}: the unkeyed override headers never reach the origin, on GET and POST`, async () => {
    const veneer = await startVeneer({ ...setup(), rules: RULES });
    try {
      seen = [];
      await (await veneer.fetch("/p/1?x=1", { headers: OVERRIDES })).text();
      await (await veneer.fetch("/cart", { method: "POST", body: "a=1", headers: OVERRIDES })).text();
      assert.equal(seen.length, 2);
      assert.deepEqual(seen.map((s) => [s.method, s.url]), [["GET", "/p/1?x=1"], ["POST", "/cart"]]);
      for (const request of seen) {
        for (const name of Object.keys(OVERRIDES)) {
          if (name === "x-forwarded-host" && mode === "ORIGIN mode") {
            assert.equal(request.headers[name], "shop.test", "Veneer's own: the visitor's authority");
          } else {
            assert.equal(request.headers[name], undefined, `${name} reached the origin`);
          }
        }
      }
    } finally {
      await veneer.close();
    }
  });
}
