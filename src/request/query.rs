//! The one query-string parser: `application/x-www-form-urlencoded`, bounded.
//!
//! The visitor attributes (`query`, `utm_*`) and the session (`veneer_preview`,
//! `veneer_force`) read parameters through it, so both agree on what a query says.

use serde_json::{Map, Value};

use super::text::{MAX_VALUE_LEN, truncate_in_place};

/// Most query parameters read from the URL, so a huge query string costs bounded work.
pub const MAX_QUERY_PARAMS: usize = 100;

/// The decoded `(name, value)` pairs of a query (without `?`), in order, at most
/// [`MAX_QUERY_PARAMS`] of them, each capped at [`MAX_VALUE_LEN`] bytes; `+` is a space.
pub(super) fn pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    form_urlencoded::parse(query.as_bytes())
        .take(MAX_QUERY_PARAMS)
        .map(|(name, value)| {
            let (mut name, mut value) = (name.into_owned(), value.into_owned());
            truncate_in_place(&mut name, MAX_VALUE_LEN);
            truncate_in_place(&mut value, MAX_VALUE_LEN);
            (name, value)
        })
}

/// The first value of parameter `name`, decoded.
pub(crate) fn param(query: &str, name: &str) -> Option<String> {
    pairs(query).find(|(n, _)| n == name).map(|(_, v)| v)
}

/// Decoded query parameters as an object, first value winning; nameless pieces are skipped.
pub(super) fn parse_query(query: &str) -> Map<String, Value> {
    let mut params = Map::new();
    for (name, value) in pairs(query) {
        if !name.is_empty() && !params.contains_key(&name) {
            params.insert(name, Value::String(value));
        }
    }
    params
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_and_percent_and_keeps_the_first_value() {
        let q = parse_query("q=red+shoes&q=blue&city=Z%C3%BCrich&bad=%zz&=x&flag");
        assert_eq!(q["q"], "red shoes");
        assert_eq!(q["city"], "Zürich");
        assert_eq!(q["bad"], "%zz");
        assert_eq!(q["flag"], "");
        assert!(!q.contains_key(""));
        assert_eq!(
            param("a=1&veneer_preview=v1.2.x%3D", "veneer_preview").as_deref(),
            Some("v1.2.x=")
        );
        assert_eq!(param("a=1", "b"), None);
    }

    #[test]
    fn reads_a_bounded_number_of_parameters() {
        let query: String = (0..1000).map(|i| format!("p{i}=v&")).collect();
        assert_eq!(parse_query(&query).len(), MAX_QUERY_PARAMS);
        let long = format!("x={}", "é".repeat(5000));
        assert!(parse_query(&long)["x"].as_str().unwrap().len() <= MAX_VALUE_LEN);
    }
}
