//! Reading marketer JSON: the problem collector and the typed getters every part of the document uses.

use serde_json::{Map, Value};

use super::fragment::check_fragment;
use super::template::Template;
use crate::diagnostic::{JsonPath, Problem, describe};

/// Collects problems while walking a document.
#[derive(Default)]
pub(super) struct Checker {
    pub(super) problems: Vec<Problem>,
}

impl Checker {
    /// Records a problem at `path`.
    pub(super) fn push(&mut self, path: impl Into<JsonPath>, message: impl Into<String>) {
        self.problems.push(Problem::new(path.into(), message));
    }

    /// Records every key of `object` that is not in `known`.
    pub(super) fn unknown_fields(
        &mut self,
        object: &Map<String, Value>,
        path: &JsonPath,
        known: &[&str],
    ) {
        for key in object.keys().filter(|k| !known.contains(&k.as_str())) {
            self.push(
                path.key(key),
                format!(
                    "unknown field {key:?}; expected one of {}",
                    known.join(", ")
                ),
            );
        }
    }

    /// The value as a string, or a problem saying what was found.
    pub(super) fn string<'v>(&mut self, value: &'v Value, path: &JsonPath) -> Option<&'v str> {
        let s = value.as_str();
        if s.is_none() {
            self.push(
                path,
                format!("expected a string, found {}", describe(value)),
            );
        }
        s
    }

    /// The value as a template string (`{{attribute}}` placeholders).
    pub(super) fn template(&mut self, value: &Value, path: &JsonPath) -> Option<Template> {
        let text = self.string(value, path)?;
        Template::parse(text).map_err(|e| self.push(path, e)).ok()
    }

    /// A template of HTML that must be a balanced fragment, so it cannot swallow or close the
    /// page around the place it lands.
    pub(super) fn html_template(&mut self, value: &Value, path: &JsonPath) -> Option<Template> {
        let text = self.string(value, path)?;
        if let Err(e) = check_fragment(text) {
            self.push(path, e.to_string());
            return None;
        }
        Template::parse(text).map_err(|e| self.push(path, e)).ok()
    }

    /// One string or a non-empty list of strings.
    pub(super) fn string_list(
        &mut self,
        value: &Value,
        path: &JsonPath,
        what: &str,
    ) -> Option<Vec<String>> {
        self.list(value, path, what, false)
    }

    /// One string or a list of strings, empty allowed when `may_be_empty`.
    pub(super) fn list(
        &mut self,
        value: &Value,
        path: &JsonPath,
        what: &str,
        may_be_empty: bool,
    ) -> Option<Vec<String>> {
        let list = match value {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) if may_be_empty || !items.is_empty() => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    out.push(self.string(item, &path.index(i))?.to_owned());
                }
                out
            }
            other => {
                self.push(
                    path,
                    format!(
                        "expected {what} or a non-empty list of them, found {}",
                        describe(other)
                    ),
                );
                return None;
            }
        };
        Some(list)
    }
}

/// Opens a rule or experiment object: its type, its fields, its optional description.
pub(super) fn entry<'v>(
    value: &'v Value,
    path: &JsonPath,
    what: &str,
    fields: &[&str],
    check: &mut Checker,
) -> Option<&'v Map<String, Value>> {
    let Some(object) = value.as_object() else {
        check.push(
            path,
            format!("expected {what} object, found {}", describe(value)),
        );
        return None;
    };
    check.unknown_fields(object, path, fields);
    if let Some(d) = object.get("description").filter(|d| !d.is_string()) {
        check.push(
            path.key("description"),
            format!("expected a string, found {}", describe(d)),
        );
    }
    Some(object)
}

/// Opens an operation's object value, refusing unknown fields.
pub(super) fn object_fields<'v>(
    raw: &'v Value,
    at: &JsonPath,
    check: &mut Checker,
    known: &[&str],
    example: &str,
) -> Option<&'v Map<String, Value>> {
    let Some(object) = raw.as_object() else {
        check.push(
            at,
            format!("expected an object like {example}, found {}", describe(raw)),
        );
        return None;
    };
    check.unknown_fields(object, at, known);
    Some(object)
}
