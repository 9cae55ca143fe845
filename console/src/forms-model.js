// The everyday-task forms' model: rules, experiments, audiences (GrowthBook conditions) and
// schedules read into form values and written back. Pure (no DOM), unit-tested on every example
// document of fixtures/rules/: reading then writing with nothing changed gives the same JSON,
// byte for byte (fields the forms do not know are kept, in their place).

import { clone } from "./draft-model.js";

// ---- objects, in place ----------------------------------------------------------------------

/**
 * `original` with `updates` applied, keeping its key order: a key set to `undefined` is removed,
 * a new key goes at the end.
 */
export function patch(original, updates) {
  const out = {};
  const base = original && typeof original === "object" && !Array.isArray(original) ? original : {};
  for (const [k, v] of Object.entries(base)) {
    if (!(k in updates)) out[k] = clone(v);
    else if (updates[k] !== undefined) out[k] = updates[k];
  }
  for (const [k, v] of Object.entries(updates)) if (!(k in base) && v !== undefined) out[k] = v;
  return out;
}

// ---- conditions -----------------------------------------------------------------------------

/** The attributes the audience builder has controls for (src/request/attributes.rs's names). */
export const BUILDER_ATTRIBUTES = ["country", "region", "device", "browser", "language", "utm_source", "utm_medium", "utm_campaign", "referrer", "returning", "url"];

/**
 * A condition as clauses `[{attr, op, value}]`, one per key, in order. `op` is "is" (a plain
 * value), "in" (`$in` of a list), "regex" (`$regex`), "exists" (`$exists`), or "raw" (anything
 * else, kept as written). A named audience (a string) is `{named}`.
 */
export function conditionToClauses(condition) {
  if (typeof condition === "string") return { named: condition, clauses: [], present: true };
  if (condition === undefined || condition === null || typeof condition !== "object") return { named: null, clauses: [], present: false };
  const clauses = Object.entries(condition).map(([attr, value]) => {
    if (attr.startsWith("$")) return { attr, op: "raw", value: clone(value) };
    if (value === null || typeof value !== "object") return { attr, op: "is", value };
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [k] = keys;
      const v = value[k];
      if (k === "$in" && Array.isArray(v) && v.every((x) => typeof x === "string")) return { attr, op: "in", value: [...v] };
      if (k === "$regex" && typeof v === "string") return { attr, op: "regex", value: v };
      if (k === "$exists" && typeof v === "boolean") return { attr, op: "exists", value: v };
    }
    return { attr, op: "raw", value: clone(value) };
  });
  return { named: null, clauses, present: true };
}

/** The condition of clauses (the inverse of conditionToClauses). */
export function clausesToCondition({ named, clauses, present }) {
  if (named) return named;
  if (!clauses.length) return present ? {} : undefined;
  const out = {};
  for (const c of clauses) {
    if (c.op === "is" || c.op === "raw") out[c.attr] = clone(c.value);
    else if (c.op === "in") out[c.attr] = { $in: [...c.value] };
    else if (c.op === "regex") out[c.attr] = { $regex: c.value };
    else if (c.op === "exists") out[c.attr] = { $exists: c.value };
  }
  return out;
}

/** `.` `*` `?`… escaped, for "contains" fields written as `$regex`. */
export function escapeRegex(text) {
  return String(text).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/**
 * Sets one attribute's clause from a list of values (empty: removed). One value is written as
 * a plain value unless the clause was already `$in`; more are `$in`.
 */
export function setListClause(clauses, attr, values) {
  const i = clauses.findIndex((c) => c.attr === attr);
  const list = values.map((v) => String(v).trim()).filter(Boolean);
  if (!list.length) {
    if (i >= 0) clauses.splice(i, 1);
    return clauses;
  }
  const wasIn = i >= 0 && clauses[i].op === "in";
  const clause = list.length === 1 && !wasIn ? { attr, op: "is", value: list[0] } : { attr, op: "in", value: list };
  if (i >= 0) clauses[i] = clause;
  else clauses.push(clause);
  return clauses;
}

/** Sets (or, with `undefined`, removes) one attribute's clause. */
export function setClause(clauses, attr, clause) {
  const i = clauses.findIndex((c) => c.attr === attr);
  if (clause === undefined) {
    if (i >= 0) clauses.splice(i, 1);
  } else if (i >= 0) clauses[i] = { attr, ...clause };
  else clauses.push({ attr, ...clause });
  return clauses;
}

/** The values of a list or plain clause (`["DE"]`), or [] when the attribute has none (or a raw one). */
export function clauseValues(clauses, attr) {
  const c = clauses.find((x) => x.attr === attr);
  if (!c) return [];
  if (c.op === "in") return c.value;
  if (c.op === "is" && typeof c.value === "string") return [c.value];
  return [];
}

// ---- schedules ------------------------------------------------------------------------------

/** "2026-11-27T00:00:00+01:00" → {local: "2026-11-27T00:00", offset: "+01:00"} (Z is +00:00). */
export function splitTime(text) {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d)(?::(\d\d)(?:\.\d+)?)?(Z|[+-]\d\d:\d\d)$/i.exec(text || "");
  if (!m) return null;
  return { local: m[1], seconds: m[2] || "00", offset: m[3].toUpperCase() === "Z" ? "+00:00" : m[3] };
}

/** The UTC offset (`+01:00`) of an IANA time zone at a UTC instant. */
export function zoneOffset(zone, date) {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" }).formatToParts(date);
  const get = (t) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour") % 24, get("minute"), get("second"));
  const minutes = Math.round((asUtc - date.getTime()) / 60000);
  const sign = minutes < 0 ? "-" : "+";
  const a = Math.abs(minutes);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
}

/**
 * A wall-clock time in a zone as RFC 3339 with that zone's offset then:
 * ("2026-12-24T08:00", "Europe/Berlin") → "2026-12-24T08:00:00+01:00".
 */
export function zonedTime(local, zone) {
  if (!local) return undefined;
  const [d, t] = local.split("T");
  const [y, mo, da] = d.split("-").map(Number);
  const [hh, mm] = t.split(":").map(Number);
  const guess = Date.UTC(y, mo - 1, da, hh, mm);
  // The offset at the guessed instant, then once more at the corrected one (DST edges).
  let offset = zoneOffset(zone, new Date(guess));
  const minutes = (o) => (o[0] === "-" ? -1 : 1) * (Number(o.slice(1, 3)) * 60 + Number(o.slice(4, 6)));
  offset = zoneOffset(zone, new Date(guess - minutes(offset) * 60000));
  return `${local}:00${offset}`;
}

/**
 * A schedule as form values: `{start, end, windows, zone}`; start/end are `{local, offset, text}`
 * (text: as written, reused when unchanged).
 */
export function scheduleToForm(schedule) {
  const s = schedule && typeof schedule === "object" ? schedule : {};
  const time = (t) => (typeof t === "string" ? { ...(splitTime(t) || { local: "", offset: "" }), text: t } : null);
  return {
    on: schedule !== undefined,
    start: time(s.start),
    end: time(s.end),
    windows: Array.isArray(s.windows) ? s.windows.map((w) => ({ ...clone(w) })) : null,
    original: clone(schedule),
  };
}

/** The schedule of form values, keeping the original's other fields (and its time strings when unchanged). */
export function formToSchedule(form) {
  if (!form.on) return undefined;
  const text = (t) => {
    if (!t || !t.local) return undefined;
    if (t.text && splitTime(t.text)?.local === t.local && splitTime(t.text)?.offset === t.offset) return t.text;
    if (t.zone) return zonedTime(t.local, t.zone);
    return `${t.local}:00${t.offset || "+00:00"}`;
  };
  const updates = { start: text(form.start), end: text(form.end) };
  updates.windows = form.windows ? form.windows.map((w) => ({ ...w })) : undefined;
  const out = patch(form.original, updates);
  return Object.keys(out).length ? out : {};
}

// ---- rules and experiments ------------------------------------------------------------------

/** A rule as the task forms show it (the rest stays in `original`). */
export function ruleToForm(rule) {
  return {
    id: rule.id,
    description: rule.description,
    pages: rule.pages === undefined ? null : [...rule.pages],
    audience: conditionToClauses(rule.audience),
    schedule: scheduleToForm(rule.schedule),
    actions: clone(rule.actions || []),
    original: clone(rule),
  };
}

/** The rule of form values; with nothing changed, the rule as it was. */
export function formToRule(form) {
  return patch(form.original, {
    id: form.id,
    description: form.description,
    pages: form.pages === null ? undefined : form.pages,
    audience: clausesToCondition(form.audience),
    schedule: formToSchedule(form.schedule),
    actions: form.actions,
  });
}

/** An experiment as the wizard shows it. */
export function experimentToForm(x) {
  return {
    id: x.id,
    pages: x.pages === undefined ? null : [...x.pages],
    status: x.status,
    coverage: x.coverage,
    audience: conditionToClauses(x.audience),
    schedule: scheduleToForm(x.schedule),
    variations: (x.variations || []).map((v) => ({ id: v.id, weight: v.weight, original: clone(v) })),
    metrics: clone(x.metrics),
    original: clone(x),
  };
}

/** The goal name a metric measures (a name, or `{"goal"}`). */
export function metricGoal(metric) {
  return typeof metric === "string" ? metric : metric && typeof metric === "object" ? metric.goal : undefined;
}

/**
 * An experiment's `metrics` with `primary` the goal named (metrics of docs/rules.md, "Goals and
 * metrics"); a primary that was an object keeps its other fields; secondary ones stay, less the
 * new primary. `undefined` removes the metrics when there were no secondary ones.
 */
export function withPrimaryGoal(metrics, goal) {
  const m = metrics && typeof metrics === "object" ? metrics : {};
  if (!goal) return m.secondary && m.secondary.length ? m : undefined;
  const primary = m.primary && typeof m.primary === "object" ? patch(m.primary, { goal }) : goal;
  const secondary = Array.isArray(m.secondary) ? m.secondary.filter((s) => metricGoal(s) !== goal) : undefined;
  return patch(m, { primary, secondary: m.secondary === undefined ? undefined : secondary });
}

/** The document with a goal defined (or replaced) under `goals`. */
export function putGoal(doc, name, goal) {
  const next = clone(doc);
  next.goals = patch(next.goals, { [name]: goal });
  return next;
}

/** The experiment of the wizard's values. */
export function formToExperiment(form) {
  return patch(form.original, {
    id: form.id,
    pages: form.pages === null ? undefined : form.pages,
    status: form.status,
    coverage: form.coverage,
    audience: clausesToCondition(form.audience),
    schedule: formToSchedule(form.schedule),
    variations: form.variations.map((v) => patch(v.original, { id: v.id, weight: v.weight })),
    metrics: form.metrics,
  });
}

/** Weights for `n` variations split evenly, adding up to exactly 1. */
export function evenWeights(n) {
  const w = Math.floor(10000 / n) / 10000;
  const out = Array.from({ length: n }, () => w);
  out[0] = Math.round((1 - w * (n - 1)) * 10000) / 10000;
  return out;
}

/** The document with a rule replaced (by `id`, or by its old id) or added. */
export function putRule(doc, rule, oldId = rule.id) {
  const next = clone(doc);
  next.rules = next.rules || [];
  const i = next.rules.findIndex((r) => r.id === oldId);
  if (i >= 0) next.rules[i] = rule;
  else next.rules.push(rule);
  return next;
}

/** The document with an experiment replaced or added. */
export function putExperiment(doc, x, oldId = x.id) {
  const next = clone(doc);
  next.experiments = next.experiments || [];
  const i = next.experiments.findIndex((e) => e.id === oldId);
  if (i >= 0) next.experiments[i] = x;
  else next.experiments.push(x);
  return next;
}

/** The document with a named audience set (`condition` undefined: removed). */
export function putAudience(doc, name, condition) {
  const next = clone(doc);
  const audiences = patch(next.audiences, { [name]: condition });
  next.audiences = audiences;
  return next;
}

/**
 * Every part of a document read into the forms and written back: the forms' round trip (a
 * document the forms open and save unchanged is the same document).
 */
export function roundTrip(doc) {
  const updates = {};
  if (doc.rules) updates.rules = doc.rules.map((r) => formToRule(ruleToForm(r)));
  if (doc.experiments) updates.experiments = doc.experiments.map((x) => formToExperiment(experimentToForm(x)));
  if (doc.audiences) updates.audiences = Object.fromEntries(Object.entries(doc.audiences).map(([k, c]) => [k, clausesToCondition(conditionToClauses(c))]));
  return patch(doc, updates);
}
