//! The pure parts of recording: which events a page view and a `/collect` body make, what the
//! page gets, the SQL's parameters, retention, and counts from aggregated rows.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::collect::{Collected, collect_events, parse_collect, parse_server_conversion};
use super::events::{Event, Visitor};
use super::page::measure_page;
use super::results::{analysis, analysis_options, counts_from_rows};
use super::sql::{
    INSERT_EXPOSURE, Param, RETENTION_EVERY_MS, RetentionClock, SERVER_CONVERSION,
    UPSERT_CONVERSION, retention_statements, server_statements, statements,
};
use super::{CollectError, MAX_COLLECT_BYTES};
use crate::document::{CompiledRules, compile};
use crate::engine::{Decision, Visit, decide};

const NOW_MS: i64 = 1_795_000_000_000;

fn doc() -> Value {
    json!({
        "settings": { "recording": { "data_layer": true } },
        "goals": {
            "thanks": { "type": "page_view", "pages": ["/thanks"] },
            "cta": { "type": "click", "select": "a.cta", "pages": ["/"] },
            "signup": { "type": "submit", "select": "form.signup" },
            "cart": { "type": "custom" },
            "order": { "type": "server" },
            "unused": { "type": "click", "select": "a", "pages": ["/other"] }
        },
        "experiments": [
            { "id": "hero", "pages": ["/"],
              "variations": [{ "id": "control" }, { "id": "bold" }],
              "metrics": { "primary": "thanks", "secondary": ["cta", { "goal": "cart", "kind": "value" }, { "goal": "order", "kind": "value" }] } },
            { "id": "footer", "pages": ["/"],
              "variations": [{ "id": "a" }, { "id": "b" }],
              "metrics": { "primary": "signup" } },
            { "id": "old", "status": "stopped", "pages": ["/"],
              "variations": [{ "id": "a" }, { "id": "b" }],
              "metrics": { "primary": "thanks" } }
        ]
    })
}

fn rules(doc: &Value) -> CompiledRules {
    let rules = compile(&doc.to_string()).unwrap();
    assert_eq!(rules.problems, [], "the test rules must be valid");
    rules
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(NOW_MS).unwrap()
}

/// A decision on `path` for a visitor (bot or not), as the edge makes it.
fn decision(
    rules: &CompiledRules,
    id: &str,
    bot: bool,
    path: &str,
    sticky: &[(String, String)],
) -> Decision {
    let attrs = json!({ "id": id, "bot": bot });
    let visit = Visit {
        sticky,
        ..Visit::new(&attrs, path, now())
    };
    decide(rules, &visit, false)
}

fn visitor<'a>(id: &'a str, sticky: &'a [(String, String)]) -> Visitor<'a> {
    Visitor {
        id: Some(id),
        bot: false,
        consent: true,
        preview: false,
        sticky,
    }
}

fn pair(e: &str, v: &str) -> (String, String) {
    (e.to_owned(), v.to_owned())
}

#[test]
fn a_page_view_exposes_the_visitor_in_each_running_experiment_and_adds_the_script_and_data_layer() {
    let r = rules(&doc());
    let mut d = decision(&r, "v-1", false, "/", &[]);
    let recorded = measure_page(&r, &mut d, &visitor("v-1", &[]), "/", NOW_MS).unwrap();
    assert_eq!(recorded.visitor, "v-1");
    assert_eq!(recorded.at_ms, NOW_MS);
    let exposures: Vec<(&str, bool)> = recorded
        .events
        .iter()
        .map(|e| match e {
            Event::Exposure {
                experiment, first, ..
            } => (experiment.as_str(), *first),
            Event::Conversion { .. } => panic!("no goal is reached on /"),
        })
        .collect();
    // The stopped experiment gives its (absent) winner and counts nobody.
    assert_eq!(exposures, [("hero", true), ("footer", true)]);
    for (e, a) in recorded.events.iter().zip(&d.experiments) {
        let Event::Exposure {
            variation_id,
            variation,
            ..
        } = e
        else {
            unreachable!()
        };
        assert_eq!(Some(variation_id), a.variation.as_ref());
        assert_eq!(
            *variation,
            usize::from(variation_id == "bold" || variation_id == "b")
        );
    }
    let script: String = d.plan.head.iter().map(|h| h.parts.join("")).collect();
    assert!(script.contains(r#""c":[["cta","a.cta"]]"#), "{script}");
    assert!(script.contains(r#""s":[["signup","form.signup"]]"#));
    assert!(script.contains(r#""k":["cart"]"#));
    assert!(!script.contains("unused") && !script.contains("order") && !script.contains("thanks"));
    let layer: String = d
        .plan
        .before_scripts
        .iter()
        .map(|h| h.parts.join(""))
        .collect();
    for a in &d.experiments[..2] {
        let push = json!({"event": "experiment_viewed", "experiment_id": a.experiment, "variation_id": a.variation});
        assert!(
            layer.contains(&format!("window.dataLayer.push({push});")),
            "{layer}"
        );
    }
    assert!(d.varies_by_visitor);
}

#[test]
fn a_returning_visitor_is_exposed_again_but_not_as_first() {
    let r = rules(&doc());
    let sticky = [pair("hero", "bold"), pair("footer", "a")];
    let mut d = decision(&r, "v-1", false, "/", &sticky);
    let recorded = measure_page(&r, &mut d, &visitor("v-1", &sticky), "/", NOW_MS).unwrap();
    assert!(matches!(
        &recorded.events[0],
        Event::Exposure { experiment, variation: 1, first: false, .. } if experiment == "hero"
    ));
}

#[test]
fn page_view_goals_convert_only_experiments_the_signed_cookie_puts_the_visitor_in() {
    let r = rules(&doc());
    let sticky = [
        pair("hero", "bold"),
        pair("old", "a"),
        pair("gone", "x"),
        pair("footer", "nope"),
    ];
    let mut d = decision(&r, "v-1", false, "/thanks", &sticky);
    let recorded = measure_page(&r, &mut d, &visitor("v-1", &sticky), "/thanks", NOW_MS).unwrap();
    assert_eq!(
        recorded.events,
        [Event::Conversion {
            experiment: "hero".into(),
            goal: "thanks".into(),
            variation: 1,
            variation_id: "bold".into(),
            value: 0.0,
        }]
    );
    assert!(
        d.plan.before_scripts.is_empty(),
        "no dataLayer where nobody is exposed"
    );
    // The custom goal "cart" (every page) is measured by "hero", which the visitor is in; the
    // submit goal's experiment "footer" names a variation it does not have: not in it.
    let script: String = d.plan.head.iter().map(|h| h.parts.join("")).collect();
    assert!(
        script.contains(r#""k":["cart"]"#) && script.contains(r#""s":[]"#),
        "{script}"
    );
    // Without assignments a goal page records nothing.
    let mut d = decision(&r, "v-2", false, "/thanks", &[]);
    assert_eq!(
        measure_page(&r, &mut d, &visitor("v-2", &[]), "/thanks", NOW_MS),
        None
    );
    let lone = rules(&json!({
        "goals": { "thanks": { "type": "page_view", "pages": ["/thanks"] },
                   "unused": { "type": "page_view", "pages": ["/other"] } },
        "experiments": [{ "id": "e", "pages": ["/"], "variations": [{ "id": "a" }, { "id": "b" }],
                          "metrics": { "primary": "thanks" } }]
    }));
    assert!(lone.applies_to("/thanks"), "the goal page is looked at");
    assert!(
        !lone.applies_to("/other"),
        "a goal no running experiment measures is not"
    );
}

#[test]
fn bots_visitors_without_consent_or_id_previews_and_recording_off_record_nothing() {
    let r = rules(&doc());
    let sticky = [pair("hero", "bold")];
    let cases = [
        Visitor {
            bot: true,
            ..visitor("v-1", &sticky)
        },
        Visitor {
            consent: false,
            ..visitor("v-1", &sticky)
        },
        Visitor {
            preview: true,
            ..visitor("v-1", &sticky)
        },
        Visitor {
            id: None,
            ..visitor("v-1", &sticky)
        },
    ];
    for v in cases {
        for path in ["/", "/thanks"] {
            let mut d = decision(&r, "v-1", v.bot, path, &sticky);
            assert_eq!(
                measure_page(&r, &mut d, &v, path, NOW_MS),
                None,
                "{v:?} {path}"
            );
            assert!(
                d.plan.head.is_empty() && d.plan.before_scripts.is_empty(),
                "{v:?}"
            );
        }
    }
    let mut off = doc();
    off["settings"]["recording"]["enabled"] = json!(false);
    let off = rules(&off);
    let mut d = decision(&off, "v-1", false, "/", &[]);
    assert_eq!(
        measure_page(&off, &mut d, &visitor("v-1", &[]), "/", NOW_MS),
        None
    );
    assert!(!off.applies_to("/thanks"));
}

#[test]
fn collect_accepts_exactly_a_browser_goal_and_an_optional_value() {
    let r = rules(&doc());
    let ok = |body: &str| parse_collect(&r, body.as_bytes());
    assert_eq!(
        ok(r#"{"goal":"cart","value":39.9}"#),
        Ok(Collected {
            goal: "cart".into(),
            value: 39.9
        })
    );
    assert_eq!(
        ok(r#"{"goal":"cta"}"#),
        Ok(Collected {
            goal: "cta".into(),
            value: 0.0
        })
    );
    for (body, want) in [
        (
            "nope",
            "expected {\"goal\": \"<name>\", \"value\": <number>?}: not JSON",
        ),
        (
            "[1]",
            "expected {\"goal\": \"<name>\", \"value\": <number>?}: not an object",
        ),
        (
            r#"{"goal":"cart","visitor":"x"}"#,
            "expected {\"goal\": \"<name>\", \"value\": <number>?}: unknown field",
        ),
        (
            r#"{"value":1}"#,
            "expected {\"goal\": \"<name>\", \"value\": <number>?}: no goal",
        ),
        (r#"{"goal":"thanks"}"#, "unknown goal \"thanks\""),
        (r#"{"goal":"order","value":5}"#, "unknown goal \"order\""),
        (r#"{"goal":"missing"}"#, "unknown goal \"missing\""),
        (
            r#"{"goal":"cta","value":3}"#,
            "expected {\"goal\": \"<name>\", \"value\": <number>?}: this goal carries no value",
        ),
        (
            r#"{"goal":"cart","value":"3"}"#,
            "expected {\"goal\": \"<name>\", \"value\": <number>?}: value is not a number up to 1e9",
        ),
        (
            r#"{"goal":"cart","value":1e10}"#,
            "expected {\"goal\": \"<name>\", \"value\": <number>?}: value is not a number up to 1e9",
        ),
    ] {
        assert_eq!(
            ok(body).map_err(|e| e.to_string()),
            Err(want.to_owned()),
            "{body}"
        );
    }
    let big = format!(
        r#"{{"goal":"cart","pad":"{}"}}"#,
        "x".repeat(MAX_COLLECT_BYTES)
    );
    assert_eq!(ok(&big), Err(CollectError::TooLarge));
}

#[test]
fn a_collected_goal_converts_the_signed_assignments_only() {
    let r = rules(&doc());
    let cart = Collected {
        goal: "cart".into(),
        value: 12.5,
    };
    let sticky = [pair("hero", "control"), pair("footer", "b")];
    assert_eq!(
        collect_events(&r, &visitor("v-1", &sticky), &cart),
        [Event::Conversion {
            experiment: "hero".into(),
            goal: "cart".into(),
            variation: 0,
            variation_id: "control".into(),
            value: 12.5,
        }]
    );
    assert_eq!(collect_events(&r, &visitor("v-1", &[]), &cart), []);
    let bot = Visitor {
        bot: true,
        ..visitor("v-1", &sticky)
    };
    assert_eq!(collect_events(&r, &bot, &cart), []);
}

#[test]
fn statements_bind_the_schema_columns_in_order() {
    let r = rules(&doc());
    let sticky = [pair("hero", "bold")];
    let mut d = decision(&r, "v-1", false, "/thanks", &sticky);
    let mut recorded =
        measure_page(&r, &mut d, &visitor("v-1", &sticky), "/thanks", NOW_MS).unwrap();
    recorded.events.insert(
        0,
        Event::Exposure {
            experiment: "hero".into(),
            variation: 1,
            variation_id: "bold".into(),
            first: false,
        },
    );
    let batch = statements(&recorded);
    let t = |s: &str| Param::Text(s.into());
    let n = |x: f64| Param::Number(x);
    assert_eq!(batch[0].sql, INSERT_EXPOSURE);
    assert_eq!(
        batch[0].params,
        [t("hero"), t("v-1"), n(1.0), n(NOW_MS as f64)]
    );
    assert_eq!(batch[1].sql, UPSERT_CONVERSION);
    assert_eq!(
        batch[1].params,
        [
            t("hero"),
            t("thanks"),
            t("v-1"),
            n(1.0),
            n(0.0),
            n(NOW_MS as f64)
        ]
    );
    assert!(
        INSERT_EXPOSURE.contains("DO NOTHING"),
        "the first exposure stays"
    );
    assert!(
        UPSERT_CONVERSION.contains("count = count + 1")
            && UPSERT_CONVERSION.contains("value = value + excluded.value")
    );

    let server = server_statements(&r, "order", "v-9", 99.5, NOW_MS).unwrap();
    assert_eq!(server.len(), 1, "only the running experiment measuring it");
    assert_eq!(server[0].sql, SERVER_CONVERSION);
    assert_eq!(
        server[0].params,
        [t("hero"), t("order"), t("v-9"), n(99.5), n(NOW_MS as f64)]
    );
    assert!(
        server_statements(&r, "cart", "v-9", 1.0, NOW_MS)
            .unwrap_err()
            .contains("not a server goal")
    );
    assert!(
        server_statements(&r, "nope", "v-9", 1.0, NOW_MS)
            .unwrap_err()
            .contains("unknown goal")
    );
}

#[test]
fn server_conversion_bodies_are_checked() {
    let ok = parse_server_conversion(&json!({"goal": "order", "visitor": "AbC_-1", "value": 3}))
        .unwrap();
    assert_eq!(
        (ok.goal.as_str(), ok.visitor.as_str(), ok.value),
        ("order", "AbC_-1", 3.0)
    );
    for body in [
        json!([]),
        json!({"goal": "order"}),
        json!({"goal": "order", "visitor": "has space"}),
        json!({"goal": "order", "visitor": "v", "value": "1"}),
        json!({"goal": "order", "visitor": "v", "value": 2e9}),
        json!({"goal": "order", "visitor": "v", "variation": 1}),
    ] {
        assert!(parse_server_conversion(&body).is_err(), "{body}");
    }
}

#[test]
fn retention_runs_once_an_hour_per_isolate_with_the_cutoff_in_ms() {
    let mut clock = RetentionClock::default();
    assert!(clock.due(NOW_MS));
    assert!(!clock.due(NOW_MS + RETENTION_EVERY_MS - 1));
    assert!(clock.due(NOW_MS + RETENTION_EVERY_MS));
    let deletes = retention_statements(30, NOW_MS);
    let cutoff = Param::Number((NOW_MS - 30 * 86_400_000) as f64);
    assert!(deletes.iter().all(|s| s.params == [cutoff.clone()]));
    assert!(deletes[0].sql.contains("exposures") && deletes[1].sql.contains("conversions"));
}

#[test]
fn counts_are_made_from_aggregated_rows() {
    let r = rules(&doc());
    let hero = &r.experiments[0];
    let users = [
        json!({"variation": 0, "users": 1000}),
        json!({"variation": 1, "users": 998}),
        json!({"variation": 7, "users": 5}),
    ];
    let metrics = [
        json!({"goal": "thanks", "variation": 0, "converted": 100, "sum": 0.0, "sum_squares": 0.0}),
        json!({"goal": "thanks", "variation": 1, "converted": 120, "sum": 0.0, "sum_squares": 0.0}),
        json!({"goal": "cart", "variation": 1, "converted": 3, "sum": 30.0, "sum_squares": 350.0}),
        json!({"goal": "order", "variation": 0, "converted": 2, "sum": 80.5, "sum_squares": 4000.25}),
    ];
    let days = [
        json!({"day": 20_422, "variation": 0, "users": 600}),
        json!({"day": 20_422, "variation": 1, "users": 590}),
        json!({"day": 20_423, "variation": 1, "users": 408}),
        json!({"day": 20_423, "variation": 0, "users": 400}),
    ];
    let counts = counts_from_rows(hero, &users, &metrics, &days);
    assert_eq!(
        counts,
        json!({
            "experiment": "hero",
            "variations": [{"key": "control", "users": 1000}, {"key": "bold", "users": 998}],
            "weights": [0.5, 0.5],
            "metrics": [
                {"goal": "thanks", "kind": "binomial", "inverse": false, "primary": true,
                 "totals": [{"sum": 100.0, "sum_squares": 100.0}, {"sum": 120.0, "sum_squares": 120.0}]},
                {"goal": "cta", "kind": "binomial", "inverse": false, "primary": false,
                 "totals": [{"sum": 0.0, "sum_squares": 0.0}, {"sum": 0.0, "sum_squares": 0.0}]},
                {"goal": "cart", "kind": "value", "inverse": false, "primary": false,
                 "totals": [{"sum": 0.0, "sum_squares": 0.0}, {"sum": 30.0, "sum_squares": 350.0}]},
                {"goal": "order", "kind": "value", "inverse": false, "primary": false,
                 "totals": [{"sum": 80.5, "sum_squares": 4000.25}, {"sum": 0.0, "sum_squares": 0.0}]}
            ],
            "days": [{"day": "2025-11-30", "users": [600, 590]}, {"day": "2025-12-01", "users": [400, 408]}]
        })
    );
    // The counts are exactly what the statistics read.
    let results = analysis(&counts, &analysis_options("").unwrap()).unwrap();
    assert_eq!(results["problems"], json!([]), "{results}");
    assert_eq!(results["variations"], counts["variations"]);
    assert_eq!(results["metrics"].as_array().unwrap().len(), 4);
    assert_eq!(results["metrics"][0]["goal"], "thanks");
    assert_eq!(results["metrics"][0]["variations"][1]["conversions"], 120.0);
}

#[test]
fn analysis_options_come_from_the_query() {
    use crate::stats::{Engine, Options, Prior};
    assert_eq!(analysis_options("").unwrap(), Options::default());
    let o = analysis_options("engine=frequentist&confidence=0.9").unwrap();
    assert_eq!((o.engine, o.confidence), (Engine::Frequentist, 0.9));
    let o = analysis_options("prior=proper&prior_stddev=0.2").unwrap();
    assert_eq!((o.prior, o.prior_stddev), (Prior::Proper, 0.2));
    assert!(
        analysis_options("engine=magic")
            .unwrap_err()
            .contains("bayesian or frequentist")
    );
    assert!(
        analysis_options("confidence=high")
            .unwrap_err()
            .contains("expected a number")
    );
}

#[test]
fn the_write_buffer_schedules_enough_flushes_for_everything_waiting() {
    use super::sql::{MAX_BATCH, Statement, WriteBuffer};
    let statement = |i: usize| Statement {
        sql: INSERT_EXPOSURE,
        params: vec![Param::Number(i as f64)],
    };
    let mut buffer = WriteBuffer::default();
    assert_eq!(
        buffer.push(vec![statement(0), statement(1)]),
        1,
        "the first request schedules a flush"
    );
    assert_eq!(buffer.push(vec![statement(2)]), 0, "the next ones join it");
    let many: Vec<Statement> = (3..MAX_BATCH + 10).map(statement).collect();
    assert_eq!(buffer.push(many), 1, "past one batch, a second flush");
    let first = buffer.take();
    assert_eq!(first.len(), MAX_BATCH);
    assert_eq!(first[0].params, [Param::Number(0.0)], "oldest first");
    assert_eq!(buffer.take().len(), 10);
    assert_eq!(buffer.take().len(), 0, "nothing left");
    assert_eq!(
        buffer.push(vec![statement(99)]),
        1,
        "a later request schedules anew"
    );
}
