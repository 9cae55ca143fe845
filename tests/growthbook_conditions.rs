//! GrowthBook conformance tests for `veneer::condition`.
//!
//! Runs every case of the `evalCondition` section of GrowthBook's language-agnostic SDK test
//! suite (`fixtures/conformance/growthbook-cases.json`, MIT, provenance in the README beside
//! it): `[name, condition, attributes, expected, savedGroups?]`, evaluated the way GrowthBook's
//! `packages/sdk-js/test/json.test.ts` does (`evalCondition(attributes, condition,
//! savedGroups)`), with no audiences. Every failure is reported by name before the test fails,
//! and the number of cases run is asserted so a truncated or reshaped fixture cannot pass.

use std::collections::HashMap;

use serde_json::Value;
use veneer::growthbook::{Condition, EvalContext, NoAudiences};

const CASES_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/conformance/growthbook-cases.json"
);

const EXPECTED_CASES: usize = 248;

#[test]
fn growthbook_eval_condition_cases() {
    let text = std::fs::read_to_string(CASES_PATH).expect("read the conformance suite");
    let suite: Value = serde_json::from_str(&text).expect("conformance JSON parses");
    let cases = suite["evalCondition"]
        .as_array()
        .expect("evalCondition is an array");
    let mut failures = Vec::new();
    let mut run = 0;
    for (i, case) in cases.iter().enumerate() {
        let case = case.as_array().expect("each case is an array");
        let name = case[0].as_str().expect("case name is a string");
        let condition = &case[1];
        let attributes = &case[2];
        let expected = case[3].as_bool().expect("expected result is a boolean");
        let saved_groups: HashMap<String, Vec<Value>> = match case.get(4) {
            Some(groups) => serde_json::from_value(groups.clone()).expect("savedGroups map"),
            None => HashMap::new(),
        };
        let ctx = EvalContext {
            saved_groups: &saved_groups,
            audiences: &NoAudiences,
        };
        let (compiled, _errors) = Condition::compile(condition);
        let actual = compiled.eval(attributes, &ctx);
        run += 1;
        if actual != expected {
            failures.push(format!(
                "#{i} {name:?}: expected {expected}, got {actual}\n    condition:  {condition}\n    attributes: {attributes}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {run} evalCondition cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(run, EXPECTED_CASES, "number of evalCondition cases run");
}
