//! "Who matches": an audience (a name or a condition) checked against saved visitor profiles,
//! as `veneer explain` would decide it, for the console's audience builder.
//!
//! The audience is put in a one-rule document beside the draft's own `audiences` and
//! `saved_groups`, compiled by the edge's compiler and decided by the edge's engine, so what the
//! builder shows is what the edge does.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::diagnostic::Problem;
use crate::document::compile_value;
use crate::engine::{Visit, decide};

use super::problems::rules_error_problems;

/// The id of the rule that carries the audience under test.
const PROBE: &str = "who-matches";

/// One saved visitor profile's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileMatch {
    /// The profile's name.
    pub name: String,
    /// Whether the visitor is in the audience.
    pub matches: bool,
    /// Why, as `veneer explain` says it.
    pub reason: String,
}

/// Whether each profile (`{"name", "attributes"}`) is in `audience`, with `document`'s named
/// audiences and saved groups; the audience's problems when it does not compile. A profile's
/// clock is its `now` attribute, else `now`.
pub fn who_matches(
    document: &Value,
    audience: &Value,
    profiles: &[Value],
    now: DateTime<Utc>,
) -> Result<Vec<ProfileMatch>, Vec<Problem>> {
    let field = |name: &str| document.get(name).cloned().unwrap_or_else(|| json!({}));
    let probe = json!({
        "audiences": field("audiences"),
        "saved_groups": field("saved_groups"),
        "rules": [{ "id": PROBE, "audience": audience, "actions": [] }],
    });
    let compiled = compile_value(&probe).map_err(|e| rules_error_problems(&e))?;
    if !compiled.problems.is_empty() {
        return Err(compiled.problems);
    }
    Ok(profiles
        .iter()
        .enumerate()
        .map(|(i, profile)| {
            let attributes = profile.get("attributes").cloned().unwrap_or(Value::Null);
            let clock = attributes["now"]
                .as_str()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map_or(now, |t| t.with_timezone(&Utc));
            let path = attributes["path"].as_str().unwrap_or("/").to_owned();
            let decision = decide(&compiled, &Visit::new(&attributes, &path, clock), true);
            let trace = decision.trace.iter().find(|t| t.id == PROBE);
            ProfileMatch {
                name: profile["name"]
                    .as_str()
                    .map_or_else(|| format!("profile {}", i + 1), str::to_owned),
                matches: trace.is_some_and(|t| t.applied),
                reason: trace.map(|t| t.reason.clone()).unwrap_or_default(),
            }
        })
        .collect())
}

/// The answers as the API writes them: `[{"name", "matches", "reason"}]`.
pub fn matches_json(matches: &[ProfileMatch]) -> Value {
    Value::Array(
        matches
            .iter()
            .map(|m| json!({ "name": m.name, "matches": m.matches, "reason": m.reason }))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profiles() -> Vec<Value> {
        let read = |name: &str| -> Value {
            let path = format!(
                "{}/fixtures/contexts/{name}.json",
                env!("CARGO_MANIFEST_DIR")
            );
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
        };
        ["de-mobile", "us-desktop-newsletter", "googlebot"]
            .iter()
            .map(|n| json!({ "name": n, "attributes": read(n) }))
            .collect()
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-28T10:30:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn matching(document: &Value, audience: &Value) -> Vec<String> {
        who_matches(document, audience, &profiles(), now())
            .unwrap()
            .into_iter()
            .filter(|m| m.matches)
            .map(|m| m.name)
            .collect()
    }

    #[test]
    fn mobile_visitors_from_germany_are_the_berlin_phone_only() {
        let audience = json!({ "country": "DE", "device": "mobile" });
        assert_eq!(matching(&json!({}), &audience), ["de-mobile"]);
        let all = who_matches(&json!({}), &audience, &profiles(), now()).unwrap();
        assert!(all[1].reason.contains("not in its audience"), "{all:?}");
    }

    #[test]
    fn named_audiences_and_saved_groups_of_the_draft_are_used() {
        let document = json!({
            "audiences": { "humans": { "bot": false } },
            "saved_groups": { "vip": ["v-3141"] },
        });
        assert_eq!(
            matching(&document, &json!("humans")),
            ["de-mobile", "us-desktop-newsletter"]
        );
        assert_eq!(
            matching(&document, &json!({ "id": { "$inGroup": "vip" } })),
            ["de-mobile"]
        );
    }

    #[test]
    fn a_bad_audience_gives_the_validators_problems() {
        let problems = who_matches(
            &json!({}),
            &json!({ "country": { "$regx": "DE" } }),
            &profiles(),
            now(),
        )
        .unwrap_err();
        assert!(
            problems.iter().any(|p| p.message.contains("$regex")),
            "{problems:?}"
        );
        let unknown = who_matches(&json!({}), &json!("nobody"), &profiles(), now()).unwrap_err();
        assert!(
            unknown[0].message.contains("unknown audience"),
            "{unknown:?}"
        );
    }
}
