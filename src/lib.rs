//! Veneer: rewrite a storefront's HTML at the edge, as it streams, from marketer-defined rules.
//!
//! The crate is a pure core that compiles and tests natively, plus a thin `edge` module that
//! only exists on wasm32 and is the only code that talks to the Workers runtime. The core runs
//! in stages, each a folder (see `ARCHITECTURE.md`): the rules document is compiled once
//! ([`compile`]), each request's visitor is described ([`attributes`]), a pure decision says what
//! changes for that visitor on that page ([`decide`]), and the page is rewritten as it streams
//! ([`StreamRewriter`]).
//!
//! ```
//! use veneer::{Visit, compile, decide, render};
//!
//! let rules = compile(r#"{"rules": [{"id": "promo", "pages": ["/"],
//!     "audience": {"country": "DE"},
//!     "actions": [{"select": "h1", "set_text": "Hallo {{country}}"}]}]}"#)?;
//! assert!(rules.problems.is_empty());
//!
//! let visitor = serde_json::json!({"country": "DE"});
//! let now = chrono::DateTime::UNIX_EPOCH;
//! let decision = decide(&rules, &Visit::new(&visitor, "/", now), false);
//! let page = render(&decision.plan, b"<h1>Hello</h1><p>Shoes</p>");
//! assert_eq!(page, b"<h1>Hallo DE</h1><p>Shoes</p>");
//! # Ok::<(), veneer::RulesError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Parts of the core serve only the edge, which exists on wasm32 alone: dead code is judged on
// the wasm32 builds that serve the shop, with the console (the default features) and without it
// (the shop's module); `make lint` runs clippy on both with `-D warnings`. The console's module
// alone leaves most of the shop's code unused.
#![cfg_attr(
    any(not(target_arch = "wasm32"), not(feature = "shop")),
    allow(dead_code, unused_imports)
)]

mod condition;
// Some of the console's pure helpers serve only its tests and the fuzz targets.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
mod console;
mod diagnostic;
mod document;
mod engine;
mod policy;
mod recording;
mod render;
mod request;
// Experiment results: only the console's module and the command line analyze them.
#[cfg(console_code)]
mod stats;

#[cfg(target_arch = "wasm32")]
mod edge;

/// Which random chunkings the chunking unit tests run (shared with `tests/rewrite_fixtures.rs`).
#[cfg(test)]
#[path = "../tests/support/chunks.rs"]
mod test_chunks;

pub use diagnostic::{JsonPath, Problem, Segment};
pub use document::{
    CompiledRules, MAX_DOCUMENT_BYTES, MAX_RULES, RulesError, compile, compile_within, schema,
};
pub use engine::{AssignmentTrace, Decision, Plan, Visit, decide};
pub use render::{StreamRewriter, render};
pub use request::{
    ContextSettings, Geo, RequestFacts, attributes, make_preview_token, parse_duration, rfc3339_utc,
};

/// Experiment results with GrowthBook's statistics (gbstats 0.8): per-variation [`Counts`] in,
/// effects with intervals, p-values or chances to win, and the sample-ratio check out
/// (`docs/results.md`).
///
/// [`Counts`]: results::Counts
#[cfg(console_code)]
pub mod results {
    pub use crate::stats::{
        Comparison, Counts, DayCount, Effect, Engine, MetricCounts, MetricKind, MetricResult,
        MetricStatus, MetricVariation, NotEnoughData, Options, Prior, Results, Srm, SrmStatus,
        Totals, UnitRow, VariationCount, Verdict, aggregate, analyze,
    };
}

/// GrowthBook-compatible building blocks, public so they can be checked against GrowthBook's
/// own conformance suite: targeting conditions and FNV-1a bucketing.
pub mod growthbook {
    pub use crate::condition::{Condition, EvalContext, NoAudiences};
    pub use crate::document::Namespace;
    pub use crate::engine::bucketing::{
        bucket_ranges, choose_variation, equal_weights, hash, in_namespace,
    };
}

/// Internals the fuzz targets (`fuzz/`) and their regression test drive directly; not a stable API.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::console::session::{make_session, verify_session};
    pub use crate::document::compile_value;
    pub use crate::request::{
        PreviewState, RequestInput, Session, SessionInput, decode_assignments, decoded_path,
        encode_assignments, split_url, verify_preview_token,
    };

    /// The `Cookie` header without the pairs named `name` (what the edge forwards).
    pub fn without_cookie(header: &str, name: &str) -> Option<String> {
        crate::request::without_cookie(header, name)
    }

    /// The first non-empty value of cookie `name` (the one cookie parser).
    pub fn cookie<'h>(headers: &'h http::HeaderMap, name: &str) -> Option<&'h str> {
        crate::request::cookie(headers, name)
    }
}
