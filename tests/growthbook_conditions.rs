//! GrowthBook conformance tests for `veneer::condition`.
//!
//! Runs every case of the `evalCondition` section of GrowthBook's language-agnostic SDK test
//! suite (`fixtures/conformance/growthbook-cases.json`, MIT, provenance in the README beside
//! it): `[name, condition, attributes, expected, savedGroups?]`, evaluated the way GrowthBook's
//! `packages/sdk-js/test/json.test.ts` does (`evalCondition(attributes, condition,
//! savedGroups)`), with no audiences.
//!
//! Each case is a test of its own, `evalCondition::<the case's name>` (a name the suite uses more
//! than once gets its index too, as in `evalCondition::$not - pass [#12]`), and
//! `evalCondition::case-count` checks the number of cases so a truncated or reshaped fixture
//! cannot pass. This file has its own `main` (`harness = false` in Cargo.toml):
//! `cargo test --test growthbook_conditions -- '$elemMatch'`.

use std::collections::HashMap;

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;
use veneer::growthbook::{Condition, EvalContext, NoAudiences};

const CASES_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/conformance/growthbook-cases.json"
);

const EXPECTED_CASES: usize = 248;

fn main() {
    let args = Arguments::from_args();
    let text = std::fs::read_to_string(CASES_PATH).expect("read the conformance suite");
    let suite: Value = serde_json::from_str(&text).expect("conformance JSON parses");
    let cases = suite["evalCondition"]
        .as_array()
        .expect("evalCondition is an array")
        .clone();
    let names: Vec<String> = cases
        .iter()
        .map(|case| case[0].as_str().unwrap_or("(no name)").to_owned())
        .collect();
    let count = cases.len();
    let mut trials = vec![Trial::test("evalCondition::case-count", move || {
        if count == EXPECTED_CASES {
            Ok(())
        } else {
            Err(
                format!("the suite has {count} evalCondition cases, expected {EXPECTED_CASES}")
                    .into(),
            )
        }
    })];
    for (i, case) in cases.into_iter().enumerate() {
        let name = &names[i];
        let test = if names.iter().filter(|n| *n == name).count() > 1 {
            format!("evalCondition::{name} [#{i}]")
        } else {
            format!("evalCondition::{name}")
        };
        trials.push(Trial::test(test, move || eval_condition(i, &case)));
    }
    libtest_mimic::run(&args, trials).exit();
}

fn eval_condition(i: usize, case: &Value) -> Result<(), Failed> {
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
    if actual == expected {
        Ok(())
    } else {
        Err(format!(
            "#{i} {name:?}: expected {expected}, got {actual}\n    condition:  {condition}\n    attributes: {attributes}"
        )
        .into())
    }
}
