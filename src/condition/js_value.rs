//! JavaScript value semantics on JSON values, as GrowthBook's JS SDK inherits them: `===`,
//! truthiness, `ToPrimitive`, `<`, `Number(...)`, `String(...)` and `paddedVersionString`.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Value;

use super::MAX_VALUE_RECURSION;

/// JS `===` on JSON values: objects and arrays are never equal (distinct references).
pub(super) fn strict_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::String(y)) => x == y,
        _ => false,
    }
}

/// `JSON.stringify(a) === JSON.stringify(b)`, except that object key order is ignored.
pub(super) fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => strict_eq(a, b),
    }
}

/// JS truthiness (`!!value`).
pub(super) fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// GrowthBook's `getType`.
pub(super) fn js_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A JS primitive, the result of `ToPrimitive` on a JSON value.
#[derive(Debug, Clone)]
pub(super) enum Prim<'a> {
    /// `null` (a missing attribute too).
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number (JSON numbers as `f64`, like JS).
    Num(f64),
    /// A string, borrowed from the value where it can be.
    Str(Cow<'a, str>),
}

impl Prim<'_> {
    /// The same primitive, owning its string.
    pub(super) fn into_owned(self) -> Prim<'static> {
        match self {
            Prim::Null => Prim::Null,
            Prim::Bool(b) => Prim::Bool(b),
            Prim::Num(n) => Prim::Num(n),
            Prim::Str(s) => Prim::Str(Cow::Owned(s.into_owned())),
        }
    }

    /// JS `ToNumber` on the primitive.
    fn to_number(&self) -> f64 {
        match self {
            Prim::Null => 0.0,
            Prim::Bool(b) => f64::from(u8::from(*b)),
            Prim::Num(n) => *n,
            Prim::Str(s) => js_string_to_number(s),
        }
    }
}

/// JS `ToPrimitive` on a JSON value: arrays and objects become their `String()`.
pub(super) fn to_primitive(v: &Value, depth: usize) -> Prim<'_> {
    match v {
        Value::Null => Prim::Null,
        Value::Bool(b) => Prim::Bool(*b),
        Value::Number(n) => Prim::Num(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => Prim::Str(Cow::Borrowed(s)),
        Value::Array(_) | Value::Object(_) => Prim::Str(js_to_string(v, depth)),
    }
}

/// JS `x < y` (abstract relational comparison); `None` is JS's `undefined` (a NaN side).
pub(super) fn js_less(x: &Prim, y: &Prim) -> Option<bool> {
    if let (Prim::Str(a), Prim::Str(b)) = (x, y) {
        return Some(js_str_cmp(a, b) == Ordering::Less);
    }
    let (a, b) = (x.to_number(), y.to_number());
    if a.is_nan() || b.is_nan() {
        None
    } else {
        Some(a < b)
    }
}

/// JS string order: by UTF-16 code units.
pub(super) fn js_str_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// JS `value * 1` on a JSON value.
pub(super) fn js_to_number(v: &Value) -> f64 {
    to_primitive(v, 0).to_number()
}

/// JS `String(value)` on a JSON value.
pub(super) fn js_to_string(v: &Value, depth: usize) -> Cow<'_, str> {
    match v {
        Value::Null => Cow::Borrowed("null"),
        Value::Bool(true) => Cow::Borrowed("true"),
        Value::Bool(false) => Cow::Borrowed("false"),
        Value::Number(n) => Cow::Owned(js_number_to_string(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(s) => Cow::Borrowed(s),
        Value::Object(_) => Cow::Borrowed("[object Object]"),
        Value::Array(items) => {
            if depth >= MAX_VALUE_RECURSION {
                return Cow::Borrowed("");
            }
            let mut out = String::new();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !item.is_null() {
                    out.push_str(&js_to_string(item, depth + 1));
                }
            }
            Cow::Owned(out)
        }
    }
}

/// JS `Number.prototype.toString()` (radix 10).
fn js_number_to_string(n: f64) -> String {
    if n.is_nan() {
        return "NaN".to_string();
    }
    if n == 0.0 {
        return "0".to_string();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    // Rust's `{:e}` gives the shortest round-trip digits, as JS does.
    let formatted = format!("{:e}", n.abs());
    let (mantissa, exp) = formatted.split_once('e').unwrap_or((&formatted, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return "0".to_string();
    }
    let k = digits.len() as i64;
    let point = exp.parse::<i64>().unwrap_or(0) + 1;
    let mut out = String::with_capacity(32);
    if n < 0.0 {
        out.push('-');
    }
    if k <= point && point <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (point - k) as usize));
    } else if 0 < point && point <= 21 {
        let (int, frac) = digits.split_at(point as usize);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else if -6 < point && point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-point) as usize));
        out.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push(if point > 0 { '+' } else { '-' });
        out.push_str(&(point - 1).abs().to_string());
    }
    out
}

/// JS WhiteSpace and LineTerminator code points (what `String.prototype.trim` strips).
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// JS `StringToNumber` (`Number("...")`).
fn js_string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_js_space);
    if t.is_empty() {
        return 0.0;
    }
    for (prefix, radix) in [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ] {
        if let Some(digits) = t.strip_prefix(prefix) {
            if digits.is_empty() {
                return f64::NAN;
            }
            let mut acc = 0f64;
            for d in digits.chars() {
                match d.to_digit(radix) {
                    Some(v) => acc = acc * f64::from(radix) + f64::from(v),
                    None => return f64::NAN,
                }
            }
            return acc;
        }
    }
    match t {
        "Infinity" | "+Infinity" => return f64::INFINITY,
        "-Infinity" => return f64::NEG_INFINITY,
        _ => {}
    }
    if !is_decimal_literal(t) {
        return f64::NAN;
    }
    t.parse().unwrap_or(f64::NAN)
}

/// `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`
fn is_decimal_literal(t: &str) -> bool {
    let b = t.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let int_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let mut digits = i - int_start;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

/// GrowthBook's `paddedVersionString`: a string whose JS order is version order.
pub(super) fn padded_version_string(v: &Value) -> String {
    let text: Cow<'_, str> = match v {
        Value::Number(n) => Cow::Owned(js_number_to_string(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(s) if !s.is_empty() => Cow::Borrowed(s),
        _ => Cow::Borrowed("0"),
    };
    // `.replace(/(^v|\+.*$)/g, "")`: drop a leading "v", and build info from the
    // first "+" that has no line terminator after it (`.` stops at those).
    let mut s: &str = &text;
    if let Some(rest) = s.strip_prefix('v') {
        s = rest;
    }
    let line_start = s
        .rfind(['\n', '\r', '\u{2028}', '\u{2029}'])
        .map_or(0, |p| p + 1);
    if let Some(plus) = s[line_start..].find('+') {
        s = &s[..line_start + plus];
    }
    let mut parts: Vec<&str> = s.split(['-', '.']).collect();
    if parts.len() == 3 {
        parts.push("~");
    }
    let mut out = String::with_capacity(s.len() + 16);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push('-');
        }
        if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) && part.len() < 5 {
            out.extend(std::iter::repeat_n(' ', 5 - part.len()));
        }
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::padded_version_string;
    use crate::condition::test_support::eval;

    #[test]
    fn js_quirks() {
        // Missing attribute is null: String(null) is "null", null*1 is 0.
        assert!(eval(json!({"a": "null"}), json!({})));
        assert!(eval(json!({"a": 0}), json!({})));
        assert!(eval(json!({"a": {"$regex": "^nul"}}), json!({})));
        // String() of arrays and numbers.
        assert!(eval(json!({"a": "1,,x"}), json!({"a": [1, null, "x"]})));
        assert!(eval(json!({"a": "1e+21"}), json!({"a": 1e21})));
        assert!(eval(json!({"a": "0.000001"}), json!({"a": 0.000001})));
        assert!(eval(json!({"a": "1e-7"}), json!({"a": 1e-7})));
        assert!(eval(json!({"a": "1.5"}), json!({"a": 1.5})));
        assert!(eval(json!({"a": "100"}), json!({"a": 100.0})));
        // Number coercion.
        assert!(eval(json!({"a": 16}), json!({"a": "0x10"})));
        assert!(eval(json!({"a": 3}), json!({"a": " 3 "})));
        assert!(!eval(json!({"a": 3}), json!({"a": "3px"})));
        assert!(eval(json!({"a": 1}), json!({"a": true})));
        assert!(!eval(json!({"a": {"$gt": 1}}), json!({"a": "abc"})));
        assert!(!eval(json!({"a": {"$lte": 1}}), json!({"a": "abc"})));
        // $eq is ===: no coercion.
        assert!(!eval(json!({"a": {"$eq": 1}}), json!({"a": "1"})));
        assert!(eval(json!({"a": {"$eq": null}}), json!({})));
        // Object equality ignores key order.
        assert!(eval(
            json!({"a": {"x": 1, "y": 2}}),
            json!({"a": {"y": 2, "x": 1.0}})
        ));
        // Version strings.
        assert_eq!(
            padded_version_string(&json!("v1.2.3+b")),
            "    1-    2-    3-~"
        );
        assert_eq!(padded_version_string(&json!(2)), "    2");
        assert_eq!(padded_version_string(&json!(null)), "    0");
    }
}
