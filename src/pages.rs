//! Page patterns: which request paths a rule applies to.
//!
//! A pattern is an exact path (`/cart`), a prefix ending in `*` (`/c/*` matches `/c/shoes` and
//! `/c/`), or `*` alone for every page.

use std::fmt;

/// One compiled page pattern, so a request only evaluates the rules for its page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PagePattern {
    /// Every page.
    Any,
    /// Exactly this path.
    Exact(String),
    /// Any path that starts with this prefix.
    Prefix(String),
}

/// Why a page pattern was rejected, worded for the person who wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagePatternError(pub String);

impl fmt::Display for PagePatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PagePattern {
    /// Parses a pattern as written in a rules document.
    pub fn parse(text: &str) -> Result<Self, PagePatternError> {
        if text == "*" {
            return Ok(Self::Any);
        }
        if !text.starts_with('/') {
            return Err(PagePatternError(format!(
                "expected a path starting with \"/\" (like \"/c/*\") or \"*\", found {text:?}"
            )));
        }
        match text.find('*') {
            None => Ok(Self::Exact(text.to_owned())),
            Some(at) if at == text.len() - 1 => Ok(Self::Prefix(text[..at].to_owned())),
            Some(_) => Err(PagePatternError(format!(
                "\"*\" may only end a pattern (like \"/c/*\"), found {text:?}"
            ))),
        }
    }

    /// Whether a request path (without query) belongs to this pattern.
    pub fn matches(&self, path: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Exact(p) => p == path,
            Self::Prefix(p) => path.starts_with(p.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_prefix_and_any() {
        let exact = PagePattern::parse("/cart").unwrap();
        assert!(exact.matches("/cart"));
        assert!(!exact.matches("/cart/x"));
        let prefix = PagePattern::parse("/c/*").unwrap();
        assert!(prefix.matches("/c/shoes"));
        assert!(prefix.matches("/c/"));
        assert!(!prefix.matches("/cart"));
        assert!(PagePattern::parse("*").unwrap().matches("/anything"));
    }

    #[test]
    fn rejects_bad_patterns_with_reasons() {
        assert_eq!(
            PagePattern::parse("cart").unwrap_err().0,
            "expected a path starting with \"/\" (like \"/c/*\") or \"*\", found \"cart\""
        );
        assert_eq!(
            PagePattern::parse("/c/*/x").unwrap_err().0,
            "\"*\" may only end a pattern (like \"/c/*\"), found \"/c/*/x\""
        );
    }
}
