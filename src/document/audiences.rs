//! Audiences and saved groups: named conditions, checked for unknown names and loops.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::reader::Checker;
use crate::condition::Condition;
use crate::diagnostic::{JsonPath, describe};

/// Who a rule is for: a condition over visitor attributes.
#[derive(Debug, Clone)]
pub struct Audience {
    /// The compiled condition.
    pub condition: Condition,
    /// The condition as written, as JSON text for explanations: serialized once here, not on
    /// every request that reports why a rule applied.
    pub source: String,
}

/// Reads `saved_groups`: GrowthBook's named value lists for `$inGroup`.
pub(super) fn compile_saved_groups(
    value: Option<&Value>,
    check: &mut Checker,
) -> HashMap<String, Vec<Value>> {
    let mut groups = HashMap::new();
    match value {
        None => {}
        Some(Value::Object(map)) => {
            for (name, members) in map {
                match members {
                    Value::Array(list) => {
                        groups.insert(name.clone(), list.clone());
                    }
                    other => check.push(
                        JsonPath::root().key("saved_groups").key(name),
                        format!("expected a list of values, found {}", describe(other)),
                    ),
                }
            }
        }
        Some(other) => check.push(
            JsonPath::root().key("saved_groups"),
            format!(
                "expected an object of group names to lists of values, found {}",
                describe(other)
            ),
        ),
    }
    groups
}

/// Compiles one targeting condition, its problems placed under `path`.
pub(super) fn compile_condition(
    value: &Value,
    path: &JsonPath,
    check: &mut Checker,
) -> Option<Audience> {
    let (condition, errors) = Condition::compile(value);
    for e in &errors {
        check.push(path.join(&e.path), e.message.clone());
    }
    errors.is_empty().then(|| Audience {
        condition,
        source: value.to_string(),
    })
}

/// Removes audiences that refer to unknown audiences or to themselves through others.
pub(super) fn drop_unknown_and_cyclic_audiences(
    audiences: &mut HashMap<String, Audience>,
    defined: &HashSet<String>,
    check: &mut Checker,
) {
    let mut names: Vec<String> = audiences.keys().cloned().collect();
    names.sort();
    let mut bad = Vec::new();
    for name in &names {
        let mut stack = vec![(name.clone(), vec![name.clone()])];
        while let Some((at, trail)) = stack.pop() {
            let Some(audience) = audiences.get(&at) else {
                continue;
            };
            for next in audience.condition.referenced_audiences() {
                if !audiences.contains_key(next) {
                    check.push(
                        JsonPath::root().key("audiences").key(name),
                        unknown_audience(next, defined),
                    );
                    bad.push(name.clone());
                } else if trail.iter().any(|t| t == next) {
                    let mut cycle = trail.clone();
                    cycle.push(next.to_owned());
                    check.push(
                        JsonPath::root().key("audiences").key(name),
                        format!(
                            "audiences refer to each other in a loop: {}",
                            cycle.join(" -> ")
                        ),
                    );
                    bad.push(name.clone());
                } else if trail.len() < 32 {
                    let mut longer = trail.clone();
                    longer.push(next.to_owned());
                    stack.push((next.to_owned(), longer));
                }
            }
            if bad.last() == Some(name) {
                break;
            }
        }
    }
    for name in bad {
        audiences.remove(&name);
    }
}

/// The message for a reference to an audience that is missing or itself invalid.
pub(super) fn unknown_audience(name: &str, defined: &HashSet<String>) -> String {
    if defined.contains(name) {
        format!(
            "audience {name:?} is invalid (see its own problems under $.audiences), so this is skipped too"
        )
    } else {
        format!("unknown audience {name:?}; define it under \"audiences\"")
    }
}
