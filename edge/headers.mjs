// Headers across the JS/wasm boundary in one call each way (src/edge/runtime.rs imports this
// file): reading them entry by entry from the wasm took several calls a header, for the
// visitor's request and the origin's response of every rewritten page.
//
// The text is one "name:value" line per header. A header name never holds ":" or a line break,
// and the runtime's Headers refuse a value with a line break, so the lines read back exactly.

/**
 * Every line of `headers` as text. Set-Cookie lines come from `getSetCookie()`, in the origin's
 * order: the runtime's iteration sorts names with an unstable sort, which scrambles their order
 * once there are more than a few dozen (tests/edge/faults.test.mjs, 300 lines).
 */
export function headerLines(headers) {
  const cookies = typeof headers.getSetCookie === "function" ? headers.getSetCookie() : null;
  let text = "";
  for (const [name, value] of headers) {
    if (cookies === null || name !== "set-cookie") text += `${name}:${value}\n`;
  }
  for (const cookie of cookies ?? []) text += `set-cookie:${cookie}\n`;
  return text;
}

/** Headers made from `headerLines`-style text, in its order; an error names the header. */
export function headersFromLines(text) {
  const headers = new Headers();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon);
    try {
      headers.append(name, line.slice(colon + 1));
    } catch (error) {
      throw new TypeError(`the runtime refused header "${name}": ${error.message}`);
    }
  }
  return headers;
}
