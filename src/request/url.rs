//! URLs as the runtime hands them over: split without allocating, paths and values decoded.

use percent_encoding::percent_decode_str;

use super::text::{MAX_VALUE_LEN, capped, lossy_capped, truncate_in_place};

/// The `path` attribute of a URL path: percent-decoded, `/` when empty. Pages match it.
pub fn decoded_path(raw: &str) -> String {
    let decoded: Vec<u8> = percent_decode_str(raw).take(MAX_VALUE_LEN + 4).collect();
    let mut path = lossy_capped(&decoded, MAX_VALUE_LEN);
    if path.is_empty() {
        path.push('/');
    }
    path
}

/// The parts of a URL the attributes (and the edge, for its request) need, borrowed from the input.
#[derive(Debug, PartialEq)]
pub struct UrlParts<'a> {
    /// The authority as written (`host:port`), for forwarding.
    pub authority: Option<&'a str>,
    /// The path as written (still percent-encoded).
    pub path: &'a str,
    /// The query without its `?`.
    pub query: Option<&'a str>,
}

/// A lenient URL split: `scheme://authority/path?query#fragment`, `//authority/path...`, or a
/// relative reference (no host). Never fails; malformed pieces are simply missing.
pub fn split_url(raw: &str) -> UrlParts<'_> {
    let s = raw.trim_matches(|c: char| c <= ' ');
    let s = s.split_once('#').map_or(s, |(before, _)| before);
    let (authority, rest) = match strip_scheme(s).or_else(|| s.strip_prefix("//")) {
        Some(after) => {
            let end = after.find(['/', '?']).unwrap_or(after.len());
            (Some(&after[..end]), &after[end..])
        }
        None => (None, s),
    };
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    UrlParts {
        authority,
        path,
        query,
    }
}

impl UrlParts<'_> {
    /// The lowercase host, without userinfo or port (worked out only when asked for).
    pub fn host(&self) -> Option<String> {
        self.authority.and_then(host_of_authority)
    }
}

/// The text after `scheme://` when `s` starts with a syntactically valid scheme.
pub(super) fn strip_scheme(s: &str) -> Option<&str> {
    let (scheme, after) = s.split_once("://")?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    let valid = first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(after)
}

/// The lowercase host of an authority (`user:pass@Host:port`), without userinfo or port.
fn host_of_authority(authority: &str) -> Option<String> {
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host_port)| host_port);
    let host = if host_port.starts_with('[') {
        // IPv6 literal: keep the brackets, drop the port; unterminated means malformed.
        let close = host_port.find(']')?;
        &host_port[..=close]
    } else {
        host_port
            .split_once(':')
            .map_or(host_port, |(host, _)| host)
    };
    if host.is_empty() {
        return None;
    }
    // Cap before lowercasing so a huge authority is not copied whole.
    let mut host = capped(host).to_lowercase();
    truncate_in_place(&mut host, MAX_VALUE_LEN);
    Some(host)
}
