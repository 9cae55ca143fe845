//! Whether a page may differ from one visitor to the next, which decides how it may be cached.
//!
//! It is a property of the page, not of one decision: a visitor outside a rule's audience gets
//! the origin's page, but the same URL shows another visitor something else, so neither
//! response may be kept by a shared cache.

use crate::document::{Action, CompiledRules, Status};

impl CompiledRules {
    /// Whether the response for `path` (decoded) may differ from one visitor to another: a rule
    /// or experiment that can apply to it has an audience, runs (a running experiment), or
    /// fills in `{{templates}}` (see [`Action::is_dynamic`]).
    pub fn varies_by_visitor(&self, path: &str) -> bool {
        varies(
            self,
            &self.index.candidates(path),
            &self.experiment_index.candidates(path),
        )
    }
}

/// [`CompiledRules::varies_by_visitor`] over candidates already looked up in the page indexes.
pub(super) fn varies(rules: &CompiledRules, candidates: &[usize], experiments: &[usize]) -> bool {
    let dynamic = |actions: &[Action]| actions.iter().any(Action::is_dynamic);
    let rule_varies = candidates
        .iter()
        .filter_map(|&i| rules.rules.get(i))
        .any(|r| r.audience.is_some() || dynamic(&r.actions));
    rule_varies
        || experiments
            .iter()
            .filter_map(|&i| rules.experiments.get(i))
            .any(|e| match e.status {
                Status::Running => true,
                // Everyone gets the winner: only its templates can differ.
                Status::Stopped { winner: Some(w) } => {
                    e.variations.get(w).is_some_and(|v| dynamic(&v.actions))
                }
                // Nobody sees it (drafts show only in previews, which are never stored).
                Status::Draft | Status::Stopped { winner: None } => false,
            })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::document::compile;

    fn varies(doc: Value, path: &str) -> bool {
        let rules = compile(&doc.to_string()).unwrap();
        assert_eq!(rules.problems, [], "the test rules must be valid");
        rules.varies_by_visitor(path)
    }

    fn rule(extra: Value) -> Value {
        let mut rule = json!({"id": "r", "pages": ["/c/*"],
            "actions": [{"select": "h1", "set_text": "Sale"}]});
        for (k, v) in extra.as_object().unwrap() {
            rule[k] = v.clone();
        }
        json!({"rules": [rule]})
    }

    fn experiment(status: Option<&str>, winner: Option<&str>) -> Value {
        let mut e = json!({"id": "hero", "pages": ["/"], "variations": [
            {"id": "control", "actions": []},
            {"id": "bold", "actions": [{"select": "h1", "set_text": "Bold {{country}}"}]}]});
        if let Some(status) = status {
            e["status"] = json!(status);
        }
        if let Some(winner) = winner {
            e["winner"] = json!(winner);
        }
        json!({"rules": [], "experiments": [e]})
    }

    #[test]
    fn the_same_page_for_everyone_does_not_vary() {
        assert!(!varies(rule(json!({})), "/c/shoes"));
        assert!(!varies(
            rule(json!({"schedule": {"start": "2026-11-27T00:00:00Z"}})),
            "/c/shoes"
        ));
        assert!(!varies(json!({"rules": []}), "/"));
    }

    #[test]
    fn an_audience_or_a_template_on_a_candidate_rule_varies_only_its_pages() {
        let targeted = rule(json!({"audience": {"country": "DE"}}));
        assert!(varies(targeted.clone(), "/c/shoes"));
        assert!(!varies(targeted, "/cart"), "the rule cannot apply there");
        let templated = rule(json!({"actions": [{"select": "h1", "set_text": "Hi {{country}}"}]}));
        assert!(varies(templated, "/c/shoes"));
        let header = rule(json!({"actions": [{"set_header": {"x-geo": "{{country}}"}}]}));
        assert!(varies(header, "/c/boots"));
    }

    #[test]
    fn running_experiments_vary_and_stopped_ones_only_through_templates() {
        assert!(
            varies(experiment(None, None), "/"),
            "running is the default"
        );
        assert!(!varies(experiment(None, None), "/cart"));
        assert!(varies(experiment(Some("running"), None), "/"));
        assert!(!varies(experiment(Some("draft"), None), "/"));
        assert!(!varies(experiment(Some("stopped"), None), "/"));
        assert!(varies(experiment(Some("stopped"), Some("bold")), "/"));
        assert!(!varies(experiment(Some("stopped"), Some("control")), "/"));
    }
}
