//! A short, human summary of what changed between two rules documents, for the audit log, the
//! history and the 409 answer to a publish that lost the race:
//! `rules: +bf-banner, ~promo-bar, -old-hero; experiments: ~hero-copy; settings changed`.
//!
//! Rules and experiments are matched by `id` (an entry without a string id by its position,
//! `#3`), audiences and saved groups by name; `+` is added, `~` changed, `-` removed. A summary
//! is at most [`MAX_SUMMARY_CHARS`] characters: past that, ids give way to counts.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// Longest summary, in characters.
pub const MAX_SUMMARY_CHARS: usize = 300;

/// Longest id or name shown, in characters; longer ones are cut with "…".
const MAX_ID_CHARS: usize = 40;

/// Most ids a section shows before any budgeting (the rest are counted).
const MAX_SHOWN: usize = 20;

/// What changed between document `old` (`None`: nothing was published yet) and `new`;
/// `no changes` when they are equal.
pub fn summarize(old: Option<&Value>, new: &Value) -> String {
    let empty = Value::Object(Map::new());
    let old = old.unwrap_or(&empty);
    if old == new {
        return "no changes".to_owned();
    }
    let (Some(old), Some(new)) = (old.as_object(), new.as_object()) else {
        return "document replaced (one of the two is not a rules object)".to_owned();
    };
    let mut sections = vec![
        list_section("rules", old.get("rules"), new.get("rules")),
        list_section(
            "experiments",
            old.get("experiments"),
            new.get("experiments"),
        ),
        map_section("audiences", old.get("audiences"), new.get("audiences")),
        map_section(
            "saved groups",
            old.get("saved_groups"),
            new.get("saved_groups"),
        ),
    ];
    sections.retain(|s| !s.items.is_empty() || s.note.is_some());
    let mut tail = Vec::new();
    if old.get("settings") != new.get("settings") {
        tail.push("settings changed".to_owned());
    }
    if old.get("version") != new.get("version") {
        tail.push(format!(
            "version {} → {}",
            version_text(old.get("version")),
            version_text(new.get("version"))
        ));
    }
    let known = [
        "rules",
        "experiments",
        "audiences",
        "saved_groups",
        "settings",
        "version",
    ];
    let other_changed = old
        .keys()
        .chain(new.keys())
        .any(|k| !known.contains(&k.as_str()) && old.get(k) != new.get(k));
    if other_changed {
        tail.push("other fields changed".to_owned());
    }
    render(&mut sections, &tail)
}

/// The changes of one part of the document.
struct Section {
    label: &'static str,
    /// `+id`, `~id` or `-id`, in that order, each in document order.
    items: Vec<String>,
    /// Said instead of items: "reordered", or "changed" when the part is not the right type.
    note: Option<&'static str>,
    /// How many of `items` are shown; the rest are counted.
    shown: usize,
}

impl Section {
    fn new(label: &'static str, items: Vec<String>, note: Option<&'static str>) -> Self {
        let shown = items.len().min(MAX_SHOWN);
        Self {
            label,
            items,
            note,
            shown,
        }
    }

    fn render(&self) -> String {
        let hidden = self.items.len() - self.shown;
        let listed = self.items[..self.shown].join(", ");
        match (self.note, self.shown, hidden) {
            (Some(note), _, _) if self.items.is_empty() => format!("{}: {note}", self.label),
            (_, 0, n) => format!("{}: {n} changes", self.label),
            (_, _, 0) => format!("{}: {listed}", self.label),
            (_, _, n) => format!("{}: {listed} and {n} more", self.label),
        }
    }
}

/// Changes in a list of objects with ids (`rules`, `experiments`).
fn list_section(label: &'static str, old: Option<&Value>, new: Option<&Value>) -> Section {
    let empty = Vec::new();
    let (old_list, new_list) = match (old, new) {
        (None | Some(Value::Array(_)), None | Some(Value::Array(_))) => (
            old.and_then(Value::as_array).unwrap_or(&empty),
            new.and_then(Value::as_array).unwrap_or(&empty),
        ),
        _ if old == new => return Section::new(label, Vec::new(), None),
        _ => return Section::new(label, Vec::new(), Some("changed")),
    };
    let old_entries = keyed(old_list);
    let new_entries = keyed(new_list);
    let items = changes(&old_entries, &new_entries);
    let order = |entries: &[(String, &Value)]| {
        let mut seen = Vec::new();
        for (key, _) in entries {
            if !seen.contains(key) {
                seen.push(key.clone());
            }
        }
        seen
    };
    // Rules apply in document order, so a new order is a change even with every rule the same.
    let reordered = items.is_empty() && order(&old_entries) != order(&new_entries);
    Section::new(label, items, reordered.then_some("reordered"))
}

/// Changes in an object of named values (`audiences`, `saved_groups`).
fn map_section(label: &'static str, old: Option<&Value>, new: Option<&Value>) -> Section {
    let empty = Map::new();
    let (old_map, new_map) = match (old, new) {
        (None | Some(Value::Object(_)), None | Some(Value::Object(_))) => (
            old.and_then(Value::as_object).unwrap_or(&empty),
            new.and_then(Value::as_object).unwrap_or(&empty),
        ),
        _ if old == new => return Section::new(label, Vec::new(), None),
        _ => return Section::new(label, Vec::new(), Some("changed")),
    };
    let items = changes(&named(old_map), &named(new_map));
    Section::new(label, items, None)
}

/// Each value of an object with its name.
fn named(map: &Map<String, Value>) -> Vec<(String, &Value)> {
    map.iter().map(|(k, v)| (k.clone(), v)).collect()
}

/// Each entry of a list with its key: its string `id`, or `#<position>`.
fn keyed(list: &[Value]) -> Vec<(String, &Value)> {
    list.iter()
        .enumerate()
        .map(|(i, item)| match item.get("id").and_then(Value::as_str) {
            Some(id) => (id.to_owned(), item),
            None => (format!("#{i}"), item),
        })
        .collect()
}

/// `+key` for each key only in `new`, `~key` for each in both with other values, `-key` for
/// each only in `old` (a repeated key compares all its entries).
fn changes(old: &[(String, &Value)], new: &[(String, &Value)]) -> Vec<String> {
    fn group<'a>(
        entries: &'a [(String, &'a Value)],
    ) -> (Vec<&'a str>, HashMap<&'a str, Vec<&'a Value>>) {
        let mut order = Vec::new();
        let mut values: HashMap<&str, Vec<&Value>> = HashMap::new();
        for (key, value) in entries {
            let slot = values.entry(key.as_str()).or_default();
            if slot.is_empty() {
                order.push(key.as_str());
            }
            slot.push(value);
        }
        (order, values)
    }
    let (old_order, old_values) = group(old);
    let (new_order, new_values) = group(new);
    let mut added = Vec::new();
    let mut changed = Vec::new();
    for key in &new_order {
        match old_values.get(key) {
            None => added.push(item('+', key)),
            Some(before) if Some(before) != new_values.get(key) => changed.push(item('~', key)),
            Some(_) => {}
        }
    }
    let removed = old_order
        .iter()
        .filter(|key| !new_values.contains_key(*key))
        .map(|key| item('-', key));
    added.into_iter().chain(changed).chain(removed).collect()
}

/// `+key`, with the key cut to [`MAX_ID_CHARS`] and control characters made spaces.
fn item(sign: char, key: &str) -> String {
    format!("{sign}{}", cut(key, MAX_ID_CHARS))
}

fn cut(text: &str, max: usize) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    };
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", clean(&text[..end])),
        None => clean(text),
    }
}

fn version_text(version: Option<&Value>) -> String {
    match version {
        None => "none".to_owned(),
        Some(Value::String(s)) => cut(s, 20),
        Some(other) => cut(&other.to_string(), 20),
    }
}

/// The sections then the tail, joined by "; ", within [`MAX_SUMMARY_CHARS`]: the section showing
/// the most ids gives one up until it fits.
fn render(sections: &mut [Section], tail: &[String]) -> String {
    loop {
        let text = sections
            .iter()
            .map(Section::render)
            .chain(tail.iter().cloned())
            .collect::<Vec<_>>()
            .join("; ");
        if text.chars().count() <= MAX_SUMMARY_CHARS {
            return text;
        }
        match sections
            .iter_mut()
            .filter(|s| s.shown > 0)
            .max_by_key(|s| s.shown)
        {
            Some(widest) => widest.shown -= 1,
            None => return cut(&text, MAX_SUMMARY_CHARS - 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(id: &str, text: &str) -> Value {
        json!({"id": id, "actions": [{"select": "h1", "set_text": text}]})
    }

    #[test]
    fn equal_documents_have_no_changes() {
        let doc = json!({"rules": [rule("a", "x")]});
        assert_eq!(summarize(Some(&doc), &doc), "no changes");
        assert_eq!(summarize(None, &json!({})), "no changes");
    }

    #[test]
    fn rules_and_experiments_by_id() {
        let old = json!({
            "rules": [rule("promo-bar", "old"), rule("old-hero", "x"), rule("kept", "k")],
            "experiments": [{"id": "hero-copy", "variations": [{"id": "a"}, {"id": "b"}]}],
        });
        let new = json!({
            "rules": [rule("promo-bar", "new"), rule("kept", "k"), rule("bf-banner", "y")],
            "experiments": [{"id": "hero-copy", "coverage": 0.5, "variations": [{"id": "a"}, {"id": "b"}]}],
            "settings": {"cookie_prefix": "v_"},
        });
        assert_eq!(
            summarize(Some(&old), &new),
            "rules: +bf-banner, ~promo-bar, -old-hero; experiments: ~hero-copy; settings changed"
        );
    }

    #[test]
    fn the_first_publish_adds_everything() {
        let new = json!({
            "version": 1,
            "audiences": {"dach": {"country": "DE"}},
            "rules": [rule("a", "x"), rule("b", "y")],
        });
        assert_eq!(
            summarize(None, &new),
            "rules: +a, +b; audiences: +dach; version none → 1"
        );
    }

    #[test]
    fn audiences_saved_groups_settings_version() {
        let old = json!({
            "version": "2026-11",
            "settings": {"consent_cookie": "ok"},
            "audiences": {"dach": {"country": "DE"}, "mobile": {"device": "mobile"}},
            "saved_groups": {"vip": ["v-1"]},
        });
        let new = json!({
            "version": "2026-12",
            "audiences": {"dach": {"country": {"$in": ["DE", "AT"]}}, "bots": {"bot": true}},
            "saved_groups": {"vip": ["v-1"]},
        });
        assert_eq!(
            summarize(Some(&old), &new),
            "audiences: +bots, ~dach, -mobile; settings changed; version 2026-11 → 2026-12"
        );
        let groups = json!({"saved_groups": {"vip": ["v-1", "v-2"]}});
        assert_eq!(
            summarize(Some(&old), &groups).split("; ").nth(1),
            Some("saved groups: ~vip")
        );
    }

    #[test]
    fn a_new_order_is_a_change() {
        let old = json!({"rules": [rule("a", "x"), rule("b", "y")]});
        let new = json!({"rules": [rule("b", "y"), rule("a", "x")]});
        assert_eq!(summarize(Some(&old), &new), "rules: reordered");
        // Audiences are named, not ordered.
        let old = json!({"audiences": {"a": true, "b": false}});
        let new = json!({"audiences": {"b": false, "a": true}});
        assert_eq!(summarize(Some(&old), &new), "no changes");
    }

    #[test]
    fn entries_without_ids_and_repeated_ids() {
        let old = json!({"rules": [{"actions": []}, rule("dup", "x")]});
        let new = json!({"rules": [{"actions": [1]}, rule("dup", "x"), rule("dup", "y"), 7]});
        assert_eq!(summarize(Some(&old), &new), "rules: +#3, ~#0, ~dup");
    }

    #[test]
    fn wrong_types_and_other_fields() {
        let old = json!({"rules": [rule("a", "x")]});
        let new = json!({"rules": {"a": 1}, "extra": true});
        assert_eq!(
            summarize(Some(&old), &new),
            "rules: changed; other fields changed"
        );
        assert_eq!(
            summarize(Some(&old), &json!([1, 2])),
            "document replaced (one of the two is not a rules object)"
        );
        assert_eq!(summarize(None, &json!({"rules": "nope"})), "rules: changed");
    }

    #[test]
    fn long_ids_are_cut() {
        let id = format!("{}\n", "x".repeat(60));
        let new = json!({"rules": [rule(&id, "x")]});
        assert_eq!(
            summarize(None, &new),
            format!("rules: +{}…", "x".repeat(40))
        );
        let short = json!({"rules": [rule("a\tb", "x")]});
        assert_eq!(summarize(None, &short), "rules: +a b");
    }

    #[test]
    fn many_changes_give_way_to_counts() {
        let rules: Vec<Value> = (0..1_000)
            .map(|i| rule(&format!("rule-{i:04}"), "x"))
            .collect();
        let experiments: Vec<Value> = (0..30).map(|i| json!({"id": format!("exp-{i}")})).collect();
        let new = json!({"rules": rules, "experiments": experiments, "settings": {}});
        let summary = summarize(None, &new);
        assert!(summary.chars().count() <= MAX_SUMMARY_CHARS, "{summary}");
        assert!(
            summary.starts_with("rules: +rule-0000, +rule-0001"),
            "{summary}"
        );
        assert!(summary.contains(" more; experiments: +exp-0"), "{summary}");
        assert!(summary.ends_with("; settings changed"), "{summary}");
        // Every id counted: shown plus "N more".
        let rules_part = summary.split("; ").next().unwrap_or_default();
        let shown = rules_part.matches("+rule-").count();
        assert!(
            rules_part.ends_with(&format!(" and {} more", 1_000 - shown)),
            "{rules_part}"
        );
    }

    #[test]
    fn every_summary_is_bounded() {
        let long = "é".repeat(500);
        let many = |prefix: &str| -> Vec<Value> {
            (0..200)
                .map(|i| json!({"id": format!("{prefix}{i}{long}")}))
                .collect()
        };
        let audiences: Map<String, Value> = (0..200)
            .map(|i| (format!("{i}{long}"), json!(true)))
            .collect();
        let new = json!({
            "rules": many("r"), "experiments": many("e"), "audiences": audiences,
            "saved_groups": audiences, "version": long, "settings": {}, "x": 1,
        });
        let summary = summarize(None, &new);
        assert!(summary.chars().count() <= MAX_SUMMARY_CHARS, "{summary}");
        assert!(summary.contains("experiments: "), "{summary}");
        assert!(summary.contains("saved groups: "), "{summary}");
        assert!(summary.ends_with("other fields changed"), "{summary}");
    }
}
