//! Explanations: why each rule and experiment did or did not apply, for `veneer explain` and
//! the preview's debug header.

use serde_json::{Value, json};

use super::decide::Decision;
use crate::diagnostic::Problem;

/// One experiment's outcome for this visitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentTrace {
    /// The experiment's id.
    pub experiment: String,
    /// The variation whose actions were applied, if any.
    pub variation: Option<String>,
    /// Whether the visitor is in the experiment (counted); false for the control given to
    /// bots, visitors without consent, and those outside coverage or namespace.
    pub in_experiment: bool,
    /// Whether this assignment is new and must be remembered in the assignments cookie.
    pub remember: bool,
    /// A short reason a marketer can read.
    pub reason: String,
}

/// Whether one rule applied, and why (not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleTrace {
    /// The rule's id.
    pub id: String,
    /// Whether its actions were applied.
    pub applied: bool,
    /// A short reason a marketer can read.
    pub reason: String,
}

impl Decision {
    /// The decision as JSON, for `veneer explain` and the preview debug header.
    pub fn explain(&self) -> Value {
        json!({
            "rules": self.trace.iter().map(|t| json!({
                "id": t.id, "applied": t.applied, "reason": t.reason
            })).collect::<Vec<_>>(),
            "audiences": self.audiences.iter().map(|(n, m)| (n.clone(), Value::Bool(*m))).collect::<serde_json::Map<_, _>>(),
            "actions": {
                "elements": self.plan.elements.iter().map(|e| format!("{:?}", e.edit)).collect::<Vec<_>>(),
                "head": self.plan.head.len(),
                "body_end": self.plan.body_end.len(),
                "text_replacements": self.plan.text.len(),
                "link_rewrites": self.plan.links.len(),
                "label_replacements": self.plan.labels.len(),
            },
            "headers": self.headers.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
            "cookies": self.cookies,
            "redirect": self.redirect.as_ref().map(|(s, l)| json!({"status": s, "location": l})),
            "listings": self.plan.listings.iter().map(|l| l.explain()).collect::<Vec<_>>(),
            "experiments": self.experiments.iter().map(|a| json!({
                "id": a.experiment, "variation": a.variation, "in_experiment": a.in_experiment,
                "reason": a.reason
            })).collect::<Vec<_>>(),
        })
    }

    /// The new assignments to remember in the visitor's assignments cookie.
    pub fn remembered(&self) -> Vec<(String, String)> {
        self.experiments
            .iter()
            .filter(|a| a.remember)
            .filter_map(|a| Some((a.experiment.clone(), a.variation.clone()?)))
            .collect()
    }
}

/// The debug header's name; it is only ever sent in a preview.
pub const DEBUG_HEADER: &str = "veneer-debug";

/// The largest debug header sent; longer explanations are cut (and say so).
const MAX_DEBUG_BYTES: usize = 16 * 1024;

/// The preview debug header: matched and skipped rules, assignments, as compact ASCII JSON.
pub fn debug_header(decision: &Decision, problems: &[Problem]) -> String {
    let mut explained = decision.explain();
    if let Some(object) = explained.as_object_mut() {
        object.remove("actions");
        object.insert(
            "invalid".into(),
            problems.iter().map(|p| p.to_string()).collect(),
        );
    }
    let mut out = String::new();
    for c in explained.to_string().chars() {
        if c.is_ascii() && !c.is_ascii_control() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    if out.len() > MAX_DEBUG_BYTES {
        out.truncate(MAX_DEBUG_BYTES);
        out.push_str("...(truncated)");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_debug_header_is_ascii_json() {
        let mut d = Decision::default();
        d.experiments.push(AssignmentTrace {
            experiment: "hero".into(),
            variation: Some("bold".into()),
            in_experiment: true,
            remember: true,
            reason: String::new(),
        });
        d.trace.push(RuleTrace {
            id: "größe".into(),
            applied: true,
            reason: "€".into(),
        });
        let header = debug_header(&d, &[]);
        assert!(header.is_ascii());
        let parsed: serde_json::Value = serde_json::from_str(&header).unwrap();
        assert_eq!(parsed["rules"][0]["id"], "größe");
        assert_eq!(parsed["experiments"][0]["variation"], "bold");
    }
}
