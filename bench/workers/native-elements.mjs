// The element-only workload's yardstick: a JavaScript worker making bench/elements.mjs's 20
// edits with the runtime's native HTMLRewriter (lol_html compiled into workerd), one handler per
// edit, as a hand-written worker chains `.on(selector, …)`. EDITS (a JSON text binding) is the
// edit list; it is parsed once per isolate.
let edits;

function addClass(el, add) {
  const classes = (el.getAttribute("class") ?? "").split(/[ \t\n\f\r]+/).filter(Boolean);
  if (!classes.includes(add)) classes.push(add);
  el.setAttribute("class", classes.join(" "));
}

function rewriter() {
  let r = new HTMLRewriter();
  for (const e of edits) {
    let element;
    if (e.html !== undefined) element = (el) => el.setInnerContent(e.html, { html: true });
    else if (e.text !== undefined) element = (el) => el.setInnerContent(e.text);
    else if (e.addClass !== undefined) element = (el) => addClass(el, e.addClass);
    else element = (el) => el.setAttribute(e.attr[0], e.attr[1]);
    r = r.on(e.select, { element });
  }
  return r;
}

export default {
  async fetch(request, env) {
    edits ??= JSON.parse(env.EDITS);
    const url = new URL(request.url);
    const response = await fetch(new URL(url.pathname + url.search, env.ORIGIN), request);
    const type = response.headers.get("content-type") ?? "";
    if (request.method !== "GET" || response.status !== 200 || !/^text\/html/i.test(type)) return response;
    const headers = new Headers(response.headers);
    headers.delete("content-length");
    const etag = headers.get("etag");
    if (etag && !etag.startsWith("W/")) headers.delete("etag");
    const rewritten = rewriter().transform(response);
    return new Response(rewritten.body, { status: response.status, statusText: response.statusText, headers });
  },
};
