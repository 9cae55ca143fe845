//! Find-and-replace patterns, compiled once: literal text or a regular expression and its replacement.

use std::borrow::Cow;
use std::iter::Peekable;
use std::str::Chars;

use regex_lite::{Regex, RegexBuilder};

use super::template::{Escape, push_escaped};

/// The largest a text node may grow to through replacements, in bytes; a replacement that
/// would make it larger leaves it as it was.
pub const MAX_REPLACED_NODE_BYTES: usize = 1024 * 1024;

/// What regular expression searches may read on a page before its text adds to it, in bytes.
pub(crate) const REGEX_SCAN_BASE: usize = 1024 * 1024;

/// What each byte of text handed to a regular expression adds to what searches may read.
///
/// A search reads at most the rest of its text node, usually far less, but a pattern such as
/// `.*x|y` reads to the end of the node on every search, which makes finding all matches
/// quadratic in the node's length. Charging each search the rest of the node against this
/// allowance keeps the worst case linear in the page's text (about 17 full scans per regular
/// expression). Unused allowance carries over to later nodes. A node whose searches would
/// overdraw it is left unchanged by that replacement (never half replaced); an ordinary node
/// costs about (matches + 1) x its length / 2, so this only bites nodes with dozens of matches
/// that are also several KiB long.
pub(crate) const REGEX_SCAN_PER_BYTE: usize = 16;

/// Escapes plain text for HTML text content (and attribute values, for good measure).
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text, Escape::Html);
    out
}

/// The longest regular expression accepted, in characters.
pub const MAX_PATTERN_CHARS: usize = 1_000;

/// Compiled size limit for a regular expression: it bounds the time each search can take.
const REGEX_SIZE_LIMIT: usize = 256 * 1024;

/// Texts on which a regular expression is tried, to refuse one that can match empty text.
const EMPTY_MATCH_PROBES: &[&str] = &["", "a", " ", "a b", "ab\ncd", "\r\n", "1.5", "€ é"];

/// One compiled replacement.
#[derive(Debug, Clone)]
pub struct TextReplacement {
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Literal {
        find: String,
        with_html: String,
    },
    Regex {
        regex: Regex,
        with: Vec<Piece>,
        /// Text every match contains ([`required_literal`]): a text node without it is not
        /// searched, as regex-lite has no literal optimizations of its own.
        required: Option<String>,
    },
}

/// One piece of a regular expression's replacement.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// Text from the marketer, already HTML-escaped.
    Html(String),
    /// A capture group, inserted as the page's source text.
    Group(usize),
}

impl TextReplacement {
    /// Replaces every occurrence of `find` (as written in the HTML source) with the text `with`.
    pub fn literal(find: &str, with: &str) -> Result<Self, String> {
        if find.is_empty() {
            return Err("the text to find is empty".to_string());
        }
        Ok(Self {
            kind: Kind::Literal {
                find: find.to_string(),
                with_html: escape_html(with),
            },
        })
    }

    /// Replaces every match of the regular expression `pattern` with `with` (`$1`, `${name}`).
    pub fn regex(pattern: &str, with: &str) -> Result<Self, String> {
        let chars = pattern.chars().count();
        if chars > MAX_PATTERN_CHARS {
            return Err(format!(
                "regular expression is too long ({chars} characters; at most {MAX_PATTERN_CHARS})"
            ));
        }
        if pattern.is_empty() {
            return Err("the regular expression is empty".to_string());
        }
        let regex = RegexBuilder::new(pattern)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| {
                let reason = e.to_string();
                let reason = if reason.contains("size limit") {
                    "it is too complex (use fewer or smaller counted repetitions like {100})"
                        .to_string()
                } else {
                    reason
                };
                format!("invalid regular expression {pattern:?}: {reason}")
            })?;
        if can_match_empty(&regex) {
            return Err(format!(
                "regular expression {pattern:?} can match empty text; it must always match at \
                 least one character (check for a `*`, `?` or `|` that makes everything optional)"
            ));
        }
        let with = parse_template(&regex, with)?;
        Ok(Self {
            kind: Kind::Regex {
                regex,
                with,
                required: required_literal(pattern),
            },
        })
    }

    /// Applies this replacement to HTML source text; borrows when nothing matched.
    ///
    /// Regular expression searches draw on `budget` (see [`REGEX_SCAN_PER_BYTE`]); when it
    /// cannot pay for the next search, the text is left as it was by this replacement.
    pub(crate) fn apply<'t>(&self, text: &'t str, budget: &mut usize) -> Cow<'t, str> {
        match &self.kind {
            Kind::Literal { find, with_html } => {
                if !text.contains(find.as_str()) {
                    return Cow::Borrowed(text);
                }
                if with_html.len() > find.len() {
                    let growth = with_html.len() - find.len();
                    let count = text.matches(find.as_str()).count();
                    if text.len().saturating_add(count.saturating_mul(growth))
                        > MAX_REPLACED_NODE_BYTES
                    {
                        return Cow::Borrowed(text);
                    }
                }
                Cow::Owned(text.replace(find.as_str(), with_html))
            }
            Kind::Regex {
                regex,
                with,
                required,
            } => {
                *budget = budget.saturating_add(text.len().saturating_mul(REGEX_SCAN_PER_BYTE));
                if required.as_deref().is_some_and(|r| !text.contains(r)) {
                    return Cow::Borrowed(text);
                }
                let mut out = String::new();
                let mut copied = 0;
                let mut at = 0;
                while at < text.len() {
                    // A search reads at most the rest of the text.
                    let cost = text.len() - at;
                    if cost > *budget {
                        return Cow::Borrowed(text);
                    }
                    *budget -= cost;
                    let Some(caps) = regex.captures_at(text, at) else {
                        break;
                    };
                    let Some(whole) = caps.get(0) else { break };
                    if whole.is_empty() {
                        // Refused at compile time when detectable; never insert at an empty match.
                        at = text[whole.end()..]
                            .chars()
                            .next()
                            .map_or(text.len(), |c| whole.end() + c.len_utf8());
                        continue;
                    }
                    out.push_str(&text[copied..whole.start()]);
                    for piece in with {
                        match piece {
                            Piece::Html(html) => out.push_str(html),
                            Piece::Group(index) => {
                                if let Some(group) = caps.get(*index) {
                                    out.push_str(group.as_str());
                                }
                            }
                        }
                    }
                    if out.len() > MAX_REPLACED_NODE_BYTES {
                        return Cow::Borrowed(text);
                    }
                    copied = whole.end();
                    at = whole.end();
                }
                if copied == 0 || out.len() + (text.len() - copied) > MAX_REPLACED_NODE_BYTES {
                    Cow::Borrowed(text)
                } else {
                    out.push_str(&text[copied..]);
                    Cow::Owned(out)
                }
            }
        }
    }
}

/// The longest run of plain characters that every match of `pattern` contains, if it has one
/// (`Free returns within (\d+) days` → `"Free returns within "`).
///
/// Only what is certain counts: runs outside groups and classes, less any character a
/// quantifier applies to (`?`, `*`, `+`, `{…}`). Nothing is required when the pattern
/// has a top-level `|`; the scan stops at a flag group (`(?i)` changes how what follows
/// matches) and at an escape that is neither escaped punctuation nor a one-letter class or
/// assertion.
fn required_literal(pattern: &str) -> Option<String> {
    let mut runs: Vec<String> = Vec::new();
    let mut run = String::new();
    // Whether the last thing read was a plain character, the one a quantifier would apply to.
    let mut after_char = false;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        let mut plain = None;
        match c {
            '\\' => match chars.next() {
                // Escaped punctuation that stands for itself (not `\<` or `\>`: word boundaries).
                Some(e) if "\\.+*?()|[]{}^$#&-~/".contains(e) => plain = Some(e),
                Some(
                    'd' | 'D' | 'w' | 'W' | 's' | 'S' | 'b' | 'B' | 'A' | 'z' | 'n' | 't' | 'r'
                    | 'f' | 'v',
                ) => {}
                _ => break,
            },
            // Even `+`: a quantifier after it (`a+?`, `a+*`) would apply to `a+`.
            '?' | '*' | '+' | '{' => {
                if after_char {
                    run.pop();
                }
                if c == '{' && !chars.by_ref().any(|q| q == '}') {
                    break;
                }
            }
            '|' => return None,
            '(' => {
                if chars.peek() == Some(&'?') && is_flag_group(chars.clone()) {
                    // A quantifier after `(?i)` applies to the character before it.
                    if after_char {
                        run.pop();
                    }
                    break;
                }
                if !skip_group(&mut chars) {
                    break;
                }
            }
            '[' => {
                if !skip_class(&mut chars) {
                    break;
                }
            }
            '.' | '^' | '$' | ')' | ']' | '}' => {}
            other => plain = Some(other),
        }
        after_char = plain.is_some();
        match plain {
            Some(p) => run.push(p),
            None => runs.push(std::mem::take(&mut run)),
        }
    }
    runs.push(run);
    // The first of the longest.
    runs.into_iter()
        .rev()
        .filter(|r| !r.is_empty())
        .max_by_key(String::len)
}

/// Whether the group whose `(` was just read is `(?flags)`, which changes how the rest matches.
fn is_flag_group(mut rest: Peekable<Chars<'_>>) -> bool {
    rest.next();
    for c in rest {
        match c {
            ')' => return true,
            c if c.is_ascii_alphabetic() || c == '-' => {}
            _ => return false,
        }
    }
    false
}

/// Reads past the group whose `(` was just read; `false` when it does not close.
fn skip_group(chars: &mut Peekable<Chars<'_>>) -> bool {
    let mut depth = 1;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            // Past a nested class, which may hold brackets and parentheses of its own.
            '[' if !skip_class(chars) => return false,
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// Reads past the class whose `[` was just read (nested classes included; a `]` first, or
/// after `^`, is a member); `false` when it does not close.
fn skip_class(chars: &mut Peekable<Chars<'_>>) -> bool {
    if chars.peek() == Some(&'^') {
        chars.next();
    }
    if chars.peek() == Some(&']') {
        chars.next();
    }
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            // Past a nested class, which may hold brackets and parentheses of its own.
            '[' if !skip_class(chars) => return false,
            ']' => return true,
            _ => {}
        }
    }
    false
}

/// Whether `regex` finds an empty match anywhere in a few probe texts.
///
/// Best effort: a pattern that can only match empty text in contexts the probes miss is not
/// refused, and such matches are skipped when replacing.
fn can_match_empty(regex: &Regex) -> bool {
    EMPTY_MATCH_PROBES.iter().any(|probe| {
        probe
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(probe.len()))
            .any(|at| regex.find_at(probe, at).is_some_and(|m| m.is_empty()))
    })
}

/// Parses a replacement with `$1`, `$name`, `${name}` and `$$`, the way regex-lite reads it,
/// but refuses references to groups the pattern does not have.
fn parse_template(regex: &Regex, with: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut rest = with;
    while let Some(dollar) = rest.find('$') {
        literal.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        let (name, consumed) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => (&braced[..end], end + 2),
                None => {
                    return Err(format!(
                        "the replacement {with:?} has a `${{` without its closing `}}` \
                         (write $$ for a literal $)"
                    ));
                }
            }
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..len], len)
        };
        rest = &after[consumed..];
        if consumed == 0 {
            // `$$` is a literal `$`; so is a `$` that does not start a group reference.
            literal.push('$');
            if let Some(next) = rest.strip_prefix('$') {
                rest = next;
            }
            continue;
        }
        let index = group_index(regex, name).ok_or_else(|| unknown_group(regex, with, name))?;
        if !literal.is_empty() {
            pieces.push(Piece::Html(escape_html(&literal)));
            literal.clear();
        }
        pieces.push(Piece::Group(index));
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        pieces.push(Piece::Html(escape_html(&literal)));
    }
    Ok(pieces)
}

/// The index of the group `name` refers to (a number or a group name), if the pattern has it.
fn group_index(regex: &Regex, name: &str) -> Option<usize> {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
        return name
            .parse::<usize>()
            .ok()
            .filter(|&i| i < regex.captures_len());
    }
    regex.capture_names().position(|n| n == Some(name))
}

fn unknown_group(regex: &Regex, with: &str, name: &str) -> String {
    let groups = regex.captures_len().saturating_sub(1);
    let digits = name.bytes().take_while(u8::is_ascii_digit).count();
    let hint = if digits > 0 && digits < name.len() {
        format!(
            " (to put text right after a group, use braces: ${{{}}}{})",
            &name[..digits],
            &name[digits..]
        )
    } else {
        " (write $$ for a literal $)".to_string()
    };
    format!(
        "the replacement {with:?} refers to group {name:?}, but the regular expression has \
         {groups} group(s){hint}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_errors_a_marketer_can_act_on() {
        let err = TextReplacement::regex("(", "x").unwrap_err();
        assert!(
            err.starts_with("invalid regular expression \"(\": "),
            "{err}"
        );
        let err = TextReplacement::regex("", "x").unwrap_err();
        assert_eq!(err, "the regular expression is empty");
        let long = "a".repeat(MAX_PATTERN_CHARS + 1);
        let err = TextReplacement::regex(&long, "x").unwrap_err();
        assert_eq!(
            err,
            "regular expression is too long (1001 characters; at most 1000)"
        );
        assert!(TextReplacement::regex(&"€".repeat(MAX_PATTERN_CHARS), "x").is_ok());
        let err = TextReplacement::regex("a{1000}{1000}", "x").unwrap_err();
        assert!(err.contains("too complex"), "{err}");
        for empty in [
            "a*",
            "x?",
            "sale|",
            "^",
            "$",
            r"\b",
            r"\B",
            "(?m)^$",
            r"\b{start}",
            r"(?:\d+)?",
            "()",
        ] {
            let err = TextReplacement::regex(empty, "x").unwrap_err();
            assert!(err.contains("can match empty text"), "{empty}: {err}");
        }
        for fine in [r"\d+", r"^\s+", r"\bsale\b", "a+|b", "(?i)free shipping"] {
            assert!(TextReplacement::regex(fine, "x").is_ok(), "{fine}");
        }
    }

    #[test]
    fn the_text_every_match_contains() {
        for (pattern, required) in [
            (
                r"Free returns within (\d+) days",
                Some("Free returns within "),
            ),
            (r"(\d+)% off", Some("% off")),
            (r"€(\d+)\.00 each", Some(".00 each")),
            (r"\$\d+", Some("$")),
            ("sales?", Some("sale")),
            ("colou?r", Some("colo")),
            ("ab*c", Some("a")),
            ("abc+de", Some("ab")),
            ("ab{2}cde", Some("cde")),
            ("ab+?c", Some("a")),
            ("a+*b", Some("b")),
            (r"\bsale\b", Some("sale")),
            (r"\b{start}sale", Some("sale")),
            ("[]a]bc", Some("bc")),
            ("[^]a]bc", Some("bc")),
            ("[[:alpha:]]xy", Some("xy")),
            (r"[\]x]yz", Some("yz")),
            ("(a|b)cd", Some("cd")),
            ("(?:ab|cd)?ef", Some("ef")),
            ("#1 - best", Some("#1 - best")),
            ("sale|deal", None),
            ("(?i)sale", None),
            ("abc(?i)de", Some("ab")),
            ("a(?i)?", None),
            (r"\x41bc", None),
            (r"\<sale", None),
            (r"\d+", None),
            ("(sale|deal)", None),
            (r"\d+ left", Some(" left")),
            ("a.b", Some("a")),
            ("é?x", Some("x")),
        ] {
            assert_eq!(required_literal(pattern).as_deref(), required, "{pattern}");
        }
    }

    /// Every match of every pattern made of up to three pieces contains the text the pattern
    /// requires: a node without it can be left unsearched.
    #[test]
    fn the_required_text_is_in_every_match() {
        const PIECES: &[&str] = &[
            "a", "b", "é", " ", r"\.", ".", r"\d", "[ab]", "[]a]", "(a|b)", "(?i)", "(?:ab)?", "?",
            "*", "+", "{2}", "|", "^", r"\b", "-",
        ];
        let texts = ["a", "b", "é", " ", ".", "1", "A", "]", "-"];
        let mut haystack = String::new();
        for x in texts {
            for y in texts {
                haystack.push_str(x);
                haystack.push_str(y);
                haystack.push('\n');
                for z in texts {
                    haystack.push_str(x);
                    haystack.push_str(y);
                    haystack.push_str(z);
                    haystack.push(' ');
                }
            }
        }
        let mut checked = 0;
        let n = PIECES.len();
        for i in 0..n * n * n + n * n + n {
            let mut pattern = String::new();
            let mut k = i;
            loop {
                pattern.push_str(PIECES[k % n]);
                if k < n {
                    break;
                }
                k = k / n - 1;
            }
            let Some(required) = required_literal(&pattern) else {
                continue;
            };
            let Ok(regex) = Regex::new(&pattern) else {
                continue;
            };
            for m in regex.find_iter(&haystack) {
                assert!(
                    m.as_str().contains(&required),
                    "{pattern:?} matched {:?}, which lacks {required:?}",
                    m.as_str()
                );
                checked += 1;
            }
        }
        assert!(checked > 100_000, "only {checked} matches checked");
    }

    #[test]
    fn empty_matches_are_never_replaced() {
        // Bypasses the compile-time check, which refuses this pattern.
        let unchecked = TextReplacement {
            kind: Kind::Regex {
                regex: Regex::new("a*").unwrap(),
                with: vec![Piece::Html("-".to_string())],
                required: None,
            },
        };
        let mut budget = REGEX_SCAN_BASE;
        assert_eq!(unchecked.apply("baac€", &mut budget), "b-c€");
        assert_eq!(unchecked.apply("€é", &mut budget), "€é");
    }
}
