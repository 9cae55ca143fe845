//! Which random chunkings the chunking tests feed a rewriter, read from the environment, and how
//! a failure tells the way to rerun just the chunking that failed.
//!
//! One file for both users: `tests/rewrite_fixtures.rs` and the unit tests of
//! `src/render/text_replace.rs` include it with `#[path]` (integration tests cannot see the
//! library's `#[cfg(test)]` items, and the library cannot see `tests/`).
//!
//! | variable | effect |
//! | --- | --- |
//! | `VENEER_CHUNK_SEED=<n>` | run only seed `n` (what a failure message prints) |
//! | `VENEER_CHUNK_SEEDS=<count>` | run `count` seeds (each test has its own default) |
//! | `VENEER_CHUNK_MAX=<bytes>` | largest random chunk (each test has its own default) |
//!
//! Each test keeps its own size generator, so a seed means the same chunking as before.

// Each includer uses a different part of this file.
#![allow(dead_code)]

use std::env;

/// The seeds to run and the largest random chunk, as the environment overrides them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RandomChunks {
    seeds: Vec<u64>,
    max: Option<usize>,
}

impl RandomChunks {
    /// Seeds `first..first + count` and each test's own largest chunk, unless the environment
    /// says otherwise (see the module documentation).
    pub fn from_env(first: u64, count: u64) -> Self {
        let seed = number("VENEER_CHUNK_SEED");
        let count = number("VENEER_CHUNK_SEEDS").unwrap_or(count);
        let max = number("VENEER_CHUNK_MAX").map(|max| {
            assert!(max >= 1, "VENEER_CHUNK_MAX must be at least 1");
            usize::try_from(max).expect("VENEER_CHUNK_MAX fits usize")
        });
        let seeds = match seed {
            Some(seed) => vec![seed],
            None => (first..first.saturating_add(count)).collect(),
        };
        RandomChunks { seeds, max }
    }

    /// The seeds to run, in order.
    pub fn seeds(&self) -> &[u64] {
        &self.seeds
    }

    /// The largest random chunk: `VENEER_CHUNK_MAX` when set, else the test's own `default`.
    pub fn max_or(&self, default: usize) -> usize {
        self.max.unwrap_or(default)
    }
}

/// The failure text for one random chunking: its seed and largest chunk, and the command that
/// reruns exactly that chunking.
pub fn rerun(seed: u64, max: usize, command: &str) -> String {
    format!(
        "random chunks of 1 to {max} bytes, seed {seed}; rerun only this chunking with \
         `VENEER_CHUNK_SEED={seed} VENEER_CHUNK_MAX={max} {command}`"
    )
}

fn number(name: &str) -> Option<u64> {
    let value = env::var(name).ok()?;
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    Some(
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, found {value:?}")),
    )
}
