// The rules language at the edge: schedules against the edge clock, geo targeting from
// request.cf, redirects, headers and cookies, and text replaced across network chunks.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startStorefront } from "../../fixtures/storefront/server.mjs";
import { startOrigin, startVeneer } from "./harness.mjs";

let shop;
before(async () => {
  shop = await startStorefront({ port: 0 });
});
after(() => shop?.close());

const iso = (msFromNow) => new Date(Date.now() + msFromNow).toISOString();

async function withVeneer(rules, fn, options = {}) {
  const veneer = await startVeneer({ origin: shop.url, rules: JSON.stringify(rules), ...options });
  try {
    await fn(veneer);
  } finally {
    await veneer.close();
  }
}

test("a scheduled rule is live only between its start and end, by the edge clock", async () => {
  const rules = {
    rules: [
      { id: "live", schedule: { start: iso(-3600_000), end: iso(3600_000) },
        actions: [{ select: ".hero h1", set_text: "Live now" }] },
      { id: "later", schedule: { start: iso(86400_000) },
        actions: [{ select: ".promo-bar p", set_text: "Tomorrow's deal" }] },
      { id: "over", schedule: { end: iso(-60_000) },
        actions: [{ select: ".hero .cta", set_text: "Yesterday's deal" }] },
      // Starts two seconds from now: the same isolate must switch it on without a new publish.
      { id: "soon", schedule: { start: iso(2_000) },
        actions: [{ select: ".hero .hero-sub", set_text: "Just started" }] },
    ],
  };
  await withVeneer(rules, async (veneer) => {
    const first = await (await veneer.fetch("/")).text();
    assert.match(first, /<h1>Live now<\/h1>/);
    assert.doesNotMatch(first, /Tomorrow's deal|Yesterday's deal|Just started/);
    await new Promise((r) => setTimeout(r, 2_500));
    assert.match(await (await veneer.fetch("/")).text(), /Just started/);
  }, { vars: { RULES_CACHE_SECONDS: "60" } });
});

test("a geo-targeted rule follows request.cf.country", async () => {
  const rules = {
    audiences: { dach: { country: { $in: ["DE", "AT", "CH"] } } },
    rules: [{ id: "de", audience: "dach", actions: [{ select: ".promo-bar p", set_text: "Kostenloser Versand ab 50 € nach {{country}}" }] }],
  };
  await withVeneer(rules, async (veneer) => {
    const de = await (await veneer.fetch("/", { cf: { country: "DE" } })).text();
    assert.match(de, /<p>Kostenloser Versand ab 50 € nach DE<\/p>/);
    const fr = await (await veneer.fetch("/", { cf: { country: "FR" } })).text();
    assert.match(fr, /Free shipping on orders over €50/);
  });
});

test("a redirect answers without the page, and an unsafe one never validates", async () => {
  const rules = {
    rules: [
      { id: "moved", pages: ["/c/boots"], actions: [{ redirect: { to: "/c/shoes?from={{query.ref}}", status: 301 } }] },
      { id: "evil", pages: ["/x"], actions: [{ redirect: { to: "//evil.example" } }] },
    ],
  };
  await withVeneer(rules, async (veneer) => {
    const response = await veneer.fetch("/c/boots?ref=<mail>", { redirect: "manual" });
    assert.equal(response.status, 301);
    assert.equal(response.headers.get("location"), "/c/shoes?from=%3Cmail%3E");
    assert.equal(response.headers.get("cache-control"), "private, no-store");
    const unsafe = await veneer.fetch("/x", { redirect: "manual" });
    assert.equal(unsafe.status, 404, "the unsafe rule was skipped; the origin answered");
    const events = await veneer.events();
    assert.ok(events.some((e) => e.veneer === "rule_skipped" && e.detail.startsWith('$.rules[1].actions[0].redirect.to: redirect target "//evil.example"')));
  });
});

test("headers and cookies from rules join the origin's, which all arrive", async () => {
  const rules = {
    rules: [{ id: "h", pages: ["/cart"], actions: [
      { set_header: { "X-Promo": "bf" } },
      { set_cookie: { name: "promo", value: "bf", max_age: 600 } },
    ] }],
  };
  await withVeneer(rules, async (veneer) => {
    const response = await veneer.fetch("/cart", { headers: { "accept-encoding": "identity" } });
    await response.arrayBuffer();
    assert.equal(response.headers.get("x-promo"), "bf");
    assert.deepEqual(response.headers.getSetCookie(), [
      "session=abc123; Path=/; HttpOnly; SameSite=Lax",
      "cart=2; Path=/; SameSite=Lax",
      "promo=bf; Path=/; Max-Age=600; SameSite=Lax",
    ]);
    assert.ok(response.headers.get("content-length"), "only headers changed: the body and its length stay");
  });
});

test("a price split across two network chunks is still replaced", async () => {
  let release;
  const released = new Promise((r) => (release = r));
  const origin = await startOrigin(async (req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.write('<!doctype html><p class="price">Now only €12');
    // Make sure the two halves travel separately.
    await Promise.race([released, new Promise((r) => setTimeout(r, 300))]);
    res.end('9.00 per pair</p><p>€129.00 again, and once more: €129.00</p>');
  });
  const veneer = await startVeneer({
    origin: origin.url,
    rules: JSON.stringify({ rules: [{ id: "price", actions: [
      { replace_text: { find: "€129.00", with: "€99.00" } },
      { replace_text: { regex: "once more: (€\\d+)", with: "finally: $1" } },
    ] }] }),
  });
  try {
    const body = await (await veneer.fetch("/", { headers: { "accept-encoding": "identity" } })).text();
    assert.equal(body, '<!doctype html><p class="price">Now only €99.00 per pair</p><p>€99.00 again, and finally: €99.00</p>');
  } finally {
    release();
    await veneer.close();
    await origin.close();
  }
});
