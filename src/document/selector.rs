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
