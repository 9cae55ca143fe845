// The request Veneer sends on to the origin, made here for both callers: the shop's wasm module
// on every request (src/edge/origin.rs imports this file), and edge/entry.mjs when it retries a
// request after a crash. One JavaScript call from the wasm instead of one per header: a page
// without rules pays for little else (docs/performance.md, "Rules-free pages").

/**
 * Request headers a visitor may not send on to the origin: headers that make many origins and
 * frameworks take another host, scheme, URL or method than the request's own, and that caches do
 * not key on, so one visitor could poison a page cached for everyone (docs/hardening.md). In
 * ORIGIN mode Veneer sets `X-Forwarded-Host` itself (the visitor's authority); in route mode the
 * runtime's own request line and `Host` stand.
 */
export const UNKEYED_OVERRIDES = ["x-forwarded-host", "x-host", "x-forwarded-server", "x-forwarded-scheme",
  "x-original-url", "x-rewrite-url", "x-http-method-override", "x-http-method", "x-method-override",
  "forwarded"];

/**
 * The `fetch` options that send the visitor's `request` on to the origin: the same method,
 * headers and body, with manual redirects, less UNKEYED_OVERRIDES. `target` is the URL under
 * ORIGIN (`fetch(target, init)`), where it goes without `Host` and with `X-Forwarded-Host:
 * forwardedHost`; `undefined` in route mode (`fetch(request, init)`). The console's credentials
 * come off when asked: `cookie`, when a string, is the Cookie header to send instead ("" for
 * none), and `dropAuthorization` drops Authorization. Options, not a `Request`: `fetch` makes one
 * from them anyway, and making it twice is a page's largest cost here.
 */
export function originInit(request, target, forwardedHost, cookie, dropAuthorization) {
  const incoming = request.headers;
  // A route-mode request with nothing to take off goes on with its own headers: no copy.
  if (target === undefined && cookie === undefined && !dropAuthorization && !UNKEYED_OVERRIDES.some((n) => incoming.has(n))) {
    return { redirect: "manual" };
  }
  const headers = new Headers(incoming);
  for (const name of UNKEYED_OVERRIDES) headers.delete(name);
  if (dropAuthorization) headers.delete("authorization");
  if (cookie === "") headers.delete("cookie");
  else if (cookie !== undefined) headers.set("cookie", cookie);
  if (target === undefined) return { headers, redirect: "manual" };
  headers.delete("host");
  headers.set("x-forwarded-host", forwardedHost);
  return { method: request.method, headers, body: request.body, redirect: "manual" };
}
