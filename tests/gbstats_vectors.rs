//! gbstats conformance tests for `veneer::results`.
//!
//! Runs every case of `fixtures/conformance/gbstats-vectors.json` (results of GrowthBook's
//! statistics engine, gbstats 0.8.0, on generated inputs; provenance in the README beside it)
//! through [`analyze`], the same call the results API and `veneer results` make:
//!
//! - each of the 36 `comparisons` (a control and a variation, binomial or mean, relative or
//!   absolute) three times: `frequentist` (effect, standard error, 95% interval, p-value),
//!   `bayesian_flat` and `bayesian_prior_0_0.3` (posterior mean, 95% interval, chance to win);
//! - each of the 12 `srm` checks (the chi-square p-value).
//!
//! Numbers agree to 1e-6 relative. The vectors are rounded to 10 decimal places, so a value
//! also passes within half that rounding step (5e-11), which only matters for values far
//! below 1e-4 (an SRM p-value of 3.138e-07 has four significant digits in the file).
//!
//! Each check is a test of its own (`comparisons[3]::binomial-relative::frequentist`,
//! `srm[7]`), and `case-count` checks the number of cases so a truncated or reshaped file
//! cannot pass. This file has its own `main` (`harness = false` in Cargo.toml):
//! `cargo test --test gbstats_vectors -- srm`.

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;
use veneer::results::{
    Counts, Effect, Engine, MetricCounts, MetricKind, Options, Prior, Totals, VariationCount,
    analyze,
};

const VECTORS_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/conformance/gbstats-vectors.json"
);

const EXPECTED_COMPARISONS: usize = 36;
const EXPECTED_SRM: usize = 12;
const RELATIVE_TOLERANCE: f64 = 1e-6;
const ROUNDING: f64 = 5e-11;

/// The three analyses each comparison has, with the options that produce them.
const ANALYSES: [(&str, Engine, Prior); 3] = [
    ("frequentist", Engine::Frequentist, Prior::Flat),
    ("bayesian_flat", Engine::Bayesian, Prior::Flat),
    ("bayesian_prior_0_0.3", Engine::Bayesian, Prior::Proper),
];

fn main() {
    let args = Arguments::from_args();
    let text = std::fs::read_to_string(VECTORS_PATH).expect("read the gbstats vectors");
    let vectors: Value = serde_json::from_str(&text).expect("vectors JSON parses");
    let comparisons = vectors["comparisons"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let srm = vectors["srm"].as_array().cloned().unwrap_or_default();
    let counted = (comparisons.len(), srm.len());
    let mut trials = vec![Trial::test("case-count", move || {
        if counted == (EXPECTED_COMPARISONS, EXPECTED_SRM) {
            Ok(())
        } else {
            Err(format!(
                "the file has {} comparisons and {} srm cases, expected {EXPECTED_COMPARISONS} and {EXPECTED_SRM}",
                counted.0, counted.1
            )
            .into())
        }
    })];
    for (i, case) in comparisons.into_iter().enumerate() {
        let label = format!(
            "comparisons[{i}]::{}-{}",
            case["metric"].as_str().unwrap_or("?"),
            case["difference"].as_str().unwrap_or("?")
        );
        for (name, engine, prior) in ANALYSES {
            let case = case.clone();
            trials.push(Trial::test(format!("{label}::{name}"), move || {
                check_comparison(&case, name, engine, prior)
            }));
        }
    }
    for (i, case) in srm.into_iter().enumerate() {
        trials.push(Trial::test(format!("srm[{i}]"), move || check_srm(&case)));
    }
    let total = trials.len() - 1;
    eprintln!(
        "gbstats vectors: {total} checks ({EXPECTED_COMPARISONS} comparisons x 3 analyses + {EXPECTED_SRM} srm)"
    );
    libtest_mimic::run(&args, trials).exit();
}

fn number(value: &Value, what: &str) -> Result<f64, Failed> {
    value
        .as_f64()
        .ok_or_else(|| format!("{what} is not a number: {value}").into())
}

fn close(what: &str, actual: f64, expected: f64) -> Result<(), Failed> {
    let error = (actual - expected).abs();
    if error <= RELATIVE_TOLERANCE * expected.abs() || error <= ROUNDING {
        Ok(())
    } else {
        Err(format!(
            "{what}: {actual} vs gbstats {expected} (relative error {:.2e})",
            error / expected.abs()
        )
        .into())
    }
}

/// The case's two arms as the counts the results API would send.
fn counts(case: &Value) -> Result<Counts, Failed> {
    let kind = match case["metric"].as_str() {
        Some("binomial") => MetricKind::Binomial,
        Some("mean") => MetricKind::Value,
        other => return Err(format!("unknown metric {other:?}").into()),
    };
    let mut variations = Vec::new();
    let mut totals = Vec::new();
    for (key, arm) in [
        ("control", &case["control"]),
        ("variation", &case["variation"]),
    ] {
        let users = arm["users"]
            .as_u64()
            .ok_or_else(|| format!("{key}.users is not a count"))?;
        let sum = number(&arm["sum"], "sum")?;
        let sum_squares = match kind {
            MetricKind::Binomial => sum,
            MetricKind::Value => number(&arm["sum_squares"], "sum_squares")?,
        };
        variations.push(VariationCount {
            key: key.into(),
            users,
        });
        totals.push(Totals { sum, sum_squares });
    }
    Ok(Counts {
        experiment: "vector".into(),
        variations,
        weights: Vec::new(),
        metrics: vec![MetricCounts {
            goal: "goal".into(),
            kind,
            inverse: false,
            primary: true,
            totals,
        }],
        days: Vec::new(),
    })
}

fn check_comparison(case: &Value, name: &str, engine: Engine, prior: Prior) -> Result<(), Failed> {
    let expected = &case[name];
    if !expected["error"].is_null() {
        return Err(format!("the vector expects an error: {}", expected["error"]).into());
    }
    let options = Options {
        engine,
        prior,
        ..Options::default()
    };
    let results = analyze(&counts(case)?, &options);
    if !results.problems.is_empty() {
        return Err(format!("the counts were refused: {:?}", results.problems).into());
    }
    let comparison = results
        .metrics
        .first()
        .and_then(|m| m.variations.get(1))
        .and_then(|v| v.comparison.as_ref())
        .ok_or("no comparison for the variation")?;
    let effect: &Effect = match case["difference"].as_str() {
        Some("relative") => comparison.relative.as_ref(),
        Some("absolute") => comparison.absolute.as_ref(),
        _ => None,
    }
    .ok_or_else(|| format!("no {} effect: {:?}", case["difference"], comparison.reason))?;
    close(
        "effect",
        effect.estimate,
        number(&expected["effect"], "effect")?,
    )?;
    close(
        "ci95 low",
        effect.interval[0],
        number(&expected["ci95"][0], "ci95")?,
    )?;
    close(
        "ci95 high",
        effect.interval[1],
        number(&expected["ci95"][1], "ci95")?,
    )?;
    match engine {
        Engine::Frequentist => {
            close(
                "stddev",
                effect.stddev,
                number(&expected["stddev"], "stddev")?,
            )?;
            let p = effect.p_value.ok_or("no p-value")?;
            close("p_value", p, number(&expected["p_value"], "p_value")?)
        }
        Engine::Bayesian => {
            let ctw = effect.chance_to_win.ok_or("no chance to win")?;
            close(
                "chance_to_win",
                ctw,
                number(&expected["chance_to_win"], "chance_to_win")?,
            )
        }
    }
}

fn check_srm(case: &Value) -> Result<(), Failed> {
    let users: Vec<u64> = case["users"]
        .as_array()
        .ok_or("users is not a list")?
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    let weights: Vec<f64> = case["weights"]
        .as_array()
        .ok_or("weights is not a list")?
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    let counts = Counts {
        experiment: "srm".into(),
        variations: users
            .iter()
            .enumerate()
            .map(|(i, users)| VariationCount {
                key: format!("v{i}"),
                users: *users,
            })
            .collect(),
        weights,
        metrics: Vec::new(),
        days: Vec::new(),
    };
    let results = analyze(&counts, &Options::default());
    if !results.problems.is_empty() {
        return Err(format!("the counts were refused: {:?}", results.problems).into());
    }
    let p = results.srm.p_value.ok_or("no SRM p-value")?;
    close("p_value", p, number(&case["p_value"], "p_value")?)
}
