//! CSS selectors as the streaming rewriter can run them, with advice for those it cannot.

use std::str::FromStr;

use lol_html::Selector;

/// Parses a CSS selector the way the streaming rewriter needs it.
pub fn parse_selector(text: &str) -> Result<Selector, String> {
    if let Some(advice) = streaming_advice(text) {
        return Err(advice);
    }
    Selector::from_str(text).map_err(|e| format!("invalid selector {text:?}: {e}"))
}

/// A selector that is one attribute-equality test, `[data-sku="A12"]` or `#hero`, alone or
/// followed by a descendant selector (`[data-sku="A12"] .price`): the renderer tests many of
/// these that share an attribute name and descendant part as one selector (`[data-sku]`,
/// `[data-sku] .price`) and one table lookup, instead of one lol_html attribute test per
/// selector on every element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeKey {
    /// The attribute's name, lowercase (`data-sku`, `id`).
    pub name: String,
    /// The value the attribute must equal, byte for byte.
    pub value: String,
    /// The compound selector of the descendant after the test, as written (`.price`); `None`
    /// when the test is the whole selector.
    pub scope: Option<String>,
}

/// The attribute test a selector starts with and its descendant part, when the selector is
/// nothing else: `[data-*="v"]`, `[data-*=v]`, `[id="v"]` or `#v`, with a printable ASCII value,
/// without flags or escapes, whose value compares case sensitively in lol_html (so no attribute
/// of HTML's case-insensitive list qualifies); then, optionally, whitespace and one compound
/// selector (`.price`, `p.price:not(.x)`: no combinator, no comma), since the renderer finds the
/// tested element among the open ancestors.
pub fn attribute_key(text: &str) -> Option<AttributeKey> {
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let (head, scope) = match first_top_level_space(text) {
        Some(at) => {
            let rest = text[at..].trim_matches(|c: char| c.is_ascii_whitespace());
            let plain = first_top_level_space(rest).is_none()
                && !strip_quoted(rest).contains(['>', '+', '~', ',']);
            (&text[..at], Some(plain.then(|| rest.to_owned())?))
        }
        None => (text, None),
    };
    let (name, value) = attribute_test(head)?;
    Some(AttributeKey { name, value, scope })
}

/// Where the first whitespace outside quotes, brackets and parentheses is.
fn first_top_level_space(text: &str) -> Option<usize> {
    let mut quote = None;
    let mut depth = 0u32;
    for (at, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '(') => depth += 1,
            (None, ']' | ')') => depth = depth.saturating_sub(1),
            (None, c) if depth == 0 && c.is_ascii_whitespace() => return Some(at),
            _ => {}
        }
    }
    None
}

/// The attribute name (lowercase) and value of a compound that is one equality test.
fn attribute_test(text: &str) -> Option<(String, String)> {
    let is_name = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if let Some(id) = text.strip_prefix('#') {
        let plain = is_name(id) && !id.starts_with(|c: char| c.is_ascii_digit() || c == '-');
        return plain.then(|| ("id".to_owned(), id.to_owned()));
    }
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    let (name, value) = inner.split_once('=')?;
    let name = name.to_ascii_lowercase();
    if !is_name(&name) || !(name == "id" || name.starts_with("data-")) {
        return None;
    }
    let value = match value.as_bytes().first() {
        Some(&quote @ (b'"' | b'\'')) => {
            let body = value[1..].strip_suffix(quote as char)?;
            let plain = body
                .bytes()
                .all(|b| matches!(b, b' '..=b'~') && !matches!(b, b'"' | b'\'' | b'\\'));
            plain.then_some(body)?
        }
        _ => {
            (is_name(value) && !value.starts_with(|c: char| c.is_ascii_digit())).then_some(value)?
        }
    };
    Some((name, value.to_owned()))
}

/// Explains selectors that need elements later in the page, which a stream cannot see.
fn streaming_advice(text: &str) -> Option<String> {
    const LATER: &[(&str, &str)] = &[
        (":last-child", "use :first-child, or a class on the element"),
        (
            ":last-of-type",
            "use :first-of-type, or a class on the element",
        ),
        (":nth-last-child", "count from the start with :nth-child"),
        (
            ":nth-last-of-type",
            "count from the start with :nth-of-type",
        ),
        (
            ":only-child",
            "select by a class or attribute of the element",
        ),
        (
            ":only-of-type",
            "select by a class or attribute of the element",
        ),
        (
            ":has(",
            "select the inner element and change it, or use a class on the outer one",
        ),
    ];
    let lower = text.to_ascii_lowercase();
    let outside = strip_quoted(&lower);
    for (pseudo, suggestion) in LATER {
        let name = pseudo.trim_end_matches('(');
        let found = outside.match_indices(name).any(|(at, _)| {
            !outside[at + name.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-')
        });
        if found {
            return Some(format!(
                "selector {text:?} uses {}, which depends on elements that come later in the page; \
                 Veneer rewrites while the page streams and cannot look ahead: {suggestion}",
                pseudo.trim_end_matches('(')
            ));
        }
    }
    for (combinator, name) in [('+', "next-sibling"), ('~', "later-sibling")] {
        if outside.contains(combinator) {
            return Some(format!(
                "selector {text:?} uses the {name} combinator \"{combinator}\", which streaming \
                 rewriting does not support; select the element by its own class or attribute, \
                 or by its parent with \">\" and :nth-child"
            ));
        }
    }
    None
}

/// The selector text outside quoted strings, attribute brackets and `(...)` arguments
/// (so `[href~="x"]` and `:nth-child(2n+1)` are not read as combinators).
fn strip_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote = None;
    let mut depth = 0u32;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '(') => depth += 1,
            (None, ']' | ')') => depth = depth.saturating_sub(1),
            (None, c) if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_that_need_lookahead_are_refused_with_advice() {
        let err = parse_selector("ul li:last-child").unwrap_err();
        assert_eq!(
            err,
            "selector \"ul li:last-child\" uses :last-child, which depends on elements that come later in the page; \
             Veneer rewrites while the page streams and cannot look ahead: use :first-child, or a class on the element"
        );
        assert!(
            parse_selector("h1 + p")
                .unwrap_err()
                .contains("next-sibling combinator \"+\"")
        );
        assert!(
            parse_selector("h1 ~ p")
                .unwrap_err()
                .contains("later-sibling")
        );
        assert!(
            parse_selector("a[href~=\"x\"]").is_ok(),
            "~= inside brackets is fine"
        );
        assert!(
            parse_selector("div >")
                .unwrap_err()
                .starts_with("invalid selector \"div >\"")
        );
    }
}
