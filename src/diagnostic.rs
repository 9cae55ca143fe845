//! Where a problem is and what it is: the one JSON-path type and the one diagnostic type.
//!
//! Every stage that reads marketer-written JSON (the rules document, its conditions, its
//! schedules) reports problems as a [`Problem`] located by a [`JsonPath`], so the CLI, the
//! preview header and the console all show them the same way.

use std::fmt;

use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::Value;

/// One step of a [`JsonPath`]: an object key or an array index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A key of an object, exactly as written (it may contain dots or spaces).
    Key(String),
    /// A position in an array, from 0.
    Index(usize),
}

/// A location in a JSON document, written `$.rules[2].actions[0].select`.
///
/// Keys made of letters, digits, `_`, `-` and `$` are written after a dot; any other key is
/// written as a quoted string in brackets (`$.audiences["cart.total"]`), so a key with a dot or
/// a space never reads as two keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct JsonPath(Vec<Segment>);

impl JsonPath {
    /// The document itself: `$`.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// This path, one object key deeper.
    pub fn key(&self, key: &str) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.to_owned()));
        Self(segments)
    }

    /// This path, one array position deeper.
    pub fn index(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        Self(segments)
    }

    /// This path followed by `other` (a path relative to the value this one points at).
    pub fn join(&self, other: &JsonPath) -> Self {
        let mut segments = self.0.clone();
        segments.extend(other.0.iter().cloned());
        Self(segments)
    }

    /// The steps from the root.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// The same location as an RFC 6901 JSON Pointer (`/rules/2/actions/0/select`), for editors.
    pub fn to_pointer(&self) -> String {
        let mut out = String::new();
        for segment in &self.0 {
            out.push('/');
            match segment {
                Segment::Key(k) => out.push_str(&k.replace('~', "~0").replace('/', "~1")),
                Segment::Index(i) => out.push_str(&i.to_string()),
            }
        }
        out
    }
}

impl From<&JsonPath> for JsonPath {
    fn from(path: &JsonPath) -> Self {
        path.clone()
    }
}

fn is_plain_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'$'))
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        for segment in &self.0 {
            match segment {
                Segment::Key(k) if is_plain_key(k) => write!(f, ".{k}")?,
                Segment::Key(k) => write!(f, "[{}]", Value::String(k.clone()))?,
                Segment::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

/// One mistake in marketer-written JSON, located by its JSON path so it can be found and fixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where the problem is, e.g. `$.rules[2].actions[0].select`.
    pub path: JsonPath,
    /// What was expected and what was found.
    pub message: String,
}

impl Problem {
    /// A problem at `path`.
    pub fn new(path: JsonPath, message: impl Into<String>) -> Self {
        Self {
            path,
            message: message.into(),
        }
    }
}

/// As JSON, the shape the console API writes: `{"path": "$.rules[0]", "pointer": "/rules/0",
/// "message"}`.
impl Serialize for Problem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("Problem", 3)?;
        out.serialize_field("path", &self.path.to_string())?;
        out.serialize_field("pointer", &self.path.to_pointer())?;
        out.serialize_field("message", &self.message)?;
        out.end()
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Says what kind of JSON value was found, for messages ("found a number (3)").
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) => format!("a string ({})", quoted(s)),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// Text quoted for a message, cut after 60 characters so a long value does not drown it.
pub fn quoted(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{:?}", format!("{}…", &text[..cut])),
        None => format!("{text:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_notation_for_keys_and_indexes() {
        let path = JsonPath::root()
            .key("rules")
            .index(2)
            .key("actions")
            .index(0)
            .key("set_attribute")
            .key("on click");
        assert_eq!(
            path.to_string(),
            "$.rules[2].actions[0].set_attribute[\"on click\"]"
        );
        assert_eq!(
            JsonPath::root().key("cart.total").key("$gte").to_string(),
            "$[\"cart.total\"].$gte"
        );
        assert_eq!(JsonPath::root().to_string(), "$");
        assert_eq!(
            JsonPath::root().key("a/b~c").index(3).to_pointer(),
            "/a~1b~0c/3"
        );
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        assert_eq!(describe(&Value::from("a\"b")), "a string (\"a\\\"b\")");
        let long = "é".repeat(100);
        assert_eq!(quoted(&long), format!("\"{}…\"", "é".repeat(60)));
    }

    #[test]
    fn a_problem_serializes_with_path_pointer_and_message() {
        let problem = Problem::new(JsonPath::root().key("metrics").index(1), "expected x");
        assert_eq!(
            serde_json::to_value(&problem).unwrap(),
            serde_json::json!({"path": "$.metrics[1]", "pointer": "/metrics/1", "message": "expected x"})
        );
    }

    #[test]
    fn join_appends_a_relative_path() {
        let inner = JsonPath::root().key("end");
        let outer = JsonPath::root().key("rules").index(1).key("schedule");
        assert_eq!(outer.join(&inner).to_string(), "$.rules[1].schedule.end");
    }
}
