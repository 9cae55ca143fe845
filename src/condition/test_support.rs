//! Helpers shared by the condition module's unit tests.

use std::collections::HashMap;

use serde_json::Value;

use super::{Audiences, Condition, EvalContext, NoAudiences, Problem};

/// Audiences for tests: `vip` (tier is gold) and `everyone`.
pub(super) struct TestAudiences;

impl Audiences for TestAudiences {
    fn matches(&self, name: &str, attributes: &Value) -> Option<bool> {
        match name {
            "vip" => Some(attributes["tier"] == "gold"),
            "everyone" => Some(true),
            _ => None,
        }
    }
}

/// Compiles `cond` and evaluates it against `attrs` with no saved groups.
pub(super) fn eval_with(cond: &Value, attrs: &Value, audiences: &dyn Audiences) -> bool {
    let groups = HashMap::new();
    let ctx = EvalContext {
        saved_groups: &groups,
        audiences,
    };
    Condition::compile(cond).0.eval(attrs, &ctx)
}

/// Compiles `cond` and evaluates it against `attrs` with no groups or audiences.
pub(super) fn eval(cond: Value, attrs: Value) -> bool {
    eval_with(&cond, &attrs, &NoAudiences)
}

/// The problems compiling `cond` reports.
pub(super) fn errors(cond: Value) -> Vec<Problem> {
    Condition::compile(&cond).1
}
