#!/usr/bin/env node
// Recording benchmark (issue 11). Not part of `make test`; needs `make wasm` (build/) first:
//
//   node bench/recording.mjs               # ~2 minutes; prints the figures as Markdown
//   node bench/recording.mjs --duration 5  # seconds per load run (default 10)
//
// Veneer runs in one local workerd (Miniflare, as the edge tests run it, with local D1: real
// SQLite) in front of the demo storefront. wrk (a separate process) sends new visitors, each
// with its own visitor id and consent, so every request makes one exposure row in D1:
//   1. page latency (p50, p99) and requests/s with recording off, on, and on with a D1 that
//      does nothing (bench/workers/null-d1-entry.mjs: Veneer's own cost without the local
//      database engine, which shares the CPU with the worker), three interleaved rounds;
//   2. the event rate it sustains with no lost writes, at rising concurrency: D1 rows after the
//      run against the requests wrk completed (an exposure per request);
//   3. D1 rows per 1,000 visitors who each view the experiment page and the cart (a page-view
//      goal), and report one custom goal through /__veneer/collect.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startStorefront } from "../fixtures/storefront/server.mjs";
import { BROWSER_UA, startVeneer } from "../tests/edge/harness.mjs";

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const DURATION = Number(option("--duration", 10));
const CONCURRENCY = [4, 16, 64];

const rules = (enabled) => JSON.stringify({
  version: `bench-recording-${enabled ? "on" : "off"}`,
  settings: { consent_cookie: "consent", recording: { enabled } },
  goals: {
    cart_view: { type: "page_view", pages: ["/cart"] },
    add_to_cart: { type: "custom" },
  },
  experiments: [{
    id: "hero-copy", pages: ["/"],
    variations: [
      { id: "control", actions: [] },
      { id: "bold", actions: [{ select: ".hero h1", set_text: "Made to last" }] },
    ],
    metrics: { primary: "cart_view", secondary: [{ goal: "add_to_cart", kind: "value" }] },
  }],
});

// Each wrk thread numbers its visitors: ids are unique, 22 characters, valid visitor ids.
const LUA = `
local counter, thread_id = 0, 0
local threads = {}
function setup(thread) thread:set("tid", #threads + 1); table.insert(threads, thread) end
function init(args) thread_id = tonumber(tid) or 0 end
request = function()
  counter = counter + 1
  local id = string.format("b%s%02d%019d", RUN, thread_id, counter)
  return wrk.format("GET", "/", { ["Cookie"] = "veneer_id=" .. id .. "; consent=yes", ["User-Agent"] = "${BROWSER_UA}" })
end
`;

const exec = promisify(execFile);

/** wrk against `url` (async: the origin and Miniflare live in this process's event loop). */
async function wrk(url, connections, seconds, run) {
  const dir = mkdtempSync(join(tmpdir(), "veneer-bench-"));
  const script = join(dir, "visitors.lua");
  // wrk's Lua has no string ids of its own: RUN keeps runs apart (a letter and a digit).
  writeFileSync(script, LUA.replace("RUN", JSON.stringify(run)));
  try {
    const { stdout: out } = await exec("wrk", ["-t", String(Math.min(connections, 4)), "-c", String(connections), "-d", `${seconds}s`, "--latency", "-s", script, url], { encoding: "utf8" });
    const number = (re) => Number((out.match(re) ?? [])[1]);
    const ms = (re) => {
      const m = out.match(re);
      if (!m) return NaN;
      const unit = m[2];
      return Number(m[1]) * (unit === "us" ? 0.001 : unit === "s" ? 1000 : 1);
    };
    return {
      requests: number(/(\d+) requests in/),
      rps: number(/Requests\/sec:\s+([\d.]+)/),
      p50: ms(/50%\s+([\d.]+)(us|ms|s)/),
      p99: ms(/99%\s+([\d.]+)(us|ms|s)/),
      errors: /Non-2xx|Socket errors/.test(out) ? out.split("\n").filter((l) => /Non-2xx|Socket errors/.test(l)).join("; ") : "",
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const count = async (db, sql, ...params) => (await db.prepare(sql).bind(...params).first()).n;

/** Waits until the exposure count stops growing (writes finish after the responses). */
async function settled(db, prefix) {
  let last = -1;
  let n = await count(db, "SELECT COUNT(*) AS n FROM exposures WHERE visitor LIKE ?", `${prefix}%`);
  const start = Date.now();
  while (n !== last && Date.now() - start < 30_000) {
    last = n;
    await new Promise((r) => setTimeout(r, 500));
    n = await count(db, "SELECT COUNT(*) AS n FROM exposures WHERE visitor LIKE ?", `${prefix}%`);
  }
  return { rows: n, waited: Date.now() - start };
}

const shop = await startStorefront({ port: 0 });
const lines = [];
const say = (line = "") => { lines.push(line); console.log(line); };
try {
  say(`# Recording benchmark (${new Date().toISOString().slice(0, 10)}, node bench/recording.mjs --duration ${DURATION})`);
  say();
  say("One local workerd (Miniflare, local D1) in front of the demo storefront; wrk sends new visitors (a new id per request, consent given), so each request is one exposure.");
  say();

  // 1. Latency with recording off and on.
  say("## Page latency, recording off and on (wrk -c 8)");
  say();
  say("| recording | requests/s | p50 ms | p99 ms | exposure rows |");
  say("| --- | --- | --- | --- | --- |");
  const VARIANTS = {
    off: { enabled: false, entry: undefined },
    on: { enabled: true, entry: undefined },
    "on, D1 stub": { enabled: true, entry: "bench/workers/null-d1-entry.mjs" },
  };
  const runs = Object.fromEntries(Object.keys(VARIANTS).map((k) => [k, []]));
  for (let round = 1; round <= 3; round++) {
    for (const [name, { enabled, entry }] of Object.entries(VARIANTS)) {
      const run = `${name.length}${round}`;
      const veneer = await startVeneer({ origin: shop.url, rules: rules(enabled), listen: true, vars: { VENEER_SECRET: "bench" }, ...(entry ? { entry } : {}) });
      try {
        await wrk(veneer.url, 8, 2, `w${round}`); // warm-up
        const r = await wrk(veneer.url, 8, DURATION, run);
        const { rows } = await settled(veneer.db, `b${run}`);
        runs[name].push(r);
        say(`| ${name} (round ${round}) | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${entry ? "(none stored)" : rows}${r.errors ? ` (${r.errors})` : ""} |`);
      } finally {
        await veneer.close();
      }
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const k of Object.keys(VARIANTS)) {
    say(`| **${k}, median** | ${median(runs[k].map((r) => r.rps)).toFixed(0)} | ${median(runs[k].map((r) => r.p50)).toFixed(2)} | ${median(runs[k].map((r) => r.p99)).toFixed(2)} | |`);
  }
  say();

  // 2. Sustained event rate with no lost writes.
  say("## Events per second with no lost writes");
  say();
  say("| wrk -c | requests | requests/s | exposure rows | lost | rows/s (until the last write) | p50 ms |");
  say("| --- | --- | --- | --- | --- | --- | --- |");
  for (const c of CONCURRENCY) {
    const veneer = await startVeneer({ origin: shop.url, rules: rules(true), listen: true, vars: { VENEER_SECRET: "bench" } });
    try {
      await wrk(veneer.url, c, 2, "w0");
      const run = `c${String(c).slice(0, 1)}`;
      const started = Date.now();
      const r = await wrk(veneer.url, c, DURATION, run);
      const { rows, waited } = await settled(veneer.db, `b${run}`);
      const elapsed = (Date.now() - started - Math.max(0, waited - 500)) / 1000;
      say(`| ${c} | ${r.requests} | ${r.rps.toFixed(0)} | ${rows} | ${Math.max(0, r.requests - rows)} | ${(rows / elapsed).toFixed(0)} | ${r.p50.toFixed(2)} |`);
    } finally {
      await veneer.close();
    }
  }
  say();
  say("wrk counts the requests it completed within the run; a few more may complete as it stops, so rows may exceed requests by up to the connection count. \"lost\" is requests without a row.");
  say();

  // 3. D1 rows per 1,000 visitors.
  const veneer = await startVeneer({ origin: shop.url, rules: rules(true), vars: { VENEER_SECRET: "bench" } });
  try {
    const VISITORS = 1000;
    for (let i = 0; i < VISITORS; i++) {
      const id = `r${String(i).padStart(21, "0")}`;
      // Each visitor from its own address, as in production (the flood guard counts per address).
      const ip = { "cf-connecting-ip": `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` };
      const first = await veneer.fetch("https://shop.test/", { headers: { cookie: `veneer_id=${id}; consent=yes`, ...ip } });
      await first.text();
      const exp = first.headers.getSetCookie().find((c) => c.startsWith("veneer_exp=")).split(";")[0];
      const cookie = `veneer_id=${id}; consent=yes; ${exp}`;
      await (await veneer.fetch("https://shop.test/cart", { headers: { cookie, ...ip } })).text();
      await (await veneer.fetch("https://shop.test/__veneer/collect", { method: "POST", headers: { cookie, ...ip }, body: JSON.stringify({ goal: "add_to_cart", value: 10 }) })).text();
    }
    await new Promise((r) => setTimeout(r, 1000));
    const exposures = await count(veneer.db, "SELECT COUNT(*) AS n FROM exposures WHERE visitor LIKE 'r%'");
    const conversions = await count(veneer.db, "SELECT COUNT(*) AS n FROM conversions WHERE visitor LIKE 'r%'");
    say("## D1 rows per 1,000 visitors");
    say();
    say(`1,000 visitors each view the experiment page, the cart (a page-view goal) and send one custom goal: ${exposures} exposure rows + ${conversions} conversion rows = ${exposures + conversions} rows (one per visitor and experiment, one per visitor, experiment and goal reached; repeat visits and repeat conversions update the same rows).`);
  } finally {
    await veneer.close();
  }
} finally {
  await shop.close();
}
