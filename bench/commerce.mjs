// The commerce workload of bench/edge.mjs (`--commerce`): the 200-tile category page of
// bench/pages.mjs (COMMERCE_PAGE, the native benchmark's page) merchandised with a pin of 3 SKUs,
// a badge on 3 and a hide of 3, against the same page with the listing defined and no rule.
// The listing and the rules are those of benches/veneer.rs (`commerce`).

/** The site's listing settings: the grid, its tiles and their key. */
export const LISTINGS = {
  grid: { container: "ul.product-grid", tile: ".product-tile", key: { attribute: "data-sku" }, price: ".price" },
};

export const PINNED = ["SKU-150", "SKU-99", "SKU-7"];
export const BADGED = ["SKU-3", "SKU-150", "SKU-42"];
export const HIDDEN = ["SKU-10", "SKU-11", "SKU-12"];
const BADGE = '<span class="badge">Sale</span>';

/** The merchandising rules document: pin 3 + badge 3 + hide 3. */
export function commerceRules() {
  return {
    version: "bench-commerce",
    settings: { listings: LISTINGS },
    rules: [
      { id: "pin", actions: [{ pin: { products: PINNED } }] },
      { id: "badge", actions: [{ badge: { products: BADGED, into: ".badge-slot", html: BADGE } }] },
      { id: "hide", actions: [{ hide: { products: HIDDEN } }] },
    ],
  };
}

/** The same site without rules: the listing defined, `"rules": []`. */
export function commerceEmptyRules() {
  return { version: "bench-commerce-none", settings: { listings: LISTINGS }, rules: [] };
}

/** The same site with one plain rule (a set_text on the heading): the cost of any rewriting. */
export function commerceOneRule() {
  return { version: "bench-commerce-one", settings: { listings: LISTINGS }, rules: [{ id: "h1", actions: [{ select: "h1", set_text: "Trail shoes" }] }] };
}

/**
 * What is wrong with a merchandised page (`html`, of the origin's `tiles` tiles), or "" when the
 * pinned SKUs open the grid in order, the hidden ones are gone, every other tile is there once and
 * the badge sits in the badge slot of each badged tile.
 */
export function commerceProblems(html, tiles) {
  const skus = [...html.matchAll(/<li class="product-tile" data-sku="([^"]+)"/g)].map((m) => m[1]);
  const problems = [];
  if (skus.slice(0, PINNED.length).join() !== PINNED.join()) problems.push(`the grid opens with ${skus.slice(0, 5).join(", ")}, not ${PINNED.join(", ")}`);
  for (const sku of HIDDEN) if (html.includes(`data-sku="${sku}"`)) problems.push(`hidden ${sku} is still there`);
  if (skus.length !== tiles - HIDDEN.length) problems.push(`${skus.length} tiles, expected ${tiles - HIDDEN.length}`);
  if (new Set(skus).size !== skus.length) problems.push("a tile appears twice");
  for (const sku of BADGED) {
    const start = html.indexOf(`data-sku="${sku}"`);
    const tile = start < 0 ? "" : html.slice(start, html.indexOf("</li>", start));
    if (!tile.includes(`<span class="badge-slot">${BADGE}</span>`)) problems.push(`no badge in ${sku}'s tile`);
  }
  if (html.split(BADGE).length - 1 !== BADGED.length) problems.push(`${html.split(BADGE).length - 1} badges, expected ${BADGED.length}`);
  return problems.join("; ");
}
