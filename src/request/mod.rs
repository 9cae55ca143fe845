//! Who is this visitor: the URL, cookies, headers, user agent, session and signed values of one
//! request, read without I/O and with bounded work on hostile input.

mod attributes;
mod cookies;
mod query;
mod session;
mod signing;
mod text;
mod url;
mod user_agent;

pub use attributes::{ContextSettings, Geo, RequestFacts, attributes};
pub(crate) use cookies::{cookie, without_cookie};
#[cfg(console_code)]
pub(crate) use query::param;
pub use session::{
    PREVIEW_BADGE, PREVIEW_COOKIE, PREVIEW_PARAM, PreviewState, RequestInput, Session, SessionInput,
};
pub(crate) use signing::parse_canonical_u64;
pub use signing::{decode_assignments, encode_assignments, verify_preview_token};
pub use signing::{make_preview_token, parse_duration, rfc3339_utc};
pub use url::{UrlParts, decoded_path, split_url};
