// Experiment recording in workerd (issue 11): exposures and conversions land in D1 (real
// SQLite in Miniflare) exactly for the visitors who did them; bots, visitors without consent,
// previews and tampered cookies are not counted; /collect refuses hostile bodies with no
// write; the dataLayer event comes before the page's first script; the Analytics Engine
// binding is called; a broken D1 still serves the page.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { startStorefront } from "../../fixtures/storefront/server.mjs";
import { BROWSER_UA, ROOT, launchChromium, startOrigin, startVeneer } from "./harness.mjs";

const SECRET = "analytics-test-secret";
const ADMIN = "analytics-admin-token-0123456789";
const RULES = {
  version: "analytics-1",
  settings: { consent_cookie: "consent", recording: { data_layer: true, log: true } },
  goals: {
    cart_view: { type: "page_view", pages: ["/cart"] },
    cta_click: { type: "click", select: ".hero a.cta", pages: ["/"] },
    add_to_cart: { type: "custom", pages: ["/", "/p/*"] },
    order: { type: "server" },
  },
  experiments: [{
    id: "hero-copy", pages: ["/"],
    variations: [
      { id: "control", actions: [] },
      { id: "bold", actions: [{ select: ".hero h1", set_text: "Made to last" }] },
    ],
    metrics: {
      primary: "cart_view",
      secondary: ["cta_click", { goal: "add_to_cart", kind: "value" }, { goal: "order", kind: "value" }],
    },
  }],
};

let shop;
let veneer;
before(async () => {
  shop = await startStorefront({ port: 0 });
  veneer = await startVeneer({
    origin: shop.url,
    rules: JSON.stringify(RULES),
    vars: { VENEER_SECRET: SECRET, VENEER_ADMIN_TOKEN: ADMIN },
    entry: "tests/edge/analytics-entry.mjs",
  });
});
after(async () => {
  await veneer?.close();
  await shop?.close();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const newId = () => randomBytes(16).toString("base64url");
const variationOf = (html) => (html.includes("<h1>Made to last</h1>") ? "bold" : html.includes("<h1>Built for the trail</h1>") ? "control" : "?");
const VARIATIONS = ["control", "bold"];

/** Rows of a query, once `ready(rows)` holds (writes happen after the response) or 3 s passed. */
async function rows(sql, params = [], ready = (r) => r.length > 0) {
  const deadline = Date.now() + 3000;
  for (;;) {
    const { results } = await veneer.db.prepare(sql).bind(...params).all();
    if (ready(results) || Date.now() > deadline) return results;
    await sleep(25);
  }
}

/** Waits for recording writes already started to finish (there is nothing to poll for). */
const settle = () => sleep(300);

/** A visitor with a given id and consent: their first page, and their cookie jar. */
async function visit(id, { path = "/", consent = true, jar = "", headers = {} } = {}) {
  const cookies = [`veneer_id=${id}`];
  if (consent) cookies.push("consent=yes");
  if (jar) cookies.push(jar);
  const response = await veneer.fetch(`https://shop.test${path}`, { headers: { cookie: cookies.join("; "), ...headers } });
  const html = await response.text();
  const exp = response.headers.getSetCookie().find((c) => c.startsWith("veneer_exp="));
  return { response, html, jar: exp ? exp.split(";")[0] : jar, cookie: [...cookies, ...(exp ? [exp.split(";")[0]] : [])].join("; ") };
}

async function countRows(table, where = "1 = 1", params = []) {
  const { results } = await veneer.db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`).bind(...params).all();
  return results[0].n;
}

test("N visitors reach the page: D1 holds exactly their exposures, each in the variation they saw", async () => {
  const seen = new Map();
  for (let i = 0; i < 40; i++) {
    const id = newId();
    const { html } = await visit(id);
    seen.set(id, variationOf(html));
  }
  // A second view changes nothing: the first exposure stays.
  const [again] = seen.keys();
  await visit(again, { jar: "" });
  const ids = [...seen.keys()];
  const found = await rows(
    `SELECT visitor, variation, first_seen FROM exposures WHERE experiment = 'hero-copy' AND visitor IN (${ids.map(() => "?").join(",")})`,
    ids,
    (r) => r.length >= ids.length,
  );
  assert.equal(found.length, 40);
  for (const row of found) {
    assert.equal(VARIATIONS[row.variation], seen.get(row.visitor), row.visitor);
    assert.ok(Math.abs(row.first_seen - Date.now()) < 60_000, "first_seen is the time in ms");
  }
  const perVariation = (v) => [...seen.values()].filter((x) => x === v).length;
  assert.ok(perVariation("control") > 5 && perVariation("bold") > 5, "both variations got visitors");
});

test("the results API reports exactly the users per variation and the conversions in D1", async () => {
  const get = (path, token = ADMIN) => veneer.fetch(`https://shop.test/__veneer/api/${path}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal((await get("results/hero-copy", "wrong")).status, 401);
  assert.equal((await get("results/nope")).status, 404);
  const response = await get("results/hero-copy?format=counts");
  assert.equal(response.status, 200);
  const counts = await response.json();
  const { results: perVariation } = await veneer.db.prepare("SELECT variation, COUNT(*) AS n FROM exposures WHERE experiment = 'hero-copy' GROUP BY variation ORDER BY variation").all();
  assert.deepEqual(counts.variations, VARIATIONS.map((key, i) => ({ key, users: perVariation.find((r) => r.variation === i)?.n ?? 0 })));
  assert.equal(counts.variations[0].users + counts.variations[1].users, 40);
  assert.deepEqual(counts.weights, [0.5, 0.5]);
  assert.deepEqual(counts.metrics.map((m) => [m.goal, m.kind, m.primary]), [["cart_view", "binomial", true], ["cta_click", "binomial", false], ["add_to_cart", "value", false], ["order", "value", false]]);
  const today = new Date().toISOString().slice(0, 10);
  assert.deepEqual(counts.days, [{ day: today, users: counts.variations.map((v) => v.users) }]);
  // Without format=counts: the statistics of those counts (stats::analyze).
  const analysis = await (await get("results/hero-copy?engine=frequentist")).json();
  assert.deepEqual(analysis.problems, []);
  assert.deepEqual(analysis.variations, counts.variations);
  assert.equal(analysis.options.engine, "frequentist");
  assert.ok(analysis.srm && typeof analysis.srm.status === "string", JSON.stringify(analysis.srm));
  assert.deepEqual(analysis.metrics.map((m) => m.goal), ["cart_view", "cta_click", "add_to_cart", "order"]);
  assert.equal((await get("results/hero-copy?engine=magic")).status, 400);
});

test("bots, visitors without consent and previews are not counted", async () => {
  const before = await countRows("exposures");
  const bot = newId();
  await visit(bot, { headers: { "user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)" } });
  const noConsent = newId();
  await visit(noConsent, { consent: false });
  const previewer = newId();
  const token = execFileSync(`${process.env.CARGO_TARGET_DIR ?? `${ROOT}target`}/debug/veneer`, ["preview-token", "--secret", SECRET, "--ttl", "1h"], { encoding: "utf8" }).trim();
  await visit(previewer, { path: `/?veneer_preview=${token}` });
  await visit(previewer, { path: `/?veneer_preview=${token}&veneer_force=hero-copy:bold` });
  await settle();
  assert.equal(await countRows("exposures"), before);
  for (const id of [bot, noConsent, previewer]) {
    assert.equal(await countRows("exposures", "visitor = ?", [id]), 0, id);
  }
});

test("a page-view goal converts exactly the visitors who viewed it, in their variation", async () => {
  const buyers = [];
  const browsers = [];
  for (let i = 0; i < 10; i++) {
    const id = newId();
    const first = await visit(id);
    (i % 2 ? buyers : browsers).push({ id, cookie: first.cookie, variation: variationOf(first.html) });
  }
  for (const b of buyers) {
    await veneer.fetch("https://shop.test/cart", { headers: { cookie: b.cookie } }).then((r) => r.text());
    await veneer.fetch("https://shop.test/cart", { headers: { cookie: b.cookie } }).then((r) => r.text());
  }
  const ids = [...buyers, ...browsers].map((b) => b.id);
  const found = await rows(
    `SELECT visitor, variation, count FROM conversions WHERE goal = 'cart_view' AND visitor IN (${ids.map(() => "?").join(",")})`,
    ids,
    (r) => r.length >= buyers.length && r.every((x) => x.count === 2),
  );
  assert.deepEqual(found.map((r) => r.visitor).sort(), buyers.map((b) => b.id).sort());
  for (const row of found) {
    const buyer = buyers.find((b) => b.id === row.visitor);
    assert.equal(VARIATIONS[row.variation], buyer.variation);
    assert.equal(row.count, 2, "each view counts");
  }
  // A browser with its assignment rewritten to the other variation: no conversion at all.
  const [cheat] = browsers;
  const other = cheat.variation === "bold" ? "control" : "bold";
  const tampered = cheat.cookie.replace(/veneer_exp=hero-copy=(control|bold)/, `veneer_exp=hero-copy=${other}`);
  assert.notEqual(tampered, cheat.cookie);
  await (await veneer.fetch("https://shop.test/cart", { headers: { cookie: tampered } })).text();
  await settle();
  assert.equal(await countRows("conversions", "visitor = ?", [cheat.id]), 0, "the tampered cookie converted nothing");
  // The results count each buyer once (binomial), in the variation they saw.
  const counts = await (await veneer.fetch("https://shop.test/__veneer/api/results/hero-copy?format=counts", { headers: { authorization: `Bearer ${ADMIN}` } })).json();
  const cart = counts.metrics.find((m) => m.goal === "cart_view");
  assert.deepEqual(cart.totals.map((t) => t.sum), VARIATIONS.map((v) => buyers.filter((b) => b.variation === v).length));
});

test("custom goals through /collect convert only visitors with a genuine assignments cookie", async () => {
  const id = newId();
  const first = await visit(id);
  const post = (cookie, body) =>
    veneer.fetch("https://shop.test/__veneer/collect", { method: "POST", headers: { cookie, "content-type": "text/plain" }, body });
  assert.equal((await post(first.cookie, JSON.stringify({ goal: "add_to_cart", value: 39.9 }))).status, 204);
  assert.equal((await post(first.cookie, JSON.stringify({ goal: "add_to_cart", value: 10 }))).status, 204);
  const [row] = await rows("SELECT * FROM conversions WHERE goal = 'add_to_cart' AND visitor = ?", [id], (r) => r[0]?.count === 2);
  assert.equal(row.count, 2);
  assert.ok(Math.abs(row.value - 49.9) < 1e-9);
  assert.equal(VARIATIONS[row.variation], variationOf(first.html));

  // The same visitor with the assignment claimed for the other variation: signature broken.
  const other = variationOf(first.html) === "bold" ? "control" : "bold";
  const tampered = first.cookie.replace(/veneer_exp=hero-copy=(control|bold)/, `veneer_exp=hero-copy=${other}`);
  const stranger = newId();
  const forged = `veneer_id=${stranger}; consent=yes; ${first.jar}`; // someone else's cookie
  for (const cookie of [tampered, forged]) {
    assert.equal((await post(cookie, JSON.stringify({ goal: "add_to_cart", value: 1000 }))).status, 204);
  }
  await settle();
  const [after] = await rows("SELECT * FROM conversions WHERE goal = 'add_to_cart' AND visitor = ?", [id]);
  assert.equal(after.count, 2, "the tampered cookie recorded nothing");
  assert.equal(await countRows("conversions", "visitor = ?", [stranger]), 0);
  assert.equal(await countRows("exposures", "visitor = ?", [stranger]), 0);
});

test("hostile /collect bodies get 400 and a flood 429, with no write", async () => {
  const id = newId();
  const first = await visit(id);
  await settle();
  const before = await countRows("conversions");
  const post = (body, extra = {}) =>
    veneer.fetch("https://shop.test/__veneer/collect", { method: "POST", headers: { cookie: first.cookie, ...extra }, body });
  for (const body of [
    "not json",
    "[]",
    JSON.stringify({ goal: "nope" }),
    JSON.stringify({ goal: "cart_view" }), // a page-view goal: only the edge records it
    JSON.stringify({ goal: "order", value: 10 }), // a server goal: only the backend posts it
    JSON.stringify({ goal: "add_to_cart", value: "10" }),
    JSON.stringify({ goal: "add_to_cart", value: 1e12 }),
    JSON.stringify({ goal: "add_to_cart", visitor: "someone-else" }),
    JSON.stringify({ goal: "add_to_cart", pad: "x".repeat(600) }),
  ]) {
    const response = await post(body);
    assert.equal(response.status, 400, body.slice(0, 60));
    assert.match((await response.json()).error, /./);
  }
  assert.equal((await veneer.fetch("https://shop.test/__veneer/collect")).status, 405);
  await settle();
  assert.equal(await countRows("conversions"), before, "nothing was written");

  // One client (address) past the limit per minute: 429, and those events are not written.
  const flood = { "cf-connecting-ip": "203.0.113.9" };
  const statuses = [];
  for (let i = 0; i < 70; i++) {
    statuses.push((await post(JSON.stringify({ goal: "add_to_cart", value: 1 }), flood)).status);
  }
  assert.deepEqual(statuses.slice(0, 60), Array(60).fill(204));
  assert.deepEqual(statuses.slice(60), Array(10).fill(429));
  const [row] = await rows("SELECT count FROM conversions WHERE goal = 'add_to_cart' AND visitor = ?", [id], (r) => r[0]?.count >= 60);
  await settle();
  const [final] = await rows("SELECT count FROM conversions WHERE goal = 'add_to_cart' AND visitor = ?", [id]);
  assert.equal(row.count, 60);
  assert.equal(final.count, 60, "the refused events were not written");
});

test("server goals, posted with the admin token, convert the exposed visitor only", async () => {
  const id = newId();
  const first = await visit(id);
  await rows("SELECT * FROM exposures WHERE visitor = ?", [id]);
  const post = (body, token = ADMIN) =>
    veneer.fetch("https://shop.test/__veneer/api/conversions", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, origin: "https://shop.test", "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const ok = await post({ goal: "order", visitor: id, value: 120.5 });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { attributed: 1 });
  const never = newId();
  assert.deepEqual(await (await post({ goal: "order", visitor: never, value: 99 })).json(), { attributed: 0 });
  assert.equal((await post({ goal: "order", visitor: id, value: 5 }, "wrong-token")).status, 401);
  assert.equal((await post({ goal: "cta_click", visitor: id })).status, 400);
  assert.equal((await post({ goal: "order", visitor: "not an id!" })).status, 400);
  const found = await rows("SELECT * FROM conversions WHERE goal = 'order' AND visitor IN (?, ?)", [id, never]);
  assert.equal(found.length, 1);
  assert.equal(found[0].visitor, id);
  assert.equal(found[0].value, 120.5);
  assert.equal(VARIATIONS[found[0].variation], variationOf(first.html));
});

test("the dataLayer event is in the page before its first script, with the variation shown", async () => {
  const { html } = await visit(newId());
  const push = html.indexOf("experiment_viewed");
  const firstScript = html.search(/<script(?![^>]*data-veneer)/i);
  assert.ok(push > 0, "the event is there");
  assert.ok(firstScript < 0 || push < firstScript, "before the page's own first script");
  const event = JSON.parse(html.slice(html.indexOf("window.dataLayer.push(", push - 200) + 22, html.indexOf(");", push)));
  assert.deepEqual(event, { event: "experiment_viewed", experiment_id: "hero-copy", variation_id: variationOf(html) });
  // A visitor who is not counted gets no event.
  const bot = await visit(newId(), { headers: { "user-agent": "Googlebot/2.1" } });
  assert.ok(!bot.html.includes("experiment_viewed"));
});

test("the Analytics Engine binding gets one data point per event, and a log line each", async () => {
  const points = (lines) => lines.filter((l) => l.veneer === "analytics_engine_stub").map((l) => l.point);
  await sleep(300); // lines of earlier tests still arriving
  const before = points(await veneer.events({ timeout: 0 })).length;
  const id = newId();
  const first = await visit(id);
  let lines = [];
  for (let i = 0; i < 50; i++) {
    lines = await veneer.events({ timeout: 0 });
    if (lines.some((l) => l.veneer === "experiment_event" && l.visitor === id)) break;
    await sleep(100);
  }
  await sleep(300);
  lines = await veneer.events({ timeout: 0 });
  const mine = points(lines).slice(before);
  assert.equal(mine.length, 1, "one data point for the one event");
  assert.deepEqual(mine[0].indexes, ["hero-copy"]);
  assert.deepEqual(mine[0].blobs, ["exposure", "hero-copy", variationOf(first.html), ""]);
  assert.deepEqual(mine[0].doubles, [0, 1, VARIATIONS.indexOf(variationOf(first.html))], "value, first exposure, variation index");
  const logged = lines.filter((l) => l.veneer === "experiment_event" && l.visitor === id);
  assert.deepEqual(logged.map((l) => [l.event, l.experiment, l.variation]), [["exposure", "hero-copy", variationOf(first.html)]]);
});

test("a click goal from a real browser converts that visitor", async () => {
  const live = await startVeneer({
    origin: shop.url,
    rules: JSON.stringify(RULES),
    vars: { VENEER_SECRET: SECRET },
    listen: true,
  });
  const browser = await launchChromium();
  try {
    // Headless Chromium says "HeadlessChrome", which Veneer counts as a bot: a desktop UA.
    const context = await browser.newContext({ userAgent: BROWSER_UA });
    const id = newId();
    const host = new URL(live.url).hostname;
    await context.addCookies([
      { name: "consent", value: "yes", domain: host, path: "/" },
      { name: "veneer_id", value: id, domain: host, path: "/" },
    ]);
    const page = await context.newPage();
    await page.goto(live.url);
    const variation = variationOf(await page.content());
    assert.equal(await page.evaluate(() => typeof window.veneer?.track), "function");
    await Promise.all([page.waitForURL(/\/c\/shoes/), page.click(".hero a.cta")]);
    const deadline = Date.now() + 5000;
    let found = [];
    while (Date.now() < deadline && found.length === 0) {
      ({ results: found } = await live.db.prepare("SELECT * FROM conversions WHERE goal = 'cta_click' AND visitor = ?").bind(id).all());
      await sleep(50);
    }
    assert.equal(found.length, 1, "the click was recorded");
    assert.equal(VARIATIONS[found[0].variation], variation);
    // A custom goal from the page's own code.
    await page.goto(live.url);
    assert.equal(await page.evaluate(() => window.veneer.track("add_to_cart", { value: 12.5 })), true);
    let custom = [];
    while (Date.now() < deadline + 5000 && custom.length === 0) {
      ({ results: custom } = await live.db.prepare("SELECT * FROM conversions WHERE goal = 'add_to_cart' AND visitor = ?").bind(id).all());
      await sleep(50);
    }
    assert.equal(custom.length, 1);
    assert.equal(custom[0].value, 12.5);
  } finally {
    await browser.close();
    await live.close();
  }
});

test("a D1 that fails (no tables) still serves the page, and logs one line", async () => {
  const broken = await startVeneer({ origin: shop.url, rules: JSON.stringify(RULES), vars: { VENEER_SECRET: SECRET } });
  try {
    await broken.db.prepare("DROP TABLE exposures").run();
    const response = await broken.fetch("https://shop.test/", { headers: { cookie: `veneer_id=${newId()}; consent=yes` } });
    assert.equal(response.status, 200);
    assert.notEqual(variationOf(await response.text()), "?");
    // The batch goes out after the response (a flush 100 ms later): wait for its log line.
    const failedLines = async () => (await broken.events({ timeout: 0 })).filter((e) => e.veneer === "recording_failed");
    for (let i = 0; i < 50 && (await failedLines()).length === 0; i++) await sleep(100);
    await sleep(500);
    const events = await broken.events({ timeout: 0 });
    const failed = events.filter((e) => e.veneer === "recording_failed");
    assert.equal(failed.length, 1, JSON.stringify(events));
    assert.match(failed[0].detail, /migrations/);
  } finally {
    await broken.close();
  }
});

test("Veneer's script and the dataLayer event carry the page's CSP nonce", async () => {
  const page = `<!doctype html><html><head><title>t</title><script nonce="r4nd0m">window.own = 1;</script></head>
<body><div class="hero"><h1>Built for the trail</h1><a class="cta" href="/c/shoes">Shop</a></div></body></html>`;
  const origin = await startOrigin((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-security-policy": "script-src 'nonce-r4nd0m'" });
    res.end(page);
  });
  const csp = await startVeneer({ origin: origin.url, rules: JSON.stringify(RULES), vars: { VENEER_SECRET: SECRET } });
  try {
    const response = await csp.fetch("https://shop.test/", { headers: { cookie: `veneer_id=${newId()}; consent=yes` } });
    const html = await response.text();
    const scripts = [...html.matchAll(/<script[^>]*>/g)].map((m) => m[0]);
    assert.deepEqual(scripts, [
      '<script nonce="r4nd0m" data-veneer="datalayer">',
      '<script nonce="r4nd0m">',
      '<script nonce="r4nd0m" data-veneer="tracker">',
    ]);
  } finally {
    await csp.close();
    await origin.close();
  }
});
