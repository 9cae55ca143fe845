//! Experiments: variations, weights, coverage, namespaces, winners, as compiled.

use super::actions::Action;
use super::audiences::Audience;
use super::element_actions::compile_action;
use super::goals::{Metric, compile_metrics};
use super::pages::PagePattern;
use std::collections::HashSet;

use serde_json::{Map, Value};

use super::reader::{Checker, entry, object_fields};
use super::schedule::Schedule;
use super::targeting::{Known, Targeting, compile_targeting};
use crate::diagnostic::{JsonPath, describe};

/// Fields of an experiment.
pub(super) const EXPERIMENT_FIELDS: &[&str] = &[
    "id",
    "description",
    "pages",
    "audience",
    "schedule",
    "status",
    "winner",
    "coverage",
    "seed",
    "hash_version",
    "namespace",
    "variations",
    "metrics",
];

/// A GrowthBook namespace slice: experiments whose slices of the same namespace do not overlap
/// never share a visitor.
#[derive(Debug, Clone, PartialEq)]
pub struct Namespace {
    /// Namespace identifier; it seeds the namespace hash, so every experiment in the namespace
    /// sees the same visitor position.
    pub id: String,
    /// Inclusive lower bound, in `[0, 1]`, of the slice this experiment owns.
    pub start: f64,
    /// Exclusive upper bound, in `[0, 1]`, of the slice this experiment owns.
    pub end: f64,
}

/// Whether an experiment runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Being prepared: only previews see it.
    Draft,
    /// Visitors are assigned and see their variation.
    Running,
    /// Over: nobody is assigned; the winner, if named, goes to everyone.
    Stopped {
        /// Index of the winning variation.
        winner: Option<usize>,
    },
}

/// One arm of an experiment.
#[derive(Debug, Clone)]
pub struct Variation {
    /// The variation's id (the first variation is the control).
    pub id: String,
    /// What visitors in this variation get.
    pub actions: Vec<Action>,
}

/// An A/B experiment: GrowthBook-compatible bucketing over the visitor id.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// The experiment's id (also its default hash seed).
    pub id: String,
    /// Pages it runs on; empty means every page.
    pub pages: Vec<PagePattern>,
    /// Who may enter.
    pub audience: Option<Audience>,
    /// When it runs.
    pub schedule: Option<Schedule>,
    /// Draft, running or stopped.
    pub status: Status,
    /// Share of the audience that enters (0 to 1).
    pub coverage: f64,
    /// Hash seed.
    pub seed: String,
    /// GrowthBook hash version, 1 or 2.
    pub hash_version: u32,
    /// Mutual exclusion with other experiments in the same namespace.
    pub namespace: Option<Namespace>,
    /// Weights, when not equal.
    pub weights: Option<Vec<f64>>,
    /// The variations; the first is the control.
    pub variations: Vec<Variation>,
    /// What it measures (goals), the primary metric first; empty when it names none.
    pub metrics: Vec<Metric>,
}

/// Whether an id fits in cookies and query parameters: 1 to 64 of `A-Z a-z 0-9 _ -`.
pub fn is_simple_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn simple_id(
    object: &Map<String, Value>,
    parent: &JsonPath,
    what: &str,
    check: &mut Checker,
) -> Option<String> {
    let path = parent.key("id");
    match object.get("id") {
        Some(Value::String(id)) if is_simple_id(id) => Some(id.clone()),
        Some(other) => {
            check.push(
                &path,
                format!(
                    "expected {what} of 1 to 64 letters, digits, \"_\" or \"-\", found {}",
                    describe(other)
                ),
            );
            None
        }
        None => {
            check.push(parent, format!("missing field \"id\" ({what})"));
            None
        }
    }
}

fn unit_interval(value: &Value, path: &JsonPath, check: &mut Checker) -> Option<f64> {
    match value.as_f64() {
        Some(x) if (0.0..=1.0).contains(&x) => Some(x),
        _ => {
            check.push(
                path,
                format!("expected a number from 0 to 1, found {}", describe(value)),
            );
            None
        }
    }
}

/// Compiles one experiment: targeting, status, coverage, namespace and variations.
pub(super) fn compile_experiment(
    value: &Value,
    path: &JsonPath,
    known: &Known,
    check: &mut Checker,
) -> Option<Experiment> {
    let e = entry(value, path, "an experiment", EXPERIMENT_FIELDS, check)?;
    let id = simple_id(e, path, "an experiment id", check);
    let Targeting {
        pages,
        audience,
        schedule,
    } = compile_targeting(e, path, known, check);
    let coverage = match e.get("coverage") {
        None => 1.0,
        Some(v) => unit_interval(v, &path.key("coverage"), check).unwrap_or(1.0),
    };
    let hash_version = match e.get("hash_version") {
        None => 2,
        Some(v) => match v.as_u64() {
            Some(n @ (1 | 2)) => n as u32,
            _ => {
                check.push(
                    path.key("hash_version"),
                    format!("expected 1 or 2, found {}", describe(v)),
                );
                2
            }
        },
    };
    let seed = match e.get("seed") {
        None => id.clone().unwrap_or_default(),
        Some(v) => check
            .string(v, &path.key("seed"))
            .unwrap_or_default()
            .to_owned(),
    };
    let namespace = e.get("namespace").and_then(|ns| {
        let at = path.key("namespace");
        let o = object_fields(
            ns,
            &at,
            check,
            &["id", "start", "end"],
            "{\"id\": \"home\", \"start\": 0, \"end\": 0.5}",
        )?;
        let ns_id = o
            .get("id")
            .and_then(|v| check.string(v, &at.key("id")))
            .map(str::to_owned);
        let start = o
            .get("start")
            .and_then(|v| unit_interval(v, &at.key("start"), check));
        let end = o
            .get("end")
            .and_then(|v| unit_interval(v, &at.key("end"), check));
        if let (Some(s), Some(t)) = (start, end)
            && t <= s
        {
            check.push(
                at.key("end"),
                format!("the range must end after it starts ({s} < {t})"),
            );
        }
        if o.get("id").is_none() || o.get("start").is_none() || o.get("end").is_none() {
            check.push(at, "a namespace needs \"id\", \"start\" and \"end\"");
        }
        Some(Namespace {
            id: ns_id?,
            start: start?,
            end: end?,
        })
    });
    let mut variations = Vec::new();
    let mut weights = Vec::new();
    let mut variation_ids = HashSet::new();
    match e.get("variations") {
        Some(Value::Array(list)) if list.len() >= 2 && list.len() <= 100 => {
            for (i, v) in list.iter().enumerate() {
                let at = path.key("variations").index(i);
                let Some(o) = object_fields(
                    v,
                    &at,
                    check,
                    &["id", "weight", "actions"],
                    "{\"id\": \"control\", \"actions\": []}",
                ) else {
                    continue;
                };
                let vid = simple_id(o, &at, "a variation id", check);
                if let Some(w) = o.get("weight") {
                    weights.push(unit_interval(w, &at.key("weight"), check).unwrap_or(0.0));
                }
                let mut actions = Vec::new();
                match o.get("actions") {
                    Some(Value::Array(list)) => {
                        for (j, a) in list.iter().enumerate() {
                            if let Some(a) = compile_action(
                                a,
                                &at.key("actions").index(j),
                                known.settings,
                                check,
                            ) {
                                actions.push(a);
                            }
                        }
                    }
                    None => {}
                    Some(other) => check.push(
                        at.key("actions"),
                        format!("expected a list of actions, found {}", describe(other)),
                    ),
                }
                if let Some(vid) = vid {
                    if !variation_ids.insert(vid.clone()) {
                        check.push(at.key("id"), format!("duplicate variation id {vid:?}"));
                    }
                    variations.push(Variation { id: vid, actions });
                }
            }
        }
        Some(other) => check.push(
            path.key("variations"),
            format!(
                "expected a list of 2 to 100 variations (the first is the control), found {}",
                match other {
                    Value::Array(l) => format!("{} variation(s)", l.len()),
                    v => describe(v),
                }
            ),
        ),
        None => check.push(
            path,
            "missing field \"variations\" (at least two; the first is the control)",
        ),
    }
    let weights = match weights.len() {
        0 => None,
        n if n == variations.len() => {
            let sum: f64 = weights.iter().sum();
            if !(0.99..=1.01).contains(&sum) {
                check.push(
                    path.key("variations"),
                    format!("weights must add up to 1, found {sum}"),
                );
            }
            Some(weights)
        }
        _ => {
            check.push(
                path.key("variations"),
                "give every variation a weight, or none (equal split)",
            );
            None
        }
    };
    let status = match e.get("status").map(|s| (s, s.as_str())) {
        None | Some((_, Some("running"))) => Status::Running,
        Some((_, Some("draft"))) => Status::Draft,
        Some((_, Some("stopped"))) => Status::Stopped { winner: None },
        Some((v, _)) => {
            check.push(
                path.key("status"),
                format!(
                    "expected \"draft\", \"running\" or \"stopped\", found {}",
                    describe(v)
                ),
            );
            Status::Draft
        }
    };
    let status = match (status, e.get("winner")) {
        (status, None) => status,
        (Status::Stopped { .. }, Some(w)) => {
            let winner = w
                .as_str()
                .and_then(|w| variations.iter().position(|v| v.id == w));
            if winner.is_none() {
                check.push(
                    path.key("winner"),
                    format!(
                        "expected the id of one of the variations, found {}",
                        describe(w)
                    ),
                );
            }
            Status::Stopped { winner }
        }
        (status, Some(_)) => {
            check.push(
                path.key("winner"),
                "only a stopped experiment has a winner; set \"status\": \"stopped\"",
            );
            status
        }
    };
    let metrics = e
        .get("metrics")
        .map(|m| compile_metrics(m, &path.key("metrics"), known.goals, check))
        .unwrap_or_default();
    Some(Experiment {
        id: id?,
        pages,
        audience,
        schedule,
        status,
        coverage,
        seed,
        hash_version,
        namespace,
        weights,
        variations,
        metrics,
    })
}
