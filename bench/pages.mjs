// The benchmark's storefront pages: ~20 KB, ~200 KB and ~2 MB of HTML, built deterministically
// from the demo storefront (fixtures/storefront/*.html: header, promo bar, hero, product tiles,
// footer) and real-world HTML (/work/shared/corpus/*.html, lol_html's own benchmark pages),
// so that the benchmark rules (bench/rules.json) match on every page.
//
// Layout of every page (same density of matching elements per byte at every size):
//
//   <head> of the category page
//   header, promo bar, breadcrumb, hero (from the home page), category banner, a USP list,
//   result count, product grid of 8 tiles,
//   then, until the target size: an <article class="editorial"> holding the next ~20 KB of
//   corpus <body> content (cut only at a block-level start tag outside comments, raw-text
//   elements, <template>, <svg> and <math>), followed by another grid of 8 tiles (SKUs
//   suffixed, so `[data-sku="TR-2041"]` matches only the first grid),
//   footer.
import { readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const CORPUS_DIR = process.env.VENEER_BENCH_CORPUS ?? "/work/shared/corpus";
const CORPUS_FILES = ["cloudflare.com.html", "ecma402-spec.html", "html-parsing-spec.html"];

/** The three pages: path on the origin and target size in bytes. */
export const PAGES = [
  { name: "20KB", path: "/c/shoes-20k", target: 20 * 1024 },
  { name: "200KB", path: "/c/shoes-200k", target: 200 * 1024 },
  { name: "2MB", path: "/c/shoes-2m", target: 2 * 1024 * 1024 },
];

/** Served too, but only used to see whether memory grows with the page (one request each). */
export const MEMORY_PAGE = { name: "20MB", path: "/c/shoes-20m", target: 20 * 1024 * 1024 };

const CHUNK = 20 * 1024; // corpus bytes between two product grids

function storefront(file) {
  return readFileSync(`${ROOT}fixtures/storefront/${file}`, "utf8");
}

function pick(html, re, what) {
  const m = html.match(re);
  if (!m) throw new Error(`bench/pages.mjs: ${what} not found in the storefront fixtures`);
  return m[1] ?? m[0];
}

/** The inner HTML of a corpus file's <body>. */
function corpusBody(file) {
  const html = readFileSync(`${CORPUS_DIR}/${file}`, "utf8");
  const open = html.search(/<body[^>]*>/i);
  const start = html.indexOf(">", open) + 1;
  const end = html.toLowerCase().lastIndexOf("</body>");
  return html.slice(start, end > start ? end : html.length);
}

const RAW_TEXT = new Set(["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext"]);
const NESTED = new Set(["template", "svg", "math"]);
const BLOCK = new Set(["p", "div", "section", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "dl", "blockquote", "article", "figure", "pre", "hr", "header", "footer", "nav", "aside"]);

/** Offsets (ascending) of block-level start tags where the content can be cut safely. */
function cutPoints(body) {
  const points = [];
  const lower = body.toLowerCase();
  const nested = new Map();
  let depth = 0;
  let i = 0;
  const tag = /<(\/?)([a-z][a-z0-9-]*)/y;
  while (i < body.length) {
    const lt = body.indexOf("<", i);
    if (lt < 0) break;
    if (body.startsWith("<!--", lt)) {
      const end = body.indexOf("-->", lt + 4);
      i = end < 0 ? body.length : end + 3;
      continue;
    }
    tag.lastIndex = lt;
    const m = tag.exec(lower);
    if (!m) {
      i = lt + 1;
      continue;
    }
    const [, close, name] = m;
    const gt = body.indexOf(">", lt);
    if (!close && RAW_TEXT.has(name) && depth === 0) {
      const end = lower.indexOf(`</${name}`, gt);
      i = end < 0 ? body.length : end + name.length + 2;
      continue;
    }
    if (NESTED.has(name)) {
      const n = (nested.get(name) ?? 0) + (close ? -1 : 1);
      nested.set(name, Math.max(0, n));
      depth = [...nested.values()].reduce((a, b) => a + b, 0);
    } else if (!close && depth === 0 && BLOCK.has(name)) {
      points.push(lt);
    }
    i = gt < 0 ? body.length : gt + 1;
  }
  return points;
}

/** An endless stream of corpus content, handed out in pieces cut at safe points. */
class Corpus {
  constructor() {
    this.bodies = CORPUS_FILES.map((f) => {
      const body = corpusBody(f);
      return { body, points: [...cutPoints(body), body.length] };
    });
    this.index = 0;
    this.offset = 0;
  }

  /** About `bytes` bytes (UTF-8) of content, never crossing a file's end. */
  take(bytes) {
    const { body, points } = this.bodies[this.index % this.bodies.length];
    // Content is mostly ASCII; measure characters, close enough for cut choice.
    const want = this.offset + bytes;
    // The last safe point before `want` (if it leaves at least half), else the first after it.
    const before = points.filter((p) => p > this.offset + bytes / 2 && p <= want).pop();
    const cut = before ?? points.find((p) => p > want) ?? body.length;
    const piece = body.slice(this.offset, cut);
    if (cut >= body.length) {
      this.index += 1;
      this.offset = 0;
    } else {
      this.offset = cut;
    }
    return piece;
  }
}

/** Builds the page for `target` bytes; returns a Buffer (UTF-8). */
export function buildPage(target) {
  const category = storefront("category.html");
  const home = storefront("index.html");
  const head = pick(category, /<head>([\s\S]*?)<\/head>/, "<head>");
  const header = pick(category, /(<header class="site-header">[\s\S]*?<\/header>)/, "site header");
  const promo = pick(category, /(<div class="promo-bar">[\s\S]*?<\/div>)/, "promo bar");
  const breadcrumb = pick(category, /(<nav class="breadcrumb"[\s\S]*?<\/nav>)/, "breadcrumb");
  const hero = pick(home, /(<section class="hero">[\s\S]*?<\/section>)/, "hero");
  const banner = pick(category, /(<div class="category-banner">[\s\S]*?<\/div>)/, "category banner");
  const count = pick(category, /(<p class="result-count">[\s\S]*?<\/p>)/, "result count");
  const footer = pick(category, /(<footer class="site-footer">[\s\S]*?<\/footer>)/, "footer");
  const tiles = category.match(/<li class="product-tile"[\s\S]*?<\/li>/g) ?? [];
  if (tiles.length < 4) throw new Error("bench/pages.mjs: product tiles not found in category.html");
  const grid = (n) => {
    const items = n === 0 ? tiles : tiles.map((t) => t.replace(/data-sku="([^"]+)"/, `data-sku="$1-${n}"`));
    return `<ul class="product-grid">\n${items.map((t) => `      ${t}`).join("\n")}\n    </ul>\n`;
  };
  const usp =
    '<ul class="usp"><li>Free returns within 30 days</li><li>Carbon-neutral delivery</li><li>Two-year warranty on every shoe</li></ul>';
  const top =
    `<!doctype html>\n<html lang="en">\n<head>${head}</head>\n<body class="page-category">\n  ${header}\n  ${promo}\n` +
    `  <main id="content">\n    ${breadcrumb}\n    ${hero}\n    ${banner}\n    ${usp}\n    ${count}\n    ${grid(0)}`;
  const bottom = `  </main>\n  ${footer}\n</body>\n</html>\n`;
  const parts = [top];
  let size = Buffer.byteLength(top) + Buffer.byteLength(bottom);
  const corpus = new Corpus();
  const gridBytes = Buffer.byteLength(grid(1));
  for (let n = 1; size + gridBytes + 1024 < target; n++) {
    const room = Math.min(CHUNK, target - size - gridBytes);
    const piece = `    <article class="editorial">${corpus.take(room)}</article>\n`;
    const g = grid(n);
    parts.push(piece, `    ${g}`);
    size += Buffer.byteLength(piece) + Buffer.byteLength(g) + 4;
  }
  parts.push(bottom);
  return Buffer.from(parts.join(""), "utf8");
}

/** All pages: [{name, path, target, body}]. */
export function buildPages() {
  if (!existsSync(`${CORPUS_DIR}/${CORPUS_FILES[0]}`)) {
    throw new Error(`corpus not found in ${CORPUS_DIR} (set VENEER_BENCH_CORPUS)`);
  }
  return PAGES.map((p) => ({ ...p, body: buildPage(p.target) }));
}

// ---------------------------------------------------------------------------------------------
// The element-only workload's pages: product listings of ~17 KB, ~170 KB and ~1.8 MB (header,
// promo bar, heading, one grid of product tiles with distinct SKUs, footer), as a shop's category
// page with many products is. bench/elements.mjs holds the 20 edits made on them.

/** The listing pages: path on the origin and target size in bytes. */
export const LISTING_PAGES = [
  { name: "17KB", path: "/l/shoes-17k", target: 17 * 1024 },
  { name: "170KB", path: "/l/shoes-170k", target: 170 * 1024 },
  { name: "1.8MB", path: "/l/shoes-1800k", target: 1800 * 1024 },
];

const NAMES = ["Trail Runner", "Ridgeline GTX", "Scree Pro", "Fellstrider", "Cairn Approach", "Mudlark", "Summit Light", "Tempo Trail"];

/** The SKU of listing tile `i` (0-based): LP-0001, LP-0002, … */
export const listingSku = (i) => `LP-${String(i + 1).padStart(4, "0")}`;

function listingTile(i) {
  const sku = listingSku(i);
  const name = `${NAMES[i % NAMES.length]} ${1 + Math.floor(i / NAMES.length)}`;
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  const price = (59 + ((i * 37) % 120)).toFixed(2);
  return (
    `      <li class="product-tile" data-sku="${sku}">\n` +
    `        <a href="/p/${slug}"><img src="/assets/img/${sku.toLowerCase()}.svg" alt="${name} trail shoe" width="240" height="180"></a>\n` +
    `        <h3 class="product-name"><a href="/p/${slug}">${name}</a></h3>\n` +
    `        <p class="price" data-price="${price}">€${price}</p>\n` +
    `        <span class="badge-slot"></span>\n` +
    `      </li>\n`
  );
}

/** The listing page for `target` bytes; returns a Buffer (UTF-8). */
export function buildListing(target) {
  const category = storefront("category.html");
  const head = pick(category, /<head>([\s\S]*?)<\/head>/, "<head>");
  const header = pick(category, /(<header class="site-header">[\s\S]*?<\/header>)/, "site header");
  const promo = pick(category, /(<div class="promo-bar">[\s\S]*?<\/div>)/, "promo bar");
  const breadcrumb = pick(category, /(<nav class="breadcrumb"[\s\S]*?<\/nav>)/, "breadcrumb");
  const footer = pick(category, /(<footer class="site-footer">[\s\S]*?<\/footer>)/, "footer");
  const top =
    `<!doctype html>\n<html lang="en">\n<head>${head}</head>\n<body class="page-category">\n  ${header}\n  ${promo}\n` +
    `  <main id="content">\n    ${breadcrumb}\n    <h1>Shoes</h1>\n    <ul class="product-grid">\n`;
  const bottom = `    </ul>\n  </main>\n  ${footer}\n</body>\n</html>\n`;
  const tiles = [];
  let size = Buffer.byteLength(top) + Buffer.byteLength(bottom);
  for (let i = 0; tiles.length < 20 || size + Buffer.byteLength(listingTile(i)) <= target; i++) {
    const t = listingTile(i);
    tiles.push(t);
    size += Buffer.byteLength(t);
  }
  return Buffer.from(top + tiles.join("") + bottom, "utf8");
}

/** All listing pages: [{name, path, target, body}]. */
export function buildListings() {
  return LISTING_PAGES.map((p) => ({ ...p, body: buildListing(p.target) }));
}

// ---------------------------------------------------------------------------------------------
// The commerce workload's page (bench/commerce.mjs): a category page of 200 product tiles, byte for
// byte the one the native benchmark merchandises (benches/veneer.rs, `category_page(200)`).

/** The 200-tile category page: path on the origin. */
export const COMMERCE_PAGE = { name: "200 tiles", path: "/c/commerce-200" };

/** The category page of `tiles` product tiles (SKU-0, SKU-1, …); returns a Buffer (UTF-8). */
export function buildCategoryPage(tiles = 200) {
  let html =
    "<!doctype html><html><head><title>Shoes</title><link rel=stylesheet href=/a.css></head>" +
    "<body><header><nav><a href=/>Home</a> <a href=/c/shoes>Shoes</a></nav></header>" +
    '<main><h1>Shoes</h1><p class=result-count>200 products</p><ul class="product-grid">\n';
  for (let i = 0; i < tiles; i++) {
    const lazy = i >= 4 ? ' loading="lazy"' : "";
    html +=
      `  <li class="product-tile" data-sku="SKU-${i}">\n    <a href="/p/shoe-${i}"><img src="/img/${i}.jpg" alt="Shoe ${i}" width="240" height="180"${lazy}></a>\n    ` +
      `<h3 class="product-name"><a href="/p/shoe-${i}">Trail shoe ${i}</a></h3>\n    ` +
      `<p class="price" data-price="${i}.00">€${i}.00</p>\n    <span class="badge-slot"></span>\n  </li>\n`;
  }
  html += "</ul></main><footer><p>© Shop</p></footer></body></html>";
  return Buffer.from(html, "utf8");
}

/** The commerce page with its body: {name, path, body}. */
export function buildCommerce() {
  return { ...COMMERCE_PAGE, body: buildCategoryPage(200) };
}
