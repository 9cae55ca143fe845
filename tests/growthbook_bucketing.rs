//! GrowthBook conformance and distribution tests for `veneer::bucketing`.
//!
//! The conformance part runs every case of the `hash`, `getBucketRange`, `chooseVariation`,
//! `inNamespace` and `getEqualWeights` sections of GrowthBook's language-agnostic SDK test
//! suite (`fixtures/conformance/growthbook-cases.json`), compared the way GrowthBook's own
//! `packages/sdk-js/test/json.test.ts` compares them: exact equality for hashes, and both sides
//! truncated to 8 decimals (`Math.floor(n * 1e8) / 1e8`) for ranges and weights. Each case is a
//! test of its own, named by section and the case's name (`getBucketRange::reduced coverage`;
//! the nameless `hash` and `getEqualWeights` cases by their arguments: `hash::"seed" "a" v2`,
//! `getEqualWeights::3 variations`), and `<section>::case-count` checks the number of cases per
//! section so a truncated or reshaped fixture cannot pass silently.
//!
//! The distribution part (`distribution::*`) hashes 100,000 synthetic visitor ids and checks the
//! observed split against the configured one with a chi-square goodness-of-fit test at
//! p = 0.001.
//!
//! This file has its own `main` (`harness = false` in Cargo.toml) and takes the usual test
//! arguments: `cargo test --test growthbook_bucketing -- getBucketRange`.

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;
use veneer::growthbook::{
    Namespace, bucket_ranges, choose_variation, equal_weights, hash, in_namespace,
};

const CASES_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/conformance/growthbook-cases.json"
);

fn cases(section: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(CASES_PATH)
        .unwrap_or_else(|e| panic!("cannot read {CASES_PATH}: {e}"));
    let all: Value = serde_json::from_str(&text).expect("conformance file is valid JSON");
    all.get(section)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("conformance file has no `{section}` array"))
        .clone()
}

fn tuple<'a>(case: &'a Value, section: &str, index: usize) -> &'a [Value] {
    case.as_array()
        .unwrap_or_else(|| panic!("{section}[{index}] is not an array: {case}"))
}

fn num(value: &Value, what: &str) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {value}"))
}

fn string<'a>(value: &'a Value, what: &str) -> &'a str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {value}"))
}

fn ranges(value: &Value, what: &str) -> Vec<(f64, f64)> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("{what} is not an array: {value}"))
        .iter()
        .map(|pair| match pair.as_array().map(Vec::as_slice) {
            Some([start, end]) => (num(start, what), num(end, what)),
            _ => panic!("{what} holds a non-pair: {pair}"),
        })
        .collect()
}

/// GrowthBook's test-side rounding: `Math.floor(n * 1e8) / 1e8`.
fn trunc8(n: f64) -> f64 {
    (n * 1e8).floor() / 1e8
}

/// Jest's `toEqual` on numbers is `Object.is`: NaN equals NaN, and 0 differs from -0.
fn object_is(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

fn same_truncated(got: &[f64], expected: &[f64]) -> bool {
    got.len() == expected.len()
        && got
            .iter()
            .zip(expected)
            .all(|(&g, &e)| object_is(trunc8(g), trunc8(e)))
}

fn flatten(ranges: &[(f64, f64)]) -> Vec<f64> {
    ranges
        .iter()
        .flat_map(|&(start, end)| [start, end])
        .collect()
}

/// A check of one case: its index and its tuple, `Err` with what went wrong.
type Check = fn(usize, &[Value]) -> Result<(), String>;

/// How a case is named in its test's name.
type Name = fn(&[Value]) -> String;

/// The conformance sections: name, number of cases, how to name a case, how to check one.
const SECTIONS: [(&str, usize, Name, Check); 5] = [
    ("hash", 15, hash_name, conformance_hash),
    (
        "getBucketRange",
        13,
        first_element,
        conformance_get_bucket_range,
    ),
    (
        "chooseVariation",
        13,
        first_element,
        conformance_choose_variation,
    ),
    ("inNamespace", 16, first_element, conformance_in_namespace),
    (
        "getEqualWeights",
        6,
        equal_weights_name,
        conformance_get_equal_weights,
    ),
];

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    for (section, expected_count, name, check) in SECTIONS {
        let cases = cases(section);
        let count = cases.len();
        trials.push(Trial::test(format!("{section}::case-count"), move || {
            if count == expected_count {
                Ok(())
            } else {
                Err(format!("`{section}` has {count} cases, expected {expected_count}").into())
            }
        }));
        let names: Vec<String> = cases
            .iter()
            .map(|case| {
                case.as_array()
                    .map_or("(not an array)".to_owned(), |t| name(t))
            })
            .collect();
        for (index, case) in cases.into_iter().enumerate() {
            let own = &names[index];
            let test = if names.iter().filter(|n| *n == own).count() > 1 {
                format!("{section}::{own} [#{index}]")
            } else {
                format!("{section}::{own}")
            };
            trials.push(Trial::test(test, move || {
                check(index, tuple(&case, section, index)).map_err(Failed::from)
            }));
        }
    }
    for (name, test) in DISTRIBUTIONS {
        trials.push(Trial::test(format!("distribution::{name}"), move || {
            test();
            Ok(())
        }));
    }
    libtest_mimic::run(&args, trials).exit();
}

fn first_element(case: &[Value]) -> String {
    case.first()
        .and_then(Value::as_str)
        .unwrap_or("(no name)")
        .to_owned()
}

/// `hash` cases have no name: `[seed, value, hashVersion, expected]` is named `"seed" "value" v2`.
fn hash_name(case: &[Value]) -> String {
    match case {
        [seed, value, version, ..] => format!("{seed} {value} v{version}"),
        _ => "(malformed)".to_owned(),
    }
}

/// `getEqualWeights` cases have no name: `[3, [...]]` is named `3 variations`.
fn equal_weights_name(case: &[Value]) -> String {
    match case.first() {
        Some(n) => format!("{n} variations"),
        None => "(malformed)".to_owned(),
    }
}

fn conformance_hash(index: usize, case: &[Value]) -> Result<(), String> {
    let [seed, value, version, expected] = case else {
        return Err(format!("hash[{index}] has {} elements", case.len()));
    };
    let seed = string(seed, "seed");
    let value = string(value, "value");
    let version = version
        .as_u64()
        .expect("hashVersion is an unsigned integer");
    let got = u32::try_from(version)
        .ok()
        .and_then(|v| hash(seed, value, v));
    let expected = expected.as_f64();
    let pass = match (got, expected) {
        (Some(g), Some(e)) => object_is(g, e),
        (None, None) => true,
        _ => false,
    };
    if pass {
        Ok(())
    } else {
        Err(format!(
            "hash[{index}] hash({seed:?}, {value:?}, {version}): got {got:?}, expected {expected:?}"
        ))
    }
}

fn conformance_get_bucket_range(index: usize, case: &[Value]) -> Result<(), String> {
    let [name, args, expected] = case else {
        return Err(format!(
            "getBucketRange[{index}] has {} elements",
            case.len()
        ));
    };
    let name = string(name, "name");
    let Some([n, coverage, weights]) = args.as_array().map(Vec::as_slice) else {
        return Err(format!("getBucketRange[{index}] {name}: bad args {args}"));
    };
    let n = usize::try_from(n.as_u64().expect("numVariations is a non-negative integer"))
        .expect("numVariations fits usize");
    let coverage = num(coverage, "coverage");
    let weights: Option<Vec<f64>> = match weights {
        Value::Null => None,
        Value::Array(ws) => Some(ws.iter().map(|w| num(w, "weight")).collect()),
        other => {
            return Err(format!(
                "getBucketRange[{index}] {name}: bad weights {other}"
            ));
        }
    };
    let got = bucket_ranges(n, coverage, weights.as_deref());
    let expected = ranges(expected, "expected ranges");
    if same_truncated(&flatten(&got), &flatten(&expected)) {
        Ok(())
    } else {
        Err(format!(
            "getBucketRange[{index}] {name}: got {got:?}, expected {expected:?}"
        ))
    }
}

fn conformance_choose_variation(index: usize, case: &[Value]) -> Result<(), String> {
    let [name, n, case_ranges, expected] = case else {
        return Err(format!(
            "chooseVariation[{index}] has {} elements",
            case.len()
        ));
    };
    let name = string(name, "name");
    let n = num(n, "n");
    let case_ranges = ranges(case_ranges, "ranges");
    let expected = expected.as_i64().expect("expected is an integer");
    let got = choose_variation(n, &case_ranges);
    // GrowthBook's -1 ("in no range") is None here.
    let got_js = got.map_or(-1, |i| i64::try_from(i).expect("index fits i64"));
    if got_js == expected {
        Ok(())
    } else {
        Err(format!(
            "chooseVariation[{index}] {name}: got {got:?}, expected {expected}"
        ))
    }
}

fn conformance_in_namespace(index: usize, case: &[Value]) -> Result<(), String> {
    let [name, id, namespace, expected] = case else {
        return Err(format!("inNamespace[{index}] has {} elements", case.len()));
    };
    let name = string(name, "name");
    let id = string(id, "id");
    let Some([ns_id, start, end]) = namespace.as_array().map(Vec::as_slice) else {
        return Err(format!(
            "inNamespace[{index}] {name}: bad namespace {namespace}"
        ));
    };
    let ns = Namespace {
        id: string(ns_id, "namespace id").to_owned(),
        start: num(start, "namespace start"),
        end: num(end, "namespace end"),
    };
    let expected = expected.as_bool().expect("expected is a bool");
    let got = in_namespace(id, &ns);
    if got == expected {
        Ok(())
    } else {
        Err(format!(
            "inNamespace[{index}] {name}: in_namespace({id:?}, {ns:?}) = {got}, expected {expected}"
        ))
    }
}

fn conformance_get_equal_weights(index: usize, case: &[Value]) -> Result<(), String> {
    let [n, expected] = case else {
        return Err(format!(
            "getEqualWeights[{index}] has {} elements",
            case.len()
        ));
    };
    let n = n.as_i64().expect("numVariations is an integer");
    let expected: Vec<f64> = expected
        .as_array()
        .expect("expected weights are an array")
        .iter()
        .map(|w| num(w, "weight"))
        .collect();
    let got = equal_weights(n);
    if same_truncated(&got, &expected) {
        Ok(())
    } else {
        Err(format!(
            "getEqualWeights[{index}] {n}: got {got:?}, expected {expected:?}"
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Distribution
// ---------------------------------------------------------------------------------------------

const VISITORS: usize = 100_000;
const SEED: &str = "exp-1";

/// Chi-square critical values at p = 0.001, indexed by degrees of freedom.
const CHI2_CRITICAL_P001: [f64; 3] = [f64::NAN, 10.828, 13.816];

/// Counts how many of the synthetic visitors land in each variation; the last slot counts
/// visitors outside every range (reduced coverage).
fn assign(ranges: &[(f64, f64)]) -> Vec<u64> {
    let mut counts = vec![0_u64; ranges.len() + 1];
    for i in 0..VISITORS {
        let n = hash(SEED, &format!("visitor-{i}"), 2).expect("version 2 is supported");
        let slot = choose_variation(n, ranges).unwrap_or(ranges.len());
        counts[slot] += 1;
    }
    counts
}

/// Pearson's chi-square statistic of observed counts against expected proportions.
fn chi_square(observed: &[u64], proportions: &[f64]) -> f64 {
    assert_eq!(observed.len(), proportions.len());
    let total = observed.iter().sum::<u64>() as f64;
    observed
        .iter()
        .zip(proportions)
        .map(|(&o, &p)| {
            let expected = total * p;
            (o as f64 - expected).powi(2) / expected
        })
        .sum()
}

/// Asserts the split passes a chi-square goodness-of-fit test at p = 0.001.
fn assert_fits(label: &str, observed: &[u64], proportions: &[f64]) -> f64 {
    let dof = proportions.len() - 1;
    let statistic = chi_square(observed, proportions);
    let critical = CHI2_CRITICAL_P001[dof];
    println!(
        "{label}: observed {observed:?}, expected proportions {proportions:?}, \
         chi2 = {statistic:.4} (dof {dof}, critical {critical})"
    );
    assert!(
        statistic < critical,
        "{label}: chi-square {statistic:.4} >= {critical} (dof {dof}); observed {observed:?}, \
         expected proportions {proportions:?}"
    );
    statistic
}

/// The distribution tests, by name.
const DISTRIBUTIONS: [(&str, fn()); 4] = [
    ("50_50", distribution_50_50),
    ("10_90", distribution_10_90),
    ("three_way_equal", distribution_three_way_equal),
    ("half_coverage", distribution_half_coverage),
];

fn distribution_50_50() {
    let counts = assign(&bucket_ranges(2, 1.0, None));
    assert_eq!(counts[2], 0, "full coverage excludes nobody");
    assert_fits("50/50", &counts[..2], &[0.5, 0.5]);
}

fn distribution_10_90() {
    let counts = assign(&bucket_ranges(2, 1.0, Some(&[0.1, 0.9])));
    assert_eq!(counts[2], 0, "full coverage excludes nobody");
    assert_fits("10/90", &counts[..2], &[0.1, 0.9]);
}

fn distribution_three_way_equal() {
    let counts = assign(&bucket_ranges(3, 1.0, None));
    assert_eq!(counts[3], 0, "full coverage excludes nobody");
    let third = 1.0 / 3.0;
    assert_fits("three-way", &counts[..3], &[third, third, third]);
}

fn distribution_half_coverage() {
    let counts = assign(&bucket_ranges(2, 0.5, None));
    let included = counts[0] + counts[1];
    assert_fits("coverage 0.5, in/out", &[included, counts[2]], &[0.5, 0.5]);
    assert_fits("coverage 0.5, split of those in", &counts[..2], &[0.5, 0.5]);
}
