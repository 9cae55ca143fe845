// Veneer's entry point in the Workers runtime. `make wasm` builds two Rust wasm modules: the
// shop's (build/index.js + index_bg.wasm: visitors' pages, previews, /__veneer/collect), imported
// here, and the console's (edge/console/: the marketer console's API and UI, and the publisher
// Durable Object), imported only when a console request or the Durable Object needs it, so a
// visitor's request never instantiates it (the runtime still compiles every wasm module of the
// upload when the worker starts: docs/performance.md, "Cold start"). wrangler uploads the console's files as
// modules of their own beside this one (find_additional_modules in wrangler.toml), so the
// specifier below is the same in this folder and in the upload.
//
// Both are wrapped so that even a crash inside them gives the visitor the origin's page (and a
// console request a JSON 500). Rust code does not panic by design; if it ever does, the runtime
// would answer with an error page of its own. Here the request is sent on to the origin instead
// (in route mode as well as in ORIGIN mode, where the runtime's passThroughOnException could not
// reach the origin), and one structured log line says so. The next request gets a fresh Wasm
// instance.
import { WorkerEntrypoint } from "cloudflare:workers";
import Veneer from "../build/index.js";
import { originInit } from "./origin.mjs";

/** The console's module, imported once, on first use (a failed import is tried again later). */
let consoleModule;
function loadConsole() {
  consoleModule ??= import("./console/index.js").catch((error) => {
    consoleModule = undefined;
    throw error;
  });
  return consoleModule;
}

/**
 * The Durable Object that serializes publishes (binding PUBLISHER; src/edge/console/publisher.rs).
 * The real one is in the console's module: this stand-in imports it on the first call and hands
 * every call to it.
 */
export class VeneerPublisher {
  constructor(state, env) {
    this.state = state;
    this.env = env;
  }

  /** The console module's publisher for this object, made once. */
  publisher() {
    this.real ??= loadConsole()
      .then((module) => new module.VeneerPublisher(this.state, this.env))
      .catch((error) => {
        this.real = undefined;
        throw error;
      });
    return this.real;
  }

  async fetch(request) {
    return (await this.publisher()).fetch(request);
  }

  async alarm(...args) {
    return (await this.publisher()).alarm(...args);
  }
}

/** Where Veneer's script reports goals: a visitor's request, under the console's default prefix. */
const COLLECT_PATH = "/__veneer/collect";

/** Whether the console is on: a sign-in is configured (`ConsoleSettings` in src/edge/console_settings.rs). */
function consoleOn(env) {
  const set = (name) => String(env[name] ?? "").trim() !== "";
  return set("VENEER_ADMIN_TOKEN") || (set("ACCESS_TEAM_DOMAIN") && set("ACCESS_AUD"));
}

/**
 * Whether the request is for the marketer console (the same rule as `ConsoleSettings::owns` in
 * src/edge/console_settings.rs): a console request never goes to the origin, not even after a
 * crash. The console's module has the last word: it answers `null` when the console turns out to
 * be off (an ACCESS_TEAM_DOMAIN that is not a domain), and the request is then the shop's.
 */
function isConsole(request, env) {
  if (!consoleOn(env)) return false;
  const configured = String(env.CONSOLE_PATH ?? "").trim().replace(/\/+$/, "");
  const prefix = /^\/[A-Za-z0-9\/\-_.~]+$/.test(configured) ? configured : "/__veneer";
  const path = new URL(request.url).pathname;
  // Veneer's script reports goals here (COLLECT_PATH in src/recording/collect.rs): the shop's.
  if (path === COLLECT_PATH) return false;
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** The console's session cookie (SESSION_COOKIE in src/console/session.rs). */
const SESSION_COOKIE = "veneer_console";

/**
 * The origin's response to the request as Veneer would have sent it (`originInit`, as the shop's
 * module does), for the retry after a crash. With the console on, the console's credentials
 * never reach the origin: not its session cookie (the other cookies stay) and not Authorization.
 */
function retry(request, env) {
  let cookie;
  let dropAuthorization = false;
  if (consoleOn(env)) {
    dropAuthorization = request.headers.has("authorization");
    const pairs = (request.headers.get("cookie") ?? "").split(";");
    const isSession = (pair) => pair.split("=")[0].trim() === SESSION_COOKIE && pair.includes("=");
    if (pairs.some(isSession)) {
      cookie = pairs.filter((pair) => !isSession(pair) && pair.trim() !== "").map((pair) => pair.trim()).join("; ");
    }
  }
  if (!env.ORIGIN) return fetch(request, originInit(request, undefined, "", cookie, dropAuthorization));
  const incoming = new URL(request.url);
  const target = new URL(env.ORIGIN);
  target.pathname = incoming.pathname;
  target.search = incoming.search;
  return fetch(target.href, originInit(request, target.href, incoming.host, cookie, dropAuthorization));
}

// A Rust panic aborts the Wasm instance; a request awaiting it would then never settle. The
// runtime reports the abort as an error event, which fails over every request still waiting.
const waiting = new Set();
const failOver = (event) => {
  for (const fail of waiting) fail(event.error ?? event.reason ?? new Error("worker crashed"));
};
addEventListener("error", failOver);
addEventListener("unhandledrejection", failOver);

/**
 * `answer()`, a wasm module's answer to `request`, or `fallback()`'s should it crash (a panic, an
 * instance that traps, a module that does not load): one log line `event` says why. Promises and
 * callbacks, not async functions: every request pays for this, and each async layer costs a page
 * without rules microseconds (docs/performance.md, "Rules-free pages").
 */
function guarded(request, event, answer, fallback) {
  return new Promise((resolve, reject) => {
    const fail = (error) => {
      if (!waiting.delete(fail)) return;
      console.log(JSON.stringify({
        veneer: event,
        detail: String(error && error.message ? error.message : error),
        rules_version: null,
        path: new URL(request.url).pathname,
      }));
      try {
        resolve(fallback());
      } catch (error) {
        reject(error);
      }
    };
    waiting.add(fail);
    try {
      Promise.resolve(answer()).then((response) => {
        if (waiting.delete(fail)) resolve(response);
      }, fail);
    } catch (error) {
      fail(error);
    }
  });
}

/**
 * The shop module's `fetch`, called on its prototype with `env` and `ctx`: `new Veneer(ctx, env)`
 * would wrap the instance and the method in proxies on every request (about 10 µs of a page
 * without rules). Each call of the glue re-creates an instance that trapped (the failopen tests
 * check that the request after a panic is rewritten again).
 */
const shopFetch = Veneer.prototype.fetch;

export default class extends WorkerEntrypoint {
  fetch(request) {
    return isConsole(request, this.env) ? this.consoleFirst(request) : this.page(request);
  }

  /** A shop request: the shop module's answer, or the origin's should it crash. */
  page(request) {
    // A body can be read once; keep a copy for the retry only when there is one.
    const spare = request.body ? request.clone() : request;
    // Route mode: should even the retry below throw, the runtime still sends the request on.
    if (!this.env.ORIGIN) this.ctx.passThroughOnException();
    return guarded(
      request,
      "worker_crashed",
      () => shopFetch.call({ env: this.env, ctx: this.ctx }, request),
      () => retry(spare, this.env),
    );
  }

  /** A console request: the console's answer, or the shop's when the console turns out to be off. */
  async consoleFirst(request) {
    const answer = await this.console(request);
    return answer ?? this.page(request);
  }

  /**
   * A console request: the console module's answer (`null`: the console is off after all), or a
   * JSON 500 should it crash or fail to load (never the origin).
   */
  console(request) {
    return guarded(
      request,
      "console_crashed",
      async () => {
        const { default: Console } = await loadConsole();
        return new Console(this.ctx, this.env).consoleFetch(request, this.env, this.shop());
      },
      () =>
        Response.json(
          { error: "the console crashed on this request; the worker's logs (console_crashed) say why" },
          { status: 500, headers: { "cache-control": "no-store" } },
        ),
    );
  }

  /**
   * The shop's module as the console's module sees it (`Shop` in src/edge/console/shop.rs): the
   * rules cache that serves this isolate's pages.
   */
  shop() {
    const shop = new Veneer(this.ctx, this.env);
    return {
      forgetRules: (key) => shop.forgetRules(key),
      servingRevision: (key) => shop.servingRevision(this.env, key),
    };
  }
}
