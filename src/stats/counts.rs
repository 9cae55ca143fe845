//! The input of an analysis: per variation the users, per metric the sum and sum of squares of
//! the per-visitor values, exposures per day. This JSON shape is the contract between the
//! edge's results API (which builds it from D1) and [`analyze`](super::analyze).

use serde::{Deserialize, Serialize};

use crate::diagnostic::{JsonPath, Problem};

/// Everything an experiment's analysis needs, in variation order (index 0 is the baseline).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    /// The experiment's id.
    pub experiment: String,
    /// Each variation's key and how many distinct visitors were exposed to it.
    pub variations: Vec<VariationCount>,
    /// The traffic split the visitors were assigned with (for the sample-ratio check); empty
    /// means equal weights.
    #[serde(default)]
    pub weights: Vec<f64>,
    /// The totals of each metric.
    #[serde(default)]
    pub metrics: Vec<MetricCounts>,
    /// Exposures first seen per UTC day, passed through to the results.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days: Vec<DayCount>,
}

/// One variation's key and its number of distinct exposed visitors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariationCount {
    /// The variation's key, as the experiment names it.
    pub key: String,
    /// Distinct visitors exposed to this variation.
    pub users: u64,
}

/// What a metric measures per visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricKind {
    /// Did the visitor convert (0 or 1): `sum` counts the visitors who did.
    Binomial,
    /// A value per visitor (e.g. revenue): `sum` and `sum_squares` of the per-visitor totals.
    Value,
}

/// One metric's totals per variation, with how to read them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricCounts {
    /// The goal the metric counts.
    pub goal: String,
    /// Binomial (converted or not) or a value per visitor.
    pub kind: MetricKind,
    /// Lower is better (e.g. bounces): a decrease is a win.
    #[serde(default)]
    pub inverse: bool,
    /// The experiment's primary metric (the one that decides).
    #[serde(default)]
    pub primary: bool,
    /// One entry per variation, in variation order.
    pub totals: Vec<Totals>,
}

/// The sum and the sum of squares of one metric's per-visitor values in one variation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Totals {
    /// Σx over the variation's visitors (converted visitors, for a binomial metric).
    pub sum: f64,
    /// Σx² over the variation's visitors (equal to `sum` for a binomial metric).
    #[serde(default)]
    pub sum_squares: f64,
}

/// Visitors first exposed on one UTC day, per variation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayCount {
    /// The day, `YYYY-MM-DD` (UTC).
    pub day: String,
    /// One count per variation, in variation order.
    pub users: Vec<u64>,
}

/// One visitor's row: the variation it saw and its value for each metric, in metric order
/// (for a binomial metric, any value above zero means converted).
#[derive(Debug, Clone, PartialEq)]
pub struct UnitRow {
    /// Index of the visitor's variation.
    pub variation: usize,
    /// The visitor's value per metric; missing trailing values count as 0.
    pub values: Vec<f64>,
}

impl Counts {
    /// Reads counts from JSON text; text that does not have the shape is one problem at `$`.
    pub fn from_json(text: &str) -> Result<Counts, Problem> {
        serde_json::from_str(text)
            .map_err(|e| Problem::new(JsonPath::root(), format!("not valid counts: {e}")))
    }

    /// Every inconsistency that would make the numbers meaningless: lengths that do not match
    /// the variations, negative or non-finite values, more conversions than users.
    pub fn validate(&self) -> Vec<Problem> {
        let root = JsonPath::root();
        let mut problems = Vec::new();
        let n = self.variations.len();
        if n == 0 {
            problems.push(Problem::new(
                root.key("variations"),
                "expected at least one variation, found none",
            ));
        }
        for (i, v) in self.variations.iter().enumerate() {
            if self.variations[..i].iter().any(|w| w.key == v.key) {
                problems.push(Problem::new(
                    root.key("variations").index(i).key("key"),
                    format!("expected a key used once, found {:?} again", v.key),
                ));
            }
        }
        if !self.weights.is_empty() {
            let path = root.key("weights");
            if self.weights.len() != n {
                problems.push(Problem::new(
                    path.clone(),
                    format!(
                        "expected one weight per variation ({n}), found {}",
                        self.weights.len()
                    ),
                ));
            }
            for (i, w) in self.weights.iter().enumerate() {
                if !(w.is_finite() && *w >= 0.0) {
                    problems.push(Problem::new(
                        path.index(i),
                        format!("expected a finite weight of 0 or more, found {w}"),
                    ));
                }
            }
            if self.weights.iter().all(|w| *w <= 0.0) {
                problems.push(Problem::new(
                    path,
                    "expected at least one weight above 0, found none",
                ));
            }
        }
        for (m, metric) in self.metrics.iter().enumerate() {
            let path = root.key("metrics").index(m);
            if self.metrics[..m].iter().any(|o| o.goal == metric.goal) {
                problems.push(Problem::new(
                    path.key("goal"),
                    format!("expected a goal listed once, found {:?} again", metric.goal),
                ));
            }
            if metric.totals.len() != n {
                problems.push(Problem::new(
                    path.key("totals"),
                    format!(
                        "expected one entry per variation ({n}), found {}",
                        metric.totals.len()
                    ),
                ));
            }
            for (i, totals) in metric.totals.iter().enumerate() {
                let at = path.key("totals").index(i);
                for (name, value) in [("sum", totals.sum), ("sum_squares", totals.sum_squares)] {
                    let negative_allowed = metric.kind == MetricKind::Value && name == "sum";
                    if !value.is_finite() || (value < 0.0 && !negative_allowed) {
                        problems.push(Problem::new(
                            at.key(name),
                            format!("expected a finite number of 0 or more, found {value}"),
                        ));
                    }
                }
                let users = self.variations.get(i).map_or(0, |v| v.users);
                if metric.kind == MetricKind::Binomial && totals.sum > users as f64 {
                    problems.push(Problem::new(
                        at.key("sum"),
                        format!(
                            "expected at most the variation's {users} users to convert, found {}",
                            totals.sum
                        ),
                    ));
                }
            }
        }
        for (d, day) in self.days.iter().enumerate() {
            let path = root.key("days").index(d);
            if !is_day(&day.day) {
                problems.push(Problem::new(
                    path.key("day"),
                    format!(
                        "expected a UTC day like \"2026-11-30\", found {:?}",
                        day.day
                    ),
                ));
            }
            if day.users.len() != n {
                problems.push(Problem::new(
                    path.key("users"),
                    format!(
                        "expected one count per variation ({n}), found {}",
                        day.users.len()
                    ),
                ));
            }
        }
        problems
    }
}

/// `YYYY-MM-DD` with a real month and day.
fn is_day(text: &str) -> bool {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok() && text.len() == 10
}

/// Builds counts from unit-level rows (one per visitor): users per variation and, per metric,
/// the sum and sum of squares of the visitors' values (0/1 for binomial metrics).
///
/// `metrics` says which metrics there are (their `totals` are recomputed); a row whose
/// variation is not one of `variations` is refused with its index.
pub fn aggregate(
    experiment: &str,
    variations: &[&str],
    metrics: &[MetricCounts],
    rows: &[UnitRow],
) -> Result<Counts, Problem> {
    let mut counts = Counts {
        experiment: experiment.to_owned(),
        variations: variations
            .iter()
            .map(|key| VariationCount {
                key: (*key).to_owned(),
                users: 0,
            })
            .collect(),
        weights: Vec::new(),
        metrics: metrics
            .iter()
            .map(|m| MetricCounts {
                totals: vec![Totals::default(); variations.len()],
                ..m.clone()
            })
            .collect(),
        days: Vec::new(),
    };
    for (r, row) in rows.iter().enumerate() {
        let Some(variation) = counts.variations.get_mut(row.variation) else {
            return Err(Problem::new(
                JsonPath::root().index(r).key("variation"),
                format!(
                    "expected a variation index below {}, found {}",
                    variations.len(),
                    row.variation
                ),
            ));
        };
        variation.users += 1;
        for (m, metric) in counts.metrics.iter_mut().enumerate() {
            let raw = row.values.get(m).copied().unwrap_or(0.0);
            let value = match metric.kind {
                MetricKind::Binomial if raw > 0.0 => 1.0,
                MetricKind::Binomial => 0.0,
                MetricKind::Value => raw,
            };
            if let Some(totals) = metric.totals.get_mut(row.variation) {
                totals.sum += value;
                totals.sum_squares += value * value;
            }
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(goal: &str, kind: MetricKind) -> MetricCounts {
        MetricCounts {
            goal: goal.into(),
            kind,
            inverse: false,
            primary: false,
            totals: Vec::new(),
        }
    }

    #[test]
    fn rows_aggregate_to_users_sums_and_squares() {
        let rows = [
            UnitRow {
                variation: 0,
                values: vec![1.0, 20.0],
            },
            UnitRow {
                variation: 0,
                values: vec![0.0],
            },
            UnitRow {
                variation: 1,
                values: vec![3.0, 10.0],
            },
            UnitRow {
                variation: 1,
                values: vec![1.0, -2.5],
            },
            UnitRow {
                variation: 1,
                values: vec![],
            },
        ];
        let metrics = [
            metric("buy", MetricKind::Binomial),
            metric("revenue", MetricKind::Value),
        ];
        let counts = aggregate("t", &["control", "b"], &metrics, &rows).unwrap();
        assert_eq!(
            counts
                .variations
                .iter()
                .map(|v| v.users)
                .collect::<Vec<_>>(),
            [2, 3]
        );
        let buy = &counts.metrics[0].totals;
        assert_eq!(
            buy[0],
            Totals {
                sum: 1.0,
                sum_squares: 1.0
            }
        );
        assert_eq!(
            buy[1],
            Totals {
                sum: 2.0,
                sum_squares: 2.0
            }
        );
        let revenue = &counts.metrics[1].totals;
        assert_eq!(
            revenue[0],
            Totals {
                sum: 20.0,
                sum_squares: 400.0
            }
        );
        assert_eq!(
            revenue[1],
            Totals {
                sum: 7.5,
                sum_squares: 106.25
            }
        );
        assert_eq!(counts.validate(), []);

        let bad = [UnitRow {
            variation: 2,
            values: vec![],
        }];
        let problem = aggregate("t", &["a", "b"], &metrics, &bad).unwrap_err();
        assert_eq!(problem.path.to_string(), "$[0].variation");
    }

    #[test]
    fn the_contract_shape_reads_and_checks() {
        let text = r#"{"experiment": "hero-test",
            "variations": [{"key": "control", "users": 1000}, {"key": "b", "users": 1010}],
            "weights": [0.5, 0.5],
            "metrics": [{"goal": "purchase", "kind": "binomial", "inverse": false, "primary": true,
                "totals": [{"sum": 120.0, "sum_squares": 120.0}, {"sum": 140.0, "sum_squares": 140.0}]}],
            "days": [{"day": "2026-11-30", "users": [500, 498]}]}"#;
        let counts = Counts::from_json(text).unwrap();
        assert_eq!(counts.validate(), []);
        assert_eq!(counts.metrics[0].totals[1].sum, 140.0);
        assert_eq!(counts.days[0].users, [500, 498]);

        let typo = Counts::from_json(r#"{"experiment": "x", "variations": [], "weight": []}"#)
            .unwrap_err();
        assert_eq!(typo.path, JsonPath::root());
        assert!(
            typo.message.contains("unknown field `weight`"),
            "{}",
            typo.message
        );
        assert!(typo.message.contains("line 1 column"), "{}", typo.message);
        let negative =
            Counts::from_json(r#"{"experiment": "x", "variations": [{"key": "a", "users": -1}]}"#);
        assert!(negative.is_err());
    }

    #[test]
    fn every_inconsistency_is_a_problem_at_its_path() {
        let counts = Counts {
            experiment: "x".into(),
            variations: vec![
                VariationCount {
                    key: "a".into(),
                    users: 10,
                },
                VariationCount {
                    key: "a".into(),
                    users: 10,
                },
            ],
            weights: vec![0.5, f64::NAN, 0.5],
            metrics: vec![
                MetricCounts {
                    totals: vec![
                        Totals {
                            sum: 11.0,
                            sum_squares: 11.0,
                        },
                        Totals {
                            sum: -1.0,
                            sum_squares: f64::INFINITY,
                        },
                    ],
                    ..metric("buy", MetricKind::Binomial)
                },
                MetricCounts {
                    totals: vec![Totals {
                        sum: -5.0,
                        sum_squares: 30.0,
                    }],
                    ..metric("buy", MetricKind::Value)
                },
            ],
            days: vec![DayCount {
                day: "2026-13-01".into(),
                users: vec![1],
            }],
        };
        let paths: Vec<String> = counts
            .validate()
            .iter()
            .map(|p| format!("{}: {}", p.path, p.message))
            .collect();
        assert_eq!(
            paths,
            [
                "$.variations[1].key: expected a key used once, found \"a\" again",
                "$.weights: expected one weight per variation (2), found 3",
                "$.weights[1]: expected a finite weight of 0 or more, found NaN",
                "$.metrics[0].totals[0].sum: expected at most the variation's 10 users to convert, found 11",
                "$.metrics[0].totals[1].sum: expected a finite number of 0 or more, found -1",
                "$.metrics[0].totals[1].sum_squares: expected a finite number of 0 or more, found inf",
                "$.metrics[1].goal: expected a goal listed once, found \"buy\" again",
                "$.metrics[1].totals: expected one entry per variation (2), found 1",
                "$.days[0].day: expected a UTC day like \"2026-11-30\", found \"2026-13-01\"",
                "$.days[0].users: expected one count per variation (2), found 1",
            ]
        );
    }
}
