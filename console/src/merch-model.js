// The commerce forms' model: a rule's commerce actions (pin, hide, badge, price of docs/rules.md,
// "Commerce") read into one list of products with what happens to each, a rule's `search` read
// into a match type and terms, and a search redirect; written back in place. Pure (no DOM). An
// action the form does not edit (boost, insert_tile, a second badge, a label) stays as it is, and
// a rule read then written with nothing changed is the same JSON, byte for byte.

import { clone } from "./draft-model.js";
import { patch } from "./forms-model.js";

/** The commerce operations the merchandising form edits, in the order it adds them. */
export const MERCH_OPS = ["pin", "hide", "badge", "price"];

/** The match types of a rule's `search` (docs/rules.md, "Search terms"). */
export const SEARCH_MATCHES = ["is", "starts_with", "contains", "all_words", "any_word"];

const isObject = (v) => !!v && typeof v === "object" && !Array.isArray(v);
const isSkuList = (v) => Array.isArray(v) && v.every((x) => typeof x === "string");

/** Whether `action` is a commerce action of `op` in a shape the form edits. */
export function editsAction(action, op) {
  if (!isObject(action) || action.select !== undefined || !isObject(action[op])) return false;
  const v = action[op];
  if (op === "pin") return (isSkuList(v.products) && v.positions === undefined) || (v.products === undefined && isObject(v.positions));
  if (op === "hide") return isSkuList(v.products);
  if (op === "badge") return isSkuList(v.products) && typeof v.html === "string";
  if (op === "price") return isObject(v.products) && Object.values(v.products).every(isObject);
  return false;
}

/** Whether a rule has an action the merchandising form edits. */
export function hasMerch(rule) {
  return (rule.actions || []).some((a) => MERCH_OPS.some((op) => editsAction(a, op)));
}

/** A class value (a string or a list) as the text of a field. */
const classText = (c) => (Array.isArray(c) ? c.join(" ") : typeof c === "string" ? c : "");

/**
 * A rule's actions as the merchandising form: `listing`, and `rows`, one per product in order of
 * appearance: `{sku, pin (a position or null), hide, badge, now, was}`; the badge's `html` and
 * `into`, and the price's `priceClass`, are shared. `at` says which action of each operation the
 * form edits (-1: none yet).
 */
export function merchToForm(actions, listings) {
  const list = Array.isArray(actions) ? actions : [];
  const names = Object.keys(listings || {});
  const at = Object.fromEntries(MERCH_OPS.map((op) => [op, list.findIndex((a) => editsAction(a, op))]));
  const rows = [];
  const row = (sku) => {
    let r = rows.find((x) => x.sku === sku);
    if (!r) rows.push((r = { sku, pin: null, hide: false, badge: false, now: "", was: "" }));
    return r;
  };
  const value = (op) => (at[op] >= 0 ? list[at[op]][op] : undefined);
  const ordered = MERCH_OPS.filter((op) => at[op] >= 0).sort((a, b) => at[a] - at[b]);
  let pinStyle = null;
  for (const op of ordered) {
    const v = value(op);
    if (op === "pin" && v.positions) {
      pinStyle = "positions";
      for (const [sku, n] of Object.entries(v.positions)) row(sku).pin = n;
    } else if (op === "pin") {
      pinStyle = "order";
      const start = typeof v.at === "number" ? v.at : 1;
      v.products.forEach((sku, i) => { row(sku).pin = start + i; });
    } else if (op === "hide") for (const sku of v.products) row(sku).hide = true;
    else if (op === "badge") for (const sku of v.products) row(sku).badge = true;
    else if (op === "price") {
      for (const [sku, p] of Object.entries(v.products)) {
        row(sku).now = typeof p.now === "string" ? p.now : "";
        row(sku).was = typeof p.was === "string" ? p.was : "";
      }
    }
  }
  const first = ordered.map((op) => value(op).listing).find((l) => typeof l === "string");
  const listing = first ?? (names.length ? names[0] : "");
  const badge = value("badge");
  const price = value("price");
  return {
    listing,
    listingWas: listing,
    rows,
    badgeHtml: badge ? badge.html : "",
    badgeInto: badge && typeof badge.into === "string" ? badge.into : "",
    priceClass: price ? classText(price.class) : "",
    pinStyle,
    at,
    actions: clone(list),
  };
}

/** `skus` in the order of `was` (those it has), then the others in their order. */
function inOrder(skus, was) {
  const before = Array.isArray(was) ? was : Object.keys(was || {});
  return [...before.filter((s) => skus.includes(s)), ...skus.filter((s) => !before.includes(s))];
}

/** The new value of one operation (null: the rule no longer has it). */
function merchValue(form, op, was) {
  const rows = form.rows.filter((r) => r.sku);
  const listing = was && was.listing === undefined && form.listing === form.listingWas ? undefined : form.listing || undefined;
  const base = was || (listing ? { listing } : {});
  const lead = { listing };
  if (op === "pin") {
    const pinned = rows.filter((r) => Number.isInteger(r.pin) && r.pin > 0).sort((a, b) => a.pin - b.pin);
    if (!pinned.length) return null;
    const start = pinned[0].pin;
    const consecutive = pinned.every((r, i) => r.pin === start + i);
    if (form.pinStyle === "positions" || !consecutive) {
      const skus = inOrder(pinned.map((r) => r.sku), was?.positions);
      return patch(base, { ...lead, products: undefined, at: undefined, positions: Object.fromEntries(skus.map((s) => [s, pinned.find((r) => r.sku === s).pin])) });
    }
    const keepAt = !was || was.at !== undefined || start !== 1;
    return patch(base, { ...lead, positions: undefined, products: pinned.map((r) => r.sku), at: keepAt ? start : undefined });
  }
  if (op === "hide" || op === "badge") {
    const skus = rows.filter((r) => r[op]).map((r) => r.sku);
    if (!skus.length) return null;
    const updates = { ...lead, products: inOrder(skus, was?.products) };
    if (op === "badge") {
      updates.html = form.badgeHtml;
      if (!was || form.badgeInto !== (typeof was.into === "string" ? was.into : "")) updates.into = form.badgeInto || undefined;
    }
    return patch(base, updates);
  }
  const priced = rows.filter((r) => r.now || r.was);
  if (!priced.length) return null;
  const skus = inOrder(priced.map((r) => r.sku), was?.products);
  const products = Object.fromEntries(skus.map((s) => {
    const r = priced.find((x) => x.sku === s);
    return [s, patch(was?.products?.[s], { now: r.now || undefined, was: r.was || undefined })];
  }));
  const updates = { ...lead, products };
  if (!was || form.priceClass !== classText(was.class)) updates.class = form.priceClass.trim() || undefined;
  return patch(base, updates);
}

/**
 * The rule's actions of the merchandising form: each edited action rewritten in its place (or
 * removed when no product has it any more), new ones added at the end, the others kept.
 */
export function formToMerch(form) {
  const out = clone(form.actions);
  const drop = new Set();
  for (const op of MERCH_OPS) {
    const i = form.at[op];
    const value = merchValue(form, op, i >= 0 ? out[i][op] : undefined);
    if (i >= 0 && value) out[i] = patch(out[i], { [op]: value });
    else if (i >= 0) drop.add(i);
    else if (value) out.push({ [op]: value });
  }
  return out.filter((_, i) => !drop.has(i));
}

/** A list or a single value as a list. */
const asList = (v) => (Array.isArray(v) ? v.map(String) : v === undefined || v === null ? [] : [String(v)]);

/** A rule's `search` as the form: `{match, terms, not}` (the rest stays in `original`). */
export function searchToForm(search) {
  const s = isObject(search) ? search : {};
  const match = SEARCH_MATCHES.find((m) => s[m] !== undefined) || "is";
  return { match, terms: asList(s[match]), not: asList(s.not), original: clone(search) };
}

/** The `search` of the form; a term list of one stays a string when it was one. */
export function formToSearch(form) {
  const was = isObject(form.original) ? form.original : {};
  const value = (list, before) => (!list.length ? undefined : list.length === 1 && typeof before === "string" ? list[0] : [...list]);
  const updates = {};
  for (const m of SEARCH_MATCHES) if (m !== form.match && was[m] !== undefined) updates[m] = undefined;
  updates[form.match] = value(form.terms, was[form.match]);
  updates.not = value(form.not, was.not);
  return patch(was, updates);
}

/** The index of a rule's first redirect action (-1: none). */
export function redirectIndex(actions) {
  return (actions || []).findIndex((a) => isObject(a) && isObject(a.redirect));
}

/** The redirect action `{redirect: {to, status}}`, keeping the other fields of the one it replaces. */
export function redirectAction(was, to, status) {
  const before = isObject(was?.redirect) ? was.redirect : undefined;
  const keepStatus = before && before.status === undefined && status === 302;
  return patch(was, { redirect: patch(before, { to, status: keepStatus ? undefined : status }) });
}

/** The document with a listing defined (or replaced) under `settings.listings`. */
export function putListing(doc, name, listing) {
  const next = clone(doc);
  const settings = isObject(next.settings) ? next.settings : {};
  next.settings = patch(settings, { listings: patch(settings.listings, { [name]: listing }) });
  return next;
}

/** A rule read into the commerce forms and written back (the forms' round trip). */
export function commerceRoundTrip(rule, listings) {
  const actions = formToMerch(merchToForm(rule.actions, listings));
  const updates = { actions };
  if (rule.search !== undefined) updates.search = formToSearch(searchToForm(rule.search));
  return patch(rule, updates);
}
