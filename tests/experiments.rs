//! Experiments: assignment, stickiness, namespaces, consent, bots, stopped experiments, QA.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use veneer::render;
use veneer::{AssignmentTrace, Visit, decide};
use veneer::{CompiledRules, compile};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn rules(doc: Value) -> CompiledRules {
    let rules = compile(&doc.to_string()).unwrap();
    assert_eq!(rules.problems, [], "the test document must be valid");
    rules
}

fn hero(weights: [f64; 2], coverage: f64) -> Value {
    json!({"rules": [], "experiments": [{
    "id": "hero-copy", "pages": ["/"], "coverage": coverage,
    "variations": [
        {"id": "control", "weight": weights[0], "actions": []},
        {"id": "bold", "weight": weights[1], "actions": [{"select": "h1", "set_text": "Made to last"}]}
    ]}]})
}

fn outcome(rules: &CompiledRules, attrs: &Value, sticky: &[(String, String)]) -> AssignmentTrace {
    let visit = Visit {
        sticky,
        ..Visit::new(attrs, "/", now())
    };
    decide(rules, &visit, false).experiments.remove(0)
}

#[test]
fn the_same_visitor_always_gets_the_same_variation_and_it_matches_growthbook() {
    let r = rules(hero([0.5, 0.5], 1.0));
    let mut seen = std::collections::HashMap::new();
    for i in 0..2000 {
        let attrs = json!({"id": format!("visitor-{i}"), "bot": false});
        let first = outcome(&r, &attrs, &[]);
        assert!(first.in_experiment && first.remember);
        for _ in 0..3 {
            assert_eq!(outcome(&r, &attrs, &[]).variation, first.variation);
        }
        // GrowthBook: hash v2 of (seed "hero-copy", id) against equal ranges [0, .5), [.5, 1).
        let n = veneer::growthbook::hash("hero-copy", &format!("visitor-{i}"), 2).unwrap();
        let expected = if n < 0.5 { "control" } else { "bold" };
        assert_eq!(first.variation.as_deref(), Some(expected));
        *seen.entry(first.variation.unwrap()).or_insert(0) += 1;
    }
    assert!(seen["bold"] > 900 && seen["control"] > 900, "{seen:?}");
}

#[test]
fn remembered_assignments_survive_changes_to_weights_and_coverage() {
    let before = rules(hero([0.5, 0.5], 1.0));
    let after = rules(hero([0.99, 0.01], 0.1));
    let mut moved_without_memory = 0;
    for i in 0..500 {
        let attrs = json!({"id": format!("v{i}"), "bot": false});
        let first = outcome(&before, &attrs, &[]);
        let sticky = vec![("hero-copy".to_owned(), first.variation.clone().unwrap())];
        let later = outcome(&after, &attrs, &sticky);
        assert_eq!(later.variation, first.variation, "visitor v{i} moved");
        assert!(later.in_experiment && !later.remember);
        if outcome(&after, &attrs, &[]).variation != first.variation {
            moved_without_memory += 1;
        }
    }
    assert!(
        moved_without_memory > 100,
        "the change must matter without memory"
    );
}

#[test]
fn namespaces_keep_experiments_mutually_exclusive() {
    let doc = json!({"rules": [], "experiments": [
        {"id": "a", "namespace": {"id": "home", "start": 0, "end": 0.5},
         "variations": [{"id": "c"}, {"id": "t", "actions": [{"select": "h1", "set_text": "A"}]}]},
        {"id": "b", "namespace": {"id": "home", "start": 0.5, "end": 1},
         "variations": [{"id": "c"}, {"id": "t", "actions": [{"select": "h2", "set_text": "B"}]}]}]});
    let r = rules(doc);
    let (mut in_a, mut in_b) = (0, 0);
    for i in 0..4000 {
        let attrs = json!({"id": format!("visitor-{i}"), "bot": false});
        let d = decide(&r, &Visit::new(&attrs, "/", now()), false);
        let a = d.experiments[0].in_experiment;
        let b = d.experiments[1].in_experiment;
        assert!(!(a && b), "visitor-{i} is in both");
        assert!(a || b, "the two ranges cover everyone");
        in_a += a as u32;
        in_b += b as u32;
    }
    assert!(
        (1800..2200).contains(&in_a) && (1800..2200).contains(&in_b),
        "{in_a} {in_b}"
    );
}

#[test]
fn bots_and_visitors_without_consent_get_the_control_and_are_not_counted() {
    let r = rules(hero([0.0, 1.0], 1.0));
    let bot = outcome(&r, &json!({"id": "x", "bot": true}), &[]);
    assert_eq!(
        (bot.variation.as_deref(), bot.in_experiment, bot.remember),
        (Some("control"), false, false)
    );
    let attrs = json!({"id": "x", "bot": false});
    let no_consent = decide(
        &r,
        &Visit {
            consent: false,
            ..Visit::new(&attrs, "/", now())
        },
        false,
    );
    assert_eq!(
        no_consent.experiments[0].variation.as_deref(),
        Some("control")
    );
    assert!(!no_consent.experiments[0].in_experiment);
    assert!(no_consent.plan.is_empty(), "the control has no actions");
    let consent = outcome(&r, &attrs, &[]);
    assert_eq!(consent.variation.as_deref(), Some("bold"));
}

#[test]
fn coverage_leaves_visitors_out_with_the_control() {
    let r = rules(hero([0.5, 0.5], 0.2));
    let inside = (0..5000)
        .filter(|i| {
            outcome(
                &r,
                &json!({"id": format!("visitor-{i}"), "bot": false}),
                &[],
            )
            .in_experiment
        })
        .count();
    assert!(
        (850..1150).contains(&inside),
        "{inside} of 5000 inside 20% coverage"
    );
}

#[test]
fn drafts_stopped_experiments_winners_and_forced_variations() {
    let doc = json!({"rules": [], "experiments": [
        {"id": "draft", "status": "draft", "variations": [{"id": "c"}, {"id": "t", "actions": [{"select": "h1", "set_text": "Draft"}]}]},
        {"id": "done", "status": "stopped", "winner": "t", "variations": [{"id": "c"}, {"id": "t", "actions": [{"select": "h2", "set_text": "Winner"}]}]}]});
    let r = rules(doc);
    let attrs = json!({"id": "v1", "bot": true});
    let d = decide(&r, &Visit::new(&attrs, "/", now()), false);
    assert_eq!(d.experiments[0].variation, None);
    assert_eq!(d.experiments[0].reason, "draft: only previews see it");
    assert_eq!(
        d.experiments[1].variation.as_deref(),
        Some("t"),
        "the winner goes to everyone, bots too"
    );
    let page =
        |d: &veneer::Decision| String::from_utf8(render(&d.plan, b"<h1>a</h1><h2>b</h2>")).unwrap();
    assert_eq!(page(&d), "<h1>a</h1><h2>Winner</h2>");
    let forced = [("draft".to_owned(), "t".to_owned())];
    let without_preview = decide(
        &r,
        &Visit {
            forced: &forced,
            ..Visit::new(&attrs, "/", now())
        },
        false,
    );
    assert_eq!(
        page(&without_preview),
        "<h1>a</h1><h2>Winner</h2>",
        "forcing needs a preview"
    );
    let preview = decide(
        &r,
        &Visit {
            forced: &forced,
            preview: true,
            ..Visit::new(&attrs, "/", now())
        },
        false,
    );
    assert_eq!(page(&preview), "<h1>Draft</h1><h2>Winner</h2>");
    assert_eq!(preview.experiments[0].reason, "forced by a preview");
}
