//! The console's pure logic (issue 10, `docs/console.md`): revisions and the publish decision,
//! change summaries, sign-in (the admin token, the session cookie, the sign-in throttle,
//! Cloudflare Access tokens and keys), the CSRF rules, the audit log, and validation problems as
//! the API writes them.
//!
//! Nothing here does I/O: time comes in as Unix seconds and secrets as bytes, and the edge layer
//! (`src/edge/console/`) does the KV, D1, Durable Object and WebCrypto work around these.

pub mod access;
pub mod audit;
pub mod auth;
pub mod csrf;
pub mod problems;
pub mod revision;
pub mod session;
pub mod summary;
pub mod throttle;
pub mod who_matches;
