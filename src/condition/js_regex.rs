//! JavaScript regular expressions (`$regex`, `$regexi`) on regex-lite.
//!
//! GrowthBook's patterns are JavaScript (non-`u`, web-compatible "Annex B") syntax; this module
//! translates them to regex-lite syntax with the same meaning, rejects what JS rejects, and
//! compiles them within the size limits.

use std::collections::HashMap;

use regex_lite::{Regex, RegexBuilder};

use super::{MAX_REGEX_CHARS, REGEX_NEST_LIMIT, REGEX_SIZE_LIMIT};
use crate::diagnostic::quoted as quote;

/// Compiles a JS pattern with regex-lite, or explains why it cannot be used.
pub(super) fn compile_regex(pattern: &str, insensitive: bool) -> Result<Regex, String> {
    let chars = pattern.chars().count();
    if chars > MAX_REGEX_CHARS {
        return Err(format!(
            "regular expression is {chars} characters; the limit is {MAX_REGEX_CHARS}"
        ));
    }
    let translated = translate_js_regex(pattern, insensitive)
        .map_err(|msg| format!("invalid regular expression {}: {msg}", quote(pattern)))?;
    RegexBuilder::new(&translated)
        .case_insensitive(insensitive)
        .size_limit(REGEX_SIZE_LIMIT)
        .nest_limit(REGEX_NEST_LIMIT)
        .build()
        .map_err(|e| {
            let msg = e.to_string();
            if msg.contains("size limit") || msg.contains("too many states") {
                format!(
                    "regular expression {} is too large once compiled (limit about {} KiB); \
                     simplify it, e.g. use smaller repetition counts",
                    quote(pattern),
                    REGEX_SIZE_LIMIT / 1024
                )
            } else if msg.contains("nesting") {
                format!(
                    "regular expression {} nests groups too deeply (limit {REGEX_NEST_LIMIT}); \
                     simplify it",
                    quote(pattern)
                )
            } else {
                format!("invalid regular expression {}: {msg}", quote(pattern))
            }
        })
}

/// JS's `\s` (WhiteSpace + LineTerminator), as regex-lite class items.
const JS_SPACE_ITEMS: &str =
    r"\t\n\x0B\x0C\r \xA0\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}";

/// JS's `\S`: the complement of [`JS_SPACE_ITEMS`], as regex-lite class items.
const JS_NON_SPACE_ITEMS: &str = r"\x00-\x08\x0E-\x1F!-\x9F\xA1-\x{167F}\x{1681}-\x{1FFF}\x{200B}-\x{2027}\x{202A}-\x{202E}\x{2030}-\x{205E}\x{2060}-\x{2FFF}\x{3001}-\x{FEFE}\x{FF00}-\x{10FFFF}";

/// JS's `.` without the `s` flag: anything but a line terminator.
const JS_DOT: &str = r"[^\n\r\x{2028}\x{2029}]";

/// Matches nothing (JS's `[]`).
const NEVER: &str = r"(?:\b\B)";

/// Widest non-ASCII class range whose case variants are added for `$regexi`.
const MAX_FOLDED_RANGE: u32 = 1024;

/// JS `Canonicalize` for non-unicode, case-insensitive patterns.
fn js_canonicalize(c: char) -> char {
    if (c as u32) > 0xFFFF {
        return c;
    }
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) if (u as u32) <= 0xFFFF && !((c as u32) >= 128 && (u as u32) < 128) => u,
        _ => c,
    }
}

/// For each canonical char, the other BMP chars that canonicalize to it.
fn fold_groups() -> &'static HashMap<char, Vec<char>> {
    static GROUPS: std::sync::OnceLock<HashMap<char, Vec<char>>> = std::sync::OnceLock::new();
    GROUPS.get_or_init(|| {
        let mut groups: HashMap<char, Vec<char>> = HashMap::new();
        for x in (0x80u32..=0xFFFF).filter_map(char::from_u32) {
            let u = js_canonicalize(x);
            if u != x {
                groups.entry(u).or_default().push(x);
            }
        }
        groups
    })
}

/// Chars that JS's case-insensitive (non-`u`) matching treats as equal to non-ASCII `c`.
fn case_variants(c: char) -> Vec<char> {
    if c.is_ascii() {
        return Vec::new();
    }
    let canon = js_canonicalize(c);
    let mut out = Vec::new();
    if canon != c {
        out.push(canon);
    }
    if let Some(group) = fold_groups().get(&canon) {
        out.extend(group.iter().copied().filter(|x| *x != c));
    }
    out
}

/// Emits `c` as an escaped literal.
fn push_literal(out: &mut String, c: char) {
    let mut buf = [0u8; 4];
    out.push_str(&regex_lite::escape(c.encode_utf8(&mut buf)));
}

/// Emits a literal char outside a class, folding non-ASCII case like JS when asked.
fn push_atom(out: &mut String, c: char, fold: bool) {
    let variants = if fold { case_variants(c) } else { Vec::new() };
    if variants.is_empty() {
        push_literal(out, c);
    } else {
        out.push('[');
        push_literal(out, c);
        for v in variants {
            push_literal(out, v);
        }
        out.push(']');
    }
}

/// The value of exactly `n` hex digits at `chars[at..]`, if they are there.
fn hex_digits(chars: &[char], at: usize, n: usize) -> Option<u32> {
    let slice = chars.get(at..at + n)?;
    if !slice.iter().all(char::is_ascii_hexdigit) {
        return None;
    }
    slice
        .iter()
        .try_fold(0u32, |acc, d| Some(acc * 16 + d.to_digit(16)?))
}

/// Length of a JS quantifier `{n}`, `{n,}` or `{n,m}` starting at `at`, if there is one.
fn quantifier_len(chars: &[char], at: usize) -> Option<usize> {
    let mut i = at + 1;
    let start = i;
    while chars.get(i).is_some_and(char::is_ascii_digit) {
        i += 1;
    }
    if i == start {
        return None;
    }
    if chars.get(i) == Some(&',') {
        i += 1;
        while chars.get(i).is_some_and(char::is_ascii_digit) {
            i += 1;
        }
    }
    (chars.get(i) == Some(&'}')).then_some(i + 1 - at)
}

/// One escape sequence of a JS pattern (what follows a backslash).
enum Esc {
    /// A single character.
    Char(char),
    /// A character set, as regex-lite class items.
    Set(&'static str),
    /// `\b` or `\B` outside a class.
    Assert(&'static str),
    /// A backreference, passed through for regex-lite to reject.
    Backref(String),
    /// A lone UTF-16 surrogate (`\uD800`): no valid text contains one.
    Surrogate(u32),
}

/// Capture groups in a JS pattern: how many, and whether any is named.
fn count_groups(chars: &[char]) -> (usize, bool) {
    let (mut count, mut named) = (0, false);
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '[' if !in_class => {
                in_class = true;
                // `[]` / `[^]`: a `]` right after the opening closes the class.
                if chars.get(i + 1) == Some(&'^') {
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    i += 1;
                    in_class = false;
                }
            }
            ']' if in_class => in_class = false,
            '(' if !in_class => match (chars.get(i + 1), chars.get(i + 2), chars.get(i + 3)) {
                (Some('?'), Some('<'), Some(c)) if *c != '=' && *c != '!' => {
                    count += 1;
                    named = true;
                }
                (Some('?'), _, _) => {}
                _ => count += 1,
            },
            _ => {}
        }
        i += 1;
    }
    (count, named)
}

/// Parses the escape whose letter is at `chars[j]` (after the backslash); returns it
/// and the index after it. Follows JS's Annex B (web-compatible) rules.
fn parse_escape(
    chars: &[char],
    j: usize,
    in_class: bool,
    groups: (usize, bool),
) -> Result<(Esc, usize), &'static str> {
    let Some(&e) = chars.get(j) else {
        return Err("\\ at end of pattern");
    };
    let next = j + 1;
    let esc = match e {
        'd' => Esc::Set(r"\d"),
        'D' => Esc::Set(r"\D"),
        'w' => Esc::Set(r"\w"),
        'W' => Esc::Set(r"\W"),
        's' => Esc::Set(JS_SPACE_ITEMS),
        'S' => Esc::Set(JS_NON_SPACE_ITEMS),
        'b' if in_class => Esc::Char('\u{08}'),
        'b' => Esc::Assert(r"\b"),
        'B' if !in_class => Esc::Assert(r"\B"),
        'n' => Esc::Char('\n'),
        'r' => Esc::Char('\r'),
        't' => Esc::Char('\t'),
        'v' => Esc::Char('\u{0B}'),
        'f' => Esc::Char('\u{0C}'),
        'c' => match chars.get(next) {
            Some(l)
                if l.is_ascii_alphabetic() || (in_class && (l.is_ascii_digit() || *l == '_')) =>
            {
                let code = (*l as u32) % 32;
                return Ok((Esc::Char(char::from_u32(code).unwrap_or('\0')), next + 1));
            }
            // A lone `\c` is a literal backslash; the `c` is read next.
            _ => return Ok((Esc::Char('\\'), j)),
        },
        'x' => match hex_digits(chars, next, 2).and_then(char::from_u32) {
            Some(c) => return Ok((Esc::Char(c), next + 2)),
            None => Esc::Char('x'),
        },
        'u' => match hex_digits(chars, next, 4) {
            Some(n) => {
                if let Some(c) = char::from_u32(n) {
                    return Ok((Esc::Char(c), next + 4));
                }
                // A surrogate pair written as two escapes is one character.
                let low = (chars.get(next + 4) == Some(&'\\') && chars.get(next + 5) == Some(&'u'))
                    .then(|| hex_digits(chars, next + 6, 4))
                    .flatten()
                    .filter(|lo| (0xD800..0xDC00).contains(&n) && (0xDC00..0xE000).contains(lo));
                if let Some(c) = low
                    .and_then(|lo| char::from_u32(0x10000 + ((n - 0xD800) << 10) + (lo - 0xDC00)))
                {
                    return Ok((Esc::Char(c), next + 10));
                }
                return Ok((Esc::Surrogate(n), next + 4));
            }
            None => Esc::Char('u'),
        },
        '1'..='9' if !in_class => {
            let mut end = j;
            while chars.get(end).is_some_and(char::is_ascii_digit) {
                end += 1;
            }
            let digits: String = chars[j..end].iter().collect();
            if digits.parse::<usize>().is_ok_and(|n| n <= groups.0) {
                return Ok((Esc::Backref(format!("\\{digits}")), end));
            }
            return Ok(legacy_octal_or_identity(chars, j));
        }
        '0'..='9' => return Ok(legacy_octal_or_identity(chars, j)),
        'k' if groups.1 && !in_class => Esc::Backref("\\k".to_string()),
        // Identity escape: the character itself.
        other => Esc::Char(other),
    };
    Ok((esc, next))
}

/// Annex B: `\8`/`\9` are the digit itself; `\0`-`\7` start a legacy octal escape.
fn legacy_octal_or_identity(chars: &[char], j: usize) -> (Esc, usize) {
    let first = chars.get(j).and_then(|c| c.to_digit(8));
    let Some(mut value) = first else {
        return (Esc::Char(chars.get(j).copied().unwrap_or('\\')), j + 1);
    };
    let max_len = if value <= 3 { 3 } else { 2 };
    let mut end = j + 1;
    while end - j < max_len {
        match chars.get(end).and_then(|c| c.to_digit(8)) {
            Some(d) => {
                value = value * 8 + d;
                end += 1;
            }
            None => break,
        }
    }
    (Esc::Char(char::from_u32(value).unwrap_or('\0')), end)
}

/// An item of a JS character class.
enum ClassItem {
    /// A single character.
    Char(char),
    /// A character set (`\d`, `\s`...), as regex-lite class items.
    Set(&'static str),
    /// Inclusive code-unit range; surrogate endpoints are clamped when emitted.
    Range(u32, u32),
    /// A lone surrogate: matches nothing in valid text.
    Surrogate(u32),
}

/// Parses one item of a class at `chars[i]`; returns it and the index after it.
fn class_atom(
    chars: &[char],
    i: usize,
    groups: (usize, bool),
) -> Result<(ClassItem, usize), &'static str> {
    match chars.get(i) {
        Some('\\') => {
            let (esc, next) = parse_escape(chars, i + 1, true, groups)?;
            let item = match esc {
                Esc::Char(c) => ClassItem::Char(c),
                Esc::Set(s) => ClassItem::Set(s),
                Esc::Surrogate(n) => ClassItem::Surrogate(n),
                // Not produced inside a class.
                Esc::Assert(_) | Esc::Backref(_) => ClassItem::Char('\\'),
            };
            Ok((item, next))
        }
        Some(&c) => Ok((ClassItem::Char(c), i + 1)),
        None => Err("missing ] to close a character class"),
    }
}

/// Translates the class starting after `[` at `i`; returns the index after its `]`.
fn translate_class(
    chars: &[char],
    mut i: usize,
    fold: bool,
    groups: (usize, bool),
    out: &mut String,
) -> Result<usize, &'static str> {
    let negated = chars.get(i) == Some(&'^');
    if negated {
        i += 1;
    }
    if chars.get(i) == Some(&']') {
        // JS: `[]` matches nothing, `[^]` matches anything.
        out.push_str(if negated { r"[\s\S]" } else { NEVER });
        return Ok(i + 1);
    }
    let mut items = Vec::new();
    loop {
        match chars.get(i) {
            None => return Err("missing ] to close a character class"),
            Some(']') => {
                i += 1;
                break;
            }
            Some(_) => {}
        }
        let (first, next) = class_atom(chars, i, groups)?;
        i = next;
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|c| *c != ']') {
            let (second, next) = class_atom(chars, i + 1, groups)?;
            i = next;
            let code = |item: &ClassItem| match item {
                ClassItem::Char(c) => Some(*c as u32),
                ClassItem::Surrogate(n) => Some(*n),
                ClassItem::Set(_) | ClassItem::Range(..) => None,
            };
            match (code(&first), code(&second)) {
                (Some(a), Some(b)) => {
                    if a > b {
                        return Err("range out of order in character class");
                    }
                    items.push(ClassItem::Range(a, b));
                }
                // Annex B: a range with a class escape is a union with a literal `-`.
                _ => {
                    items.push(first);
                    items.push(ClassItem::Char('-'));
                    items.push(second);
                }
            }
        } else {
            items.push(first);
        }
    }
    let mut body = String::new();
    let out_class = out;
    let out = &mut body;
    for item in items {
        match item {
            ClassItem::Char(c) => {
                push_literal(out, c);
                if fold {
                    for v in case_variants(c) {
                        push_literal(out, v);
                    }
                }
            }
            ClassItem::Set(s) => out.push_str(s),
            ClassItem::Range(a, b) => {
                // Valid text has no surrogates: clamp them off the range.
                let a = if (0xD800..0xE000).contains(&a) {
                    0xE000
                } else {
                    a
                };
                let b = if (0xD800..0xE000).contains(&b) {
                    0xD7FF
                } else {
                    b
                };
                let (Some(ca), Some(cb)) = (char::from_u32(a), char::from_u32(b)) else {
                    continue;
                };
                if ca > cb {
                    continue;
                }
                push_literal(out, ca);
                out.push('-');
                push_literal(out, cb);
                let lo = a.max(0x80);
                if fold && b >= lo && b - lo <= MAX_FOLDED_RANGE {
                    for x in (lo..=b).filter_map(char::from_u32) {
                        for v in case_variants(x) {
                            if v < ca || v > cb {
                                push_literal(out, v);
                            }
                        }
                    }
                }
            }
            ClassItem::Surrogate(_) => {}
        }
    }
    if body.is_empty() {
        // Only lone surrogates: the class matches nothing (or, negated, anything).
        out_class.push_str(if negated { r"[\s\S]" } else { NEVER });
    } else {
        out_class.push('[');
        if negated {
            out_class.push('^');
        }
        out_class.push_str(&body);
        out_class.push(']');
    }
    Ok(i)
}

/// What the previous piece of a JS pattern was, to reject what JS rejects
/// ("nothing to repeat") although regex-lite would accept it (`a**`, `^*`).
#[derive(Clone, Copy, PartialEq)]
enum Prev {
    /// Start of pattern or alternative, an open group, or an assertion.
    Nothing,
    /// Something a quantifier may follow.
    Atom,
    /// A quantifier, which may still take one lazy `?`.
    Quantifier,
    /// A lazy quantifier: nothing may follow that repeats.
    Lazy,
}

/// Translates a JavaScript (non-`u`, Annex B) regular expression into regex-lite
/// syntax with the same meaning.
///
/// Errors that JS reports but regex-lite would not are returned as `Err`;
/// constructs regex-lite lacks (look-around, backreferences) are passed
/// through so regex-lite reports them.
fn translate_js_regex(src: &str, fold: bool) -> Result<String, &'static str> {
    const NOTHING_TO_REPEAT: &str =
        "nothing to repeat (*, +, ? and {n} must follow a character, a class or a group)";
    let chars: Vec<char> = src.chars().collect();
    let groups = count_groups(&chars);
    let mut out = String::with_capacity(src.len() + 16);
    let mut i = 0;
    let mut prev = Prev::Nothing;
    while i < chars.len() {
        let c = chars[i];
        // A quantifier: `*`, `+`, `?` or a well-formed `{n}`, `{n,}`, `{n,m}`.
        let quantifier = match c {
            '*' | '+' | '?' => Some(1),
            '{' => quantifier_len(&chars, i),
            _ => None,
        };
        if let Some(n) = quantifier {
            prev = match (prev, c) {
                (Prev::Atom, _) => Prev::Quantifier,
                (Prev::Quantifier, '?') => Prev::Lazy,
                _ => return Err(NOTHING_TO_REPEAT),
            };
            out.extend(&chars[i..i + n]);
            i += n;
            continue;
        }
        prev = Prev::Atom;
        match c {
            '\\' => {
                let (esc, next) = parse_escape(&chars, i + 1, false, groups)?;
                i = next;
                match esc {
                    Esc::Char(c) => push_atom(&mut out, c, fold),
                    Esc::Set(s) => {
                        out.push('[');
                        out.push_str(s);
                        out.push(']');
                    }
                    Esc::Assert(a) => {
                        prev = Prev::Nothing;
                        out.push_str(a);
                    }
                    Esc::Backref(b) => out.push_str(&b),
                    Esc::Surrogate(_) => out.push_str(NEVER),
                }
            }
            '[' => i = translate_class(&chars, i + 1, fold, groups, &mut out)?,
            '(' => {
                prev = Prev::Nothing;
                if chars.get(i + 1) == Some(&'?') {
                    // Group kinds JS knows: (?:  (?=  (?!  (?<=  (?<!  (?<name>
                    let len = match (chars.get(i + 2), chars.get(i + 3)) {
                        (Some(':' | '=' | '!'), _) => 3,
                        (Some('<'), Some('=' | '!')) => 4,
                        (Some('<'), _) => match chars[i..].iter().position(|c| *c == '>') {
                            Some(end) => end + 1,
                            None => return Err("unterminated group name"),
                        },
                        _ => {
                            return Err("invalid group: JavaScript allows only (?:, (?=, (?!, \
                                        (?<=, (?<! and (?<name>");
                        }
                    };
                    out.extend(&chars[i..i + len]);
                    i += len;
                } else {
                    out.push('(');
                    i += 1;
                }
            }
            ')' => {
                out.push(')');
                i += 1;
            }
            '|' | '^' | '$' => {
                prev = Prev::Nothing;
                out.push(c);
                i += 1;
            }
            '.' => {
                out.push_str(JS_DOT);
                i += 1;
            }
            // Anything else, including `{` that is not a quantifier and a lone `}` or
            // `]`, is a literal in JS.
            other => {
                push_atom(&mut out, other, fold);
                i += 1;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::condition::Problem;
    use crate::condition::test_support::{errors, eval};
    use crate::diagnostic::JsonPath;

    #[test]
    fn invalid_regex_is_reported_and_false() {
        let errs = errors(json!({"$and": [{}, {"price": {"$regex": "("}}]}));
        assert_eq!(
            errs,
            vec![Problem {
                path: JsonPath::root()
                    .key("$and")
                    .index(1)
                    .key("price")
                    .key("$regex"),
                message: "invalid regular expression \"(\": found open group without closing ')'"
                    .into(),
            }]
        );
        assert_eq!(
            errs[0].to_string(),
            "$.$and[1].price.$regex: invalid regular expression \"(\": found open \
             group without closing ')'"
        );
        assert!(!eval(
            json!({"price": {"$regex": "("}}),
            json!({"price": "("})
        ));
        let errs = errors(json!({"ua": {"$regex": "(?=Mobile)"}}));
        assert!(errs[0].message.ends_with("look-around is not supported"));
    }

    #[test]
    fn long_and_huge_regexes_are_rejected() {
        let long = "a".repeat(1203);
        let errs = errors(json!({"ua": {"$regexi": long}}));
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].path.to_string(), "$.ua.$regexi");
        assert_eq!(
            errs[0].message,
            "regular expression is 1203 characters; the limit is 1000"
        );
        assert!(!eval(json!({"ua": {"$regexi": long}}), json!({"ua": long})));

        let huge = "((a|b|c){1000}){1000}";
        let errs = errors(json!({"ua": {"$regex": huge}}));
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0].message.starts_with(
                "regular expression \"((a|b|c){1000}){1000}\" is too large once compiled"
            ),
            "{}",
            errs[0].message
        );
        let nested = format!("{}a{}", "(".repeat(100), ")".repeat(100));
        let errs = errors(json!({"ua": {"$regex": nested}}));
        assert!(
            errs[0].message.contains("nests groups too deeply"),
            "{}",
            errs[0].message
        );
    }

    #[test]
    fn regex_translation() {
        assert!(eval(
            json!({"p": {"$regex": "^\\/shop\\/"}}),
            json!({"p": "/shop/x"})
        ));
        assert!(eval(
            json!({"p": {"$regex": "a\\<b\\>"}}),
            json!({"p": "a<b>"})
        ));
        assert!(eval(json!({"p": {"$regex": "a{"}}), json!({"p": "a{"})));
        assert!(eval(json!({"p": {"$regex": "x{2}"}}), json!({"p": "xx"})));
        assert!(eval(json!({"p": {"$regex": "^[^]$"}}), json!({"p": "\n"})));
        assert!(!eval(json!({"p": {"$regex": "[]"}}), json!({"p": "x"})));
        assert!(!eval(json!({"p": {"$regex": "a.b"}}), json!({"p": "a\rb"})));
        assert!(eval(
            json!({"p": {"$regex": "a\\sb"}}),
            json!({"p": "a\u{a0}b"})
        ));
        assert!(eval(json!({"p": {"$regex": "[[]"}}), json!({"p": "["})));
        assert!(eval(json!({"p": {"$regex": "[&&]"}}), json!({"p": "&"})));
        assert!(eval(json!({"p": {"$regex": "\\cJ"}}), json!({"p": "\n"})));
        assert!(eval(
            json!({"p": {"$regex": "\\x41\\u0042\\A"}}),
            json!({"p": "ABA"})
        ));
        assert!(eval(
            json!({"p": {"$regexi": "MÜNCHEN"}}),
            json!({"p": "münchen"})
        ));
        assert!(eval(
            json!({"p": {"$regexi": "[é]t[é]"}}),
            json!({"p": "ÉTÉ"})
        ));
        assert!(!eval(
            json!({"p": {"$regex": "MÜNCHEN"}}),
            json!({"p": "münchen"})
        ));
        // Annex B class rules, JS's \s/\S, surrogate escapes, JS case folding.
        assert!(eval(
            json!({"p": {"$regex": "^[\\w-.]+@"}}),
            json!({"p": "a.b-c@x"})
        ));
        assert!(eval(
            json!({"p": {"$regex": "^[\\d-z]+$"}}),
            json!({"p": "1-z"})
        ));
        assert!(!eval(
            json!({"p": {"$regex": "[\\S]"}}),
            json!({"p": "\u{a0}\u{feff}"})
        ));
        assert!(eval(
            json!({"p": {"$regex": "[\\c1]"}}),
            json!({"p": "\u{11}"})
        ));
        assert!(eval(
            json!({"p": {"$regex": "\\ud83d\\ude00"}}),
            json!({"p": "😀"})
        ));
        assert!(!eval(
            json!({"p": {"$regex": "a\\ud83d"}}),
            json!({"p": "a😀"})
        ));
        assert!(eval(
            json!({"p": {"$regex": "[^\\ud83d]"}}),
            json!({"p": "a"})
        ));
        assert!(eval(
            json!({"p": {"$regex": "\\8\\101"}}),
            json!({"p": "8A"})
        ));
        assert!(eval(json!({"p": {"$regexi": "σ"}}), json!({"p": "ς"})));
        assert!(eval(json!({"p": {"$regexi": "[à-ÿ]"}}), json!({"p": "É"})));
        assert!(eval(
            json!({"p": {"$regexi": "\\u00e9"}}),
            json!({"p": "É"})
        ));
        assert!(!eval(json!({"p": {"$regexi": "ß"}}), json!({"p": "ẞ"})));
        assert!(!eval(
            json!({"p": {"$regexi": "k"}}),
            json!({"p": "\u{212a}"})
        ));
        // What JS rejects is rejected even where regex-lite would accept it.
        for bad in ["a**", "a???", "^*", "\\b+", "x{2}{3}", "(?i)a", "a\\"] {
            let errs = errors(json!({"p": {"$regex": bad}}));
            assert_eq!(errs.len(), 1, "{bad}");
            assert!(
                errs[0].message.starts_with("invalid regular expression"),
                "{bad}"
            );
        }
        assert_eq!(
            errors(json!({"p": {"$regex": "a**"}}))[0].message,
            "invalid regular expression \"a**\": nothing to repeat (*, +, ? and {n} must follow \
             a character, a class or a group)"
        );
        for good in [
            "a*?",
            "(?:ab)+",
            "(?<year>\\d{4})-",
            "a{2}?",
            "[*+?]",
            "\\*+",
        ] {
            assert!(errors(json!({"p": {"$regex": good}})).is_empty(), "{good}");
        }
        assert!(eval(
            json!({"p": {"$regex": "^(?<y>\\d{4})-\\d{2}$"}}),
            json!({"p": "2024-05"})
        ));
        assert!(
            errors(json!({"p": {"$regex": "(\\w+)\\1"}}))[0]
                .message
                .ends_with("backreferences are not supported")
        );
    }
}
