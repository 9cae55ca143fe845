// The console's JSON API (docs/console.md): every call goes to `<prefix>api/<path>`.
// Errors carry the API's own `error` text; a 401 from any call shows the sign-in screen.

import { prefix } from "./prefix.js";

export class ApiError extends Error {
  constructor(status, body, message) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

let unauthorized = () => {};

/** Called with the API's message whenever a call answers 401. */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

export function apiUrl(path) {
  return `${prefix()}api/${path}`;
}

/**
 * Calls the API. Answers `{status, data}` for 2xx and for the statuses in `accept` (such as 422
 * for "saved with problems"); throws an ApiError otherwise.
 */
export async function api(method, path, body, { accept = [] } = {}) {
  const init = { method, credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } };
  // Every request that changes something carries a JSON body (the API refuses it otherwise).
  if (body !== undefined || method !== "GET") {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body ?? {});
  }
  let response;
  try {
    response = await fetch(apiUrl(path), init);
  } catch (e) {
    throw new ApiError(0, null, `Could not reach the console's server (${e.message}). Check the connection and try again.`);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  const message = (data && typeof data.error === "string" && data.error) || `${method} ${path}: HTTP ${response.status} ${response.statusText}`.trim();
  if (response.status === 401 && path !== "session") {
    unauthorized(message);
    throw new ApiError(401, data, message);
  }
  if (response.ok || accept.includes(response.status)) return { status: response.status, data };
  throw new ApiError(response.status, data, message);
}

export const get = (path, opts) => api("GET", path, undefined, opts);
export const post = (path, body, opts) => api("POST", path, body, opts);
export const put = (path, body, opts) => api("PUT", path, body, opts);
export const del = (path, opts) => api("DELETE", path, {}, opts);
