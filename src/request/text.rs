//! Bounded text from untrusted bytes: every string a request contributes is capped.

use http::HeaderValue;

/// Longest string (in bytes) stored in any attribute; longer ones are cut on a char boundary.
pub const MAX_VALUE_LEN: usize = 2048;

/// Cuts `s` to at most `max` bytes, on a char boundary.
pub(super) fn truncate_in_place(s: &mut String, max: usize) {
    let end = s.floor_char_boundary(max);
    s.truncate(end);
}

/// An owned copy of `s`, capped at `MAX_VALUE_LEN` bytes.
pub(super) fn capped(s: &str) -> String {
    s[..s.floor_char_boundary(MAX_VALUE_LEN)].to_owned()
}

/// Bytes (possibly invalid UTF-8) as a string capped at `max` bytes, without copying more
/// than needed: invalid sequences become U+FFFD.
pub(super) fn lossy_capped(bytes: &[u8], max: usize) -> String {
    // A few spare bytes so a char straddling the cap is decoded, then cut cleanly.
    let take = bytes.len().min(max.saturating_add(4));
    let mut s = String::from_utf8_lossy(&bytes[..take]).into_owned();
    truncate_in_place(&mut s, max);
    s
}

/// A header value as text (lossy for non-UTF-8 bytes), capped at `max` bytes.
pub(super) fn header_text(value: &HeaderValue, max: usize) -> String {
    lossy_capped(value.as_bytes(), max)
}
