//! The Workers glue, and the only code that touches the runtime: the fetch handler, deployment
//! config, the rules cache, the origin fetch, the streamed response, recording experiments, and the
//! marketer console.
//!
//! It fails open everywhere: when anything goes wrong the visitor gets the origin's own
//! response, and one log line ([`runtime::log_event`]) says why.

mod config;
mod console;
mod handler;
mod origin;
mod recording;
mod rules_cache;
mod runtime;
mod stream;
