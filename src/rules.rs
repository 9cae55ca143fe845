//! The rules document: parsing, validation and compilation.
//!
//! A document is compiled once per version, never per request. Problems are collected with the
//! JSON path they concern; a rule with a problem is skipped and the other rules still run (the
//! pattern of Unleash's yggdrasil), while a document whose shape is wrong is refused as a whole.
//! See `docs/rules.md` for the language.

use std::collections::HashSet;
use std::fmt;
use std::rc::Rc;

use serde_json::{Map, Value};

use crate::pages::PagePattern;
use crate::rewrite::{Action, InsertPosition, Operation};

/// One mistake in a rules document, located by its JSON path so a marketer can find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where the problem is, e.g. `$.rules[2].actions[0].select`.
    pub path: String,
    /// What was expected and what was found.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

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

/// A rule ready to run: its pages and its compiled actions.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    /// The marketer's id for the rule, used in logs and explanations.
    pub id: String,
    /// Pages the rule applies to; empty means every page.
    pub pages: Vec<PagePattern>,
    /// What the rule changes, in document order.
    pub actions: Vec<Rc<Action>>,
}

impl CompiledRule {
    /// Whether the rule applies to a request path.
    pub fn applies_to(&self, path: &str) -> bool {
        self.pages.is_empty() || self.pages.iter().any(|p| p.matches(path))
    }
}

/// A compiled document: the rules that compiled, plus the problems of those that did not.
#[derive(Debug, Clone, Default)]
pub struct CompiledRules {
    /// The document's `version`, as text, for logs.
    pub version: Option<String>,
    /// Rules that compiled, in document order (which is the order they apply in).
    pub rules: Vec<CompiledRule>,
    /// Problems that made rules be skipped.
    pub problems: Vec<Problem>,
}

impl CompiledRules {
    /// The actions that apply to a request path, in application order.
    pub fn actions_for(&self, path: &str) -> Vec<Rc<Action>> {
        self.rules
            .iter()
            .filter(|r| r.applies_to(path))
            .flat_map(|r| r.actions.iter().cloned())
            .collect()
    }
}

/// Parses and compiles a rules document from its JSON text.
pub fn compile(text: &str) -> Result<CompiledRules, RulesError> {
    let value: Value = serde_json::from_str(text).map_err(|e| RulesError::Json {
        message: strip_position(&e.to_string()),
        line: e.line(),
        column: e.column(),
    })?;
    compile_value(&value)
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// Compiles a rules document that is already parsed JSON.
pub fn compile_value(value: &Value) -> Result<CompiledRules, RulesError> {
    let Some(doc) = value.as_object() else {
        return Err(RulesError::Document(vec![Problem {
            path: "$".into(),
            message: format!("expected an object, found {}", describe(value)),
        }]));
    };
    let mut fatal = Vec::new();
    unknown_fields(doc, "$", &["version", "settings", "rules"], &mut fatal);
    let version = match doc.get("version") {
        None => None,
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            fatal.push(Problem {
                path: "$.version".into(),
                message: format!("expected a number or a string, found {}", describe(other)),
            });
            None
        }
    };
    if let Some(settings) = doc.get("settings") {
        match settings.as_object() {
            Some(s) => unknown_fields(s, "$.settings", &[], &mut fatal),
            None => fatal.push(Problem {
                path: "$.settings".into(),
                message: format!("expected an object, found {}", describe(settings)),
            }),
        }
    }
    let rules = match doc.get("rules") {
        None => {
            fatal.push(Problem {
                path: "$".into(),
                message: "missing field \"rules\" (a list of rules)".into(),
            });
            &[][..]
        }
        Some(Value::Array(rules)) => rules.as_slice(),
        Some(other) => {
            fatal.push(Problem {
                path: "$.rules".into(),
                message: format!("expected a list of rules, found {}", describe(other)),
            });
            &[][..]
        }
    };
    if !fatal.is_empty() {
        return Err(RulesError::Document(fatal));
    }

    let mut compiled = CompiledRules {
        version,
        ..CompiledRules::default()
    };
    let mut ids = HashSet::new();
    for (i, rule) in rules.iter().enumerate() {
        let path = format!("$.rules[{i}]");
        let before = compiled.problems.len();
        let rule = compile_rule(rule, &path, &mut compiled.problems);
        if let Some(rule) = rule.filter(|_| compiled.problems.len() == before) {
            if ids.insert(rule.id.clone()) {
                compiled.rules.push(rule);
            } else {
                compiled.problems.push(Problem {
                    path: format!("{path}.id"),
                    message: format!("duplicate rule id {:?}; ids must be unique", rule.id),
                });
            }
        }
    }
    Ok(compiled)
}

fn compile_rule(value: &Value, path: &str, problems: &mut Vec<Problem>) -> Option<CompiledRule> {
    let Some(rule) = value.as_object() else {
        problems.push(Problem {
            path: path.to_owned(),
            message: format!("expected a rule object, found {}", describe(value)),
        });
        return None;
    };
    unknown_fields(
        rule,
        path,
        &["id", "description", "pages", "actions"],
        problems,
    );
    let id = match rule.get("id") {
        Some(Value::String(id)) if !id.trim().is_empty() => Some(id.clone()),
        Some(other) => {
            problems.push(Problem {
                path: format!("{path}.id"),
                message: format!("expected a non-empty string, found {}", describe(other)),
            });
            None
        }
        None => {
            problems.push(Problem {
                path: path.to_owned(),
                message: "missing field \"id\" (a unique name for the rule)".into(),
            });
            None
        }
    };
    if let Some(d) = rule.get("description").filter(|d| !d.is_string()) {
        problems.push(Problem {
            path: format!("{path}.description"),
            message: format!("expected a string, found {}", describe(d)),
        });
    }
    let mut pages = Vec::new();
    match rule.get("pages") {
        None => {}
        Some(Value::Array(list)) => {
            for (j, p) in list.iter().enumerate() {
                let at = format!("{path}.pages[{j}]");
                match p.as_str().map(PagePattern::parse) {
                    Some(Ok(p)) => pages.push(p),
                    Some(Err(e)) => problems.push(Problem {
                        path: at,
                        message: e.0,
                    }),
                    None => problems.push(Problem {
                        path: at,
                        message: format!("expected a path pattern string, found {}", describe(p)),
                    }),
                }
            }
        }
        Some(other) => problems.push(Problem {
            path: format!("{path}.pages"),
            message: format!(
                "expected a list of path patterns like [\"/\", \"/c/*\"], found {}",
                describe(other)
            ),
        }),
    }
    let mut actions = Vec::new();
    match rule.get("actions") {
        Some(Value::Array(list)) => {
            for (j, a) in list.iter().enumerate() {
                if let Some(action) = compile_action(a, &format!("{path}.actions[{j}]"), problems) {
                    actions.push(Rc::new(action));
                }
            }
        }
        Some(other) => problems.push(Problem {
            path: format!("{path}.actions"),
            message: format!("expected a list of actions, found {}", describe(other)),
        }),
        None => problems.push(Problem {
            path: path.to_owned(),
            message: "missing field \"actions\" (a list of actions)".into(),
        }),
    }
    Some(CompiledRule {
        id: id?,
        pages,
        actions,
    })
}

/// The operation keys an action may carry, exactly one per action.
const OPERATIONS: &[&str] = &[
    "set_text",
    "set_html",
    "set_attribute",
    "remove",
    "insert_before",
    "insert_after",
    "prepend",
    "append",
];

fn compile_action(value: &Value, path: &str, problems: &mut Vec<Problem>) -> Option<Action> {
    let Some(action) = value.as_object() else {
        problems.push(Problem {
            path: path.to_owned(),
            message: format!("expected an action object, found {}", describe(value)),
        });
        return None;
    };
    let mut allowed = vec!["select"];
    allowed.extend_from_slice(OPERATIONS);
    unknown_fields(action, path, &allowed, problems);
    let selector = match action.get("select") {
        Some(Value::String(s)) => match Action::parse_selector(s) {
            Ok(sel) => Some((s.clone(), sel)),
            Err(message) => {
                problems.push(Problem {
                    path: format!("{path}.select"),
                    message,
                });
                None
            }
        },
        Some(other) => {
            problems.push(Problem {
                path: format!("{path}.select"),
                message: format!("expected a CSS selector string, found {}", describe(other)),
            });
            None
        }
        None => {
            problems.push(Problem {
                path: path.to_owned(),
                message: "missing field \"select\" (the CSS selector of the elements to change)"
                    .into(),
            });
            None
        }
    };
    let present: Vec<&str> = OPERATIONS
        .iter()
        .copied()
        .filter(|k| action.contains_key(*k))
        .collect();
    let op_name = match present.as_slice() {
        [one] => *one,
        [] => {
            problems.push(Problem {
                path: path.to_owned(),
                message: format!("expected one operation, one of {}", OPERATIONS.join(", ")),
            });
            return None;
        }
        many => {
            problems.push(Problem {
                path: path.to_owned(),
                message: format!(
                    "expected exactly one operation per action, found {}",
                    many.join(", ")
                ),
            });
            return None;
        }
    };
    let op_path = format!("{path}.{op_name}");
    let raw = &action[op_name];
    let string = |problems: &mut Vec<Problem>| match raw {
        Value::String(s) => Some(s.clone()),
        other => {
            problems.push(Problem {
                path: op_path.clone(),
                message: format!("expected a string, found {}", describe(other)),
            });
            None
        }
    };
    let op = match op_name {
        "set_text" => Operation::SetText(string(problems)?),
        "set_html" => Operation::SetHtml(string(problems)?),
        "insert_before" => Operation::Insert(InsertPosition::Before, string(problems)?),
        "insert_after" => Operation::Insert(InsertPosition::After, string(problems)?),
        "prepend" => Operation::Insert(InsertPosition::Prepend, string(problems)?),
        "append" => Operation::Insert(InsertPosition::Append, string(problems)?),
        "remove" => match raw {
            Value::Bool(true) => Operation::Remove,
            other => {
                problems.push(Problem {
                    path: op_path,
                    message: format!("expected true, found {}", describe(other)),
                });
                return None;
            }
        },
        _ => compile_set_attribute(raw, &op_path, problems)?,
    };
    let (selector_text, selector) = selector?;
    Some(Action::new(selector_text, selector, op))
}

fn compile_set_attribute(
    raw: &Value,
    path: &str,
    problems: &mut Vec<Problem>,
) -> Option<Operation> {
    let Some(map) = raw.as_object().filter(|m| !m.is_empty()) else {
        problems.push(Problem {
            path: path.to_owned(),
            message: format!(
                "expected an object of attribute names to values, like {{\"href\": \"/sale\"}}, found {}",
                describe(raw)
            ),
        });
        return None;
    };
    let before = problems.len();
    let mut pairs = Vec::with_capacity(map.len());
    for (name, value) in map {
        let at = format!("{path}.{name}");
        if !valid_attribute_name(name) {
            problems.push(Problem {
                path: at,
                message: format!(
                    "expected an attribute name (letters, digits, \"-\", \"_\", \":\", \".\"), found {name:?}"
                ),
            });
        } else if let Value::String(v) = value {
            pairs.push((name.clone(), v.clone()));
        } else {
            problems.push(Problem {
                path: at,
                message: format!("expected a string value, found {}", describe(value)),
            });
        }
    }
    (problems.len() == before).then_some(Operation::SetAttributes(pairs))
}

fn valid_attribute_name(name: &str) -> bool {
    !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
}

fn unknown_fields(
    object: &Map<String, Value>,
    path: &str,
    known: &[&str],
    problems: &mut Vec<Problem>,
) {
    for key in object.keys().filter(|k| !known.contains(&k.as_str())) {
        let expected = if known.is_empty() {
            "no fields are defined here yet".to_owned()
        } else {
            format!("expected one of {}", known.join(", "))
        };
        problems.push(Problem {
            path: format!("{path}.{key}"),
            message: format!("unknown field {key:?}; {expected}"),
        });
    }
}

/// Names a JSON value's type for error messages ("a number (42)").
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) => format!("a string ({s:?})"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(doc: &str) -> Vec<String> {
        compile(doc)
            .unwrap()
            .problems
            .iter()
            .map(Problem::to_string)
            .collect()
    }

    #[test]
    fn compiles_a_valid_document() {
        let doc = r#"{"version": 7, "rules": [
            {"id": "a", "pages": ["/"], "actions": [{"select": "h1", "set_text": "Hi"}]},
            {"id": "b", "actions": [{"select": ".x", "set_attribute": {"href": "/y"}}]}]}"#;
        let rules = compile(doc).unwrap();
        assert_eq!(rules.version.as_deref(), Some("7"));
        assert!(rules.problems.is_empty());
        assert_eq!(rules.actions_for("/").len(), 2);
        assert_eq!(rules.actions_for("/other").len(), 1);
    }

    #[test]
    fn invalid_json_names_line_and_column() {
        let err = compile("{\n  \"rules\": [,]\n}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "rules are not valid JSON: expected value (line 2, column 13)"
        );
    }

    #[test]
    fn document_shape_errors_are_fatal_and_all_reported() {
        let err = compile(r#"{"version": [], "rules": {}, "rulez": 1}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "rules document is invalid: $.rulez: unknown field \"rulez\"; expected one of version, settings, rules; \
             $.version: expected a number or a string, found a list; \
             $.rules: expected a list of rules, found an object"
        );
    }

    #[test]
    fn broken_rules_are_skipped_and_the_rest_still_run() {
        let doc = r#"{"rules": [
            {"id": "bad", "actions": [{"select": "h1:last-child", "set_text": "x"}]},
            {"id": "good", "actions": [{"select": "h1", "set_text": "x"}]},
            {"id": "good", "actions": []}]}"#;
        let rules = compile(doc).unwrap();
        assert_eq!(rules.rules.len(), 1);
        assert_eq!(rules.rules[0].id, "good");
        assert_eq!(rules.problems.len(), 2);
        assert!(
            rules.problems[0]
                .to_string()
                .starts_with("$.rules[0].actions[0].select: ")
        );
        assert_eq!(
            rules.problems[1].to_string(),
            "$.rules[2].id: duplicate rule id \"good\"; ids must be unique"
        );
    }

    #[test]
    fn action_errors_name_the_path_and_what_was_expected() {
        let doc = r#"{"rules": [{"id": "r", "pages": ["shop"], "actions": [
            {"select": "h1"},
            {"select": "h1", "set_text": "a", "remove": true},
            {"select": "h1", "set_text": 3},
            {"select": "a", "set_attribute": {"on click": "x", "href": 1}},
            {"set_html": "x"},
            {"select": "h1", "remove": false, "colour": "red"}]}]}"#;
        assert_eq!(
            problems(doc),
            vec![
                "$.rules[0].pages[0]: expected a path starting with \"/\" (like \"/c/*\") or \"*\", found \"shop\"",
                "$.rules[0].actions[0]: expected one operation, one of set_text, set_html, set_attribute, remove, insert_before, insert_after, prepend, append",
                "$.rules[0].actions[1]: expected exactly one operation per action, found set_text, remove",
                "$.rules[0].actions[2].set_text: expected a string, found a number (3)",
                "$.rules[0].actions[3].set_attribute.href: expected a string value, found a number (1)",
                "$.rules[0].actions[3].set_attribute.on click: expected an attribute name (letters, digits, \"-\", \"_\", \":\", \".\"), found \"on click\"",
                "$.rules[0].actions[4]: missing field \"select\" (the CSS selector of the elements to change)",
                "$.rules[0].actions[5].colour: unknown field \"colour\"; expected one of select, set_text, set_html, set_attribute, remove, insert_before, insert_after, prepend, append",
                "$.rules[0].actions[5].remove: expected true, found a boolean (false)",
            ]
        );
    }
}
