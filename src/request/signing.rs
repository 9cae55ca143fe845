//! Signed values Veneer hands to browsers: preview tokens, sticky assignment cookies and visitor ids.
//!
//! Everything here is pure: time comes in as Unix seconds, randomness comes in as bytes, and no
//! input (hostile cookie values, huge strings, non-ASCII text) can make a function panic or
//! allocate in proportion to more than a few kilobytes of it.
//!
//! # Preview tokens
//!
//! A marketer opens any page with `?veneer_preview=<token>` to see draft rules. A token is
//!
//! ```text
//! v1.<expires_at>.<base64url(HMAC-SHA256(VENEER_SECRET, "veneer-preview|v1|<expires_at>"))>
//! ```
//!
//! where `<expires_at>` is Unix seconds in canonical decimal (no sign, no leading zeros) and the
//! signature is the full 32-byte tag as unpadded base64url (43 characters), for example
//! `v1.1795608000.Sk6yUmd8Fqdzfl5JvHXNMVGnui_rOx76T1LLfG9UFkI`. Every character is URL-safe, so the
//! token needs no percent-encoding. A token is accepted while `now < expires_at`, and only if it
//! expires at most [`MAX_PREVIEW_TTL_SECS`] (30 days) after `now`; with no `VENEER_SECRET` set,
//! previews are off altogether ([`TokenError::NoSecret`]).
//!
//! # Sticky assignment cookie
//!
//! Once a visitor has seen a variation, later changes to weights or coverage must not move them,
//! so their assignments are kept in a cookie whose value is
//!
//! ```text
//! <experiment>=<variation>~<experiment>=<variation>.<base64url(first 16 bytes of
//!     HMAC-SHA256(key, "veneer-assign|" + visitor_id + "|" + payload))>
//! ```
//!
//! for example `hero-copy=bold~exp2=control.KqtHnm43igJsZZW3XHbJyQ`, where the payload is
//! everything before the last `.` and the signature is always 22 characters. Ids are
//! `[A-Za-z0-9_-]{1,64}`, so the value only ever holds RFC 6265 cookie-octets. Binding the
//! signature to the visitor id means a value copied to another visitor is ignored; a tampered,
//! truncated or foreign value is ignored entirely (never partially trusted). An encoded value
//! holds at most [`MAX_ASSIGNMENTS`] pairs in at most [`MAX_ASSIGNMENTS_ENCODED_LEN`] bytes.
//!
//! The key is `VENEER_SECRET`. When no secret is set, values are still signed, with the fixed
//! built-in key `veneer-assign-builtin-key-v1 (not secret: tamper-evident only)`. That key is
//! public, so such a cookie is then only checksummed: it catches accidental corruption and
//! copy-paste between visitors, not a determined visitor who forges their own assignments. A
//! deployment with a secret never accepts values signed with the built-in key.
//!
//! # Secret handling
//!
//! Both formats use the same secret; their distinct message prefixes (`veneer-preview|` and
//! `veneer-assign|`) keep a signature of one kind from ever passing as the other. Rotating
//! `VENEER_SECRET` (or setting one for the first time) invalidates all outstanding preview
//! tokens and drops every visitor's sticky assignments, so they are re-bucketed once.
//!
//! # Visitor ids
//!
//! [`visitor_id_from_bytes`] turns 16 random bytes (from the runtime's
//! `crypto.getRandomValues`) into a 22-character base64url id, and [`is_valid_visitor_id`] keeps
//! a hostile cookie value from being used as an id.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Datelike, Timelike};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Longest preview lifetime accepted, so a leaked token stops working within 30 days.
pub const MAX_PREVIEW_TTL_SECS: u64 = 30 * 86_400;

/// Longest preview token verified, so hostile query strings are rejected before any work.
pub const MAX_PREVIEW_TOKEN_LEN: usize = 512;

/// Most assignment pairs kept in (or accepted from) the cookie, bounding its size and parse cost.
pub const MAX_ASSIGNMENTS: usize = 50;

/// Byte budget for an encoded assignments value, leaving room under browsers' 4 KiB cookie limit.
pub const MAX_ASSIGNMENTS_ENCODED_LEN: usize = 3_000;

/// Longest assignments value decoded; anything longer did not come from [`encode_assignments`].
pub const MAX_ASSIGNMENTS_COOKIE_LEN: usize = 4_096;

/// Longest experiment, variation or visitor id, so ids stay cheap to store, sign and compare.
pub const MAX_ID_LEN: usize = 64;

/// Version tag leading every preview token.
const PREVIEW_VERSION: &str = "v1";

/// Domain-separation prefix of the signed preview message (followed by the expiry).
const PREVIEW_MESSAGE_PREFIX: &[u8] = b"veneer-preview|v1|";

/// Characters in a base64url-encoded 32-byte HMAC-SHA256 tag.
const PREVIEW_SIG_CHARS: usize = 43;

/// Domain-separation prefix of the signed assignments message.
const ASSIGN_MESSAGE_PREFIX: &[u8] = b"veneer-assign|";

/// Bytes of the HMAC tag kept in the assignments cookie (128 bits).
const ASSIGN_TAG_LEN: usize = 16;

/// Characters in a base64url-encoded [`ASSIGN_TAG_LEN`]-byte tag.
const ASSIGN_SIG_CHARS: usize = 22;

/// Public key used for assignment cookies when no `VENEER_SECRET` is set: a checksum, not a secret.
const BUILTIN_ASSIGN_KEY: &[u8] = b"veneer-assign-builtin-key-v1 (not secret: tamper-evident only)";

/// Why a preview token was refused, worded so an operator knows what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The token is not `v1.<expires_at>.<signature>` (or is over 512 bytes).
    #[error(
        "preview token is malformed: expected v1.<expiry>.<signature> of at most 512 \
         characters; copy the whole veneer_preview value or make a new token"
    )]
    Malformed,
    /// The signature does not match, usually because another deployment's secret made it.
    #[error(
        "preview token signature does not match: was it made with this deployment's \
         VENEER_SECRET?"
    )]
    BadSignature,
    /// The token was genuine but its lifetime is over.
    #[error("preview token expired at {}; make a new link with `veneer preview-token`", rfc3339_utc(*.expired_at))]
    Expired {
        /// When the token stopped working, in Unix seconds.
        expired_at: u64,
    },
    /// The token was genuine but expires more than [`MAX_PREVIEW_TTL_SECS`] after now.
    #[error(
        "preview token is valid until {}, more than the 30-day maximum from now; make a new one \
         with a shorter --ttl",
        rfc3339_utc(*.expires_at)
    )]
    TooLong {
        /// The token's claimed expiry, in Unix seconds.
        expires_at: u64,
    },
    /// No `VENEER_SECRET` is configured, so no token can be trusted.
    #[error("no VENEER_SECRET is set, so previews are off")]
    NoSecret,
}

/// Makes the `?veneer_preview=` token that unlocks draft rules until `expires_at` (Unix seconds).
///
/// An empty `secret` yields a token that [`verify_preview_token`] always refuses with
/// [`TokenError::NoSecret`].
pub fn make_preview_token(secret: &[u8], expires_at: u64) -> String {
    let signature = preview_mac(secret, expires_at)
        .map(|mac| URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
        .unwrap_or_default();
    format!("{PREVIEW_VERSION}.{expires_at}.{signature}")
}

/// Checks a preview token against the secret and the current time, returning its expiry.
///
/// Checks run in this order: empty secret, length and shape, signature (constant time), expiry
/// (`now >= expires_at` is expired), then the 30-day maximum lifetime.
pub fn verify_preview_token(secret: &[u8], token: &str, now: u64) -> Result<u64, TokenError> {
    if secret.is_empty() {
        return Err(TokenError::NoSecret);
    }
    if token.len() > MAX_PREVIEW_TOKEN_LEN {
        return Err(TokenError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(version), Some(expiry), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    if version != PREVIEW_VERSION || signature.len() != PREVIEW_SIG_CHARS {
        return Err(TokenError::Malformed);
    }
    let expires_at = parse_canonical_u64(expiry).ok_or(TokenError::Malformed)?;
    let tag = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenError::Malformed)?;
    let genuine = preview_mac(secret, expires_at).is_some_and(|mac| mac.verify_slice(&tag).is_ok());
    if !genuine {
        return Err(TokenError::BadSignature);
    }
    if expires_at <= now {
        return Err(TokenError::Expired {
            expired_at: expires_at,
        });
    }
    if expires_at - now > MAX_PREVIEW_TTL_SECS {
        return Err(TokenError::TooLong { expires_at });
    }
    Ok(expires_at)
}

/// Parses the CLI's `--ttl` ("90s", "15m", "1h", "2d" or bare seconds) into seconds.
///
/// Returns `None` for anything else, for zero, and for more than [`MAX_PREVIEW_TTL_SECS`].
/// Surrounding whitespace is ignored; units are lowercase only and cannot be combined.
pub fn parse_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, unit_secs) = match text.as_bytes().last()? {
        b's' => (text.strip_suffix('s')?, 1),
        b'm' => (text.strip_suffix('m')?, 60),
        b'h' => (text.strip_suffix('h')?, 3_600),
        b'd' => (text.strip_suffix('d')?, 86_400),
        _ => (text, 1),
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds = number.parse::<u64>().ok()?.checked_mul(unit_secs)?;
    (1..=MAX_PREVIEW_TTL_SECS)
        .contains(&seconds)
        .then_some(seconds)
}

/// Formats Unix seconds as RFC 3339 UTC ("2026-11-25T12:00:00Z") for operator-facing messages.
///
/// Years past 9999 are printed with more digits ("10000-01-01T00:00:00Z"). Instants past the end
/// of `chrono`'s calendar (262142-12-31T23:59:59Z, Unix second 8,210,266,876,799) come back as
/// "Unix time <secs>" rather than failing.
pub fn rfc3339_utc(unix_secs: u64) -> String {
    let Some(time) = i64::try_from(unix_secs)
        .ok()
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
    else {
        return format!("Unix time {unix_secs}");
    };
    // Not `to_rfc3339_opts`: it writes years past 9999 with a leading `+` (ISO 8601's expanded
    // form); this keeps them unsigned, as messages always have.
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        time.year(),
        time.month(),
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    )
}

/// Encodes a visitor's sticky (experiment id, variation id) pairs into a signed cookie value.
///
/// Pairs with an id outside `[A-Za-z0-9_-]{1,64}` and repeated experiment ids are skipped; of
/// the rest, the first [`MAX_ASSIGNMENTS`] that fit in [`MAX_ASSIGNMENTS_ENCODED_LEN`] bytes are
/// kept, in order. An empty `secret` signs with the public built-in key (see the module docs).
pub fn encode_assignments(
    secret: &[u8],
    visitor_id: &str,
    assignments: &[(String, String)],
) -> String {
    let budget = MAX_ASSIGNMENTS_ENCODED_LEN - 1 - ASSIGN_SIG_CHARS;
    let mut payload = String::new();
    let mut kept: Vec<&str> = Vec::new();
    for (experiment, variation) in assignments {
        if kept.len() >= MAX_ASSIGNMENTS {
            break;
        }
        if !is_valid_id(experiment)
            || !is_valid_id(variation)
            || kept.contains(&experiment.as_str())
        {
            continue;
        }
        let separator = usize::from(!payload.is_empty());
        if payload.len() + separator + experiment.len() + 1 + variation.len() > budget {
            continue;
        }
        if separator == 1 {
            payload.push('~');
        }
        payload.push_str(experiment);
        payload.push('=');
        payload.push_str(variation);
        kept.push(experiment);
    }
    let signature = assignments_signature(secret, visitor_id, &payload);
    format!("{payload}.{signature}")
}

/// Decodes a sticky assignments cookie value, or `None` if it is not genuine for this visitor.
///
/// `None` covers values over [`MAX_ASSIGNMENTS_COOKIE_LEN`] bytes, malformed values, signature
/// mismatches (wrong secret, another visitor, any tampering) and more than [`MAX_ASSIGNMENTS`]
/// pairs. A repeated experiment id keeps its first variation. One pair of surrounding double
/// quotes (an RFC 6265 quoted cookie value) is accepted.
pub fn decode_assignments(
    secret: &[u8],
    visitor_id: &str,
    value: &str,
) -> Option<Vec<(String, String)>> {
    if value.len() > MAX_ASSIGNMENTS_COOKIE_LEN {
        return None;
    }
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    let (payload, signature) = value.rsplit_once('.')?;
    if signature.len() != ASSIGN_SIG_CHARS {
        return None;
    }
    let tag = URL_SAFE_NO_PAD.decode(signature).ok()?;
    assignments_mac(secret, visitor_id, payload)?
        .verify_truncated_left(&tag)
        .ok()?;
    parse_assignments_payload(payload)
}

/// Turns 16 random bytes into a new visitor id: 22 base64url characters carrying 128 bits.
pub fn visitor_id_from_bytes(random: &[u8; 16]) -> String {
    URL_SAFE_NO_PAD.encode(random)
}

/// Tells whether a cookie value may be used as a visitor id (1 to 64 of `[A-Za-z0-9_-]`).
pub fn is_valid_visitor_id(s: &str) -> bool {
    is_valid_id(s)
}

/// Whether `s` is 1 to [`MAX_ID_LEN`] characters of `[A-Za-z0-9_-]`.
fn is_valid_id(s: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// HMAC-SHA256 under `key` over the concatenation of `parts`, ready to finalize or verify.
///
/// `None` only if the `hmac` crate refuses the key, which it never does (HMAC takes keys of any
/// length); signers then write an empty signature, which no verifier accepts.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    for part in parts {
        mac.update(part);
    }
    Some(mac)
}

/// The MAC over a preview token's signed message.
fn preview_mac(secret: &[u8], expires_at: u64) -> Option<Hmac<Sha256>> {
    hmac_sha256(
        secret,
        &[PREVIEW_MESSAGE_PREFIX, expires_at.to_string().as_bytes()],
    )
}

/// The MAC over an assignments payload bound to a visitor.
fn assignments_mac(secret: &[u8], visitor_id: &str, payload: &str) -> Option<Hmac<Sha256>> {
    let key = if secret.is_empty() {
        BUILTIN_ASSIGN_KEY
    } else {
        secret
    };
    hmac_sha256(
        key,
        &[
            ASSIGN_MESSAGE_PREFIX,
            visitor_id.as_bytes(),
            b"|",
            payload.as_bytes(),
        ],
    )
}

/// The 22-character signature that follows an assignments payload.
fn assignments_signature(secret: &[u8], visitor_id: &str, payload: &str) -> String {
    assignments_mac(secret, visitor_id, payload)
        .map(|mac| URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..ASSIGN_TAG_LEN]))
        .unwrap_or_default()
}

/// Parses an already-authenticated payload; `None` if it is malformed or has too many pairs.
fn parse_assignments_payload(payload: &str) -> Option<Vec<(String, String)>> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    if payload.is_empty() {
        return Some(pairs);
    }
    for (index, pair) in payload.split('~').enumerate() {
        if index >= MAX_ASSIGNMENTS {
            return None;
        }
        let (experiment, variation) = pair.split_once('=')?;
        if !is_valid_id(experiment) || !is_valid_id(variation) {
            return None;
        }
        if pairs.iter().all(|(seen, _)| seen != experiment) {
            pairs.push((experiment.to_owned(), variation.to_owned()));
        }
    }
    Some(pairs)
}

/// Parses decimal Unix seconds exactly as [`make_preview_token`] prints them, so each expiry has
/// one spelling (no sign, no leading zeros) and an edited token cannot keep its signature.
pub(crate) fn parse_canonical_u64(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.len() <= 20
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if canonical { text.parse().ok() } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"veneer-test-secret";
    /// 2026-11-25T12:00:00Z.
    const EXPIRY: u64 = 1_795_608_000;
    const VISITOR: &str = "visitor-123";

    /// Characters to substitute when tampering: every printable ASCII byte plus some non-ASCII.
    fn replacements() -> Vec<char> {
        let mut chars: Vec<char> = (0x20u8..0x7f).map(char::from).collect();
        chars.extend(['\0', '\n', 'é', 'Ā', '٣', '😀']);
        chars
    }

    /// Every string obtained from `s` by replacing, deleting or duplicating one character.
    fn single_char_edits(s: &str) -> Vec<String> {
        let chars: Vec<char> = s.chars().collect();
        let mut edits = Vec::new();
        for i in 0..chars.len() {
            for r in replacements() {
                if r != chars[i] {
                    let mut edited = chars.clone();
                    edited[i] = r;
                    edits.push(edited.into_iter().collect());
                }
            }
            let mut deleted = chars.clone();
            deleted.remove(i);
            edits.push(deleted.into_iter().collect());
            let mut doubled = chars.clone();
            doubled.insert(i, chars[i]);
            edits.push(doubled.into_iter().collect());
        }
        edits
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(e, v)| (e.to_string(), v.to_string()))
            .collect()
    }

    // ---- base64url ----
    //
    // These pin the `base64` engine's strictness: every signature must have exactly one accepted
    // spelling, so an edited token or cookie can never keep a valid signature.

    /// Strict unpadded base64url decoding, as the verifiers do it.
    fn decode(text: &str) -> Option<Vec<u8>> {
        URL_SAFE_NO_PAD.decode(text).ok()
    }

    #[test]
    fn base64url_matches_rfc4648_vectors() {
        let vectors: [(&[u8], &str); 7] = [
            (b"", ""),
            (b"f", "Zg"),
            (b"fo", "Zm8"),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg"),
            (b"fooba", "Zm9vYmE"),
            (b"foobar", "Zm9vYmFy"),
        ];
        for (raw, encoded) in vectors {
            assert_eq!(URL_SAFE_NO_PAD.encode(raw), encoded);
            assert_eq!(decode(encoded).as_deref(), Some(raw));
        }
        assert_eq!(URL_SAFE_NO_PAD.encode([0xfb, 0xff, 0xbf]), "-_-_");
        assert_eq!(decode("-_-_"), Some(vec![0xfb, 0xff, 0xbf]));
    }

    #[test]
    fn base64url_decode_is_strict() {
        // "Zh" and "Zm9" carry non-zero leftover bits; "Zg" and "Zm8" are the canonical forms.
        for bad in [
            "Z", "Zg==", "Zh", "Zm9", "Zm+v", "Zm/v", "Zm9v Yg", "Zm9vé", "=", "Zm8=",
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
        assert_eq!(decode("Zg"), Some(b"f".to_vec()));
        assert_eq!(decode("Zm8"), Some(b"fo".to_vec()));
    }

    #[test]
    fn base64url_round_trips_all_lengths() {
        let data: Vec<u8> = (0..=255u8).collect();
        for len in 0..data.len() {
            let encoded = URL_SAFE_NO_PAD.encode(&data[..len]);
            assert_eq!(decode(&encoded).as_deref(), Some(&data[..len]));
        }
    }

    // ---- time formatting ----

    #[test]
    fn rfc3339_matches_known_instants() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(86_399), "1970-01-01T23:59:59Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(EXPIRY), "2026-11-25T12:00:00Z");
        assert_eq!(rfc3339_utc(4_102_444_800), "2100-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(253_402_300_799), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339_utc(253_402_300_800), "10000-01-01T00:00:00Z");
        // The last second chrono's calendar holds, then a plain number past it (no panic).
        assert_eq!(rfc3339_utc(8_210_266_876_799), "262142-12-31T23:59:59Z");
        assert_eq!(rfc3339_utc(8_210_266_876_800), "Unix time 8210266876800");
        assert_eq!(
            rfc3339_utc(i64::MAX as u64 + 1),
            "Unix time 9223372036854775808"
        );
        assert_eq!(rfc3339_utc(u64::MAX), "Unix time 18446744073709551615");
    }

    // ---- preview tokens ----

    /// Expected values computed independently with Python's `hmac`, `hashlib` and `base64`.
    #[test]
    fn preview_token_known_answers() {
        assert_eq!(
            make_preview_token(SECRET, EXPIRY),
            "v1.1795608000.Sk6yUmd8Fqdzfl5JvHXNMVGnui_rOx76T1LLfG9UFkI"
        );
        // Keys longer than SHA-256's 64-byte block are hashed first.
        assert_eq!(
            make_preview_token(&[b'k'; 100], EXPIRY),
            "v1.1795608000.tVqlzzjBjeP5CFF_AY9dh1zmCR-K5YpQF_MpzmJ-RZA"
        );
        // A key of exactly one block is used as is.
        let block: Vec<u8> = (0..64u8).collect();
        assert_eq!(
            make_preview_token(&block, EXPIRY),
            "v1.1795608000._m6dV5O6v494h3OYqCquBzKMyDnfUuEvnnl3sP0g29E"
        );
    }

    /// The last signature character carries 4 bits of tag and 2 spare bits; only the spelling with
    /// zero spare bits is accepted, so a signature cannot be re-spelled.
    #[test]
    fn preview_signature_has_one_spelling() {
        let token = make_preview_token(SECRET, EXPIRY);
        assert!(token.ends_with('I'));
        for respelled in ['J', 'K', 'L'] {
            let edited = format!("{}{respelled}", &token[..token.len() - 1]);
            assert_eq!(
                verify_preview_token(SECRET, &edited, EXPIRY - 60),
                Err(TokenError::Malformed),
                "{edited}"
            );
        }
        let value = encode_assignments(SECRET, VISITOR, &pairs(&[("hero-copy", "bold")]));
        let (body, last) = value.split_at(value.len() - 1);
        // 22 characters hold 132 bits for a 128-bit tag: the last character's low 4 bits are spare.
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let index = alphabet
            .iter()
            .position(|&c| c == last.as_bytes()[0])
            .expect("a base64url character");
        assert_eq!(index & 15, 0, "{value}");
        for low in 1..16 {
            let respelled = char::from(alphabet[(index & !15) | low]);
            let edited = format!("{body}{respelled}");
            assert_eq!(
                decode_assignments(SECRET, VISITOR, &edited),
                None,
                "{edited}"
            );
        }
    }

    #[test]
    fn preview_token_round_trips() {
        let token = make_preview_token(SECRET, EXPIRY);
        assert!(token.len() <= MAX_PREVIEW_TOKEN_LEN);
        assert_eq!(
            verify_preview_token(SECRET, &token, EXPIRY - 3_600),
            Ok(EXPIRY)
        );
        let long_key = [7u8; 200];
        let token = make_preview_token(&long_key, EXPIRY);
        assert_eq!(
            verify_preview_token(&long_key, &token, EXPIRY - 1),
            Ok(EXPIRY)
        );
    }

    #[test]
    fn preview_expiry_boundary() {
        let token = make_preview_token(SECRET, EXPIRY);
        assert_eq!(verify_preview_token(SECRET, &token, EXPIRY - 1), Ok(EXPIRY));
        assert_eq!(
            verify_preview_token(SECRET, &token, EXPIRY),
            Err(TokenError::Expired { expired_at: EXPIRY })
        );
        assert_eq!(
            verify_preview_token(SECRET, &token, u64::MAX),
            Err(TokenError::Expired { expired_at: EXPIRY })
        );
        let epoch = make_preview_token(SECRET, 0);
        assert_eq!(
            verify_preview_token(SECRET, &epoch, 0),
            Err(TokenError::Expired { expired_at: 0 })
        );
    }

    #[test]
    fn preview_lifetime_is_capped_at_30_days() {
        let now = EXPIRY - MAX_PREVIEW_TTL_SECS;
        let token = make_preview_token(SECRET, EXPIRY);
        assert_eq!(verify_preview_token(SECRET, &token, now), Ok(EXPIRY));
        assert_eq!(
            verify_preview_token(SECRET, &token, now - 1),
            Err(TokenError::TooLong { expires_at: EXPIRY })
        );
        let forever = make_preview_token(SECRET, u64::MAX);
        assert_eq!(
            verify_preview_token(SECRET, &forever, 0),
            Err(TokenError::TooLong {
                expires_at: u64::MAX
            })
        );
        assert_eq!(
            verify_preview_token(SECRET, &forever, u64::MAX - 1),
            Ok(u64::MAX)
        );
    }

    #[test]
    fn preview_wrong_secret_fails() {
        let token = make_preview_token(SECRET, EXPIRY);
        assert_eq!(
            verify_preview_token(b"another-secret", &token, EXPIRY - 1),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            verify_preview_token(b"veneer-test-secreT", &token, EXPIRY - 1),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn preview_empty_secret_is_no_secret() {
        let token = make_preview_token(b"", EXPIRY);
        assert_eq!(
            verify_preview_token(b"", &token, EXPIRY - 1),
            Err(TokenError::NoSecret)
        );
        assert_eq!(
            verify_preview_token(b"", "garbage", 0),
            Err(TokenError::NoSecret)
        );
        assert_eq!(
            verify_preview_token(SECRET, &token, EXPIRY - 1),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn preview_any_single_character_edit_fails() {
        let token = make_preview_token(SECRET, EXPIRY);
        let edits = single_char_edits(&token);
        assert!(edits.len() > 5_000);
        for edited in edits {
            let result = verify_preview_token(SECRET, &edited, EXPIRY - 60);
            assert!(
                matches!(
                    result,
                    Err(TokenError::Malformed | TokenError::BadSignature)
                ),
                "{edited:?} gave {result:?}"
            );
        }
    }

    #[test]
    fn preview_garbage_is_malformed() {
        let token = make_preview_token(SECRET, EXPIRY);
        let sig = token.rsplit('.').next().unwrap_or_default().to_owned();
        let garbage = [
            String::new(),
            ".".into(),
            "..".into(),
            "v1..".into(),
            "v1".into(),
            "v1.1795608000".into(),
            format!("v1..{sig}"),
            format!("v1.abc.{sig}"),
            format!("v1.+1795608000.{sig}"),
            format!("v1.-1795608000.{sig}"),
            format!("v1.01795608000.{sig}"),
            format!("v1. 1795608000.{sig}"),
            format!("v1.99999999999999999999.{sig}"),
            format!("v1.18446744073709551616.{sig}"),
            format!("v1.١٧٩٥٦٠٨٠٠٠.{sig}"),
            format!("v2.1795608000.{sig}"),
            format!("V1.1795608000.{sig}"),
            format!("{token}."),
            format!("{token}.x"),
            format!(" {token}"),
            format!("{token}\n"),
            format!("{token}="),
            format!("v1.1795608000.{sig}AAAA"),
            format!("v1.1795608000.{}", &sig[..42]),
            format!("v1.1795608000.{}", sig.replace('_', "/")),
            "v1.1795608000.😀😀😀😀😀😀😀😀😀😀".into(),
            "\u{0}\u{0}\u{0}".into(),
            "x".repeat(MAX_PREVIEW_TOKEN_LEN + 1),
            format!("v1.1795608000.{}", "A".repeat(10_000_000)),
        ];
        for bad in garbage {
            assert_eq!(
                verify_preview_token(SECRET, &bad, EXPIRY - 60),
                Err(TokenError::Malformed),
                "{:?}",
                bad.get(..80).unwrap_or(&bad)
            );
        }
    }

    #[test]
    fn preview_error_messages_are_actionable() {
        assert_eq!(
            TokenError::Expired { expired_at: EXPIRY }.to_string(),
            "preview token expired at 2026-11-25T12:00:00Z; make a new link with `veneer preview-token`"
        );
        assert_eq!(
            TokenError::BadSignature.to_string(),
            "preview token signature does not match: was it made with this deployment's \
             VENEER_SECRET?"
        );
        assert_eq!(
            TokenError::NoSecret.to_string(),
            "no VENEER_SECRET is set, so previews are off"
        );
        assert!(
            TokenError::Malformed
                .to_string()
                .contains("v1.<expiry>.<signature>")
        );
        let too_long = TokenError::TooLong { expires_at: EXPIRY }.to_string();
        assert!(too_long.contains("2026-11-25T12:00:00Z") && too_long.contains("30-day"));
        let boxed: Box<dyn std::error::Error> = Box::new(TokenError::Malformed);
        assert!(!boxed.to_string().is_empty());
    }

    // ---- parse_duration ----

    #[test]
    fn parse_duration_accepts_units_and_bare_seconds() {
        assert_eq!(parse_duration("90s"), Some(90));
        assert_eq!(parse_duration("15m"), Some(900));
        assert_eq!(parse_duration("1h"), Some(3_600));
        assert_eq!(parse_duration("2d"), Some(172_800));
        assert_eq!(parse_duration("3600"), Some(3_600));
        assert_eq!(parse_duration("1"), Some(1));
        assert_eq!(parse_duration("30d"), Some(MAX_PREVIEW_TTL_SECS));
        assert_eq!(parse_duration("720h"), Some(MAX_PREVIEW_TTL_SECS));
        assert_eq!(parse_duration("2592000"), Some(MAX_PREVIEW_TTL_SECS));
        assert_eq!(parse_duration(" 1h\n"), Some(3_600));
        assert_eq!(parse_duration("007m"), Some(420));
    }

    #[test]
    fn parse_duration_rejects_nonsense_zero_and_too_long() {
        for bad in [
            "",
            " ",
            "s",
            "m",
            "h",
            "d",
            "0",
            "0s",
            "0d",
            "31d",
            "2592001",
            "2592001s",
            "721h",
            "-1h",
            "+1h",
            "1.5h",
            "1h30m",
            "1 h",
            "1H",
            "1D",
            "1w",
            "1y",
            "1ms",
            "h1",
            "abc",
            "١h",
            "1😀",
            "😀",
            "99999999999999999999999d",
            "18446744073709551615",
            "18446744073709551616",
            "213503982334601d",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
        assert_eq!(parse_duration(&"9".repeat(100_000)), None);
    }

    // ---- assignments cookie ----

    /// Expected values computed independently with Python's `hmac`, `hashlib` and `base64`.
    #[test]
    fn assignments_known_answers() {
        let list = pairs(&[("hero-copy", "bold"), ("exp2", "control")]);
        assert_eq!(
            encode_assignments(SECRET, VISITOR, &list),
            "hero-copy=bold~exp2=control.KqtHnm43igJsZZW3XHbJyQ"
        );
        // No secret: signed with the documented built-in key.
        assert_eq!(
            encode_assignments(b"", VISITOR, &list),
            "hero-copy=bold~exp2=control.R8oQstNEgUhYnIamr-TWsw"
        );
    }

    #[test]
    fn assignments_round_trip() {
        let list = pairs(&[("hero-copy", "bold"), ("exp2", "control"), ("A_1", "z-9")]);
        for secret in [SECRET, b"" as &[u8], &[0xAB; 300]] {
            let value = encode_assignments(secret, VISITOR, &list);
            assert_eq!(
                decode_assignments(secret, VISITOR, &value),
                Some(list.clone())
            );
        }
        let empty = encode_assignments(SECRET, VISITOR, &[]);
        assert_eq!(empty.len(), 1 + ASSIGN_SIG_CHARS);
        assert_eq!(decode_assignments(SECRET, VISITOR, &empty), Some(vec![]));
        let quoted = format!("\"{}\"", encode_assignments(SECRET, VISITOR, &list));
        assert_eq!(decode_assignments(SECRET, VISITOR, &quoted), Some(list));
    }

    #[test]
    fn assignments_any_single_character_edit_is_ignored() {
        let list = pairs(&[("hero-copy", "bold"), ("exp2", "control")]);
        let value = encode_assignments(SECRET, VISITOR, &list);
        let edits = single_char_edits(&value);
        assert!(edits.len() > 5_000);
        for edited in edits {
            assert_eq!(
                decode_assignments(SECRET, VISITOR, &edited),
                None,
                "{edited:?}"
            );
        }
    }

    #[test]
    fn assignments_are_bound_to_secret_and_visitor() {
        let list = pairs(&[("hero-copy", "bold")]);
        let value = encode_assignments(SECRET, VISITOR, &list);
        assert_eq!(decode_assignments(b"other", VISITOR, &value), None);
        assert_eq!(decode_assignments(b"", VISITOR, &value), None);
        assert_eq!(decode_assignments(SECRET, "visitor-124", &value), None);
        assert_eq!(decode_assignments(SECRET, "", &value), None);
        // A value signed with the public built-in key is refused once a secret is set.
        let unsigned = encode_assignments(b"", VISITOR, &list);
        assert_eq!(decode_assignments(SECRET, VISITOR, &unsigned), None);
        // The visitor/payload boundary cannot be shifted.
        let shifted = encode_assignments(SECRET, "a", &pairs(&[("b", "c")]));
        assert_eq!(decode_assignments(SECRET, "a|b", &shifted), None);
    }

    #[test]
    fn assignments_value_is_cookie_safe() {
        let list = pairs(&[("hero-copy", "bold"), ("Z_9", "x-Y"), ("exp2", "control")]);
        for secret in [SECRET, b"" as &[u8]] {
            for visitor in [VISITOR, "", "😀; path=/", "a|b"] {
                let value = encode_assignments(secret, visitor, &list);
                // RFC 6265 cookie-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
                assert!(
                    value.bytes().all(|b| matches!(
                        b,
                        0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E
                    )),
                    "{value:?}"
                );
                assert_eq!(
                    decode_assignments(secret, visitor, &value),
                    Some(list.clone())
                );
            }
        }
    }

    #[test]
    fn encode_skips_invalid_and_duplicate_ids() {
        let long = "x".repeat(MAX_ID_LEN + 1);
        let max = "y".repeat(MAX_ID_LEN);
        let list = pairs(&[
            ("ok", "a"),
            ("", "a"),
            ("bad id", "a"),
            ("semi;colon", "a"),
            ("dot.ted", "a"),
            ("tilde~", "a"),
            ("eq=", "a"),
            ("é", "a"),
            ("good", ""),
            ("good", "b,c"),
            (long.as_str(), "a"),
            ("good", long.as_str()),
            ("ok", "second"),
            (max.as_str(), max.as_str()),
            ("last", "v"),
        ]);
        let value = encode_assignments(SECRET, VISITOR, &list);
        assert_eq!(
            decode_assignments(SECRET, VISITOR, &value),
            Some(pairs(&[
                ("ok", "a"),
                (max.as_str(), max.as_str()),
                ("last", "v")
            ]))
        );
    }

    #[test]
    fn encode_keeps_first_50_pairs() {
        let list: Vec<(String, String)> = (0..80)
            .map(|i| (format!("e{i}"), format!("v{i}")))
            .collect();
        let value = encode_assignments(SECRET, VISITOR, &list);
        let decoded = decode_assignments(SECRET, VISITOR, &value).unwrap_or_default();
        assert_eq!(decoded, list[..MAX_ASSIGNMENTS].to_vec());
    }

    #[test]
    fn encode_keeps_first_pairs_that_fit_in_3000_bytes() {
        // 129-byte pairs: 22 fit (22 * 130 - 1 = 2859 bytes + 23 of signature), the 23rd doesn't.
        let big = |i: usize| (format!("{i:0>64}"), "v".repeat(MAX_ID_LEN));
        let mut list: Vec<(String, String)> = (0..30).map(big).collect();
        list.push(("small".into(), "one".into()));
        let value = encode_assignments(SECRET, VISITOR, &list);
        assert!(value.len() <= MAX_ASSIGNMENTS_ENCODED_LEN);
        let decoded = decode_assignments(SECRET, VISITOR, &value).unwrap_or_default();
        assert_eq!(decoded.len(), 23);
        assert_eq!(decoded[..22], list[..22]);
        assert_eq!(decoded[22], ("small".to_string(), "one".to_string()));
        // Never over budget, however the pairs are sized.
        for len in 1..=MAX_ID_LEN {
            let list: Vec<(String, String)> = (0..60)
                .map(|i| (format!("{i:0>width$}", width = len.max(2)), "v".repeat(len)))
                .collect();
            let value = encode_assignments(SECRET, VISITOR, &list);
            assert!(value.len() <= MAX_ASSIGNMENTS_ENCODED_LEN, "{len}");
            assert!(decode_assignments(SECRET, VISITOR, &value).is_some());
        }
    }

    /// A value signed with the real key but with a payload `encode_assignments` never writes.
    fn forge(payload: &str) -> String {
        format!(
            "{payload}.{}",
            assignments_signature(SECRET, VISITOR, payload)
        )
    }

    #[test]
    fn decode_keeps_first_of_duplicate_experiments() {
        let value = forge("a=1~b=2~a=3~b=4~c=5");
        assert_eq!(
            decode_assignments(SECRET, VISITOR, &value),
            Some(pairs(&[("a", "1"), ("b", "2"), ("c", "5")]))
        );
    }

    #[test]
    fn decode_refuses_more_than_50_pairs() {
        let payload = |n: usize| {
            (0..n)
                .map(|i| format!("e{i}=v"))
                .collect::<Vec<_>>()
                .join("~")
        };
        let fifty = decode_assignments(SECRET, VISITOR, &forge(&payload(50)));
        assert_eq!(fifty.map(|p| p.len()), Some(50));
        assert_eq!(
            decode_assignments(SECRET, VISITOR, &forge(&payload(51))),
            None
        );
        // Duplicates still count towards the limit.
        let dupes = vec!["a=b"; 51].join("~");
        assert_eq!(decode_assignments(SECRET, VISITOR, &forge(&dupes)), None);
    }

    #[test]
    fn decode_refuses_values_over_4096_bytes() {
        let over = forge(&"a=b~".repeat(1_100));
        assert!(over.len() > MAX_ASSIGNMENTS_COOKIE_LEN);
        assert_eq!(decode_assignments(SECRET, VISITOR, &over), None);
        let huge = format!("{}.{}", "x".repeat(50_000_000), "A".repeat(22));
        assert_eq!(decode_assignments(SECRET, VISITOR, &huge), None);
    }

    #[test]
    fn decode_refuses_garbage() {
        let sig = "A".repeat(ASSIGN_SIG_CHARS);
        let good = encode_assignments(SECRET, VISITOR, &pairs(&[("a", "b")]));
        for bad in [
            String::new(),
            ".".into(),
            "a=b".into(),
            format!("a=b.{sig}"),
            format!(".{sig}"),
            format!("a=b.{}", &sig[..21]),
            format!("a=b.{sig}A"),
            format!("{good}."),
            format!("\"{good}"),
            format!("{good}\""),
            format!("\"\"{good}\"\""),
            format!(" {good}"),
            good.replace('.', ";"),
            "😀.😀😀😀😀😀".into(),
            "\u{0}".repeat(23),
        ] {
            assert_eq!(decode_assignments(SECRET, VISITOR, &bad), None, "{bad:?}");
            assert_eq!(decode_assignments(b"", VISITOR, &bad), None, "{bad:?}");
        }
        // Authentic but malformed payloads are refused too.
        for payload in [
            "a",
            "a=",
            "=b",
            "a=b~",
            "~a=b",
            "a=b~~c=d",
            "a=b=c",
            "a b=c",
            "é=a",
            &format!("a={}", "b".repeat(65)),
        ] {
            assert_eq!(
                decode_assignments(SECRET, VISITOR, &forge(payload)),
                None,
                "{payload:?}"
            );
        }
    }

    // ---- visitor ids ----

    #[test]
    fn visitor_ids_are_22_base64url_chars() {
        let id = visitor_id_from_bytes(&std::array::from_fn(|i| i as u8));
        assert_eq!(id, "AAECAwQFBgcICQoLDA0ODw");
        assert_eq!(visitor_id_from_bytes(&[0xff; 16]), "_____________________w");
        assert_eq!(visitor_id_from_bytes(&[0; 16]).len(), 22);
        assert!(is_valid_visitor_id(&id));
        assert!(is_valid_visitor_id(&visitor_id_from_bytes(&[0xff; 16])));
    }

    #[test]
    fn visitor_id_validation() {
        for good in [
            "a",
            "Z",
            "0",
            "-",
            "_",
            "visitor-123",
            "AAECAwQFBgcICQoLDA0ODw",
        ] {
            assert!(is_valid_visitor_id(good), "{good:?}");
        }
        assert!(is_valid_visitor_id(&"a".repeat(64)));
        for bad in [
            "", " ", "a b", "a;b", "a=b", "a.b", "a~b", "a|b", "a/b", "a+b", "\"a\"", "é", "😀",
            "a\u{0}", "a\n",
        ] {
            assert!(!is_valid_visitor_id(bad), "{bad:?}");
        }
        assert!(!is_valid_visitor_id(&"a".repeat(65)));
        assert!(!is_valid_visitor_id(&"a".repeat(10_000_000)));
    }
}
