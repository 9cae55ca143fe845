//! Rewriter fixtures: every case under `fixtures/rewrite/` is fed whole, in 1-byte chunks and in
//! random-size chunks, and must give exactly its `expected.html` every time.
//!
//! A case is a folder with `rules.json`, `input.html`, `expected.html` and, optionally,
//! `case.json`: `{"path": "/c/shoes", "charset": "utf-8", "context": {...visitor attributes},
//! "now": "2026-11-27T10:00:00Z"}` (path `/`, no attributes and 2026-11-25T12:00:00Z by default).
//!
//! The cases are found in the folders when the tests run, and each case and chunking is a test of
//! its own (`rewrite::<case>::whole`, `::bytes`, `::random`), so one failure hides no other; the
//! demo storefront's pages are one test each (`storefront::<page>`). This file has its own
//! `main` (`harness = false` in Cargo.toml) and takes the usual test arguments:
//! `cargo test --test rewrite_fixtures -- every-action`. The random chunkings obey
//! `VENEER_CHUNK_SEED`, `VENEER_CHUNK_SEEDS` and `VENEER_CHUNK_MAX` (see `support/chunks.rs`).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use libtest_mimic::{Arguments, Failed, Trial};
use veneer::{CompiledRules, compile};
use veneer::{Plan, StreamRewriter};
use veneer::{Visit, decide};

#[path = "support/chunks.rs"]
mod chunks;

use chunks::{RandomChunks, rerun};

/// Seeds and largest chunk of the fixtures' random chunkings, unless the environment overrides.
const FIXTURE_SEEDS: u64 = 32;
const FIXTURE_MAX_CHUNK: usize = 97;
/// The same for the demo storefront's pages.
const STOREFRONT_SEEDS: u64 = 8;
const STOREFRONT_MAX_CHUNK: usize = 500;

/// The demo storefront's pages: file, path it is served at, and a text its rewrite must contain.
const STOREFRONT_PAGES: [(&str, &str, &str); 4] = [
    ("index.html", "/", "<h1>Black Friday on the trail</h1>"),
    ("category.html", "/c/shoes", "badge-bestseller"),
    ("product.html", "/p/trail-runner-2", "veneer-notice"),
    ("cart.html", "/cart", "30% off all trail shoes"),
];

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    let cases = cases();
    let found = cases.len();
    trials.push(Trial::test("rewrite::cases-found", move || {
        if found >= 3 {
            Ok(())
        } else {
            Err(format!("fixtures are missing: {found} case(s) under fixtures/rewrite").into())
        }
    }));
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        for chunking in [Chunking::Whole, Chunking::Bytes, Chunking::Random] {
            let case = case.clone();
            let test = format!("rewrite::{name}::{}", chunking.name());
            trials.push(Trial::test(test.clone(), move || {
                fixture(&case, chunking, &test)
            }));
        }
    }
    for (page, path, must_contain) in STOREFRONT_PAGES {
        let test = format!("storefront::{}", page.trim_end_matches(".html"));
        trials.push(Trial::test(test.clone(), move || {
            storefront_page(page, path, must_contain, &test)
        }));
    }
    libtest_mimic::run(&args, trials).exit();
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn cases() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(root().join("fixtures/rewrite"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// How a test splits the input into the chunks it writes.
#[derive(Debug, Clone, Copy)]
enum Chunking {
    /// All of it in one write.
    Whole,
    /// One byte per write.
    Bytes,
    /// Pseudo-random sizes, once per seed.
    Random,
}

impl Chunking {
    fn name(self) -> &'static str {
        match self {
            Chunking::Whole => "whole",
            Chunking::Bytes => "bytes",
            Chunking::Random => "random",
        }
    }
}

/// The plan the edge would make for this visitor (`context`) on `path` at `now`.
fn plan_for(rules: &CompiledRules, context: &serde_json::Value, path: &str, now: &str) -> Plan {
    let now = DateTime::parse_from_rfc3339(now)
        .unwrap()
        .with_timezone(&Utc);
    decide(rules, &Visit::new(context, path, now), false).plan
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

/// One fixture case, compiled and decided once for all its chunkings.
struct Case {
    plan: Plan,
    charset: Option<String>,
    input: Vec<u8>,
    expected: String,
}

impl Case {
    fn load(case: &Path) -> Result<Case, Failed> {
        let rules = compile(&fs::read_to_string(case.join("rules.json")).unwrap()).unwrap();
        if !rules.problems.is_empty() {
            return Err(format!("rules.json has problems: {:?}", rules.problems).into());
        }
        let meta: serde_json::Value = fs::read_to_string(case.join("case.json"))
            .map(|t| serde_json::from_str(&t).unwrap())
            .unwrap_or_default();
        let path = meta["path"].as_str().unwrap_or("/");
        let now = meta["now"].as_str().unwrap_or("2026-11-25T12:00:00Z");
        Ok(Case {
            plan: plan_for(&rules, &meta["context"], path, now),
            charset: meta["charset"].as_str().map(str::to_owned),
            input: fs::read(case.join("input.html")).unwrap(),
            expected: String::from_utf8(fs::read(case.join("expected.html")).unwrap()).unwrap(),
        })
    }

    /// The page as the rewriter writes it when fed in chunks of `next_size()` bytes.
    fn run(&self, next_size: impl FnMut() -> usize) -> Result<String, String> {
        let (out, failure) = feed(&self.plan, self.charset.as_deref(), &self.input, next_size);
        match failure {
            None => Ok(String::from_utf8_lossy(&out).into_owned()),
            Some(failure) => Err(format!("the rewriter failed: {failure}")),
        }
    }
}

/// Writes `input` to a rewriter in chunks of `next_size()` bytes; returns the output and the
/// rewriter's failure, if any.
fn feed(
    plan: &Plan,
    charset: Option<&str>,
    input: &[u8],
    mut next_size: impl FnMut() -> usize,
) -> (Vec<u8>, Option<String>) {
    let mut rewriter = StreamRewriter::new(plan, charset);
    let mut out = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(next_size().min(rest.len()));
        out.extend(rewriter.write(chunk));
        rest = tail;
    }
    out.extend(rewriter.end());
    let failure = rewriter.failure().map(str::to_owned);
    (out, failure)
}

fn fixture(case: &Path, chunking: Chunking, test: &str) -> Result<(), Failed> {
    let fixture = Case::load(case)?;
    let check = |got: Result<String, String>| match got {
        Ok(got) if got == fixture.expected => Ok(()),
        Ok(got) => Err(format!(
            "the output is not expected.html\n{}",
            difference(&fixture.expected, &got)
        )),
        Err(failure) => Err(failure),
    };
    let once = |what: &str, got| {
        check(got).map_err(|message| {
            Failed::from(format!(
                "{test}: {what}: {message}\nrerun with `{}`",
                command(test)
            ))
        })
    };
    match chunking {
        Chunking::Whole => once("whole", fixture.run(|| usize::MAX)),
        Chunking::Bytes => once("1-byte chunks", fixture.run(|| 1)),
        Chunking::Random => {
            random_chunkings(test, FIXTURE_SEEDS, FIXTURE_MAX_CHUNK, |seed, max| {
                check(fixture.run(chunk_sizes(seed, max)))
            })
            .map_err(Failed::from)
        }
    }
}

fn storefront_page(page: &str, path: &str, must_contain: &str, test: &str) -> Result<(), Failed> {
    let rules =
        compile(&fs::read_to_string(root().join("fixtures/rules/demo.json")).unwrap()).unwrap();
    if !rules.problems.is_empty() {
        return Err(format!("demo.json has problems: {:?}", rules.problems).into());
    }
    let input = fs::read(root().join("fixtures/storefront").join(page)).unwrap();
    let plan = plan_for(&rules, &serde_json::json!({}), path, "2026-11-25T12:00:00Z");
    let run = |next: &mut dyn FnMut() -> usize| {
        String::from_utf8_lossy(&feed(&plan, Some("utf-8"), &input, next).0).into_owned()
    };
    let whole = run(&mut || usize::MAX);
    if !whole.contains(must_contain) {
        return Err(format!("{test}: {page} lacks {must_contain}").into());
    }
    let check = |got: String| {
        if got == whole {
            Ok(())
        } else {
            Err(format!(
                "the output differs from the page written whole\n{}",
                difference(&whole, &got)
            ))
        }
    };
    let mut failures = Vec::new();
    if let Err(message) = check(run(&mut || 1)) {
        failures.push(format!(
            "{test}: 1-byte chunks: {message}\nrerun with `{}`",
            command(test)
        ));
    }
    let random = random_chunkings(test, STOREFRONT_SEEDS, STOREFRONT_MAX_CHUNK, |seed, max| {
        check(run(&mut chunk_sizes(seed, max)))
    });
    failures.extend(random.err());
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n\n").into())
    }
}

/// The command that runs just this test.
fn command(test: &str) -> String {
    format!("cargo test --test rewrite_fixtures -- --exact {test}")
}

/// Runs `check(seed, max)` for every seed of the random chunkings (`default_seeds` seeds and
/// chunks of up to `default_max` bytes, unless the environment says otherwise). Passes when
/// every seed passes, else names the seeds that failed and shows the first failure in full,
/// with the command that reruns only that chunking.
fn random_chunkings(
    test: &str,
    default_seeds: u64,
    default_max: usize,
    mut check: impl FnMut(u64, usize) -> Result<(), String>,
) -> Result<(), String> {
    let chunkings = RandomChunks::from_env(0, default_seeds);
    let max = chunkings.max_or(default_max);
    let mut failed = Vec::new();
    let mut first = None;
    for &seed in chunkings.seeds() {
        if let Err(message) = check(seed, max) {
            first.get_or_insert_with(|| format!("{}\n{message}", rerun(seed, max, &command(test))));
            failed.push(seed.to_string());
        }
    }
    let Some(first) = first else {
        return Ok(());
    };
    let runs = chunkings.seeds().len();
    let which = if failed.len() == runs && runs > 1 {
        "every seed: the chunking may not be the cause".to_owned()
    } else if failed.len() > 20 {
        format!("seeds {}, …", failed[..20].join(", "))
    } else {
        format!("seeds {}", failed.join(", "))
    };
    Err(format!(
        "{test}: {} of {runs} random chunkings failed ({which}); the first: {first}",
        failed.len()
    ))
}

/// Where `got` first departs from `expected`, with a little of both around it; both in full
/// when they are short.
fn difference(expected: &str, got: &str) -> String {
    let at = expected
        .char_indices()
        .zip(got.chars())
        .find(|&((_, e), g)| e != g)
        .map_or(expected.len().min(got.len()), |((i, _), _)| i);
    let line = expected[..at].matches('\n').count() + 1;
    let column = at - expected[..at].rfind('\n').map_or(0, |n| n + 1) + 1;
    let around = |text: &str| {
        let start = floor_boundary(text, at.saturating_sub(40));
        let end = floor_boundary(text, (at + 40).min(text.len()));
        format!("{:?}", &text[start..end])
    };
    let mut out = format!(
        "first difference at byte {at} (line {line}, column {column}); expected {} bytes, got {}\n  expected: {}\n  got:      {}",
        expected.len(),
        got.len(),
        around(expected),
        around(got),
    );
    if expected.len() + got.len() <= 4096 {
        let _ = write!(out, "\n--- expected\n{expected}\n--- got\n{got}\n---");
    }
    out
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}
