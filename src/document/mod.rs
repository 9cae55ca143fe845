//! The rules document: parsing, validation and compilation.
//!
//! A document is compiled once per version, never per request. Problems are collected with the
//! JSON path they concern; a rule with a problem is skipped and the other rules still run (the
//! pattern of Unleash's yggdrasil), while a document whose shape is wrong is refused as a whole.
//! See `docs/rules.md` for the language.

mod actions;
mod audiences;
mod commerce;
mod element_actions;
mod experiments;
mod fragment;
mod goals;
mod listings;
mod names;
mod operations;
mod page_actions;
mod pages;
mod reader;
mod redirect;
mod rule;
mod schedule;
mod schema;
mod search_terms;
mod selector;
mod settings;
mod targeting;
mod template;
#[cfg(test)]
mod tests;
mod text_pattern;

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::diagnostic::{JsonPath, Problem, describe};
use audiences::{compile_condition, compile_saved_groups, drop_unknown_and_cyclic_audiences};
use experiments::compile_experiment;
use goals::compile_goals;
use reader::Checker;
use rule::compile_rule;
use settings::compile_settings;
use targeting::Known;

pub use actions::{Action, ElementOp, InsertPosition};
pub use audiences::Audience;
pub use commerce::{Banner, ListingAction, ListingOp, PriceChange, TileMatch};
#[cfg(console_code)]
pub use experiments::is_simple_id;
pub use experiments::{Experiment, Namespace, Status};
#[cfg(console_code)]
pub use goals::MetricKind;
pub use goals::{Goal, GoalKind, Goals};
pub use listings::{Listing, ProductKey, Targets};
pub use names::is_url_attribute;
pub use pages::PageIndex;
pub use rule::CompiledRule;
pub use schema::schema;
#[cfg(test)]
pub(crate) use selector::parse_selector;
pub use settings::Settings;
pub use template::{Escape, Template, push_escaped};
pub(crate) use text_pattern::REGEX_SCAN_BASE;
#[cfg(test)]
pub(crate) use text_pattern::REGEX_SCAN_PER_BYTE;
pub use text_pattern::TextReplacement;

/// Why a whole document was refused (nothing from it can run).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    /// The text is not JSON at all.
    #[error("rules are not valid JSON: {message} (line {line}, column {column})")]
    Json {
        /// serde_json's description of the syntax error.
        message: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
    },
    /// The text is longer than the limit (`MAX_DOCUMENT_BYTES`, or the edge's `RULES_MAX_BYTES`).
    #[error(
        "rules document is {bytes} bytes, over the limit of {limit} bytes: split it, or remove rules and experiments that have ended"
    )]
    TooLarge {
        /// The document's size.
        bytes: usize,
        /// The limit it is over.
        limit: usize,
    },
    /// The JSON does not have the shape of a rules document.
    #[error("rules document is invalid: {}", join_problems(.0))]
    Document(Vec<Problem>),
}

fn join_problems(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A compiled document: the rules that compiled, plus the problems of those that did not.
#[derive(Debug, Clone, Default)]
pub struct CompiledRules {
    /// The document's `version`, as text, for logs.
    pub version: Option<String>,
    /// Settings for the whole document.
    pub settings: Settings,
    /// Named audiences (`$inGroup` and `"audience": "name"` refer to them).
    pub audiences: HashMap<String, Audience>,
    /// GrowthBook saved groups: lists of values for `{"attr": {"$inGroup": "group"}}`.
    pub saved_groups: HashMap<String, Vec<Value>>,
    /// Rules that compiled, in application order (priority, then document order).
    pub rules: Vec<CompiledRule>,
    /// Which rules can apply to which path.
    pub index: PageIndex,
    /// Experiments that compiled, in document order.
    pub experiments: Vec<Experiment>,
    /// Which experiments can apply to which path.
    pub experiment_index: PageIndex,
    /// Goals that experiments measure (`goals`).
    pub goals: Goals,
    /// Problems that made rules or audiences be skipped.
    pub problems: Vec<Problem>,
}

impl CompiledRules {
    /// Whether any rule or experiment may apply on `path` (decoded); when none can, the page
    /// passes through untouched, without looking at the visitor.
    pub fn applies_to(&self, path: &str) -> bool {
        !self.index.candidates(path).is_empty()
            || !self.experiment_index.candidates(path).is_empty()
            || self.measures_page(path)
    }

    /// Whether a goal that a running experiment measures concerns `path` (decoded), with
    /// recording on: the page is then looked at even when nothing on it changes.
    pub fn measures_page(&self, path: &str) -> bool {
        self.settings.recording.enabled
            && self.goals.on_page(path).any(|g| {
                self.experiments.iter().any(|e| {
                    e.status == Status::Running && e.metrics.iter().any(|m| m.goal == g.name)
                })
            })
    }
}

/// The default name of the visitor id cookie.
pub const DEFAULT_VISITOR_COOKIE: &str = "veneer_id";

/// The largest rules document [`compile`] accepts: 5 MiB.
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024 * 1024;

/// The most rules, and the most experiments, a document may hold.
pub const MAX_RULES: usize = 10_000;

/// Parses and compiles a rules document from its JSON text (at most [`MAX_DOCUMENT_BYTES`]).
pub fn compile(text: &str) -> Result<CompiledRules, RulesError> {
    compile_within(text, MAX_DOCUMENT_BYTES)
}

/// [`compile`] with another size limit, in bytes (the edge's `RULES_MAX_BYTES`).
pub fn compile_within(text: &str, max_bytes: usize) -> Result<CompiledRules, RulesError> {
    if text.len() > max_bytes {
        return Err(RulesError::TooLarge {
            bytes: text.len(),
            limit: max_bytes,
        });
    }
    let value: Value = serde_json::from_str(text).map_err(|e| RulesError::Json {
        message: strip_position(&e.to_string()),
        line: e.line(),
        column: e.column(),
    })?;
    compile_value(&value)
}

/// The document's experiments list, when it is one (its type is checked below).
fn experiment_list(doc: &Map<String, Value>) -> &[Value] {
    match doc.get("experiments") {
        Some(Value::Array(list)) => list.as_slice(),
        _ => &[],
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// Compiles each rule (or experiment) under `$.<list>`, keeping those without problems whose id
/// is the first of its kind. A rule with problems of its own still takes part in the checks
/// across rules.
fn compile_entries<T>(
    values: &[Value],
    list: &str,
    what: &str,
    known: &Known,
    check: &mut Checker,
    compile_one: fn(&Value, &JsonPath, &Known, &mut Checker) -> Option<T>,
) -> Vec<T> {
    let mut ids = HashSet::new();
    let mut compiled = Vec::new();
    for (i, value) in values.iter().enumerate() {
        let path = JsonPath::root().key(list).index(i);
        let before = check.problems.len();
        let entry = compile_one(value, &path, known, check);
        let valid = check.problems.len() == before;
        if unique_id(value, &path, what, &mut ids, check)
            && valid
            && let Some(entry) = entry
        {
            compiled.push(entry);
        }
    }
    compiled
}

/// Records the `id` of a rule or experiment (valid or not) and says whether it is the first
/// with that id; a repeat is a problem at its `id`.
fn unique_id(
    value: &Value,
    path: &JsonPath,
    what: &str,
    seen: &mut HashSet<String>,
    check: &mut Checker,
) -> bool {
    let Some(id) = value.get("id").and_then(Value::as_str) else {
        return true;
    };
    if seen.insert(id.to_owned()) {
        return true;
    }
    check.push(
        path.key("id"),
        format!("duplicate {what} id {id:?}; ids must be unique"),
    );
    false
}

/// Top-level fields of a document.
pub(super) const DOCUMENT_FIELDS: &[&str] = &[
    "version",
    "settings",
    "audiences",
    "saved_groups",
    "rules",
    "experiments",
    "goals",
];

/// Compiles a rules document that is already parsed JSON.
pub fn compile_value(value: &Value) -> Result<CompiledRules, RulesError> {
    let Some(doc) = value.as_object() else {
        return Err(RulesError::Document(vec![Problem::new(
            JsonPath::root(),
            format!("expected an object, found {}", describe(value)),
        )]));
    };
    let mut fatal = Checker::default();
    fatal.unknown_fields(doc, &JsonPath::root(), DOCUMENT_FIELDS);
    let version = match doc.get("version") {
        None => None,
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            fatal.push(
                JsonPath::root().key("version"),
                format!("expected a number or a string, found {}", describe(other)),
            );
            None
        }
    };
    let settings = compile_settings(doc.get("settings"), &mut fatal);
    let rules = match doc.get("rules") {
        None => &[][..],
        Some(Value::Array(rules)) => rules.as_slice(),
        Some(other) => {
            fatal.push(
                JsonPath::root().key("rules"),
                format!("expected a list of rules, found {}", describe(other)),
            );
            &[][..]
        }
    };
    for (key, list) in [("rules", rules), ("experiments", experiment_list(doc))] {
        if list.len() > MAX_RULES {
            fatal.push(
                JsonPath::root().key(key),
                format!(
                    "a document may hold at most {MAX_RULES} {key}, found {}: remove those that have ended",
                    list.len()
                ),
            );
        }
    }
    let saved_groups = compile_saved_groups(doc.get("saved_groups"), &mut fatal);
    let experiment_values = match doc.get("experiments") {
        None => &[][..],
        Some(Value::Array(list)) => list.as_slice(),
        Some(other) => {
            fatal.push(
                JsonPath::root().key("experiments"),
                format!("expected a list of experiments, found {}", describe(other)),
            );
            &[][..]
        }
    };
    let audience_values = match doc.get("audiences") {
        None => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(other) => {
            fatal.push(
                JsonPath::root().key("audiences"),
                format!(
                    "expected an object of audience names to conditions, found {}",
                    describe(other)
                ),
            );
            Map::new()
        }
    };
    let goal_values = match doc.get("goals") {
        None => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(other) => {
            fatal.push(
                JsonPath::root().key("goals"),
                format!(
                    "expected an object of goal names to goals, found {}",
                    describe(other)
                ),
            );
            Map::new()
        }
    };
    if !fatal.problems.is_empty() {
        return Err(RulesError::Document(fatal.problems));
    }

    let mut check = Checker::default();
    let defined: HashSet<String> = audience_values.keys().cloned().collect();
    let mut audiences = HashMap::new();
    for (name, condition) in &audience_values {
        let path = JsonPath::root().key("audiences").key(name);
        if let Some(a) = compile_condition(condition, &path, &mut check) {
            audiences.insert(name.clone(), a);
        }
    }
    drop_unknown_and_cyclic_audiences(&mut audiences, &defined, &mut check);

    let goals = compile_goals(&goal_values, &mut check);
    let known = Known {
        settings: &settings,
        audiences: &audiences,
        defined: &defined,
        goals: &goals,
    };
    let mut compiled = compile_entries(rules, "rules", "rule", &known, &mut check, compile_rule);
    // Stable: equal priorities keep document order.
    compiled.sort_by_key(|r| r.priority);
    let index = PageIndex::new(compiled.iter().map(|r| r.pages.as_slice()));
    let experiments = compile_entries(
        experiment_values,
        "experiments",
        "experiment",
        &known,
        &mut check,
        compile_experiment,
    );
    let experiment_index = PageIndex::new(experiments.iter().map(|e| e.pages.as_slice()));
    Ok(CompiledRules {
        version,
        settings,
        audiences,
        saved_groups,
        rules: compiled,
        index,
        experiments,
        experiment_index,
        goals,
        problems: check.problems,
    })
}
