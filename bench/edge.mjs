#!/usr/bin/env node
// Veneer's edge benchmark. One command, not part of `make test`:
//
//   node bench/edge.mjs            # full run (~9 minutes): 3 interleaved rounds, 8 s per cell
//   node bench/edge.mjs --quick    # short run (~1.5 minutes): 1 round, 3 s per cell
//
// Options: --rounds N, --duration S (seconds per measured cell), --connections N (wrk -c),
// --out FILE (default docs/benchmarks.md; "-" writes nothing), --keep (keep the temp dir).
//
// On one workerd binary (npm's, the one Miniflare runs), against one local origin (bench/origin.mjs,
// pages of ~20 KB, ~200 KB and ~2 MB from bench/pages.mjs), it measures, interleaved and repeated:
//   (a) the origin alone
//   (b) a pass-through JavaScript worker               bench/workers/passthrough.mjs
//   (c) Veneer with an empty rules document            build/ + edge/entry.mjs, {"rules": []}
//   (d) Veneer with 20 rules                           bench/rules.json
//   (e) the same edits with the native HTMLRewriter    bench/workers/native-rewriter.mjs
// Each worker runs in its own workerd process (started directly from a generated capnp config,
// with a small KV stand-in service holding the rules), so CPU time is read from /proc/<pid>/stat
// of exactly that process. Load comes from wrk, a separate process. Results go to the console and
// to docs/benchmarks.md (regenerated on every full run).
import { spawn, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { buildPages, ROOT, CORPUS_DIR } from "./pages.mjs";

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
const DURATION = Number(option("--duration", QUICK ? 3 : 8));
const WARMUP = 1; // seconds of load before each measured cell (not counted)
const FIRST_WARMUP = QUICK ? 2 : 3; // seconds per worker and page before the first round
const CONNECTIONS = Number(option("--connections", 8));
const RSS_SECONDS = QUICK ? 2 : 4;
const COLD_REPEATS = QUICK ? 2 : 3; // cold starts per configuration and round
const OUT = option("--out", "docs/benchmarks.md");
const KEEP = flag("--keep");
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
  { id: "e", label: "(e) JS + native HTMLRewriter, same edits", worker: "native-rewriter" },
];
const byId = Object.fromEntries(CONFIGS.map((c) => [c.id, c]));

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
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // fields 14 and 15 of stat(5)
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
  for (const dir of ["veneer/edge", "veneer/build", "workers"]) mkdirSync(join(TMP, dir), { recursive: true });
  copyFileSync(join(ROOT, "edge/entry.mjs"), join(TMP, "veneer/edge/entry.mjs"));
  copyFileSync(join(ROOT, "build/index.js"), join(TMP, "veneer/build/index.js"));
  copyFileSync(join(ROOT, "build/index_bg.wasm"), join(TMP, "veneer/build/index_bg.wasm"));
  for (const w of ["passthrough", "native-rewriter", "kv"]) {
    copyFileSync(join(ROOT, `bench/workers/${w}.mjs`), join(TMP, `workers/${w}.mjs`));
  }
  writeFileSync(join(TMP, "rules-empty.json"), '{"rules": []}');
  copyFileSync(join(ROOT, "bench/rules.json"), join(TMP, "rules-bench.json"));
}

function capnp(config, port, originUrl) {
  const origin = `(name = "ORIGIN", text = "${originUrl}")`;
  let main;
  let extra = "";
  if (config.worker === "veneer") {
    main = `(
      modules = [
        (name = "edge/entry.mjs", esModule = embed "veneer/edge/entry.mjs"),
        (name = "build/index.js", esModule = embed "veneer/build/index.js"),
        (name = "build/index_bg.wasm", wasm = embed "veneer/build/index_bg.wasm"),
      ],
      compatibilityDate = "${COMPATIBILITY_DATE}",
      bindings = [${origin}, (name = "RULES", kvNamespace = "kv")],
    )`;
    extra = `
    (name = "kv", worker = (
      modules = [(name = "kv.mjs", esModule = embed "workers/kv.mjs")],
      compatibilityDate = "${COMPATIBILITY_DATE}",
      bindings = [(name = "DOC", text = embed "rules-${config.rules}.json")],
    )),`;
  } else {
    main = `(
      modules = [(name = "worker.mjs", esModule = embed "workers/${config.worker}.mjs")],
      compatibilityDate = "${COMPATIBILITY_DATE}",
      bindings = [${origin}],
    )`;
  }
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = ${main}),${extra}
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
`;
}

let configSerial = 0;

/** Starts `config` in a fresh workerd process; resolves once it accepts connections. */
async function startWorkerd(config, originUrl) {
  const port = await freePort();
  const file = join(TMP, `${config.id}-${++configSerial}.capnp`);
  writeFileSync(file, capnp(config, port, originUrl));
  const started = performance.now();
  const child = spawn(WORKERD, ["serve", file], { cwd: TMP, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  const logs = [];
  for (const s of [child.stdout, child.stderr]) {
    s.setEncoding("utf8");
    s.on("data", (d) => {
      for (const l of d.split("\n")) if (l.trim() && logs.length < 200) logs.push(l);
    });
  }
  const w = { config, child, pid: child.pid, port, url: `http://127.0.0.1:${port}`, logs, started };
  return w;
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
    if (ok) return performance.now();
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

/** Spawns a fresh workerd, requests `path` as soon as it listens; times both. */
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
  const firstResponse = performance.now() - w.started;
  await stopChild(w.child);
  if (response.status !== 200) throw new Error(`cold start of (${config.id}): status ${response.status}`);
  return { firstResponseMs: firstResponse };
}

// ---------------------------------------------------------------------------------------------
// wrk

const WRK_HEADERS = Object.entries(REQUEST_HEADERS).flatMap(([k, v]) => ["-H", `${k}: ${v}`]);

function toMs(value, unit) {
  const v = Number(value);
  return unit === "us" ? v / 1000 : unit === "ms" ? v : unit === "s" ? v * 1000 : unit === "m" ? v * 60000 : NaN;
}

function toBytes(value, unit) {
  const k = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 }[unit];
  return Number(value) * k;
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
  };
}

function wrk(url, seconds) {
  return run("wrk", ["-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "--latency", "--timeout", "10s", ...WRK_HEADERS, url]);
}

/** A measured cell: warm-up, then wrk with CPU of the worker, origin and machine read around it. */
async function measure(target, origin, path) {
  await wrk(target.url + path, WARMUP);
  await sleep(100);
  const t0 = performance.now();
  const cpu0 = target.pid ? cpuSeconds(target.pid) : 0;
  const origin0 = cpuSeconds(origin.pid);
  const busy0 = machineBusySeconds();
  const out = await wrk(target.url + path, DURATION);
  const cpu1 = target.pid ? cpuSeconds(target.pid) : 0;
  const origin1 = cpuSeconds(origin.pid);
  const busy1 = machineBusySeconds();
  const wall = (performance.now() - t0) / 1000;
  const r = parseWrk(out);
  return {
    ...r,
    cpuMsPerReq: target.pid ? ((cpu1 - cpu0) * 1000) / r.requests : NaN,
    originMsPerReq: ((origin1 - origin0) * 1000) / r.requests,
    workerUtil: target.pid ? (cpu1 - cpu0) / wall : NaN,
    originUtil: (origin1 - origin0) / wall,
    machineBusy: (busy1 - busy0) / wall,
    bytesPerReq: r.bytes / r.requests,
  };
}

// ---------------------------------------------------------------------------------------------
// Correctness: Veneer really rewrites, and (d) and (e) make the same edits

const normalize = (s) => s.replace(/\s+/g, " ").trim();

function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `at ${i}:\n  d: ${JSON.stringify(a.slice(Math.max(0, i - 80), i + 120))}\n  e: ${JSON.stringify(b.slice(Math.max(0, i - 80), i + 120))}`;
}

const count = (s, needle) => s.split(needle).length - 1;

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
    const direct = await get(origin.url + page.path);
    if (!direct.body.equals(page.body)) throw new Error(`origin serves a different ${page.name} page`);
    const got = {};
    for (const id of ["b", "c", "d", "e"]) got[id] = await get(workers[id].url + page.path);
    for (const id of ["b", "c"]) {
      if (got[id].status !== 200 || !got[id].body.equals(page.body)) {
        throw new Error(`(${id}) changed the ${page.name} page; it must pass it through byte for byte`);
      }
    }
    const d = got.d.body.toString("utf8");
    const e = got.e.body.toString("utf8");
    const o = page.body.toString("utf8");
    if (got.d.status !== 200 || d === o) throw new Error(`(d) did not rewrite the ${page.name} page (status ${got.d.status})`);
    for (const [what, needle, n] of expectedEdits(o)) {
      const c = count(d, needle);
      if (c !== n) throw new Error(`(d) ${page.name}: ${what}: expected ${n} × ${JSON.stringify(needle)}, found ${c}`);
    }
    if (normalize(d) !== normalize(e)) {
      throw new Error(`(d) and (e) differ on the ${page.name} page ${firstDifference(normalize(d), normalize(e))}`);
    }
    for (const [id, r] of [["d", got.d], ["e", got.e]]) {
      const h = r.headers;
      // Cache-Control is not compared: Veneer marks pages with audience rules private only
      // since src/policy.rs's personalized_headers; (e) always does.
      if (h["x-promo"] !== "bf-2026" || h["content-length"] || h.etag) {
        throw new Error(`(${id}) ${page.name}: unexpected headers ${JSON.stringify(h)}`);
      }
    }
    page.rewrittenBytes = got.d.body.length;
    page.identical = d === e;
    notes.push(
      `${page.name}: origin ${page.body.length} B → (d) ${d.length} B; ${expectedEdits(o).length} edit checks pass; ` +
        `(d) and (e) ${d === e ? "byte-identical" : "identical modulo whitespace"}; (b), (c) byte-identical to the origin`,
    );
  }
  for (const id of ["c", "d"]) {
    const events = workers[id].logs.filter((l) => l.includes('"veneer"'));
    if (events.length) throw new Error(`(${id}) logged Veneer events (fail-open?):\n${events.join("\n")}`);
  }
  return notes;
}

// ---------------------------------------------------------------------------------------------
// Report

const fmt = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : "–");
const fmtInt = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "–");
const mb = (kb) => (kb / 1024).toFixed(1);

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
    git = `${head}${dirty ? " (with uncommitted changes in src/edge)" : ""}`;
  } catch {}
  const wasm = readFileSync(join(TMP, "veneer/build/index_bg.wasm"));
  const wasmMtime = statSync(join(ROOT, "build/index_bg.wasm")).mtime.toISOString();
  return {
    model,
    nproc,
    kernel,
    memGb: (totalmem() / 1024 ** 3).toFixed(1),
    node: process.version,
    workerd: execFileSync(WORKERD, ["--version"]).toString().trim(),
    workerdSha: createHash("sha256").update(readFileSync(WORKERD)).digest("hex").slice(0, 16),
    wrk: (() => {
      try {
        return execFileSync("wrk", ["--version"], { stdio: ["ignore", "pipe", "pipe"] }).toString().split("\n")[0];
      } catch (e) {
        return String(e.stdout ?? "").split("\n")[0];
      }
    })(),
    git,
    wasmSha: createHash("sha256").update(wasm).digest("hex").slice(0, 16),
    wasmMtime,
    loadavg: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" "),
  };
}

function sizes() {
  const wasm = readFileSync(join(TMP, "veneer/build/index_bg.wasm"));
  const js = readFileSync(join(TMP, "veneer/build/index.js"));
  const entry = readFileSync(join(TMP, "veneer/edge/entry.mjs"));
  const gz = (b) => gzipSync(b, { level: 9 }).length;
  return {
    wasmRaw: wasm.length,
    wasmGz: gz(wasm),
    totalRaw: wasm.length + js.length + entry.length,
    totalGz: gz(wasm) + gz(js) + gz(entry),
  };
}

function report(ctx) {
  const { results, pages, cold, rss, info, size, notes, started, finished } = ctx;
  const cell = (id, page) => results.filter((r) => r.config === id && r.page === page.name);
  const agg = (id, page, key) => median(cell(id, page).map((r) => r[key]));
  const pairedRatio = (num, den, page, key = "cpuMsPerReq") => {
    const ratios = [];
    for (let round = 0; round < ROUNDS; round++) {
      const n = results.find((r) => r.config === num && r.page === page.name && r.round === round);
      const d = results.find((r) => r.config === den && r.page === page.name && r.round === round);
      if (n && d) ratios.push(n[key] / d[key]);
    }
    return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
  };
  const ratioText = (r) => (ROUNDS > 1 ? `${fmt(r.median)} (${fmt(r.min)}–${fmt(r.max)})` : fmt(r.median));
  const L = [];
  const budgets = [];

  // Budgets
  for (const page of pages) {
    const r = pairedRatio("d", "e", page);
    budgets.push({
      name: `CPU/request (d) ≤ 1.5 × (e), ${page.name}`,
      pass: r.median <= 1.5,
      detail: `(d) ${fmt(agg("d", page, "cpuMsPerReq"), 3)} ms, (e) ${fmt(agg("e", page, "cpuMsPerReq"), 3)} ms: ${fmt(r.median)} ×`,
    });
  }
  for (const page of pages) {
    const r = pairedRatio("c", "b", page);
    budgets.push({
      name: `CPU/request (c) ≤ 1.3 × (b), ${page.name}`,
      pass: r.median <= 1.3,
      detail: `(c) ${fmt(agg("c", page, "cpuMsPerReq"), 3)} ms, (b) ${fmt(agg("b", page, "cpuMsPerReq"), 3)} ms: ${fmt(r.median)} ×`,
    });
  }
  const rssOf = (id, page) => median(rss.filter((x) => x.config === id && x.page === page).map((x) => x.hwmKb));
  const small = rssOf("d", pages[0].name);
  const large = rssOf("d", pages[2].name);
  budgets.push({
    name: `peak RSS (d), ${pages[2].name} page ≤ ${pages[0].name} page + 10 MB`,
    pass: large <= small + 10 * 1024,
    detail: `${mb(large)} MB vs ${mb(small)} MB: +${mb(large - small)} MB`,
  });

  L.push("# Edge benchmarks");
  L.push("");
  L.push(
    "Generated by `node bench/edge.mjs` (this file is rewritten by every full run; do not edit by hand). " +
      "Veneer's real wasm build runs in workerd next to a plain JavaScript worker and the runtime's native " +
      "`HTMLRewriter`, in front of one local origin, on the same machine, interleaved and repeated. " +
      "The machine is small and shared, so absolute numbers are noisy: read the **ratios**, which compare " +
      "configurations measured side by side in the same round.",
  );
  L.push("");
  L.push("## How to run");
  L.push("");
  L.push("```sh");
  L.push("make wasm                     # once, if build/index_bg.wasm is missing");
  L.push("node bench/edge.mjs           # full run, about 9 minutes; rewrites docs/benchmarks.md");
  L.push("node bench/edge.mjs --quick   # about 1.5 minutes, 1 round of 3 s cells (also rewrites this file unless --out -)");
  L.push("```");
  L.push("");
  L.push(
    "Needs `wrk` (`apt-get install -y wrk`) and the npm packages of `make test` (workerd). It is not part of `make test`. " +
      "Options: `--rounds N`, `--duration S`, `--connections N`, `--out FILE` (`-` for none), `--keep` (keep the generated workerd configs).",
  );
  L.push("");
  L.push("## This run");
  L.push("");
  L.push(`| | |`);
  L.push(`| --- | --- |`);
  L.push(`| date | ${started.toISOString().replace("T", " ").slice(0, 19)} UTC (took ${((finished - started) / 60000).toFixed(1)} min) |`);
  L.push(`| command | \`node bench/edge.mjs${argv.length ? " " + argv.join(" ") : ""}\` |`);
  L.push(`| machine | ${info.nproc} × ${info.model} (\`nproc\` = ${info.nproc}), ${info.memGb} GB RAM, Linux ${info.kernel}; load average at start ${info.loadavg} |`);
  L.push(`| runtime | ${info.workerd} (npm \`workerd\`, the binary Miniflare runs; sha256 ${info.workerdSha}…), compatibility date ${COMPATIBILITY_DATE} |`);
  L.push(`| Veneer | git ${info.git}; build/index_bg.wasm sha256 ${info.wasmSha}… (built ${info.wasmMtime}) |`);
  L.push(`| load | ${info.wrk}: \`wrk -t1 -c${CONNECTIONS} -d${DURATION}s --latency\` per cell, after ${WARMUP} s of warm-up; browser headers (Chrome on Windows User-Agent, Accept, Accept-Language, Cookie) |`);
  L.push(`| rounds | ${ROUNDS}; in each round, for each page, the five configurations one after the other, starting one later each round |`);
  L.push(`| Node | ${info.node} (origin and driver) |`);
  L.push("");
  L.push("## Budgets");
  L.push("");
  L.push("| budget | result | numbers (medians) |");
  L.push("| --- | --- | --- |");
  for (const b of budgets) L.push(`| ${b.name} | **${b.pass ? "PASS" : "MISS"}** | ${b.detail} |`);
  L.push("");
  L.push("## Throughput, latency and CPU per request");
  L.push("");
  L.push(
    `Medians over ${ROUNDS} round(s). *CPU/req* is the worker's workerd process (utime + stime of all its threads, ` +
      "from `/proc/<pid>/stat` before and after the cell) divided by the requests wrk completed; for (a) there is no worker. " +
      "*origin CPU/req* is the origin process's, the same way. Latencies are wrk's, with " +
      `${CONNECTIONS} connections kept busy (closed loop), so they include queueing.`,
  );
  L.push("");
  L.push("| page | configuration | req/s | p50 ms | p99 ms | CPU/req ms | × (b) | origin CPU/req ms | errors |");
  L.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const page of pages) {
    for (const c of CONFIGS) {
      const vsB = c.id === "a" || c.id === "b" ? "" : ratioText(pairedRatio(c.id, "b", page));
      const errors = cell(c.id, page).reduce((a, r) => a + r.errors, 0);
      L.push(
        `| ${page.name} | ${c.label} | ${fmtInt(agg(c.id, page, "rps"))} | ${fmt(agg(c.id, page, "p50"))} | ${fmt(agg(c.id, page, "p99"))} | ` +
          `${fmt(agg(c.id, page, "cpuMsPerReq"), 3)} | ${vsB} | ${fmt(agg(c.id, page, "originMsPerReq"), 3)} | ${errors} |`,
      );
    }
  }
  L.push("");
  L.push("Ratios of CPU per request, per round then median (min–max over rounds):");
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
  L.push("The origin is not the bottleneck when (a) serves far more requests per second than any worker and the origin's CPU use during the worker cells stays well under one core:");
  L.push("");
  L.push("| page | (a) req/s | best worker req/s | origin CPU use during worker cells (cores, max) | workerd CPU use (cores, max) | whole machine busy (cores, median) |");
  L.push("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const page of pages) {
    const workerCells = results.filter((r) => r.page === page.name && r.config !== "a");
    L.push(
      `| ${page.name} | ${fmtInt(agg("a", page, "rps"))} | ${fmtInt(Math.max(...["b", "c", "d", "e"].map((id) => agg(id, page, "rps"))))} | ` +
        `${fmt(Math.max(...workerCells.map((r) => r.originUtil)))} | ${fmt(Math.max(...workerCells.map((r) => r.workerUtil)))} | ` +
        `${fmt(median(results.filter((r) => r.page === page.name).map((r) => r.machineBusy)))} |`,
    );
  }
  L.push("");
  L.push("## Memory: peak RSS of (d), 2 MB page vs 20 KB page");
  L.push("");
  L.push(
    `A fresh workerd process per measurement, loaded for ${RSS_SECONDS} s with the same wrk settings on one page only; ` +
      "`VmHWM` (peak resident set) from `/proc/<pid>/status` when ready and after the load. (e) for comparison.",
  );
  L.push("");
  L.push("| configuration | page | VmHWM when ready MB | VmHWM after load MB (median) | all runs MB | VmRSS after load MB |");
  L.push("| --- | --- | ---: | ---: | --- | ---: |");
  for (const id of ["d", "e"]) {
    for (const page of [pages[0], pages[2]]) {
      const xs = rss.filter((x) => x.config === id && x.page === page.name);
      L.push(
        `| ${byId[id].label} | ${page.name} | ${mb(median(xs.map((x) => x.readyHwmKb)))} | ${mb(median(xs.map((x) => x.hwmKb)))} | ` +
          `${xs.map((x) => mb(x.hwmKb)).join(", ")} | ${mb(median(xs.map((x) => x.rssKb)))} |`,
      );
    }
  }
  L.push("");
  L.push("## Cold start");
  L.push("");
  L.push(
    "Time from spawning a fresh workerd process (config already written) to the complete first response for the 20 KB page, " +
      "polling the port every millisecond. For Veneer this includes compiling the wasm, reading the rules from KV " +
      "(the stand-in service) and the origin fetch. (b) and (d) for comparison.",
  );
  L.push("");
  L.push("| configuration | first response ms (median) | min | max | runs |");
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
  L.push(`| whole upload (wasm + build/index.js + edge/entry.mjs) | ${fmtInt(size.totalRaw)} B | ${fmtInt(size.totalGz)} B |`);
  L.push("");
  L.push("## Pages and rules");
  L.push("");
  L.push(
    "Built by `bench/pages.mjs` from `fixtures/storefront/` (category page head, header, promo bar, breadcrumb, home hero, " +
      `category banner, product tiles, footer) and the real-world pages in \`${CORPUS_DIR}\` (cloudflare.com, ECMA-402, ` +
      "WHATWG parsing spec: body content in ~20 KB pieces, cut at block-level tags), with a grid of 8 product tiles after " +
      "every piece, so the density of matching elements is the same at every size. Served from memory by `bench/origin.mjs` " +
      "with `Content-Length`, a strong `ETag` and `Cache-Control: public, max-age=60`.",
  );
  L.push("");
  L.push("| page | path | bytes | product tiles | links | text replacements checked |");
  L.push("| --- | --- | ---: | ---: | ---: | --- |");
  for (const p of pages) {
    const s = p.body.toString("utf8");
    L.push(`| ${p.name} | \`${p.path}\` | ${fmtInt(p.body.length)} | ${count(s, 'class="product-tile"')} | ${count(s, "<a ")} | yes |`);
  }
  L.push("");
  L.push(
    "`bench/rules.json`: 20 rules, 21 actions (set_html ×3, set_text ×2, set_style, set_attribute ×3, add_class, " +
      "insert_before, insert_after, remove, append, replace_text ×2 (literal and regex), inject_head ×2, set_header, " +
      "rewrite_links, append_body), over `*`, `/c/*` and `/` patterns, three rules behind audiences " +
      "(`bot: false`, device), one with a schedule. (e) `bench/workers/native-rewriter.mjs` makes the same edits by hand " +
      "with `HTMLRewriter`; Veneer reads its rules through a KV binding (served by `bench/workers/kv.mjs`) and keeps them " +
      "for `RULES_CACHE_SECONDS` (default, 30 s).",
  );
  L.push("");
  L.push("Checked before measuring (the run stops otherwise):");
  L.push("");
  for (const n of notes) L.push(`- ${n}`);
  L.push(
    `- during the load, the mean response size wrk read from (d) matched the verified rewritten page in every cell ` +
      `(${results.filter((r) => r.config === "d").every((r) => r.bytesOk) ? "yes" : "NO"})`,
  );
  L.push("");
  L.push("## Every cell");
  L.push("");
  L.push("| round | page | config | requests | req/s | p50 ms | p99 ms | CPU/req ms | worker cores | origin cores | machine busy cores | bytes/resp |");
  L.push("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of results) {
    L.push(
      `| ${r.round + 1} | ${r.page} | ${r.config} | ${r.requests} | ${fmtInt(r.rps)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ` +
        `${fmt(r.cpuMsPerReq, 3)} | ${fmt(r.workerUtil)} | ${fmt(r.originUtil)} | ${fmt(r.machineBusy)} | ${fmtInt(r.bytesPerReq)} |`,
    );
  }
  L.push("");
  return { markdown: L.join("\n"), budgets };
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const started = new Date();
  for (const f of ["build/index.js", "build/index_bg.wasm", "edge/entry.mjs"]) {
    if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run \`make wasm\` first`);
  }
  try {
    execFileSync("wrk", ["--version"], { stdio: "ignore" });
  } catch (e) {
    if (e.code === "ENOENT") throw new Error("wrk is missing: apt-get install -y wrk");
  }
  const workerdModule = await import("workerd");
  WORKERD = workerdModule.default?.default ?? workerdModule.default;
  snapshot();
  log(`temp dir ${TMP}; workerd ${WORKERD}`);

  const pages = buildPages();
  const origin = await startOrigin();
  for (const p of pages) {
    if (origin.sizes[p.path] !== p.body.length) throw new Error("origin and driver built different pages");
  }
  log(`origin ${origin.url} (pid ${origin.pid}): ${pages.map((p) => `${p.name} = ${p.body.length} B`).join(", ")}`);

  const workers = {};
  for (const c of CONFIGS.filter((c) => c.worker)) {
    workers[c.id] = await startWorkerd(c, origin.url);
    await waitListening(workers[c.id]);
    log(`${c.label}: workerd pid ${workers[c.id].pid} on ${workers[c.id].url}`);
  }
  const notes = await verify(workers, origin, pages);
  for (const n of notes) log(n);

  // Every worker and page warmed up once (JIT, wasm tiers, the rules cache).
  for (const id of ["b", "c", "d", "e"]) {
    for (const p of pages) await wrk(workers[id].url + p.path, FIRST_WARMUP);
  }

  const targets = { a: { url: origin.url, pid: null }, ...workers };
  const results = [];
  const cold = [];
  const rss = [];
  const order = CONFIGS.map((c) => c.id);
  for (let round = 0; round < ROUNDS; round++) {
    log(`round ${round + 1}/${ROUNDS}: cold starts`);
    for (let i = 0; i < COLD_REPEATS; i++) {
      for (const id of ["c", "b", "d"]) cold.push({ config: id, round, ...(await coldStart(byId[id], origin.url, pages[0].path)) });
    }
    const rotated = [...order.slice(round % order.length), ...order.slice(0, round % order.length)];
    for (const page of round % 2 ? [...pages].reverse() : pages) {
      for (const id of rotated) {
        const r = await measure(targets[id], origin, page.path);
        const expected = id === "d" || id === "e" ? page.rewrittenBytes : page.body.length;
        // wrk's byte count includes headers (< 400 B a response) and has 3 significant digits.
        r.bytesOk = Math.abs(r.bytesPerReq - expected) <= 0.01 * expected + 600;
        results.push({ round, page: page.name, config: id, ...r });
        log(
          `  ${page.name.padEnd(5)} (${id}) ${fmtInt(r.rps).padStart(6)} req/s  p50 ${fmt(r.p50)} ms  p99 ${fmt(r.p99)} ms  ` +
            `cpu/req ${fmt(r.cpuMsPerReq, 3)} ms  origin ${fmt(r.originMsPerReq, 3)} ms  machine ${fmt(r.machineBusy)} cores` +
            (r.errors ? `  ERRORS ${r.errors}` : "") +
            (r.bytesOk ? "" : `  UNEXPECTED SIZE ${fmtInt(r.bytesPerReq)} B/response (expected ${expected})`),
        );
      }
    }
    log(`round ${round + 1}/${ROUNDS}: peak RSS`);
    for (const id of ["d", "e"]) {
      for (const page of [pages[0], pages[2]]) {
        const w = await startWorkerd(byId[id], origin.url);
        await waitListening(w);
        await get(w.url + page.path);
        const ready = memoryKb(w.pid);
        await wrk(w.url + page.path, RSS_SECONDS);
        const after = memoryKb(w.pid);
        await stopChild(w.child);
        rss.push({ config: id, page: page.name, round, readyHwmKb: ready.hwm, hwmKb: after.hwm, rssKb: after.rss });
        log(`  (${id}) ${page.name}: VmHWM ${mb(ready.hwm)} MB ready → ${mb(after.hwm)} MB after load (VmRSS ${mb(after.rss)} MB)`);
      }
    }
  }
  for (const id of ["c", "d"]) {
    const events = workers[id].logs.filter((l) => l.includes('"veneer"'));
    if (events.length) log(`WARNING (${id}) logged Veneer events during the run:\n${events.join("\n")}`);
  }

  const info = machineInfo();
  const size = sizes();
  for (const w of Object.values(workers)) await stopChild(w.child);
  await stopChild(origin.child);
  const { markdown, budgets } = report({ results, pages, cold, rss, info, size, notes, started, finished: new Date() });
  console.log(markdown);
  if (OUT !== "-") {
    writeFileSync(join(ROOT, OUT), markdown);
    log(`wrote ${OUT}`);
  }
  log("budgets: " + budgets.map((b) => `${b.pass ? "PASS" : "MISS"} ${b.name}`).join("; "));
  if (!KEEP) rmSync(TMP, { recursive: true, force: true });
}

/** For probes (bench/probe.mjs): the same workerd setup, without the run. */
export async function setup() {
  const workerdModule = await import("workerd");
  WORKERD = workerdModule.default?.default ?? workerdModule.default;
  snapshot();
  return { TMP, WORKERD, CONFIGS, byId, startOrigin, startWorkerd, waitListening, stopChild, get, cpuSeconds, memoryKb, wrk, parseWrk, measure };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(e.stack ?? e);
    cleanup();
    if (TMP && !KEEP) rmSync(TMP, { recursive: true, force: true });
    process.exit(1);
  });
}
