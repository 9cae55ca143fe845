//! Goals and metrics: what a visitor may do that an experiment measures (issue 11,
//! `docs/rules.md`, "Goals and metrics").
//!
//! `goals` is an object of goal names to definitions: a page view (`pages`), a click or a form
//! submit (`select`, optionally `pages`), a custom event the site sends with `veneer.track`, or a
//! server event the shop's backend posts. An experiment names its metrics: a primary goal and
//! any secondary ones, each counted per visitor (binomial) or summed per visitor (value).

use serde_json::{Map, Value};

use super::experiments::is_simple_id;
use super::pages::{PageIndex, PagePattern};
use super::reader::{Checker, object_fields};
use crate::diagnostic::{JsonPath, describe};

/// Fields of a goal.
pub(super) const GOAL_FIELDS: &[&str] = &["type", "description", "pages", "select"];

/// The goal types, as written in a document.
pub(super) const GOAL_TYPES: &[&str] = &["page_view", "click", "submit", "custom", "server"];

/// Fields of an experiment's `metrics`.
pub(super) const METRICS_FIELDS: &[&str] = &["primary", "secondary"];

/// Fields of one metric written as an object.
pub(super) const METRIC_FIELDS: &[&str] = &["goal", "kind", "inverse"];

/// A page pattern no request path matches (paths start with `/`).
static NOWHERE: [PagePattern; 1] = [PagePattern::Exact(String::new())];

/// Longest selector a click or submit goal may have, in bytes.
const MAX_GOAL_SELECTOR: usize = 256;

/// Most secondary metrics an experiment may have.
const MAX_SECONDARY: usize = 20;

/// What a visitor does to reach a goal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoalKind {
    /// Viewing a page that matches the goal's pages (recorded by the edge).
    PageView,
    /// Clicking an element that matches the selector (recorded by Veneer's script).
    Click(String),
    /// Submitting a form that matches the selector (recorded by Veneer's script).
    Submit(String),
    /// The site calls `veneer.track(name, {value})` (recorded by Veneer's script).
    Custom,
    /// The shop's backend posts a conversion for a visitor id (the console API).
    Server,
}

impl GoalKind {
    /// Whether the browser reports this goal (through `/__veneer/collect`).
    pub fn reported_by_browser(&self) -> bool {
        matches!(self, Self::Click(_) | Self::Submit(_) | Self::Custom)
    }

    /// Whether a conversion of this goal carries a value (custom and server goals).
    pub fn has_value(&self) -> bool {
        matches!(self, Self::Custom | Self::Server)
    }
}

/// One goal, compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Goal {
    /// The goal's name (its key under `goals`).
    pub name: String,
    /// What reaches it.
    pub kind: GoalKind,
    /// Where it can be reached: the pages a page view counts on, or where Veneer's script
    /// listens (empty: every page).
    pub pages: Vec<PagePattern>,
}

/// How a metric summarizes a goal per visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Did the visitor convert (0 or 1).
    Binomial,
    /// The sum of the visitor's conversion values (revenue, say).
    Value,
}

impl MetricKind {
    /// `"binomial"` or `"value"`, as in documents and results.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Binomial => "binomial",
            Self::Value => "value",
        }
    }
}

/// One metric of an experiment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metric {
    /// The goal it counts.
    pub goal: String,
    /// Binomial or value.
    pub kind: MetricKind,
    /// Lower is better (a bounce, a refund).
    pub inverse: bool,
    /// The experiment's primary metric (exactly one per experiment with metrics).
    pub primary: bool,
}

/// The compiled goals: by name, and which pages any of them concern.
#[derive(Debug, Clone, Default)]
pub struct Goals {
    /// Goals that compiled, in document order.
    pub list: Vec<Goal>,
    /// Which goals (indexes into `list`) concern which page.
    pub index: PageIndex,
}

impl Goals {
    /// The goal of that name.
    pub fn get(&self, name: &str) -> Option<&Goal> {
        self.list.iter().find(|g| g.name == name)
    }

    /// The goals that concern `path` (decoded).
    pub fn on_page(&self, path: &str) -> impl Iterator<Item = &Goal> {
        self.index
            .candidates(path)
            .into_iter()
            .filter_map(|i| self.list.get(i))
    }
}

/// Reads `goals` (already known to be an object); a broken goal is skipped with its problems.
pub(super) fn compile_goals(goals: &Map<String, Value>, check: &mut Checker) -> Goals {
    let mut list = Vec::new();
    for (name, value) in goals {
        let path = JsonPath::root().key("goals").key(name);
        let before = check.problems.len();
        let goal = compile_goal(name, value, &path, check);
        if check.problems.len() == before
            && let Some(goal) = goal
        {
            list.push(goal);
        }
    }
    // A server goal is on no page (an empty list would mean every page).
    let index = PageIndex::new(list.iter().map(|g| match g.kind {
        GoalKind::Server => &NOWHERE[..],
        _ => g.pages.as_slice(),
    }));
    Goals { list, index }
}

fn compile_goal(name: &str, value: &Value, path: &JsonPath, check: &mut Checker) -> Option<Goal> {
    if !is_simple_id(name) {
        check.push(
            path,
            format!(
                "expected a goal name of 1 to 64 letters, digits, \"_\" or \"-\", found {name:?}"
            ),
        );
    }
    let o = object_fields(
        value,
        path,
        check,
        GOAL_FIELDS,
        "{\"type\": \"page_view\", \"pages\": [\"/checkout/thanks\"]}",
    )?;
    if let Some(d) = o.get("description").filter(|d| !d.is_string()) {
        check.push(
            path.key("description"),
            format!("expected a string, found {}", describe(d)),
        );
    }
    let pages = match o.get("pages") {
        None => Vec::new(),
        Some(v) => pages(v, &path.key("pages"), check),
    };
    let selector = |check: &mut Checker| match o.get("select") {
        Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= MAX_GOAL_SELECTOR => {
            Some(s.trim().to_owned())
        }
        Some(other) => {
            check.push(
                path.key("select"),
                format!(
                    "expected a CSS selector of 1 to {MAX_GOAL_SELECTOR} characters, found {}",
                    describe(other)
                ),
            );
            None
        }
        None => {
            check.push(
                path,
                "missing field \"select\": the CSS selector of what the visitor clicks or submits",
            );
            None
        }
    };
    let no_selector = |check: &mut Checker, kind: &str| {
        if o.contains_key("select") {
            check.push(
                path.key("select"),
                format!(
                    "a {kind} goal has no selector; use \"click\" or \"submit\" goals for that"
                ),
            );
        }
    };
    let kind = match o.get("type").and_then(Value::as_str) {
        Some("page_view") => {
            no_selector(check, "page_view");
            if pages.is_empty() && !o.contains_key("pages") {
                check.push(
                    path,
                    "missing field \"pages\": the pages whose view is the goal, like [\"/checkout/thanks\"]",
                );
            }
            GoalKind::PageView
        }
        Some("click") => GoalKind::Click(selector(check)?),
        Some("submit") => GoalKind::Submit(selector(check)?),
        Some("custom") => {
            no_selector(check, "custom");
            GoalKind::Custom
        }
        Some("server") => {
            no_selector(check, "server");
            if o.contains_key("pages") {
                check.push(
                    path.key("pages"),
                    "a server goal is posted by the shop's backend, not seen on a page; remove \"pages\"",
                );
            }
            GoalKind::Server
        }
        _ => {
            let found = o.get("type").map_or_else(|| "nothing".to_owned(), describe);
            check.push(
                path.key("type"),
                format!("expected one of {}, found {found}", GOAL_TYPES.join(", ")),
            );
            return None;
        }
    };
    Some(Goal {
        name: name.to_owned(),
        kind,
        pages,
    })
}

fn pages(value: &Value, path: &JsonPath, check: &mut Checker) -> Vec<PagePattern> {
    let Some(list) = value.as_array().filter(|l| !l.is_empty()) else {
        check.push(
            path,
            format!(
                "expected a non-empty list of path patterns like [\"/checkout/thanks\"], found {}",
                describe(value)
            ),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, p) in list.iter().enumerate() {
        match p.as_str().map(PagePattern::parse) {
            Some(Ok(p)) => out.push(p),
            Some(Err(e)) => check.push(path.index(i), e.0),
            None => check.push(
                path.index(i),
                format!("expected a path pattern string, found {}", describe(p)),
            ),
        }
    }
    out
}

/// Reads an experiment's `metrics`: `{"primary": goal, "secondary": [goal, ...]}`, where each
/// goal is its name (binomial) or `{"goal", "kind": "binomial"|"value", "inverse"}`.
pub(super) fn compile_metrics(
    value: &Value,
    path: &JsonPath,
    goals: &Goals,
    check: &mut Checker,
) -> Vec<Metric> {
    let Some(o) = object_fields(
        value,
        path,
        check,
        METRICS_FIELDS,
        "{\"primary\": \"purchase\", \"secondary\": [\"add_to_cart\"]}",
    ) else {
        return Vec::new();
    };
    let mut metrics = Vec::new();
    match o.get("primary") {
        Some(v) => metrics.extend(metric(v, &path.key("primary"), true, goals, check)),
        None => check.push(
            path,
            "missing field \"primary\": the goal that decides the experiment",
        ),
    }
    match o.get("secondary") {
        None => {}
        Some(Value::Array(list)) if list.len() <= MAX_SECONDARY => {
            for (i, v) in list.iter().enumerate() {
                let at = path.key("secondary").index(i);
                metrics.extend(metric(v, &at, false, goals, check));
            }
        }
        Some(other) => check.push(
            path.key("secondary"),
            format!(
                "expected a list of at most {MAX_SECONDARY} goals, found {}",
                match other {
                    Value::Array(l) => format!("{} goals", l.len()),
                    v => describe(v),
                }
            ),
        ),
    }
    for (i, m) in metrics.iter().enumerate() {
        if metrics[..i].iter().any(|earlier| earlier.goal == m.goal) {
            check.push(
                path,
                format!("goal {:?} is measured twice; name each goal once", m.goal),
            );
        }
    }
    metrics
}

fn metric(
    value: &Value,
    path: &JsonPath,
    primary: bool,
    goals: &Goals,
    check: &mut Checker,
) -> Option<Metric> {
    let (name, name_path, kind, inverse) = match value {
        Value::String(name) => (name.as_str(), path.clone(), None, false),
        Value::Object(_) => {
            let o = object_fields(
                value,
                path,
                check,
                METRIC_FIELDS,
                "{\"goal\": \"order\", \"kind\": \"value\"}",
            )?;
            let Some(name) = o.get("goal").and_then(Value::as_str) else {
                check.push(path, "missing field \"goal\" (a goal name from \"goals\")");
                return None;
            };
            let kind = match o.get("kind") {
                None => None,
                Some(Value::String(k)) if k == "binomial" => Some(MetricKind::Binomial),
                Some(Value::String(k)) if k == "value" => Some(MetricKind::Value),
                Some(other) => {
                    check.push(
                        path.key("kind"),
                        format!(
                            "expected \"binomial\" or \"value\", found {}",
                            describe(other)
                        ),
                    );
                    return None;
                }
            };
            let inverse = match o.get("inverse") {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(other) => {
                    check.push(
                        path.key("inverse"),
                        format!("expected true or false, found {}", describe(other)),
                    );
                    false
                }
            };
            (name, path.key("goal"), kind, inverse)
        }
        other => {
            check.push(
                path,
                format!(
                    "expected a goal name or {{\"goal\": \"order\", \"kind\": \"value\"}}, found {}",
                    describe(other)
                ),
            );
            return None;
        }
    };
    let Some(goal) = goals.get(name) else {
        let known: Vec<&str> = goals.list.iter().map(|g| g.name.as_str()).collect();
        let known = if known.is_empty() {
            "the document defines no goals that compiled".to_owned()
        } else {
            format!("known goals: {}", known.join(", "))
        };
        check.push(&name_path, format!("unknown goal {name:?}; {known}"));
        return None;
    };
    let kind = kind.unwrap_or(MetricKind::Binomial);
    if kind == MetricKind::Value && !goal.kind.has_value() {
        check.push(
            path.key("kind"),
            format!(
                "goal {name:?} carries no value (only custom and server goals do); use \"binomial\""
            ),
        );
        return None;
    }
    Some(Metric {
        goal: name.to_owned(),
        kind,
        inverse,
        primary,
    })
}
