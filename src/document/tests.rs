//! Compiling whole documents: what compiles, and how.
//!
//! The messages themselves are checked against snapshot files: every
//! `fixtures/validation/<case>.json` with its `<case>.problems` (`tests/validation_snapshots.rs`).
//! The tests here check what those cannot see, such as which rules compiled; where they use a
//! snapshot case's document, its messages are in its `.problems` file.

use super::*;

#[test]
fn compiles_a_valid_document() {
    let doc = r#"{"version": 7,
        "settings": {"visitor_cookie": "vid", "redirect_hosts": ["Shop.Example.com"], "header_attributes": ["x-tier"]},
        "audiences": {"de": {"country": "DE"}, "de-mobile": {"$and": [{"$inGroup": "de"}, {"device": "mobile"}]}},
        "saved_groups": {"vip": ["a", "b"]},
        "rules": [
        {"id": "a", "pages": ["/"], "priority": 5, "audience": "de-mobile",
         "schedule": {"start": "2026-11-27T00:00:00+01:00"},
         "actions": [{"select": "h1", "set_text": "Hi {{country}}"}, {"inject_head": "<style>h1{}</style>"}]},
        {"id": "b", "actions": [{"select": ".x", "set_attribute": {"href": "/y"}}, {"redirect": {"to": "https://shop.example.com/x"}}]}]}"#;
    let rules = compile(doc).unwrap();
    assert_eq!(rules.problems, []);
    assert_eq!(rules.version.as_deref(), Some("7"));
    assert_eq!(rules.settings.visitor_cookie, "vid");
    assert_eq!(rules.settings.redirect_hosts, ["shop.example.com"]);
    assert_eq!(rules.audiences.len(), 2);
    // Priority orders application: "b" (0) before "a" (5).
    let ids: Vec<&str> = rules.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["b", "a"]);
    assert_eq!(rules.index.candidates("/"), [0, 1]);
    assert_eq!(rules.index.candidates("/other"), [0]);
}

#[test]
fn broken_rules_are_skipped_and_the_rest_still_run() {
    // Messages: fixtures/validation/broken-rules-are-skipped.problems.
    let doc = include_str!("../../fixtures/validation/broken-rules-are-skipped.json");
    let rules = compile(doc).unwrap();
    assert_eq!(rules.problems.len(), 2);
    assert_eq!(rules.rules.len(), 1);
    assert_eq!(rules.rules[0].id, "good");
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let committed = include_str!("../../schema/rules.schema.json");
    let committed: Value = serde_json::from_str(committed).unwrap();
    assert!(
        committed == schema(),
        "schema/rules.schema.json is stale: run `cargo run --bin veneer -- schema > schema/rules.schema.json`"
    );
}

#[test]
fn a_document_of_experiments_alone_needs_no_rules() {
    let rules = compile(
        r#"{"experiments": [{"id": "hero", "status": "running",
            "variations": [{"id": "control"}, {"id": "bold", "actions": [{"select": "h1", "add_class": "bold"}]}]}]}"#,
    )
    .unwrap();
    assert_eq!(rules.problems, []);
    assert_eq!(rules.experiments.len(), 1);
    assert!(rules.rules.is_empty());
}

#[test]
fn rules_with_problems_of_their_own_still_take_part_in_checks_across_rules() {
    // Messages: fixtures/validation/rules-with-problems-still-take-part-in-checks-across-rules.problems.
    let doc = include_str!(
        "../../fixtures/validation/rules-with-problems-still-take-part-in-checks-across-rules.json"
    );
    let rules = compile(doc).unwrap();
    assert_eq!(rules.problems.len(), 6);
    // The first "promo" is broken, so no rule of that id runs: not even a later duplicate.
    assert!(rules.rules.is_empty());
}
