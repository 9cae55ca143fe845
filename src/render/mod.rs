//! The bytes: the streaming rewriter that carries out a plan on a page as it arrives.

mod edit;
mod label;
mod listing;
mod rewriter;
mod text_replace;

pub use rewriter::{StreamRewriter, render};
