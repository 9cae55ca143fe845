// The commerce tasks of the forms screen (#/forms): "Merchandising" (pin, hide, badge and price
// changes for products of a listing, on category pages) and "Search terms" (a rule's `search`,
// with those product changes or a redirect to a landing page). Both write the draft through
// merch-model.js, which keeps every field and action they do not show.

import { fill, h } from "./dom.js";
import { patch, formToRule, putRule, ruleToForm } from "./forms-model.js";
import { SEARCH_MATCHES, formToMerch, formToSearch, hasMerch, merchToForm, putListing, redirectAction, redirectIndex, searchToForm } from "./merch-model.js";

const MATCH_LABELS = {
  is: "is the term",
  starts_with: "starts with the term",
  contains: "contains the term (whole words)",
  all_words: "has all the term's words, in any order",
  any_word: "has one of the term's words",
};

/**
 * The products part of both tasks: the listing (or, when the site defines none, a short form to
 * define one), then one row per product: pin at a position, hide, badge, price now / was.
 */
function productsEditor(prefix, { text }) {
  let form = merchToForm([], {});
  let doc = {};
  const listing = h("select", { id: `${prefix}-listing` });
  const listingPart = h("div", {}, h("label", { for: listing.id }, "Listing (settings.listings)"), listing);
  const def = {
    name: text(`${prefix}-def-name`, "Listing name", { value: "grid" }),
    container: text(`${prefix}-def-container`, "Grid (selector of the element holding the tiles)", { placeholder: "ul.product-grid" }),
    tile: text(`${prefix}-def-tile`, "Tile (selector of one product's tile, inside the grid)", { placeholder: ".product-tile" }),
    key: text(`${prefix}-def-key`, "Product key (the tile's attribute naming the product)", { value: "data-sku" }),
    price: text(`${prefix}-def-price`, "Price (selector inside a tile; optional)", { placeholder: ".price" }),
  };
  const definePart = h("fieldset", { "data-testid": `${prefix}-define-listing`, hidden: true },
    h("legend", {}, "Define the listing"),
    h("p", { class: "hint" }, "This site has no listing yet: say once how its pages show products (docs/rules.md, Listings)."),
    def.name.el, def.container.el, def.tile.el, def.key.el, def.price.el);
  const rowsBody = h("tbody", { "data-testid": `${prefix}-products` });
  const badgeHtml = h("textarea", { id: `${prefix}-badge-html`, rows: 2, placeholder: '<span class="badge badge-sale">Sale</span>' });
  const badgeInto = text(`${prefix}-badge-into`, "Badge goes into (selector inside the tile; empty: the tile)", { placeholder: ".badge-slot" });
  const priceClass = text(`${prefix}-price-class`, "Classes added to a changed price (optional)", { placeholder: "price-sale" });

  function renderRows() {
    fill(rowsBody, form.rows.map((r, i) => {
      const id = (k) => `${prefix}-row-${i}-${k}`;
      const label = (what) => `${what}, product ${i + 1}`;
      const sku = h("input", { type: "text", id: id("sku"), value: r.sku, spellcheck: false, "aria-label": label("Product key"), oninput: () => { r.sku = sku.value.trim(); } });
      const pin = h("input", { type: "number", id: id("pin"), min: 1, step: 1, value: r.pin ?? "", "aria-label": label("Pin at position"), oninput: () => { r.pin = pin.value === "" ? null : Number(pin.value); } });
      const check = (k, what) => {
        const c = h("input", { type: "checkbox", id: id(k), checked: r[k], "aria-label": label(what), onchange: () => { r[k] = c.checked; } });
        return c;
      };
      const price = (k, what) => {
        const p = h("input", { type: "text", id: id(k), value: r[k], "aria-label": label(what), oninput: () => { r[k] = p.value.trim(); } });
        return p;
      };
      return h("tr", { "data-sku": r.sku },
        h("td", {}, sku), h("td", {}, pin), h("td", {}, check("hide", "Hide")), h("td", {}, check("badge", "Badge")),
        h("td", {}, price("now", "Price now")), h("td", {}, price("was", "Was price")),
        h("td", {}, h("button", { type: "button", class: "link", name: `${prefix}-row-remove`, onclick: () => { form.rows.splice(i, 1); renderRows(); } }, "Remove", h("span", { class: "visually-hidden" }, ` product ${i + 1}`))));
    }));
  }

  /** The pinned products (none: every shown one) at positions 1, 2, … in the order of the list. */
  function pinTop() {
    const pinned = form.rows.filter((r) => r.pin !== null);
    (pinned.length ? pinned : form.rows.filter((r) => !r.hide)).forEach((r, i) => { r.pin = i + 1; });
    renderRows();
  }

  const el = h("div", {},
    listingPart, definePart,
    h("table", { class: "grid" }, h("caption", {}, "Products (by key): pin 1 is first; a hidden product leaves the page one tile shorter"),
      h("thead", {}, h("tr", {}, ["Product", "Pin at", "Hide", "Badge", "Price now", "Was", ""].map((c) => h("th", { scope: "col" }, c)))), rowsBody),
    h("p", {}, h("button", { type: "button", name: `${prefix}-add-product`, onclick: () => { form.rows.push({ sku: "", pin: null, hide: false, badge: false, now: "", was: "" }); renderRows(); rowsBody.querySelector("tr:last-child input")?.focus(); } }, "Add a product"), " ",
      h("button", { type: "button", name: `${prefix}-pin-top`, onclick: pinTop }, "Pin to the top, in this order")),
    h("fieldset", {}, h("legend", {}, "Badge (for the products ticked Badge)"),
      h("label", { for: badgeHtml.id }, "Badge HTML"), badgeHtml, badgeInto.el),
    h("fieldset", {}, h("legend", {}, "Prices"), priceClass.el,
      h("p", { class: "hint" }, "Changes what is displayed only: the cart charges the shop's price. In the EU a \"was\" price must be the lowest of the prior 30 days.")));

  return {
    el,
    /** Shows the rule's actions (`actions`) of the document `d`. */
    set(actions, d) {
      doc = d;
      const listings = d.settings?.listings || {};
      form = merchToForm(actions, listings);
      const names = Object.keys(listings);
      fill(listing, names.map((n) => h("option", { value: n, selected: n === form.listing }, n)));
      if (form.listing && !names.includes(form.listing)) listing.append(h("option", { value: form.listing, selected: true }, form.listing));
      listingPart.hidden = !listing.options.length;
      definePart.hidden = !listingPart.hidden;
      badgeHtml.value = form.badgeHtml;
      badgeInto.input.value = form.badgeInto;
      priceClass.input.value = form.priceClass;
      renderRows();
    },
    /** The form's values, or `{error}`; with a listing to define, `listing: {name, value}`. */
    get() {
      const f = { ...form, rows: form.rows.filter((r) => r.sku), badgeHtml: badgeHtml.value, badgeInto: badgeInto.input.value.trim(), priceClass: priceClass.input.value };
      if (f.rows.some((r) => r.badge) && !f.badgeHtml.trim()) return { error: "Give the badge's HTML, or untick Badge." };
      if (f.rows.some((r) => r.pin !== null && !(Number.isInteger(r.pin) && r.pin > 0))) return { error: "A pin position is a whole number from 1 (first)." };
      let define = null;
      if (!definePart.hidden) {
        const v = (k) => def[k].input.value.trim();
        if (!f.rows.length) return { form: f, define };
        if (!v("name") || !v("container") || !v("tile") || !v("key")) return { error: "Define the listing first: its name, grid, tile and product key." };
        const value = { container: v("container"), tile: v("tile"), key: { attribute: v("key") } };
        if (v("price")) value.price = v("price");
        define = { name: v("name"), value };
        f.listing = define.name;
        f.listingWas = undefined;
      } else f.listing = listing.value;
      return { form: f, define, doc };
    },
  };
}

/** The Merchandising and Search terms tasks: `{key, title, el, refresh(doc), load()}` each. */
export function commerceTasks({ getDoc, save, status, text, list, fillPick, fail }) {
  const error = (message) => fill(status, h("span", { class: "form-error" }, message));

  /** The rule form common to both: the picker, id and pages. */
  function ruleHead(key, title, { pages, rules, seed }) {
    const pick = h("select", { id: `${key}-open` });
    const id = text(`${key}-id`, "Rule id");
    const pagesIn = text(`${key}-pages`, `Pages (patterns, separated by commas; for instance ${pages})`);
    return {
      pick, id, pages: pagesIn,
      el: [h("h2", {}, title), h("label", { for: pick.id }, "Open"), pick, id.el, pagesIn.el],
      rule: () => (getDoc().rules || []).find((r) => r.id === pick.value) || seed(),
      refresh: () => fillPick(pick, (getDoc().rules || []).filter(rules), "A new rule"),
      /** The rule form with the id and pages typed, or an error message. */
      read(rule) {
        const form = ruleToForm(rule);
        const newId = id.input.value.trim();
        if (!newId) return { error: "Give the rule an id." };
        if (newId !== rule.id && (getDoc().rules || []).some((r) => r.id === newId)) return { error: `There is already a rule ${newId}: open it above, or give this one another id.` };
        form.id = newId;
        const p = list(pagesIn.input.value);
        form.pages = p.length ? p : null;
        return { form };
      },
    };
  }

  async function store(next, rule, oldId, head, reload) {
    try {
      await save(putRule(next, rule, oldId || rule.id), `Draft saved: rule ${rule.id}.`);
      head.pick.value = rule.id;
      reload();
    } catch (e) {
      fail(e);
    }
  }

  const withListing = (doc, define) => (define ? putListing(doc, define.name, define.value) : doc);

  // Merchandising: a rule of product changes on category pages.
  const mHead = ruleHead("merch", "Merchandising", { pages: "/c/*", rules: (r) => r.search === undefined && hasMerch(r), seed: () => ({ id: "", pages: ["/c/*"], actions: [] }) });
  const mProducts = productsEditor("merch", { text });
  function mLoad() {
    const rule = mHead.rule();
    mHead.id.input.value = rule.id || "";
    mHead.pages.input.value = (rule.pages || []).join(", ");
    mProducts.set(rule.actions, getDoc());
  }
  mHead.pick.addEventListener("change", mLoad);
  const mEl = h("form", { class: "task", "data-testid": "task-merch", hidden: true, onsubmit: async (event) => {
    event.preventDefault();
    const rule = mHead.rule();
    const head = mHead.read(rule);
    if (head.error) return error(head.error);
    const p = mProducts.get();
    if (p.error) return error(p.error);
    head.form.actions = formToMerch(p.form);
    await store(withListing(getDoc(), p.define), formToRule(head.form), rule.id, mHead, mLoad);
  } },
  mHead.el,
  h("p", { class: "hint" }, "Changes the tiles that are on the page: it cannot bring in products from other pages."),
  mProducts.el,
  h("p", {}, h("button", { type: "submit", name: "merch-save", class: "primary" }, "Save to the draft")));

  // Search terms: a rule with `search`, changing the results or redirecting.
  const sHead = ruleHead("search", "Search terms", { pages: "/search", rules: (r) => r.search !== undefined, seed: () => ({ id: "", pages: ["/search"], search: {}, actions: [] }) });
  const match = h("select", { id: "search-match" }, SEARCH_MATCHES.map((m) => h("option", { value: m }, `The search ${MATCH_LABELS[m]}`)));
  const terms = text("search-terms", "Terms (separated by commas; any of them may match)", { placeholder: "gift card, gift cards" });
  const not = text("search-not", "Not when the search has (separated by commas; optional)", { placeholder: "kids" });
  const mode = (value, label) => h("label", { class: "check" }, h("input", { type: "radio", name: "search-mode", value, onchange: showMode }), ` ${label}`);
  const modes = h("div", { role: "radiogroup", "aria-label": "What happens" }, mode("results", "Change the results (pin, hide, badge, price)"), mode("redirect", "Send the visitor to a page"));
  const redirectTo = text("search-redirect-to", "Page (a path on this site)", { placeholder: "/p/gift-card" });
  const redirectStatus = h("select", { id: "search-redirect-status" }, h("option", { value: "302" }, "302 (temporary)"), h("option", { value: "301" }, "301 (permanent)"));
  const redirectPart = h("div", { hidden: true }, redirectTo.el, h("label", { for: redirectStatus.id }, "Redirect"), redirectStatus);
  const sProducts = productsEditor("search", { text });
  const resultsPart = h("div", {}, sProducts.el);
  let sSearch = searchToForm({});
  function currentMode() {
    return modes.querySelector("input:checked")?.value || "results";
  }
  function showMode() {
    redirectPart.hidden = currentMode() !== "redirect";
    resultsPart.hidden = !redirectPart.hidden;
  }
  function sLoad() {
    const rule = sHead.rule();
    sHead.id.input.value = rule.id || "";
    sHead.pages.input.value = (rule.pages || []).join(", ");
    sSearch = searchToForm(rule.search);
    match.value = sSearch.match;
    terms.input.value = sSearch.terms.join(", ");
    not.input.value = sSearch.not.join(", ");
    const r = redirectIndex(rule.actions);
    for (const input of modes.querySelectorAll("input")) input.checked = input.value === (r >= 0 ? "redirect" : "results");
    redirectTo.input.value = r >= 0 ? rule.actions[r].redirect.to ?? "" : "";
    redirectStatus.value = r >= 0 && rule.actions[r].redirect.status === 301 ? "301" : "302";
    sProducts.set(rule.actions, getDoc());
    showMode();
  }
  sHead.pick.addEventListener("change", sLoad);
  const sEl = h("form", { class: "task", "data-testid": "task-search", hidden: true, onsubmit: async (event) => {
    event.preventDefault();
    const rule = sHead.rule();
    const head = sHead.read(rule);
    if (head.error) return error(head.error);
    const search = formToSearch({ ...sSearch, match: match.value, terms: list(terms.input.value), not: list(not.input.value) });
    if (!list(terms.input.value).length && !list(not.input.value).length) return error("Give the search terms.");
    const p = sProducts.get();
    if (p.error) return error(p.error);
    let actions;
    let next = getDoc();
    if (currentMode() === "redirect") {
      const to = redirectTo.input.value.trim();
      if (!to) return error("Give the page the search goes to.");
      actions = formToMerch({ ...p.form, rows: [] });
      const i = redirectIndex(actions);
      const action = redirectAction(i >= 0 ? actions[i] : undefined, to, Number(redirectStatus.value));
      if (i >= 0) actions[i] = action;
      else actions.push(action);
    } else {
      actions = formToMerch(p.form);
      const i = redirectIndex(actions);
      if (i >= 0) actions.splice(i, 1);
      next = withListing(next, p.define);
    }
    head.form.actions = actions;
    await store(next, patch(formToRule(head.form), { search }), rule.id, sHead, sLoad);
  } },
  sHead.el,
  h("fieldset", {}, h("legend", {}, "The search"),
    h("label", { for: match.id }, "Applies when"), match, terms.el, not.el,
    h("p", { class: "hint" }, "Compared without case or accents; the search is the query parameter settings.search_param (q).")),
  h("fieldset", {}, h("legend", {}, "What happens"), modes, redirectPart, resultsPart),
  h("p", {}, h("button", { type: "submit", name: "search-save", class: "primary" }, "Save to the draft")));

  return [
    { key: "merch", title: "Merchandising", el: mEl, refresh: mHead.refresh, load: mLoad },
    { key: "search", title: "Search terms", el: sEl, refresh: sHead.refresh, load: sLoad },
  ];
}
