//! Templates in rule values: `"Free shipping to {{country}}"`, `"/search?q={{query.q}}"`.
//!
//! A template is parsed once, when the rules compile. At request time each `{{path}}` is replaced
//! by the visitor attribute at that dotted path (missing: empty), escaped for the place the
//! value lands in, so that a hostile query string can never add markup, script, a URL scheme or
//! a header line. Substitution is a single pass: a value containing `{{` stays literal text.

use std::fmt::Write as _;

use serde_json::Value;

/// Where a rendered value goes, which decides how request data is escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// Text content that lol_html escapes itself (`set_text`): substituted as is.
    Text,
    /// HTML markup or an attribute value: `& < > " '` become entities.
    Html,
    /// A URL: substituted values are percent-encoded as a component, so they cannot change the
    /// scheme, host or path structure (`javascript:` becomes `javascript%3A`).
    Url,
    /// An HTTP header value: control characters dropped; `;`, `,`, `%` and non-ASCII
    /// percent-encoded (header values are ASCII).
    Header,
    /// A CSS property value: only letters, digits, spaces and `# . , % - _` are kept, so a value
    /// cannot end the declaration or call `url()`.
    Css,
}

/// A parsed template: literal text and attribute references, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Attribute(Vec<String>),
}

/// The longest substituted value kept, so a huge cookie cannot blow up a page.
const MAX_VALUE_BYTES: usize = 2048;

impl Template {
    /// Parses a value; `{{` must be closed by `}}` around a dotted attribute path.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_owned()));
            }
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else {
                return Err(format!(
                    "\"{{{{\" at byte {} is not closed by \"}}}}\"; write templates like {{{{country}}}}",
                    text.len() - rest.len() + open
                ));
            };
            let path = after[..close].trim();
            let valid = !path.is_empty()
                && path.split('.').all(|seg| {
                    !seg.is_empty()
                        && seg
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                });
            if !valid {
                return Err(format!(
                    "{{{{{path}}}}} is not an attribute path; expected names like {{{{country}}}} or {{{{query.q}}}}"
                ));
            }
            parts.push(Part::Attribute(
                path.split('.').map(str::to_owned).collect(),
            ));
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_owned()));
        }
        Ok(Self { parts })
    }

    /// A template that is only literal text.
    pub fn literal(text: &str) -> Self {
        Self {
            parts: vec![Part::Literal(text.to_owned())],
        }
    }

    /// Whether rendering depends on the visitor.
    pub fn is_dynamic(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Attribute(_)))
    }

    /// The literal text, when the template has no attribute references.
    pub fn as_literal(&self) -> Option<String> {
        (!self.is_dynamic()).then(|| {
            self.parts
                .iter()
                .map(|p| match p {
                    Part::Literal(s) => s.as_str(),
                    Part::Attribute(_) => "",
                })
                .collect()
        })
    }

    /// The literal text before the first attribute reference.
    pub fn literal_prefix(&self) -> String {
        self.parts
            .iter()
            .map_while(|p| match p {
                Part::Literal(s) => Some(s.as_str()),
                Part::Attribute(_) => None,
            })
            .collect()
    }

    /// All literal text, without the attribute references.
    pub fn literal_text(&self) -> String {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Literal(s) => Some(s.as_str()),
                Part::Attribute(_) => None,
            })
            .collect()
    }

    /// Fills in visitor attributes, escaping each substituted value for `escape`.
    pub fn render(&self, attributes: &Value, escape: Escape) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Attribute(path) => {
                    let value = lookup(attributes, path);
                    push_escaped(&mut out, truncate(&value), escape);
                }
            }
        }
        out
    }
}

fn lookup(attributes: &Value, path: &[String]) -> String {
    let mut at = attributes;
    for seg in path {
        at = match at {
            Value::Object(map) => match map.get(seg) {
                Some(v) => v,
                None => return String::new(),
            },
            Value::Array(list) => match seg.parse::<usize>().ok().and_then(|i| list.get(i)) {
                Some(v) => v,
                None => return String::new(),
            },
            _ => return String::new(),
        };
    }
    match at {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null | Value::Array(_) | Value::Object(_) => String::new(),
    }
}

fn truncate(value: &str) -> &str {
    if value.len() <= MAX_VALUE_BYTES {
        return value;
    }
    let mut end = MAX_VALUE_BYTES;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}

/// Appends `value` to `out`, escaped for `escape`.
pub fn push_escaped(out: &mut String, value: &str, escape: Escape) {
    match escape {
        Escape::Text => out.push_str(value),
        Escape::Html => {
            for c in value.chars() {
                match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    '"' => out.push_str("&quot;"),
                    '\'' => out.push_str("&#39;"),
                    c => out.push(c),
                }
            }
        }
        Escape::Url => {
            for b in value.bytes() {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                    out.push(b as char);
                } else {
                    let _ = write!(out, "%{b:02X}");
                }
            }
        }
        Escape::Header => {
            for c in value.chars() {
                match c {
                    c if c.is_control() => {}
                    ';' | ',' | '%' => {
                        let _ = write!(out, "%{:02X}", c as u32);
                    }
                    c if c.is_ascii() => out.push(c),
                    c => {
                        let mut buf = [0u8; 4];
                        for b in c.encode_utf8(&mut buf).bytes() {
                            let _ = write!(out, "%{b:02X}");
                        }
                    }
                }
            }
        }
        Escape::Css => out.extend(value.chars().filter(|c| {
            c.is_alphanumeric() || matches!(c, ' ' | '#' | '.' | ',' | '%' | '-' | '_')
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const HOSTILE: &str = "\"><script>alert(1)</script>";

    fn attrs() -> Value {
        json!({
            "country": "DE",
            "query": { "q": HOSTILE, "next": "javascript:alert(1)", "t": "{{country}}", "h": "a\r\nSet-Cookie: x=1; y" },
            "cart": { "items": 3 },
            "list": ["a", "b"]
        })
    }

    #[test]
    fn substitutes_dotted_paths_and_leaves_missing_empty() {
        let t = Template::parse("Hi {{country}}, {{ cart.items }} items, {{list.1}}, [{{nope.x}}]")
            .unwrap();
        assert!(t.is_dynamic());
        assert_eq!(t.render(&attrs(), Escape::Text), "Hi DE, 3 items, b, []");
        assert_eq!(
            Template::parse("plain").unwrap().as_literal().as_deref(),
            Some("plain")
        );
    }

    #[test]
    fn hostile_values_are_escaped_for_their_context() {
        let t = Template::parse("<b>{{query.q}}</b>").unwrap();
        assert_eq!(
            t.render(&attrs(), Escape::Html),
            "<b>&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</b>"
        );
        let url = Template::parse("{{query.next}}").unwrap();
        assert_eq!(
            url.render(&attrs(), Escape::Url),
            "javascript%3Aalert%281%29"
        );
        let search = Template::parse("/search?q={{query.q}}").unwrap();
        assert_eq!(
            search.render(&attrs(), Escape::Url),
            "/search?q=%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E"
        );
        let header = Template::parse("v={{query.h}}").unwrap();
        assert_eq!(
            header.render(&attrs(), Escape::Header),
            "v=aSet-Cookie: x=1%3B y"
        );
    }

    #[test]
    fn substitution_is_one_pass() {
        let t = Template::parse("{{query.t}}").unwrap();
        assert_eq!(t.render(&attrs(), Escape::Html), "{{country}}");
    }

    #[test]
    fn bad_templates_are_refused_with_a_reason() {
        assert_eq!(
            Template::parse("Hi {{country").unwrap_err(),
            "\"{{\" at byte 3 is not closed by \"}}\"; write templates like {{country}}"
        );
        assert_eq!(
            Template::parse("{{ a b }}").unwrap_err(),
            "{{a b}} is not an attribute path; expected names like {{country}} or {{query.q}}"
        );
        assert!(Template::parse("{{}}").is_err());
    }

    #[test]
    fn long_values_are_truncated_on_a_char_boundary() {
        let long = "€".repeat(1000);
        let t = Template::parse("{{v}}").unwrap();
        let out = t.render(&json!({ "v": long }), Escape::Text);
        assert!(out.len() <= MAX_VALUE_BYTES && out.len() > MAX_VALUE_BYTES - 3);
    }
}
