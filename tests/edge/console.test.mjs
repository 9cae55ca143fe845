// The marketer console in workerd (docs/console.md): sign-in and its refusals, CSRF, drafts
// with problems, publish / 409 / rollback / scheduled publish against the live page, the audit
// log, and the rule that console paths and credentials never reach the origin.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startOrigin, startVeneer } from "./harness.mjs";

const TOKEN = "test-admin-token-4f9c2b7e";
const SITE = "http://shop.test";
const PREFIX = "/__veneer";

/** A rules document whose only rule sets the home page's heading. */
const doc = (heading) =>
  JSON.stringify({ rules: [{ id: "hero", pages: ["/"], actions: [{ select: "h1", set_text: heading }] }] }, null, 2);
const BROKEN = JSON.stringify({
  rules: [
    { id: "hero", pages: ["/"], actions: [{ select: "h1", set_text: "Fine" }] },
    { id: "bad", pages: ["/"], actions: [{ select: "h1", set_html: "<div>unclosed" }, { selekt: "p" }] },
  ],
});

/** The origin: a tiny shop that records every request it gets. */
let origin;
const seen = [];
before(async () => {
  origin = await startOrigin((req, res) => {
    seen.push({ method: req.method, path: req.url, headers: req.headers });
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<html><body><h1>Origin</h1><p>${req.url}</p></body></html>`);
  });
});
after(() => origin?.close());

async function withConsole(fn, { vars = {}, rules = doc("Seeded") } = {}) {
  const veneer = await startVeneer({
    origin: origin.url,
    rules,
    vars: { VENEER_ADMIN_TOKEN: TOKEN, VENEER_SECRET: "preview-secret", ...vars },
  });
  try {
    await fn(veneer);
  } finally {
    await veneer.close();
  }
}

/**
 * A console API call: `auth` is "bearer" (the admin token), a cookie string, or null; mutating
 * calls carry the console's Origin and a JSON body unless told otherwise.
 */
async function api(veneer, method, path, { body, auth = "bearer", headers = {} } = {}) {
  const h = { ...headers };
  if (auth === "bearer") h.authorization = `Bearer ${TOKEN}`;
  else if (auth) h.cookie = auth;
  if (method !== "GET") {
    h.origin ??= SITE;
    h["content-type"] ??= "application/json";
  }
  const response = await veneer.fetch(`${PREFIX}/api/${path}`, {
    method,
    headers: h,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, json, text, headers: response.headers };
}

const heading = async (veneer, path = "/") => (await (await veneer.fetch(path)).text()).match(/<h1>(.*?)<\/h1>/)?.[1];
const head = async (veneer) => (await api(veneer, "GET", "live")).json.revision?.number ?? null;

async function publish(veneer, document, message, base) {
  const saved = await api(veneer, "PUT", "draft", { body: { document } });
  assert.equal(saved.status, 200, saved.text);
  return api(veneer, "POST", "publish", { body: { message, base } });
}

async function audit(veneer) {
  const { status, json } = await api(veneer, "GET", "audit?format=json");
  assert.equal(status, 200);
  return json.entries;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe("signing in", () => {
  test("without a session every API answer is 401 {error: sign in}, no-store, and nothing else", async () => {
    await withConsole(async (veneer) => {
      await publish(veneer, doc("Secret heading"), "first", null);
      const calls = [
        ["GET", "me"], ["GET", "draft"], ["GET", "live"], ["GET", "revisions"], ["GET", "revisions/1"],
        ["GET", "schedule"], ["GET", "audit?format=csv"], ["GET", "status"], ["GET", "nope"],
        ["PUT", "draft", { document: "{}" }], ["POST", "validate", { document: "{}" }],
        ["POST", "publish", { message: "x", base: 1 }], ["POST", "rollback", { to: 1, base: 1 }],
        ["POST", "schedule", { at: "2099-01-01T00:00:00Z", message: "x", base: 1 }], ["DELETE", "schedule"],
        ["POST", "preview-token", { ttl: "1h" }],
      ];
      for (const auth of [null, "veneer_console=forged.value.sig", "veneer_console="]) {
        for (const [method, path, body] of calls) {
          const r = await api(veneer, method, path, { body, auth });
          assert.equal(r.status, 401, `${method} ${path} with ${auth}`);
          assert.equal(r.text, '{"error":"sign in"}', `${method} ${path}`);
          assert.equal(r.headers.get("cache-control"), "no-store");
        }
      }
      // The draft is what it was: none of those calls changed anything.
      assert.equal((await api(veneer, "GET", "draft")).json.document, doc("Secret heading"));
    });
  });

  test("a wrong admin token is refused, slowly, and audited; the right one signs in", async () => {
    await withConsole(async (veneer) => {
      const started = Date.now();
      const wrong = await api(veneer, "POST", "session", { body: { token: "guess", name: "Mallory" }, auth: null });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.text, '{"error":"sign in"}');
      assert.equal(wrong.headers.get("set-cookie"), null);
      assert.ok(Date.now() - started >= 900, "a failed sign-in waits before it answers");
      const bearer = await api(veneer, "GET", "me", { auth: null, headers: { authorization: "Bearer guess" } });
      assert.equal(bearer.status, 401);

      const ok = await api(veneer, "POST", "session", { body: { token: TOKEN, name: "Ana" }, auth: null });
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.json, { name: "Ana" });
      const cookie = ok.headers.get("set-cookie");
      assert.match(cookie, /^veneer_console=[^;]+; Path=\/__veneer; Max-Age=43200; HttpOnly; SameSite=Strict$/);
      const session = cookie.split(";")[0];
      assert.deepEqual((await api(veneer, "GET", "me", { auth: session })).json, { name: "Ana", via: "token" });
      assert.deepEqual((await api(veneer, "GET", "me")).json, { name: "token", via: "bearer" });

      const out = await api(veneer, "DELETE", "session", { auth: session });
      assert.equal(out.status, 200);
      assert.match(out.headers.get("set-cookie"), /^veneer_console=; Path=\/__veneer; Max-Age=0;/);

      const actions = (await audit(veneer)).map((e) => [e.action, e.who]);
      assert.deepEqual(actions, [["sign_in", "Ana"], ["sign_in_failed", "token"], ["sign_in_failed", "Mallory"]]);
    });
  });

  test("an expired session is refused", async () => {
    await withConsole(async (veneer) => {
      const ok = await api(veneer, "POST", "session", { body: { token: TOKEN, name: "Ana" }, auth: null });
      const session = ok.headers.get("set-cookie").split(";")[0];
      assert.equal((await api(veneer, "GET", "me", { auth: session })).status, 200);
      await sleep(2_100);
      const expired = await api(veneer, "GET", "me", { auth: session });
      assert.equal(expired.status, 401);
      assert.equal(expired.text, '{"error":"sign in"}');
    }, { vars: { CONSOLE_SESSION_SECONDS: "1" } });
  });

  test("a cross-origin or non-JSON change is refused with 403, signed in or not", async () => {
    await withConsole(async (veneer) => {
      await api(veneer, "PUT", "draft", { body: { document: doc("Mine") } });
      const attempts = [
        { origin: "https://evil.test" },
        { origin: "http://shop.test.evil.test" },
        { "content-type": "text/plain" },
        { "content-type": "application/x-www-form-urlencoded" },
      ];
      for (const headers of attempts) {
        for (const [method, path] of [["PUT", "draft"], ["POST", "publish"], ["POST", "session"], ["DELETE", "schedule"]]) {
          const r = await api(veneer, method, path, { body: { document: doc("Theirs"), message: "x", base: null, token: TOKEN, name: "x" }, headers });
          assert.equal(r.status, 403, `${method} ${path} with ${JSON.stringify(headers)}`);
          assert.ok(typeof r.json.error === "string" && r.json.error.length > 0);
        }
      }
      // No Origin header at all is refused too.
      const bare = await veneer.fetch(`${PREFIX}/api/draft`, {
        method: "PUT",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ document: doc("Theirs") }),
      });
      assert.equal(bare.status, 403);
      assert.equal((await api(veneer, "GET", "draft")).json.document, doc("Mine"));
      assert.equal(await head(veneer), null, "nothing was published");
    });
  });
});

describe("drafts and publishing", () => {
  test("a draft with problems is saved, answered 422 with JSON paths and pointers, and cannot be published", async () => {
    await withConsole(async (veneer) => {
      const saved = await api(veneer, "PUT", "draft", { body: { document: BROKEN } });
      assert.equal(saved.status, 422);
      assert.ok(saved.json.problems.length >= 2, saved.text);
      for (const p of saved.json.problems) {
        assert.match(p.path, /^\$\.rules\[1\]/);
        assert.match(p.pointer, /^\/rules\/1/);
        assert.equal(typeof p.message, "string");
      }
      assert.ok(saved.json.problems.some((p) => p.pointer === "/rules/1/actions/0/set_html"), saved.text);
      const draft = await api(veneer, "GET", "draft");
      assert.equal(draft.status, 200);
      assert.equal(draft.json.document, BROKEN);
      assert.deepEqual(draft.json.problems, saved.json.problems);
      assert.equal(draft.json.author, "token");
      assert.match(draft.json.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.deepEqual((await api(veneer, "POST", "validate", { body: { document: BROKEN } })).json.problems, saved.json.problems);
      const notJson = await api(veneer, "POST", "validate", { body: { document: "{ nope" } });
      assert.equal(notJson.json.problems[0].path, "$");
      assert.equal(notJson.json.problems[0].pointer, "");

      const refused = await api(veneer, "POST", "publish", { body: { message: "try", base: null } });
      assert.equal(refused.status, 422);
      assert.deepEqual(refused.json.problems, saved.json.problems);
      assert.equal(await heading(veneer), "Seeded");
      assert.deepEqual((await api(veneer, "GET", "revisions")).json.revisions, []);
    });
  });

  test("publish changes the live page, and the revision shows in live, history, status and the audit log", async () => {
    await withConsole(async (veneer) => {
      assert.equal(await heading(veneer), "Seeded");
      assert.equal((await api(veneer, "GET", "draft")).status, 404);
      const first = await publish(veneer, doc("Black Friday"), "Black Friday banner", null);
      assert.equal(first.status, 200, first.text);
      const meta = first.json.revision;
      assert.equal(meta.number, 1);
      assert.equal(meta.parent, null);
      assert.equal(meta.author, "token");
      assert.equal(meta.message, "Black Friday banner");
      assert.equal(meta.size, doc("Black Friday").length);
      assert.match(meta.hash, /^[0-9a-f]{64}$/);
      assert.equal(await heading(veneer), "Black Friday");

      const live = await api(veneer, "GET", "live");
      assert.equal(live.json.document, doc("Black Friday"));
      assert.deepEqual(live.json.revision, meta);
      const second = await publish(veneer, doc("Cyber Monday"), "Cyber Monday", 1);
      assert.equal(second.status, 200, second.text);
      assert.deepEqual([second.json.revision.number, second.json.revision.parent], [2, 1]);
      assert.equal(await heading(veneer), "Cyber Monday");
      const history = (await api(veneer, "GET", "revisions")).json.revisions;
      assert.deepEqual(history.map((r) => r.number), [2, 1]);
      const one = await api(veneer, "GET", "revisions/1");
      assert.deepEqual(one.json, { revision: meta, document: doc("Black Friday") });
      assert.equal((await api(veneer, "GET", "revisions/3")).status, 404);
      assert.equal((await api(veneer, "GET", "revisions/x")).status, 404);

      await heading(veneer); // a shop page loads the live rules into this isolate
      assert.deepEqual((await api(veneer, "GET", "status")).json, { live: 2, serving: 2, propagating: false });
      // Publishing the same document again is refused: nothing would change.
      const same = await api(veneer, "POST", "publish", { body: { message: "again", base: 2 } });
      assert.equal(same.status, 400);
      assert.match(same.json.error, /nothing to publish/);

      const entries = await audit(veneer);
      assert.deepEqual(entries.map((e) => [e.action, e.revision]), [["publish", 2], ["save", null], ["publish", 1], ["save", null]]);
      assert.match(entries[0].summary, /^Cyber Monday: rules: ~hero/);
      const csv = await api(veneer, "GET", "audit?format=csv");
      assert.match(csv.headers.get("content-type"), /^text\/csv/);
      assert.match(csv.text, /^time,who,action,revision,summary\r\n/);
      assert.match(csv.text, /\r\n"?[0-9T:Z-]+"?,"?token"?,"?publish"?,"?2"?,/);
    });
  });

  test("two publishes on the same base: exactly one wins, the other gets 409 with the head", async () => {
    await withConsole(async (veneer) => {
      await publish(veneer, doc("Base"), "base", null);
      await api(veneer, "PUT", "draft", { body: { document: doc("Race") } });
      const results = await Promise.all([
        api(veneer, "POST", "publish", { body: { message: "mine", base: 1 } }),
        api(veneer, "POST", "publish", { body: { message: "theirs", base: 1 } }),
      ]);
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 409]);
      const lost = results.find((r) => r.status === 409).json;
      assert.equal(lost.head.number, 2);
      assert.match(lost.error, /someone published meanwhile/);
      assert.equal(lost.summary, "rules: ~hero");
      const history = (await api(veneer, "GET", "revisions")).json.revisions.map((r) => r.number);
      assert.deepEqual(history, [2, 1], "one revision made, none lost");
      // A stale base is refused the same way later on.
      const stale = await api(veneer, "POST", "publish", { body: { message: "late", base: 1 } });
      assert.equal(stale.status, 409);
    });
  });

  test("rollback publishes an old revision as a new one and restores the earlier page", async () => {
    await withConsole(async (veneer) => {
      await publish(veneer, doc("Good"), "good", null);
      await publish(veneer, doc("Broken banner"), "oops", 1);
      assert.equal(await heading(veneer), "Broken banner");
      const stale = await api(veneer, "POST", "rollback", { body: { to: 1, base: 1 } });
      assert.equal(stale.status, 409);
      const back = await api(veneer, "POST", "rollback", { body: { to: 1, message: "", base: 2 } });
      assert.equal(back.status, 200, back.text);
      assert.equal(back.json.revision.number, 3);
      assert.equal(back.json.revision.parent, 2);
      assert.equal(back.json.revision.message, "Roll back to revision 1");
      assert.equal(await heading(veneer), "Good");
      assert.equal((await api(veneer, "GET", "revisions/3")).json.document, doc("Good"));
      assert.equal((await api(veneer, "POST", "rollback", { body: { to: 9, base: 3 } })).status, 404);
      const [latest] = await audit(veneer);
      assert.deepEqual([latest.action, latest.revision], ["rollback", 3]);
    });
  });

  test("a preview token shows the draft on the live site", async () => {
    await withConsole(async (veneer) => {
      await publish(veneer, doc("Live"), "live", null);
      await api(veneer, "PUT", "draft", { body: { document: doc("Draft") } });
      const { status, json } = await api(veneer, "POST", "preview-token", { body: { ttl: "1h" } });
      assert.equal(status, 200);
      assert.match(json.url, /^http:\/\/shop\.test\/\?veneer_preview=v1\./);
      assert.ok(Date.parse(json.expires_at) > Date.now() + 3_500_000);
      assert.equal(await heading(veneer, json.url), "Draft");
      assert.equal(await heading(veneer), "Live");
      assert.equal((await api(veneer, "POST", "preview-token", { body: { ttl: "90d" } })).status, 400);
    });
  });
});

describe("scheduled publish", () => {
  test("fires once at its time, publishing the draft as it is then", async () => {
    await withConsole(async (veneer) => {
      await publish(veneer, doc("Before"), "before", null);
      await api(veneer, "PUT", "draft", { body: { document: doc("Scheduled early") } });
      const at = new Date(Date.now() + 2_500).toISOString();
      const set = await api(veneer, "POST", "schedule", { body: { at, message: "Midnight sale", base: 1 } });
      assert.equal(set.status, 200, set.text);
      assert.equal(set.json.scheduled.message, "Midnight sale");
      assert.deepEqual((await api(veneer, "GET", "schedule")).json, set.json);
      // Changed after scheduling: the publish takes the draft as it is when it fires.
      await api(veneer, "PUT", "draft", { body: { document: doc("Midnight sale") } });
      assert.equal(await heading(veneer), "Before");
      const deadline = Date.now() + 10_000;
      while ((await heading(veneer)) !== "Midnight sale" && Date.now() < deadline) await sleep(200);
      assert.equal(await heading(veneer), "Midnight sale");
      assert.deepEqual((await api(veneer, "GET", "schedule")).json, { scheduled: null });
      const entries = await audit(veneer);
      assert.deepEqual([entries[0].action, entries[0].revision, entries[0].who], ["scheduled_publish", 2, "token"]);
      assert.ok(entries.some((e) => e.action === "schedule"));
      await sleep(1_500);
      assert.equal((await api(veneer, "GET", "revisions")).json.revisions.length, 2, "it fired once");
    });
  });

  test("can be cancelled, and one of a draft with problems is refused and audited", async () => {
    await withConsole(async (veneer) => {
      await publish(veneer, doc("Steady"), "steady", null);
      const later = new Date(Date.now() + 60_000).toISOString();
      assert.equal((await api(veneer, "POST", "schedule", { body: { at: later, message: "later", base: 1 } })).status, 200);
      const cancelled = await api(veneer, "DELETE", "schedule");
      assert.deepEqual(cancelled.json, { scheduled: null });
      assert.equal((await audit(veneer))[0].action, "unschedule");
      const past = await api(veneer, "POST", "schedule", { body: { at: "2020-01-01T00:00:00Z", message: "x", base: 1 } });
      assert.equal(past.status, 400);
      const stale = await api(veneer, "POST", "schedule", { body: { at: later, message: "x", base: null } });
      assert.equal(stale.status, 409);

      await api(veneer, "PUT", "draft", { body: { document: BROKEN } });
      const soon = new Date(Date.now() + 1_500).toISOString();
      assert.equal((await api(veneer, "POST", "schedule", { body: { at: soon, message: "broken", base: 1 } })).status, 200);
      const deadline = Date.now() + 10_000;
      let entries = [];
      while (Date.now() < deadline) {
        entries = await audit(veneer);
        if (entries[0].action === "scheduled_publish") break;
        await sleep(200);
      }
      assert.equal(entries[0].action, "scheduled_publish");
      assert.equal(entries[0].revision, 1);
      assert.match(entries[0].summary, /^not published: the draft has \d+ problem/);
      assert.equal(await heading(veneer), "Steady");
      assert.equal(await head(veneer), 1);
      assert.deepEqual((await api(veneer, "GET", "schedule")).json, { scheduled: null });
    });
  });
});

describe("the console and the origin", () => {
  test("console paths (UI, API, unknown) never reach the origin and are never cached", async () => {
    await withConsole(async (veneer) => {
      seen.length = 0;
      const ui = await veneer.fetch(`${PREFIX}/`);
      assert.equal(ui.status, 200);
      assert.equal(ui.headers.get("cache-control"), "no-store");
      assert.match(ui.headers.get("content-type"), /^text\/html/);
      const html = await ui.text();
      assert.match(html, /<html/);
      assert.doesNotMatch(html, /Seeded/, "the UI's page holds no data");
      const bare = await veneer.fetch(PREFIX, { redirect: "manual" });
      assert.equal(bare.status, 308);
      assert.equal(bare.headers.get("location"), `${PREFIX}/`);
      for (const path of ["/app.js", "/app.css", "/history", "/missing.png", "/api/", "/api/me", "/api/nope"]) {
        const r = await veneer.fetch(`${PREFIX}${path}`, { redirect: "manual" });
        assert.equal(r.headers.get("cache-control"), "no-store", path);
        await r.arrayBuffer();
      }
      const post = await veneer.fetch(`${PREFIX}/anything`, { method: "POST", body: "x", headers: { origin: SITE, "content-type": "application/json" } });
      assert.equal(post.status, 405);
      await api(veneer, "GET", "revisions");
      await api(veneer, "PUT", "draft", { body: { document: doc("x") } });
      assert.deepEqual(seen.filter((r) => r.path.startsWith(PREFIX)), []);
      assert.equal(seen.length, 0);
    });
  });

  test("the console cookie and Authorization are not forwarded to the origin on shop paths", async () => {
    await withConsole(async (veneer) => {
      seen.length = 0;
      await (await veneer.fetch("/products?x=1", {
        headers: { cookie: "cart=2; veneer_console=abc.def.ghi; theme=dark", authorization: `Bearer ${TOKEN}` },
      })).text();
      await (await veneer.fetch("/cart", {
        method: "POST",
        body: "add=1",
        headers: { cookie: "veneer_console=abc", authorization: "Basic dXNlcjpwYXNz" },
      })).text();
      await (await veneer.fetch("/plain", { headers: { cookie: "cart=2" } })).text();
      assert.deepEqual(seen.map((r) => [r.method, r.path, r.headers.cookie, r.headers.authorization]), [
        ["GET", "/products?x=1", "cart=2; theme=dark", undefined],
        ["POST", "/cart", undefined, undefined],
        ["GET", "/plain", "cart=2", undefined],
      ]);
    });
  });

  test("the retry after a crash does not forward the console cookie or Authorization either", async () => {
    // The fail-open drill panics the shop's module on /products: edge/entry.mjs sends the request on itself.
    await withConsole(async (veneer) => {
      seen.length = 0;
      const page = await veneer.fetch("/products?x=1", {
        headers: { cookie: " cart=2 ;veneer_console=abc.def.ghi; theme=dark", authorization: `Bearer ${TOKEN}`, "x-forwarded-host": "evil.example" },
      });
      assert.equal(page.status, 200);
      await page.text();
      await (await veneer.fetch("/products", { headers: { cookie: "veneer_console=abc" } })).text();
      await (await veneer.fetch("/products", { headers: { cookie: "cart=2", authorization: "Basic dXNlcjpwYXNz" } })).text();
      assert.deepEqual(seen.map((r) => [r.path, r.headers.cookie, r.headers.authorization, r.headers["x-forwarded-host"]]), [
        ["/products?x=1", "cart=2; theme=dark", undefined, "shop.test"],
        ["/products", undefined, undefined, "shop.test"],
        ["/products", "cart=2", undefined, "shop.test"],
      ]);
      assert.deepEqual((await veneer.events()).map((e) => e.veneer), ["worker_crashed", "worker_crashed", "worker_crashed"]);
    }, { vars: { FAIL_OPEN_DRILL_PATH: "/products" } });
  });

  test("CONSOLE_PATH moves the console; the old prefix is then a shop path", async () => {
    await withConsole(async (veneer) => {
      seen.length = 0;
      const me = await veneer.fetch("/admin/console/api/me", { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.deepEqual(await me.json(), { name: "token", via: "bearer" });
      const ui = await veneer.fetch("/admin/console/");
      assert.equal(ui.status, 200);
      assert.match(await ui.text(), /<html/);
      assert.equal(seen.length, 0);
      const old = await veneer.fetch(`${PREFIX}/api/me`);
      assert.match(await old.text(), /<h1>Origin<\/h1>/);
      assert.deepEqual(seen.map((r) => r.path), [`${PREFIX}/api/me`]);
    }, { vars: { CONSOLE_PATH: "/admin/console/" } });
  });

  test("with no way in configured, the console's paths are the shop's", async () => {
    const veneer = await startVeneer({ origin: origin.url, rules: doc("Seeded") });
    try {
      seen.length = 0;
      const r = await veneer.fetch(`${PREFIX}/api/me`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(r.status, 200);
      assert.match(await r.text(), /<p>\/__veneer\/api\/me<\/p>/);
      const ui = await veneer.fetch(`${PREFIX}/`);
      assert.match(await ui.text(), /<h1>Origin<\/h1>/);
      assert.deepEqual(seen.map((s) => [s.path, s.headers.authorization]), [[`${PREFIX}/api/me`, `Bearer ${TOKEN}`], [`${PREFIX}/`, undefined]]);
    } finally {
      await veneer.close();
    }
  });
});
