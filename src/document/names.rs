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
