//! Experiment results with GrowthBook's statistics (gbstats 0.8), from per-variation counts.
//!
//! Pure and alone like `policy`: [`Counts`] (users per variation, each metric's sum and sum of
//! squares of per-visitor values) in, [`Results`] out, for the edge's results API, the console
//! and `veneer results`. Per metric and variation it gives the relative and absolute effect
//! against the baseline (variation 0) with an interval, and either a frequentist two-sided
//! p-value or a Bayesian chance to win; and a sample-ratio-mismatch check. `docs/results.md`
//! explains the formulas; `tests/gbstats_vectors.rs` checks them against gbstats' own output.
//! Nothing panics: bad counts come back as problems at their JSON path, and too little data
//! as a `not_enough_data` status.

mod counts;
mod distributions;
mod effect;
mod srm;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{JsonPath, Problem};

pub use counts::{
    Counts, DayCount, MetricCounts, MetricKind, Totals, UnitRow, VariationCount, aggregate,
};
use effect::{Arm, Difference, bayesian, frequentist, moments};
pub use effect::{Effect, NotEnoughData};
use srm::srm;
pub use srm::{Srm, SrmStatus};

/// Which statistics engine reads the counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// Gaussian posterior of the effect: chance to win and credible interval (GrowthBook's
    /// default).
    #[default]
    Bayesian,
    /// Two-sided t-test: p-value and confidence interval.
    Frequentist,
}

/// The Bayesian engine's prior on the relative effect.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Prior {
    /// Improper (flat): the posterior is the data alone (GrowthBook's default).
    #[default]
    Flat,
    /// N(0, `prior_stddev`²) on the relative effect.
    Proper,
}

/// How to analyze: engine, prior and confidence level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Options {
    /// Bayesian (default) or frequentist.
    pub engine: Engine,
    /// Flat (default) or proper, for the Bayesian engine.
    pub prior: Prior,
    /// The proper prior's standard deviation on the relative effect (default 0.3).
    pub prior_stddev: f64,
    /// Confidence of intervals and verdicts (default 0.95).
    pub confidence: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            engine: Engine::Bayesian,
            prior: Prior::Flat,
            prior_stddev: 0.3,
            confidence: 0.95,
        }
    }
}

/// The analysis of one experiment, as the results API returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Results {
    /// The experiment's id.
    pub experiment: String,
    /// The options the numbers were computed with.
    pub options: Options,
    /// Each variation's key and users, in variation order (0 is the baseline).
    pub variations: Vec<VariationCount>,
    /// The sample-ratio-mismatch check.
    pub srm: Srm,
    /// Each metric's results, in the order of the counts.
    pub metrics: Vec<MetricResult>,
    /// Exposures first seen per UTC day, as given.
    pub days: Vec<DayCount>,
    /// What is wrong with the counts or options; when not empty, `metrics` is empty.
    pub problems: Vec<Problem>,
}

/// One metric's results across the variations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricResult {
    /// The goal the metric counts.
    pub goal: String,
    /// Binomial or value.
    pub kind: MetricKind,
    /// Lower is better.
    pub inverse: bool,
    /// The experiment's primary metric.
    pub primary: bool,
    /// Whether any variation differs from the baseline at the chosen confidence.
    pub status: MetricStatus,
    /// Per variation, in variation order; the baseline has no comparison.
    pub variations: Vec<MetricVariation>,
}

/// A metric's overall state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricStatus {
    /// No variation could be compared yet.
    NotEnoughData,
    /// No variation is better or worse than the baseline at the chosen confidence.
    Inconclusive,
    /// At least one variation is better or worse than the baseline.
    Significant,
}

/// One metric in one variation: its observed numbers and, except for the baseline, how it
/// compares.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricVariation {
    /// The variation's key.
    pub key: String,
    /// Users exposed to it.
    pub users: u64,
    /// Visitors who converted (binomial metrics).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversions: Option<f64>,
    /// The sum of the values (value metrics).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<f64>,
    /// Conversion rate or mean value per user; null without users.
    pub mean: Option<f64>,
    /// Against the baseline (absent for the baseline itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
}

/// One variation against the baseline for one metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Better, worse, inconclusive, or not enough data (judged on the relative effect, or the
    /// absolute one when the baseline's mean is 0).
    pub verdict: Verdict,
    /// (B − A) / |A| with its interval; null when it cannot be computed.
    pub relative: Option<Effect>,
    /// B − A with its interval; null when it cannot be computed.
    pub absolute: Option<Effect>,
    /// Why an effect is missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<NotEnoughData>,
}

/// What one comparison says, at the chosen confidence (a lower value wins for inverse metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Frequentist: p below 1 − confidence and the effect in the good direction; Bayesian:
    /// chance to win above the confidence.
    Better,
    /// The same, in the bad direction (Bayesian: chance to win below 1 − confidence).
    Worse,
    /// Neither.
    Inconclusive,
    /// No effect could be computed.
    NotEnoughData,
}

/// Analyzes an experiment's counts: validated first (problems come back in
/// [`Results::problems`]), then every metric compared against the baseline, and the SRM check.
pub fn analyze(counts: &Counts, options: &Options) -> Results {
    let mut problems = counts.validate();
    problems.extend(option_problems(options));
    let users: Vec<u64> = counts.variations.iter().map(|v| v.users).collect();
    let weights = if counts.weights.is_empty() {
        vec![1.0; users.len()]
    } else {
        counts.weights.clone()
    };
    let metrics = if problems.is_empty() {
        counts
            .metrics
            .iter()
            .map(|metric| analyze_metric(&counts.variations, metric, options))
            .collect()
    } else {
        Vec::new()
    };
    Results {
        experiment: counts.experiment.clone(),
        options: *options,
        variations: counts.variations.clone(),
        srm: srm(&users, &weights),
        metrics,
        days: counts.days.clone(),
        problems,
    }
}

fn option_problems(options: &Options) -> Vec<Problem> {
    let path = JsonPath::root().key("options");
    let mut problems = Vec::new();
    if !(options.confidence > 0.0 && options.confidence < 1.0) {
        problems.push(Problem::new(
            path.key("confidence"),
            format!(
                "expected a confidence between 0 and 1 (e.g. 0.95), found {}",
                options.confidence
            ),
        ));
    }
    if options.prior == Prior::Proper
        && !(options.prior_stddev > 0.0 && options.prior_stddev.is_finite())
    {
        problems.push(Problem::new(
            path.key("prior_stddev"),
            format!(
                "expected a prior standard deviation above 0 (e.g. 0.3), found {}",
                options.prior_stddev
            ),
        ));
    }
    problems
}

fn analyze_metric(
    variations: &[VariationCount],
    metric: &MetricCounts,
    options: &Options,
) -> MetricResult {
    let arms: Vec<Arm> = variations
        .iter()
        .zip(&metric.totals)
        .map(|(v, t)| match metric.kind {
            MetricKind::Binomial => Arm::binomial(v.users as f64, t.sum),
            MetricKind::Value => Arm::value(v.users as f64, t.sum, t.sum_squares),
        })
        .collect();
    let rows: Vec<MetricVariation> = variations
        .iter()
        .zip(&metric.totals)
        .zip(&arms)
        .enumerate()
        .map(|(i, ((v, t), arm))| MetricVariation {
            key: v.key.clone(),
            users: v.users,
            conversions: (metric.kind == MetricKind::Binomial).then_some(t.sum),
            total: (metric.kind == MetricKind::Value).then_some(t.sum),
            mean: (v.users > 0).then_some(arm.mean),
            comparison: match (i, arms.first()) {
                (1.., Some(baseline)) => Some(compare(*baseline, *arm, metric.inverse, options)),
                _ => None,
            },
        })
        .collect();
    let verdicts: Vec<Verdict> = rows
        .iter()
        .filter_map(|r| r.comparison.as_ref().map(|c| c.verdict))
        .collect();
    let status = if verdicts
        .iter()
        .any(|v| matches!(v, Verdict::Better | Verdict::Worse))
    {
        MetricStatus::Significant
    } else if verdicts.contains(&Verdict::Inconclusive) {
        MetricStatus::Inconclusive
    } else {
        MetricStatus::NotEnoughData
    };
    MetricResult {
        goal: metric.goal.clone(),
        kind: metric.kind,
        inverse: metric.inverse,
        primary: metric.primary,
        status,
        variations: rows,
    }
}

/// One variation against the baseline, both as a relative and an absolute effect.
fn compare(baseline: Arm, variation: Arm, inverse: bool, options: &Options) -> Comparison {
    let alpha = 1.0 - options.confidence;
    let prior = (options.prior == Prior::Proper).then_some(options.prior_stddev);
    let effect = |difference| {
        moments(baseline, variation, difference).map(|m| match options.engine {
            Engine::Frequentist => frequentist(m, alpha),
            Engine::Bayesian => bayesian(m, baseline.mean, difference, prior, alpha, inverse),
        })
    };
    let relative = effect(Difference::Relative);
    let absolute = effect(Difference::Absolute);
    let reason = relative.err().or(absolute.err());
    let judged = relative.ok().or(absolute.ok());
    let verdict = match judged {
        None => Verdict::NotEnoughData,
        Some(e) => judge(&e, inverse, options),
    };
    Comparison {
        verdict,
        relative: relative.ok(),
        absolute: absolute.ok(),
        reason,
    }
}

fn judge(effect: &Effect, inverse: bool, options: &Options) -> Verdict {
    let good_direction = (effect.estimate > 0.0) != inverse;
    let significant = match (effect.p_value, effect.chance_to_win) {
        (Some(p), _) => p < 1.0 - options.confidence,
        (None, Some(ctw)) => ctw > options.confidence || ctw < 1.0 - options.confidence,
        (None, None) => false,
    };
    match (significant, effect.chance_to_win) {
        (false, _) => Verdict::Inconclusive,
        (true, Some(ctw)) if ctw > options.confidence => Verdict::Better,
        (true, Some(_)) => Verdict::Worse,
        (true, None) if good_direction => Verdict::Better,
        (true, None) => Verdict::Worse,
    }
}

#[cfg(test)]
mod tests;
