// The results screen's two charts. The effect chart (each variation's relative effect against
// the baseline with its interval, one chart per metric) is a small SVG written here: a handful
// of rectangles, lines and labels, readable by screen readers and printable. Users over time
// is uPlot (a canvas line chart, one series per variation), with the same numbers as a table.
// Both follow the console's CSP: no inline style attributes (uPlot sizes its elements through
// the CSSOM, which the policy allows; its stylesheet is bundled into app.css).

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { h } from "./dom.js";
import { VERDICTS, dailyUsers, effectScale, effectText, judgedEffect, signedPercent, variationColor } from "./results-format.js";

const SVG = "http://www.w3.org/2000/svg";
const DAY = 86400;

function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

let chartIds = 0;

/**
 * The relative effect and its interval of every variation against the baseline, for one metric
 * of the results: `svg[data-testid=effect-chart]` with one `g[data-testid=effect-row]` per
 * compared variation, its interval a `rect[data-testid=effect-bar]` (absent when there is not
 * enough data) and its estimate a line.
 */
export function effectChart(metric, { confidence = 0.95, locale } = {}) {
  const rows = (metric.variations || []).slice(1);
  const judged = rows.map((v) => judgedEffect(v.comparison));
  const relative = judged.every((j) => !j || j.relative);
  const scale = effectScale(judged.map((j) => j?.effect.interval));
  const rowHeight = 34;
  const left = 150;
  const right = 20;
  const width = 640;
  const top = 8;
  const axis = top + rows.length * rowHeight + 6;
  const height = axis + 26;
  const x = (v) => left + ((v - scale.min) / (scale.max - scale.min)) * (width - left - right);
  const tick = (v) => (relative ? signedPercent(v, locale) : String(v));
  const id = `effect-chart-${++chartIds}`;
  const level = `${Math.round(confidence * 100)}%`;
  const what = `${relative ? "Relative effect" : "Effect"} on ${metric.goal} against ${metric.variations?.[0]?.key ?? "the baseline"}, with its ${level} interval${metric.inverse ? " (lower is better)" : ""}`;
  const summary = rows.map((v) => {
    const text = effectText(v.comparison, metric.kind, locale);
    return text ? `${v.key}: ${text}, ${VERDICTS[v.comparison?.verdict] ?? ""}` : `${v.key}: not enough data`;
  }).join("; ");

  const grid = scale.ticks.map((t) => s("g", { class: "tick" },
    s("line", { x1: x(t), x2: x(t), y1: top, y2: axis, class: t === 0 ? "zero" : "grid" }),
    s("text", { x: x(t), y: axis + 18, "text-anchor": "middle" }, tick(t)),
  ));
  const bars = rows.map((v, i) => {
    const y = top + i * rowHeight;
    const mid = y + rowHeight / 2;
    const j = judged[i];
    const verdict = v.comparison?.verdict ?? "not_enough_data";
    const label = s("text", { x: left - 10, y: mid + 4, "text-anchor": "end", class: "label" }, v.key);
    if (!j) {
      return s("g", { "data-testid": "effect-row", "data-variation": v.key, "data-verdict": verdict }, label,
        s("text", { x: x(0) + 8, y: mid + 4, class: "none" }, "not enough data"));
    }
    const [low, high] = j.effect.interval;
    return s("g", { "data-testid": "effect-row", "data-variation": v.key, "data-verdict": verdict, class: `verdict-${verdict}` }, label,
      s("rect", { "data-testid": "effect-bar", x: x(low), y: mid - 7, width: Math.max(1, x(high) - x(low)), height: 14, rx: 3, class: "interval" }),
      s("line", { x1: x(j.effect.estimate), x2: x(j.effect.estimate), y1: mid - 11, y2: mid + 11, class: "estimate" }),
    );
  });
  return s("svg", { viewBox: `0 0 ${width} ${height}`, class: "effect-chart", role: "img", "aria-labelledby": `${id}-title ${id}-desc`, "data-testid": "effect-chart", "data-goal": metric.goal, "data-rows": rows.length, preserveAspectRatio: "xMinYMin meet" },
    s("title", { id: `${id}-title` }, what),
    s("desc", { id: `${id}-desc` }, summary),
    grid,
    bars,
  );
}

/**
 * New users per day and variation: a uPlot line chart (`[data-testid=users-chart]`, attribute
 * `data-series` = the number of variations drawn, `data-days`) and, under it, the same numbers
 * as a table. Answers {el, destroy}; the chart sizes itself to its box and follows it.
 */
export function usersChart(days, variations, { locale } = {}) {
  const keys = variations.map((v) => v.key);
  const data = dailyUsers(days, keys.length);
  const box = h("div", { class: "users-chart", "data-testid": "users-chart", "data-series": keys.length, "data-days": data.x.length, role: "img", "aria-label": `New users per day and variation, ${data.days[0] ?? ""} to ${data.days[data.days.length - 1] ?? ""}: see the table below` });
  const table = h("table", { class: "grid compact", "data-testid": "users-table" },
    h("caption", {}, "New users per day (UTC)"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Day"), keys.map((k) => h("th", { scope: "col", class: "num" }, k)))),
    h("tbody", {}, data.days.map((day, i) => h("tr", { "data-day": day },
      h("th", { scope: "row" }, day),
      data.series.map((list) => h("td", { class: "num" }, list[i] === null ? "–" : new Intl.NumberFormat(locale).format(list[i]))),
    ))),
  );
  const el = h("div", { class: "users" }, box, h("details", { class: "users-details" }, h("summary", {}, "The numbers"), table));
  const dayLabel = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", timeZone: "UTC" });
  let plot = null;
  let observer = null;
  const size = () => ({ width: Math.max(280, Math.floor(box.clientWidth || 640)), height: 260 });
  function draw() {
    if (plot || !box.isConnected || !data.x.length) return;
    plot = new uPlot({
      ...size(),
      class: "veneer-uplot",
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      // Whole days: half a day of room on each side, ticks on days (or weeks), "24 Nov".
      scales: { x: { time: true, range: () => [data.x[0] - DAY / 2, data.x[data.x.length - 1] + DAY / 2] }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [
        { stroke: "#3a424c", grid: { stroke: "#e4e8ec" }, incrs: [DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY], values: (u, splits) => splits.map((ts) => dayLabel.format(new Date(ts * 1000))) },
        { stroke: "#3a424c", grid: { stroke: "#e4e8ec" }, label: "new users" },
      ],
      series: [
        { label: "Day", value: (u, ts) => (ts === null || ts === undefined ? "–" : new Date(ts * 1000).toISOString().slice(0, 10)) },
        ...keys.map((k, i) => ({ label: k, stroke: variationColor(i), width: 2, points: { show: true, size: 5 } })),
      ],
    }, [data.x, ...data.series], box);
    box.dataset.drawn = "true";
    observer = new ResizeObserver(() => plot?.setSize(size()));
    observer.observe(box);
  }
  return {
    el,
    /** Draws once the box is in the page and laid out (uPlot needs its width). */
    draw,
    destroy() {
      observer?.disconnect();
      plot?.destroy();
      plot = null;
    },
  };
}
