//! The Workers glue, and the only code that touches the runtime: the fetch handler, deployment
//! config, the rules cache, the origin fetch, the streamed response, recording experiments, and the
//! marketer console.
//!
//! It fails open everywhere: when anything goes wrong the visitor gets the origin's own
//! response, and one log line ([`runtime::log_event`]) says why.
//!
//! Two features choose what a wasm module serves (`make wasm` builds each alone): `shop`, the
//! visitors' requests (the handler, the origin, the stream, recording), and `console`, the
//! marketer console and its Durable Object. What both need (config, the rules cache, the
//! runtime helpers, D1, the console's settings) is always here.

mod config;
#[cfg(feature = "console")]
mod console;
mod console_settings;
mod d1;
#[cfg(feature = "shop")]
mod handler;
#[cfg(feature = "shop")]
mod origin;
#[cfg(feature = "shop")]
mod recording;
mod rules_cache;
mod runtime;
#[cfg(feature = "shop")]
mod stream;
