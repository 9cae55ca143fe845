//! Rewriter fixtures: every case under `fixtures/rewrite/` is fed whole, in 1-byte chunks and in
//! random-size chunks, and must give exactly its `expected.html` every time.
//!
//! A case is a folder with `rules.json`, `input.html`, `expected.html` and, optionally,
//! `case.json`: `{"path": "/c/shoes", "charset": "utf-8", "context": {...visitor attributes},
//! "now": "2026-11-27T10:00:00Z"}` (path `/`, no attributes and 2026-11-25T12:00:00Z by default).

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use veneer::{CompiledRules, compile};
use veneer::{Plan, StreamRewriter};
use veneer::{Visit, decide};

/// The plan the edge would make for this visitor (`context`) on `path` at `now`.
fn plan_for(rules: &CompiledRules, context: &serde_json::Value, path: &str, now: &str) -> Plan {
    let now = DateTime::parse_from_rfc3339(now)
        .unwrap()
        .with_timezone(&Utc);
    decide(rules, &Visit::new(context, path, now), false).plan
}

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rewrite");
    let mut dirs: Vec<PathBuf> = fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// A small deterministic generator, so a failing chunking can be reproduced from its seed.
fn chunk_sizes(seed: u64, max: usize) -> impl FnMut() -> usize {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        1 + (state % max as u64) as usize
    }
}

fn run(case: &Path, input: &[u8], mut next_size: impl FnMut() -> usize) -> Vec<u8> {
    let rules = compile(&fs::read_to_string(case.join("rules.json")).unwrap()).unwrap();
    assert!(rules.problems.is_empty(), "{:?}", rules.problems);
    let meta: serde_json::Value = fs::read_to_string(case.join("case.json"))
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or_default();
    let path = meta["path"].as_str().unwrap_or("/");
    let now = meta["now"].as_str().unwrap_or("2026-11-25T12:00:00Z");
    let plan = plan_for(&rules, &meta["context"], path, now);
    let mut rewriter = StreamRewriter::new(&plan, meta["charset"].as_str());
    let mut out = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(next_size().min(rest.len()));
        out.extend(rewriter.write(chunk));
        rest = tail;
    }
    out.extend(rewriter.end());
    assert_eq!(rewriter.failure(), None);
    out
}

#[test]
fn fixtures_give_the_same_page_at_every_chunking() {
    let cases = cases();
    assert!(cases.len() >= 3, "fixtures are missing");
    for case in cases {
        let input = fs::read(case.join("input.html")).unwrap();
        let expected = String::from_utf8(fs::read(case.join("expected.html")).unwrap()).unwrap();
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let whole = run(&case, &input, || usize::MAX);
        assert_eq!(String::from_utf8_lossy(&whole), expected, "{name}: whole");
        let bytewise = run(&case, &input, || 1);
        assert_eq!(
            String::from_utf8_lossy(&bytewise),
            expected,
            "{name}: 1-byte chunks"
        );
        for seed in 0..32 {
            let random = run(&case, &input, chunk_sizes(seed, 97));
            assert_eq!(
                String::from_utf8_lossy(&random),
                expected,
                "{name}: random chunks, seed {seed}"
            );
        }
    }
}

#[test]
fn demo_storefront_pages_rewrite_the_same_at_every_chunking() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rules =
        compile(&fs::read_to_string(root.join("fixtures/rules/demo.json")).unwrap()).unwrap();
    assert!(rules.problems.is_empty(), "{:?}", rules.problems);
    for (page, path, must_contain) in [
        ("index.html", "/", "<h1>Black Friday on the trail</h1>"),
        ("category.html", "/c/shoes", "badge-bestseller"),
        ("product.html", "/p/trail-runner-2", "veneer-notice"),
        ("cart.html", "/cart", "30% off all trail shoes"),
    ] {
        let input = fs::read(root.join("fixtures/storefront").join(page)).unwrap();
        let plan = plan_for(&rules, &serde_json::json!({}), path, "2026-11-25T12:00:00Z");
        let feed = |mut next: Box<dyn FnMut() -> usize>| {
            let mut r = StreamRewriter::new(&plan, Some("utf-8"));
            let mut out = Vec::new();
            let mut rest = input.as_slice();
            while !rest.is_empty() {
                let (chunk, tail) = rest.split_at(next().min(rest.len()));
                out.extend(r.write(chunk));
                rest = tail;
            }
            out.extend(r.end());
            out
        };
        let whole = feed(Box::new(|| usize::MAX));
        assert!(
            String::from_utf8_lossy(&whole).contains(must_contain),
            "{page} lacks {must_contain}"
        );
        assert_eq!(feed(Box::new(|| 1)), whole, "{page}: 1-byte chunks");
        for seed in 0..8 {
            assert_eq!(
                feed(Box::new(chunk_sizes(seed, 500))),
                whole,
                "{page}: seed {seed}"
            );
        }
    }
}
