// The results screen's pure parts: reading the results API's answer, the numbers as the table
// shows them, which variation to suggest shipping, and the data the charts draw. Nothing here is
// statistics: every number comes from the API (`stats::analyze`, docs/results.md).

/** The experiment id in `#/results/<id>`, or "". */
export function experimentInHash(hash) {
  const m = /^#\/results\/([^?#]*)/.exec(hash || "");
  if (!m) return "";
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

/** The link to an experiment's results. */
export function resultsHref(id) {
  return `#/results/${encodeURIComponent(id)}`;
}

/** The engines the results API offers (`?engine=`). */
export const ENGINES = ["bayesian", "frequentist"];

export const VERDICTS = {
  better: "Better",
  worse: "Worse",
  inconclusive: "Inconclusive",
  not_enough_data: "Not enough data",
};

export const METRIC_STATUS = {
  significant: "Significant",
  inconclusive: "Inconclusive",
  not_enough_data: "Not enough data",
};

export const REASONS = {
  too_few_users: "a variation has fewer than 2 users",
  baseline_zero: "the baseline's mean is 0",
  zero_variance: "the values do not vary yet (nobody, or everybody, converted)",
};

/**
 * The results API's answer as {results, counts}: the analysis itself (`stats::analyze`'s JSON),
 * or `{"analysis", "counts"}` around it; either may be missing (null).
 */
export function readAnswer(data) {
  if (!data || typeof data !== "object") return { results: null, counts: null };
  if (Array.isArray(data.metrics) && Array.isArray(data.variations)) return { results: data, counts: null };
  const results = data.analysis && typeof data.analysis === "object" && Array.isArray(data.analysis.variations) ? data.analysis : null;
  const counts = data.counts && typeof data.counts === "object" && Array.isArray(data.counts.variations) ? data.counts : null;
  return { results, counts };
}

function finite(x) {
  return typeof x === "number" && Number.isFinite(x);
}

/** 6212 → "6,212" (in the locale's way). */
export function count(x, locale) {
  if (!finite(x)) return "–";
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(x);
}

/** 0.0971 → "9.71%" (a rate: 2 decimals). */
export function rate(x, locale) {
  if (!finite(x)) return "–";
  return new Intl.NumberFormat(locale, { style: "percent", minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(x);
}

/** 0.199 → "+19.9%", -0.041 → "-4.1%" (an effect: signed, 1 decimal). */
export function signedPercent(x, locale) {
  if (!finite(x)) return "–";
  return new Intl.NumberFormat(locale, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1, signDisplay: "exceptZero" }).format(x);
}

/** A mean value per user (e.g. revenue): 2 decimals. */
export function mean(x, locale) {
  if (!finite(x)) return "–";
  return new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(x);
}

/** An absolute effect of a value metric: signed, 2 decimals. */
export function signedNumber(x, locale) {
  if (!finite(x)) return "–";
  return new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: "exceptZero" }).format(x);
}

/** 0.9978 → "99.8%". */
export function chance(x, locale) {
  if (!finite(x)) return "–";
  return new Intl.NumberFormat(locale, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(x);
}

/** A p-value: "0.0123", or "< 0.0001" for smaller ones. */
export function pValue(p) {
  if (!finite(p)) return "–";
  if (p < 0.0001) return "< 0.0001";
  return p.toFixed(4);
}

/**
 * The effect a comparison is judged on (docs/results.md): the relative one, else the absolute
 * one (when the baseline's mean is 0). {effect, relative: bool} or null.
 */
export function judgedEffect(comparison) {
  if (comparison?.relative) return { effect: comparison.relative, relative: true };
  if (comparison?.absolute) return { effect: comparison.absolute, relative: false };
  return null;
}

/** "+19.9% [+6.4%, +33.5%]" (relative), or "+0.25 [-0.10, +0.60] (absolute)". */
export function effectText(comparison, kind, locale) {
  const judged = judgedEffect(comparison);
  if (!judged) return null;
  const { effect, relative } = judged;
  const f = relative || kind === "binomial" ? (x) => signedPercent(x, locale) : (x) => signedNumber(x, locale);
  const [low, high] = Array.isArray(effect.interval) ? effect.interval : [NaN, NaN];
  return `${f(effect.estimate)} [${f(low)}, ${f(high)}]${relative ? "" : " (absolute)"}`;
}

/** The chance to win (Bayesian) or the p-value (frequentist) of the judged effect. */
export function evidenceText(comparison, locale) {
  const judged = judgedEffect(comparison);
  if (!judged) return "–";
  const { effect } = judged;
  if (finite(effect.chance_to_win)) return chance(effect.chance_to_win, locale);
  if (finite(effect.p_value)) return pValue(effect.p_value);
  return "–";
}

/** The experiment's primary metric, else its first one, or null. */
export function primaryMetric(results) {
  const metrics = Array.isArray(results?.metrics) ? results.metrics : [];
  return metrics.find((m) => m.primary) || metrics[0] || null;
}

/**
 * The variation to suggest shipping: among those `better` than the baseline on the primary
 * metric, the one with the largest improvement (the most negative effect for an inverse
 * metric). Null when none is better.
 */
export function suggestedWinner(results) {
  const metric = primaryMetric(results);
  if (!metric) return null;
  let best = null;
  for (const v of metric.variations || []) {
    if (v.comparison?.verdict !== "better") continue;
    const judged = judgedEffect(v.comparison);
    if (!judged) continue;
    const gain = metric.inverse ? -judged.effect.estimate : judged.effect.estimate;
    if (!best || gain > best.gain) best = { key: v.key, gain, goal: metric.goal };
  }
  return best ? { key: best.key, goal: best.goal } : null;
}

/** Users of all variations together. */
export function totalUsers(results) {
  return (results?.variations || []).reduce((sum, v) => sum + (finite(v.users) ? v.users : 0), 0);
}

/**
 * The scale of an effect chart: a domain that holds 0 and every interval, padded a little, and
 * round ticks across it. Intervals are [low, high] pairs (others are skipped).
 */
export function effectScale(intervals, tickCount = 5) {
  let low = 0;
  let high = 0;
  for (const i of intervals) {
    if (!Array.isArray(i) || !finite(i[0]) || !finite(i[1])) continue;
    low = Math.min(low, i[0]);
    high = Math.max(high, i[1]);
  }
  if (low === high) {
    low -= 0.05;
    high += 0.05;
  }
  const pad = (high - low) * 0.05;
  const ticks = niceTicks(low - pad, high + pad, tickCount);
  return { min: Math.min(low - pad, ticks[0]), max: Math.max(high + pad, ticks[ticks.length - 1]), ticks };
}

/** Round tick values (1, 2 or 5 × 10ⁿ apart) covering [min, max]. */
export function niceTicks(min, max, count = 5) {
  if (!(max > min)) return [min];
  const rough = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? rough;
  const first = Math.ceil(min / step - 1e-9) * step;
  const ticks = [];
  for (let t = first; t <= max + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : Number(t.toPrecision(12)));
  return ticks;
}

/**
 * The users-over-time chart's data: x = each day's start (UTC, in seconds), one list per
 * variation. Days are sorted; a day whose list does not fit the variations is dropped.
 */
export function dailyUsers(days, variationCount) {
  const rows = (Array.isArray(days) ? days : [])
    .filter((d) => typeof d?.day === "string" && /^\d{4}-\d{2}-\d{2}$/.test(d.day) && Array.isArray(d.users) && d.users.length === variationCount)
    .map((d) => ({ t: Date.parse(`${d.day}T00:00:00Z`) / 1000, users: d.users }))
    .filter((d) => finite(d.t))
    .sort((a, b) => a.t - b.t);
  const x = rows.map((d) => d.t);
  const series = Array.from({ length: variationCount }, (_, i) => rows.map((d) => (finite(d.users[i]) ? d.users[i] : null)));
  return { days: rows.map((d) => new Date(d.t * 1000).toISOString().slice(0, 10)), x, series };
}

/** A colour per variation (the control first), distinguishable and AA on white. */
export const VARIATION_COLORS = ["#5b6470", "#1f5fbf", "#b35900", "#7b3fa0", "#1e7b34", "#b3261e", "#00708a", "#8a6d00"];

export function variationColor(i) {
  return VARIATION_COLORS[i % VARIATION_COLORS.length];
}
