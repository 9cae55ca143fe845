// Shared harness for the edge tests: the real wasm build (`make wasm`: the shop's module in
// build/, the console's in edge/console/) running in workerd through Miniflare, in front of real
// origins over HTTP, with rules in Miniflare's local KV.
import { createServer } from "node:http";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { chromium } from "playwright-core";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const DEMO_RULES = readFileSync(`${ROOT}fixtures/rules/demo.json`, "utf8");

for (const built of ["build/index.js", "edge/console/index.js"]) {
  if (!existsSync(`${ROOT}${built}`)) {
    throw new Error(`${built} is missing: run \`make wasm\` (or \`make test\`) first`);
  }
}

/**
 * The console's files, as wrangler.toml's [assets] serves them: the built UI when there is one
 * (`npm run build:console`), else a placeholder page for the tests.
 */
export const CONSOLE_ASSETS = existsSync(`${ROOT}console/dist/__veneer/index.html`)
  ? `${ROOT}console/dist`
  : `${ROOT}tests/edge/fixtures/console`;

// stand-in until migrations/ lands: the audit table, for a branch that has no migrations yet.
const AUDIT_TABLE = `CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY AUTOINCREMENT,
  time TEXT NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL, revision INTEGER,
  summary TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_time ON audit (time);`;

/** The D1 migrations, in order, as `wrangler d1 migrations apply` would apply them. */
function migrations() {
  const dir = `${ROOT}migrations`;
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".sql")).sort() : [];
  return files.length ? files.map((f) => readFileSync(`${dir}/${f}`, "utf8")) : [AUDIT_TABLE];
}

/** The statements of a migration: `--` comments dropped, split at semicolons. */
function statements(sql) {
  return sql
    .replace(/--.*$/gm, "")
    .split(";")
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Starts Veneer in workerd. `origin` is the ORIGIN base URL (own-hostname mode); `upstream`
 * instead runs it in route mode, where requests keep their URL and go to that host.
 * `rules` (a string) is stored under the KV key `rules` unless it is undefined. `entry` is the
 * Workers entry module, relative to the repository (a test may wrap the real one).
 * `consoleModule`, when given, is the source of edge/console/index.js in place of the console's
 * built module, whose wasm is then not in the worker at all (with the real entry only).
 */
export async function startVeneer({ origin, upstream, rules, vars = {}, listen = false, entry = "edge/entry.mjs", consoleModule } = {}) {
  const logs = [];
  // Miniflare finds the modules from the entry's imports (the console's, imported lazily,
  // included), unless they are listed.
  const modules =
    consoleModule === undefined
      ? { modules: true, scriptPath: `${ROOT}${entry}` }
      : {
          modules: [
            { type: "ESModule", path: `${ROOT}edge/entry.mjs` },
            { type: "ESModule", path: `${ROOT}edge/origin.mjs` },
            { type: "ESModule", path: `${ROOT}build/index.js` },
            { type: "CompiledWasm", path: `${ROOT}build/index_bg.wasm` },
            { type: "ESModule", path: `${ROOT}edge/console/index.js`, contents: consoleModule },
          ],
        };
  const mf = new Miniflare({
    ...modules,
    modulesRoot: ROOT,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2026-04-20",
    kvNamespaces: ["RULES"],
    // The rest of wrangler.toml: the audit log, the publisher, the console's files.
    d1Databases: ["DB"],
    durableObjects: { PUBLISHER: { className: "VeneerPublisher", useSQLite: true } },
    assets: {
      directory: CONSOLE_ASSETS,
      binding: "ASSETS",
      routerConfig: { has_user_worker: true, static_routing: { user_worker: ["/__veneer", "/__veneer/*"] } },
    },
    bindings: { RULES_CACHE_SECONDS: "0", ...(origin ? { ORIGIN: origin } : {}), ...vars },
    upstream,
    ...(listen ? { host: "127.0.0.1", port: 0 } : {}),
    handleRuntimeStdio(stdout, stderr) {
      for (const stream of [stdout, stderr]) {
        stream.setEncoding("utf8");
        stream.on("data", (chunk) => logs.push(...chunk.split("\n").filter(Boolean)));
      }
    },
  });
  /** With `listen`, the worker's own HTTP address, for a real browser. */
  const url = await mf.ready;
  const kv = await mf.getKVNamespace("RULES");
  if (rules !== undefined) await kv.put("rules", rules);
  const db = await mf.getD1Database("DB");
  // One batch (one round trip): each statement alone costs a D1 round trip at start-up.
  await db.batch(migrations().flatMap(statements).map((statement) => db.prepare(statement)));
  return {
    mf,
    url: url.href,
    kv,
    db,
    logs,
    /**
     * Structured Veneer log lines, parsed. Logs arrive after responses, so this waits until
     * `atLeast` lines are there (or `timeout` ms passed), then a moment more for stragglers.
     */
    async events({ atLeast = 1, timeout = 3000 } = {}) {
      const parse = () =>
        logs
          .filter((l) => l.startsWith("{"))
          .map((l) => { try { return JSON.parse(l); } catch { return null; } })
          .filter((e) => e && typeof e.veneer === "string");
      const deadline = Date.now() + timeout;
      while (parse().length < atLeast && Date.now() < deadline) await sleep(20);
      await sleep(100);
      return parse();
    },
    /** A request as a visitor's browser makes it (a bot's User-Agent can be given instead). */
    fetch: (path, init = {}) =>
      mf.dispatchFetch(new URL(path, "http://shop.test").href, {
        ...init,
        headers: { "user-agent": BROWSER_UA, ...init.headers },
      }),
    close: () => mf.dispose(),
  };
}

/** Debian's Chromium, headless, with the flags this machine's closed network needs. */
export async function launchChromium() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** Chrome on Windows: Veneer counts requests without a browser User-Agent as bots. */
/**
 * A new Chromium context and page signed in to the console at `url` with the admin token's
 * sign-in form, as `name`; the page's uncaught errors go to `errors`.
 */
export async function signedInConsole(browser, url, { token, name, errors = [] }) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, timezoneId: "Europe/Berlin", locale: "en-GB" });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  await page.goto(new URL("/__veneer/", url).href);
  await page.locator("#signin-token").fill(token);
  await page.locator("#signin-name").fill(name);
  await page.locator("button[name=signin]").click();
  await page.locator("[data-testid=me]").filter({ hasText: name }).waitFor();
  return { context, page };
}

export const BROWSER_UA =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts a throwaway origin with a request handler; returns its base URL and a close function. */
export async function startOrigin(handler) {
  const server = createServer(handler);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, server, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

/** Headers that transport layers add or change on their own; everything else must match. */
const TRANSPORT = new Set(["date", "connection", "keep-alive", "transfer-encoding"]);

/** The end-to-end headers of a response, as a sorted list of [name, value] pairs. */
export function endToEndHeaders(response) {
  const pairs = [];
  for (const [name, value] of response.headers) {
    if (TRANSPORT.has(name) || name.startsWith("mf-") || name === "set-cookie") continue;
    pairs.push([name, value]);
  }
  for (const cookie of response.headers.getSetCookie()) pairs.push(["set-cookie", cookie]);
  return pairs.sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1));
}

/** Fetches the same path from the origin directly, for byte-for-byte comparison. */
export async function direct(originUrl, path, init) {
  const response = await fetch(new URL(path, originUrl), { redirect: "manual", ...init });
  return { response, body: Buffer.from(await response.arrayBuffer()) };
}
