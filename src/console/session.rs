//! The console session cookie, set after an admin-token sign-in, and the names people give.
//!
//! A session value is
//!
//! ```text
//! v1.<expires_at>.<base64url(name)>.<base64url(HMAC-SHA256(session key,
//!     "veneer-session|v1|<expires_at>|<base64url(name)>"))>
//! ```
//!
//! like the preview token (`src/request/signing.rs`): `<expires_at>` is Unix seconds in canonical
//! decimal, base64url is unpadded, the tag is the full 32 bytes (43 characters). The session key
//! is `HMAC-SHA256(secret, "veneer-console-session-key|v1")`, a key derived for this purpose only,
//! so no preview token or other value signed with the secret itself can ever pass as a session.
//! Every character is a cookie-octet. A session is accepted while `now < expires_at`, and only
//! if it expires at most [`MAX_SESSION_TTL_SECS`] after `now`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use sha2::Sha256;

use crate::request::{parse_canonical_u64, rfc3339_utc};

/// The console session cookie's name.
pub const SESSION_COOKIE: &str = "veneer_console";

/// How long a console session lasts (12 hours).
pub const SESSION_TTL_SECS: u64 = 12 * 3_600;

/// Longest session lifetime made or accepted (7 days).
pub const MAX_SESSION_TTL_SECS: u64 = 7 * 86_400;

/// Longest session value verified; anything longer was not made by [`make_session`].
pub const MAX_SESSION_LEN: usize = 512;

/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

const VERSION: &str = "v1";
const KEY_LABEL: &[u8] = b"veneer-console-session-key|v1";
const MESSAGE_PREFIX: &[u8] = b"veneer-session|v1|";
const SIG_CHARS: usize = 43;

/// Characters written percent-encoded in a cookie value: all that are not RFC 6265 cookie-octets.
const NOT_COOKIE_OCTET: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b',').add(b';').add(b'\\');

/// Characters written percent-encoded in a cookie's `Path`: controls, space and `;`.
const NOT_PATH_OCTET: &AsciiSet = &CONTROLS.add(b' ').add(b';');

/// A signed-in person, as a verified session says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The name they gave at sign-in (for the audit log).
    pub name: String,
    /// When the session ends, Unix seconds.
    pub expires_at: u64,
}

/// Why a session cookie was refused (for logs: the API only says "sign in").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// No secret to sign sessions with.
    #[error(
        "no secret to sign console sessions with: set VENEER_SECRET (wrangler secret put \
         VENEER_SECRET)"
    )]
    NoSecret,
    /// Not `v1.<expiry>.<name>.<signature>`, or its name breaks the name rules.
    #[error("console session cookie is malformed; sign in again")]
    Malformed,
    /// Signed with another secret, or edited.
    #[error(
        "console session signature does not match (the secret changed, or the cookie was \
         edited); sign in again"
    )]
    BadSignature,
    /// Genuine but over.
    #[error("console session expired at {}; sign in again", rfc3339_utc(*.expired_at))]
    Expired {
        /// When it ended, Unix seconds.
        expired_at: u64,
    },
    /// Genuine but lasting longer than [`MAX_SESSION_TTL_SECS`] from now.
    #[error(
        "console session is valid until {}, more than 7 days from now (was the clock wrong when \
         it was made?); sign in again",
        rfc3339_utc(*.expires_at)
    )]
    TooLong {
        /// Its claimed end, Unix seconds.
        expires_at: u64,
    },
}

/// Why a name given at sign-in was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Nothing but spaces.
    #[error("give your name: it goes into the audit log with everything you change")]
    Empty,
    /// Over [`MAX_NAME_CHARS`].
    #[error("the name is {chars} characters long; keep it to {MAX_NAME_CHARS}")]
    TooLong {
        /// Its length in characters, after trimming.
        chars: usize,
    },
    /// Holds a control or invisible character.
    #[error(
        "the name holds an invisible or control character at position {position}; type it \
         again with visible characters only"
    )]
    Unprintable {
        /// 1-based position of the first such character, in characters.
        position: usize,
    },
}

/// The name as kept: trimmed, 1 to [`MAX_NAME_CHARS`] characters, none of them a control
/// character or an invisible formatting one (zero-width, bidirectional overrides).
pub fn clean_name(raw: &str) -> Result<String, NameError> {
    let name = raw.trim();
    if let Some(position) = name.chars().position(is_unprintable) {
        return Err(NameError::Unprintable {
            position: position + 1,
        });
    }
    match name.chars().count() {
        0 => Err(NameError::Empty),
        chars if chars > MAX_NAME_CHARS => Err(NameError::TooLong { chars }),
        _ => Ok(name.to_owned()),
    }
}

fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// A session value for `name` (from [`clean_name`]) lasting `ttl` seconds from `now` (at most
/// [`MAX_SESSION_TTL_SECS`]).
///
/// An empty `secret` makes a value that [`verify_session`] always refuses.
pub fn make_session(secret: &[u8], name: &str, now: u64, ttl: u64) -> String {
    let expires_at = now.saturating_add(ttl.min(MAX_SESSION_TTL_SECS));
    let encoded_name = URL_SAFE_NO_PAD.encode(name.as_bytes());
    let signature = session_mac(secret, expires_at, &encoded_name)
        .map(|mac| URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
        .unwrap_or_default();
    format!("{VERSION}.{expires_at}.{encoded_name}.{signature}")
}

/// Checks a session value against the secret and the time: the signature (in constant time),
/// then the expiry (`now >= expires_at` is expired) and the 7-day maximum.
pub fn verify_session(secret: &[u8], value: &str, now: u64) -> Result<Session, SessionError> {
    if secret.is_empty() {
        return Err(SessionError::NoSecret);
    }
    if value.len() > MAX_SESSION_LEN {
        return Err(SessionError::Malformed);
    }
    let mut parts = value.split('.');
    let (Some(VERSION), Some(expiry), Some(encoded_name), Some(signature), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(SessionError::Malformed);
    };
    if signature.len() != SIG_CHARS {
        return Err(SessionError::Malformed);
    }
    let expires_at = parse_canonical_u64(expiry).ok_or(SessionError::Malformed)?;
    let name_bytes = URL_SAFE_NO_PAD
        .decode(encoded_name)
        .map_err(|_| SessionError::Malformed)?;
    let tag = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| SessionError::Malformed)?;
    let genuine = session_mac(secret, expires_at, encoded_name)
        .is_some_and(|mac| mac.verify_slice(&tag).is_ok());
    if !genuine {
        return Err(SessionError::BadSignature);
    }
    if expires_at <= now {
        return Err(SessionError::Expired {
            expired_at: expires_at,
        });
    }
    if expires_at - now > MAX_SESSION_TTL_SECS {
        return Err(SessionError::TooLong { expires_at });
    }
    let name = String::from_utf8(name_bytes).map_err(|_| SessionError::Malformed)?;
    match clean_name(&name) {
        Ok(clean) if clean == name => Ok(Session { name, expires_at }),
        _ => Err(SessionError::Malformed),
    }
}

/// The `Set-Cookie` value that stores a session: `HttpOnly`, `SameSite=Strict`, `Path` = the
/// console prefix, `Max-Age`, and `Secure` on https.
///
/// Bytes that cannot appear in a cookie value or path are percent-encoded (a value from
/// [`make_session`] has none), so no argument can add an attribute.
pub fn session_cookie_header(value: &str, path: &str, secure: bool, max_age: u64) -> String {
    let value = utf8_percent_encode(value, NOT_COOKIE_OCTET);
    let path = cookie_path(path);
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    )
}

/// The `Set-Cookie` value that signs out: the session cookie, empty, with `Max-Age=0`.
pub fn clear_session_cookie_header(path: &str, secure: bool) -> String {
    session_cookie_header("", path, secure, 0)
}

fn cookie_path(path: &str) -> String {
    let encoded = utf8_percent_encode(path, NOT_PATH_OCTET).to_string();
    if encoded.starts_with('/') {
        encoded
    } else {
        format!("/{encoded}")
    }
}

/// The MAC of a session's signed message, under the session key derived from `secret`.
fn session_mac(secret: &[u8], expires_at: u64, encoded_name: &str) -> Option<Hmac<Sha256>> {
    let mut derive = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    derive.update(KEY_LABEL);
    let key = derive.finalize().into_bytes();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(MESSAGE_PREFIX);
    mac.update(expires_at.to_string().as_bytes());
    mac.update(b"|");
    mac.update(encoded_name.as_bytes());
    Some(mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"veneer-test-secret";
    /// 2026-11-25T12:00:00Z.
    const NOW: u64 = 1_795_608_000;

    /// Computed independently with Python's `hmac`, `hashlib` and `base64`.
    #[test]
    fn known_answer() {
        assert_eq!(
            make_session(SECRET, "Ana", NOW, SESSION_TTL_SECS),
            "v1.1795651200.QW5h.faWLNBKCbXZha4_haNxjR2iHqnerFUDYxe9AYGrX3tA"
        );
    }

    #[test]
    fn round_trip() {
        for name in [
            "Ana",
            "ana@shop.example",
            "Zoë Ångström 😀",
            &"x".repeat(64),
            "a b",
        ] {
            let value = make_session(SECRET, name, NOW, SESSION_TTL_SECS);
            assert_eq!(
                verify_session(SECRET, &value, NOW),
                Ok(Session {
                    name: name.to_owned(),
                    expires_at: NOW + SESSION_TTL_SECS
                }),
                "{name}"
            );
            assert!(value.len() <= MAX_SESSION_LEN);
        }
    }

    #[test]
    fn expiry_boundaries() {
        let value = make_session(SECRET, "Ana", NOW, 60);
        assert!(verify_session(SECRET, &value, NOW + 59).is_ok());
        assert_eq!(
            verify_session(SECRET, &value, NOW + 60),
            Err(SessionError::Expired {
                expired_at: NOW + 60
            })
        );
        let message = SessionError::Expired { expired_at: NOW }.to_string();
        assert_eq!(
            message,
            "console session expired at 2026-11-25T12:00:00Z; sign in again"
        );
        // Lifetimes are capped when made, and refused when a session claims more.
        let long = make_session(SECRET, "Ana", NOW, u64::MAX);
        assert_eq!(
            verify_session(SECRET, &long, NOW).map(|s| s.expires_at),
            Ok(NOW + MAX_SESSION_TTL_SECS)
        );
        assert_eq!(
            verify_session(SECRET, &long, NOW - 1),
            Err(SessionError::TooLong {
                expires_at: NOW + MAX_SESSION_TTL_SECS
            })
        );
        let at_end = make_session(SECRET, "Ana", u64::MAX - 5, 60);
        assert_eq!(
            verify_session(SECRET, &at_end, u64::MAX - 1).map(|s| s.expires_at),
            Ok(u64::MAX)
        );
    }

    #[test]
    fn other_secrets_and_no_secret() {
        let value = make_session(SECRET, "Ana", NOW, 60);
        assert_eq!(
            verify_session(b"other", &value, NOW),
            Err(SessionError::BadSignature)
        );
        assert_eq!(
            verify_session(b"", &value, NOW),
            Err(SessionError::NoSecret)
        );
        let unsigned = make_session(b"", "Ana", NOW, 60);
        assert_eq!(
            verify_session(b"", &unsigned, NOW),
            Err(SessionError::NoSecret)
        );
        assert_eq!(
            verify_session(SECRET, &unsigned, NOW),
            Err(SessionError::BadSignature)
        );
    }

    #[test]
    fn a_preview_token_is_never_a_session() {
        let preview = crate::request::make_preview_token(SECRET, NOW + 60);
        assert_eq!(
            verify_session(SECRET, &preview, NOW),
            Err(SessionError::Malformed)
        );
        // Even shaped like a session and signed the preview way (raw secret, no derived key).
        let name = URL_SAFE_NO_PAD.encode("Ana");
        let expires = NOW + 60;
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET).unwrap_or_else(|e| panic!("{e}"));
        mac.update(format!("veneer-session|v1|{expires}|{name}").as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        let forged = format!("v1.{expires}.{name}.{sig}");
        assert_eq!(
            verify_session(SECRET, &forged, NOW),
            Err(SessionError::BadSignature)
        );
    }

    #[test]
    fn any_single_character_edit_is_refused() {
        let value = make_session(SECRET, "Ana", NOW, SESSION_TTL_SECS);
        let chars: Vec<char> = value.chars().collect();
        let mut replacements: Vec<char> = (0x20u8..0x7f).map(char::from).collect();
        replacements.extend(['\0', 'é', '😀']);
        let mut edits = 0;
        for i in 0..chars.len() {
            for &r in &replacements {
                if r == chars[i] {
                    continue;
                }
                let mut edited = chars.clone();
                edited[i] = r;
                let edited: String = edited.into_iter().collect();
                assert!(verify_session(SECRET, &edited, NOW).is_err(), "{edited}");
                edits += 1;
            }
            let mut deleted = chars.clone();
            deleted.remove(i);
            let deleted: String = deleted.into_iter().collect();
            assert!(verify_session(SECRET, &deleted, NOW).is_err(), "{deleted}");
        }
        assert!(edits > 5_000);
    }

    #[test]
    fn garbage_is_malformed() {
        let good = make_session(SECRET, "Ana", NOW, 60);
        for bad in [
            String::new(),
            "v1".into(),
            "v1...".into(),
            good.replacen("v1", "v2", 1),
            format!("{good}.x"),
            good.replacen(".17", ".017", 1),
            good.replacen(".17", ".+17", 1),
            format!("v1.{}.QW5h.{}", "9".repeat(21), "A".repeat(43)),
            "a".repeat(MAX_SESSION_LEN + 1),
            "😀".repeat(100),
        ] {
            assert_eq!(
                verify_session(SECRET, &bad, NOW),
                Err(SessionError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_genuine_session_with_a_bad_name_is_refused() {
        for name in ["", " Ana", "A\u{202E}na", &"x".repeat(65)] {
            let value = make_session(SECRET, name, NOW, 60);
            assert_eq!(
                verify_session(SECRET, &value, NOW),
                Err(SessionError::Malformed),
                "{name:?}"
            );
        }
    }

    #[test]
    fn session_values_are_cookie_safe() {
        let value = make_session(SECRET, "Zoë \"; Path=/", NOW, 60);
        assert!(
            value.bytes().all(|b| matches!(
                b,
                0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E
            )),
            "{value}"
        );
    }

    #[test]
    fn names() {
        assert_eq!(clean_name("  Ana  "), Ok("Ana".into()));
        assert_eq!(clean_name("Zoë 😀"), Ok("Zoë 😀".into()));
        assert_eq!(clean_name(&"é".repeat(64)), Ok("é".repeat(64)));
        assert_eq!(clean_name(" \t\n "), Err(NameError::Empty));
        assert_eq!(clean_name(""), Err(NameError::Empty));
        assert_eq!(
            clean_name(&"é".repeat(65)),
            Err(NameError::TooLong { chars: 65 })
        );
        for (bad, position) in [
            ("An\u{0}a", 3),
            ("A\nna", 2),
            ("Ana\u{202E}moc.exe", 4),
            ("\u{200B}Ana", 1),
            ("A\u{FEFF}", 2),
            ("A\u{7F}", 2),
            ("A\u{85}B", 2),
        ] {
            assert_eq!(
                clean_name(bad),
                Err(NameError::Unprintable { position }),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn cookie_headers() {
        assert_eq!(
            session_cookie_header("v1.1.QW5h.sig", "/__veneer/", true, SESSION_TTL_SECS),
            "veneer_console=v1.1.QW5h.sig; Path=/__veneer/; Max-Age=43200; HttpOnly; \
             SameSite=Strict; Secure"
        );
        assert_eq!(
            session_cookie_header("v", "/console/", false, 5),
            "veneer_console=v; Path=/console/; Max-Age=5; HttpOnly; SameSite=Strict"
        );
        assert_eq!(
            clear_session_cookie_header("/__veneer/", true),
            "veneer_console=; Path=/__veneer/; Max-Age=0; HttpOnly; SameSite=Strict; Secure"
        );
        // No argument can add an attribute or a header.
        assert_eq!(
            session_cookie_header("a; Domain=evil\r\nX: y", "x; Secure\r\n", false, 1),
            "veneer_console=a%3B%20Domain=evil%0D%0AX:%20y; Path=/x%3B%20Secure%0D%0A; Max-Age=1; \
             HttpOnly; SameSite=Strict"
        );
        assert_eq!(
            clear_session_cookie_header("/ü/", false),
            "veneer_console=; Path=/%C3%BC/; Max-Age=0; HttpOnly; SameSite=Strict"
        );
    }
}
