//! The one cookie parser, byte-wise so that no byte in a `Cookie` header (non-ASCII included)
//! makes it drop the header: the visitor attributes (`cookies`) and the session (visitor id,
//! assignments, consent, preview) read cookies through it.

use http::{HeaderMap, header};
use serde_json::{Map, Value};

use super::text::{MAX_VALUE_LEN, lossy_capped};

/// Most cookie pairs read from the Cookie header(s), so a huge cookie jar costs bounded work.
pub const MAX_COOKIES: usize = 100;

/// The `(name, value)` pairs of every Cookie header, raw bytes, in order, at most
/// [`MAX_COOKIES`]; pieces without `=` or with an invalid name are skipped, and a value loses
/// its surrounding double quotes.
fn pairs(headers: &HeaderMap) -> impl Iterator<Item = (&[u8], &[u8])> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .flat_map(|value| value.as_bytes().split(|&b| b == b';'))
        .filter(|piece| !piece.trim_ascii().is_empty())
        .take(MAX_COOKIES)
        .filter_map(|piece| {
            let eq = piece.iter().position(|&b| b == b'=')?;
            let name = piece[..eq].trim_ascii();
            let mut value = piece[eq + 1..].trim_ascii();
            if value.len() >= 2 && value.starts_with(b"\"") && value.ends_with(b"\"") {
                value = &value[1..value.len() - 1];
            }
            valid_cookie_name(name).then_some((name, value))
        })
}

/// The value of cookie `name` (its first occurrence), when it is non-empty UTF-8.
pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    pairs(headers)
        .find(|(n, _)| *n == name.as_bytes())
        .and_then(|(_, v)| std::str::from_utf8(v).ok())
        .filter(|v| !v.is_empty())
}

/// Cookie name -> value, first occurrence winning, for the `cookies` attribute; values are
/// capped and not decoded (invalid UTF-8 becomes U+FFFD).
pub(super) fn jar(headers: &HeaderMap) -> Map<String, Value> {
    let mut jar = Map::new();
    for (name, value) in pairs(headers) {
        let name = lossy_capped(name, MAX_VALUE_LEN);
        if !jar.contains_key(&name) {
            jar.insert(name, Value::String(lossy_capped(value, MAX_VALUE_LEN)));
        }
    }
    jar
}

/// A `Cookie` header value without any pair named `name`, or `None` when it has none (so that
/// a request without it is sent on untouched). Other pairs keep their bytes and order.
pub(crate) fn without_cookie(header: &str, name: &str) -> Option<String> {
    let named = |piece: &str| {
        piece
            .split_once('=')
            .is_some_and(|(n, _)| n.trim_ascii() == name)
    };
    if !header.split(';').any(named) {
        return None;
    }
    let kept: Vec<&str> = header
        .split(';')
        .filter(|piece| !named(piece) && !piece.trim_ascii().is_empty())
        .map(str::trim_ascii)
        .collect();
    Some(kept.join("; "))
}

/// A cookie name is non-empty visible ASCII without quotes, separators or backslashes.
fn valid_cookie_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name
            .iter()
            .all(|&b| b.is_ascii_graphic() && !matches!(b, b'"' | b',' | b';' | b'\\'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(values: &[&[u8]]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::COOKIE, HeaderValue::from_bytes(v).unwrap());
        }
        h
    }

    #[test]
    fn a_non_ascii_cookie_does_not_hide_the_others() {
        let h = headers(&["city=Zürich; veneer_id=abc123".as_bytes()]);
        assert_eq!(cookie(&h, "veneer_id"), Some("abc123"));
        assert_eq!(cookie(&h, "city"), Some("Zürich"));
        // Bytes that are not UTF-8 at all: only that cookie is unreadable.
        let h = headers(&[b"x=\xff\xfe; veneer_id=abc"]);
        assert_eq!(cookie(&h, "veneer_id"), Some("abc"));
        assert_eq!(cookie(&h, "x"), None);
        assert_eq!(jar(&h)["x"], "\u{fffd}\u{fffd}");
    }

    #[test]
    fn first_occurrence_wins_across_headers_and_quotes_are_dropped() {
        let h = headers(&[b"a=1; b=\"two\"", b"a=3; =x; junk; c="]);
        assert_eq!(cookie(&h, "a"), Some("1"));
        assert_eq!(cookie(&h, "b"), Some("two"));
        assert_eq!(cookie(&h, "c"), None, "an empty value is no value");
        let j = jar(&h);
        assert_eq!(j["a"], "1");
        assert_eq!(j["c"], "");
        assert_eq!(j.len(), 3);
    }

    #[test]
    fn without_cookie_drops_every_pair_of_that_name_only() {
        assert_eq!(without_cookie("a=1; b=2", "veneer_console"), None);
        assert_eq!(
            without_cookie(
                "a=1; veneer_console=x.y; b=2;veneer_console=z",
                "veneer_console"
            ),
            Some("a=1; b=2".into())
        );
        assert_eq!(
            without_cookie("veneer_console=x", "veneer_console"),
            Some(String::new())
        );
        // A longer name that starts the same is another cookie.
        assert_eq!(without_cookie("veneer_console_x=1", "veneer_console"), None);
    }

    #[test]
    fn reads_a_bounded_number_of_pieces() {
        let many: String = (0..500).map(|i| format!("c{i}=v; ")).collect();
        let h = headers(&[many.as_bytes()]);
        assert_eq!(jar(&h).len(), MAX_COOKIES);
        assert_eq!(cookie(&h, "c400"), None);
    }
}
