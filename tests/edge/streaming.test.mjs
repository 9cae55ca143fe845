// Streaming, caching of rules per isolate, and route mode.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startStorefront } from "../../fixtures/storefront/server.mjs";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { DEMO_RULES, startOrigin, startVeneer } from "./harness.mjs";

let shop;
before(async () => {
  shop = await startStorefront({ port: 0 });
});
after(() => shop?.close());

const H1_RULES = JSON.stringify({ rules: [{ id: "h", actions: [{ select: "h1", set_text: "Rewritten" }] }] });

test("the first rewritten bytes leave before the origin sends its last byte", async () => {
  let release;
  const released = new Promise((r) => (release = r));
  let originDone = false;
  const origin = await startOrigin(async (req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.write(`<!doctype html><html><head><title>slow</title></head><body><h1>Original</h1>${"<p>filler</p>".repeat(500)}`);
    // Hold the rest until the test has seen rewritten bytes (or give up after 10 s).
    await Promise.race([released, new Promise((r) => setTimeout(r, 10_000))]);
    res.end("<footer>end</footer></body></html>");
    originDone = true;
  });
  const veneer = await startVeneer({ origin: origin.url, rules: H1_RULES });
  try {
    // No transfer compression on the way out: a compressor may hold bytes back on its own.
    const response = await veneer.fetch("/", { headers: { "accept-encoding": "identity" } });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let seen = "";
    while (!seen.includes("<h1>Rewritten</h1>")) {
      const { value, done } = await reader.read();
      assert.ok(!done, "the body ended before the rewritten heading arrived");
      seen += decoder.decode(value, { stream: true });
    }
    assert.equal(originDone, false, "the origin had already finished: the page was buffered");
    release();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += decoder.decode(value, { stream: true });
    }
    assert.ok(originDone);
    assert.ok(seen.endsWith("<footer>end</footer></body></html>"));
  } finally {
    release();
    await veneer.close();
    await origin.close();
  }
});

test("rules are kept per isolate for RULES_CACHE_SECONDS, then re-read from KV", async () => {
  const veneer = await startVeneer({ origin: shop.url, rules: H1_RULES, vars: { RULES_CACHE_SECONDS: "2" } });
  try {
    assert.match(await (await veneer.fetch("/")).text(), /<h1>Rewritten<\/h1>/);
    await veneer.kv.put("rules", DEMO_RULES);
    assert.match(await (await veneer.fetch("/")).text(), /<h1>Rewritten<\/h1>/, "cached rules still apply");
    await new Promise((r) => setTimeout(r, 2_200));
    assert.match(await (await veneer.fetch("/")).text(), /<h1>Black Friday on the trail<\/h1>/);
  } finally {
    await veneer.close();
  }
});

test("route mode: without ORIGIN the request goes on to its own URL", async () => {
  const veneer = await startVeneer({ upstream: shop.url, rules: DEMO_RULES });
  try {
    const response = await veneer.fetch("/");
    assert.match(await response.text(), /<h1>Black Friday on the trail<\/h1>/);
    const png = await veneer.fetch("/assets/logo.png");
    assert.equal(png.headers.get("content-type"), "image/png");
    assert.equal((await png.arrayBuffer()).byteLength, 137);
  } finally {
    await veneer.close();
  }
});

test("a gzip or br page from the origin is decoded and rewritten; a deflate one passes through untouched", async () => {
  const page = `<!doctype html><html><head><title>z</title></head><body><h1>Original</h1>${"<p>filler</p>".repeat(200)}</body></html>`;
  const encoders = { gzip: gzipSync, br: brotliCompressSync, deflate: deflateSync };
  const origin = await startOrigin((req, res) => {
    const encoding = req.url.slice(1);
    const body = encoders[encoding](Buffer.from(page));
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-encoding": encoding, "content-length": body.length });
    res.end(body);
  });
  // Control bytes never occur in the page's text, but do in compressed bytes fed to the rewriter
  // as if they were text: this rule would mangle those.
  const rules = JSON.stringify({
    rules: [{ id: "h", actions: [{ select: "h1", set_text: "Rewritten" }, { replace_text: { regex: "[\\x00-\\x08]", with: "" } }] }],
  });
  const veneer = await startVeneer({ origin: origin.url, rules });
  try {
    for (const encoding of ["gzip", "br"]) {
      const response = await veneer.fetch(`/${encoding}`, { headers: { "accept-encoding": "gzip, deflate, br" } });
      const html = await response.text();
      assert.equal(response.status, 200, encoding);
      assert.equal(html, page.replace("<h1>Original</h1>", "<h1>Rewritten</h1>"), `${encoding}: rewritten, nothing lost`);
    }
    // The runtime does not decode deflate: rewriting the compressed bytes could only break them.
    const response = await veneer.fetch("/deflate", { headers: { "accept-encoding": "gzip, deflate, br" } });
    assert.equal(await response.text(), page, "deflate: the origin's page, untouched");
  } finally {
    await veneer.close();
    await origin.close();
  }
});
