// Experiments and previews in workerd: visitor ids, sticky variations, forced variations only
// with a valid preview token, drafts with badge and debug header for the previewer only.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { request as httpRequest } from "node:http";
import { startStorefront } from "../../fixtures/storefront/server.mjs";
import { BROWSER_UA, ROOT, startVeneer } from "./harness.mjs";

const SECRET = "edge-test-secret";
const PUBLISHED = {
  version: 1,
  rules: [],
  experiments: [{
    id: "hero-copy", pages: ["/"],
    variations: [
      { id: "control", actions: [] },
      { id: "bold", actions: [{ select: ".hero h1", set_text: "Made to last" }] },
    ],
  }],
};
const DRAFT = {
  version: "2-draft",
  rules: [{ id: "draft-banner", actions: [{ select: ".promo-bar p", set_text: "Draft promo" }] }],
  experiments: PUBLISHED.experiments,
};

/** A preview token made by the real CLI, as a marketer would. */
function previewToken(secret = SECRET, ttl = "1h") {
  return execFileSync(`${ROOT}target/debug/veneer`, ["preview-token", "--secret", secret, "--ttl", ttl], { encoding: "utf8" }).trim();
}

let shop;
let veneer;
before(async () => {
  execFileSync("cargo", ["build", "-q", "--bin", "veneer"], { cwd: ROOT });
  shop = await startStorefront({ port: 0 });
  veneer = await startVeneer({ origin: shop.url, rules: JSON.stringify(PUBLISHED), vars: { VENEER_SECRET: SECRET } });
  await veneer.kv.put("rules:draft", JSON.stringify(DRAFT));
});
after(async () => {
  await veneer?.close();
  await shop?.close();
});

const variationOf = (html) => (html.includes("<h1>Made to last</h1>") ? "bold" : html.includes("<h1>Built for the trail</h1>") ? "control" : "?");
const cookieHeader = (setCookies) => setCookies.map((c) => c.split(";")[0]).join("; ");

test("a new visitor gets a veneer_id cookie and one variation, the same on 20 requests", async () => {
  const first = await veneer.fetch("https://shop.test/");
  const html = await first.text();
  const cookies = first.headers.getSetCookie();
  const id = cookies.find((c) => c.startsWith("veneer_id="));
  assert.match(id, /^veneer_id=[A-Za-z0-9_-]{22}; Path=\/; Max-Age=31536000; SameSite=Lax; Secure$/);
  assert.ok(cookies.some((c) => /^veneer_exp=hero-copy=(control|bold)\.[A-Za-z0-9_-]{22}; Path=\/; Max-Age=31536000; SameSite=Lax; Secure$/.test(c)));
  const variation = variationOf(html);
  assert.notEqual(variation, "?");
  const jar = cookieHeader(cookies);
  for (let i = 0; i < 20; i++) {
    const again = await veneer.fetch("https://shop.test/", { headers: { cookie: jar } });
    assert.equal(variationOf(await again.text()), variation, `request ${i + 2}`);
    assert.deepEqual(again.headers.getSetCookie(), [], "a returning visitor gets no new cookies");
    assert.equal(again.headers.get("veneer-debug"), null);
  }
});

/**
 * A GET over a real socket, with the Cookie header as raw UTF-8 bytes, as a browser sends a
 * cookie like `city=Zürich` (fetch would refuse or re-encode such a header).
 */
function rawGet(base, path, cookie) {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const headers = { "user-agent": BROWSER_UA };
    // Node writes a header string as latin1: these characters are exactly the UTF-8 bytes.
    if (cookie) headers.cookie = Buffer.from(cookie, "utf8").toString("latin1");
    const req = httpRequest(url, { headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const setCookie = res.headers["set-cookie"] ?? [];
        resolve({ status: res.statusCode, html: Buffer.concat(chunks).toString("utf8"), setCookie });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

test("a Cookie header with a non-ASCII cookie (city=Zürich) keeps the visitor's id and variation", async () => {
  const listening = await startVeneer({ origin: shop.url, rules: JSON.stringify(PUBLISHED), vars: { VENEER_SECRET: SECRET }, listen: true });
  try {
    const first = await rawGet(listening.url, "/");
    assert.equal(first.status, 200);
    const id = first.setCookie.find((c) => c.startsWith("veneer_id="));
    assert.ok(id, "a new visitor gets an id");
    const variation = variationOf(first.html);
    assert.notEqual(variation, "?");
    const jar = `city=Zürich; ${cookieHeader(first.setCookie)}; note=été`;
    for (let i = 0; i < 5; i++) {
      const again = await rawGet(listening.url, "/", jar);
      assert.equal(again.status, 200);
      assert.deepEqual(again.setCookie, [], `request ${i + 2}: no new veneer_id (nor assignments) for a returning visitor`);
      assert.equal(variationOf(again.html), variation, `request ${i + 2}: the same variation`);
    }
  } finally {
    await listening.close();
  }
});

test("without random bytes, a new visitor gets no id (the control, no cookies) and a log line; returning visitors keep theirs", async () => {
  // A visitor in "bold", from the normal worker.
  let jar;
  for (let i = 0; i < 50 && !jar; i++) {
    const r = await veneer.fetch("/");
    if (variationOf(await r.text()) === "bold") jar = cookieHeader(r.headers.getSetCookie());
  }
  assert.ok(jar, "no visitor landed in bold in 50 tries");
  const broken = await startVeneer({ origin: shop.url, rules: JSON.stringify(PUBLISHED), vars: { VENEER_SECRET: SECRET }, entry: "tests/edge/no-random-entry.mjs" });
  try {
    for (let i = 0; i < 3; i++) {
      const fresh = await broken.fetch("/");
      assert.equal(fresh.status, 200);
      assert.equal(variationOf(await fresh.text()), "control", "not bucketed without an id");
      assert.deepEqual(fresh.headers.getSetCookie(), [], "no veneer_id, no veneer_exp");
    }
    const returning = await broken.fetch("/", { headers: { cookie: jar } });
    assert.equal(variationOf(await returning.text()), "bold", "a returning visitor keeps their id and variation");
    assert.deepEqual(returning.headers.getSetCookie(), []);
    // One line per new visitor left without an id; the returning visitor needed no randomness.
    const events = await broken.events({ atLeast: 3 });
    assert.deepEqual(events.map((e) => [e.veneer, e.rules_version]), Array(3).fill(["random_unavailable", "1"]));
    assert.match(events[0].detail, /^crypto\.getRandomValues gave no random bytes: this new visitor gets no id/);
  } finally {
    await broken.close();
  }
});

test("visitors are split between the variations", async () => {
  const counts = { control: 0, bold: 0 };
  for (let i = 0; i < 40; i++) counts[variationOf(await (await veneer.fetch("/")).text())]++;
  assert.ok(counts.control > 5 && counts.bold > 5, JSON.stringify(counts));
});

test("a forced variation works only with a valid preview token", async () => {
  // Find a visitor in the control, then try to force "bold" for them.
  let jar;
  for (let i = 0; i < 50 && !jar; i++) {
    const r = await veneer.fetch("/");
    if (variationOf(await r.text()) === "control") jar = cookieHeader(r.headers.getSetCookie());
  }
  assert.ok(jar, "no visitor landed in the control in 50 tries");
  const headers = { cookie: jar };
  const noToken = await veneer.fetch("/?veneer_force=hero-copy:bold", { headers });
  assert.equal(variationOf(await noToken.text()), "control");
  const badToken = await veneer.fetch(`/?veneer_preview=${previewToken("wrong-secret")}&veneer_force=hero-copy:bold`, { headers });
  const badHtml = await badToken.text();
  assert.equal(variationOf(badHtml), "control");
  assert.equal(badToken.status, 200, "an invalid token is ignored: a normal page, no error page");
  assert.doesNotMatch(badHtml, /veneer-preview-badge/);
  const events = await veneer.events();
  assert.ok(events.some((e) => e.veneer === "preview_ignored" && /signature does not match/.test(e.detail)));
  const good = await veneer.fetch(`/?veneer_preview=${previewToken()}&veneer_force=hero-copy:bold`, { headers });
  assert.equal(variationOf(await good.text()), "bold");
});

test("a preview shows the draft, the badge and the debug header; a visitor at the same moment sees neither", async () => {
  const token = previewToken();
  const [preview, visitor] = await Promise.all([
    veneer.fetch(`https://shop.test/?veneer_preview=${token}`),
    veneer.fetch("https://shop.test/"),
  ]);
  const previewHtml = await preview.text();
  assert.match(previewHtml, /<p>Draft promo<\/p>/);
  assert.match(previewHtml, /<div id="veneer-preview-badge"[^>]*>Veneer preview: draft rules &middot; <a href="\?veneer_preview=end"/);
  assert.equal(preview.headers.get("cache-control"), "no-store");
  const debug = JSON.parse(preview.headers.get("veneer-debug"));
  assert.deepEqual(debug.rules, [{ id: "draft-banner", applied: true, reason: "it applies to everyone on this page" }]);
  assert.equal(debug.experiments[0].id, "hero-copy");
  const previewCookie = preview.headers.getSetCookie().find((c) => c.startsWith("veneer_preview="));
  assert.match(previewCookie, /^veneer_preview=v1\.\d+\.[A-Za-z0-9_-]{43}; Path=\/; Max-Age=3600; HttpOnly; SameSite=Lax; Secure$/);

  const visitorHtml = await visitor.text();
  assert.doesNotMatch(visitorHtml, /Draft promo|veneer-preview-badge/);
  assert.equal(visitor.headers.get("veneer-debug"), null);
  // The visitor is in an experiment: the page is theirs, so shared caches must not keep it.
  assert.equal(visitor.headers.get("cache-control"), "private, max-age=60");

  // The cookie keeps the preview going on the next page; ?veneer_preview=end stops it.
  const jar = cookieHeader([previewCookie]);
  const next = await veneer.fetch("https://shop.test/c/shoes", { headers: { cookie: jar } });
  assert.match(await next.text(), /Draft promo/);
  assert.ok(next.headers.get("veneer-debug"));
  const end = await veneer.fetch("https://shop.test/?veneer_preview=end", { headers: { cookie: jar } });
  assert.doesNotMatch(await end.text(), /Draft promo|veneer-preview-badge/);
  assert.ok(end.headers.getSetCookie().includes("veneer_preview=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure"));
  assert.equal(end.headers.get("veneer-debug"), null);
});

test("bots get the control and no cookies", async () => {
  for (let i = 0; i < 10; i++) {
    const r = await veneer.fetch("/", { headers: { "user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)" } });
    assert.equal(variationOf(await r.text()), "control");
    assert.ok(!r.headers.getSetCookie().some((c) => c.startsWith("veneer_exp=")), "bots are not remembered");
  }
});

test("without a draft, a preview shows the published rules, on every request", async () => {
  const solo = await startVeneer({ origin: shop.url, rules: JSON.stringify(DRAFT), vars: { VENEER_SECRET: SECRET, RULES_CACHE_SECONDS: "60" } });
  try {
    const token = previewToken();
    for (let i = 0; i < 3; i++) {
      const r = await solo.fetch(`/?veneer_preview=${token}`);
      const html = await r.text();
      assert.match(html, /Draft promo/, `request ${i + 1}: the published document (which has the banner) applies`);
      assert.match(html, /veneer-preview-badge/);
    }
  } finally {
    await solo.close();
  }
});
