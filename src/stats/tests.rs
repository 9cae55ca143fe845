//! `analyze` end to end: the shapes the results API returns and the edge cases.

use super::srm::SRM_THRESHOLD;
use super::*;

fn counts(users: &[u64], kind: MetricKind, totals: &[(f64, f64)]) -> Counts {
    Counts {
        experiment: "hero-test".into(),
        variations: users
            .iter()
            .enumerate()
            .map(|(i, u)| VariationCount {
                key: ["control", "b", "c"][i.min(2)].into(),
                users: *u,
            })
            .collect(),
        weights: Vec::new(),
        metrics: vec![MetricCounts {
            goal: "purchase".into(),
            kind,
            inverse: false,
            primary: true,
            totals: totals
                .iter()
                .map(|(sum, sum_squares)| Totals {
                    sum: *sum,
                    sum_squares: *sum_squares,
                })
                .collect(),
        }],
        days: Vec::new(),
    }
}

fn comparison(results: &Results, metric: usize, variation: usize) -> &Comparison {
    results.metrics[metric].variations[variation]
        .comparison
        .as_ref()
        .expect("a comparison for a non-baseline variation")
}

#[test]
fn a_clear_winner_is_better_in_both_engines() {
    let c = counts(
        &[5000, 5000],
        MetricKind::Binomial,
        &[(250.0, 250.0), (330.0, 330.0)],
    );
    for engine in [Engine::Bayesian, Engine::Frequentist] {
        let options = Options {
            engine,
            ..Options::default()
        };
        let results = analyze(&c, &options);
        assert_eq!(results.problems, []);
        let metric = &results.metrics[0];
        assert_eq!(metric.status, MetricStatus::Significant);
        assert_eq!(metric.variations[0].comparison, None);
        assert_eq!(metric.variations[0].conversions, Some(250.0));
        assert_eq!(metric.variations[1].mean, Some(0.066));
        let b = comparison(&results, 0, 1);
        assert_eq!(b.verdict, Verdict::Better, "{engine:?}");
        let relative = b.relative.unwrap();
        assert!((relative.estimate - 0.32).abs() < 1e-12 || engine == Engine::Bayesian);
        assert!(relative.interval[0] > 0.0);
        let absolute = b.absolute.unwrap();
        assert!((absolute.estimate - 0.016).abs() < 1e-12);
        match engine {
            Engine::Frequentist => {
                assert!(relative.p_value.unwrap() < 0.05);
                assert_eq!(relative.chance_to_win, None);
            }
            Engine::Bayesian => {
                assert!(relative.chance_to_win.unwrap() > 0.95);
                assert_eq!(relative.p_value, None);
            }
        }
    }
}

#[test]
fn inverse_metrics_flip_the_chance_to_win_and_the_verdict() {
    let mut c = counts(
        &[5000, 5000],
        MetricKind::Binomial,
        &[(250.0, 250.0), (330.0, 330.0)],
    );
    let plain = analyze(&c, &Options::default());
    c.metrics[0].inverse = true;
    let inverse = analyze(&c, &Options::default());
    let (p, i) = (comparison(&plain, 0, 1), comparison(&inverse, 0, 1));
    let (p_ctw, i_ctw) = (
        p.relative.unwrap().chance_to_win.unwrap(),
        i.relative.unwrap().chance_to_win.unwrap(),
    );
    assert!((p_ctw + i_ctw - 1.0).abs() < 1e-12);
    assert_eq!(i.verdict, Verdict::Worse);
    assert_eq!(p.relative.unwrap().estimate, i.relative.unwrap().estimate);
    let frequentist = Options {
        engine: Engine::Frequentist,
        ..Options::default()
    };
    assert_eq!(
        comparison(&analyze(&c, &frequentist), 0, 1).verdict,
        Verdict::Worse
    );
}

#[test]
fn no_users_zero_variance_and_one_variation_are_not_enough_data() {
    let none = counts(&[0, 0], MetricKind::Binomial, &[(0.0, 0.0), (0.0, 0.0)]);
    let results = analyze(&none, &Options::default());
    assert_eq!(results.problems, []);
    assert_eq!(results.metrics[0].status, MetricStatus::NotEnoughData);
    assert_eq!(results.metrics[0].variations[0].mean, None);
    let c = comparison(&results, 0, 1);
    assert_eq!(c.verdict, Verdict::NotEnoughData);
    assert_eq!((c.relative, c.absolute), (None, None));
    assert_eq!(c.reason, Some(NotEnoughData::TooFewUsers));
    assert_eq!(results.srm.status, SrmStatus::NotEnoughData);

    // Nobody converted anywhere: no variance, no verdict.
    let flat = counts(&[100, 100], MetricKind::Binomial, &[(0.0, 0.0), (0.0, 0.0)]);
    let c = analyze(&flat, &Options::default());
    assert_eq!(
        comparison(&c, 0, 1).reason,
        Some(NotEnoughData::BaselineZero)
    );
    // Every visitor spent exactly 10: a constant has no variance.
    let constant = counts(
        &[50, 50],
        MetricKind::Value,
        &[(500.0, 5000.0), (600.0, 9000.0)],
    );
    let c = analyze(&constant, &Options::default());
    assert_eq!(
        comparison(&c, 0, 1).reason,
        Some(NotEnoughData::ZeroVariance)
    );
    assert_eq!(c.metrics[0].status, MetricStatus::NotEnoughData);

    let one = counts(&[100], MetricKind::Binomial, &[(10.0, 10.0)]);
    let results = analyze(&one, &Options::default());
    assert_eq!(results.problems, []);
    assert_eq!(results.metrics[0].status, MetricStatus::NotEnoughData);
    assert_eq!(results.metrics[0].variations.len(), 1);
    assert_eq!(results.srm.status, SrmStatus::NotEnoughData);
}

#[test]
fn a_value_metric_with_a_zero_mean_baseline_still_has_an_absolute_effect() {
    // Refunds and purchases cancel out in the baseline: no relative effect, an absolute one.
    let c = counts(
        &[100, 100],
        MetricKind::Value,
        &[(0.0, 400.0), (150.0, 900.0)],
    );
    let results = analyze(
        &c,
        &Options {
            prior: Prior::Proper,
            ..Options::default()
        },
    );
    let b = comparison(&results, 0, 1);
    assert_eq!(b.relative, None);
    assert_eq!(b.reason, Some(NotEnoughData::BaselineZero));
    assert!(b.absolute.is_some());
    assert_ne!(b.verdict, Verdict::NotEnoughData);
    assert_eq!(results.metrics[0].variations[1].total, Some(150.0));
}

#[test]
fn bad_counts_and_options_are_problems_not_panics() {
    let mut c = counts(&[10, 10], MetricKind::Binomial, &[(f64::NAN, 0.0)]);
    c.weights = vec![0.5];
    let options = Options {
        confidence: 1.5,
        prior: Prior::Proper,
        prior_stddev: -1.0,
        ..Options::default()
    };
    let results = analyze(&c, &options);
    let paths: Vec<String> = results
        .problems
        .iter()
        .map(|p| p.path.to_string())
        .collect();
    assert_eq!(
        paths,
        [
            "$.weights",
            "$.metrics[0].totals",
            "$.metrics[0].totals[0].sum",
            "$.options.confidence",
            "$.options.prior_stddev",
        ]
    );
    assert_eq!(results.metrics, []);
    // The whole result still serializes (no NaN reaches JSON as a number).
    let json = serde_json::to_value(&results).unwrap();
    assert_eq!(json["problems"][0]["pointer"], "/weights");
}

#[test]
fn srm_in_the_results_uses_the_weights_or_equal_ones() {
    let mut c = counts(
        &[4850, 5150],
        MetricKind::Binomial,
        &[(1.0, 1.0), (1.0, 1.0)],
    );
    let equal = analyze(&c, &Options::default()).srm;
    c.weights = vec![0.5, 0.5];
    assert_eq!(analyze(&c, &Options::default()).srm, equal);
    assert_eq!(equal.status, SrmStatus::Ok);
    c.weights = vec![0.2, 0.8];
    let skewed = analyze(&c, &Options::default()).srm;
    assert_eq!(skewed.status, SrmStatus::Warning);
    assert!(skewed.p_value.unwrap() < SRM_THRESHOLD);
}

#[test]
fn results_json_is_the_api_shape() {
    let mut c = counts(
        &[1000, 1010],
        MetricKind::Binomial,
        &[(120.0, 120.0), (140.0, 140.0)],
    );
    c.days = vec![DayCount {
        day: "2026-11-30".into(),
        users: vec![500, 498],
    }];
    let options = Options {
        engine: Engine::Frequentist,
        ..Options::default()
    };
    let json = serde_json::to_value(analyze(&c, &options)).unwrap();
    assert_eq!(json["experiment"], "hero-test");
    assert_eq!(json["options"]["engine"], "frequentist");
    assert_eq!(
        json["variations"][1],
        serde_json::json!({"key": "b", "users": 1010})
    );
    assert_eq!(json["srm"]["status"], "ok");
    assert_eq!(json["days"][0]["users"][1], 498);
    let metric = &json["metrics"][0];
    assert_eq!(metric["goal"], "purchase");
    assert_eq!(metric["kind"], "binomial");
    assert_eq!(metric["status"], "inconclusive");
    assert_eq!(metric["variations"][0]["conversions"], 120.0);
    assert!(metric["variations"][0].get("comparison").is_none());
    let comparison = &metric["variations"][1]["comparison"];
    assert_eq!(comparison["verdict"], "inconclusive");
    assert!(comparison["relative"]["p_value"].as_f64().unwrap() > 0.05);
    assert!(comparison["relative"]["interval"][0].as_f64().unwrap() < 0.0);
    assert!(comparison["relative"].get("chance_to_win").is_none());
    assert_eq!(json["problems"], serde_json::json!([]));
}

#[test]
fn options_read_from_json_with_defaults() {
    let options: Options = serde_json::from_str(r#"{"engine": "frequentist"}"#).unwrap();
    assert_eq!(
        options,
        Options {
            engine: Engine::Frequentist,
            ..Options::default()
        }
    );
    let proper: Options =
        serde_json::from_str(r#"{"prior": "proper", "prior_stddev": 0.2}"#).unwrap();
    assert_eq!(
        (proper.prior, proper.prior_stddev, proper.engine),
        (Prior::Proper, 0.2, Engine::Bayesian)
    );
    assert!(serde_json::from_str::<Options>(r#"{"engine": "magic"}"#).is_err());
}
