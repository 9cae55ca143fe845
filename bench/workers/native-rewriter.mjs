// (e) The yardstick for Veneer's CPU: a hand-written JavaScript worker that makes exactly the
// edits of bench/rules.json with the runtime's native HTMLRewriter (lol_html in C++/Rust inside
// workerd), with no rules engine, no KV and no targeting. Handlers are registered in the order
// Veneer registers them (element actions in rule order, then links, <head>, <body>, text), and
// each one does what Veneer's does (src/render/, src/policy.rs), so the
// two outputs are identical; bench/edge.mjs checks that before measuring.
//
// The VARIANT binding selects a cut-down version for the benchmark's breakdown of where CPU goes:
// "full" (default), "no-text" (without the two replace_text rules) or "one-selector" (a single
// element handler whose selector matches nothing: the cost of parsing alone).

const PROMO_HTML = "<strong>Black Friday:</strong> 30% off all trail shoes";
const HEAD_HTML =
  "<style>.badge-bestseller{background:#b00020;color:#fff}.vat{font-size:.8em;color:#666}</style>" +
  '<script src="/assets/campaign.js" defer></script>';
const BODY_HTML = '<div class="veneer-notice" role="status">Orders placed before 3 pm ship today.</div>';
const LINK_PREFIX = "/c/";
const ADD_QUERY = [["utm_source", "veneer"], ["utm_campaign", "bf-2026"]];
// Veneer skips text of these (textarea, template by selector; the others by lol_html text type).
const SKIPPED = "textarea, template, script, style, xmp, iframe, noembed, noframes, noscript, plaintext";
const RETURNS = /Free returns within (\d+) days/g;

function addClass(el, add) {
  const classes = (el.getAttribute("class") ?? "").split(/[ \t\n\f\r]+/).filter(Boolean);
  for (const c of add) if (!classes.includes(c)) classes.push(c);
  el.setAttribute("class", classes.join(" "));
}

function setStyle(el, props) {
  const decls = [];
  for (const d of (el.getAttribute("style") ?? "").split(";")) {
    const colon = d.indexOf(":");
    if (colon < 0) continue;
    const k = d.slice(0, colon).trim().toLowerCase();
    if (k) decls.push([k, d.slice(colon + 1).trim()]);
  }
  for (const [prop, value] of props) {
    const slot = decls.find(([k]) => k === prop);
    if (slot) slot[1] = value;
    else decls.push([prop, value]);
  }
  el.setAttribute("style", decls.map(([k, v]) => `${k}: ${v}`).join("; "));
}

function rewriteLink(el) {
  const href = el.getAttribute("href");
  if (href === null || !href.startsWith(LINK_PREFIX)) return;
  const hash = href.indexOf("#");
  let base = hash < 0 ? href : href.slice(0, hash);
  const fragment = hash < 0 ? "" : href.slice(hash);
  for (const [name, value] of ADD_QUERY) {
    const q = base.indexOf("?");
    const query = q < 0 ? "" : base.slice(q + 1);
    if (!query.split("&").some((pair) => pair.split("=")[0] === name)) {
      base += (q < 0 ? "?" : "&") + name + "=" + value;
    }
  }
  const url = base + fragment;
  if (url !== href) el.setAttribute("href", url);
}

function replaceText(text) {
  return text.replaceAll("€129.00", "€99.00").replace(RETURNS, "Free returns until 31 January (usually $1 days)");
}

function rewriter(variant) {
  if (variant === "one-selector") return new HTMLRewriter().on("#veneer-bench-no-match", { element() {} });
  let nonce = null;
  let held = "";
  let skipped = false;
  const html = { html: true };
  const r = new HTMLRewriter()
    .on(".promo-bar p", { element: (el) => el.setInnerContent(PROMO_HTML, html) })
    .on(".promo-bar", { element: (el) => setStyle(el, [["background-color", "#b00020"], ["color", "#fff"]]) })
    .on(".hero h1", { element: (el) => el.setInnerContent("Black Friday on the trail") })
    .on(".hero .hero-sub", { element: (el) => el.setInnerContent("30% off every trail shoe until Monday night.") })
    .on(".hero a.cta", {
      element(el) {
        el.setAttribute("href", "/c/shoes?sale=black-friday");
        el.setAttribute("data-campaign", "black-friday");
      },
    })
    .on(".product-tile", { element: (el) => addClass(el, ["bf-2026"]) })
    .on('[data-sku="TR-2041"] .badge-slot', {
      element: (el) => el.setInnerContent('<span class="badge badge-bestseller">Bestseller</span>', html),
    })
    .on('[data-sku="TR-2102"] .badge-slot', {
      element: (el) => el.setInnerContent('<span class="badge badge-new">New</span>', html),
    })
    .on('[data-sku="TR-2041"] .price', { element: (el) => el.before('<s class="was">€149.00</s> ', html) })
    .on(".product-tile .price", { element: (el) => el.after('<span class="vat">incl. VAT</span>', html) })
    .on(".product-tile img", {
      element(el) {
        el.setAttribute("loading", "lazy");
        el.setAttribute("decoding", "async");
      },
    })
    .on(".category-banner", { element: (el) => el.remove() })
    .on(".main-nav ul", { element: (el) => el.append('<li><a class="nav-sale" href="/c/sale">Sale</a></li>', html) })
    .on("#search-q", { element: (el) => el.setAttribute("placeholder", "Search the Black Friday sale") })
    .on("a[href]", { element: rewriteLink })
    .on("script[nonce], style[nonce]", {
      element(el) {
        if (nonce === null) nonce = el.getAttribute("nonce") || null;
      },
    })
    .on("head", {
      element(el) {
        el.onEndTag((end) => {
          const withNonce =
            nonce === null ? HEAD_HTML : HEAD_HTML.replace(/<(script|style)(?=[\s>/])/gi, `$& nonce="${nonce.replaceAll('"', "&quot;")}"`);
          end.before(withNonce, html);
        });
      },
    })
    .on("body", { element: (el) => el.append(BODY_HTML, html) });
  if (variant === "no-text") return r;
  // replace_text: every text node of the page, held back while it arrives in pieces (as Veneer).
  return r
    .on(SKIPPED, {
      text() {
        skipped = true;
      },
    })
    .onDocument({
      text(chunk) {
        const skip = skipped;
        skipped = false;
        const last = chunk.lastInTextNode;
        if (skip) {
          if (held) {
            chunk.before(held, html);
            held = "";
          }
          return;
        }
        if (!held && last) {
          const text = chunk.text;
          const out = replaceText(text);
          if (out !== text) chunk.replace(out, html);
          return;
        }
        held += chunk.text;
        if (last) {
          chunk.replace(replaceText(held), html);
          held = "";
        } else {
          chunk.remove();
        }
      },
      end(end) {
        if (held) end.append(held, html);
        held = "";
      },
    });
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const response = await fetch(new URL(url.pathname + url.search, env.ORIGIN), request);
    const type = response.headers.get("content-type") ?? "";
    if (request.method !== "GET" || response.status !== 200 || !/^text\/html/i.test(type)) return response;
    const headers = new Headers(response.headers);
    headers.delete("content-length");
    const etag = headers.get("etag");
    if (etag && !etag.startsWith("W/")) headers.delete("etag");
    // Some rules target an audience: the page is personal (as src/policy.rs does it).
    const cc = (headers.get("cache-control") ?? "").split(",").map((d) => d.trim()).filter(Boolean);
    if (!cc.some((d) => /^(no-store|private)$/i.test(d))) {
      headers.set("cache-control", ["private", ...cc.filter((d) => !/^(public|s-maxage)/i.test(d))].join(", "));
    }
    headers.set("x-promo", "bf-2026");
    const rewritten = rewriter(env.VARIANT).transform(response);
    return new Response(rewritten.body, { status: response.status, statusText: response.statusText, headers });
  },
};
