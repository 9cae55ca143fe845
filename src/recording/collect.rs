//! `POST /__veneer/collect`: what Veneer's script sends (`{"goal": "add_to_cart", "value":
//! 39.9}`), checked strictly, and the conversions it makes.

use serde_json::Value;

use super::events::{Event, Visitor, conversions};
use crate::document::CompiledRules;
#[cfg(console_code)]
use crate::document::is_simple_id;

/// Where Veneer's script sends click, submit and custom goals.
pub const COLLECT_PATH: &str = "/__veneer/collect";

/// Largest body accepted, in bytes (a goal name and a value take far less).
pub const MAX_COLLECT_BYTES: usize = 512;

/// Largest absolute value a conversion may carry.
const MAX_VALUE: f64 = 1e9;

/// Why a `/collect` body was refused (400; nothing is written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CollectError {
    /// Over [`MAX_COLLECT_BYTES`].
    #[error("the body is over {MAX_COLLECT_BYTES} bytes")]
    TooLarge,
    /// Not a JSON object with a text `goal` and at most a `value`.
    #[error("expected {{\"goal\": \"<name>\", \"value\": <number>?}}: {0}")]
    Malformed(String),
    /// The goal is not one the browser may report (a click, submit or custom goal).
    #[error("unknown goal {0:?}")]
    UnknownGoal(String),
}

/// A checked `/collect` body: the goal, and its value (0 when none).
#[derive(Debug, Clone, PartialEq)]
pub struct Collected {
    /// The goal's name.
    pub goal: String,
    /// The value (custom goals only; 0 otherwise).
    pub value: f64,
}

/// Checks a `/collect` body against the rules: a JSON object `{"goal", "value"?}`, nothing
/// else, naming a click, submit or custom goal; a value only for a custom goal, finite and at
/// most 1e9 in size.
pub fn parse_collect(rules: &CompiledRules, body: &[u8]) -> Result<Collected, CollectError> {
    if body.len() > MAX_COLLECT_BYTES {
        return Err(CollectError::TooLarge);
    }
    let malformed = |why: &str| CollectError::Malformed(why.to_owned());
    let value: Value = serde_json::from_slice(body).map_err(|_| malformed("not JSON"))?;
    let object = value
        .as_object()
        .ok_or_else(|| malformed("not an object"))?;
    if object.keys().any(|k| k != "goal" && k != "value") {
        return Err(malformed("unknown field"));
    }
    let name = object
        .get("goal")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("no goal"))?;
    let goal = rules
        .goals
        .get(name)
        .filter(|g| g.kind.reported_by_browser())
        .ok_or_else(|| CollectError::UnknownGoal(name.chars().take(64).collect()))?;
    let amount = match object.get("value") {
        None | Some(Value::Null) => 0.0,
        Some(v) if goal.kind.has_value() => v
            .as_f64()
            .filter(|x| x.is_finite() && x.abs() <= MAX_VALUE)
            .ok_or_else(|| malformed("value is not a number up to 1e9"))?,
        Some(_) => return Err(malformed("this goal carries no value")),
    };
    Ok(Collected {
        goal: goal.name.clone(),
        value: amount,
    })
}

/// The conversions a checked `/collect` body makes: one per running experiment that measures
/// the goal and in which the visitor's **signed** assignments cookie puts them. Nothing for a
/// visitor who may not be counted.
pub fn collect_events(
    rules: &CompiledRules,
    visitor: &Visitor,
    collected: &Collected,
) -> Vec<Event> {
    if visitor.countable(rules).is_none() {
        return Vec::new();
    }
    conversions(rules, visitor.sticky, &collected.goal, collected.value)
}

// Server conversions are posted to the console's API: not in the shop's wasm module.
#[cfg(console_code)]
/// A server conversion, as the shop's backend posts it: `{"goal", "visitor", "value"?}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConversion {
    /// The goal's name (a server goal; checked against the rules by `server_statements`).
    pub goal: String,
    /// The visitor id (the `veneer_id` cookie the shop saw).
    pub visitor: String,
    /// The value (revenue), 0 when none.
    pub value: f64,
}

#[cfg(console_code)]
/// Checks the body of `POST <console>/api/conversions`; the error says what to send.
pub fn parse_server_conversion(body: &Value) -> Result<ServerConversion, String> {
    const EXAMPLE: &str =
        r#"{"goal": "order", "visitor": "<the veneer_id cookie>", "value": 39.9}"#;
    let object = body.as_object().ok_or_else(|| format!("send {EXAMPLE}"))?;
    if let Some(k) = object
        .keys()
        .find(|k| !["goal", "visitor", "value"].contains(&k.as_str()))
    {
        return Err(format!("unknown field {k:?}: send {EXAMPLE}"));
    }
    let text = |name: &str| {
        object
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| is_simple_id(s))
            .map(str::to_owned)
            .ok_or_else(|| format!("{name:?} is missing or not an id: send {EXAMPLE}"))
    };
    let value = match object.get("value") {
        None | Some(Value::Null) => 0.0,
        Some(v) => v
            .as_f64()
            .filter(|x| x.is_finite() && x.abs() <= MAX_VALUE)
            .ok_or_else(|| format!("\"value\" must be a number up to 1e9: send {EXAMPLE}"))?,
    };
    Ok(ServerConversion {
        goal: text("goal")?,
        visitor: text("visitor")?,
        value,
    })
}
