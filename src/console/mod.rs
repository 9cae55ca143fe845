//! The console's pure logic (issue 10, `docs/console.md`): revisions and the publish decision,
//! change summaries, sign-in (the admin token, the session cookie, the sign-in throttle,
//! Cloudflare Access tokens and keys), the CSRF rules, the audit log, and validation problems as
//! the API writes them.
//!
//! Nothing here does I/O: time comes in as Unix seconds and secrets as bytes, and the edge layer
//! (`src/edge/console/`) does the KV, D1, Durable Object and WebCrypto work around these.
//!
//! The shop's wasm module (built without the `console` feature) needs only the session cookie's
//! name (to keep it from the origin) and the Access team domain's check (whether the console is
//! on): `access` and `session` are always here, the rest only where the console is served.

pub mod access;
#[cfg(console_code)]
pub mod audit;
#[cfg(console_code)]
pub mod auth;
#[cfg(console_code)]
pub mod csrf;
#[cfg(console_code)]
pub mod problems;
#[cfg(console_code)]
pub mod revision;
pub mod session;
#[cfg(console_code)]
pub mod summary;
#[cfg(console_code)]
pub mod throttle;
#[cfg(console_code)]
pub mod who_matches;
