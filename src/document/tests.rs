//! Validation messages of whole documents.

use super::*;

fn problems(doc: &str) -> Vec<String> {
    compile(doc)
        .unwrap()
        .problems
        .iter()
        .map(Problem::to_string)
        .collect()
}

#[test]
fn compiles_a_valid_document() {
    let doc = r#"{"version": 7,
        "settings": {"visitor_cookie": "vid", "redirect_hosts": ["Shop.Example.com"], "header_attributes": ["x-tier"]},
        "audiences": {"de": {"country": "DE"}, "de-mobile": {"$and": [{"$inGroup": "de"}, {"device": "mobile"}]}},
        "saved_groups": {"vip": ["a", "b"]},
        "rules": [
        {"id": "a", "pages": ["/"], "priority": 5, "audience": "de-mobile",
         "schedule": {"start": "2026-11-27T00:00:00+01:00"},
         "actions": [{"select": "h1", "set_text": "Hi {{country}}"}, {"inject_head": "<style>h1{}</style>"}]},
        {"id": "b", "actions": [{"select": ".x", "set_attribute": {"href": "/y"}}, {"redirect": {"to": "https://shop.example.com/x"}}]}]}"#;
    let rules = compile(doc).unwrap();
    assert_eq!(rules.problems, []);
    assert_eq!(rules.version.as_deref(), Some("7"));
    assert_eq!(rules.settings.visitor_cookie, "vid");
    assert_eq!(rules.settings.redirect_hosts, ["shop.example.com"]);
    assert_eq!(rules.audiences.len(), 2);
    // Priority orders application: "b" (0) before "a" (5).
    let ids: Vec<&str> = rules.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["b", "a"]);
    assert_eq!(rules.index.candidates("/"), [0, 1]);
    assert_eq!(rules.index.candidates("/other"), [0]);
}

#[test]
fn invalid_json_names_line_and_column() {
    let err = compile("{\n  \"rules\": [,]\n}").unwrap_err();
    assert_eq!(
        err.to_string(),
        "rules are not valid JSON: expected value (line 2, column 13)"
    );
}

#[test]
fn document_shape_errors_are_fatal_and_all_reported() {
    let err = compile(r#"{"version": [], "rules": {}, "rulez": 1}"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "rules document is invalid: $.rulez: unknown field \"rulez\"; expected one of version, settings, audiences, saved_groups, rules, experiments; \
         $.version: expected a number or a string, found a list; \
         $.rules: expected a list of rules, found an object"
    );
}

#[test]
fn broken_rules_are_skipped_and_the_rest_still_run() {
    let doc = r#"{"rules": [
        {"id": "bad", "actions": [{"select": "h1:last-child", "set_text": "x"}]},
        {"id": "good", "actions": [{"select": "h1", "set_text": "x"}]},
        {"id": "good", "actions": []}]}"#;
    let rules = compile(doc).unwrap();
    assert_eq!(rules.rules.len(), 1);
    assert_eq!(rules.rules[0].id, "good");
    assert_eq!(
        problems(doc),
        [
            "$.rules[0].actions[0].select: selector \"h1:last-child\" uses :last-child, which depends on elements that come later in the page; Veneer rewrites while the page streams and cannot look ahead: use :first-child, or a class on the element",
            "$.rules[2].id: duplicate rule id \"good\"; ids must be unique",
        ]
    );
}

#[test]
fn action_errors_name_the_path_and_what_was_expected() {
    let doc = r#"{"rules": [{"id": "r", "pages": ["shop"], "actions": [
        {"select": "h1"},
        {"select": "h1", "set_text": "a", "remove": true},
        {"select": "h1", "set_text": 3},
        {"select": "a", "set_attribute": {"on click": "x", "href": 1, "onclick": "alert(1)"}},
        {"set_html": "x"},
        {"select": "h1", "remove": false, "colour": "red"},
        {"select": "h1", "inject_head": "<style></style>"},
        {"select": "p", "set_text": "Hi {{country"},
        {"select": "p", "add_class": "a b"},
        {"select": "p", "set_style": {"color;": "red"}}]}]}"#;
    assert_eq!(
        problems(doc),
        [
            "$.rules[0].pages[0]: expected a path starting with \"/\" (like \"/c/*\") or \"*\", found \"shop\"",
            "$.rules[0].actions[0]: expected one operation: with \"select\", one of set_text, set_html, set_attribute, remove_attribute, add_class, remove_class, set_style, insert_before, insert_after, prepend, append, insert_text_before, insert_text_after, prepend_text, append_text, remove, replace, unwrap; without, one of inject_head, append_body, replace_text, rewrite_links, set_header, set_cookie, redirect",
            "$.rules[0].actions[1]: expected exactly one operation per action, found set_text, remove",
            "$.rules[0].actions[2].set_text: expected a string, found a number (3)",
            "$.rules[0].actions[3].set_attribute[\"on click\"]: expected an attribute name (letters, digits, \"-\", \"_\", \":\", \".\"; event handlers such as onclick are not allowed), found \"on click\"",
            "$.rules[0].actions[3].set_attribute.href: expected a string, found a number (1)",
            "$.rules[0].actions[3].set_attribute.onclick: expected an attribute name (letters, digits, \"-\", \"_\", \":\", \".\"; event handlers such as onclick are not allowed), found \"onclick\"",
            "$.rules[0].actions[4]: missing field \"select\" (the CSS selector of the elements to change)",
            "$.rules[0].actions[5].colour: unknown field \"colour\"; expected one of select, set_text, set_html, set_attribute, remove_attribute, add_class, remove_class, set_style, insert_before, insert_after, prepend, append, insert_text_before, insert_text_after, prepend_text, append_text, remove, replace, unwrap, inject_head, append_body, replace_text, rewrite_links, set_header, set_cookie, redirect",
            "$.rules[0].actions[5].remove: expected true, found a boolean (false)",
            "$.rules[0].actions[6].select: inject_head applies to the whole page and takes no \"select\"",
            "$.rules[0].actions[7].set_text: \"{{\" at byte 3 is not closed by \"}}\"; write templates like {{country}}",
            "$.rules[0].actions[8].add_class: expected a class name without spaces, found \"a b\"",
            "$.rules[0].actions[9].set_style[\"color;\"]: expected a CSS property name like \"background-color\", found \"color;\"",
        ]
    );
}

/// Each expected text starts exactly one of the problems found, and nothing else was found.
fn assert_problems_start_with(found: &[String], expected: &[&str]) {
    for e in expected {
        assert!(
            found.iter().any(|f| f.starts_with(e)),
            "missing {e:?} in {found:#?}"
        );
    }
    assert_eq!(found.len(), expected.len(), "{found:#?}");
}

#[test]
fn targeting_errors() {
    let doc = r#"{
        "audiences": {"a": {"$inGroup": "b"}, "b": {"$inGroup": "a"}, "c": {"$inGroup": "nope"},
                      "d": {"name": {"$regex": "("}}, "e": {"x": {"$regx": 1}}},
        "rules": [
          {"id": "r1", "audience": "missing", "actions": []},
          {"id": "r2", "audience": {"$or": [{"$inGroup": "zzz"}]}, "actions": []},
          {"id": "r3", "schedule": {"start": "2026-12-01T00:00:00Z", "end": "2026-11-01T00:00:00Z"}, "actions": []},
          {"id": "r4", "priority": 1.5, "actions": []},
          {"id": "r5", "audience": "d", "pages": [], "actions": []}
        ]}"#;
    let found = problems(doc);
    let expected = [
        "$.audiences.d.name.$regex: invalid regular expression",
        "$.audiences.e.x.$regx: unknown operator \"$regx\"",
        "$.audiences.a: audiences refer to each other in a loop: a -> b -> a",
        "$.audiences.b: audiences refer to each other in a loop: b -> a -> b",
        "$.audiences.c: unknown audience \"nope\"; define it under \"audiences\"",
        "$.rules[0].audience: unknown audience \"missing\"; define it under \"audiences\"",
        "$.rules[1].audience: unknown audience \"zzz\"; define it under \"audiences\"",
        "$.rules[2].schedule.end: the end (2026-11-01 00:00:00 UTC) must be after the start (2026-12-01 00:00:00 UTC)",
        "$.rules[3].priority: expected a whole number, found a number (1.5)",
        "$.rules[4].pages: an empty list matches no page; remove \"pages\" to target every page, or use [\"*\"]",
        "$.rules[4].audience: audience \"d\" is invalid (see its own problems under $.audiences), so this is skipped too",
    ];
    assert_problems_start_with(&found, &expected);
}

#[test]
fn page_action_errors_and_unsafe_redirects() {
    let doc = r#"{"settings": {"redirect_hosts": ["shop.example.com"]}, "rules": [{"id": "r", "actions": [
        {"redirect": {"to": "//evil.example"}},
        {"redirect": {"to": "/\\evil.example"}},
        {"redirect": {"to": "https:evil.example"}},
        {"redirect": {"to": "https://evil.example/x"}},
        {"redirect": {"to": "https://shop.example.com@evil.example/"}},
        {"redirect": {"to": "{{query.next}}"}},
        {"redirect": {"to": "/ok", "status": 303}},
        {"redirect": {"to": "javascript:alert(1)"}},
        {"set_header": {"X-Promo": "a\r\nSet-Cookie: x=1"}},
        {"set_header": {"Set-Cookie": "x=1"}},
        {"set_header": {"Bad Name": "x"}},
        {"set_header": {"X-City": "Zürich"}},
        {"set_cookie": {"name": "a;b", "value": "x", "max_age": 99999999999}},
        {"replace_text": {"find": "", "with": "x"}},
        {"replace_text": {"regex": "(", "with": "x"}},
        {"replace_text": {"find": "a", "regex": "b", "with": "x"}},
        {"rewrite_links": {"prefix": "/c/"}}
    ]}]}"#;
    let found = problems(doc);
    let expected = [
        "$.rules[0].actions[0].redirect.to: redirect target \"//evil.example\" starts with \"//\"",
        "$.rules[0].actions[1].redirect.to: redirect target \"/\\\\evil.example\" contains a backslash",
        "$.rules[0].actions[2].redirect.to: redirect target \"https:evil.example\" must be a path like \"/sale\" or an http(s) URL",
        "$.rules[0].actions[3].redirect.to: redirect host \"evil.example\" is not listed in settings.redirect_hosts",
        "$.rules[0].actions[4].redirect.to: redirect host \"shop.example.com@evil.example\" is not listed",
        "$.rules[0].actions[5].redirect.to: redirect target \"\" must be a path like \"/sale\"",
        "$.rules[0].actions[6].redirect.status: expected 301, 302, 307 or 308, found a number (303)",
        "$.rules[0].actions[7].redirect.to: redirect target \"javascript:alert(1)\" must be a path",
        "$.rules[0].actions[8].set_header.X-Promo: header values cannot contain line breaks or control characters",
        "$.rules[0].actions[9].set_header.Set-Cookie: set-cookie cannot be set by a rule",
        "$.rules[0].actions[10].set_header[\"Bad Name\"]: expected a header name",
        "$.rules[0].actions[11].set_header.X-City: header values must be ASCII",
        "$.rules[0].actions[12].set_cookie.name: expected a cookie name",
        "$.rules[0].actions[12].set_cookie.max_age: expected seconds from 0 to 34560000 (400 days)",
        "$.rules[0].actions[13].replace_text.find:",
        "$.rules[0].actions[14].replace_text.regex: invalid regular expression",
        "$.rules[0].actions[15].replace_text: expected exactly one of \"find\" (plain text) or \"regex\"",
        "$.rules[0].actions[16].rewrite_links: missing field \"add_query\" (parameters to add)",
    ];
    assert_problems_start_with(&found, &expected);
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let committed = include_str!("../../schema/rules.schema.json");
    let committed: Value = serde_json::from_str(committed).unwrap();
    assert!(
        committed == schema(),
        "schema/rules.schema.json is stale: run `cargo run --bin veneer -- schema > schema/rules.schema.json`"
    );
}

#[test]
fn a_document_of_experiments_alone_needs_no_rules() {
    let rules = compile(
        r#"{"experiments": [{"id": "hero", "status": "running",
            "variations": [{"id": "control"}, {"id": "bold", "actions": [{"select": "h1", "add_class": "bold"}]}]}]}"#,
    )
    .unwrap();
    assert_eq!(rules.problems, []);
    assert_eq!(rules.experiments.len(), 1);
    assert!(rules.rules.is_empty());
}

#[test]
fn rules_with_problems_of_their_own_still_take_part_in_checks_across_rules() {
    let doc = r#"{"rules": [
        {"id": "promo", "actions": [{"select": "h1:last-child", "set_text": "x"}]},
        {"id": "promo", "actions": [{"select": "h1", "set_text": "y"}]},
        {"id": "promo", "audience": "nobody", "actions": []}],
      "experiments": [
        {"id": "e", "variations": [{"id": "a"}]},
        {"id": "e", "variations": [{"id": "a"}, {"id": "b"}]}]}"#;
    let found = problems(doc);
    assert_problems_start_with(
        &found,
        &[
            "$.rules[0].actions[0].select: selector \"h1:last-child\" uses :last-child",
            "$.rules[1].id: duplicate rule id \"promo\"",
            "$.rules[2].audience: unknown audience \"nobody\"",
            "$.rules[2].id: duplicate rule id \"promo\"",
            "$.experiments[0].variations:",
            "$.experiments[1].id: duplicate experiment id \"e\"",
        ],
    );
    // The first "promo" is broken, so no rule of that id runs: not even a later duplicate.
    assert!(compile(doc).unwrap().rules.is_empty());
}

#[test]
fn html_in_actions_must_be_a_balanced_fragment() {
    let doc = r#"{"rules": [{"id": "r", "actions": [
        {"select": "h1", "set_html": "<script>var a = 1;"},
        {"select": "h1", "append": "<!-- note"},
        {"select": "h1", "replace": "<div class=\"a"},
        {"inject_head": "<style>h1{}"},
        {"append_body": "</div>"},
        {"select": "h1", "prepend": "<b>ok</b> {{country}}"},
        {"select": "h1", "append_text": "<script>"},
        {"select": "h1", "set_text": "</div>"}]}]}"#;
    let found = problems(doc);
    assert_problems_start_with(
        &found,
        &[
            "$.rules[0].actions[0].set_html: <script> at byte 0 is not closed: add </script>",
            "$.rules[0].actions[1].append: ",
            "$.rules[0].actions[2].replace: ",
            "$.rules[0].actions[3].inject_head: <style> at byte 0 is not closed: add </style>",
            "$.rules[0].actions[4].append_body: ",
        ],
    );
    assert!(found[1].contains("comment"), "{}", found[1]);
    assert!(found[4].contains("</div>"), "{}", found[4]);
}
