//! Page patterns: which request paths a rule applies to.
//!
//! A pattern is an exact path (`/cart`), a prefix ending in `*` (`/c/*` matches `/c/shoes` and
//! `/c/`), or `*` alone for every page.

use std::collections::HashMap;
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

/// Which rules can apply to a path, so a request only evaluates the rules for its page.
///
/// Exact paths are looked up directly and prefixes by each prefix length in use, so the cost
/// depends on the path and the number of distinct prefix lengths, not on the number of rules.
#[derive(Debug, Clone, Default)]
pub struct PageIndex {
    any: Vec<usize>,
    exact: HashMap<String, Vec<usize>>,
    prefix: HashMap<String, Vec<usize>>,
    prefix_lengths: Vec<usize>,
}

impl PageIndex {
    /// Indexes rules by their page patterns (rule `i` has the `i`th list; empty means any page).
    pub fn new<'a>(rules: impl Iterator<Item = &'a [PagePattern]>) -> Self {
        let mut index = Self::default();
        for (i, pages) in rules.enumerate() {
            if pages.is_empty() {
                index.any.push(i);
            }
            for page in pages {
                match page {
                    PagePattern::Any => index.any.push(i),
                    PagePattern::Exact(p) => index.exact.entry(p.clone()).or_default().push(i),
                    PagePattern::Prefix(p) => {
                        index.prefix.entry(p.clone()).or_default().push(i);
                        index.prefix_lengths.push(p.len());
                    }
                }
            }
        }
        index.prefix_lengths.sort_unstable();
        index.prefix_lengths.dedup();
        index
    }

    /// The rules that can apply to `path`, in rule order, each once.
    pub fn candidates(&self, path: &str) -> Vec<usize> {
        let mut out = self.any.clone();
        if let Some(rules) = self.exact.get(path) {
            out.extend_from_slice(rules);
        }
        for &len in self.prefix_lengths.iter().take_while(|&&l| l <= path.len()) {
            if let Some(rules) = path.get(..len).and_then(|p| self.prefix.get(p)) {
                out.extend_from_slice(rules);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_finds_exactly_the_matching_rules() {
        let pages: Vec<Vec<PagePattern>> = [
            vec!["/"],
            vec!["/c/*", "/cart"],
            vec![],
            vec!["*"],
            vec!["/c/shoes"],
            vec!["/c/shoes/*"],
        ]
        .iter()
        .map(|list| {
            list.iter()
                .map(|p| PagePattern::parse(p).unwrap())
                .collect()
        })
        .collect();
        let index = PageIndex::new(pages.iter().map(Vec::as_slice));
        for path in [
            "/",
            "/c/shoes",
            "/c/shoes/",
            "/cart",
            "/c",
            "/p/1",
            "/c/shoes/x/€",
        ] {
            let brute: Vec<usize> = (0..pages.len())
                .filter(|&i| pages[i].is_empty() || pages[i].iter().any(|p| p.matches(path)))
                .collect();
            assert_eq!(index.candidates(path), brute, "{path}");
        }
    }

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
