// Tasks (#/forms): forms for the everyday jobs, each writing the same draft document the JSON
// editor shows (forms-model.js keeps every field a form does not know): a promo bar or banner,
// a copy change or hiding an element, an experiment wizard, and an audience builder with "who
// matches" over saved visitor profiles, and the commerce tasks (commerce-forms.js):
// merchandising a listing's products and search-term rules. Schedules have a time zone picker.

import { post } from "./api.js";
import { commerceTasks } from "./commerce-forms.js";
import { fill, h } from "./dom.js";
import { clone, escapeHtml, operationOf } from "./draft-model.js";
import {
  clauseValues, clausesToCondition, conditionToClauses, escapeRegex, evenWeights, experimentToForm, formToExperiment,
  formToRule, formToSchedule, metricGoal, putAudience, putExperiment, putGoal, putRule, withPrimaryGoal, ruleToForm, scheduleToForm, setClause, setListClause, zoneOffset,
} from "./forms-model.js";
import { loadDraftText, saveDraftText } from "./visual.js";
import schema from "../../schema/rules.schema.json";
import deMobile from "../../fixtures/contexts/de-mobile.json";
import usDesktop from "../../fixtures/contexts/us-desktop-newsletter.json";
import googlebot from "../../fixtures/contexts/googlebot.json";

/** Saved visitor profiles (fixtures/contexts/), for "who matches". */
export const PROFILES = [
  { name: "de-mobile", label: "Berlin, Android phone, German, returning", attributes: deMobile },
  { name: "us-desktop-newsletter", label: "San Francisco, Mac, newsletter visit", attributes: usDesktop },
  { name: "googlebot", label: "Googlebot (a crawler)", attributes: googlebot },
];

/** Whether this build's rules document has goals and experiment metrics (docs/rules.md). */
export const GOALS = !!(schema.properties?.goals && schema.$defs?.experiment?.properties?.metrics);

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

function zones() {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return ["UTC", "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles", "Asia/Tokyo"];
  }
}

function list(text) {
  return String(text || "").split(",").map((s) => s.trim()).filter(Boolean);
}

function text(id, label, attrs = {}) {
  const input = h("input", { id, type: "text", spellcheck: false, ...attrs });
  return { input, el: h("div", { class: "field" }, h("label", { for: id }, label), input) };
}

// ---- schedule editor ------------------------------------------------------------------------

function scheduleEditor(prefix) {
  let form = scheduleToForm(undefined);
  const on = h("input", { type: "checkbox", id: `${prefix}-sched-on`, onchange: () => { body.hidden = !on.checked; } });
  const start = h("input", { type: "datetime-local", id: `${prefix}-sched-start` });
  const end = h("input", { type: "datetime-local", id: `${prefix}-sched-end` });
  const here = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const zone = h("select", { id: `${prefix}-sched-zone`, onchange: () => { zone.dataset.touched = "1"; showOffset(); } }, zones().map((z) => h("option", { value: z, selected: z === here }, z)));
  const offset = h("p", { class: "hint", "data-testid": `${prefix}-sched-offset` });
  const windows = h("div", { "data-testid": `${prefix}-sched-windows` });
  const windowRows = [];
  function showOffset() {
    const at = start.value ? new Date(`${start.value}:00Z`) : new Date();
    fill(offset, `${zone.value} is at UTC${zoneOffset(zone.value, at)} then. Weekly windows use a fixed offset (no daylight saving, docs/rules.md).`);
  }
  function addWindow(w = { from: "09:00", to: "18:00" }) {
    const i = windowRows.length;
    const boxes = DAYS.map((d) => h("label", {}, h("input", { type: "checkbox", value: d, name: `${prefix}-win-${i}-day`, checked: !w.days || w.days.map((x) => x.toLowerCase()).includes(d) }), d));
    const from = h("input", { type: "time", id: `${prefix}-win-${i}-from`, value: w.from || "09:00" });
    const to = h("input", { type: "time", id: `${prefix}-win-${i}-to`, value: w.to || "18:00" });
    const row = { w: clone(w), boxes, from, to, el: null };
    row.el = h("fieldset", { class: "window" }, h("legend", {}, `Weekly window ${i + 1}`),
      h("div", { class: "days" }, boxes),
      h("div", { class: "inline" }, h("div", {}, h("label", { for: from.id }, "From"), from), h("div", {}, h("label", { for: to.id }, "To (not included)"), to)),
      h("button", { type: "button", class: "link", onclick: () => { windowRows.splice(windowRows.indexOf(row), 1); row.el.remove(); } }, "Remove this window"));
    windowRows.push(row);
    windows.append(row.el);
  }
  const body = h("div", { hidden: true },
    h("div", { class: "inline" },
      h("div", {}, h("label", { for: start.id }, "Starts"), start),
      h("div", {}, h("label", { for: end.id }, "Ends"), end),
      h("div", {}, h("label", { for: zone.id }, "Time zone"), zone)),
    offset, windows,
    h("button", { type: "button", name: `${prefix}-add-window`, onclick: () => addWindow() }, "Add a weekly window"));
  const el = h("fieldset", { class: "schedule-editor" }, h("legend", {}, "Schedule"),
    h("label", { class: "check" }, on, " Only at certain times"), body);
  return {
    el,
    set(schedule) {
      form = scheduleToForm(schedule);
      on.checked = form.on;
      body.hidden = !form.on;
      start.value = form.start?.local || "";
      end.value = form.end?.local || "";
      windowRows.length = 0;
      zone.dataset.touched = "";
      fill(windows);
      for (const w of form.windows || []) addWindow(w);
      showOffset();
    },
    get() {
      const f = { ...form, on: on.checked };
      const time = (input, was) => {
        if (!input.value) return null;
        if (was && was.local === input.value && was.zone === undefined && zone.dataset.touched !== "1") return was;
        return { local: input.value, zone: zone.value };
      };
      f.start = time(start, form.start);
      f.end = time(end, form.end);
      const windowOffset = zoneOffset(zone.value, start.value ? new Date(`${start.value}:00Z`) : new Date());
      f.windows = windowRows.length
        ? windowRows.map((r) => {
          const days = r.boxes.map((b) => b.firstChild).filter((c) => c.checked).map((c) => c.value);
          const was = r.w;
          const sameDays = was.days ? JSON.stringify(was.days.map((d) => d.toLowerCase())) === JSON.stringify(days) : days.length === 7;
          const out = { ...was };
          if (!sameDays) out.days = days.length === 7 ? undefined : days;
          out.from = r.from.value;
          out.to = r.to.value;
          if (!was.utc_offset || zone.dataset.touched === "1") out.utc_offset = windowOffset;
          return JSON.parse(JSON.stringify(out));
        })
        : form.windows && form.windows.length === 0 ? [] : null;
      return formToSchedule(f);
    },
  };
}

// ---- audience builder -----------------------------------------------------------------------

function audienceBuilder(prefix, getDoc) {
  let form = conditionToClauses(undefined);
  const named = h("select", { id: `${prefix}-aud-named`, onchange: () => { custom.hidden = !!named.value; } });
  const f = {
    country: text(`${prefix}-aud-country`, "Countries (ISO codes, separated by commas)", { placeholder: "DE, AT, CH" }),
    region: text(`${prefix}-aud-region`, "Regions (names, separated by commas)"),
    language: text(`${prefix}-aud-language`, "Languages (separated by commas)", { placeholder: "de, fr" }),
    utm_source: text(`${prefix}-aud-utm_source`, "UTM source"),
    utm_medium: text(`${prefix}-aud-utm_medium`, "UTM medium"),
    utm_campaign: text(`${prefix}-aud-utm_campaign`, "UTM campaign"),
    referrer: text(`${prefix}-aud-referrer`, "Referrer contains"),
    url: text(`${prefix}-aud-url`, "URL contains"),
    cookieName: text(`${prefix}-aud-cookie-name`, "Cookie name"),
    cookieValue: text(`${prefix}-aud-cookie-value`, "Cookie value (empty: the cookie is present)"),
  };
  const checks = (name, values) => values.map((v) => h("label", {}, h("input", { type: "checkbox", name: `${prefix}-aud-${name}`, value: v }), v));
  const device = h("div", { class: "days", role: "group", "aria-label": "Devices" }, checks("device", ["mobile", "tablet", "desktop"]));
  const browser = h("div", { class: "days", role: "group", "aria-label": "Browsers" }, checks("browser", ["chrome", "safari", "firefox", "edge", "samsung", "opera", "other"]));
  const returning = h("select", { id: `${prefix}-aud-returning` }, h("option", { value: "" }, "New and returning"), h("option", { value: "new" }, "New visitors"), h("option", { value: "returning" }, "Returning visitors"));
  const other = h("pre", { class: "hint", "data-testid": `${prefix}-aud-other` });
  const results = h("ul", { class: "who-matches", "data-testid": "who-matches", "aria-live": "polite" });
  const whoButton = h("button", { type: "button", name: "who-matches", onclick: () => whoMatches() }, "Who matches?");
  const custom = h("div", {},
    h("div", { class: "inline" }, f.country.el, f.region.el, f.language.el),
    h("p", { class: "label" }, "Devices"), device,
    h("p", { class: "label" }, "Browsers"), browser,
    h("label", { for: returning.id }, "Visitors"), returning,
    h("div", { class: "inline" }, f.utm_source.el, f.utm_medium.el, f.utm_campaign.el),
    h("div", { class: "inline" }, f.referrer.el, f.url.el),
    h("div", { class: "inline" }, f.cookieName.el, f.cookieValue.el),
    other);
  const el = h("fieldset", { class: "audience-builder" }, h("legend", {}, "Audience"),
    h("label", { for: named.id }, "Saved audience"), named, custom, whoButton, results);

  const setChecks = (group, values) => { for (const c of group.querySelectorAll("input")) c.checked = values.includes(c.value); };
  const getChecks = (group) => [...group.querySelectorAll("input")].filter((c) => c.checked).map((c) => c.value);
  const unregex = (c) => (c && c.op === "regex" ? c.value.replace(/\\(.)/g, "$1") : "");

  function namedOptions(selectedName) {
    const doc = getDoc() || {};
    fill(named, h("option", { value: "" }, "None: the conditions below"), Object.keys(doc.audiences || {}).map((n) => h("option", { value: n, selected: n === selectedName }, n)));
  }

  function set(condition) {
    form = conditionToClauses(clone(condition));
    namedOptions(form.named);
    custom.hidden = !!form.named;
    const cl = form.clauses;
    f.country.input.value = clauseValues(cl, "country").join(", ");
    f.region.input.value = clauseValues(cl, "region").join(", ");
    f.language.input.value = clauseValues(cl, "language").join(", ");
    for (const k of ["utm_source", "utm_medium", "utm_campaign"]) f[k].input.value = clauseValues(cl, k).join(", ");
    f.referrer.input.value = unregex(cl.find((c) => c.attr === "referrer"));
    f.url.input.value = unregex(cl.find((c) => c.attr === "url"));
    setChecks(device, clauseValues(cl, "device"));
    setChecks(browser, clauseValues(cl, "browser"));
    const r = cl.find((c) => c.attr === "returning" && c.op === "is");
    returning.value = r ? (r.value ? "returning" : "new") : "";
    const cookie = cl.find((c) => c.attr.startsWith("cookies.") && (c.op === "is" || (c.op === "exists" && c.value === true)));
    f.cookieName.input.value = cookie ? cookie.attr.slice(8) : "";
    f.cookieValue.input.value = cookie && cookie.op === "is" ? String(cookie.value) : "";
    form.cookieAttr = cookie?.attr;
    const known = new Set(["country", "region", "language", "utm_source", "utm_medium", "utm_campaign", "referrer", "url", "device", "browser", "returning", cookie?.attr]);
    const rest = cl.filter((c) => !known.has(c.attr) || (c.op === "raw"));
    fill(other, rest.length ? `Also kept as written: ${JSON.stringify(clausesToCondition({ clauses: rest }))}` : "");
    fill(results);
  }

  function get() {
    if (named.value) return named.value;
    const cl = form.clauses.slice();
    const listed = (attr, values) => {
      const c = cl.find((x) => x.attr === attr);
      if (c && c.op === "raw" && !values.length) return;
      setListClause(cl, attr, values);
    };
    listed("country", list(f.country.input.value).map((c) => c.toUpperCase()));
    listed("region", list(f.region.input.value));
    listed("language", list(f.language.input.value).map((c) => c.toLowerCase()));
    listed("device", getChecks(device));
    listed("browser", getChecks(browser));
    for (const k of ["utm_source", "utm_medium", "utm_campaign"]) listed(k, list(f[k].input.value));
    for (const k of ["referrer", "url"]) {
      const c = cl.find((x) => x.attr === k);
      const v = f[k].input.value.trim();
      if (c && c.op !== "regex" && !v) continue;
      if (c && c.op === "regex" && unregex(c) === v) continue;
      setClause(cl, k, v ? { op: "regex", value: escapeRegex(v) } : undefined);
    }
    const r = cl.find((c) => c.attr === "returning");
    if (returning.value || (r && r.op === "is")) setClause(cl, "returning", returning.value ? { op: "is", value: returning.value === "returning" } : undefined);
    const name = f.cookieName.input.value.trim();
    if (form.cookieAttr && form.cookieAttr !== `cookies.${name}`) setClause(cl, form.cookieAttr, undefined);
    if (name) {
      const value = f.cookieValue.input.value;
      const was = cl.find((c) => c.attr === `cookies.${name}`);
      const same = was && ((was.op === "is" && String(was.value) === value) || (was.op === "exists" && !value));
      if (!same) setClause(cl, `cookies.${name}`, value ? { op: "is", value } : { op: "exists", value: true });
    }
    return clausesToCondition({ named: null, clauses: cl, present: form.present || cl.length > 0 });
  }

  async function whoMatches() {
    const doc = getDoc() || {};
    const audience = get();
    fill(results, h("li", { class: "muted" }, "Asking the edge…"));
    try {
      const { status, data } = await post("who-matches", { document: JSON.stringify(doc), audience: audience ?? {}, profiles: PROFILES.map(({ name, attributes }) => ({ name, attributes })) }, { accept: [422] });
      if (status === 422) return fill(results, (data.problems || []).map((p) => h("li", { class: "form-error", "data-testid": "who-matches-problem" }, `${p.path}: ${p.message}`)));
      fill(results, data.profiles.map((p) => {
        const label = PROFILES.find((x) => x.name === p.name)?.label || p.name;
        return h("li", { "data-profile": p.name, "data-matches": String(p.matches), title: p.reason }, p.matches ? "✓ " : "✗ ", h("strong", {}, p.name), ` (${label}): ${p.matches ? "in the audience" : "not in it"}`);
      }));
    } catch (e) {
      fill(results, h("li", { class: "form-error" }, e.message));
    }
  }

  const builder = { el, set, get, refreshNamed: () => namedOptions(named.value) };
  builders.push(builder);
  return builder;
}

/** Every audience builder on the screen, so a saved audience shows up in all of them. */
const builders = [];

// ---- the screen -----------------------------------------------------------------------------

export function createForms(app) {
  let doc = null;
  const getDoc = () => doc;
  const status = h("p", { "data-testid": "forms-status", class: "hint", "aria-live": "polite" });

  async function save(next, message) {
    const textOut = JSON.stringify(next, null, 2);
    const problems = await saveDraftText(textOut);
    doc = next;
    if (problems.length) {
      fill(status, h("span", { class: "form-error" }, `Saved with ${problems.length} problem(s): `), problems.map((p) => `${p.path}: ${p.message}`).join("; "));
      app.notify(`Draft saved with ${problems.length} problems.`, { warn: true });
    } else {
      fill(status, message);
      app.notify(message);
    }
    refreshPickers();
    for (const b of builders) b.refreshNamed();
  }

  // A rule task: the promo bar / banner, and the copy change / hide.
  function ruleTask(key, title, { fields, toAction, fromAction }) {
    const pick = h("select", { id: `${key}-open`, onchange: () => load(pick.value) });
    const id = text(`${key}-id`, "Rule id");
    const pages = text(`${key}-pages`, "Pages (patterns, separated by commas; empty: every page)");
    const schedule = scheduleEditor(key);
    const audience = audienceBuilder(key, getDoc);
    let form = null;
    function load(ruleId) {
      const rule = (doc.rules || []).find((r) => r.id === ruleId) || { id: "", pages: ["/"], actions: [] };
      form = ruleToForm(rule);
      id.input.value = form.id || "";
      pages.input.value = (form.pages || []).join(", ");
      fields.set(form.actions.find((a) => fromAction(a)) || null);
      schedule.set(rule.schedule);
      audience.set(rule.audience);
    }
    async function submit(event) {
      event.preventDefault();
      if (!id.input.value.trim()) return fill(status, h("span", { class: "form-error" }, "Give the rule an id."));
      const oldId = form.id;
      const newId = id.input.value.trim();
      if (newId !== oldId && (doc.rules || []).some((r) => r.id === newId)) {
        return fill(status, h("span", { class: "form-error" }, `There is already a rule ${newId}: open it above, or give this one another id.`));
      }
      const action = toAction();
      const i = form.actions.findIndex((a) => fromAction(a));
      if (i >= 0) form.actions[i] = action;
      else form.actions.push(action);
      form.id = id.input.value.trim();
      const pageList = list(pages.input.value);
      form.pages = pageList.length ? pageList : null;
      form.schedule = scheduleToForm(schedule.get());
      form.audience = conditionToClauses(audience.get());
      const rule = formToRule(form);
      try {
        await save(putRule(doc, rule, oldId || rule.id), `Draft saved: rule ${rule.id}.`);
        pick.value = rule.id;
        load(rule.id);
      } catch (e) {
        app.fail(e);
      }
    }
    const el = h("form", { class: "task", "data-testid": `task-${key}`, onsubmit: submit, hidden: true },
      h("h2", {}, title),
      h("label", { for: pick.id }, "Open"), pick,
      id.el, pages.el, fields.el, schedule.el, audience.el,
      h("p", {}, h("button", { type: "submit", name: `${key}-save`, class: "primary" }, "Save to the draft")));
    return { key, title, el, pick, load, refresh: () => fillPick(pick, doc.rules || [], "A new rule") };
  }

  function fillPick(pick, items, newLabel) {
    const keep = pick.value;
    fill(pick, h("option", { value: "" }, newLabel), items.map((r) => h("option", { value: r.id }, r.id)));
    if ([...pick.options].some((o) => o.value === keep)) pick.value = keep;
  }

  // Promo bar or banner.
  const promoText = text("promo-text", "Text");
  const promoLink = text("promo-link", "Link (optional)", { placeholder: "/c/shoes?sale=1" });
  const promoWhere = h("select", { id: "promo-where" },
    h("option", { value: "bar" }, "In the promo bar (.promo-bar p)"),
    h("option", { value: "top" }, "A banner at the top of the page"));
  const promoHtml = () => {
    const t = escapeHtml(promoText.input.value);
    return promoLink.input.value ? `<a href="${escapeHtml(promoLink.input.value)}">${t}</a>` : t;
  };
  const promo = ruleTask("promo", "Promo bar or banner", {
    fields: {
      el: h("div", {}, promoText.el, promoLink.el, h("label", { for: "promo-where" }, "Where"), promoWhere),
      set(a) {
        const html = a ? a.set_html ?? a.prepend ?? "" : "";
        const m = /^<a href="([^"]*)">(.*)<\/a>$/s.exec(html.replace(/^<div class="veneer-banner" role="note">|<\/div>$/g, ""));
        const inner = html.replace(/^<div class="veneer-banner" role="note">|<\/div>$/g, "");
        promoText.input.value = (m ? m[2] : inner).replace(/<[^>]+>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
        promoLink.input.value = m ? m[1].replace(/&amp;/g, "&") : "";
        promoWhere.value = a && a.prepend !== undefined ? "top" : "bar";
      },
    },
    toAction: () => (promoWhere.value === "top"
      ? { select: "body", prepend: `<div class="veneer-banner" role="note">${promoHtml()}</div>` }
      : { select: ".promo-bar p", set_html: promoHtml() }),
    fromAction: (a) => (a.select === ".promo-bar p" && a.set_html !== undefined) || (a.select === "body" && a.prepend !== undefined),
  });

  // Headline / copy change, or hide an element.
  const copySelect = text("copy-select", "Element (selector)", { placeholder: ".hero h1" });
  const copyOp = h("select", { id: "copy-op" }, h("option", { value: "set_text" }, "Change its text"), h("option", { value: "set_html" }, "Change its HTML"), h("option", { value: "remove" }, "Hide it (remove it from the page)"));
  const copyText = h("textarea", { id: "copy-text", rows: 2 });
  let copyAction = null;
  const copy = ruleTask("copy", "Headline or copy change, or hide an element", {
    fields: {
      el: h("div", {}, copySelect.el, h("label", { for: "copy-op" }, "Change"), copyOp, h("label", { for: "copy-text" }, "New text"), copyText,
        h("p", { class: "hint" }, "Pick the element visually in the ", h("a", { href: "#/visual" }, "Visual editor"), " for a selector that works while the page streams.")),
      set(a) {
        copyAction = a;
        copySelect.input.value = a?.select || "";
        copyOp.value = a ? operationOf(a) : "set_text";
        copyText.value = a ? a.set_text ?? a.set_html ?? "" : "";
      },
    },
    toAction: () => {
      const select = copySelect.input.value.trim();
      if (copyOp.value === "remove") return { ...(copyAction && copyAction.select === select && copyAction.remove !== undefined ? copyAction : {}), select, remove: true };
      return { select, [copyOp.value]: copyText.value };
    },
    fromAction: (a) => a.select !== undefined && ["set_text", "set_html", "remove"].includes(operationOf(a)),
  });

  // Experiment wizard.
  const expPick = h("select", { id: "exp-open", onchange: () => loadExperiment(expPick.value) });
  const expId = text("exp-id", "Experiment id");
  const expPages = text("exp-pages", "Pages (patterns, separated by commas)");
  const expStatus = h("select", { id: "exp-status" }, ["draft", "running", "stopped"].map((s) => h("option", { value: s }, s)));
  const expCoverage = h("input", { id: "exp-coverage", type: "number", min: 0, max: 100, step: 1, value: 100 });
  const variationRows = h("tbody", { "data-testid": "exp-variations" });
  const expSchedule = scheduleEditor("exp");
  const expAudience = audienceBuilder("exp", getDoc);
  const goalPick = h("select", { id: "exp-goal", onchange: () => { newGoal.hidden = goalPick.value !== "new"; } });
  const goalName = text("exp-goal-name", "New goal's name");
  const goalType = h("select", { id: "exp-goal-type" }, [["click", "A click on an element"], ["page_view", "A page view"], ["submit", "A form submitted"]].map(([v, l]) => h("option", { value: v }, l)));
  const goalSelect = text("exp-goal-select", "Element (selector; for clicks and forms)");
  const goalPages = text("exp-goal-pages", "Pages (patterns, separated by commas)");
  const newGoal = h("div", { hidden: true }, goalName.el, h("label", { for: "exp-goal-type" }, "Reached when"), goalType, goalSelect.el, goalPages.el);
  const goalsPart = GOALS
    ? h("fieldset", { "data-testid": "exp-goals" }, h("legend", {}, "Goal (the primary metric)"), h("label", { for: "exp-goal" }, "Primary goal"), goalPick, newGoal)
    : h("p", { class: "hint" }, "Goals and a primary metric are not part of this build's rules document: they appear here when they are.");
  function fillGoals() {
    const names = Object.keys(doc.goals || {});
    const current = metricGoal(expForm?.metrics?.primary) || "";
    fill(goalPick, h("option", { value: "" }, "None"), names.map((n) => h("option", { value: n, selected: n === current }, n)), h("option", { value: "new" }, "A new goal…"));
    newGoal.hidden = true;
  }
  /** The document and form with the chosen goal as the primary metric (a new goal defined). */
  function applyGoal(next, f) {
    if (!GOALS) return next;
    let name = goalPick.value;
    if (name === "new") {
      name = goalName.input.value.trim();
      if (!name) return next;
      const goal = { type: goalType.value };
      if (goalType.value !== "page_view" && goalSelect.input.value.trim()) goal.select = goalSelect.input.value.trim();
      const pages = list(goalPages.input.value);
      if (pages.length) goal.pages = pages;
      next = putGoal(next, name, goal);
    }
    if (name !== (metricGoal(expForm.metrics?.primary) || "")) f.metrics = withPrimaryGoal(f.metrics, name);
    return next;
  }
  let expForm = null;
  function renderVariations() {
    fill(variationRows, expForm.variations.map((v, i) => {
      const idIn = h("input", { type: "text", id: `exp-var-${i}-id`, value: v.id, "aria-label": `Variation ${i + 1} id`, oninput: () => { v.id = idIn.value.trim(); } });
      const w = h("input", { type: "number", id: `exp-var-${i}-weight`, min: 0, max: 100, step: 1, value: v.weight === undefined ? "" : Math.round(v.weight * 1000) / 10, "aria-label": `Variation ${i + 1} weight (%)`, oninput: () => { v.weight = w.value === "" ? undefined : Number(w.value) / 100; } });
      const actions = v.original.actions || [];
      return h("tr", { "data-variation": v.id },
        h("td", {}, idIn), h("td", {}, w),
        h("td", {}, i === 0 ? "control" : `${actions.length} change(s)`),
        h("td", {}, h("button", { type: "button", name: "exp-var-visual", onclick: () => editVisually(i) }, "Edit in the visual editor")));
    }));
  }
  async function editVisually(i) {
    const f = readExperiment();
    const withGoal = applyGoal(doc, f);
    const x = formToExperiment(f);
    if (!x.id) return fill(status, h("span", { class: "form-error" }, "Give the experiment an id."));
    if (x.id !== expForm.original.id && (doc.experiments || []).some((e) => e.id === x.id)) {
      return fill(status, h("span", { class: "form-error" }, `There is already an experiment ${x.id}: open it above, or give this one another id.`));
    }
    try {
      await save(putExperiment(withGoal, x, expForm.original.id || x.id), `Draft saved: experiment ${x.id}.`);
    } catch (e) {
      return app.fail(e);
    }
    expPick.value = x.id;
    loadExperiment(x.id);
    const path = (x.pages || ["/"])[0].replace(/\*$/, "");
    app.screens.visual.aim(`variation:${x.id}:${x.variations[i].id}`, path || "/");
  }
  function loadExperiment(xid) {
    const x = (doc.experiments || []).find((e) => e.id === xid) || { id: "", pages: ["/"], status: "draft", variations: [{ id: "control" }, { id: "variant" }] };
    expForm = experimentToForm(x);
    if (!xid) {
      const w = evenWeights(2);
      expForm.variations.forEach((v, i) => { v.weight = w[i]; });
      expForm.original = {};
    }
    expId.input.value = expForm.id;
    expPages.input.value = (expForm.pages || []).join(", ");
    expStatus.value = expForm.status || "running";
    expCoverage.value = expForm.coverage === undefined ? 100 : Math.round(expForm.coverage * 1000) / 10;
    renderVariations();
    fillGoals();
    expSchedule.set(x.schedule);
    expAudience.set(x.audience);
  }
  function readExperiment() {
    const f = { ...expForm };
    f.id = expId.input.value.trim();
    const p = list(expPages.input.value);
    f.pages = p.length ? p : null;
    const wasStatus = expForm.status;
    f.status = wasStatus === undefined && expStatus.value === "running" ? undefined : expStatus.value;
    const cov = Number(expCoverage.value) / 100;
    f.coverage = expForm.coverage === undefined && cov === 1 ? undefined : cov;
    f.schedule = scheduleToForm(expSchedule.get());
    f.audience = conditionToClauses(expAudience.get());
    return f;
  }
  const expEl = h("form", { class: "task", "data-testid": "task-experiment", hidden: true, onsubmit: async (event) => {
    event.preventDefault();
    const f = readExperiment();
    if (!f.id) return fill(status, h("span", { class: "form-error" }, "Give the experiment an id."));
    if (f.id !== expForm.original.id && (doc.experiments || []).some((x) => x.id === f.id)) {
      return fill(status, h("span", { class: "form-error" }, `There is already an experiment ${f.id}: open it above, or give this one another id.`));
    }
    const withGoal = applyGoal(doc, f);
    const x = formToExperiment(f);
    try {
      await save(putExperiment(withGoal, x, expForm.original.id || x.id), `Draft saved: experiment ${x.id}.`);
      expPick.value = x.id;
      loadExperiment(x.id);
    } catch (e) {
      app.fail(e);
    }
  } },
  h("h2", {}, "Experiment"),
  h("label", { for: "exp-open" }, "Open"), expPick,
  h("div", { class: "inline" }, expId.el, h("div", {}, h("label", { for: "exp-status" }, "Status"), expStatus), h("div", {}, h("label", { for: "exp-coverage" }, "Coverage (% of the audience)"), expCoverage)),
  expPages.el,
  h("table", { class: "grid" }, h("caption", {}, "Variations (the first is the control); weights in %"),
    h("thead", {}, h("tr", {}, ["Id", "Weight", "Changes", ""].map((c) => h("th", { scope: "col" }, c)))), variationRows),
  h("p", {},
    h("button", { type: "button", name: "exp-add-variation", onclick: () => { expForm.variations.push({ id: `v${expForm.variations.length}`, weight: undefined, original: {} }); renderVariations(); } }, "Add a variation"), " ",
    h("button", { type: "button", name: "exp-split", onclick: () => { const w = evenWeights(expForm.variations.length); expForm.variations.forEach((v, i) => { v.weight = w[i]; }); renderVariations(); } }, "Split evenly")),
  goalsPart,
  expSchedule.el, expAudience.el,
  h("p", {}, h("button", { type: "submit", name: "exp-save", class: "primary" }, "Save to the draft")));

  // Audience builder.
  const audPick = h("select", { id: "aud-open", onchange: () => loadAudience(audPick.value) });
  const audName = text("aud-name", "Audience name");
  const audBuilder = audienceBuilder("aud", getDoc);
  let audOld = "";
  function loadAudience(name) {
    audOld = name;
    audName.input.value = name;
    audBuilder.set(name ? doc.audiences?.[name] : undefined);
  }
  const audEl = h("form", { class: "task", "data-testid": "task-audience", hidden: true, onsubmit: async (event) => {
    event.preventDefault();
    const name = audName.input.value.trim();
    if (!name) return fill(status, h("span", { class: "form-error" }, "Give the audience a name."));
    let next = doc;
    const condition = audBuilder.get() ?? {};
    if (audOld && audOld !== name) next = putAudience(next, audOld, undefined);
    next = putAudience(next, name, condition);
    try {
      await save(next, `Draft saved: audience ${name}.`);
      audPick.value = name;
      loadAudience(name);
    } catch (e) {
      app.fail(e);
    }
  } },
  h("h2", {}, "Audience"),
  h("label", { for: "aud-open" }, "Open"), audPick, audName.el, audBuilder.el,
  h("p", {}, h("button", { type: "submit", name: "aud-save", class: "primary" }, "Save to the draft")));

  const commerce = commerceTasks({ getDoc, save, status, text, list, fillPick, fail: (e) => app.fail(e) });

  const tasks = [
    { key: "promo", title: "Promo bar or banner", el: promo.el },
    { key: "copy", title: "Copy change or hide", el: copy.el },
    { key: "experiment", title: "Experiment", el: expEl },
    { key: "audience", title: "Audience", el: audEl },
    ...commerce.map((t) => ({ key: t.key, title: t.title, el: t.el })),
  ];
  const tabs = tasks.map((t) => h("button", { type: "button", name: `task-${t.key}`, "aria-pressed": "false", onclick: () => showTask(t.key) }, t.title));
  let currentTask = "promo";
  function showTask(key) {
    currentTask = key;
    tasks.forEach((t, i) => { t.el.hidden = t.key !== key; tabs[i].setAttribute("aria-pressed", String(t.key === key)); });
  }
  function refreshPickers() {
    promo.refresh();
    copy.refresh();
    fillPick(expPick, doc.experiments || [], "A new experiment");
    const keep = audPick.value;
    fill(audPick, h("option", { value: "" }, "A new audience"), Object.keys(doc.audiences || {}).map((n) => h("option", { value: n }, n)));
    if ([...audPick.options].some((o) => o.value === keep)) audPick.value = keep;
    for (const t of commerce) t.refresh();
  }

  const el = h("section", { class: "screen forms", "aria-labelledby": "forms-title" },
    h("h1", { id: "forms-title" }, "Tasks"),
    h("p", { class: "hint" }, "Everyday changes as forms. Each saves the draft, the same document the Editor shows; fields a form does not show are kept as they are."),
    h("div", { class: "forms-nav", role: "group", "aria-label": "Task" }, tabs),
    status,
    tasks.map((t) => t.el));

  return {
    title: "Tasks",
    el,
    async enter() {
      // Unsaved JSON edits would be lost (or would overwrite these changes on their save).
      if (app.screens.editor?.dirty?.()) {
        app.fail("The Editor has unsaved changes: save them there first, then come back to the forms.");
        return;
      }
      const text = await loadDraftText();
      try {
        doc = JSON.parse(text);
      } catch {
        app.fail("The draft is not valid JSON: fix it in the Editor first.");
        return;
      }
      refreshPickers();
      promo.load(promo.pick.value);
      copy.load(copy.pick.value);
      loadExperiment(expPick.value);
      loadAudience(audPick.value);
      for (const t of commerce) t.load();
      showTask(currentTask);
    },
  };
}

