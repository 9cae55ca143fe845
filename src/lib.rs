//! Veneer: rewrite a storefront's HTML at the edge, as it streams, from marketer-defined rules.
//!
//! The crate is a pure core (rules, conditions, decisions, rewriting, response policy) that
//! compiles and tests natively, plus a thin `edge` module that only exists on wasm32 and talks
//! to the Workers runtime.

pub mod bucketing;
pub mod condition;
pub mod context;
pub mod decide;
pub mod diagnostic;
pub mod pages;
pub mod policy;
pub mod rewrite;
pub mod rules;
pub mod schedule;
pub mod session;
pub mod signing;
pub mod template;
pub mod text_replace;

#[cfg(target_arch = "wasm32")]
mod edge;
