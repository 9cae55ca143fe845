#!/usr/bin/env node
// A stand-in for the worker's console, for working on the UI: serves console/dist/__veneer/
// under the console prefix and mocks the JSON API of docs/console.md in memory (draft,
// revisions, schedule, audit log, preview links, live status, experiment results), with the
// admin token `dev`. Its validator imitates the edge's for common mistakes only: the worker's
// own compile is the authority. Results are the real `veneer results --json` output stored in
// fixtures/results/demo/ (tests/cli.rs keeps them current). Nothing is stored: a restart
// starts from revision 1 = fixtures/rules/demo.json (from the CLI, with the demo experiments
// of fixtures/results/demo/experiments.json added).
//
// CLI:    node console/dev-server.mjs [--port 8788] [--prefix /__veneer/] [--access] [--fill-meta]
//         (build first: npm run build:console; or keep `node scripts/build-console.mjs --watch` running)
// Import: const s = await startDevServer({ port: 0 }); s.url, s.state, await s.close()
//
// Node standard library only.

import { createServer } from "node:http";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { dirname, extname, join, normalize, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..");
const DIST = join(HERE, "dist", "__veneer");
const SCHEMA = JSON.parse(readFileSync(join(ROOT, "schema", "rules.schema.json"), "utf8"));
const SEED = readFileSync(join(ROOT, "fixtures", "rules", "demo.json"), "utf8");
const RESULTS = join(ROOT, "fixtures", "results", "demo");
const SHOP = join(ROOT, "fixtures", "storefront");

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * A strict policy, so the UI is known to work under one: `{nonce}` becomes a fresh nonce per
 * page, also written into <meta name="veneer-csp-nonce"> for the editor's injected styles.
 */
export const DEFAULT_CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; connect-src 'self'; img-src 'self' data:; frame-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// ---- a small imitation of the edge's validator -----------------------------------------------

const ACTIONS = SCHEMA.$defs.action.oneOf;
const ELEMENT_OPS = ACTIONS.filter((b) => b.required.includes("select")).map((b) => b.required.find((k) => k !== "select"));
const PAGE_OPS = ACTIONS.filter((b) => !b.required.includes("select")).map((b) => b.required[0]);
const TOP_KEYS = Object.keys(SCHEMA.properties);
const RULE_KEYS = Object.keys(SCHEMA.$defs.rule.properties);
const EXPERIMENT_KEYS = Object.keys(SCHEMA.$defs.experiment.properties);

function jsonPath(path) {
  let out = "$";
  for (const s of path) out += typeof s === "number" ? `[${s}]` : /^[A-Za-z0-9_$-]+$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
  return out;
}
function pointer(path) {
  return path.map((s) => `/${String(s).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
}
function describe(v) {
  if (Array.isArray(v)) return "a list";
  if (v === null) return "null";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`;
  return `${typeof v === "number" ? "a number" : "a boolean"} (${v})`;
}

function lineColumn(text, position) {
  const before = text.slice(0, position);
  const line = before.split("\n").length;
  const column = Buffer.byteLength(before.slice(before.lastIndexOf("\n") + 1)) + 1;
  return { line, column };
}

/**
 * A small imitation of the engine's condition evaluation, for "who matches" in the mock: plain
 * values, $in, $nin, $regex, $exists, $and/$or/$not, and named audiences. The worker's engine
 * (POST api/who-matches) is the authority.
 */
export function matchCondition(condition, attrs, audiences, depth = 0) {
  if (depth > 16) return false;
  if (typeof condition === "string") return matchCondition(audiences[condition], attrs, audiences, depth + 1);
  if (!condition || typeof condition !== "object") return condition === undefined;
  const at = (path) => path.split(".").reduce((v, k) => (v && typeof v === "object" ? v[k] : undefined), attrs);
  return Object.entries(condition).every(([key, want]) => {
    if (key === "$and") return want.every((c) => matchCondition(c, attrs, audiences, depth + 1));
    if (key === "$or") return !want.length || want.some((c) => matchCondition(c, attrs, audiences, depth + 1));
    if (key === "$not") return !matchCondition(want, attrs, audiences, depth + 1);
    if (key === "$inGroup") return matchCondition(audiences[want], attrs, audiences, depth + 1);
    const value = at(key);
    if (want === null || typeof want !== "object" || Array.isArray(want)) return value === want || (value === undefined && want === null);
    return Object.entries(want).every(([op, arg]) => {
      if (op === "$in") return Array.isArray(arg) && arg.includes(value);
      if (op === "$nin") return Array.isArray(arg) && !arg.includes(value);
      if (op === "$regex") return typeof value === "string" && new RegExp(arg).test(value);
      if (op === "$exists") return (value !== undefined) === arg;
      if (op === "$eq") return value === arg;
      if (op === "$ne") return value !== arg;
      return false;
    });
  });
}

/** Problems in a rules document's text: [{path, pointer, message}]. */
export function validate(text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec(e.message);
    const { line, column } = lineColumn(text, m ? Number(m[1]) : text.length);
    const message = e.message.replace(/ in JSON at position \d+.*$/, "").replace(/^Unexpected end of JSON input$/, "EOF while parsing");
    return [{ path: "$", pointer: "", message: `rules are not valid JSON: ${message} (line ${line}, column ${column})` }];
  }
  const problems = [];
  const add = (path, message) => problems.push({ path: jsonPath(path), pointer: pointer(path), message });
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
    add([], `expected a rules document (an object), found ${describe(doc)}`);
    return problems;
  }
  for (const k of Object.keys(doc)) if (!TOP_KEYS.includes(k)) add([k], `unknown field "${k}"; expected one of ${TOP_KEYS.join(", ")}`);
  const audiences = doc.audiences && typeof doc.audiences === "object" ? Object.keys(doc.audiences) : [];
  const entries = (key, allowed, check) => {
    if (doc[key] === undefined) return;
    if (!Array.isArray(doc[key])) return add([key], `expected a list of ${key}, found ${describe(doc[key])}`);
    const ids = new Set();
    doc[key].forEach((entry, i) => {
      const at = [key, i];
      if (!entry || typeof entry !== "object" || Array.isArray(entry)) return add(at, `expected an object, found ${describe(entry)}`);
      for (const k of Object.keys(entry)) if (!allowed.includes(k)) add([...at, k], `unknown field "${k}"; expected one of ${allowed.join(", ")}`);
      if (typeof entry.id !== "string" || !entry.id) add(entry.id === undefined ? at : [...at, "id"], entry.id === undefined ? 'missing field "id"' : `expected a non-empty string, found ${describe(entry.id)}`);
      else if (ids.has(entry.id)) add([...at, "id"], `duplicate id "${entry.id}"`);
      else ids.add(entry.id);
      if (entry.pages !== undefined) {
        if (!Array.isArray(entry.pages)) add([...at, "pages"], `expected a list of page patterns, found ${describe(entry.pages)}`);
        else if (!entry.pages.length) add([...at, "pages"], 'an empty list matches no page; remove "pages" to target every page, or use ["*"]');
        else entry.pages.forEach((p, j) => {
          if (typeof p !== "string" || !/^(\*|\/[^*]*\*?)$/.test(p)) add([...at, "pages", j], `expected a path starting with "/" (like "/c/*") or "*", found ${JSON.stringify(p)}`);
        });
      }
      if (typeof entry.audience === "string" && !audiences.includes(entry.audience)) add([...at, "audience"], `unknown audience "${entry.audience}"; define it under "audiences"`);
      check(entry, at);
    });
  };
  const actions = (list, at) => {
    if (!Array.isArray(list)) return add(at, list === undefined ? 'missing field "actions"' : `expected a list of actions, found ${describe(list)}`);
    list.forEach((a, i) => {
      const here = [...at, i];
      if (!a || typeof a !== "object" || Array.isArray(a)) return add(here, `expected an action (an object), found ${describe(a)}`);
      const known = ["select", ...ELEMENT_OPS, ...PAGE_OPS];
      for (const k of Object.keys(a)) if (!known.includes(k)) add([...here, k], `unknown field "${k}"; expected one of ${known.join(", ")}`);
      const ops = Object.keys(a).filter((k) => (a.select !== undefined ? ELEMENT_OPS : PAGE_OPS).includes(k));
      if (ops.length !== 1) add(here, `expected one operation: with "select", one of ${ELEMENT_OPS.join(", ")}; without, one of ${PAGE_OPS.join(", ")}`);
      if (a.select !== undefined && (typeof a.select !== "string" || !a.select.trim())) add([...here, "select"], `expected a CSS selector, found ${describe(a.select)}`);
      else if (typeof a.select === "string" && /:last-child|:nth-last/.test(a.select)) add([...here, "select"], `selector ${JSON.stringify(a.select)} depends on elements that come later in the page; Veneer rewrites while the page streams and cannot look ahead`);
    });
  };
  entries("rules", RULE_KEYS, (rule, at) => actions(rule.actions, [...at, "actions"]));
  entries("experiments", EXPERIMENT_KEYS, (x, at) => {
    if (x.status !== undefined && !["draft", "running", "stopped"].includes(x.status)) add([...at, "status"], `expected "draft", "running" or "stopped", found ${describe(x.status)}`);
    if (x.winner !== undefined && x.status !== "stopped") add([...at, "winner"], 'only a stopped experiment has a winner; set "status": "stopped"');
    else if (x.winner !== undefined && !(Array.isArray(x.variations) && x.variations.some((v) => v?.id === x.winner))) add([...at, "winner"], `expected the id of one of the variations, found ${describe(x.winner)}`);
    if (!Array.isArray(x.variations) || x.variations.length < 2) add([...at, "variations"], "expected a list of 2 to 100 variations");
    else x.variations.forEach((v, i) => { if (v?.actions !== undefined) actions(v.actions, [...at, "variations", i, "actions"]); });
  });
  return problems;
}

/** "rules: added a, changed b; experiments: removed c", or "no change to rules or experiments". */
export function summarize(beforeText, afterText) {
  const ids = (text, key) => {
    try {
      const list = JSON.parse(text)?.[key];
      return new Map((Array.isArray(list) ? list : []).map((e) => [e?.id, JSON.stringify(e)]));
    } catch {
      return new Map();
    }
  };
  const parts = [];
  for (const key of ["rules", "experiments"]) {
    const a = ids(beforeText ?? "{}", key);
    const b = ids(afterText, key);
    const added = [...b.keys()].filter((k) => !a.has(k));
    const removed = [...a.keys()].filter((k) => !b.has(k));
    const changed = [...b.keys()].filter((k) => a.has(k) && a.get(k) !== b.get(k));
    const bits = [];
    if (added.length) bits.push(`added ${added.join(", ")}`);
    if (removed.length) bits.push(`removed ${removed.join(", ")}`);
    if (changed.length) bits.push(`changed ${changed.join(", ")}`);
    if (bits.length) parts.push(`${key}: ${bits.join("; ")}`);
  }
  return parts.join(" · ") || "no change to rules or experiments";
}

// ---- experiment results -------------------------------------------------------------------

/** The demo experiments the stored results belong to (fixtures/results/demo/experiments.json). */
export const DEMO_EXPERIMENTS = JSON.parse(readFileSync(join(RESULTS, "experiments.json"), "utf8"));

/** A rules document's text with the demo experiments added (those it has no experiment of). */
export function withDemoExperiments(text = SEED) {
  const doc = JSON.parse(text);
  const list = Array.isArray(doc.experiments) ? doc.experiments : [];
  const have = new Set(list.map((x) => x?.id));
  doc.experiments = [...list, ...DEMO_EXPERIMENTS.filter((x) => !have.has(x.id))];
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/**
 * `GET api/results/<experiment>[?engine=bayesian|frequentist][&format=counts]` against the live
 * document's text: {status, body}. An experiment with stored results answers them (the file
 * `veneer results --json` wrote); any other experiment of the document answers what the
 * worker answers for one nobody was counted in yet (0 users, nothing to compare).
 */
export function resultsAnswer(liveText, experiment, query) {
  const engine = query.get("engine") ?? "bayesian";
  if (!["bayesian", "frequentist"].includes(engine)) return { status: 400, body: { error: `engine: expected "bayesian" or "frequentist", found "${engine}"` } };
  let doc = null;
  try {
    doc = JSON.parse(liveText);
  } catch {
    doc = null;
  }
  const x = (Array.isArray(doc?.experiments) ? doc.experiments : []).find((e) => e?.id === experiment);
  if (!x) return { status: 404, body: { error: `the live rules have no experiment ${JSON.stringify(experiment)}` } };
  const stored = (name) => {
    try {
      return JSON.parse(readFileSync(join(RESULTS, name), "utf8"));
    } catch {
      return null;
    }
  };
  const safe = /^[A-Za-z0-9_-]{1,64}$/.test(experiment);
  if (query.get("format") === "counts") {
    const counts = safe && stored(`${experiment}.counts.json`);
    if (counts) return { status: 200, body: counts };
  } else {
    const results = safe && stored(`${experiment}.${engine}.json`);
    if (results) return { status: 200, body: results };
  }
  const variations = (Array.isArray(x.variations) ? x.variations : []).map((v) => ({ key: String(v?.id), users: 0 }));
  if (query.get("format") === "counts") return { status: 200, body: { experiment, variations, weights: [], metrics: [], days: [] } };
  return {
    status: 200,
    body: {
      experiment,
      options: { engine, prior: "flat", prior_stddev: 0.3, confidence: 0.95 },
      variations,
      srm: { p_value: 1, status: "not_enough_data" },
      metrics: [],
      days: [],
      problems: [],
    },
  };
}

// ---- the server -------------------------------------------------------------------------------

export async function startDevServer({
  port = 8788,
  host = "127.0.0.1",
  prefix = "/__veneer/",
  token = "dev",
  access = false,
  fillMeta = false,
  propagationMs = 3000,
  csp = DEFAULT_CSP,
  seed = SEED,
  log = false,
} = {}) {
  if (!prefix.startsWith("/")) prefix = `/${prefix}`;
  if (!prefix.endsWith("/")) prefix = `${prefix}/`;
  const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

  const state = {
    draft: null, // {document, author, time}
    revisions: [], // [{meta, document}], oldest first
    audit: [], // newest last
    scheduled: null, // {at, by, message, base}
    servingSince: 0, // when the newest revision reached every location
    sessions: new Map(), // id → {name}
    previews: new Set(),
  };
  let timer = null;

  const head = () => state.revisions[state.revisions.length - 1] || null;
  const audit = (who, action, revision, summary) => state.audit.push({ time: now(), who, action, revision: revision ?? null, summary: summary ?? "" });

  function addRevision(document, author, message) {
    const parent = head();
    const meta = {
      number: (parent?.meta.number ?? 0) + 1,
      parent: parent?.meta.number ?? null,
      author,
      time: now(),
      message,
      hash: createHash("sha256").update(document).digest("hex"),
      size: Buffer.byteLength(document),
    };
    state.revisions.push({ meta, document });
    state.servingSince = Date.now() + propagationMs;
    return meta;
  }
  addRevision(seed, "seed@shop.example", "The demo storefront's Black Friday");
  state.servingSince = 0;

  function revisionDoc(n) {
    return state.revisions.find((r) => r.meta.number === n)?.document ?? null;
  }

  function conflict(base) {
    const h = head();
    if ((h?.meta.number ?? null) === (base ?? null)) return null;
    return { error: `revision ${h.meta.number} was published by ${h.meta.author} since revision ${base ?? "none"}; reload, look at what changed, and publish again`, head: h.meta, summary: summarize(base ? revisionDoc(base) : "{}", h.document) };
  }

  function armSchedule() {
    clearTimeout(timer);
    timer = null;
    if (!state.scheduled) return;
    const wait = Math.max(0, new Date(state.scheduled.at).getTime() - Date.now());
    if (wait > 2 ** 31 - 1) return;
    timer = setTimeout(() => {
      const s = state.scheduled;
      state.scheduled = null;
      const text = state.draft?.document ?? head()?.document ?? "";
      const problems = validate(text);
      if (problems.length) {
        audit(`${s.by} (scheduled)`, "scheduled_publish", null, `not published: the draft has ${problems.length} problem(s)`);
        return;
      }
      const before = head()?.document;
      const meta = addRevision(text, `${s.by} (scheduled)`, s.message);
      audit(`${s.by} (scheduled)`, "scheduled_publish", meta.number, summarize(before, text));
    }, wait);
    timer.unref?.();
  }

  function cookies(req) {
    const out = {};
    for (const part of (req.headers.cookie || "").split(";")) {
      const i = part.indexOf("=");
      if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
    }
    return out;
  }

  function same(a, b) {
    const x = Buffer.from(String(a));
    const y = Buffer.from(String(b));
    return x.length === y.length && timingSafeEqual(x, y);
  }

  function who(req) {
    if (access) return { name: "ana@shop.example", via: "access" };
    const auth = req.headers.authorization || "";
    if (auth.startsWith("Bearer ") && same(auth.slice(7), token)) return { name: "token", via: "bearer" };
    const id = cookies(req).veneer_console;
    const s = id && state.sessions.get(id);
    return s ? { name: s.name, via: "token" } : null;
  }

  async function body(req) {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const text = Buffer.concat(chunks).toString("utf8");
    if (!text) return {};
    return JSON.parse(text);
  }

  function send(res, status, data, headers = {}) {
    const text = typeof data === "string" ? data : JSON.stringify(data);
    res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", ...headers });
    res.end(text);
  }

  async function api(req, res, path, url, origin) {
    const method = req.method;
    if (["POST", "PUT", "DELETE"].includes(method)) {
      if (req.headers.origin !== origin) return send(res, 403, { error: "cross-origin request refused: changes must come from the console's own page" });
      if (!(req.headers["content-type"] || "").startsWith("application/json")) return send(res, 403, { error: "send a JSON body (Content-Type: application/json)" });
    }
    let input = {};
    if (method !== "GET") {
      try {
        input = await body(req);
      } catch {
        return send(res, 400, { error: "the body is not JSON" });
      }
    }
    if (path === "session" && method === "POST") {
      const name = typeof input.name === "string" ? input.name.trim() : "";
      if (typeof input.token !== "string" || !same(input.token, token)) {
        audit(name || "unknown", "sign_in_failed", null, "wrong token");
        await new Promise((r) => setTimeout(r, 300));
        return send(res, 401, { error: "wrong token" });
      }
      if (!name) return send(res, 400, { error: "give your name: it goes into the audit log" });
      const id = randomBytes(18).toString("base64url");
      state.sessions.set(id, { name });
      audit(name, "sign_in", null, "");
      return send(res, 200, { name }, { "Set-Cookie": `veneer_console=${id}; Path=${prefix}; HttpOnly; SameSite=Strict; Max-Age=43200` });
    }
    const me = who(req);
    if (!me) return send(res, 401, { error: "sign in" });
    const name = me.name;
    if (path === "session" && method === "DELETE") {
      state.sessions.delete(cookies(req).veneer_console);
      return send(res, 200, {}, { "Set-Cookie": `veneer_console=; Path=${prefix}; HttpOnly; SameSite=Strict; Max-Age=0` });
    }
    if (path === "me" && method === "GET") return send(res, 200, me);
    if (path === "validate" && method === "POST") {
      if (typeof input.document !== "string") return send(res, 400, { error: 'send {"document": "<the rules as text>"}' });
      return send(res, 200, { problems: validate(input.document) });
    }
    if (path === "draft" && method === "GET") {
      if (!state.draft) return send(res, 404, { error: "there is no draft: start from the live document" });
      return send(res, 200, { ...state.draft, problems: validate(state.draft.document) });
    }
    if (path === "draft" && method === "PUT") {
      if (typeof input.document !== "string") return send(res, 400, { error: 'send {"document": "<the rules as text>"}' });
      const before = state.draft?.document ?? head()?.document;
      state.draft = { document: input.document, author: name, time: now() };
      const problems = validate(input.document);
      audit(name, "save", null, problems.length ? `${summarize(before, input.document)} (${problems.length} problem(s))` : summarize(before, input.document));
      return send(res, problems.length ? 422 : 200, { problems });
    }
    if (path === "live" && method === "GET") {
      const h = head();
      return send(res, 200, { document: h?.document ?? "", revision: h?.meta ?? null });
    }
    if (path === "revisions" && method === "GET") return send(res, 200, { revisions: [...state.revisions].reverse().map((r) => r.meta) });
    const rev = /^revisions\/(\d+)$/.exec(path);
    if (rev && method === "GET") {
      const r = state.revisions.find((x) => x.meta.number === Number(rev[1]));
      return r ? send(res, 200, { revision: r.meta, document: r.document }) : send(res, 404, { error: `there is no revision ${rev[1]}` });
    }
    if (path === "publish" && method === "POST") {
      if (typeof input.message !== "string" || !input.message.trim()) return send(res, 400, { error: "give a message: it goes into History" });
      const c = conflict(input.base);
      if (c) return send(res, 409, c);
      const text = state.draft?.document ?? head()?.document ?? "";
      const problems = validate(text);
      if (problems.length) return send(res, 422, { error: "the draft has problems: fix them and publish again", problems });
      const before = head()?.document;
      const meta = addRevision(text, name, input.message.trim());
      audit(name, "publish", meta.number, summarize(before, text));
      return send(res, 200, { revision: meta });
    }
    if (path === "rollback" && method === "POST") {
      const target = revisionDoc(input.to);
      if (target === null) return send(res, 404, { error: `there is no revision ${input.to}` });
      if (typeof input.message !== "string" || !input.message.trim()) return send(res, 400, { error: "give a message: it goes into History" });
      const c = conflict(input.base);
      if (c) return send(res, 409, c);
      const before = head()?.document;
      const meta = addRevision(target, name, input.message.trim());
      audit(name, "rollback", meta.number, `to revision ${input.to}: ${summarize(before, target)}`);
      return send(res, 200, { revision: meta });
    }
    if (path === "schedule" && method === "GET") return send(res, 200, { scheduled: state.scheduled });
    if (path === "schedule" && method === "POST") {
      const at = new Date(input.at);
      if (typeof input.at !== "string" || Number.isNaN(at.getTime()) || !/(Z|[+-]\d\d:\d\d)$/.test(input.at)) return send(res, 400, { error: 'give "at" as an RFC 3339 time, like "2026-11-27T08:00:00Z"' });
      if (at.getTime() <= Date.now()) return send(res, 400, { error: "that time is in the past" });
      if (typeof input.message !== "string" || !input.message.trim()) return send(res, 400, { error: "give a message: it goes into History" });
      state.scheduled = { at: at.toISOString().replace(/\.\d{3}Z$/, "Z"), by: name, message: input.message.trim(), base: input.base ?? null };
      audit(name, "schedule", null, `publish at ${state.scheduled.at}: ${state.scheduled.message}`);
      armSchedule();
      return send(res, 200, { scheduled: state.scheduled });
    }
    if (path === "schedule" && method === "DELETE") {
      if (state.scheduled) audit(name, "unschedule", null, `was at ${state.scheduled.at}`);
      state.scheduled = null;
      armSchedule();
      return send(res, 200, { scheduled: null });
    }
    if (path === "audit" && method === "GET") {
      const limit = Math.max(1, Math.min(10000, Number(url.searchParams.get("limit")) || 1000));
      const entries = [...state.audit].reverse().slice(0, limit);
      if (url.searchParams.get("format") === "csv") {
        const cell = (v) => (v === null || v === undefined ? "" : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
        const csv = ["time,who,action,revision,summary", ...entries.map((e) => [e.time, e.who, e.action, e.revision, e.summary].map(cell).join(","))].join("\r\n") + "\r\n";
        return send(res, 200, csv, { "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": 'attachment; filename="veneer-audit.csv"' });
      }
      return send(res, 200, { entries });
    }
    if (path === "preview-token" && method === "POST") {
      const t = randomBytes(12).toString("base64url");
      state.previews.add(t);
      const expires = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
      return send(res, 200, { token: t, url: `${origin}/?veneer_preview=${t}`, expires_at: expires });
    }
    const results = /^results\/([^/]+)$/.exec(path);
    if (results && method === "GET") {
      const answer = resultsAnswer(head()?.document ?? "", decodeURIComponent(results[1]), url.searchParams);
      return send(res, answer.status, answer.body);
    }
    if (path === "who-matches" && method === "POST") {
      let doc = {};
      try {
        doc = JSON.parse(input.document || "{}");
      } catch {
        doc = {};
      }
      if (typeof input.audience === "string" && !(doc.audiences || {})[input.audience]) {
        return send(res, 422, { problems: [{ path: "$.rules[0].audience", pointer: "/rules/0/audience", message: `unknown audience ${JSON.stringify(input.audience)}; define it under "audiences"` }] });
      }
      const profiles = (input.profiles || []).map((p) => {
        const matches = matchCondition(input.audience, p.attributes || {}, doc.audiences || {});
        return { name: p.name, matches, reason: matches ? "the visitor is in its audience (the mock's imitation)" : "the visitor is not in its audience (the mock's imitation)" };
      });
      return send(res, 200, { profiles });
    }
    if (path === "status" && method === "GET") {
      const h = head();
      const propagating = !!h && Date.now() < state.servingSince;
      const prev = state.revisions[state.revisions.length - 2];
      return send(res, 200, { live: h?.meta.number ?? null, serving: propagating ? prev?.meta.number ?? null : h?.meta.number ?? null, propagating });
    }
    return send(res, 404, { error: `no such API call: ${method} ${prefix}api/${path}` });
  }

  async function asset(req, res, rel) {
    const file = normalize(join(DIST, rel || "index.html"));
    if (!file.startsWith(DIST + sep) && file !== DIST) return send(res, 404, { error: "not found" });
    let bytes;
    try {
      bytes = await readFile(file);
    } catch {
      if (!rel || rel === "index.html") {
        res.writeHead(503, { "Content-Type": "text/plain; charset=utf-8" });
        return res.end("The console is not built: run `npm run build:console`.\n");
      }
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" });
      return res.end("not found\n");
    }
    const type = TYPES[extname(file)] || "application/octet-stream";
    const headers = { "Content-Type": type, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin" };
    if (type.startsWith("text/html")) {
      let html = bytes.toString("utf8");
      if (fillMeta) html = html.replace('<meta name="veneer-prefix" content="">', `<meta name="veneer-prefix" content="${prefix}">`);
      if (csp) {
        const nonce = randomBytes(16).toString("base64");
        if (csp.includes("{nonce}")) html = html.replace('<meta name="veneer-csp-nonce" content="">', `<meta name="veneer-csp-nonce" content="${nonce}">`);
        headers["Content-Security-Policy"] = csp.replaceAll("{nonce}", nonce);
      }
      bytes = Buffer.from(html);
    }
    res.writeHead(200, headers);
    res.end(req.method === "HEAD" ? undefined : bytes);
  }

  /** The demo shop's pages (fixtures/storefront/), as the origin sends them: the mock applies no rules. */
  async function storefront(res, url) {
    const preview = url.searchParams.get("veneer_preview");
    const ok = preview && state.previews.has(preview);
    const p = url.pathname;
    if (p.startsWith("/assets/")) {
      const file = normalize(join(SHOP, p));
      if (!file.startsWith(SHOP + sep)) return send(res, 404, { error: "not found" });
      try {
        const bytes = await readFile(file);
        res.writeHead(200, { "Content-Type": { ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png" }[extname(file)] || "application/octet-stream" });
        return res.end(bytes);
      } catch {
        return send(res, 404, { error: "not found" });
      }
    }
    const page = p === "/" ? "index.html" : p === "/c/shoes" ? "category.html" : /^\/p\/[^/]+$/.test(p) ? "product.html" : p === "/search" ? "search.html" : p === "/cart" ? "cart.html" : "404.html";
    let html = await readFile(join(SHOP, page), "utf8");
    const badge = ok ? '<div id="veneer-preview-badge" role="status" data-testid="preview-badge">Veneer preview: draft rules (the mock applies none)</div>' : preview ? "<p>That preview link is not valid.</p>" : "";
    html = html.replace("</body>", `${badge}</body>`);
    res.writeHead(page === "404.html" ? 404 : 200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
    res.end(html);
  }

  const server = createServer(async (req, res) => {
    const origin = `http://${req.headers.host}`;
    const url = new URL(req.url, origin);
    if (log) console.log(req.method, url.pathname + url.search);
    try {
      if (url.pathname === prefix.slice(0, -1)) {
        res.writeHead(301, { Location: prefix, "Cache-Control": "no-store" });
        return res.end();
      }
      if (url.pathname.startsWith(`${prefix}api/`)) return await api(req, res, url.pathname.slice(prefix.length + 4), url, origin);
      if (url.pathname.startsWith(prefix)) return await asset(req, res, decodeURIComponent(url.pathname.slice(prefix.length)));
      return await storefront(res, url);
    } catch (e) {
      console.error(e);
      if (!res.headersSent) send(res, 500, { error: `the mock failed: ${e.message}` });
      else res.end();
    }
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const base = `http://${host}:${address.port}`;
  return {
    url: base,
    consoleUrl: `${base}${prefix}`,
    prefix,
    state,
    token,
    /** Publishes `document` as someone else would (for conflict tests). */
    publishAs(author, document, message) {
      if (document !== undefined) state.draft = { document, author, time: now() };
      const before = head()?.document;
      const text = state.draft?.document ?? before;
      const meta = addRevision(text, author, message);
      audit(author, "publish", meta.number, summarize(before, text));
      return meta;
    },
    close: () => new Promise((resolve) => {
      clearTimeout(timer);
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] && !process.argv[i + 1].startsWith("--") ? process.argv[i + 1] : fallback;
}

if (import.meta.url === pathToFileURL(process.argv[1] || "").href) {
  const s = await startDevServer({
    port: Number(arg("port", process.env.PORT || 8788)),
    host: arg("host", "127.0.0.1"),
    prefix: arg("prefix", "/__veneer/"),
    access: process.argv.includes("--access"),
    fillMeta: process.argv.includes("--fill-meta"),
    log: process.argv.includes("--log"),
    seed: withDemoExperiments(),
  });
  console.log(`Veneer console (mock API) at ${s.consoleUrl}  token: ${s.token}${process.argv.includes("--access") ? " (Access mode: no sign-in)" : ""}`);
}
