//! Where, for whom and when: the targeting that rules and experiments share.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::audiences::{Audience, compile_condition, unknown_audience};
use super::goals::Goals;
use super::pages::PagePattern;
use super::reader::Checker;
use super::schedule::Schedule;
use super::settings::Settings;
use crate::diagnostic::{JsonPath, describe};

/// What rules and experiments are compiled against: the settings and the audiences.
pub(super) struct Known<'a> {
    pub(super) settings: &'a Settings,
    /// Audiences that compiled.
    pub(super) audiences: &'a HashMap<String, Audience>,
    /// Every audience name the document defines, valid or not.
    pub(super) defined: &'a HashSet<String>,
    /// Goals that compiled (experiments' metrics name them).
    pub(super) goals: &'a Goals,
}

/// Where, for whom and when: the targeting shared by rules and experiments.
pub(super) struct Targeting {
    pub(super) pages: Vec<PagePattern>,
    pub(super) audience: Option<Audience>,
    pub(super) schedule: Option<Schedule>,
}

/// Reads `pages`, `audience` and `schedule` of a rule or experiment.
pub(super) fn compile_targeting(
    rule: &Map<String, Value>,
    path: &JsonPath,
    known: &Known,
    check: &mut Checker,
) -> Targeting {
    let (audiences, defined) = (known.audiences, known.defined);
    let mut pages = Vec::new();
    match rule.get("pages") {
        None => {}
        Some(Value::Array(list)) if list.is_empty() => check.push(
            path.key("pages"),
            "an empty list matches no page; remove \"pages\" to target every page, or use [\"*\"]",
        ),
        Some(Value::Array(list)) => {
            for (j, p) in list.iter().enumerate() {
                let at = path.key("pages").index(j);
                match p.as_str().map(PagePattern::parse) {
                    Some(Ok(p)) => pages.push(p),
                    Some(Err(e)) => check.push(at, e.0),
                    None => check.push(
                        at,
                        format!("expected a path pattern string, found {}", describe(p)),
                    ),
                }
            }
        }
        Some(other) => check.push(
            path.key("pages"),
            format!(
                "expected a list of path patterns like [\"/\", \"/c/*\"], found {}",
                describe(other)
            ),
        ),
    }
    let audience = match rule.get("audience") {
        None => None,
        Some(Value::String(name)) => {
            if !audiences.contains_key(name) {
                check.push(path.key("audience"), unknown_audience(name, defined));
            }
            let condition = serde_json::json!({ "$inGroup": name });
            compile_condition(&condition, &path.key("audience"), check)
        }
        Some(condition) => {
            let at = path.key("audience");
            let audience = compile_condition(condition, &at, check);
            for name in audience
                .iter()
                .flat_map(|a| a.condition.referenced_audiences())
            {
                if !audiences.contains_key(name) {
                    check.push(at.clone(), unknown_audience(name, defined));
                }
            }
            audience
        }
    };
    let schedule = rule.get("schedule").and_then(|s| match Schedule::parse(s) {
        Ok(s) => Some(s),
        Err(errors) => {
            for e in errors {
                check.push(path.key("schedule").join(&e.path), e.message);
            }
            None
        }
    });
    Targeting {
        pages,
        audience,
        schedule,
    }
}
