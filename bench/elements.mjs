// The element-only workload of bench/edge.mjs: 20 element edits on the product listing pages
// of bench/pages.mjs (LISTING_PAGES), the most common kind of campaign. One list, three forms:
//   - a Veneer rules document                      elementsRules()
//   - the edits for the native-HTMLRewriter worker  bench/workers/native-elements.mjs reads EDITS
//   - a GrowthBook payload (a visual-editor experiment whose one live variation carries the same
//     edits as DOM mutations) for GrowthBook's edge app, bench/workers/growthbook.mjs
// bench/edge.mjs checks before timing that all three produce the same document.
import { listingSku } from "./pages.mjs";

const PICKS = [2, 5, 9, 13, 17, 21, 25, 29, 33, 37].map((n) => listingSku(n - 1));
const REPRICED = [3, 7, 11, 15, 19].map((n) => listingSku(n - 1));

/**
 * The 20 edits: set the HTML of the heading and the promo bar, add a class to 10 product tiles
 * picked by [data-sku=…], set the price text of 5 tiles, set the footer's HTML, change one link's
 * href, add a class to the listing. Each is {select, html | text | addClass | attr: [name, value]}.
 */
export const EDITS = [
  { select: "main h1", html: "Black Friday: <em>30% off</em> trail shoes" },
  { select: ".promo-bar p", html: "<strong>Black Friday:</strong> 30% off all trail shoes" },
  ...PICKS.map((sku) => ({ select: `[data-sku="${sku}"]`, addClass: "bf-pick" })),
  ...REPRICED.map((sku) => ({ select: `[data-sku="${sku}"] .price`, text: "€89.90" })),
  { select: ".site-footer .footer-inner p", html: '© 2026 Switchback Supply · <a href="/black-friday">Black Friday terms</a>' },
  { select: ".cart-link", attr: ["href", "/cart?from=black-friday"] },
  { select: ".product-grid", addClass: "is-sale" },
];

/** What must be in every rewritten listing page: [what, needle, count]. */
export function expectedElementEdits() {
  return [
    ["heading set_html", "<h1>Black Friday: <em>30% off</em> trail shoes</h1>", 1],
    ["promo set_html", "<p><strong>Black Friday:</strong> 30% off all trail shoes</p>", 1],
    ["picked tiles add_class", 'class="product-tile bf-pick"', PICKS.length],
    ["prices set_text", ">€89.90</p>", REPRICED.length],
    ["footer set_html", '<a href="/black-friday">Black Friday terms</a></p>', 1],
    ["cart link href", 'href="/cart?from=black-friday"', 1],
    ["listing add_class", 'class="product-grid is-sale"', 1],
  ];
}

const action = (e) =>
  e.html !== undefined
    ? { select: e.select, set_html: e.html }
    : e.text !== undefined
      ? { select: e.select, set_text: e.text }
      : e.addClass !== undefined
        ? { select: e.select, add_class: e.addClass }
        : { select: e.select, set_attribute: { [e.attr[0]]: e.attr[1] } };

/** The edits as a Veneer rules document: the campaign's rules as a marketer would group them. */
export function elementsRules() {
  const group = (id, from, to) => ({ id, pages: ["/l/*"], actions: EDITS.slice(from, to).map(action) });
  return {
    version: "bench-elements-20",
    rules: [group("bf-heading", 0, 1), group("bf-promo", 1, 2), group("bf-picks", 2, 12), group("bf-prices", 12, 17), group("bf-footer", 17, 18), group("bf-cart-link", 18, 19), group("bf-listing", 19, 20)],
  };
}

const escapeText = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The edits as GrowthBook DOM mutations (its visual editor's form). */
function domMutations() {
  return EDITS.map((e) =>
    e.html !== undefined
      ? { selector: e.select, action: "set", attribute: "html", value: e.html }
      : e.text !== undefined
        ? { selector: e.select, action: "set", attribute: "html", value: escapeText(e.text) }
        : e.addClass !== undefined
          ? { selector: e.select, action: "append", attribute: "class", value: e.addClass }
          : { selector: e.select, action: "set", attribute: e.attr[0], value: e.attr[1] },
  );
}

/**
 * A GrowthBook SDK payload with one visual-editor experiment on the listing pages whose only live
 * variation (weights 0/1, full coverage: every visitor is in it) makes the 20 edits.
 */
export function growthbookPayload() {
  return {
    features: {},
    experiments: [
      {
        key: "bf-2026-listing",
        changeId: "bf-2026-listing-visual",
        status: "running",
        hashAttribute: "id",
        hashVersion: 2,
        urlPatterns: [{ type: "simple", include: true, pattern: "/l/*" }],
        weights: [0, 1],
        coverage: 1,
        variations: [{ domMutations: [] }, { domMutations: domMutations() }],
        meta: [{ key: "0" }, { key: "1" }],
      },
    ],
  };
}
