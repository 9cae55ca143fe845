//! GrowthBook-compatible bucketing.
//!
//! Assigns a visitor to an experiment variation exactly the way GrowthBook's SDKs do, so an
//! experiment configured in GrowthBook splits traffic identically whether a visitor is bucketed
//! at the edge by Veneer or in the browser by a GrowthBook SDK. The functions mirror
//! `hash`, `getEqualWeights`, `getBucketRanges`, `chooseVariation` and `inNamespace` from
//! GrowthBook's `packages/sdk-js/src/util.ts` (MIT, Copyright (c) 2025 GrowthBook, Inc.),
//! including their floating-point arithmetic and their handling of invalid input, and are
//! checked against GrowthBook's language-agnostic conformance cases
//! (`tests/growthbook_bucketing.rs`).
//!
//! Two details matter for compatibility:
//! - FNV-1a runs over UTF-16 code units (JavaScript's `charCodeAt`), not UTF-8 bytes, so
//!   non-ASCII ids and seeds hash as they do in the browser.
//! - The only deliberate deviation from the JS SDK is a cap, [`MAX_VARIATIONS`], so that no
//!   input can make these functions allocate without bound.
//!
//! Everything here is pure: no I/O, no panics, no allocation proportional to untrusted numbers
//! beyond that cap.

use crate::document::Namespace;

/// FNV-1a 32-bit offset basis (the initial hash state).
const FNV_OFFSET_BASIS: u32 = 0x811c_9dc5;

/// FNV-1a 32-bit prime; `1 + 2^1 + 2^4 + 2^7 + 2^8 + 2^24`, the shifts GrowthBook's JS adds up.
const FNV_PRIME: u32 = 0x0100_0193;

/// Upper bound on variation counts, so no input allocates without bound; hash version 2 only
/// resolves 1/10,000, so more variations could never all be reached anyway.
pub const MAX_VARIATIONS: usize = 10_000;

/// FNV-1a (32-bit) over the UTF-16 code units of the concatenation of `parts`.
///
/// Hashing the parts in sequence equals hashing their concatenation, which avoids building
/// `seed + value` strings.
fn fnv1a32(parts: &[&str]) -> u32 {
    let mut hash = FNV_OFFSET_BASIS;
    for part in parts {
        for unit in part.encode_utf16() {
            hash ^= u32::from(unit);
            hash = hash.wrapping_mul(FNV_PRIME);
        }
    }
    hash
}

/// Maps a visitor id (`value`) and an experiment `seed` to a number in `[0, 1)`, the position
/// GrowthBook uses to pick a variation; `None` for hash versions other than 1 and 2.
///
/// Version 1 (GrowthBook's original, slightly biased hash) is
/// `(fnv1a32(value + seed) % 1000) / 1000`; version 2 (unbiased) is
/// `(fnv1a32(decimal(fnv1a32(seed + value))) % 10000) / 10000`.
pub fn hash(seed: &str, value: &str, version: u32) -> Option<f64> {
    match version {
        1 => Some(f64::from(fnv1a32(&[value, seed]) % 1_000) / 1_000.0),
        2 => {
            let inner = fnv1a32(&[seed, value]).to_string();
            Some(f64::from(fnv1a32(&[&inner]) % 10_000) / 10_000.0)
        }
        _ => None,
    }
}

/// `count` equal weights of `1 / count` each; shared by [`equal_weights`] and the fall-back in
/// [`bucket_ranges`]. Empty when `count` is 0 or above [`MAX_VARIATIONS`].
fn equal_weights_for(count: usize) -> Vec<f64> {
    if count == 0 || count > MAX_VARIATIONS {
        return Vec::new();
    }
    // `count <= MAX_VARIATIONS`, so the conversion is exact.
    vec![1.0 / count as f64; count]
}

/// The default traffic split for `n` variations (each gets `1 / n`), as GrowthBook's
/// `getEqualWeights`; empty for `n <= 0` and for `n` above [`MAX_VARIATIONS`].
pub fn equal_weights(n: i64) -> Vec<f64> {
    usize::try_from(n).map_or_else(|_| Vec::new(), equal_weights_for)
}

/// Turns a variation count, a coverage fraction and optional weights into one half-open
/// `[start, end)` hash range per variation, as GrowthBook's `getBucketRanges`.
///
/// Coverage is clamped to `[0, 1]` (NaN stays NaN, which puts nobody in any range, as in JS).
/// Weights fall back to equal weights when absent, when their length is not `n`, or when they
/// sum to less than 0.99 or more than 1.01. Variation `i` starts at the sum of the weights
/// before it and covers `coverage * weight` of the hash space, so changing coverage never
/// moves a visitor from one variation to another. Empty when `n` is 0 or above
/// [`MAX_VARIATIONS`].
pub fn bucket_ranges(n: usize, coverage: f64, weights: Option<&[f64]>) -> Vec<(f64, f64)> {
    if n > MAX_VARIATIONS {
        return Vec::new();
    }
    // `f64::clamp` keeps NaN and -0.0 as they are, like GrowthBook's `< 0` / `> 1` checks.
    let coverage = coverage.clamp(0.0, 1.0);

    let equal;
    let weights = match weights {
        Some(given) if given.len() == n && total_is_about_one(given) => given,
        _ => {
            equal = equal_weights_for(n);
            equal.as_slice()
        }
    };

    let mut cumulative = 0.0;
    weights
        .iter()
        .map(|&weight| {
            let start = cumulative;
            cumulative += weight;
            (start, start + coverage * weight)
        })
        .collect()
}

/// GrowthBook's weight-sum tolerance: weights are accepted unless their sum is below 0.99 or
/// above 1.01 (a NaN sum is therefore accepted, exactly as in the JS SDK).
fn total_is_about_one(weights: &[f64]) -> bool {
    let total: f64 = weights.iter().sum();
    // JS rejects on `total < 0.99 || total > 1.01`, both false for NaN.
    (0.99..=1.01).contains(&total) || total.is_nan()
}

/// Picks the variation whose range contains the hash value `n` (first match wins, ranges are
/// half-open `[start, end)`), as GrowthBook's `chooseVariation`; `None` (GrowthBook's `-1`)
/// when `n` falls in no range, i.e. the visitor is outside the experiment's coverage.
pub fn choose_variation(n: f64, ranges: &[(f64, f64)]) -> Option<usize> {
    ranges
        .iter()
        .position(|&(start, end)| n >= start && n < end)
}

/// Whether the visitor falls in the experiment's slice of a namespace, as GrowthBook's
/// `inNamespace`: the visitor's version-1 hash with seed `"__" + id` must lie in
/// `[start, end)`.
pub fn in_namespace(visitor_id: &str, ns: &Namespace) -> bool {
    let seed = format!("__{}", ns.id);
    hash(&seed, visitor_id, 1).is_some_and(|n| n >= ns.start && n < ns.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Straight transcription of GrowthBook's JS `hashFnv32a` loop (int32 shifts summed as
    /// doubles), over UTF-16 code units, to check `fnv1a32` against.
    fn js_fnv32a(s: &str) -> u32 {
        let mut hval: f64 = f64::from(FNV_OFFSET_BASIS);
        for unit in s.encode_utf16() {
            // ToInt32(hval) ^ code unit, as JS `^=` does.
            let as_i32 = (hval.rem_euclid(4_294_967_296.0) as u32) as i32;
            let x = as_i32 ^ i32::from(unit);
            let shl = |k: u32| f64::from(x.wrapping_shl(k));
            hval = f64::from(x) + shl(1) + shl(4) + shl(7) + shl(8) + shl(24);
        }
        hval.rem_euclid(4_294_967_296.0) as u32
    }

    #[test]
    fn fnv1a32_matches_published_vectors() {
        assert_eq!(fnv1a32(&[""]), 0x811c_9dc5);
        assert_eq!(fnv1a32(&["a"]), 0xe40c_292c);
        assert_eq!(fnv1a32(&["foobar"]), 0xbf9c_f968);
        assert_eq!(fnv1a32(&["foo", "bar"]), fnv1a32(&["foobar"]));
        assert_eq!(fnv1a32(&[]), FNV_OFFSET_BASIS);
    }

    #[test]
    fn fnv1a32_matches_js_shift_arithmetic() {
        for s in [
            "",
            "a",
            "visitor-123",
            "___)((*\":&",
            "90850943850283058242805",
            "héllo wörld",
            "日本語",
            "emoji 🎉 pair",
            "\u{ffff}\u{10000}",
        ] {
            assert_eq!(fnv1a32(&[s]), js_fnv32a(s), "{s:?}");
        }
    }

    #[test]
    fn fnv1a32_uses_utf16_code_units_not_utf8_bytes() {
        // "é" is one UTF-16 unit 0x00E9 but two UTF-8 bytes; JS hashes the single unit.
        let expected = (FNV_OFFSET_BASIS ^ 0xE9).wrapping_mul(FNV_PRIME);
        assert_eq!(fnv1a32(&["é"]), expected);
        // "🎉" is a surrogate pair: two code units, each xored in whole.
        let pair =
            ((FNV_OFFSET_BASIS ^ 0xD83C).wrapping_mul(FNV_PRIME) ^ 0xDF89).wrapping_mul(FNV_PRIME);
        assert_eq!(fnv1a32(&["🎉"]), pair);
    }

    #[test]
    fn hash_versions() {
        assert_eq!(hash("", "a", 1), Some(0.22));
        assert_eq!(hash("seed", "a", 2), Some(0.0505));
        for version in [0, 3, 99, u32::MAX] {
            assert_eq!(hash("abc", "def", version), None);
        }
    }

    #[test]
    fn hash_stays_in_unit_interval() {
        for i in 0..2_000 {
            let id = format!("user-{i}-ü");
            for version in [1, 2] {
                let n = hash("seed", &id, version).unwrap_or(f64::NAN);
                assert!((0.0..1.0).contains(&n), "{id} v{version} -> {n}");
            }
        }
    }

    #[test]
    fn hash_v1_is_value_then_seed_and_v2_is_seed_then_value() {
        // v1 hashes value + seed, so moving characters across the boundary doesn't matter.
        assert_eq!(hash("bc", "a", 1), hash("c", "ab", 1));
        assert_eq!(hash("a", "bc", 2), hash("ab", "c", 2));
    }

    #[test]
    fn equal_weights_edges() {
        assert!(equal_weights(-1).is_empty());
        assert!(equal_weights(0).is_empty());
        assert!(equal_weights(i64::MIN).is_empty());
        assert!(equal_weights(i64::MAX).is_empty());
        assert_eq!(equal_weights(1), vec![1.0]);
        assert_eq!(equal_weights(4), vec![0.25; 4]);
        assert_eq!(equal_weights(3), vec![1.0 / 3.0; 3]);
        let cap = i64::try_from(MAX_VARIATIONS).unwrap_or(0);
        assert_eq!(equal_weights(cap).len(), MAX_VARIATIONS);
        assert!(equal_weights(cap + 1).is_empty());
    }

    #[test]
    fn bucket_ranges_basic_and_coverage() {
        assert_eq!(bucket_ranges(2, 1.0, None), vec![(0.0, 0.5), (0.5, 1.0)]);
        assert_eq!(bucket_ranges(2, 0.5, None), vec![(0.0, 0.25), (0.5, 0.75)]);
        assert_eq!(bucket_ranges(2, -3.0, None), vec![(0.0, 0.0), (0.5, 0.5)]);
        assert_eq!(bucket_ranges(2, 7.0, None), vec![(0.0, 0.5), (0.5, 1.0)]);
        assert_eq!(
            bucket_ranges(2, f64::INFINITY, None),
            vec![(0.0, 0.5), (0.5, 1.0)]
        );
        assert_eq!(
            bucket_ranges(2, f64::NEG_INFINITY, None),
            vec![(0.0, 0.0), (0.5, 0.5)]
        );
    }

    #[test]
    fn bucket_ranges_weight_fallbacks() {
        let equal = vec![(0.0, 0.5), (0.5, 1.0)];
        assert_eq!(bucket_ranges(2, 1.0, Some(&[0.4, 0.1])), equal);
        assert_eq!(bucket_ranges(2, 1.0, Some(&[0.7, 0.6])), equal);
        assert_eq!(bucket_ranges(2, 1.0, Some(&[1.0])), equal);
        assert_eq!(bucket_ranges(2, 1.0, Some(&[])), equal);
        assert_eq!(bucket_ranges(2, 1.0, Some(&[f64::INFINITY, 0.0])), equal);
        // Inside the 0.99..=1.01 tolerance the weights are used as given.
        assert_eq!(
            bucket_ranges(2, 1.0, Some(&[0.5, 0.505])),
            vec![(0.0, 0.5), (0.5, 1.005)]
        );
        assert_eq!(
            bucket_ranges(2, 1.0, Some(&[0.4, 0.6])),
            vec![(0.0, 0.4), (0.4, 1.0)]
        );
    }

    #[test]
    fn bucket_ranges_degenerate_inputs_do_not_panic() {
        assert!(bucket_ranges(0, 1.0, None).is_empty());
        assert!(bucket_ranges(0, 1.0, Some(&[])).is_empty());
        assert!(bucket_ranges(usize::MAX, 1.0, None).is_empty());
        assert!(bucket_ranges(MAX_VARIATIONS + 1, 1.0, None).is_empty());
        assert_eq!(
            bucket_ranges(MAX_VARIATIONS, 1.0, None).len(),
            MAX_VARIATIONS
        );

        // NaN coverage: ranges exist but contain nothing, as in JS.
        let nan_cov = bucket_ranges(2, f64::NAN, None);
        assert_eq!(nan_cov.len(), 2);
        assert_eq!(choose_variation(0.1, &nan_cov), None);

        // A NaN weight sum passes GrowthBook's tolerance check (both comparisons are false).
        let nan_weights = bucket_ranges(2, 1.0, Some(&[f64::NAN, 1.0]));
        assert_eq!(nan_weights.len(), 2);
        assert_eq!(choose_variation(0.1, &nan_weights), None);
    }

    #[test]
    fn changing_coverage_never_moves_a_visitor_between_variations() {
        let weights = [0.2, 0.3, 0.5];
        let full = bucket_ranges(3, 1.0, Some(&weights));
        let partial = bucket_ranges(3, 0.3, Some(&weights));
        for i in 0..1_000 {
            let n = hash("exp", &format!("v{i}"), 2).unwrap_or(0.0);
            if let Some(v) = choose_variation(n, &partial) {
                assert_eq!(choose_variation(n, &full), Some(v));
            }
        }
    }

    #[test]
    fn choose_variation_boundaries() {
        let ranges = [(0.0, 0.5), (0.5, 1.0)];
        assert_eq!(choose_variation(0.0, &ranges), Some(0));
        assert_eq!(choose_variation(0.5, &ranges), Some(1));
        assert_eq!(choose_variation(1.0, &ranges), None);
        assert_eq!(choose_variation(-0.1, &ranges), None);
        assert_eq!(choose_variation(f64::NAN, &ranges), None);
        assert_eq!(choose_variation(0.3, &[]), None);
        assert_eq!(
            choose_variation(0.5, &[(0.0, 0.5), (0.5, 0.5), (0.5, 1.0)]),
            Some(2)
        );
    }

    #[test]
    fn namespaces() {
        let ns = |id: &str, start: f64, end: f64| Namespace {
            id: id.to_owned(),
            start,
            end,
        };
        assert!(in_namespace("1", &ns("namespace1", 0.4, 1.0)));
        assert!(!in_namespace("1", &ns("namespace1", 0.0, 0.4)));
        assert!(in_namespace("3", &ns("namespace2", 0.0, 0.4)));
        // Empty, inverted and NaN slices contain nobody.
        assert!(!in_namespace("1", &ns("namespace1", 0.5, 0.5)));
        assert!(!in_namespace("1", &ns("namespace1", 1.0, 0.0)));
        assert!(!in_namespace("1", &ns("namespace1", f64::NAN, 1.0)));
        // The full slice contains everybody, complementary slices split everybody exactly once.
        for i in 0..500 {
            let id = format!("visitor-{i}");
            assert!(in_namespace(&id, &ns("n", 0.0, 1.0)));
            let a = in_namespace(&id, &ns("n", 0.0, 0.37));
            let b = in_namespace(&id, &ns("n", 0.37, 1.0));
            assert!(a != b, "{id}");
        }
    }
}
