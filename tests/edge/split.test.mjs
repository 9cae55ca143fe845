// The console's wasm module is separate from the shop's (`make wasm`: edge/console/ beside
// build/), and a visitor's request never loads it. Here the worker runs with a console module
// that logs a line and throws as soon as it is evaluated, and no console wasm at all: visitors'
// pages, previews, /__veneer/collect and the stripping of console credentials must all work as
// usual, with the console on, and that line must not appear; a console request gets the JSON
// 500 (never the origin). Should the entry import the console's module statically, the worker
// would not start; should a shop request import it, the line would be there.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { ROOT, startOrigin, startVeneer } from "./harness.mjs";

const TOKEN = "split-admin-token-5e1d";
const SECRET = "split-preview-secret";
const LOADED = "the console's module was loaded";

/** The home page's heading is the rules' (published or draft); a click goal for /collect. */
const rules = (heading) =>
  JSON.stringify({
    goals: { signup: { type: "click", select: "a.signup", pages: ["/"] } },
    rules: [{ id: "hero", pages: ["/"], actions: [{ select: "h1", set_text: heading }] }],
  });

let origin;
let veneer;
const seen = [];

before(async () => {
  origin = await startOrigin((req, res) => {
    seen.push({ path: req.url, headers: req.headers });
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<html><body><h1>Origin</h1><a class="signup" href="/s">Sign up</a></body></html>`);
  });
  veneer = await startVeneer({
    origin: origin.url,
    rules: rules("Published"),
    vars: { VENEER_ADMIN_TOKEN: TOKEN, VENEER_SECRET: SECRET },
    consoleModule: `console.log(JSON.stringify({ veneer: "console_module_loaded" }));
      throw new Error(${JSON.stringify(LOADED)});`,
  });
  await veneer.kv.put("rules:draft", rules("Draft"));
});
after(async () => {
  await veneer?.close();
  await origin?.close();
});

const heading = (html) => html.match(/<h1>(.*?)<\/h1>/)?.[1];

test("visitors' requests are answered by the shop's module alone, with the console on", async () => {
  const page = await veneer.fetch("/", { headers: { cookie: "consent=yes" } });
  assert.equal(page.status, 200);
  assert.equal(heading(await page.text()), "Published", "the shop's module rewrote the page");

  const token = execFileSync(
    `${process.env.CARGO_TARGET_DIR ?? `${ROOT}target`}/debug/veneer`,
    ["preview-token", "--secret", SECRET, "--ttl", "1h"],
    { encoding: "utf8" },
  ).trim();
  const preview = await (await veneer.fetch(`/?veneer_preview=${token}`)).text();
  assert.equal(heading(preview), "Draft", "a preview shows the draft");
  assert.match(preview, /veneer-preview-badge/);

  // Veneer's script reports goals under the console's prefix: still the shop's.
  const collect = await veneer.fetch("/__veneer/collect", {
    method: "POST",
    headers: { "content-type": "text/plain", cookie: "consent=yes" },
    body: JSON.stringify({ goal: "signup" }),
  });
  assert.equal(collect.status, 204);

  // The console's credentials are taken off a shop request before the origin sees it.
  seen.length = 0;
  const other = await veneer.fetch("/account", {
    headers: { authorization: `Bearer ${TOKEN}`, cookie: "veneer_console=abc; cart=2" },
  });
  assert.equal(other.status, 200);
  await other.text();
  assert.equal(seen.length, 1);
  assert.equal(seen[0].headers.authorization, undefined);
  assert.equal(seen[0].headers.cookie, "cart=2");

  const events = await veneer.events({ atLeast: 0, timeout: 300 });
  const loaded = events.filter((e) => e.veneer === "console_module_loaded" || e.veneer === "console_crashed");
  assert.deepEqual(loaded, [], "the console's module was never loaded");
});

test("a console request loads the console's module: broken, it gets a JSON 500, never the origin", async () => {
  seen.length = 0;
  const answer = await veneer.fetch("/__veneer/api/me", { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(answer.status, 500);
  assert.equal(answer.headers.get("cache-control"), "no-store");
  assert.match((await answer.json()).error, /console crashed/);
  assert.equal(seen.length, 0, "the origin saw nothing");
  const events = await veneer.events({ atLeast: 2 });
  assert.equal(events.filter((e) => e.veneer === "console_module_loaded").length, 1);
  const crashed = events.filter((e) => e.veneer === "console_crashed");
  assert.equal(crashed.length, 1);
  assert.match(crashed[0].detail, new RegExp(LOADED));

  // The shop goes on as before.
  assert.equal(heading(await (await veneer.fetch("/")).text()), "Published");
});

test("a deployment whose entry is the shop's module itself: a console path gets a JSON 500, never the origin", async () => {
  // Without edge/entry.mjs nothing sends console requests to the console's module; the shop's
  // module answers them itself (console_elsewhere in src/edge/handler.rs) and serves pages as usual.
  const bare = await startVeneer({
    origin: origin.url,
    rules: rules("Published"),
    vars: { VENEER_ADMIN_TOKEN: TOKEN },
    entry: "build/index.js",
  });
  try {
    seen.length = 0;
    const answer = await bare.fetch("/__veneer/api/me", { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(answer.status, 500);
    assert.equal(answer.headers.get("cache-control"), "no-store");
    assert.match((await answer.json()).error, /console_not_here/);
    assert.equal(seen.length, 0, "the origin saw nothing");
    const events = await bare.events();
    assert.deepEqual(events.map((e) => [e.veneer, e.path]), [["console_not_here", "/__veneer/api/me"]]);
    assert.equal(heading(await (await bare.fetch("/")).text()), "Published");
  } finally {
    await bare.close();
  }
});
