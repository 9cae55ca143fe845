//! The admin token (`VENEER_ADMIN_TOKEN`): comparing it in constant time, and reading it from an
//! `Authorization: Bearer` header.
//!
//! The comparison never uses `==`: both tokens are MACed under a fixed key and the tags compared
//! with `hmac`'s constant-time `verify_slice`, so neither the position of the first wrong byte
//! nor the token's length shows in the timing.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Longest token compared; a longer one is refused without work.
pub const MAX_TOKEN_LEN: usize = 4_096;

/// What the audit log calls a person who used `Authorization: Bearer` (a script).
pub const BEARER_NAME: &str = "token";

/// Fixed key of the comparison MAC: it only makes the two tags comparable in constant time.
const COMPARE_KEY: &[u8] = b"veneer-admin-token-compare|v1";

/// Whether `presented` is the admin token `expected`, in constant time; never when `expected`
/// is empty (no token configured) or `presented` is over [`MAX_TOKEN_LEN`].
pub fn admin_token_matches(expected: &str, presented: &str) -> bool {
    if expected.is_empty() || presented.len() > MAX_TOKEN_LEN {
        return false;
    }
    let tag = |token: &str| {
        Hmac::<Sha256>::new_from_slice(COMPARE_KEY).map(|mut mac| {
            mac.update(token.as_bytes());
            mac
        })
    };
    match (tag(expected), tag(presented)) {
        (Ok(expected), Ok(presented)) => presented
            .verify_slice(&expected.finalize().into_bytes())
            .is_ok(),
        _ => false,
    }
}

/// The token of an `Authorization: Bearer <token>` header value (scheme in any case), or
/// `None` for another scheme or an empty token.
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_token_matches_only_itself() {
        let token = "s3cret-Token_with.many~chars";
        assert!(admin_token_matches(token, token));
        for wrong in [
            "",
            "s3cret-Token_with.many~char",
            "s3cret-Token_with.many~charss",
            "S3cret-Token_with.many~chars",
            " s3cret-Token_with.many~chars",
            "s3cret-Token_with.many~chars\0",
        ] {
            assert!(!admin_token_matches(token, wrong), "{wrong:?}");
        }
        assert!(admin_token_matches("é😀", "é😀"));
    }

    #[test]
    fn no_configured_token_matches_nothing() {
        assert!(!admin_token_matches("", ""));
        assert!(!admin_token_matches("", "anything"));
    }

    #[test]
    fn huge_tokens_are_refused() {
        let long = "a".repeat(MAX_TOKEN_LEN + 1);
        assert!(!admin_token_matches(&long, &long));
        let max = "a".repeat(MAX_TOKEN_LEN);
        assert!(admin_token_matches(&max, &max));
    }

    #[test]
    fn bearer_headers() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer   abc  "), Some("abc"));
        assert_eq!(bearer_token("BEARER abc.def"), Some("abc.def"));
        for bad in [
            "",
            "Bearer",
            "Bearer ",
            "Bearer    ",
            "Basic abc",
            "Bearerabc",
            "Token abc",
        ] {
            assert_eq!(bearer_token(bad), None, "{bad:?}");
        }
    }
}
