//! Names a rule may use: HTTP tokens, hosts, attribute, class and CSS property names.

use super::operations::URL_ATTRIBUTES;

/// Whether `name` is an HTTP token (header and cookie names).
pub fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Whether `name` is a host name a redirect may point to.
pub(super) fn is_host(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// Whether a rule may set an attribute of this name (event handlers are refused).
pub(super) fn is_attribute_name(name: &str) -> bool {
    !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        && !name.to_ascii_lowercase().starts_with("on")
}

/// Removing is always safe, event handlers included.
pub(super) fn is_removable_attribute(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
}

/// Whether `name` looks like a CSS property name.
pub(super) fn is_css_property(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Whether `name` is one class name (no spaces).
pub(super) fn is_class(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '"')
}

/// Whether an attribute holds a URL, so substitutions into it are percent-encoded.
pub fn is_url_attribute(name: &str) -> bool {
    URL_ATTRIBUTES.contains(&name)
}

/// Why a URL attribute value set by a rule is refused, if it is: only paths, `http(s):`,
/// `mailto:` and `tel:` URLs are allowed, and `data:image/...` (not SVG) in `src` and `poster`.
///
/// `literal` is the value's text before its first `{{template}}` (substituted values are
/// percent-encoded, so they cannot add a scheme). The scheme is read as browsers read it: ASCII
/// tabs and newlines anywhere are dropped and leading spaces and controls trimmed
/// (`" jav\tascript:"` is `javascript:`); a character reference (`&#58;`) before the first `:`,
/// `/`, `?` or `#` is refused, since the browser would decode it into the scheme.
pub(super) fn url_problem(attribute: &str, literal: &str) -> Option<String> {
    let cleaned: String = literal
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let end = cleaned.find([':', '/', '?', '#']).unwrap_or(cleaned.len());
    if cleaned[..end].contains('&') {
        return Some(format!(
            "{attribute} value {literal:?} has a character reference (\"&...;\") before its \
             scheme or path; write the URL's characters as they are"
        ));
    }
    if !cleaned[end..].starts_with(':') {
        return None;
    }
    let scheme = cleaned[..end].to_ascii_lowercase();
    if !scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        return None;
    }
    let rest = cleaned[end + 1..].to_ascii_lowercase();
    let image = rest.starts_with("image/") && !rest.starts_with("image/svg");
    match scheme.as_str() {
        "http" | "https" | "mailto" | "tel" => None,
        "data" if image && matches!(attribute, "src" | "poster") => None,
        _ => Some(format!(
            "{attribute} value {literal:?} uses the {scheme}: scheme; a rule may only set paths, \
             http(s), mailto: and tel: URLs (and data:image/... in src or poster)"
        )),
    }
}
