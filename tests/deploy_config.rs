//! The deployment configuration check: no cache in front of the worker may store a response
//! that differs per visitor. Workers Cache (`[cache]` with `enabled = true` in wrangler.toml)
//! would: it caches a 200 without Cache-Control for two hours by heuristic, keys on path and
//! query but not on the host or cookies, and serves stale copies on error (docs/hardening.md).
//! `cargo test --test deploy_config` fails on such a wrangler.toml; point `VENEER_WRANGLER` at
//! another file to check a deployment's own.

use std::fs;
use std::path::PathBuf;

/// Why `toml` (the text of a wrangler.toml) could let a cache store personalized pages.
fn cache_problems(toml: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut table = String::new();
    for (n, raw) in toml.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.starts_with('[') {
            table = line
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_owned();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        let enabled = |v: &str| v.contains("true");
        if (table == "cache" && key == "enabled" && enabled(value))
            || (table.is_empty() && key == "cache" && enabled(value))
        {
            problems.push(format!(
                "line {}: Workers Cache is enabled; it would store one visitor's page for others (remove it)",
                n + 1
            ));
        }
        if table == "vars"
            && key == "RULES_CACHE_SECONDS"
            && value.trim_matches('"').parse::<u64>().is_err()
        {
            problems.push(format!(
                "line {}: RULES_CACHE_SECONDS is not a number",
                n + 1
            ));
        }
    }
    problems
}

#[test]
fn the_deployments_wrangler_toml_lets_no_cache_store_personalized_pages() {
    let path = std::env::var_os("VENEER_WRANGLER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("wrangler.toml"));
    let toml = fs::read_to_string(&path).unwrap();
    assert_eq!(
        cache_problems(&toml),
        Vec::<String>::new(),
        "{}",
        path.display()
    );
}

#[test]
fn the_check_finds_workers_cache_in_either_spelling() {
    assert_eq!(
        cache_problems("name = \"veneer\"\n[cache]\nenabled = true\n"),
        [
            "line 3: Workers Cache is enabled; it would store one visitor's page for others (remove it)"
        ]
    );
    assert_eq!(cache_problems("cache = { enabled = true }\n").len(), 1);
    assert_eq!(
        cache_problems("[cache]\nenabled = false # off\n"),
        Vec::<String>::new()
    );
}
