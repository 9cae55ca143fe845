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

/**
 * Whether the request is for the marketer console (the same rule as `ConsoleSettings::owns` in
 * src/edge/console_settings.rs): a console request never goes to the origin, not even after a
 * crash. The console's module has the last word: it answers `null` when the console turns out to
 * be off (an ACCESS_TEAM_DOMAIN that is not a domain), and the request is then the shop's.
 */
function isConsole(request, env) {
  const set = (name) => String(env[name] ?? "").trim() !== "";
  const on = set("VENEER_ADMIN_TOKEN") || (set("ACCESS_TEAM_DOMAIN") && set("ACCESS_AUD"));
  if (!on) return false;
  const configured = String(env.CONSOLE_PATH ?? "").trim().replace(/\/+$/, "");
  const prefix = /^\/[A-Za-z0-9\/\-_.~]+$/.test(configured) ? configured : "/__veneer";
  const path = new URL(request.url).pathname;
  // Veneer's script reports goals here (COLLECT_PATH in src/recording/collect.rs): the shop's.
  if (path === COLLECT_PATH) return false;
  return path === prefix || path.startsWith(`${prefix}/`);
}

// Headers no visitor may send on to the origin (UNKEYED_OVERRIDES in src/edge/origin.rs).
const UNKEYED_OVERRIDES = ["x-forwarded-host", "x-host", "x-forwarded-server", "x-forwarded-scheme",
  "x-original-url", "x-rewrite-url", "x-http-method-override", "x-http-method", "x-method-override",
  "forwarded"];

/** The request the origin would have got from Veneer: same method, headers, body; manual redirects. */
function originRequest(request, env) {
  const headers = new Headers(request.headers);
  for (const name of UNKEYED_OVERRIDES) headers.delete(name);
  if (!env.ORIGIN) return new Request(request, { headers, redirect: "manual" });
  const incoming = new URL(request.url);
  const target = new URL(env.ORIGIN);
  target.pathname = incoming.pathname;
  target.search = incoming.search;
  headers.delete("host");
  headers.set("x-forwarded-host", incoming.host);
  return new Request(target, { method: request.method, headers, body: request.body, redirect: "manual" });
}

// A Rust panic aborts the Wasm instance; a request awaiting it would then never settle. The
// runtime reports the abort as an error event, which fails over every request still waiting.
const waiting = new Set();
const failOver = (event) => {
  for (const reject of waiting) reject(event.error ?? event.reason ?? new Error("worker crashed"));
};
addEventListener("error", failOver);
addEventListener("unhandledrejection", failOver);

export default class extends WorkerEntrypoint {
  async fetch(request) {
    if (isConsole(request, this.env)) {
      const answer = await this.console(request);
      if (answer) return answer;
    }
    // A body can be read once; keep a copy for the retry only when there is one.
    const spare = request.body ? request.clone() : request;
    // Route mode: should even the retry below throw, the runtime still sends the request on.
    if (!this.env.ORIGIN) this.ctx.passThroughOnException();
    return this.guarded(
      request,
      "worker_crashed",
      () => new Veneer(this.ctx, this.env).fetch(request),
      () => fetch(originRequest(spare, this.env)),
    );
  }

  /**
   * A console request: the console module's answer (`null`: the console is off after all), or a
   * JSON 500 should it crash or fail to load (never the origin).
   */
  async console(request) {
    return this.guarded(
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

  /**
   * `answer()`, a wasm module's answer to `request`, or `fallback()`'s should it crash (a panic,
   * an instance that traps, a module that does not load): one log line `event` says why.
   */
  async guarded(request, event, answer, fallback) {
    let reject;
    const crashed = new Promise((_, r) => (reject = r));
    waiting.add(reject);
    try {
      return await Promise.race([answer(), crashed]);
    } catch (error) {
      console.log(JSON.stringify({
        veneer: event,
        detail: String(error && error.message ? error.message : error),
        rules_version: null,
        path: new URL(request.url).pathname,
      }));
      return fallback();
    } finally {
      waiting.delete(reject);
    }
  }
}
