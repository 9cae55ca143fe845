//! Results from D1: the SQL that aggregates an experiment's rows, the `Counts` JSON (the input
//! of `stats::analyze`) made from what it returns, and the analysis of those counts.

use chrono::DateTime;
use serde_json::{Value, json};

use super::sql::{Param, Statement};
use crate::document::{Experiment, MetricKind};
use crate::request::param;
use crate::stats::{Counts, Engine, Options, Prior, analyze};

/// Users (distinct exposed visitors) per variation.
pub const USERS_SQL: &str =
    "SELECT variation, COUNT(*) AS users FROM exposures WHERE experiment = ?1 GROUP BY variation";

/// Per goal and variation (of the visitor's exposure): converted visitors, and the sum and sum
/// of squares of per-visitor values.
pub const METRICS_SQL: &str = "SELECT c.goal AS goal, e.variation AS variation, COUNT(*) AS converted, \
     SUM(c.value) AS sum, SUM(c.value * c.value) AS sum_squares \
     FROM conversions c JOIN exposures e ON e.experiment = c.experiment AND e.visitor = c.visitor \
     WHERE c.experiment = ?1 GROUP BY c.goal, e.variation";

/// New users per UTC day and variation.
pub const DAYS_SQL: &str = "SELECT first_seen / 86400000 AS day, variation, COUNT(*) AS users \
     FROM exposures WHERE experiment = ?1 GROUP BY day, variation ORDER BY day";

/// The three aggregation queries for one experiment (run as one D1 batch, in this order).
pub fn results_statements(experiment: &str) -> Vec<Statement> {
    [USERS_SQL, METRICS_SQL, DAYS_SQL]
        .into_iter()
        .map(|sql| Statement {
            sql,
            params: vec![Param::Text(experiment.to_owned())],
        })
        .collect()
}

fn number(row: &Value, field: &str) -> f64 {
    row.get(field).and_then(Value::as_f64).unwrap_or(0.0)
}

fn index(row: &Value, n: usize) -> Option<usize> {
    let v = row.get("variation").and_then(Value::as_f64)?;
    (v >= 0.0 && v.fract() == 0.0 && (v as usize) < n).then_some(v as usize)
}

/// The `Counts` JSON of an experiment from the rows of [`results_statements`]: per variation
/// its users; per metric (primary first) the sum and sum of squares of per-visitor values
/// (binomial: 1 per converted visitor; value: the visitor's value total); new users per UTC
/// day. Rows of variations the experiment no longer has are left out.
pub fn counts_from_rows(
    e: &Experiment,
    users: &[Value],
    metrics: &[Value],
    days: &[Value],
) -> Value {
    let n = e.variations.len();
    let mut per_variation = vec![0u64; n];
    for row in users {
        if let Some(v) = index(row, n) {
            per_variation[v] = number(row, "users") as u64;
        }
    }
    let weights = e.weights.clone().unwrap_or_else(|| vec![1.0 / n as f64; n]);
    let metric_json: Vec<Value> = e
        .metrics
        .iter()
        .map(|m| {
            let mut totals = vec![(0.0, 0.0); n];
            for row in metrics
                .iter()
                .filter(|r| r.get("goal").and_then(Value::as_str) == Some(m.goal.as_str()))
            {
                if let Some(v) = index(row, n) {
                    totals[v] = match m.kind {
                        MetricKind::Binomial => {
                            let c = number(row, "converted");
                            (c, c)
                        }
                        MetricKind::Value => (number(row, "sum"), number(row, "sum_squares")),
                    };
                }
            }
            json!({
                "goal": m.goal,
                "kind": m.kind.as_str(),
                "inverse": m.inverse,
                "primary": m.primary,
                "totals": totals.iter().map(|(s, q)| json!({"sum": s, "sum_squares": q})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut day_list: Vec<(i64, Vec<u64>)> = Vec::new();
    for row in days {
        let day = number(row, "day") as i64;
        let Some(v) = index(row, n) else { continue };
        if day_list.last().is_none_or(|(d, _)| *d != day) {
            day_list.push((day, vec![0; n]));
        }
        if let Some((_, counts)) = day_list.last_mut() {
            counts[v] = number(row, "users") as u64;
        }
    }
    json!({
        "experiment": e.id,
        "variations": e.variations.iter().zip(&per_variation)
            .map(|(v, users)| json!({"key": v.id, "users": users})).collect::<Vec<_>>(),
        "weights": weights,
        "metrics": metric_json,
        "days": day_list.iter().map(|(day, users)| json!({
            "day": DateTime::from_timestamp(day * 86_400, 0)
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            "users": users,
        })).collect::<Vec<_>>(),
    })
}

/// The statistics options of a results request, from its query: `engine=bayesian|frequentist`,
/// `prior=flat|proper`, `prior_stddev=<number>`, `confidence=<number>` (the analysis itself
/// reports values out of range); an error says what to send.
pub fn analysis_options(query: &str) -> Result<Options, String> {
    let mut options = Options::default();
    if let Some(engine) = param(query, "engine") {
        options.engine = match engine.as_str() {
            "bayesian" => Engine::Bayesian,
            "frequentist" => Engine::Frequentist,
            other => return Err(format!("engine={other:?}: use bayesian or frequentist")),
        };
    }
    if let Some(prior) = param(query, "prior") {
        options.prior = match prior.as_str() {
            "flat" => Prior::Flat,
            "proper" => Prior::Proper,
            other => return Err(format!("prior={other:?}: use flat or proper")),
        };
    }
    for (name, target) in [
        ("prior_stddev", &mut options.prior_stddev),
        ("confidence", &mut options.confidence),
    ] {
        if let Some(text) = param(query, name) {
            *target = text
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| format!("{name}={text:?}: expected a number"))?;
        }
    }
    Ok(options)
}

/// The analysis of counts made by [`counts_from_rows`]: `stats::analyze` with `options`, as JSON
/// (counts that do not read as `stats::Counts` give an error).
pub fn analysis(counts: &Value, options: &Options) -> Result<Value, String> {
    let counts: Counts = serde_json::from_value(counts.clone())
        .map_err(|e| format!("the counts do not read as stats::Counts: {e}"))?;
    serde_json::to_value(analyze(&counts, options)).map_err(|e| e.to_string())
}
