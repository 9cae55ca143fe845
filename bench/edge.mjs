#!/usr/bin/env node
// Veneer's edge benchmark. One command, not part of `make test`:
//
//   node bench/edge.mjs            # full run (~10 minutes): 3 interleaved rounds; rewrites docs/benchmarks.md
//   node bench/edge.mjs --quick    # short run (~2 minutes): 1 round of short cells; prints, writes nothing
//
//   node bench/edge.mjs --commerce # the 200-tile category page with pin + badge + hide rules only; prints
//   node bench/edge.mjs --cold     # cold starts only: Veneer with and without the console's module in the
//                                  # worker, side by side (a shop request must never load it); prints
//
// Options: --rounds N, --duration S (seconds per measured cell, at least), --out FILE (default
// docs/benchmarks.md for a full run, "-" for none), --no-profile, --keep (keep the temp dir),
// --console (Veneer runs with its console on, `VENEER_ADMIN_TOKEN` set, as a deployment with the
// console does: shop pages then pay the console's prefix check).
//
// On one workerd binary (npm's, the one Miniflare runs), against one local origin (bench/origin.mjs,
// pages of ~20 KB, ~200 KB and ~2 MB from bench/pages.mjs), it measures, interleaved and repeated:
//   (a) the origin alone
//   (b) a pass-through JavaScript worker               bench/workers/passthrough.mjs
//   (c) Veneer with an empty rules document            build/ + edge/entry.mjs, {"rules": []}
//       (the console's module, edge/console/, is in the worker too, as wrangler uploads it; shop requests never load it)
//   (d) Veneer with 20 rules                           bench/rules.json
//   (e) the same edits with the native HTMLRewriter    bench/workers/native-rewriter.mjs
// plus, on the 200 KB page, cut-down variants of (d) and (e) that show where the CPU goes, and a
// V8 CPU profile of (d) and (c). Each worker runs in its own workerd process, started directly
// from a generated capnp config (with a small KV stand-in service holding the rules), so CPU time
// is read from /proc/<pid>/stat of exactly that process. Load comes from wrk, a separate process.
import { spawn, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import net from "node:net";
import { tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { buildCommerce, buildListings, buildPages, MEMORY_PAGE, ROOT, CORPUS_DIR } from "./pages.mjs";
import { commerceEmptyRules, commerceOneRule, commerceProblems, commerceRules } from "./commerce.mjs";
import { EDITS, elementsRules, expectedElementEdits, growthbookPayload } from "./elements.mjs";

// ---------------------------------------------------------------------------------------------
// Settings

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const QUICK = flag("--quick");
const ROUNDS = Number(option("--rounds", QUICK ? 1 : 3));
const DURATION = Number(option("--duration", QUICK ? 2 : 4)); // seconds per measured cell, at least
const MAX_CELL = QUICK ? 10 : 30; // seconds: the longest a cell may run to complete enough requests
const REQUESTS_PER_CONNECTION = QUICK ? 2 : 8; // a cell runs until about this × connections requests
const WARMUP = 1; // seconds of load before each measured cell (skipped when a request takes > 0.5 s)
const FIRST_WARMUP = QUICK ? 2 : 1; // seconds per worker and page before the first round (then a warm-up per cell)
const CONNECTIONS = { "20KB": 8, "200KB": 8, "2MB": 1 }; // wrk -c per page (see the report)
const RSS_RUNS = [["d", 1], ["d", 8], ["e", 8]]; // [configuration, wrk -c] for the peak-RSS runs
const RSS_SECONDS = QUICK ? 2 : 4;
const COLD_REPEATS = QUICK ? 2 : 3; // cold starts per configuration and round
const PROFILE = !flag("--no-profile");
// --profile-out DIR: also save each raw V8 CPU profile there (`<config>-<page>.cpuprofile`, for
// Chromium's DevTools or scripts/profile-top.mjs).
const PROFILE_OUT = option("--profile-out", null);
// --v8-flag FLAG (repeatable): pass a V8 flag to every workerd (its config's v8Flags), for
// experiments such as --no-liftoff; the runtime in production takes none.
const V8_FLAGS = argv.flatMap((a, i) => (a === "--v8-flag" && argv[i + 1] ? [argv[i + 1]] : []));
const OUT = option("--out", QUICK ? "-" : "docs/benchmarks.md");
const KEEP = flag("--keep");
const CONSOLE = flag("--console");
// --elements: only the element-only workload (for comparing builds); --variant NAME=DIR (repeatable):
// another Veneer build (DIR holds index.js and index_bg.wasm: a shop's module, or a one-module build made
// with the default features) measured beside build/ in that workload; edge/console/ stays the console's.
const ELEMENTS_ONLY = flag("--elements");
// --commerce: only the commerce workload (bench/commerce.mjs): the 200-tile category page with pin +
// badge + hide rules, against the same page with the listing defined and no rule, and (b).
const COMMERCE_ONLY = flag("--commerce");
// --cold: only cold starts of the shop's path, Veneer with the console's module in the worker (as
// deployed) and without it, interleaved, beside (b) and any --variant builds (no rules and 20 rules).
const COLD_ONLY = flag("--cold");
const VARIANTS = argv.flatMap((a, i) => (a === "--variant" && argv[i + 1] ? [argv[i + 1]] : [])).map((v) => {
  const eq = v.indexOf("=");
  if (eq < 1) throw new Error(`--variant wants NAME=DIR, got ${v}`);
  return { name: v.slice(0, eq), dir: resolve(v.slice(eq + 1)) };
});
// --counters: also count the reads and writes crossing the JS/wasm boundary per request (a wrapper
// around Veneer's entry module counts ReadableStreamBYOBReader.read and WritableStreamDefaultWriter.write).
const COUNTERS = flag("--counters");
// --no-growthbook: leave GrowthBook's edge app (slow on big pages) out of the element-only workload.
const GROWTHBOOK = !flag("--no-growthbook");
// --no-floor: skip the native floor (`cargo bench --bench veneer -- --floor`, which may compile first).
const FLOOR = !flag("--no-floor");
const COMPATIBILITY_DATE = "2026-04-20"; // as tests/edge/harness.mjs
const BROWSER_UA =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
// Every request, from wrk and from the checks, is a desktop browser's.
const REQUEST_HEADERS = {
  "User-Agent": BROWSER_UA,
  Accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
  "Accept-Language": "en-GB,en;q=0.9,de;q=0.7",
  Cookie: "consent=yes; cart=2",
};

const CONFIGS = [
  { id: "a", label: "(a) origin alone" },
  { id: "b", label: "(b) JS pass-through worker", worker: "passthrough" },
  { id: "c", label: "(c) Veneer, no rules", worker: "veneer", rules: "empty" },
  { id: "d", label: "(d) Veneer, 20 rules", worker: "veneer", rules: "bench" },
  { id: "e", label: "(e) native HTMLRewriter, same edits", worker: "native-rewriter", variant: "full" },
];
// Breakdown of (d) and (e), on the 200 KB page, in the first round.
const DIAGNOSTICS = [
  { id: "d1", label: "Veneer, 1 rule whose selector matches nothing", worker: "veneer", rules: "one-selector" },
  { id: "e1", label: "native HTMLRewriter, 1 handler whose selector matches nothing", worker: "native-rewriter", variant: "one-selector" },
  { id: "dNT", label: "Veneer, the 20 rules minus the 2 replace_text", worker: "veneer", rules: "no-text" },
  { id: "eNT", label: "native HTMLRewriter, same edits minus replace_text", worker: "native-rewriter", variant: "no-text" },
];
const DIAGNOSTIC_PAGE = "200KB";
// The element-only workload (bench/elements.mjs) on the listing pages; (b) is the same worker as above.
const ELEMENT_CONFIGS = [
  { id: "b", label: "JS pass-through", worker: "passthrough" },
  { id: "nE", label: "JS + native HTMLRewriter", worker: "native-elements" },
  ...(GROWTHBOOK ? [{ id: "gE", label: "GrowthBook edge app", worker: "growthbook" }] : []),
  { id: "vE", label: "Veneer", worker: "veneer", rules: "elements" },
  ...VARIANTS.map((v) => ({ id: `vE:${v.name}`, label: `Veneer, build ${v.name}`, worker: "veneer", rules: "elements", build: v.name })),
  // --no-rules: each build also without rules (its cost over the pass-through worker).
  ...(flag("--no-rules")
    ? [{ id: "v0", label: "Veneer, no rules", worker: "veneer", rules: "empty" },
       ...VARIANTS.map((v) => ({ id: `v0:${v.name}`, label: `Veneer, build ${v.name}, no rules`, worker: "veneer", rules: "empty", build: v.name }))]
    : []),
];
const ELEMENT_CONNECTIONS = { "17KB": 8, "170KB": 8, "1.8MB": 1 };
// The commerce workload (bench/commerce.mjs) on the 200-tile category page.
const COMMERCE_CONFIGS = [
  { id: "b", label: "JS pass-through", worker: "passthrough" },
  { id: "vC0", label: "Veneer, listing defined, no rules", worker: "veneer", rules: "commerce-none" },
  { id: "vC1", label: "Veneer, one set_text on h1 (any rewriting)", worker: "veneer", rules: "commerce-one" },
  { id: "vC", label: "Veneer, pin 3 + badge 3 + hide 3", worker: "veneer", rules: "commerce" },
];
const COMMERCE_CONNECTIONS = { "200 tiles": 8 };
// The --cold workload: (b), then Veneer without rules and with the 20 rules, each with the console's
// module in the worker (as wrangler uploads it) and without it, then the --variant builds.
const COLD_CONFIGS = [
  { id: "b", label: "JS pass-through", worker: "passthrough" },
  { id: "c", label: "Veneer, no rules, console module in the worker", worker: "veneer", rules: "empty" },
  { id: "c-", label: "Veneer, no rules, no console module", worker: "veneer", rules: "empty", noConsole: true },
  { id: "d", label: "Veneer, 20 rules, console module in the worker", worker: "veneer", rules: "bench" },
  { id: "d-", label: "Veneer, 20 rules, no console module", worker: "veneer", rules: "bench", noConsole: true },
  ...VARIANTS.flatMap((v) => [
    { id: `c:${v.name}`, label: `Veneer, build ${v.name}, no rules`, worker: "veneer", rules: "empty", build: v.name },
    { id: `d:${v.name}`, label: `Veneer, build ${v.name}, 20 rules`, worker: "veneer", rules: "bench", build: v.name },
  ]),
];
const byId = Object.fromEntries(
  [...CONFIGS, ...DIAGNOSTICS, ...ELEMENT_CONFIGS, ...COMMERCE_CONFIGS, ...COLD_CONFIGS].map((c) => [c.id, c]),
);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const log = (...a) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

// ---------------------------------------------------------------------------------------------
// Processes

const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
const children = new Set();

function cleanup() {
  for (const child of children) {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {}
  }
  children.clear();
}
process.on("exit", cleanup);
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

/** utime + stime of a process (all its threads), in seconds. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // fields 14 and 15 of proc(5)
}

/** Waits until a process has stopped using CPU (requests abandoned by wrk may still run). */
async function waitIdle(pid, maxMs = 90000) {
  const deadline = performance.now() + maxMs;
  let last = cpuSeconds(pid);
  while (performance.now() < deadline) {
    await sleep(150);
    const now = cpuSeconds(pid);
    if (now - last <= 1 / CLK_TCK + 1e-9) return;
    last = now;
  }
}

/** Busy CPU time of the whole machine (all cores), in seconds. */
function machineBusySeconds() {
  const [, ...v] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
  const n = v.map(Number);
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - n[3] - n[4]) / CLK_TCK;
}

function memoryKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const get = (k) => Number((status.match(new RegExp(`^${k}:\\s+(\\d+) kB`, "m")) ?? [])[1]);
  return { hwm: get("VmHWM"), rss: get("VmRSS") };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      children.delete(child);
      return resolve();
    }
    child.once("exit", () => {
      children.delete(child);
      resolve();
    });
    try {
      process.kill(child.pid, "SIGTERM");
    } catch {
      resolve();
    }
    setTimeout(() => {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {}
    }, 3000).unref();
  });
}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("exit", (code) => {
      children.delete(child);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} exited with ${code}: ${err || out}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The origin

async function startOrigin() {
  const child = spawn(process.execPath, [join(ROOT, "bench/origin.mjs"), "--port", "0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.add(child);
  const line = await new Promise((resolve, reject) => {
    let buf = "";
    child.stdout.on("data", (d) => {
      buf += d;
      if (buf.includes("\n")) resolve(buf.split("\n")[0]);
    });
    child.once("exit", (code) => reject(new Error(`origin exited with ${code}`)));
  });
  const info = JSON.parse(line);
  return { child, pid: child.pid, port: info.port, url: `http://127.0.0.1:${info.port}`, sizes: info.pages };
}

// ---------------------------------------------------------------------------------------------
// workerd

let WORKERD;
let TMP;

/** Copies what the workers run into a temp dir, so a rebuild during the run changes nothing. */
function snapshot() {
  TMP = mkdtempSync(join(tmpdir(), "veneer-bench-"));
  for (const dir of ["veneer/edge/console", "veneer/build", "workers"]) mkdirSync(join(TMP, dir), { recursive: true });
  for (const f of ["edge/entry.mjs", "edge/origin.mjs", "edge/console/index.js", "edge/console/index_bg.wasm", "build/index.js", "build/index_bg.wasm"]) {
    copyFileSync(join(ROOT, f), join(TMP, `veneer/${f}`));
  }
  for (const w of ["passthrough", "native-rewriter", "native-elements", "kv"]) {
    copyFileSync(join(ROOT, `bench/workers/${w}.mjs`), join(TMP, `workers/${w}.mjs`));
  }
  for (const v of VARIANTS) {
    mkdirSync(join(TMP, `veneer-${v.name}/build`), { recursive: true });
    for (const f of ["index.js", "index_bg.wasm"]) copyFileSync(join(v.dir, f), join(TMP, `veneer-${v.name}/build/${f}`));
  }
  // GrowthBook's edge app and its dependencies, bundled into one module.
  execFileSync(join(ROOT, "node_modules/.bin/esbuild"), [
    join(ROOT, "bench/workers/growthbook.mjs"), "--bundle", "--format=esm", "--platform=browser", "--log-level=warning",
    // As wrangler builds it.
    '--define:process.env.NODE_ENV="production"',
    `--outfile=${join(TMP, "workers/growthbook.mjs")}`,
  ]);
  writeFileSync(join(TMP, "rules-elements.json"), JSON.stringify(elementsRules()));
  writeFileSync(join(TMP, "rules-commerce.json"), JSON.stringify(commerceRules()));
  writeFileSync(join(TMP, "rules-commerce-none.json"), JSON.stringify(commerceEmptyRules()));
  writeFileSync(join(TMP, "rules-commerce-one.json"), JSON.stringify(commerceOneRule()));
  writeFileSync(join(TMP, "edits.json"), JSON.stringify(EDITS));
  writeFileSync(join(TMP, "growthbook-payload.json"), JSON.stringify(growthbookPayload()));
  writeFileSync(join(TMP, "veneer/edge/counting.mjs"), COUNTING_ENTRY);
  const rules = JSON.parse(readFileSync(join(ROOT, "bench/rules.json"), "utf8"));
  const isText = (rule) => rule.actions.some((a) => "replace_text" in a);
  writeFileSync(join(TMP, "rules-empty.json"), '{"rules": []}');
  writeFileSync(join(TMP, "rules-bench.json"), JSON.stringify(rules));
  writeFileSync(join(TMP, "rules-no-text.json"), JSON.stringify({ ...rules, rules: rules.rules.filter((r) => !isText(r)) }));
  writeFileSync(
    join(TMP, "rules-one-selector.json"),
    JSON.stringify({ rules: [{ id: "no-match", actions: [{ select: "#veneer-bench-no-match", set_text: "x" }] }] }),
  );
}

function capnp(config, port, originUrl) {
  const origin = `(name = "ORIGIN", text = "${originUrl}")`;
  let main;
  let extra = "";
  if (config.worker === "veneer") {
    const build = config.build ? `veneer-${config.build}` : "veneer";
    const counting = config.counting ? '(name = "edge/counting.mjs", esModule = embed "veneer/edge/counting.mjs"),' : "";
    // The console's module, as wrangler uploads it beside the entry (imported only by console requests).
    const consoleModules = config.noConsole
      ? ""
      : `(name = "edge/console/index.js", esModule = embed "veneer/edge/console/index.js"),
        (name = "edge/console/index_bg.wasm", wasm = embed "veneer/edge/console/index_bg.wasm"),`;
    main = `(
      modules = [${counting}
        (name = "edge/entry.mjs", esModule = embed "veneer/edge/entry.mjs"),
        (name = "edge/origin.mjs", esModule = embed "veneer/edge/origin.mjs"),
        (name = "build/index.js", esModule = embed "${build}/build/index.js"),
        (name = "build/index_bg.wasm", wasm = embed "${build}/build/index_bg.wasm"),
        ${consoleModules}
      ],
      compatibilityDate = "${COMPATIBILITY_DATE}",
      bindings = [${origin}, (name = "RULES", kvNamespace = "kv")${CONSOLE ? ', (name = "VENEER_ADMIN_TOKEN", text = "bench")' : ""}],
    )`;
    extra = `
    (name = "kv", worker = (
      modules = [(name = "kv.mjs", esModule = embed "workers/kv.mjs")],
      compatibilityDate = "${COMPATIBILITY_DATE}",
      bindings = [(name = "DOC", text = embed "rules-${config.rules}.json")],
    )),`;
  } else if (config.worker === "growthbook") {
    main = `(
      modules = [(name = "worker.mjs", esModule = embed "workers/growthbook.mjs")],
      compatibilityDate = "${COMPATIBILITY_DATE}",
      bindings = [(name = "PROXY_TARGET", text = "${originUrl}"), (name = "KV_GB_PAYLOAD", kvNamespace = "kv"),
        (name = "GROWTHBOOK_CLIENT_KEY", text = "sdk-veneer-bench"), (name = "DISABLE_INJECTIONS", text = "true")],
    )`;
    extra = `
    (name = "kv", worker = (
      modules = [(name = "kv.mjs", esModule = embed "workers/kv.mjs")],
      compatibilityDate = "${COMPATIBILITY_DATE}",
      bindings = [(name = "DOC", text = embed "growthbook-payload.json")],
    )),`;
  } else {
    const variant = config.variant ? `, (name = "VARIANT", text = "${config.variant}")` : "";
    const edits = config.worker === "native-elements" ? ', (name = "EDITS", text = embed "edits.json")' : "";
    main = `(
      modules = [(name = "worker.mjs", esModule = embed "workers/${config.worker}.mjs")],
      compatibilityDate = "${COMPATIBILITY_DATE}",
      bindings = [${origin}${variant}${edits}],
    )`;
  }
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = ${main}),${extra}
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],${V8_FLAGS.length ? `
  v8Flags = ${JSON.stringify(V8_FLAGS)},` : ""}
);
`;
}

let configSerial = 0;

/** Starts `config` in a fresh workerd process (not yet listening when this returns). */
async function startWorkerd(config, originUrl, extraArgs = []) {
  const port = await freePort();
  const file = join(TMP, `${config.id}-${++configSerial}.capnp`);
  writeFileSync(file, capnp(config, port, originUrl));
  const started = performance.now();
  const child = spawn(WORKERD, ["serve", file, ...extraArgs], { cwd: TMP, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  const logs = [];
  for (const s of [child.stdout, child.stderr]) {
    s.setEncoding("utf8");
    s.on("data", (d) => {
      for (const l of d.split("\n")) if (l.trim() && logs.length < 200) logs.push(l);
    });
  }
  return { config, child, pid: child.pid, port, url: `http://127.0.0.1:${port}`, logs, started };
}

async function waitListening(w, timeoutMs = 30000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (w.child.exitCode !== null) throw new Error(`workerd (${w.config.id}) exited: ${w.logs.join("\n")}`);
    const ok = await new Promise((resolve) => {
      const s = net.connect(w.port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (performance.now() > deadline) throw new Error(`workerd (${w.config.id}) did not listen: ${w.logs.join("\n")}`);
    await sleep(2);
  }
}

/** One GET with node:http (no pooling); resolves with status, headers and the whole body. */
function get(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: REQUEST_HEADERS }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

/** One GET over a raw socket: the bytes on the wire and the number of HTTP chunks in the body. */
function wireGet(url) {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const headers = Object.entries(REQUEST_HEADERS).map(([k, v]) => `${k}: ${v}\r\n`).join("");
    const sock = net.connect(Number(port), hostname, () =>
      sock.write(`GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n${headers}Connection: close\r\n\r\n`),
    );
    const bufs = [];
    sock.on("data", (d) => bufs.push(d));
    sock.on("error", reject);
    sock.on("end", () => {
      const buf = Buffer.concat(bufs);
      const end = buf.indexOf("\r\n\r\n");
      const [statusLine, ...lines] = buf.subarray(0, end).toString().split("\r\n");
      const headers = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      let chunks = 0;
      let body = buf.subarray(end + 4);
      if (/chunked/i.test(headers["transfer-encoding"] ?? "")) {
        const pieces = [];
        for (let p = end + 4; ; ) {
          const eol = buf.indexOf("\r\n", p);
          const size = parseInt(buf.subarray(p, eol).toString(), 16);
          if (!size) break;
          chunks++;
          pieces.push(buf.subarray(eol + 2, eol + 2 + size));
          p = eol + 2 + size + 2;
        }
        body = Buffer.concat(pieces);
      }
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body, bytes: buf.length, chunks });
    });
  });
}

/** Spawns a fresh workerd and requests `path` as soon as it listens; time to the whole response. */
async function coldStart(config, originUrl, path) {
  const w = await startWorkerd(config, originUrl);
  let response;
  for (;;) {
    try {
      response = await get(w.url + path);
      break;
    } catch (e) {
      if (e.code !== "ECONNREFUSED" && e.code !== "ECONNRESET") throw e;
      if (performance.now() - w.started > 30000) throw new Error("cold start timed out");
      await sleep(1);
    }
  }
  const firstResponseMs = performance.now() - w.started;
  await stopChild(w.child);
  if (response.status !== 200) throw new Error(`cold start of (${config.id}): status ${response.status}`);
  return { firstResponseMs };
}

// ---------------------------------------------------------------------------------------------
// wrk

const WRK_HEADERS = Object.entries(REQUEST_HEADERS).flatMap(([k, v]) => ["-H", `${k}: ${v}`]);

function toMs(value, unit) {
  const v = Number(value);
  return unit === "us" ? v / 1000 : unit === "ms" ? v : unit === "s" ? v * 1000 : unit === "m" ? v * 60000 : NaN;
}

function toBytes(value, unit) {
  return Number(value) * { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 }[unit];
}

function parseWrk(out) {
  const reqs = out.match(/(\d+) requests in ([\d.]+)(\w+), ([\d.]+)([KMGT]?B) read/);
  const lat = (p) => {
    const m = out.match(new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m"));
    return m ? toMs(m[1], m[2]) : NaN;
  };
  const sock = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const non2xx = out.match(/Non-2xx or 3xx responses: (\d+)/);
  if (!reqs) throw new Error(`cannot parse wrk output:\n${out}`);
  return {
    requests: Number(reqs[1]),
    bytes: toBytes(reqs[4], reqs[5]),
    rps: Number((out.match(/Requests\/sec:\s+([\d.]+)/) ?? [])[1]),
    p50: lat(50),
    p99: lat(99),
    errors: (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0),
    errorDetail: [sock?.[0], non2xx?.[0]].filter(Boolean).join("; "),
  };
}

function wrk(url, seconds, connections) {
  return run("wrk", ["-t1", `-c${connections}`, `-d${seconds}s`, "--latency", "--timeout", "60s", ...WRK_HEADERS, url]);
}

/** CPU seconds per request of each worker and page, from the first warm-up: sizes the cells. */
const estimates = new Map();

function cellSeconds(id, page, connections = CONNECTIONS) {
  const est = estimates.get(`${id} ${page.name}`);
  if (!est) return DURATION;
  const want = Math.ceil(REQUESTS_PER_CONNECTION * connections[page.name] * est * 1.25);
  return Math.min(MAX_CELL, Math.max(DURATION, want));
}

/** A measured cell: warm-up, quiet, then wrk with CPU of worker, origin and machine read around it. */
async function measure(target, origin, page, connections = CONNECTIONS) {
  const conns = connections[page.name];
  const url = target.url + page.path;
  const est = estimates.get(`${target.id} ${page.name}`) ?? 0;
  if (est < 0.5) await wrk(url, WARMUP, conns);
  if (target.pid) await waitIdle(target.pid);
  const seconds = cellSeconds(target.id, page, connections);
  const t0 = performance.now();
  const cpu0 = target.pid ? cpuSeconds(target.pid) : 0;
  const origin0 = cpuSeconds(origin.pid);
  const busy0 = machineBusySeconds();
  const out = await wrk(url, seconds, conns);
  const cpu1 = target.pid ? cpuSeconds(target.pid) : 0;
  const origin1 = cpuSeconds(origin.pid);
  const busy1 = machineBusySeconds();
  const wall = (performance.now() - t0) / 1000;
  const r = parseWrk(out);
  return {
    ...r,
    seconds,
    connections: conns,
    cpuMsPerReq: target.pid ? ((cpu1 - cpu0) * 1000) / r.requests : NaN,
    originMsPerReq: ((origin1 - origin0) * 1000) / r.requests,
    workerUtil: target.pid ? (cpu1 - cpu0) / wall : NaN,
    originUtil: (origin1 - origin0) / wall,
    machineBusy: (busy1 - busy0) / wall,
    bytesPerReq: r.bytes / r.requests,
    // Requests still in flight when wrk stops were partly paid for but not counted.
    inflightBound: conns / Math.max(1, r.requests),
  };
}

// ---------------------------------------------------------------------------------------------
// CPU profile through workerd's inspector (V8's sampling profiler)

async function profileWorker(config, origin, page, seconds, connections = CONNECTIONS) {
  const require = createRequire(join(ROOT, "package.json"));
  let WebSocket;
  try {
    WebSocket = require("ws");
  } catch {
    return null; // `ws` comes with Miniflare; without it, no profile
  }
  const inspectorPort = await freePort();
  const w = await startWorkerd(config, origin.url, [`--inspector-addr=127.0.0.1:${inspectorPort}`]);
  await waitListening(w);
  const conns = connections[page.name];
  await wrk(w.url + page.path, FIRST_WARMUP, conns);
  await waitIdle(w.pid);
  const list = await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json();
  const target = list.find((t) => String(t.webSocketDebuggerUrl).endsWith("/main"));
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  let serial = 0;
  const pending = new Map();
  ws.on("message", (m) => {
    const msg = JSON.parse(m);
    if (pending.has(msg.id)) {
      pending.get(msg.id)(msg.result);
      pending.delete(msg.id);
    }
  });
  const call = (method, params = {}) =>
    new Promise((resolve) => {
      pending.set(++serial, resolve);
      ws.send(JSON.stringify({ id: serial, method, params }));
    });
  let contextId;
  ws.on("message", (m) => {
    const msg = JSON.parse(m);
    if (msg.method === "Runtime.executionContextCreated") contextId ??= msg.params.context.id;
  });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: 200 });
  await call("Profiler.start");
  const cpu0 = cpuSeconds(w.pid);
  const out = parseWrk(await wrk(w.url + page.path, seconds, conns));
  const cpuMsPerReq = ((cpuSeconds(w.pid) - cpu0) * 1000) / out.requests;
  const { profile } = await call("Profiler.stop");
  // Veneer's own memory: the size of its wasm linear memory, and V8's JS heap, after the load.
  let wasmMemoryMb = NaN;
  let heapMb = NaN;
  try {
    await call("Runtime.enable");
    for (let i = 0; i < 50 && contextId === undefined; i++) await sleep(20);
    const heap = await call("Runtime.getHeapUsage");
    heapMb = heap.usedSize / 2 ** 20;
    const proto = await call("Runtime.evaluate", { expression: "WebAssembly.Memory.prototype", contextId });
    const memories = await call("Runtime.queryObjects", { prototypeObjectId: proto.result.objectId });
    const bytes = await call("Runtime.callFunctionOn", {
      objectId: memories.objects.objectId,
      functionDeclaration: "function () { return this.reduce((n, m) => n + m.buffer.byteLength, 0); }",
      returnByValue: true,
    });
    wasmMemoryMb = bytes.result.value / 2 ** 20;
  } catch {}
  ws.close();
  await stopChild(w.child);
  if (PROFILE_OUT) {
    mkdirSync(PROFILE_OUT, { recursive: true });
    writeFileSync(join(PROFILE_OUT, `${config.id.replace(/\W/g, "_")}-${page.name}.cpuprofile`), JSON.stringify(profile));
  }
  return { config: config.id, page: page.name, requests: out.requests, cpuMsPerReq, wasmMemoryMb, heapMb, ...summarizeProfile(profile) };
}

function category(frame) {
  const f = frame.functionName || "(anonymous)";
  if (["(idle)", "(program)", "(garbage collector)"].includes(f)) return f === "(idle)" ? null : `V8 ${f}`;
  if (!/\.wasm/.test(frame.url)) return "JavaScript: wasm-bindgen glue, entry.mjs, runtime APIs (streams, fetch, Headers)";
  if (/^regex_lite/.test(f)) return "wasm: regex_lite (replace_text regex)";
  if (/lol_html/.test(f)) return "wasm: lol_html (tokenize, match selectors, serialize)";
  if (/(^|[<:\s])veneer::/.test(f)) return "wasm: Veneer's own code";
  if (/encoding_rs/.test(f)) return "wasm: encoding_rs (UTF-8 decoding of text)";
  if (/dlmalloc|alloc::|RawVec|__rust_|memcpy|memmove|memset|memchr/.test(f)) return "wasm: allocator, memcpy, memchr";
  return "wasm: other (std, core, futures, hashing, closures)";
}

function summarizeProfile(profile) {
  const byCategory = new Map();
  const byFunction = new Map();
  let busy = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    const c = category(n.callFrame);
    if (!c || !hits) continue;
    busy += hits;
    byCategory.set(c, (byCategory.get(c) ?? 0) + hits);
    const name = `${n.callFrame.functionName || "(anonymous)"}${/\.wasm/.test(n.callFrame.url) ? " [wasm]" : ""}`
      .replace(/::h[0-9a-f]{16}/g, "")
      .replace(/__wbg_(\w+?)_[0-9a-f]{16}/g, "__wbg_$1");
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
  }
  const share = (m) => [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v / busy]);
  return { samples: busy, categories: share(byCategory), functions: share(byFunction).slice(0, 12) };
}

// ---------------------------------------------------------------------------------------------
// Correctness: Veneer really rewrites, and (d) and (e) make the same edits

const normalize = (s) => s.replace(/\s+/g, " ").trim();
const count = (s, needle) => s.split(needle).length - 1;

function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `at ${i}:\n  1: ${JSON.stringify(a.slice(Math.max(0, i - 80), i + 120))}\n  2: ${JSON.stringify(b.slice(Math.max(0, i - 80), i + 120))}`;
}

function expectedEdits(origin) {
  const tiles = count(origin, 'class="product-tile"');
  return [
    ["promo bar set_html", "<strong>Black Friday:</strong> 30% off all trail shoes", 1],
    ["promo bar set_style", 'class="promo-bar" style="background-color: #b00020; color: #fff"', 1],
    ["hero set_text", "<h1>Black Friday on the trail</h1>", 1],
    ["hero-sub set_text", "30% off every trail shoe until Monday night.", 1],
    ["CTA set_attribute + rewrite_links", 'href="/c/shoes?sale=black-friday&utm_source=veneer&utm_campaign=bf-2026" data-campaign="black-friday"', 1],
    ["tile add_class", 'class="product-tile bf-2026"', tiles],
    ["bestseller set_html", '<span class="badge badge-bestseller">Bestseller</span>', 1],
    ["new badge set_html", '<span class="badge badge-new">New</span>', 1],
    ["was-price insert_before", '<s class="was">€149.00</s> <p class="price"', 1],
    ["VAT insert_after", '</p><span class="vat">incl. VAT</span>', tiles],
    ["tile images set_attribute", 'loading="lazy" decoding="async"', tiles],
    ["banner remove", 'class="category-banner"', 0],
    ["nav append", '<li><a class="nav-sale" href="/c/sale">Sale</a></li>', 1],
    ["search placeholder", 'placeholder="Search the Black Friday sale"', 1],
    ["replace_text literal (none left)", "€129.00", 0],
    ["replace_text regex", "Free returns until 31 January (usually 30 days)", 1],
    ["inject_head", '<script src="/assets/campaign.js" defer></script></head>', 1],
    ["append_body", "Orders placed before 3 pm ship today.</div></body>", 1],
  ];
}

async function verify(workers, origin, pages) {
  const notes = [];
  for (const page of pages) {
    const got = { a: await wireGet(origin.url + page.path) };
    if (!got.a.body.equals(page.body)) throw new Error(`origin serves a different ${page.name} page`);
    for (const id of Object.keys(workers)) {
      if (byId[id].diagnostic && page.name !== DIAGNOSTIC_PAGE) continue;
      got[id] = await wireGet(workers[id].url + page.path);
      if (got[id].status !== 200) throw new Error(`(${id}) answered ${got[id].status} for the ${page.name} page`);
    }
    for (const id of ["b", "c", "d1", "e1"].filter((id) => got[id])) {
      if (!got[id].body.equals(page.body)) throw new Error(`(${id}) changed the ${page.name} page; it must come out byte for byte`);
    }
    const o = page.body.toString("utf8");
    const d = got.d.body.toString("utf8");
    const e = got.e.body.toString("utf8");
    if (d === o) throw new Error(`(d) did not rewrite the ${page.name} page`);
    for (const [what, needle, n] of expectedEdits(o)) {
      const c = count(d, needle);
      if (c !== n) throw new Error(`(d) ${page.name}: ${what}: expected ${n} × ${JSON.stringify(needle)}, found ${c}`);
    }
    for (const [x, y] of [["d", "e"], ["dNT", "eNT"]].filter(([x, y]) => got[x] && got[y])) {
      const bx = normalize(got[x].body.toString("utf8"));
      const by = normalize(got[y].body.toString("utf8"));
      if (bx !== by) throw new Error(`(${x}) and (${y}) differ on the ${page.name} page ${firstDifference(bx, by)}`);
    }
    for (const id of ["d", "e"]) {
      const h = got[id].headers;
      // Cache-Control is not compared: whether Veneer marks pages with audience rules private
      // depends on the build (src/policy.rs personalized_headers); (e) always does.
      if (h["x-promo"] !== "bf-2026" || h["content-length"] || h.etag) {
        throw new Error(`(${id}) ${page.name}: unexpected headers ${JSON.stringify(h)}`);
      }
    }
    page.rewrittenBytes = got.d.body.length;
    page.wire = Object.fromEntries(Object.entries(got).map(([id, r]) => [id, { bytes: r.bytes, chunks: r.chunks }]));
    notes.push(
      `${page.name}: origin ${page.body.length.toLocaleString("en-US")} B → (d) ${got.d.body.length.toLocaleString("en-US")} B; ` +
        `all ${expectedEdits(o).length} edit checks pass on (d); (d) and (e) ${d === e ? "byte-identical" : "identical modulo whitespace"}; ` +
        `(b) and (c) byte-identical to the origin` +
        (got.dNT ? "; the breakdown variants: no-match ones byte-identical to the origin, (d)/(e) minus replace_text identical" : ""),
    );
    notes.cacheControl = `Cache-Control of (d): \`${got.d.headers["cache-control"]}\`, of (e): \`${got.e.headers["cache-control"]}\``;
  }
  for (const [id, w] of Object.entries(workers)) {
    const events = w.logs.filter((l) => l.includes('"veneer"'));
    if (events.length) throw new Error(`(${id}) logged Veneer events (failing open?):\n${events.join("\n")}`);
  }
  return notes;
}

// ---------------------------------------------------------------------------------------------
// Report

const fmt = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : "–");
const fmtInt = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "–");
const mb = (kb) => (kb / 1024).toFixed(1);
const pct = (x) => `${(100 * x).toFixed(0)}%`;
const fmtRps = (x) => (Number.isFinite(x) && x < 10 ? x.toFixed(1) : fmtInt(x));

function machineInfo() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const model = (cpuinfo.match(/^model name\s*:\s*(.+)$/m) ?? [])[1] ?? "unknown";
  const nproc = execFileSync("nproc").toString().trim();
  const kernel = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
  let git = "unknown";
  try {
    const head = execFileSync("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"]).toString().trim();
    const dirty = execFileSync("git", ["-C", ROOT, "status", "--porcelain", "--", "src", "edge", "Cargo.toml", "Cargo.lock"])
      .toString()
      .trim();
    git = `${head}${dirty ? " + uncommitted changes in src/ or edge/" : ""}`;
  } catch {}
  let wrkVersion = "wrk";
  try {
    execFileSync("wrk", ["--version"], { stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    wrkVersion = String(e.stdout ?? "").split("\n")[0].replace(/ \[.*$/, "") || "wrk";
  }
  const wasm = readFileSync(join(TMP, "veneer/build/index_bg.wasm"));
  return {
    model,
    nproc,
    kernel,
    memGb: (totalmem() / 1024 ** 3).toFixed(1),
    node: process.version,
    workerd: execFileSync(WORKERD, ["--version"]).toString().trim(),
    workerdSha: createHash("sha256").update(readFileSync(WORKERD)).digest("hex").slice(0, 12),
    wrk: wrkVersion,
    git,
    wasmSha: createHash("sha256").update(wasm).digest("hex").slice(0, 12),
    wasmMtime: statSync(join(ROOT, "build/index_bg.wasm")).mtime.toISOString().slice(0, 16).replace("T", " "),
    loadavg: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" "),
  };
}

/**
 * Sizes of a wasm module (and of its custom sections) and of the upload with it: by default the
 * shop's (build/, what every request loads); `module` "edge/console" is the console's.
 */
function sizes(dir = "veneer", module = "build") {
  const wasm = readFileSync(join(TMP, `${dir}/${module}/index_bg.wasm`));
  const js = readFileSync(join(TMP, `${dir}/${module}/index.js`));
  const entry = readFileSync(join(TMP, "veneer/edge/entry.mjs"));
  const gz = (b) => gzipSync(b, { level: 9 }).length;
  const custom = {};
  let code = 0;
  let data = 0;
  let i = 8;
  const leb = () => {
    let r = 0;
    let s = 0;
    for (;;) {
      const x = wasm[i++];
      r += (x & 0x7f) * 2 ** s;
      s += 7;
      if (x < 0x80) return r;
    }
  };
  while (i < wasm.length) {
    const id = wasm[i++];
    const size = leb();
    const start = i;
    if (id === 0) {
      const len = leb();
      custom[wasm.subarray(i, i + len).toString()] = size;
    } else if (id === 10) code = size;
    else if (id === 11) data = size;
    i = start + size;
  }
  const withoutNames = [wasm.subarray(0, 8)];
  for (let j = 8; j < wasm.length; ) {
    const start = j;
    i = j + 1;
    const size = leb();
    const end = i + size;
    let isName = false;
    if (wasm[start] === 0) {
      const len = leb();
      isName = wasm.subarray(i, i + len).toString() === "name";
    }
    if (!isName) withoutNames.push(wasm.subarray(start, end));
    j = end;
  }
  return {
    wasmRaw: wasm.length,
    wasmGz: gz(wasm),
    wasmGzNoNames: gz(Buffer.concat(withoutNames)),
    code,
    data,
    nameSection: custom.name ?? 0,
    totalRaw: wasm.length + js.length + entry.length,
    totalGz: gz(wasm) + gz(js) + gz(entry),
  };
}

function report(ctx) {
  const { results, pages, cold, rss, scaling, profiles, info, size, notes, started, finished, elements, commerce } = ctx;
  const pageNamed = (name) => pages.find((p) => p.name === name);
  const cell = (id, page) => results.filter((r) => r.config === id && r.page === page.name);
  const agg = (id, page, key) => median(cell(id, page).map((r) => r[key]));
  const pairedRatio = (num, den, page, key = "cpuMsPerReq") => {
    const ratios = [];
    for (let round = 0; round < ROUNDS; round++) {
      const n = results.find((r) => r.config === num && r.page === page.name && r.round === round);
      const d = results.find((r) => r.config === den && r.page === page.name && r.round === round);
      if (n && d) ratios.push(n[key] / d[key]);
    }
    return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), n: ratios.length };
  };
  const ratioText = (r) => (r.n > 1 ? `${fmt(r.median)} (${fmt(r.min)}–${fmt(r.max)})` : fmt(r.median));
  const L = [];
  const budgets = [];

  for (const page of pages) {
    const r = pairedRatio("d", "e", page);
    budgets.push({
      name: `CPU/request (d) ≤ 1.5 × (e), ${page.name} page`,
      pass: r.median <= 1.5,
      detail: `(d) ${fmt(agg("d", page, "cpuMsPerReq"), 3)} ms, (e) ${fmt(agg("e", page, "cpuMsPerReq"), 3)} ms: (d)/(e) = ${fmt(r.median)}`,
    });
  }
  for (const page of pages) {
    const r = pairedRatio("c", "b", page);
    budgets.push({
      name: `CPU/request (c) ≤ 1.3 × (b), ${page.name} page`,
      pass: r.median <= 1.3,
      detail: `(c) ${fmt(agg("c", page, "cpuMsPerReq"), 3)} ms, (b) ${fmt(agg("b", page, "cpuMsPerReq"), 3)} ms: (c)/(b) = ${fmt(r.median)}`,
    });
  }
  const rssOf = (id, conns, page) =>
    median(rss.filter((x) => x.config === id && x.conns === conns && x.page === page).map((x) => x.hwmKb));
  {
    const one = (page) => median(rss.filter((x) => x.config === "d" && x.page === page).map((x) => x.readyHwmKb));
    const small = one("20KB");
    const large = one("2MB");
    budgets.push({
      name: "peak RSS of (d): 2MB page ≤ 20KB page + 10 MB (fresh process, one request)",
      pass: large <= small + 10 * 1024,
      detail: `VmHWM ${mb(large)} MB vs ${mb(small)} MB: ${large >= small ? "+" : "−"}${mb(Math.abs(large - small))} MB`,
    });
  }
  for (const conns of [...new Set(RSS_RUNS.filter(([id]) => id === "d").map(([, c]) => c))]) {
    const small = rssOf("d", conns, "20KB");
    const large = rssOf("d", conns, "2MB");
    budgets.push({
      name: `peak RSS of (d): 2MB page ≤ 20KB page + 10 MB (${RSS_SECONDS} s of load, ${conns} connection${conns > 1 ? "s" : ""})`,
      pass: large <= small + 10 * 1024,
      detail: `VmHWM ${mb(large)} MB vs ${mb(small)} MB: ${large >= small ? "+" : "−"}${mb(Math.abs(large - small))} MB`,
    });
  }

  L.push("# Edge benchmarks");
  L.push("");
  L.push(
    "Generated by `node bench/edge.mjs`; every full run rewrites this file, so do not edit it by hand. " +
      "Veneer's real wasm build runs in workerd next to a plain JavaScript worker and a JavaScript worker using the runtime's " +
      "native `HTMLRewriter`, in front of one local origin, on one machine, interleaved and repeated. The machine is small " +
      "and shared, so absolute numbers are noisy: read the **ratios**, which compare configurations measured side by side.",
  );
  L.push("");
  L.push("## How to run");
  L.push("");
  L.push("```sh");
  L.push("make wasm                     # once, if build/index_bg.wasm is missing (the benchmark never builds)");
  L.push("node bench/edge.mjs           # full run, about 10 minutes; rewrites docs/benchmarks.md");
  L.push("node bench/edge.mjs --quick   # about 2 minutes: 1 round of short cells; prints the report, writes nothing");
  L.push("node bench/edge.mjs --elements --variant other=DIR   # the element-only workload alone, build/ beside the build in DIR");
  L.push("node bench/edge.mjs --commerce                       # the 200-tile category page with pin + badge + hide rules alone");
  L.push("```");
  L.push("");
  L.push(
    "It needs `wrk` (`apt-get install -y wrk`), Node.js 20+ and the npm packages that `make test` installs (`workerd`). " +
      "It is not part of `make test`. Options: `--rounds N`, `--duration S`, `--out FILE` (`-`: none), `--no-profile`, " +
      "`--keep` (keep the temp dir with the generated workerd configs), `--elements` (only the element-only workload; prints, " +
      "writes nothing unless `--out`), `--commerce` (only the commerce workload, likewise), `--variant NAME=DIR` (repeatable: another Veneer build, DIR holding `index.js` and " +
      "`index_bg.wasm`, measured beside build/ in the element-only workload), `--counters` (count the stream reads and writes " +
      "crossing the JS/wasm boundary), `--no-growthbook`, `--no-floor`. The CPU profiles need the wasm's function names: " +
      "`make wasm KEEP_NAMES=1`. How the build settings were chosen, lever by lever: [performance.md](performance.md).",
  );
  L.push("");
  L.push("## This run");
  L.push("");
  L.push("| | |");
  L.push("| --- | --- |");
  L.push(`| date | ${started.toISOString().replace("T", " ").slice(0, 16)} UTC; the run took ${((finished - started) / 60000).toFixed(1)} min |`);
  L.push(`| command | \`node bench/edge.mjs${argv.length ? " " + argv.join(" ") : ""}\` |`);
  L.push(`| machine | \`nproc\` = ${info.nproc}, ${info.model} (/proc/cpuinfo), ${info.memGb} GB RAM, Linux ${info.kernel}; load average at the end ${info.loadavg} |`);
  L.push(`| runtime | workerd ${info.workerd.replace(/^workerd /, "")} from npm (\`node_modules/workerd\`, the binary Miniflare runs; sha256 ${info.workerdSha}…), compatibility date ${COMPATIBILITY_DATE} |`);
  L.push(`| Veneer | git ${info.git}; build/index_bg.wasm sha256 ${info.wasmSha}…, built ${info.wasmMtime} UTC |`);
  L.push(
    `| load | ${info.wrk}, \`wrk -t1 -cN -dS --latency\` with a browser's headers; N = ${Object.entries(CONNECTIONS)
      .map(([p, c]) => `${c} (${p})`)
      .join(", ")}; S ≥ ${DURATION} s, longer for slow cells (about ${REQUESTS_PER_CONNECTION} requests per connection, at most ${MAX_CELL} s); ${WARMUP} s of warm-up before each cell |`,
  );
  L.push(`| rounds | ${ROUNDS}; in each, the pages in turn and, per page, the five configurations one after the other, starting one later each round |`);
  L.push(`| Node.js | ${info.node} (origin and driver) |`);
  L.push("");
  if (elements) budgets.push(...elements.budgets);
  L.push("## Budgets");
  L.push("");
  L.push("| budget | result | numbers (medians) |");
  L.push("| --- | --- | --- |");
  for (const b of budgets) L.push(`| ${b.name} | **${b.pass ? "PASS" : "MISS"}** | ${b.detail} |`);
  L.push("");
  L.push("## Throughput, latency and CPU per request");
  L.push("");
  L.push(
    `Medians over ${ROUNDS} round(s). *CPU/req* is the worker's workerd process (utime + stime of all its threads, from ` +
      "`/proc/<pid>/stat` before and after the cell) divided by the requests wrk completed; (a) has no worker. " +
      "*origin CPU/req* is the origin process's, measured the same way. Latencies are wrk's, from a closed loop that keeps " +
      "every connection busy, so they include queueing. With one connection on the 2 MB page, req/s there is 1 / latency, not capacity.",
  );
  L.push("");
  L.push("| page | configuration | conns | req/s | p50 ms | p99 ms | CPU/req ms | CPU × (b) | origin CPU/req ms | errors |");
  L.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const page of pages) {
    for (const c of CONFIGS) {
      const vsB = c.id === "a" || c.id === "b" ? "" : ratioText(pairedRatio(c.id, "b", page));
      const errors = cell(c.id, page).reduce((a, r) => a + r.errors, 0);
      L.push(
        `| ${page.name} | ${c.label} | ${CONNECTIONS[page.name]} | ${fmtRps(agg(c.id, page, "rps"))} | ${fmt(agg(c.id, page, "p50"))} | ` +
          `${fmt(agg(c.id, page, "p99"))} | ${fmt(agg(c.id, page, "cpuMsPerReq"), 3)} | ${vsB} | ${fmt(agg(c.id, page, "originMsPerReq"), 3)} | ${errors} |`,
      );
    }
  }
  L.push("");
  L.push("CPU per request, ratios taken per round then the median (min–max over rounds):");
  L.push("");
  L.push("| page | (d) / (e) | (c) / (b) | (d) / (b) | (e) / (b) | (d) − (c) ms | (e) − (b) ms |");
  L.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const page of pages) {
    const diff = (x, y) => fmt(agg(x, page, "cpuMsPerReq") - agg(y, page, "cpuMsPerReq"), 3);
    L.push(
      `| ${page.name} | ${ratioText(pairedRatio("d", "e", page))} | ${ratioText(pairedRatio("c", "b", page))} | ` +
        `${ratioText(pairedRatio("d", "b", page))} | ${ratioText(pairedRatio("e", "b", page))} | ${diff("d", "c")} | ${diff("e", "b")} |`,
    );
  }
  L.push("");
  L.push(
    "The origin is not the bottleneck: (a) serves far more requests per second than any worker, and the origin process " +
      "stays well under one core while the workers are measured (the worker's workerd process is the one near a full core):",
  );
  L.push("");
  L.push("| page | (a) req/s | best worker req/s | origin CPU use during worker cells (cores, max) | workerd CPU use (cores, max) | whole machine busy (cores, median of cells) |");
  L.push("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const page of pages) {
    const workerCells = results.filter((r) => r.page === page.name && ["b", "c", "d", "e"].includes(r.config));
    L.push(
      `| ${page.name} | ${fmtInt(agg("a", page, "rps"))} | ${fmtInt(Math.max(...["b", "c", "d", "e"].map((id) => agg(id, page, "rps"))))} | ` +
        `${fmt(Math.max(...workerCells.map((r) => r.originUtil)))} | ${fmt(Math.max(...workerCells.map((r) => r.workerUtil)))} | ` +
        `${fmt(median(results.filter((r) => r.page === page.name).map((r) => r.machineBusy)))} |`,
    );
  }
  L.push("");

  if (elements) L.push(elements.markdown);
  if (commerce) L.push(commerce);

  // Where the CPU goes
  const dp = pageNamed(DIAGNOSTIC_PAGE);
  L.push("## Where the CPU goes");
  L.push("");
  L.push(
    `Cut-down variants of (d) and (e) on the ${DIAGNOSTIC_PAGE} page, measured in round 1 between the other cells (same ` +
      "settings). *One selector that matches nothing* is the cost of streaming the page through lol_html at all (tokenizing, " +
      "selector matching, serializing): in Veneer that is lol_html compiled to wasm plus the JavaScript stream glue around it, in " +
      "(e) it is lol_html compiled natively into workerd. The rows below it add handlers that fire.",
  );
  L.push("");
  L.push("| CPU/request, ms | Veneer (wasm) | native HTMLRewriter (JS handlers) | Veneer / native |");
  L.push("| --- | ---: | ---: | ---: |");
  const diagRow = (label, x, y) => {
    const vx = agg(x, dp, "cpuMsPerReq");
    const vy = agg(y, dp, "cpuMsPerReq");
    L.push(`| ${label} | ${fmt(vx, 3)} | ${fmt(vy, 3)} | ${fmt(vx / vy)} |`);
  };
  diagRow("pass-through, no rewriting: (c) and (b)", "c", "b");
  diagRow("one selector that matches nothing", "d1", "e1");
  diagRow("the 20 rules minus the 2 replace_text rules", "dNT", "eNT");
  diagRow("all 20 rules: (d) and (e)", "d", "e");
  L.push("");
  L.push(
    "In (e) every handler call goes from lol_html back into JavaScript: workerd runs the rewriter on a fiber and, for each call, " +
      "schedules the handler on the event loop, enters the isolate, wraps the token in a new JS object and waits for the result " +
      "(`Rewriter::thunkImpl`/`thunkPromise` in workerd's `src/workerd/api/html-rewriter.c++`). `replace_text` needs a handler " +
      "on every text chunk of the page, so (e) pays that per-call cost thousands of times per page. Veneer's handlers are " +
      "plain Rust calls inside the wasm module.",
  );
  L.push("");
  if (profiles.length) {
    L.push(
      "V8's sampling profiler (through workerd's inspector, 200 µs interval) on a fresh process of each configuration under the " +
        "same load, after a warm-up; share of the busy samples (idle excluded). Wasm functions are named by the build's name section. " +
        "Profiling costs CPU itself (compare *CPU/request while profiled* with the main table), so the shares are approximate.",
    );
    L.push("");
    const cats = [...new Set(profiles.flatMap((p) => p.categories.map(([c]) => c)))];
    L.push(`| | ${profiles.map((p) => `(${p.config}) ${p.page}`).join(" | ")} |`);
    L.push(`| --- |${profiles.map(() => " ---: |").join("")}`);
    for (const c of cats) {
      L.push(`| ${c} | ${profiles.map((p) => pct((p.categories.find(([k]) => k === c) ?? [0, 0])[1])).join(" | ")} |`);
    }
    L.push(`| samples | ${profiles.map((p) => p.samples).join(" | ")} |`);
    L.push(`| requests during the profile | ${profiles.map((p) => p.requests).join(" | ")} |`);
    L.push(`| CPU/request while profiled, ms | ${profiles.map((p) => fmt(p.cpuMsPerReq, 3)).join(" | ")} |`);
    L.push(`| after the load: wasm linear memory, MB | ${profiles.map((p) => fmt(p.wasmMemoryMb, 1)).join(" | ")} |`);
    L.push(`| after the load: V8 JS heap used, MB | ${profiles.map((p) => fmt(p.heapMb, 1)).join(" | ")} |`);
    L.push("");
    for (const p of profiles.filter((x) => (x.config === "d" && x.page === DIAGNOSTIC_PAGE) || x.config === "c")) {
      L.push(`Top functions by self time, (${p.config}) on the ${p.page} page:`);
      L.push("");
      L.push("| self | function |");
      L.push("| ---: | --- |");
      for (const [f, s] of p.functions) L.push(`| ${pct(s)} | \`${f.length > 110 ? f.slice(0, 107) + "…" : f}\` |`);
      L.push("");
    }
  }

  L.push("## Memory: peak RSS of (d), 2 MB page vs 20 KB page");
  L.push("");
  L.push(
    `A fresh workerd process per measurement, loaded for ${RSS_SECONDS} s by \`wrk -cN\` on one page only; ` +
      "`VmHWM` (peak resident set) from `/proc/<pid>/status` after one request and after the load; medians over the rounds. " +
      "(e) for comparison. A fresh workerd process with no request served is about 35 MB (JS worker) to 42 MB (Veneer). " +
      "Veneer's own data lives in its wasm linear memory and the V8 heap: both are read through the inspector after the " +
      "profiling loads (last rows of the profile table in *Where the CPU goes*); the rest of the resident set is native " +
      "memory of the runtime.",
  );
  L.push("");
  L.push("| configuration | conns | page | VmHWM after 1 request, MB | VmHWM after the load, MB | every run, MB | VmRSS after the load, MB |");
  L.push("| --- | ---: | --- | ---: | ---: | --- | ---: |");
  for (const [id, conns] of RSS_RUNS) {
    for (const page of ["20KB", "2MB"]) {
      const xs = rss.filter((x) => x.config === id && x.conns === conns && x.page === page);
      L.push(
        `| ${byId[id].label} | ${conns} | ${page} | ${mb(median(xs.map((x) => x.readyHwmKb)))} | ${mb(median(xs.map((x) => x.hwmKb)))} | ` +
          `${xs.map((x) => mb(x.hwmKb)).join(", ")} | ${mb(median(xs.map((x) => x.rssKb)))} |`,
      );
    }
  }
  L.push("");
  L.push("### Against the page size: one request in a fresh process");
  L.push("");
  L.push(
    "Does memory grow with the page? A fresh workerd process per measurement serves one request, of 20 KB, 2 MB or " +
      `${MEMORY_PAGE.name} (${MEMORY_PAGE.path}, served by the same origin); \`VmHWM\` before and after it, medians over the rounds. ` +
      "A buffering rewriter would need at least the page's size on top (and twice that while the input and output chunks wait for the garbage collector); a streaming one grows far less than the page. " +
      "What a fresh process gains on its first long request (the runtime's code paged in, V8's heap and compiler set up) " +
      "shows in the 20 KB → 2 MB step; under load (table above) both pages reach the same level.",
  );
  L.push("");
  L.push("| configuration | page | VmHWM before, MB | VmHWM after one request, MB | growth, MB | every run (after), MB |");
  L.push("| --- | --- | ---: | ---: | ---: | --- |");
  for (const id of ["c", "d"]) {
    for (const page of [pages[0].name, pages[2].name, MEMORY_PAGE.name]) {
      const xs = scaling.filter((x) => x.config === id && x.page === page);
      if (!xs.length) continue;
      const before = median(xs.map((x) => x.beforeKb));
      const after = median(xs.map((x) => x.hwmKb));
      L.push(`| ${byId[id].label} | ${page} | ${mb(before)} | ${mb(after)} | ${mb(after - before)} | ${xs.map((x) => mb(x.hwmKb)).join(", ")} |`);
    }
  }
  {
    const at = (page) => median(scaling.filter((x) => x.config === "d" && x.page === page).map((x) => x.hwmKb));
    const [small, mid, large] = [at(pages[0].name), at(pages[2].name), at(MEMORY_PAGE.name)];
    if ([small, mid, large].every(Number.isFinite)) {
      L.push("");
      L.push(
        `(d): 20 KB → 2 MB page +${mb(mid - small)} MB; 2 MB → ${MEMORY_PAGE.name} page (ten times the bytes) ` +
          `${large >= mid ? "+" : "−"}${mb(Math.abs(large - mid))} MB.`,
      );
    }
  }
  L.push("");
  L.push("## Cold start");
  L.push("");
  L.push(
    "From spawning a fresh workerd process (its config already written) to the complete first response for the 20 KB page, " +
      "polling the port every millisecond. For Veneer this includes compiling the wasm module, instantiating it, reading the " +
      "rules through the KV binding and the origin fetch. (b) and (d) for comparison.",
  );
  L.push("");
  L.push("| configuration | first response, ms (median) | min | max | runs |");
  L.push("| --- | ---: | ---: | ---: | ---: |");
  for (const id of ["b", "c", "d"]) {
    const xs = cold.filter((x) => x.config === id).map((x) => x.firstResponseMs);
    L.push(`| ${byId[id].label} | ${fmt(median(xs), 0)} | ${fmt(Math.min(...xs), 0)} | ${fmt(Math.max(...xs), 0)} | ${xs.length} |`);
  }
  L.push("");
  L.push("## Size of the worker");
  L.push("");
  L.push("| | raw | gzip -9 |");
  L.push("| --- | ---: | ---: |");
  L.push(`| build/index_bg.wasm | ${fmtInt(size.wasmRaw)} B (${(size.wasmRaw / 1024).toFixed(0)} KiB) | ${fmtInt(size.wasmGz)} B (${(size.wasmGz / 1024).toFixed(0)} KiB) |`);
  L.push(`| of which code section | ${fmtInt(size.code)} B | |`);
  L.push(`| of which data section (string constants, tables: encoding_rs's legacy charsets among them) | ${fmtInt(size.data)} B | |`);
  L.push(`| of which \`name\` custom section (function names, not needed to run) | ${fmtInt(size.nameSection)} B | |`);
  L.push(`| whole upload: wasm + build/index.js + edge/entry.mjs | ${fmtInt(size.totalRaw)} B | ${fmtInt(size.totalGz)} B |`);
  L.push(`| build/index_bg.wasm without the name section (what \`make wasm\` ships) | | ${fmtInt(size.wasmGzNoNames)} B |`);
  L.push(
    `| edge/console/index_bg.wasm, the console's module (only console requests and the publisher load it) | ` +
      `${fmtInt(size.console.wasmRaw)} B | ${fmtInt(size.console.wasmGz)} B (${fmtInt(size.console.wasmGzNoNames)} B without the name section) |`,
  );
  L.push("");
  L.push("## Pages, rules and checks");
  L.push("");
  L.push(
    "Pages are built by `bench/pages.mjs` from `fixtures/storefront/` (the category page's head, header, promo bar, " +
      "breadcrumb, banner, product tiles and footer, the home page's hero) and the real-world pages in " +
      `\`${CORPUS_DIR}\` (cloudflare.com, ECMA-402, the WHATWG parsing spec: their body content in ~20 KB pieces, cut at ` +
      "block-level tags outside scripts, comments, templates and SVG), with a grid of 8 product tiles after every piece, so " +
      "matching elements are equally dense at every size. `bench/origin.mjs` serves them from memory with " +
      "`Content-Length`, a strong `ETag` and `Cache-Control: public, max-age=60`; workerd receives the body in 4 KiB reads.",
  );
  L.push("");
  L.push("| page | path | bytes | product tiles | `<a>` elements | rewritten by (d), bytes |");
  L.push("| --- | --- | ---: | ---: | ---: | ---: |");
  for (const p of pages) {
    const s = p.body.toString("utf8");
    L.push(
      `| ${p.name} | \`${p.path}\` | ${fmtInt(p.body.length)} | ${count(s, 'class="product-tile"')} | ${count(s, "<a ")} | ${fmtInt(p.rewrittenBytes)} |`,
    );
  }
  L.push("");
  L.push(
    "What each configuration puts on the wire for one page (HTTP/1.1, headers included): the pass-through ones keep the " +
      "origin's `Content-Length`; the rewriting ones stream with chunked encoding. Veneer sends what lol_html produced for each " +
      "4 KiB read as one chunk; workerd's `HTMLRewriter` writes every piece of output lol_html hands it as its own chunk.",
  );
  L.push("");
  L.push(`| page | ${["a", "b", "c", "d", "e"].map((id) => `(${id}) bytes / chunks`).join(" | ")} |`);
  L.push(`| --- |${" ---: |".repeat(5)}`);
  for (const p of pages) {
    L.push(`| ${p.name} | ${["a", "b", "c", "d", "e"].map((id) => `${fmtInt(p.wire[id].bytes)} / ${p.wire[id].chunks || "–"}`).join(" | ")} |`);
  }
  L.push("");
  L.push(
    "`bench/rules.json` has 20 rules with 21 actions: set_html ×3, set_text ×2, set_style, set_attribute ×3, add_class, " +
      "insert_before, insert_after, remove, append, replace_text ×2 (a literal and a regex), inject_head ×2, set_header, " +
      "rewrite_links and append_body, over `*`, `/c/*` and `/` patterns; three rules target an audience (`bot: false`, device) " +
      "and one has a schedule. Several hit every product tile or every link. (e), `bench/workers/native-rewriter.mjs`, makes " +
      "the same edits by hand with `HTMLRewriter`, handler for handler. Veneer reads its rules through a KV binding (served by " +
      "`bench/workers/kv.mjs`) and keeps them compiled for `RULES_CACHE_SECONDS` (default 30 s).",
  );
  L.push("");
  L.push("Checked before measuring (the run stops otherwise):");
  L.push("");
  for (const n of notes) L.push(`- ${n}`);
  if (notes.cacheControl) L.push(`- ${notes.cacheControl}`);
  L.push(
    `- during the load, the mean response size wrk read matched the checked response (wire bytes) in every cell: ` +
      `${results.filter((r) => r.config !== "a").every((r) => r.bytesOk) ? "yes" : "**no**, see the log"}`,
  );
  L.push("");
  L.push("## Every cell");
  L.push("");
  L.push(
    "*in flight ≤* bounds the CPU counted for requests that were still running when wrk stopped, relative to the cell's " +
      "CPU/request (connections / requests). Cores are CPU seconds per wall-clock second.",
  );
  L.push("");
  L.push("| round | page | config | s | requests | req/s | p50 ms | p99 ms | CPU/req ms | in flight ≤ | worker cores | origin cores | machine busy cores | bytes/response |");
  L.push("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of results) {
    L.push(
      `| ${r.round + 1} | ${r.page} | ${r.config} | ${r.seconds} | ${r.requests} | ${fmtRps(r.rps)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ` +
        `${fmt(r.cpuMsPerReq, 3)} | ${r.config === "a" ? "" : pct(r.inflightBound)} | ${fmt(r.workerUtil)} | ${fmt(r.originUtil)} | ` +
        `${fmt(r.machineBusy)} | ${fmtInt(r.bytesPerReq)} |`,
    );
  }
  L.push("");
  return { markdown: L.join("\n"), budgets };
}

// ---------------------------------------------------------------------------------------------
// The element-only workload: 20 element edits on product listings (bench/elements.mjs), Veneer
// beside the native-HTMLRewriter worker and GrowthBook's edge app

/** Veneer's entry module wrapped to count the stream calls crossing the JS/wasm boundary. */
const COUNTING_ENTRY = `import Entry from "./entry.mjs";
export { VeneerPublisher } from "./entry.mjs";
const counts = { requests: 0, reads: 0, readBytes: 0, writes: 0, writeBytes: 0 };
for (const R of [globalThis.ReadableStreamBYOBReader, globalThis.ReadableStreamDefaultReader]) {
  if (!R) continue;
  const read = R.prototype.read;
  R.prototype.read = function (...args) {
    counts.reads++;
    return read.apply(this, args).then((r) => {
      if (r && r.value && r.value.byteLength) counts.readBytes += r.value.byteLength;
      return r;
    });
  };
}
const write = WritableStreamDefaultWriter.prototype.write;
WritableStreamDefaultWriter.prototype.write = function (chunk) {
  counts.writes++;
  counts.writeBytes += (chunk && chunk.byteLength) || 0;
  return write.call(this, chunk);
};
export default class extends Entry {
  async fetch(request) {
    if (new URL(request.url).pathname === "/__bench/counters") return Response.json(counts);
    counts.requests++;
    return super.fetch(request);
  }
}
`;

let htmlParser;
/** A document as a parser sees it (node-html-parser, GrowthBook's own), whitespace collapsed. */
function normalizedDom(html) {
  htmlParser ??= createRequire(join(ROOT, "package.json"))("node-html-parser");
  return htmlParser.parse(html).toString().replace(/\s+/g, " ").trim();
}

/** Checks every element-workload worker on every listing page; the run stops on a mismatch. */
async function verifyElements(workers, origin, listings) {
  const notes = [];
  for (const page of listings) {
    const got = { a: await wireGet(origin.url + page.path) };
    if (!got.a.body.equals(page.body)) throw new Error(`origin serves a different ${page.name} page`);
    for (const c of ELEMENT_CONFIGS) {
      got[c.id] = await wireGet(workers[c.id].url + page.path);
      if (got[c.id].status !== 200) throw new Error(`(${c.id}) answered ${got[c.id].status} for the ${page.name} listing: ${got[c.id].body.toString().slice(0, 300)}\n${workers[c.id].logs.join("\n")}`);
    }
    if (!got.b.body.equals(page.body)) throw new Error(`(b) changed the ${page.name} listing`);
    const o = page.body.toString("utf8");
    for (const c of ELEMENT_CONFIGS.filter((c) => c.rules === "empty")) {
      if (!got[c.id].body.equals(page.body)) throw new Error(`(${c.id}) changed the ${page.name} listing without rules`);
    }
    const veneers = ELEMENT_CONFIGS.filter((c) => c.worker === "veneer" && c.rules === "elements").map((c) => c.id);
    for (const id of veneers) {
      const v = got[id].body.toString("utf8");
      for (const [what, needle, n] of expectedElementEdits()) {
        const c = count(v, needle);
        if (c !== n) throw new Error(`(${id}) ${page.name}: ${what}: expected ${n} × ${JSON.stringify(needle)}, found ${c}`);
      }
      if (id !== "vE" && !got[id].body.equals(got.vE.body)) throw new Error(`(${id}) and (vE) differ on the ${page.name} listing`);
    }
    const byteIdentical = got.vE.body.equals(got.nE.body);
    const peers = GROWTHBOOK ? ["nE", "gE"] : ["nE"];
    const doms = Object.fromEntries(["vE", ...peers].map((id) => [id, normalizedDom(got[id].body.toString("utf8"))]));
    for (const id of peers) {
      if (doms[id] !== doms.vE) throw new Error(`(${id}) and (vE) make different edits on the ${page.name} listing ${firstDifference(doms.vE, doms[id])}`);
    }
    if (doms.vE === normalizedDom(o)) throw new Error(`(vE) did not change the ${page.name} listing`);
    page.wire = Object.fromEntries(Object.entries(got).map(([id, r]) => [id, { bytes: r.bytes, chunks: r.chunks }]));
    page.rewrittenBytes = got.vE.body.length;
    notes.push(
      `${page.name} listing: origin ${fmtInt(page.body.length)} B → Veneer ${fmtInt(got.vE.body.length)} B; all ${expectedElementEdits().length} edit checks pass on Veneer` +
        `${veneers.length > 1 ? " and every build of it (byte-identical)" : ""}; Veneer and the native-HTMLRewriter worker ${byteIdentical ? "byte-identical" : "the same DOM"}; ` +
        (GROWTHBOOK ? "GrowthBook's output (re-serialized by node-html-parser) the same DOM once parsed and whitespace collapsed; " : "") +
        "(b) byte-identical to the origin",
    );
  }
  return notes;
}

/** Reads and writes across the JS/wasm boundary per request, from a counting Veneer process. */
async function elementCounters(origin, listings) {
  const rows = [];
  for (const page of listings) {
    const w = await startWorkerd({ ...byId.vE, id: "vE-count", counting: true }, origin.url);
    await waitListening(w);
    const n = 5;
    for (let i = 0; i < n; i++) await get(w.url + page.path);
    const counts = JSON.parse((await get(w.url + "/__bench/counters")).body.toString());
    await stopChild(w.child);
    rows.push({
      page: page.name,
      bytes: page.body.length,
      reads: counts.reads / n,
      readBytes: counts.readBytes / n,
      writes: counts.writes / n,
      writeBytes: counts.writeBytes / n,
    });
  }
  return rows;
}

/**
 * The native floor on the same pages, in this run: a hand-written lol_html program making the 20
 * edits, and Veneer's own path compiled natively (benches/veneer.rs `--floor`); [] without cargo.
 */
function nativeFloor(listings) {
  if (!FLOOR) return [];
  const dir = join(TMP, "floor");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "edits.json"), JSON.stringify(EDITS));
  writeFileSync(join(dir, "rules-elements.json"), JSON.stringify(elementsRules()));
  writeFileSync(join(dir, "pages.json"), JSON.stringify(listings.map((p) => [p.name, `${p.name}.html`, p.path])));
  for (const p of listings) writeFileSync(join(dir, `${p.name}.html`), p.body);
  log("element-only workload: the native floor (cargo bench --bench veneer -- --floor)");
  try {
    const out = execFileSync("cargo", ["bench", "--quiet", "--bench", "veneer", "--", "--floor", dir], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 1 << 24,
    }).toString();
    return out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  } catch (e) {
    log(`no native floor: ${String(e.stderr ?? e.message).slice(0, 500)}`);
    return [];
  }
}

/** Starts, checks, warms and measures the element-only workload; interleaved rounds. */
async function elementsWorkload(origin, listings, sharedWorkers = {}) {
  const floor = nativeFloor(listings);
  for (const f of floor) log(`  native floor ${f.page}: hand-written lol_html ${fmt(f.handMs, 3)} ms, Veneer natively ${fmt(f.veneerMs, 3)} ms`);
  const workers = {};
  for (const c of ELEMENT_CONFIGS) {
    if (sharedWorkers[c.id]) {
      workers[c.id] = sharedWorkers[c.id];
      continue;
    }
    const w = await startWorkerd(c, origin.url);
    await waitListening(w);
    workers[c.id] = { ...w, id: c.id };
    log(`${c.id}: ${c.label}: workerd pid ${w.pid} on ${w.url}`);
  }
  const notes = await verifyElements(workers, origin, listings);
  for (const n of notes) log(n);
  log("element-only workload: warm-up");
  for (const c of ELEMENT_CONFIGS) {
    for (const page of listings) {
      const w = workers[c.id];
      await waitIdle(w.pid);
      const cpu0 = cpuSeconds(w.pid);
      const r = parseWrk(await wrk(w.url + page.path, FIRST_WARMUP, ELEMENT_CONNECTIONS[page.name]));
      await waitIdle(w.pid);
      estimates.set(`${c.id} ${page.name}`, (cpuSeconds(w.pid) - cpu0) / Math.max(1, r.requests));
    }
  }
  const results = [];
  const order = ELEMENT_CONFIGS.map((c) => c.id);
  for (let round = 0; round < ROUNDS; round++) {
    log(`element-only workload: round ${round + 1}/${ROUNDS}`);
    const rotated = [...order.slice(round % order.length), ...order.slice(0, round % order.length)];
    for (const page of round % 2 ? [...listings].reverse() : listings) {
      for (const id of rotated) {
        const r = await measure(workers[id], origin, page, ELEMENT_CONNECTIONS);
        results.push({ round, page: page.name, config: id, ...r });
        if (Number.isFinite(r.cpuMsPerReq)) estimates.set(`${id} ${page.name}`, Math.max(r.cpuMsPerReq / 1000, estimates.get(`${id} ${page.name}`) ?? 0));
        log(
          `  ${page.name.padEnd(5)} ${id.padEnd(8)} ${String(r.seconds).padStart(2)} s ${fmtInt(r.rps).padStart(6)} req/s  ` +
            `cpu/req ${fmt(r.cpuMsPerReq, 3)} ms (${r.requests} req)` + (r.errors ? `  ERRORS ${r.errors} (${r.errorDetail})` : ""),
        );
      }
    }
  }
  const counters = COUNTERS ? await elementCounters(origin, listings) : [];
  log("element-only workload: cold starts");
  const cold = [];
  for (let i = 0; i < COLD_REPEATS * ROUNDS; i++) {
    for (const c of [byId.b, ...ELEMENT_CONFIGS.filter((c) => c.worker === "veneer")]) {
      cold.push({ config: c.id, ...(await coldStart(c, origin.url, listings[0].path)) });
    }
  }
  const profiles = [];
  if (PROFILE) {
    for (const id of ELEMENT_CONFIGS.filter((c) => c.worker === "veneer").map((c) => c.id)) {
      for (const page of listings.slice(0, 2)) {
        const p = await profileWorker(byId[id], origin, page, QUICK ? 3 : 4, ELEMENT_CONNECTIONS);
        if (p) profiles.push(p);
      }
    }
  }
  for (const [id, w] of Object.entries(workers)) {
    if (!sharedWorkers[id]) await stopChild(w.child);
  }
  return { results, notes, counters, profiles, floor, cold };
}

/** The element-only workload's section of the report; returns its budgets too. */
function elementsReport({ results, notes, counters, profiles, floor, cold }, listings) {
  const L = [];
  const budgets = [];
  const agg = (id, page) => median(results.filter((r) => r.config === id && r.page === page.name).map((r) => r.cpuMsPerReq));
  const paired = (num, den, page) => {
    const ratios = [];
    for (let round = 0; round < ROUNDS; round++) {
      const n = results.find((r) => r.config === num && r.page === page.name && r.round === round);
      const d = results.find((r) => r.config === den && r.page === page.name && r.round === round);
      if (n && d) ratios.push(n.cpuMsPerReq / d.cpuMsPerReq);
    }
    return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), n: ratios.length };
  };
  const rt = (r) => (r.n > 1 ? `${fmt(r.median)}× (${fmt(r.min)}–${fmt(r.max)})` : `${fmt(r.median)}×`);
  const veneers = ELEMENT_CONFIGS.filter((c) => c.worker === "veneer");
  for (const page of listings) {
    for (const v of veneers.filter((c) => c.rules === "elements")) {
      const r = paired(v.id, "nE", page);
      budgets.push({
        name: `element-only CPU/request ${v.label} ≤ 1.5 × native HTMLRewriter worker, ${page.name} listing`,
        pass: r.median <= 1.5,
        detail: `${fmt(agg(v.id, page), 3)} ms vs ${fmt(agg("nE", page), 3)} ms: ${rt(r)}`,
      });
    }
  }
  const mid = listings.find((p) => p.name === "170KB");
  if (mid && GROWTHBOOK) {
    for (const v of veneers.filter((c) => c.rules === "elements")) {
      const r = paired("gE", v.id, mid);
      budgets.push({
        name: `element-only CPU/request GrowthBook edge app ≥ 5 × ${v.label}, 170KB listing`,
        pass: r.median >= 5,
        detail: `${fmt(agg("gE", mid), 3)} ms vs ${fmt(agg(v.id, mid), 3)} ms: ${rt(r)}`,
      });
    }
  }
  L.push("## Element-only edits on product listings");
  L.push("");
  L.push(
    "The most common campaign: 20 element edits (`bench/elements.mjs`: set the HTML of the heading and the promo bar, add a " +
      "class to 10 product tiles picked by `[data-sku=…]`, set the price text of 5 tiles, set the footer, change one link's " +
      "`href`, add a class to the listing) on product listing pages (`bench/pages.mjs`, `buildListing`). The same edits as " +
      "Veneer rules, as a JavaScript worker using the runtime's native `HTMLRewriter` (`bench/workers/native-elements.mjs`, " +
      "one handler per edit) and as GrowthBook's edge app (`@growthbook/edge-cloudflare`, `bench/workers/growthbook.mjs`, " +
      "a visual-editor experiment's DOM mutations in its payload; injections off). Checked every run before timing (below). " +
      `CPU time of the workerd process per request, medians of ${ROUNDS} interleaved round(s); ratios are to the native-HTMLRewriter ` +
      `worker, taken per round then the median (min–max). Connections: ${Object.entries(ELEMENT_CONNECTIONS).map(([p, c]) => `${c} (${p})`).join(", ")}.`,
  );
  L.push("");
  L.push(`| page | bytes | JS pass-through | JS + native HTMLRewriter | GrowthBook edge app | ${veneers.map((v) => v.label).join(" | ")} |`);
  L.push(`| --- | ---: |${" ---: |".repeat(3 + veneers.length)}`);
  for (const page of listings) {
    L.push(
      `| ${page.name} | ${fmtInt(page.body.length)} | ${fmt(agg("b", page), 3)} ms | ${fmt(agg("nE", page), 3)} ms | ` +
        `${fmt(agg("gE", page), 3)} ms (${rt(paired("gE", "nE", page))}) | ` +
        veneers.map((v) => `${fmt(agg(v.id, page), 3)} ms (${rt(paired(v.id, "nE", page))})`).join(" | ") + " |",
    );
  }
  L.push("");
  L.push("GrowthBook's edge app against Veneer, CPU per request (paired per round): " +
    listings.map((p) => `${p.name} ${rt(paired("gE", "vE", p))}`).join(", ") + ".");
  L.push("");
  if (floor.length) {
    L.push(
      "The floor, measured in this run on the same pages (`cargo bench --bench veneer -- --floor`, native code of this " +
        "build's release profile, whole page in memory, 64 KiB chunks, no runtime around it): a hand-written lol_html program " +
        "making the 20 edits, and Veneer's own path (decide + StreamRewriter) compiled natively. *Rewriting in workerd* is " +
        "the worker's CPU per request minus the pass-through worker's (the fetch and streaming every worker pays).",
    );
    L.push("");
    L.push(`| page | native lol_html, hand-written, ms | Veneer natively, ms | rewriting in workerd: native HTMLRewriter, ms | ${veneers.map((v) => `rewriting in workerd: ${v.label}, ms`).join(" | ")} | ${veneers.map((v) => `${v.label} (wasm) / Veneer natively`).join(" | ")} |`);
    L.push(`| --- |${" ---: |".repeat(4 + 2 * veneers.length - 1)}`);
    for (const page of listings) {
      const f = floor.find((x) => x.page === page.name);
      if (!f) continue;
      const b = agg("b", page);
      L.push(
        `| ${page.name} | ${fmt(f.handMs, 3)} | ${fmt(f.veneerMs, 3)} | ${fmt(agg("nE", page) - b, 3)} | ` +
          veneers.map((v) => fmt(agg(v.id, page) - b, 3)).join(" | ") + " | " +
          veneers.map((v) => `${fmt((agg(v.id, page) - b) / f.veneerMs)}×`).join(" | ") + " |",
      );
    }
    L.push("");
  }
  L.push("Checked before timing (the run stops otherwise):");
  L.push("");
  for (const n of notes) L.push(`- ${n}`);
  L.push("");
  if (counters.length) {
    L.push("Crossings of the JS/wasm boundary per request (a counting wrapper around Veneer's entry module, 5 requests per page): " +
      "stream reads Veneer's glue makes of the origin's body and writes it makes to the response.");
    L.push("");
    L.push("| page | bytes | reads | bytes/read | writes | bytes/write |");
    L.push("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (const c of counters) {
      L.push(`| ${c.page} | ${fmtInt(c.bytes)} | ${fmt(c.reads, 1)} | ${fmtInt(c.readBytes / c.reads)} | ${fmt(c.writes, 1)} | ${fmtInt(c.writeBytes / c.writes)} |`);
    }
    L.push("");
  }
  if (profiles.length) {
    L.push("V8 CPU profiles of Veneer on the element-only workload (as in *Where the CPU goes*): share of busy samples.");
    L.push("");
    const cats = [...new Set(profiles.flatMap((p) => p.categories.map(([c]) => c)))];
    L.push(`| | ${profiles.map((p) => `(${p.config}) ${p.page}`).join(" | ")} |`);
    L.push(`| --- |${profiles.map(() => " ---: |").join("")}`);
    for (const c of cats) L.push(`| ${c} | ${profiles.map((p) => pct((p.categories.find(([k]) => k === c) ?? [0, 0])[1])).join(" | ")} |`);
    L.push(`| samples | ${profiles.map((p) => p.samples).join(" | ")} |`);
    L.push(`| CPU/request while profiled, ms | ${profiles.map((p) => fmt(p.cpuMsPerReq, 3)).join(" | ")} |`);
    L.push("");
    for (const p of profiles) {
      L.push(`Top functions by self time, (${p.config}) on the ${p.page} listing:`);
      L.push("");
      L.push("| self | function |");
      L.push("| ---: | --- |");
      for (const [f, sh] of p.functions) L.push(`| ${pct(sh)} | \`${f.length > 110 ? f.slice(0, 107) + "…" : f}\` |`);
      L.push("");
    }
  }
  L.push(
    "Cold start to the first complete response (17KB listing; a fresh workerd process each time, as in *Cold start*), " +
      "and the size of each build:",
  );
  L.push("");
  L.push("| configuration | cold start ms (median) | min | max | × (b) | wasm raw | wasm gzip -9 | wasm gzip -9 without the name section |");
  L.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  const coldOf = (id) => cold.filter((x) => x.config === id).map((x) => x.firstResponseMs);
  for (const c of [byId.b, ...veneers]) {
    const xs = coldOf(c.id);
    const sz = c.worker === "veneer" ? sizes(c.build ? `veneer-${c.build}` : "veneer") : null;
    L.push(
      `| ${c.label} | ${fmt(median(xs), 0)} | ${fmt(Math.min(...xs), 0)} | ${fmt(Math.max(...xs), 0)} | ${c.id === "b" ? "" : fmt(median(xs) / median(coldOf("b")))} | ` +
        `${sz ? fmtInt(sz.wasmRaw) + " B" : ""} | ${sz ? fmtInt(sz.wasmGz) + " B" : ""} | ${sz ? fmtInt(sz.wasmGzNoNames) + " B" : ""} |`,
    );
  }
  L.push("");
  L.push("Every element-only cell:");
  L.push("");
  L.push("| round | page | config | s | requests | req/s | CPU/req ms | errors |");
  L.push("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |");
  for (const r of results) L.push(`| ${r.round + 1} | ${r.page} | ${r.config} | ${r.seconds} | ${r.requests} | ${fmtRps(r.rps)} | ${fmt(r.cpuMsPerReq, 3)} | ${r.errors} |`);
  L.push("");
  return { markdown: L.join("\n"), budgets };
}

// ---------------------------------------------------------------------------------------------
// The commerce workload: the 200-tile category page (bench/commerce.mjs), Veneer with pin + badge +
// hide rules against Veneer with the listing defined and no rule, and the pass-through worker

/** Checks each commerce worker's output once; the run stops on a mismatch. */
async function verifyCommerce(workers, origin, page) {
  const got = { a: await wireGet(origin.url + page.path) };
  if (!got.a.body.equals(page.body)) throw new Error(`origin serves a different ${page.name} page`);
  for (const c of COMMERCE_CONFIGS) {
    got[c.id] = await wireGet(workers[c.id].url + page.path);
    if (got[c.id].status !== 200) throw new Error(`(${c.id}) answered ${got[c.id].status}: ${got[c.id].body.toString().slice(0, 300)}\n${workers[c.id].logs.join("\n")}`);
  }
  if (!got.b.body.equals(page.body)) throw new Error("(b) changed the commerce page");
  if (!got.vC0.body.equals(page.body)) throw new Error("(vC0) changed the commerce page without rules");
  const tiles = count(page.body.toString("utf8"), 'class="product-tile"');
  const one = page.body.toString("utf8").replace("<h1>Shoes</h1>", "<h1>Trail shoes</h1>");
  if (got.vC1.body.toString("utf8") !== one) throw new Error("(vC1) did not just set the heading's text");
  const problems = commerceProblems(got.vC.body.toString("utf8"), tiles);
  if (problems) throw new Error(`(vC) did not merchandise the page: ${problems}\n${workers.vC.logs.join("\n")}`);
  return [
    `${page.name} page: origin ${fmtInt(page.body.length)} B, ${tiles} tiles → (vC) ${fmtInt(got.vC.body.length)} B, ${tiles - 3} tiles: ` +
      "SKU-150, SKU-99, SKU-7 open the grid in that order, SKU-10/11/12 gone, every other tile once, the Sale badge in the slot of " +
      "SKU-3, SKU-150 and SKU-42; (vC1) the origin's page with the heading's text set; (vC0) and (b) byte-identical to the origin",
  ];
}

/** Starts, checks, warms and measures the commerce workload; interleaved rounds. */
async function commerceWorkload(origin, page) {
  const workers = {};
  for (const c of COMMERCE_CONFIGS) {
    const w = await startWorkerd(c, origin.url);
    await waitListening(w);
    workers[c.id] = { ...w, id: c.id };
    log(`${c.id}: ${c.label}: workerd pid ${w.pid} on ${w.url}`);
  }
  const notes = await verifyCommerce(workers, origin, page);
  for (const n of notes) log(n);
  log("commerce workload: warm-up");
  for (const c of COMMERCE_CONFIGS) {
    const w = workers[c.id];
    await waitIdle(w.pid);
    const cpu0 = cpuSeconds(w.pid);
    const r = parseWrk(await wrk(w.url + page.path, FIRST_WARMUP, COMMERCE_CONNECTIONS[page.name]));
    await waitIdle(w.pid);
    estimates.set(`${c.id} ${page.name}`, (cpuSeconds(w.pid) - cpu0) / Math.max(1, r.requests));
  }
  const results = [];
  const order = COMMERCE_CONFIGS.map((c) => c.id);
  for (let round = 0; round < ROUNDS; round++) {
    log(`commerce workload: round ${round + 1}/${ROUNDS}`);
    const rotated = [...order.slice(round % order.length), ...order.slice(0, round % order.length)];
    for (const id of rotated) {
      const r = await measure(workers[id], origin, page, COMMERCE_CONNECTIONS);
      results.push({ round, page: page.name, config: id, ...r });
      log(
        `  ${id.padEnd(4)} ${String(r.seconds).padStart(2)} s ${fmtInt(r.rps).padStart(6)} req/s  cpu/req ${fmt(r.cpuMsPerReq, 3)} ms (${r.requests} req)  ` +
          `machine ${fmt(r.machineBusy)} cores` + (r.errors ? `  ERRORS ${r.errors} (${r.errorDetail})` : ""),
      );
    }
  }
  for (const [id, w] of Object.entries(workers)) {
    const events = w.logs.filter((l) => l.includes('"veneer"'));
    if (events.length) log(`WARNING (${id}) logged Veneer events during the run:\n${events.join("\n")}`);
    await stopChild(w.child);
  }
  return { results, notes };
}

/** The commerce workload's report. */
function commerceReport({ results, notes }, page) {
  const agg = (id) => median(results.filter((r) => r.config === id).map((r) => r.cpuMsPerReq));
  const paired = (num, den) => {
    const ratios = [];
    for (let round = 0; round < ROUNDS; round++) {
      const n = results.find((r) => r.config === num && r.round === round);
      const d = results.find((r) => r.config === den && r.round === round);
      if (n && d) ratios.push(n.cpuMsPerReq / d.cpuMsPerReq);
    }
    return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), n: ratios.length };
  };
  const rt = (r) => (r.n > 1 ? `${fmt(r.median)}× (${fmt(r.min)}–${fmt(r.max)})` : `${fmt(r.median)}×`);
  const b = agg("b");
  const L = [];
  L.push("## Commerce: a category page of 200 tiles with pin + badge + hide");
  L.push("");
  L.push(
    "The page and rules of the native benchmark's commerce figure (benches/veneer.rs, `commerce`, printed by `cargo bench --bench veneer`): " +
      "a category page of 200 product tiles (`bench/pages.mjs`, `buildCategoryPage`, byte for byte the native one), the site's " +
      "listing defined in `settings.listings` (container `ul.product-grid`, tile `.product-tile`, key `data-sku`), and " +
      "(`bench/commerce.mjs`) a pin of 3 SKUs, a Sale badge on 3 and a hide of 3, against the same settings with `\"rules\": []`, " +
      "with one plain rule (a `set_text` on the heading: the cost of any rewriting) and the JS pass-through worker. " +
      "The pin holds the listing container and reorders it; the badge and the hide stream.",
  );
  L.push("");
  L.push(`| configuration | CPU/request, ms | × JS pass-through | × Veneer without rules | over JS pass-through, ms |`);
  L.push("| --- | ---: | ---: | ---: | ---: |");
  for (const c of COMMERCE_CONFIGS) {
    L.push(
      `| (${c.id}) ${c.label} | ${fmt(agg(c.id), 3)} | ${c.id === "b" ? "" : rt(paired(c.id, "b"))} | ${c.id.startsWith("vC") && c.id !== "vC0" ? rt(paired(c.id, "vC0")) : ""} | ` +
        `${c.id === "b" ? "" : fmt(agg(c.id) - b, 3)} |`,
    );
  }
  L.push("");
  L.push(`Pin + badge + hide against one plain rule, CPU per request (paired per round): ${rt(paired("vC", "vC1"))}.`);
  L.push("");
  L.push(
    `CPU time of the workerd process per request, medians of ${ROUNDS} interleaved round(s) (the order rotates each round); ` +
      `ratios taken per round, then the median (min–max). ${COMMERCE_CONNECTIONS[page.name]} connections; page ${fmtInt(page.body.length)} B.`,
  );
  L.push("");
  L.push("Checked before timing (the run stops otherwise):");
  L.push("");
  for (const n of notes) L.push(`- ${n}`);
  L.push("");
  L.push("| round | config | s | requests | req/s | CPU/req ms | machine busy, cores | errors |");
  L.push("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of results) L.push(`| ${r.round + 1} | ${r.config} | ${r.seconds} | ${r.requests} | ${fmtRps(r.rps)} | ${fmt(r.cpuMsPerReq, 3)} | ${fmt(r.machineBusy)} | ${r.errors} |`);
  L.push("");
  return L.join("\n");
}

/** `--commerce`: the commerce workload alone; prints its section (`--out FILE` writes it too). */
async function commerceOnly(origin, page, started) {
  const data = await commerceWorkload(origin, page);
  await stopChild(origin.child);
  const L = [`# Commerce workload, \`node bench/edge.mjs ${argv.join(" ")}\``, "", `${started.toISOString().slice(0, 16)} UTC, git ${machineInfo().git}`, ""];
  L.push(commerceReport(data, page).replace(/^## /, "### "));
  const md = L.join("\n");
  console.log(md);
  const out = option("--out", "-");
  if (out !== "-") writeFileSync(resolve(ROOT, out), md);
  if (!KEEP) rmSync(TMP, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const started = new Date();
  for (const f of ["build/index.js", "build/index_bg.wasm", "edge/entry.mjs", "edge/origin.mjs", "edge/console/index.js", "edge/console/index_bg.wasm"]) {
    if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run \`make wasm\` first`);
  }
  try {
    execFileSync("wrk", ["--version"], { stdio: "ignore" });
  } catch (e) {
    if (e.code === "ENOENT" && !COLD_ONLY) throw new Error("wrk is missing: apt-get install -y wrk");
  }
  await setup();
  log(`temp dir ${TMP}; workerd ${WORKERD}`);

  const pages = buildPages();
  const origin = await startOrigin();
  for (const p of pages) {
    if (origin.sizes[p.path] !== p.body.length) throw new Error("the origin and the driver built different pages");
  }
  log(`origin ${origin.url} (pid ${origin.pid}): ${pages.map((p) => `${p.name} = ${p.body.length} B`).join(", ")}`);
  const listings = buildListings();
  for (const p of listings) {
    if (origin.sizes[p.path] !== p.body.length) throw new Error("the origin and the driver built different listing pages");
  }
  if (ELEMENTS_ONLY) return elementsOnly(origin, listings, started);
  if (COLD_ONLY) return coldOnly(origin, pages, started);
  if (COMMERCE_ONLY) {
    const page = buildCommerce();
    if (origin.sizes[page.path] !== page.body.length) throw new Error("the origin and the driver built different commerce pages");
    return commerceOnly(origin, page, started);
  }

  for (const c of DIAGNOSTICS) c.diagnostic = true;
  const workers = {};
  for (const c of [...CONFIGS, ...DIAGNOSTICS].filter((c) => c.worker)) {
    const w = await startWorkerd(c, origin.url);
    await waitListening(w);
    workers[c.id] = { ...w, id: c.id };
    log(`${c.id}: ${c.label}: workerd pid ${w.pid} on ${w.url}`);
  }
  const notes = await verify(workers, origin, pages);
  for (const n of notes) log(n);

  // Warm every worker on every page once (JIT, wasm tier-up, rules cache); estimate CPU/request.
  log("warm-up");
  for (const [id, w] of Object.entries(workers)) {
    for (const page of pages) {
      if (byId[id].diagnostic && page.name !== DIAGNOSTIC_PAGE) continue;
      await waitIdle(w.pid);
      const cpu0 = cpuSeconds(w.pid);
      const r = parseWrk(await wrk(w.url + page.path, FIRST_WARMUP, CONNECTIONS[page.name]));
      await waitIdle(w.pid);
      estimates.set(`${id} ${page.name}`, (cpuSeconds(w.pid) - cpu0) / Math.max(1, r.requests));
    }
  }

  const targets = { a: { id: "a", url: origin.url, pid: null }, ...workers };
  const results = [];
  const cold = [];
  const rss = [];
  const scaling = [];
  const order = CONFIGS.map((c) => c.id);
  for (let round = 0; round < ROUNDS; round++) {
    log(`round ${round + 1}/${ROUNDS}: cold starts`);
    for (let i = 0; i < COLD_REPEATS; i++) {
      for (const id of ["c", "b", "d"]) cold.push({ config: id, round, ...(await coldStart(byId[id], origin.url, pages[0].path)) });
    }
    const rotated = [...order.slice(round % order.length), ...order.slice(0, round % order.length)];
    for (const page of round % 2 ? [...pages].reverse() : pages) {
      const ids = [...rotated];
      if (round === 0 && page.name === DIAGNOSTIC_PAGE) ids.splice(3, 0, ...DIAGNOSTICS.map((c) => c.id));
      for (const id of ids) {
        const r = await measure(targets[id], origin, page);
        const expected = page.wire[id].bytes;
        // wrk's byte count includes partly read responses, and has 3 significant digits.
        r.bytesOk = Math.abs(r.bytesPerReq - expected) <= 0.01 * expected + 100 + (r.connections * expected) / r.requests;
        results.push({ round, page: page.name, config: id, ...r });
        if (Number.isFinite(r.cpuMsPerReq)) estimates.set(`${id} ${page.name}`, Math.max(r.cpuMsPerReq / 1000, estimates.get(`${id} ${page.name}`) ?? 0));
        log(
          `  ${page.name.padEnd(5)} ${id.padEnd(3)} ${String(r.seconds).padStart(2)} s ${fmtInt(r.rps).padStart(6)} req/s  ` +
            `p50 ${fmt(r.p50)} ms  p99 ${fmt(r.p99)} ms  cpu/req ${fmt(r.cpuMsPerReq, 3)} ms (${r.requests} req)  ` +
            `origin ${fmt(r.originMsPerReq, 3)} ms  machine ${fmt(r.machineBusy)} cores` +
            (r.errors ? `  ERRORS ${r.errors} (${r.errorDetail})` : "") +
            (r.bytesOk ? "" : `  UNEXPECTED SIZE ${fmtInt(r.bytesPerReq)} B/response (expected ${expected})`),
        );
      }
    }
    log(`round ${round + 1}/${ROUNDS}: memory against page size`);
    for (const id of ["c", "d"]) {
      for (const page of [pages[0], pages[2], MEMORY_PAGE]) {
        const w = await startWorkerd(byId[id], origin.url);
        await waitListening(w);
        const before = memoryKb(w.pid);
        const r = await get(w.url + page.path);
        const after = memoryKb(w.pid);
        await stopChild(w.child);
        scaling.push({ config: id, page: page.name, round, beforeKb: before.hwm, hwmKb: after.hwm, bytes: r.body.length });
        log(`  (${id}) ${page.name}: VmHWM ${mb(before.hwm)} MB before → ${mb(after.hwm)} MB after one request of ${r.body.length} B`);
      }
    }
    log(`round ${round + 1}/${ROUNDS}: peak RSS`);
    for (const [id, conns] of RSS_RUNS) {
      for (const page of [pages[0], pages[2]]) {
        const w = await startWorkerd(byId[id], origin.url);
        await waitListening(w);
        await get(w.url + page.path);
        const ready = memoryKb(w.pid);
        await wrk(w.url + page.path, RSS_SECONDS, conns);
        const after = memoryKb(w.pid);
        await stopChild(w.child);
        rss.push({ config: id, conns, page: page.name, round, readyHwmKb: ready.hwm, hwmKb: after.hwm, rssKb: after.rss });
        log(`  (${id}) ${page.name} -c${conns}: VmHWM ${mb(ready.hwm)} MB after 1 request → ${mb(after.hwm)} MB after the load`);
      }
    }
  }
  log("element-only workload");
  const elements = await elementsWorkload(origin, listings, { b: workers.b });
  log("commerce workload");
  const commercePage = buildCommerce();
  const commerce = await commerceWorkload(origin, commercePage);
  for (const [id, w] of Object.entries(workers)) {
    const events = w.logs.filter((l) => l.includes('"veneer"'));
    if (events.length) log(`WARNING (${id}) logged Veneer events during the run:\n${events.join("\n")}`);
  }
  for (const w of Object.values(workers)) await stopChild(w.child);

  const profiles = [];
  if (PROFILE) {
    log("CPU profiles");
    for (const [id, page] of [["d", pages[0]], ["d", pages[1]], ["d", pages[2]], ["c", pages[0]]]) {
      const p = await profileWorker(byId[id], origin, page, QUICK ? 3 : 4);
      if (p) profiles.push(p);
    }
  }

  const info = machineInfo();
  const size = { ...sizes(), console: sizes("veneer", "edge/console") };
  await stopChild(origin.child);
  const { markdown, budgets } = report({ results, pages, cold, rss, scaling, profiles, info, size, notes, started, finished: new Date(), elements: elementsReport(elements, listings), commerce: commerceReport(commerce, commercePage) });
  console.log(markdown);
  if (OUT !== "-") {
    writeFileSync(resolve(ROOT, OUT), markdown);
    log(`wrote ${OUT}`);
  }
  log("budgets: " + budgets.map((b) => `${b.pass ? "PASS" : "MISS"} ${b.name}`).join("; "));
  if (!KEEP) rmSync(TMP, { recursive: true, force: true });
}

/**
 * `--cold`: cold starts of the shop's path alone (the 20 KB page), each Veneer configuration with
 * the console's module in the worker (as wrangler uploads it) and without it, interleaved (the
 * order reversed every other round), beside (b) and the --variant builds.
 */
async function coldOnly(origin, pages, started) {
  const page = pages[0];
  const runs = [];
  for (let round = 0; round < ROUNDS; round++) {
    log(`cold starts, round ${round + 1}/${ROUNDS}`);
    const order = round % 2 ? [...COLD_CONFIGS].reverse() : COLD_CONFIGS;
    for (let i = 0; i < COLD_REPEATS; i++) {
      for (const c of order) runs.push({ config: c.id, round, ...(await coldStart(c, origin.url, page.path)) });
    }
  }
  await stopChild(origin.child);
  const ms = (id) => runs.filter((r) => r.config === id).map((r) => r.firstResponseMs);
  const base = median(ms("b"));
  const shop = sizes();
  const consoleSize = sizes("veneer", "edge/console");
  const L = [`# Cold starts, \`node bench/edge.mjs ${argv.join(" ")}\``, "", `${started.toISOString().slice(0, 16)} UTC, git ${machineInfo().git}`, ""];
  L.push(
    `From spawning a fresh workerd process (its config already written) to the complete first response for the ${page.name} page ` +
      `(${fmtInt(page.body.length)} B), polling the port every millisecond; ${ROUNDS} round(s) of ${COLD_REPEATS} per configuration, ` +
      "interleaved. \"Console module in the worker\" lists edge/console/index.js and its wasm among the worker's modules, as " +
      "wrangler uploads them; without it, they are not in the worker at all.",
  );
  L.push("");
  L.push("| configuration | first response, ms (median) | min | max | × (b) | runs | wasm modules in the worker, gzip -9 |");
  L.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const c of COLD_CONFIGS) {
    const xs = ms(c.id);
    const sz = c.worker !== "veneer" ? "" : c.build ? fmtInt(sizes(`veneer-${c.build}`).wasmGz) + " B" :
      c.noConsole ? `${fmtInt(shop.wasmGz)} B` : `${fmtInt(shop.wasmGz)} + ${fmtInt(consoleSize.wasmGz)} B`;
    L.push(`| ${c.label} | ${fmt(median(xs), 0)} | ${fmt(Math.min(...xs), 0)} | ${fmt(Math.max(...xs), 0)} | ${c.id === "b" ? "" : fmt(median(xs) / base)} | ${xs.length} | ${sz} |`);
  }
  L.push("");
  L.push("Every run, in order (ms):");
  L.push("");
  for (const c of COLD_CONFIGS) L.push(`- ${c.id}: ${ms(c.id).map((x) => fmt(x, 0)).join(", ")}`);
  const md = L.join("\n");
  console.log(md);
  const out = option("--out", "-");
  if (out !== "-") writeFileSync(resolve(ROOT, out), md);
  if (!KEEP) rmSync(TMP, { recursive: true, force: true });
}

/** `--elements`: the element-only workload alone, with cold starts and sizes of every Veneer build. */
async function elementsOnly(origin, listings, started) {
  const elements = await elementsWorkload(origin, listings);
  await stopChild(origin.child);
  const { markdown, budgets } = elementsReport(elements, listings);
  const L = [`# Element-only workload, \`node bench/edge.mjs ${argv.join(" ")}\``, "", `${started.toISOString().slice(0, 16)} UTC, git ${machineInfo().git}`, ""];
  L.push("| budget | result | numbers (medians) |", "| --- | --- | --- |");
  for (const b of budgets) L.push(`| ${b.name} | **${b.pass ? "PASS" : "MISS"}** | ${b.detail} |`);
  L.push("", markdown);
  const md = L.join("\n");
  console.log(md);
  const out = option("--out", "-");
  if (out !== "-") writeFileSync(resolve(ROOT, out), md);
  log("budgets: " + budgets.map((b) => `${b.pass ? "PASS" : "MISS"} ${b.name}`).join("; "));
  if (!KEEP) rmSync(TMP, { recursive: true, force: true });
}

/** The workerd binary and the snapshot; also for probes that import this module. */
export async function setup() {
  const workerdModule = await import("workerd");
  WORKERD = workerdModule.default?.default ?? workerdModule.default;
  snapshot();
  return { TMP, WORKERD, CONFIGS, DIAGNOSTICS, byId, startOrigin, startWorkerd, waitListening, waitIdle, stopChild, get, cpuSeconds, memoryKb, wrk, parseWrk, profileWorker, capnp };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(e.stack ?? e);
    cleanup();
    if (TMP && !KEEP) rmSync(TMP, { recursive: true, force: true });
    process.exit(1);
  });
}
