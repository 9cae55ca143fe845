// Fail-open: whatever goes wrong, the visitor gets the origin's page, and one log line says why.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createConnection, createServer as createTcpServer } from "node:net";
import { startStorefront } from "../../fixtures/storefront/server.mjs";
import { BROWSER_UA, DEMO_RULES, direct, endToEndHeaders, startOrigin, startVeneer } from "./harness.mjs";

let shop;
before(async () => {
  shop = await startStorefront({ port: 0 });
});
after(() => shop?.close());

const IDENTITY = { headers: { "accept-encoding": "identity" } };

/** Runs Veneer with the given setup and asserts the home page is exactly the origin's. */
async function assertOriginPage(setup, path = "/", requests = 1) {
  const veneer = await startVeneer({ origin: shop.url, ...setup });
  try {
    const origin = await direct(shop.url, path, IDENTITY);
    for (let i = 0; i < requests; i++) {
      const response = await veneer.fetch(path, IDENTITY);
      const body = Buffer.from(await response.arrayBuffer());
      assert.equal(response.status, 200);
      assert.deepEqual(endToEndHeaders(response), endToEndHeaders(origin.response));
      assert.ok(body.equals(origin.body), "the page differs from the origin's");
    }
    return await veneer.events();
  } finally {
    await veneer.close();
  }
}

describe("bad rules give the origin's page byte for byte", () => {
  test("the KV key is missing", async () => {
    const events = await assertOriginPage({ rules: undefined });
    assert.deepEqual(events, [
      { veneer: "rules_unavailable", detail: 'KV key "rules" does not exist', rules_version: null, path: "/" },
    ]);
  });

  test("the KV key is missing, and that is remembered for RULES_CACHE_SECONDS", async () => {
    const events = await assertOriginPage({ rules: undefined, vars: { RULES_CACHE_SECONDS: "300" } }, "/", 3);
    assert.deepEqual(events.map((e) => [e.veneer, e.detail]), Array(3).fill(["rules_unavailable", 'KV key "rules" does not exist']));
  });

  test("the KV binding is missing", async () => {
    const events = await assertOriginPage({ rules: DEMO_RULES, vars: { RULES_BINDING: "NOPE" } });
    assert.equal(events.length, 1);
    assert.equal(events[0].veneer, "rules_unavailable");
    assert.match(events[0].detail, /^KV binding "NOPE" is missing/);
  });

  test("the rules are not JSON", async () => {
    const events = await assertOriginPage({ rules: '{"version": 3, "rules": [' });
    assert.deepEqual(events, [
      {
        veneer: "rules_unavailable",
        detail: "rules are not valid JSON: EOF while parsing a list (line 1, column 25)",
        rules_version: null,
        path: "/",
      },
    ]);
  });

  test("the document has a schema error", async () => {
    const events = await assertOriginPage({ rules: '{"version": 3, "rules": {"id": "x"}}' });
    assert.deepEqual(events, [
      {
        veneer: "rules_unavailable",
        detail: "rules document is invalid: $.rules: expected a list of rules, found an object",
        rules_version: null,
        path: "/",
      },
    ]);
  });

  test("the only rule is broken: it is skipped with a log line, the page is untouched", async () => {
    const rules = JSON.stringify({
      version: 9,
      rules: [{ id: "bad", actions: [{ select: "h1:nth-last-child(2)", set_text: "x" }] }],
    });
    const events = await assertOriginPage({ rules });
    assert.equal(events.length, 1);
    assert.equal(events[0].veneer, "rule_skipped");
    assert.equal(events[0].rules_version, "9");
    assert.match(events[0].detail, /^\$\.rules\[0\]\.actions\[0\]\.select: selector "h1:nth-last-child\(2\)" uses :nth-last-child, which depends on elements that come later/);
  });
});

describe("crashes and rewriting failures", () => {
  test("a panic inside the worker (the fail-open drill) serves the origin's page", async () => {
    const events = await assertOriginPage({ rules: DEMO_RULES, vars: { FAIL_OPEN_DRILL_PATH: "/" } });
    assert.equal(events.length, 1);
    assert.equal(events[0].veneer, "worker_crashed");
    assert.equal(events[0].path, "/");
  });

  test("after a panic, the next request is rewritten again by a fresh instance", async () => {
    const veneer = await startVeneer({
      origin: shop.url,
      rules: DEMO_RULES,
      vars: { FAIL_OPEN_DRILL_PATH: "/cart" },
    });
    try {
      for (let i = 0; i < 2; i++) {
        assert.doesNotMatch(await (await veneer.fetch("/cart")).text(), /Black Friday/);
        assert.match(await (await veneer.fetch("/")).text(), /Black Friday on the trail/);
      }
      assert.deepEqual((await veneer.events()).map((e) => e.veneer), ["worker_crashed", "worker_crashed"]);
    } finally {
      await veneer.close();
    }
  });

  test("a panic mid-page ends the response instead of leaving the visitor waiting", async () => {
    const veneer = await startVeneer({
      origin: shop.url,
      rules: DEMO_RULES,
      vars: { FAIL_OPEN_DRILL_STREAM_PATH: "/" },
    });
    try {
      const response = await veneer.fetch("/");
      assert.equal(response.status, 200);
      const outcome = await Promise.race([
        response.text().then((body) => ({ body }), (error) => ({ error })),
        new Promise((resolve) => setTimeout(() => resolve({ hung: true }), 10_000)),
      ]);
      assert.ok(!outcome.hung, "the response never ended");
      const full = (await direct(shop.url, "/")).body.length;
      assert.ok(outcome.error || outcome.body.length < full, "the body cannot be complete after a crash mid-page");
      assert.match(await (await veneer.fetch("/c/shoes")).text(), /Bestseller/, "a fresh instance serves the next page");
    } finally {
      await veneer.close();
    }
  });

  test("lol_html bails out mid-page: the rest streams unmodified, nothing is lost", async () => {
    const huge = "y".repeat(5 * 1024 * 1024);
    const page = `<!doctype html><h1>Old</h1><p data-x="${huge}">tail</p><h1>Old again</h1>`;
    const origin = await startOrigin((req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(page);
    });
    const veneer = await startVeneer({
      origin: origin.url,
      rules: JSON.stringify({ rules: [{ id: "h", actions: [{ select: "h1", set_text: "New" }, { select: "p", set_text: "x" }] }] }),
    });
    try {
      const body = await (await veneer.fetch("/")).text();
      assert.equal(body.length, page.length + "New".length - "Old".length);
      assert.equal(body, page.replace("<h1>Old</h1>", "<h1>New</h1>"));
      const events = await veneer.events();
      assert.equal(events.length, 1);
      assert.equal(events[0].veneer, "rewrite_failed");
      assert.match(events[0].detail, /^rewriting stopped mid-page: /);
    } finally {
      await veneer.close();
      await origin.close();
    }
  });

  test("an unreachable origin gets a plain 502 and a log line", async () => {
    const origin = await startOrigin(() => {});
    const url = origin.url;
    await origin.close();
    const veneer = await startVeneer({ origin: url, rules: DEMO_RULES });
    try {
      const response = await veneer.fetch("/");
      assert.equal(response.status, 502);
      assert.equal(await response.text(), "Bad gateway: the origin could not be reached.\n");
      assert.equal((await veneer.events())[0].veneer, "origin_unreachable");
    } finally {
      await veneer.close();
    }
  });

  test("an unreachable origin gets a 502 also on a page without rules, rules in memory", async () => {
    const origin = await startOrigin(() => {});
    const url = origin.url;
    await origin.close();
    const rules = JSON.stringify({ rules: [{ id: "r", pages: ["/c/*"], actions: [{ select: "h1", remove: true }] }] });
    const veneer = await startVeneer({ origin: url, rules, vars: { RULES_CACHE_SECONDS: "300" } });
    try {
      for (const path of ["/", "/about", "/assets/x.png"]) {
        const response = await veneer.fetch(path);
        assert.equal(response.status, 502, path);
        assert.equal(await response.text(), "Bad gateway: the origin could not be reached.\n");
      }
      const events = await veneer.events();
      assert.deepEqual(events.map((e) => [e.veneer, e.path]), [
        ["origin_unreachable", "/"],
        ["origin_unreachable", "/about"],
        ["origin_unreachable", "/assets/x.png"],
      ]);
    } finally {
      await veneer.close();
    }
  });
});

describe("the edge's own failures: the origin's response, and one log line", () => {
  const H1 = JSON.stringify({ version: "f1", rules: [{ id: "h", actions: [{ select: "h1", set_text: "New" }] }] });
  const PAGE = "<!doctype html><h1>Old</h1><p>Zürich</p>";

  /** An origin over raw TCP, so a test can send header bytes that node:http refuses to write. */
  async function rawOrigin(headerLines) {
    const body = Buffer.from(PAGE);
    const head = Buffer.concat([
      Buffer.from("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"),
      ...headerLines.map((line) => Buffer.concat([line, Buffer.from("\r\n")])),
      Buffer.from(`Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`),
    ]);
    const server = createTcpServer((socket) => {
      socket.once("data", () => socket.end(Buffer.concat([head, body])));
      socket.on("error", () => {});
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
  }

  test("an origin header with non-ASCII bytes no longer stops the rewrite; the header is kept", async () => {
    const disposition = Buffer.from('inline; filename="Zürich.html"', "utf8");
    const origin = await rawOrigin([Buffer.concat([Buffer.from("Content-Disposition: "), disposition])]);
    const veneer = await startVeneer({ origin: origin.url, rules: H1 });
    try {
      const response = await veneer.fetch("/");
      assert.equal(await response.text(), PAGE.replace("Old", "New"));
      const expected = (await direct(origin.url, "/")).response.headers.get("content-disposition");
      assert.equal(response.headers.get("content-disposition"), expected);
      assert.ok(Buffer.from(expected, "latin1").equals(disposition), "the same bytes as the origin's");
      assert.deepEqual(await veneer.events({ timeout: 500 }), []);
    } finally {
      await veneer.close();
      await origin.close();
    }
  });

  /** A GET over raw TCP (fetch refuses control bytes in a response header): head lines and body. */
  async function rawGet(base, path) {
    const url = new URL(path, base);
    const bytes = await new Promise((resolve, reject) => {
      const chunks = [];
      const socket = createConnection(Number(url.port), url.hostname, () => {
        socket.write(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: ${BROWSER_UA}\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n`);
      });
      socket.on("data", (c) => chunks.push(c));
      socket.on("end", () => resolve(Buffer.concat(chunks)));
      socket.on("error", reject);
    });
    const split = bytes.indexOf("\r\n\r\n");
    const lines = bytes.subarray(0, split).toString("latin1").split("\r\n");
    return { status: lines[0], headers: lines.slice(1).map((l) => l.toLowerCase()), body: bytes.subarray(split + 4) };
  }

  test("an origin header the http crate refuses: the origin's page byte for byte, and response_headers_unreadable", async () => {
    const origin = await rawOrigin([Buffer.from("X-Odd: a\x01b")]);
    const veneer = await startVeneer({ origin: origin.url, rules: H1, listen: true });
    try {
      const response = await rawGet(veneer.url, "/");
      assert.equal(response.status, "HTTP/1.1 200 OK");
      assert.ok(response.body.equals(Buffer.from(PAGE)), "the origin's page, unchanged");
      assert.ok(response.headers.includes("x-odd: a\x01b"), "the origin's header, as it came");
      assert.ok(response.headers.includes(`content-length: ${Buffer.byteLength(PAGE)}`));
      assert.deepEqual(await veneer.events(), [{
        veneer: "response_headers_unreadable",
        detail: 'origin response: header "x-odd" has a value with control characters, which HTTP does not allow',
        rules_version: "f1",
        path: "/",
      }]);
    } finally {
      await veneer.close();
      await origin.close();
    }
  });

  test("an ORIGIN that is not an http(s) URL: a plain 502 and origin_request_failed, on every path", async () => {
    const veneer = await startVeneer({ origin: "ftp://shop.example", rules: H1 });
    try {
      for (const [path, method] of [["/", "GET"], ["/cart", "POST"]]) {
        const response = await veneer.fetch(path, { method, ...(method === "POST" ? { body: "x" } : {}) });
        assert.equal(response.status, 502, path);
        assert.equal(await response.text(), "Bad gateway: the request to the origin could not be made (see the worker's logs).\n");
      }
      const events = await veneer.events({ atLeast: 2 });
      assert.deepEqual(events.map((e) => [e.veneer, e.detail, e.path]), [
        ["origin_request_failed", 'ORIGIN "ftp://shop.example" is not an http(s) URL', "/"],
        ["origin_request_failed", 'ORIGIN "ftp://shop.example" is not an http(s) URL', "/cart"],
      ]);
    } finally {
      await veneer.close();
    }
  });
});

test("a rules version is compiled once per isolate, not per request", async () => {
  const rules = JSON.stringify({
    version: 10,
    rules: [
      { id: "bad", actions: [{ select: "p ~ p", set_text: "x" }] },
      { id: "good", actions: [{ select: "h1", set_text: "Compiled once" }] },
    ],
  });
  // RULES_CACHE_SECONDS=0: KV is read on every request, but the same text is not compiled again,
  // so the skipped rule is logged once.
  const veneer = await startVeneer({ origin: shop.url, rules });
  try {
    for (let i = 0; i < 3; i++) {
      assert.match(await (await veneer.fetch("/")).text(), /<h1>Compiled once<\/h1>/);
    }
    const events = await veneer.events();
    assert.deepEqual(events.map((e) => [e.veneer, e.rules_version]), [["rule_skipped", "10"]]);
  } finally {
    await veneer.close();
  }
});
