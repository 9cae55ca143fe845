//! The events of one request: exposures (a visitor counted in a variation) and conversions (a
//! visitor in a variation reached a goal), and who may be counted at all.

use serde_json::{Value, json};

use crate::document::{CompiledRules, Experiment, Status};
use crate::request::Session;

/// What the edge knows about the visitor of one request, for recording.
#[derive(Debug, Clone, Copy)]
pub struct Visitor<'a> {
    /// The visitor id (from the cookie, or new), when there is one.
    pub id: Option<&'a str>,
    /// Whether the request looks like a bot's (the `bot` attribute).
    pub bot: bool,
    /// Whether the visitor consented (always true without consent mode).
    pub consent: bool,
    /// Whether this is a marketer's preview.
    pub preview: bool,
    /// Assignments from the visitor's signed assignments cookie (already verified).
    pub sticky: &'a [(String, String)],
}

impl<'a> Visitor<'a> {
    /// The visitor of one request, from its session and its visitor attributes.
    pub fn of(session: &'a Session, attributes: &Value) -> Self {
        Self {
            id: session.visitor_id.as_deref(),
            bot: attributes.get("bot") == Some(&Value::Bool(true)),
            consent: session.consent,
            preview: session.in_preview(),
            sticky: &session.sticky,
        }
    }

    /// The id of a visitor who may be recorded under these rules: not a bot, consent given,
    /// not a preview, recording on. `None`: record nothing.
    pub fn countable(&self, rules: &CompiledRules) -> Option<&'a str> {
        let ok = rules.settings.recording.enabled && !self.bot && self.consent && !self.preview;
        self.id.filter(|_| ok)
    }
}

/// One thing to record.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The visitor was counted in a variation of an experiment on this page.
    Exposure {
        /// The experiment's id.
        experiment: String,
        /// The variation's index (0 is the control).
        variation: usize,
        /// The variation's id.
        variation_id: String,
        /// Whether the assignment is new (the visitor's first exposure).
        first: bool,
    },
    /// The visitor, in a variation of an experiment that measures the goal, reached it.
    Conversion {
        /// The experiment's id.
        experiment: String,
        /// The goal's name.
        goal: String,
        /// The variation's index.
        variation: usize,
        /// The variation's id.
        variation_id: String,
        /// The conversion's value (0 for goals without one).
        value: f64,
    },
}

impl Event {
    /// The experiment the event belongs to.
    pub fn experiment(&self) -> &str {
        match self {
            Self::Exposure { experiment, .. } | Self::Conversion { experiment, .. } => experiment,
        }
    }

    /// The event as one JSON log line's fields (`veneer: "experiment_event"`).
    pub fn log_line(&self, visitor: &str, at_ms: i64) -> Value {
        match self {
            Self::Exposure {
                experiment,
                variation_id,
                first,
                ..
            } => json!({
                "veneer": "experiment_event", "event": "exposure", "experiment": experiment,
                "variation": variation_id, "first": first, "visitor": visitor, "at": at_ms
            }),
            Self::Conversion {
                experiment,
                goal,
                variation_id,
                value,
                ..
            } => json!({
                "veneer": "experiment_event", "event": "conversion", "experiment": experiment,
                "variation": variation_id, "goal": goal, "value": value, "visitor": visitor,
                "at": at_ms
            }),
        }
    }

    /// The Analytics Engine data point: the experiment as index; blobs event, experiment,
    /// variation id, goal (`""` for an exposure); doubles value, first (1 for a first exposure),
    /// variation index.
    pub fn data_point(&self) -> (String, [String; 4], [f64; 3]) {
        match self {
            Self::Exposure {
                experiment,
                variation,
                variation_id,
                first,
            } => (
                experiment.clone(),
                [
                    "exposure".into(),
                    experiment.clone(),
                    variation_id.clone(),
                    String::new(),
                ],
                [0.0, f64::from(u8::from(*first)), *variation as f64],
            ),
            Self::Conversion {
                experiment,
                goal,
                variation,
                variation_id,
                value,
            } => (
                experiment.clone(),
                [
                    "conversion".into(),
                    experiment.clone(),
                    variation_id.clone(),
                    goal.clone(),
                ],
                [*value, 0.0, *variation as f64],
            ),
        }
    }
}

/// What one request records: whose events, when, which.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// The visitor id.
    pub visitor: String,
    /// When, in Unix milliseconds.
    pub at_ms: i64,
    /// The events, exposures first.
    pub events: Vec<Event>,
}

/// A running experiment of the rules and the index of one of its variations.
pub(super) fn running_variation<'r>(
    rules: &'r CompiledRules,
    experiment: &str,
    variation: &str,
) -> Option<(&'r Experiment, usize)> {
    let e = rules
        .experiments
        .iter()
        .find(|e| e.id == experiment && e.status == Status::Running)?;
    let v = e.variations.iter().position(|v| v.id == variation)?;
    Some((e, v))
}

/// Conversions of `goal` (with `value`) for each running experiment that measures it and in
/// which the visitor has one of `assignments`.
pub(super) fn conversions(
    rules: &CompiledRules,
    assignments: &[(String, String)],
    goal: &str,
    value: f64,
) -> Vec<Event> {
    let mut out = Vec::new();
    for (experiment, variation) in assignments {
        let Some((e, v)) = running_variation(rules, experiment, variation) else {
            continue;
        };
        if e.metrics.iter().any(|m| m.goal == goal)
            && !out
                .iter()
                .any(|c: &Event| c.experiment() == experiment.as_str())
        {
            out.push(Event::Conversion {
                experiment: e.id.clone(),
                goal: goal.to_owned(),
                variation: v,
                variation_id: variation.clone(),
                value,
            });
        }
    }
    out
}
