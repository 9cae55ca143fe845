// One-line help for the fields that schema/rules.schema.json gives no description (from
// docs/rules.md). Keys are paths with list positions written as []; the schema's own
// descriptions (the actions) come first.

const shared = {
  id: "the name in logs, errors and explanations; unique",
  description: "a note for people; ignored by Veneer",
  pages: 'the paths it applies to: "/" (home only), "/cart" (exactly), "/c/*" (starts with /c/), "*" (every page); absent means every page',
  audience: "who it is for: an audience name from \"audiences\", or a condition; absent means everyone",
  schedule: "when it is live: start (inclusive), end (exclusive), optional weekly windows; absent means always",
  "schedule.start": 'first instant it is live, inclusive: RFC 3339 with an offset, like "2026-11-27T00:00:00+01:00"',
  "schedule.end": "first instant it is no longer live, exclusive; after start",
  "schedule.windows": "weekly windows; when given, live only inside at least one of them",
  "schedule.windows[].days": "days of the week (mon … sun); default every day",
  "schedule.windows[].from": "opening time, HH:MM 24-hour, inclusive",
  "schedule.windows[].to": "closing time, HH:MM, exclusive; after from (no window crosses midnight)",
  "schedule.windows[].utc_offset": 'the fixed offset of days, from and to, like "+01:00" (no daylight saving); default "+00:00"',
};

const rule = {
  ...shared,
  id: "the rule's name in logs, errors and veneer explain; unique among the rules",
  priority: "application order: lower first, so a higher priority wins conflicts; default 0",
  actions: "what the rule does, in order",
};

const experiment = {
  ...shared,
  id: "1 to 64 letters, digits, _ or -; unique; also the default hash seed",
  status: '"draft" (only previews see it), "running" (default) or "stopped" (nobody is assigned)',
  winner: 'with "status": "stopped" only: the id of the variation everyone now gets',
  coverage: "share of the audience that enters, 0 to 1; default 1",
  seed: "hash seed; default the experiment's id",
  hash_version: "GrowthBook hash version, 1 or 2; default 2",
  namespace: 'experiments whose ranges of one namespace do not overlap never share a visitor: {"id", "start", "end"}',
  variations: "2 to 100 variations; the first is the control",
  "variations[].id": "the variation's name",
  "variations[].weight": "its share of the visitors; give every variation a weight (adding up to 1) or none (equal split)",
  "variations[].actions": "what this variation does, in order",
};

const docs = {
  version: "a label for this version of the document, shown in logs as rules_version",
  settings: "document-wide settings",
  "settings.visitor_cookie": 'the cookie that holds the visitor id; default "veneer_id"',
  "settings.visitor_cookie_days": "lifetime of the visitor cookie, 1 to 400 days; default 365",
  "settings.consent_cookie": "turns on consent mode: no visitor id, experiments or rule cookies until this cookie says yes",
  "settings.consent_values": 'the values of consent_cookie that mean yes; default ["yes", "true", "1"]',
  "settings.redirect_hosts": "the hosts a redirect may send visitors to with an absolute URL",
  "settings.header_attributes": "request headers exposed to targeting and templates as the headers attribute",
  audiences: "named targeting conditions: audience name → condition",
  saved_groups: "named lists of values, for $inGroup on an attribute",
  rules: "the rules, applied in priority order, then document order",
  experiments: "A/B tests; they apply after all rules, in document order",
};
for (const [k, v] of Object.entries(rule)) docs[`rules[].${k}`] = v;
for (const [k, v] of Object.entries(experiment)) docs[`experiments[].${k}`] = v;

/** The path pattern of a path: ["rules", 0, "pages"] → "rules[].pages". */
export function pattern(path) {
  let out = "";
  for (const s of path) out += typeof s === "number" ? "[]" : out ? `.${s}` : s;
  return out;
}

export function fieldDoc(path) {
  return docs[pattern(path)] || null;
}
