//! A document's problems as the console API writes them: `{"path", "pointer", "message"}`,
//! found by exactly the edge's own compile, so what the console shows is what the edge would do.

use serde_json::{Value, json};

use crate::diagnostic::{JsonPath, Problem};
use crate::document::{RulesError, compile};

/// Every problem of a document's text: none means it may be published.
///
/// Text that is not JSON gives one problem at `$` saying where the syntax breaks; a document
/// refused as a whole gives all its problems; a document that compiles gives the problems of
/// the rules, audiences and experiments the edge would skip.
pub fn document_problems(text: &str) -> Vec<Problem> {
    match compile(text) {
        Ok(compiled) => compiled.problems,
        Err(error) => rules_error_problems(&error),
    }
}

/// The problems of a document `compile` refused: its own list, or for text that is not JSON
/// one problem at `$` with the line and column.
pub fn rules_error_problems(error: &RulesError) -> Vec<Problem> {
    match error {
        RulesError::Document(problems) => problems.clone(),
        RulesError::TooLarge { .. } => vec![Problem::new(JsonPath::root(), error.to_string())],
        RulesError::Json {
            message,
            line,
            column,
        } => vec![Problem::new(
            JsonPath::root(),
            format!("not valid JSON: {message} (line {line}, column {column})"),
        )],
    }
}

/// One problem as the API writes it: `{"path": "$.rules[0]", "pointer": "/rules/0", "message"}`.
pub fn problem_json(problem: &Problem) -> Value {
    json!({
        "path": problem.path.to_string(),
        "pointer": problem.path.to_pointer(),
        "message": problem.message,
    })
}

/// A list of problems as the API writes it (the value of `"problems"`).
pub fn problems_json(problems: &[Problem]) -> Value {
    Value::Array(problems.iter().map(problem_json).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_document_has_no_problems() {
        let text = r#"{"rules": [{"id": "promo", "pages": ["/"],
            "actions": [{"select": "h1", "set_text": "Hi"}]}]}"#;
        assert_eq!(document_problems(text), []);
        assert_eq!(problems_json(&[]), json!([]));
    }

    #[test]
    fn invalid_json_is_one_problem_at_the_root() {
        let problems = document_problems("{\n  \"rules\": [,]\n}");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, JsonPath::root());
        assert_eq!(
            problems[0].message,
            "not valid JSON: expected value (line 2, column 13)"
        );
        assert_eq!(
            problems_json(&problems),
            json!([{"path": "$", "pointer": "", "message": problems[0].message}])
        );
        let empty = document_problems("");
        assert_eq!(empty.len(), 1);
        assert!(empty[0].message.contains("line 1"), "{}", empty[0].message);
    }

    #[test]
    fn a_compile_error_converts_the_same_way() {
        for text in ["{", "[]", r#"{"rules": 1}"#] {
            let from_error = match compile(text) {
                Err(error) => rules_error_problems(&error),
                Ok(_) => Vec::new(),
            };
            assert!(!from_error.is_empty(), "{text}");
            assert_eq!(from_error, document_problems(text), "{text}");
        }
    }

    #[test]
    fn a_refused_document_gives_every_problem() {
        let problems = document_problems(r#"{"rules": {}, "experiments": 3}"#);
        let paths: Vec<String> = problems.iter().map(|p| p.path.to_string()).collect();
        assert!(paths.contains(&"$.rules".to_owned()), "{paths:?}");
        assert!(paths.contains(&"$.experiments".to_owned()), "{paths:?}");
        assert_eq!(document_problems("[]")[0].path, JsonPath::root());
    }

    #[test]
    fn skipped_rules_give_their_paths_and_pointers() {
        let text = r#"{"rules": [
            {"id": "ok", "actions": [{"select": "h1", "set_text": "Hi"}]},
            {"id": "bad", "actions": [{"select": "h1"}, {"select": "p", "set_html": 5}]}
        ]}"#;
        let problems = document_problems(text);
        assert!(!problems.is_empty());
        let json = problems_json(&problems);
        let first = &json[0];
        let path = first["path"].as_str().unwrap_or_default();
        assert!(path.starts_with("$.rules[1]"), "{json}");
        let pointer = first["pointer"].as_str().unwrap_or_default();
        assert!(pointer.starts_with("/rules/1"), "{json}");
        assert!(!first["message"].as_str().unwrap_or_default().is_empty());
    }

    #[test]
    fn pointers_escape_keys() {
        let problem = Problem::new(
            JsonPath::root().key("audiences").key("a/b~c").index(2),
            "broken",
        );
        assert_eq!(
            problem_json(&problem),
            json!({"path": "$.audiences[\"a/b~c\"][2]", "pointer": "/audiences/a~1b~0c/2",
                   "message": "broken"})
        );
    }
}
