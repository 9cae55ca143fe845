//! Rules: targeting plus a list of actions, as compiled.

use serde_json::Value;

use super::actions::Action;
use super::audiences::Audience;
use super::element_actions::compile_action;
use super::pages::PagePattern;
use super::reader::{Checker, entry};
use super::schedule::Schedule;
use super::search_terms::{SearchTerms, compile_search};
use super::targeting::{Known, Targeting, compile_targeting};
use crate::diagnostic::{JsonPath, describe};

/// Fields of a rule.
pub(super) const RULE_FIELDS: &[&str] = &[
    "id",
    "description",
    "pages",
    "audience",
    "schedule",
    "priority",
    "actions",
    "search",
];

/// A rule ready to run.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    /// The marketer's id, used in logs and explanations.
    pub id: String,
    /// Higher applies later, so it wins conflicts; ties keep document order.
    pub priority: i64,
    /// Pages the rule applies to; empty means every page.
    pub pages: Vec<PagePattern>,
    /// Who the rule is for; none means everyone.
    pub audience: Option<Audience>,
    /// When the rule is live; none means always.
    pub schedule: Option<Schedule>,
    /// What the rule does, in order.
    pub actions: Vec<Action>,
    /// Searches the rule applies to (the search query parameter); none means any page.
    pub search: Option<SearchTerms>,
}

/// Compiles one rule: id, priority, targeting and actions.
pub(super) fn compile_rule(
    value: &Value,
    path: &JsonPath,
    known: &Known,
    check: &mut Checker,
) -> Option<CompiledRule> {
    let rule = entry(value, path, "a rule", RULE_FIELDS, check)?;
    let id = match rule.get("id") {
        Some(Value::String(id)) if !id.trim().is_empty() => Some(id.clone()),
        Some(other) => {
            check.push(
                path.key("id"),
                format!("expected a non-empty string, found {}", describe(other)),
            );
            None
        }
        None => {
            check.push(path, "missing field \"id\" (a unique name for the rule)");
            None
        }
    };
    let priority = match rule.get("priority") {
        None => 0,
        Some(v) => v.as_i64().unwrap_or_else(|| {
            check.push(
                path.key("priority"),
                format!("expected a whole number, found {}", describe(v)),
            );
            0
        }),
    };
    let Targeting {
        pages,
        audience,
        schedule,
    } = compile_targeting(rule, path, known, check);
    let search = rule
        .get("search")
        .and_then(|v| compile_search(v, &path.key("search"), &known.settings.search_param, check));
    let mut actions = Vec::new();
    match rule.get("actions") {
        Some(Value::Array(list)) => {
            for (j, a) in list.iter().enumerate() {
                let at = path.key("actions").index(j);
                if let Some(action) = compile_action(a, &at, known.settings, check) {
                    actions.push(action);
                }
            }
        }
        Some(other) => check.push(
            path.key("actions"),
            format!("expected a list of actions, found {}", describe(other)),
        ),
        None => check.push(path, "missing field \"actions\" (a list of actions)"),
    }
    Some(CompiledRule {
        id: id?,
        priority,
        pages,
        audience,
        schedule,
        actions,
        search,
    })
}
