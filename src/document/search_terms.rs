//! Search-term conditions: a rule's `search`, matched against the query parameter that holds
//! the visitor's search (`settings.search_param`, `q` by default).
//!
//! Terms and searches are compared normalized: lower case, accents folded (`é` → `e`, `ß` →
//! `ss`, combining marks dropped), anything but letters and digits a word break, spaces
//! collapsed. Match types: `is` (the whole search), `starts_with`, `contains` (a phrase of
//! whole words), `all_words` (in any order), `any_word`; `not` lists terms (words or phrases)
//! the search must not contain. A list of terms matches when any of them does.

use serde_json::Value;

use super::reader::{Checker, object_fields};
use crate::diagnostic::{JsonPath, describe};

/// Fields of a rule's `search`.
const SEARCH_FIELDS: &[&str] = &[
    "is",
    "starts_with",
    "contains",
    "all_words",
    "any_word",
    "not",
    "param",
];

/// How terms are matched against the search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchType {
    /// The whole search is the term.
    Is,
    /// The search starts with the term.
    StartsWith,
    /// The search contains the term as whole words.
    Contains,
    /// Every word of the term is in the search, in any order.
    AllWords,
    /// Some word of the term is in the search.
    AnyWord,
}

/// A compiled `search` condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerms {
    /// The query parameter holding the search.
    pub param: String,
    /// The match type and the normalized terms (none: any search).
    pub positive: Option<(MatchType, Vec<String>)>,
    /// Normalized terms the search must not contain.
    pub not: Vec<String>,
}

impl SearchTerms {
    /// Whether the request's query object (`attributes.query`) holds a matching search.
    pub fn matches(&self, query: Option<&Value>) -> bool {
        let Some(raw) = query
            .and_then(|q| q.get(&self.param))
            .and_then(Value::as_str)
        else {
            return false;
        };
        self.matches_text(raw)
    }

    /// Whether a search text matches.
    pub fn matches_text(&self, raw: &str) -> bool {
        let search = normalize(raw);
        if search.is_empty() {
            return false;
        }
        let padded = format!(" {search} ");
        let words: Vec<&str> = search.split(' ').collect();
        let has_phrase = |t: &str| padded.contains(&format!(" {t} "));
        if self.not.iter().any(|t| has_phrase(t)) {
            return false;
        }
        let Some((kind, terms)) = &self.positive else {
            return true;
        };
        terms.iter().any(|t| match kind {
            MatchType::Is => search == *t,
            MatchType::StartsWith => search.starts_with(t.as_str()),
            MatchType::Contains => has_phrase(t),
            MatchType::AllWords => t.split(' ').all(|w| words.contains(&w)),
            MatchType::AnyWord => t.split(' ').any(|w| words.contains(&w)),
        })
    }

    /// A short description for explanations.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some((kind, terms)) = &self.positive {
            let name = match kind {
                MatchType::Is => "is",
                MatchType::StartsWith => "starts with",
                MatchType::Contains => "contains",
                MatchType::AllWords => "has all the words of",
                MatchType::AnyWord => "has a word of",
            };
            parts.push(format!("{name} {terms:?}"));
        }
        if !self.not.is_empty() {
            parts.push(format!("has none of {:?}", self.not));
        }
        format!("the search ({}) {}", self.param, parts.join(" and "))
    }
}

/// Lower case, accents folded, word breaks collapsed to one space.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.chars().flat_map(char::to_lowercase) {
        if ('\u{300}'..='\u{36f}').contains(&c) {
            continue; // combining marks: a decomposed accent
        }
        let folded = fold(c);
        for f in folded.chars() {
            if f.is_alphanumeric() {
                out.push(f);
                space = false;
            } else if !space {
                out.push(' ');
                space = true;
            }
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The letter without its accent (Latin-1 and Latin Extended-A), or the character itself.
fn fold(c: char) -> String {
    let base = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĳ' => "ij",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        other => return other.to_string(),
    };
    base.to_owned()
}

/// Reads a rule's `search`.
pub(super) fn compile_search(
    value: &Value,
    path: &JsonPath,
    default_param: &str,
    check: &mut Checker,
) -> Option<SearchTerms> {
    let o = object_fields(
        value,
        path,
        check,
        SEARCH_FIELDS,
        "{\"contains\": \"boots\", \"not\": [\"kids\"]}",
    )?;
    let before = check.problems.len();
    let terms = |field: &str, check: &mut Checker| -> Option<Vec<String>> {
        let list = check.string_list(&o[field], &path.key(field), "a search term")?;
        let normalized: Vec<String> = list.iter().map(|t| normalize(t)).collect();
        if normalized.iter().any(String::is_empty) {
            check.push(
                path.key(field),
                "a term has no letters or digits, so it matches nothing",
            );
            return None;
        }
        Some(normalized)
    };
    const TYPES: [(&str, MatchType); 5] = [
        ("is", MatchType::Is),
        ("starts_with", MatchType::StartsWith),
        ("contains", MatchType::Contains),
        ("all_words", MatchType::AllWords),
        ("any_word", MatchType::AnyWord),
    ];
    let present: Vec<(&str, MatchType)> = TYPES
        .iter()
        .copied()
        .filter(|(k, _)| o.contains_key(*k))
        .collect();
    let positive = match present.as_slice() {
        [] => None,
        [(field, kind)] => terms(field, check).map(|t| (*kind, t)),
        many => {
            let names: Vec<&str> = many.iter().map(|(k, _)| *k).collect();
            check.push(
                path,
                format!("expected one match type, found {}", names.join(", ")),
            );
            None
        }
    };
    let not = if o.contains_key("not") {
        terms("not", check).unwrap_or_default()
    } else {
        Vec::new()
    };
    if present.is_empty() && not.is_empty() && !o.contains_key("not") {
        check.push(
            path,
            "expected a match type: is, starts_with, contains, all_words or any_word (and/or not)",
        );
    }
    let param = match o.get("param") {
        None => default_param.to_owned(),
        Some(v) => match v.as_str() {
            Some(p) if !p.is_empty() && p.len() <= 64 => p.to_owned(),
            _ => {
                check.push(
                    path.key("param"),
                    format!("expected a query parameter name, found {}", describe(v)),
                );
                String::new()
            }
        },
    };
    (check.problems.len() == before).then_some(SearchTerms {
        param,
        positive,
        not,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(kind: MatchType, t: &[&str], not: &[&str]) -> SearchTerms {
        SearchTerms {
            param: "q".into(),
            positive: Some((kind, t.iter().map(|t| normalize(t)).collect())),
            not: not.iter().map(|t| normalize(t)).collect(),
        }
    }

    #[test]
    fn normalization_folds_case_accents_and_spacing() {
        assert_eq!(normalize("  Crème   BRÛLÉE! "), "creme brulee");
        assert_eq!(normalize("Straße+Größe"), "strasse grosse");
        // Decomposed: e + combining acute.
        assert_eq!(normalize("Cafe\u{301}"), "cafe");
        assert_eq!(normalize("Łódź, Ærø"), "lodz aero");
        assert_eq!(normalize("靴 boots"), "靴 boots");
        assert_eq!(normalize("--"), "");
    }

    #[test]
    fn match_types() {
        let is = terms(MatchType::Is, &["Gift Card"], &[]);
        assert!(is.matches_text("gift  card") && is.matches_text("GIFT-CARD"));
        assert!(!is.matches_text("gift cards") && !is.matches_text("a gift card"));
        let starts = terms(MatchType::StartsWith, &["boot"], &[]);
        assert!(starts.matches_text("Boots for winter") && !starts.matches_text("winter boots"));
        let contains = terms(MatchType::Contains, &["trail shoe"], &[]);
        assert!(contains.matches_text("waterproof trail shoe men"));
        assert!(!contains.matches_text("trail shoes") && !contains.matches_text("shoe trail"));
        let all = terms(MatchType::AllWords, &["red boots"], &[]);
        assert!(all.matches_text("boots in red") && !all.matches_text("red shoes"));
        let any = terms(MatchType::AnyWord, &["boot boots"], &[]);
        assert!(any.matches_text("hiking boots") && !any.matches_text("booties"));
        let list = terms(MatchType::Is, &["gift card", "voucher"], &[]);
        assert!(list.matches_text("Voucher"));
    }

    #[test]
    fn negative_terms_and_accents() {
        let t = terms(
            MatchType::AnyWord,
            &["chaussure"],
            &["enfant", "pour fille"],
        );
        assert!(t.matches_text("CHAUSSURE randonnée"));
        assert!(!t.matches_text("chaussure enfant") && !t.matches_text("chaussure pour fille"));
        assert!(t.matches_text("chaussure pour femme"));
        let e = terms(MatchType::Is, &["cafe"], &[]);
        assert!(e.matches_text("Café") && e.matches_text("CAFÉ"));
        let only_not = SearchTerms {
            param: "q".into(),
            positive: None,
            not: vec!["kids".into()],
        };
        assert!(only_not.matches_text("boots") && !only_not.matches_text("kids boots"));
        assert!(!only_not.matches_text("  "));
        let q = serde_json::json!({"q": "Boots", "x": 1});
        assert!(terms(MatchType::Is, &["boots"], &[]).matches(Some(&q)));
        assert!(!terms(MatchType::Is, &["boots"], &[]).matches(None));
    }
}
