//! Decisions end to end: rules JSON + visitor attributes + time -> the page a visitor gets.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use veneer::compile;
use veneer::render;
use veneer::{Decision, Visit, decide};

fn at(t: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc)
}

fn decision(rules: Value, attrs: Value, path: &str, now: &str) -> Decision {
    let rules = compile(&rules.to_string()).unwrap();
    assert_eq!(rules.problems, [], "the test rules must be valid");
    decide(&rules, &Visit::new(&attrs, path, at(now)), true)
}

fn page(rules: Value, attrs: Value, html: &str) -> String {
    let d = decision(rules, attrs, "/", "2026-11-25T12:00:00Z");
    String::from_utf8(render(&d.plan, html.as_bytes())).unwrap()
}

#[test]
fn schedule_start_is_inclusive_end_exclusive_with_offsets() {
    let rules = json!({"rules": [{"id": "bf", "schedule": {
        "start": "2026-11-27T00:00:00+01:00", "end": "2026-11-30T00:00:00+01:00"},
        "actions": [{"select": "h1", "set_text": "Black Friday"}]}]});
    let applied = |now| decision(rules.clone(), json!({}), "/", now).trace[0].applied;
    assert!(!applied("2026-11-26T22:59:59Z"));
    assert!(applied("2026-11-26T23:00:00Z"));
    assert!(applied("2026-11-29T22:59:59Z"));
    assert!(!applied("2026-11-29T23:00:00Z"));
    let trace = &decision(rules, json!({}), "/", "2026-11-20T00:00:00Z").trace[0];
    assert_eq!(
        trace.reason,
        "its schedule is not live at 2026-11-20T00:00:00+00:00"
    );
}

#[test]
fn geo_and_device_audiences() {
    let rules = json!({
        "audiences": {"dach": {"country": {"$in": ["DE", "AT", "CH"]}},
                      "dach-mobile": {"$inGroup": "dach", "device": "mobile"}},
        "rules": [{"id": "de", "audience": "dach-mobile",
                   "actions": [{"select": ".promo", "set_text": "Kostenloser Versand"}]}]});
    let html = "<p class=promo>Free shipping</p>";
    assert_eq!(
        page(
            rules.clone(),
            json!({"country": "AT", "device": "mobile"}),
            html
        ),
        "<p class=promo>Kostenloser Versand</p>"
    );
    assert_eq!(
        page(
            rules.clone(),
            json!({"country": "AT", "device": "desktop"}),
            html
        ),
        html
    );
    assert_eq!(
        page(
            rules.clone(),
            json!({"country": "FR", "device": "mobile"}),
            html
        ),
        html
    );
    let d = decision(
        rules,
        json!({"country": "DE", "device": "mobile"}),
        "/",
        "2026-11-25T12:00:00Z",
    );
    assert_eq!(
        d.audiences,
        [("dach".to_owned(), true), ("dach-mobile".to_owned(), true)]
    );
}

#[test]
fn priority_decides_conflicts_on_the_same_element() {
    let rules = json!({"rules": [
        {"id": "high", "priority": 10, "actions": [{"select": "h1", "set_text": "High"}, {"select": "h1", "add_class": "high"}]},
        {"id": "low-1", "actions": [{"select": "h1", "set_text": "Low 1"}, {"select": "h1", "append": "<i>1</i>"}]},
        {"id": "low-2", "actions": [{"select": "h1", "set_text": "Low 2"}, {"select": "h1", "append": "<i>2</i>"}]}]});
    // Application order: low-1, low-2 (document order, priority 0), then high (priority 10).
    // The last content change wins; appends and classes accumulate on top of what stands then.
    assert_eq!(
        page(rules, json!({}), "<h1>Old</h1>"),
        "<h1 class=\"high\">High</h1>"
    );
    let appends = json!({"rules": [
        {"id": "b", "priority": 1, "actions": [{"select": "h1", "append": "<i>b</i>"}]},
        {"id": "a", "actions": [{"select": "h1", "append": "<i>a</i>"}]}]});
    assert_eq!(
        page(appends, json!({}), "<h1>x</h1>"),
        "<h1>x<i>a</i><i>b</i></h1>"
    );
}

#[test]
fn hostile_request_values_are_escaped_where_they_land() {
    let payload = "\"><script>alert(1)</script>";
    let rules = json!({"rules": [{"id": "t", "actions": [
        {"select": "h1", "set_text": "You searched {{query.q}}"},
        {"select": "p", "set_html": "<b>{{query.q}}</b>"},
        {"select": "a", "set_attribute": {"href": "{{query.next}}", "title": "{{query.q}}"}},
        {"select": "div", "append": "<span>{{query.t}}</span>"}]}]});
    let attrs = json!({"query": {"q": payload, "next": "javascript:alert(1)", "t": "{{query.q}}"}});
    let out = page(rules, attrs, "<h1>x</h1><p>y</p><a href=/>z</a><div></div>");
    assert_eq!(
        out,
        "<h1>You searched \"&gt;&lt;script&gt;alert(1)&lt;/script&gt;</h1>\
         <p><b>&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</b></p>\
         <a href=\"javascript%3Aalert%281%29\" title=\"&quot;><script>alert(1)</script>\">z</a>\
         <div><span>{{query.q}}</span></div>"
    );
    assert!(
        !out.contains("<script>alert(1)</script><"),
        "no markup injected"
    );
}

#[test]
fn page_actions_headers_cookies_and_redirects() {
    let rules = json!({"settings": {"redirect_hosts": ["shop.example.com"]}, "rules": [
        {"id": "r", "pages": ["/old-sale"], "actions": [{"redirect": {"to": "/sale?from={{query.src}}", "status": 301}}]},
        {"id": "h", "pages": ["/"], "actions": [
            {"set_header": {"X-Promo": "bf-{{country}}"}},
            {"set_cookie": {"name": "promo", "value": "bf {{country}};x", "max_age": 3600}},
            {"inject_head": "<style>.promo{color:red}</style>"},
            {"append_body": "<div id=veneer-note>Hi</div>"},
            {"replace_text": {"find": "€129.00", "with": "€99.00"}},
            {"rewrite_links": {"prefix": "/c/", "add_query": {"utm_source": "veneer", "utm_campaign": "black friday"}}}]}]});
    let d = decision(
        rules.clone(),
        json!({"query": {"src": "a b&c=d"}}),
        "/old-sale",
        "2026-11-25T12:00:00Z",
    );
    assert_eq!(
        d.redirect,
        Some((301, "/sale?from=a%20b%26c%3Dd".to_owned()))
    );
    let d = decision(rules, json!({"country": "DE"}), "/", "2026-11-25T12:00:00Z");
    assert_eq!(d.redirect, None);
    assert_eq!(d.headers, [("X-Promo".to_owned(), "bf-DE".to_owned())]);
    assert_eq!(
        d.cookies,
        ["promo=bf%20DE%3Bx; Path=/; Max-Age=3600; SameSite=Lax; Secure"]
    );
    let html = "<html><head><title>t</title></head><body><p class=price>€129.00</p><a href=\"/c/shoes\">s</a></body></html>";
    assert_eq!(
        String::from_utf8(render(&d.plan, html.as_bytes())).unwrap(),
        "<html><head><title>t</title><style>.promo{color:red}</style></head><body><p class=price>€99.00</p>\
         <a href=\"/c/shoes?utm_source=veneer&utm_campaign=black%20friday\">s</a><div id=veneer-note>Hi</div></body></html>"
    );
}

#[test]
fn explain_says_why_each_rule_did_or_did_not_apply() {
    let rules = json!({"rules": [
        {"id": "home", "pages": ["/"], "actions": [{"select": "h1", "set_text": "x"}]},
        {"id": "fr", "audience": {"country": "FR"}, "actions": [{"select": "h1", "set_text": "x"}]},
        {"id": "all", "actions": [{"select": "h1", "set_text": "x"}]}]});
    let d = decision(
        rules,
        json!({"country": "DE"}),
        "/cart",
        "2026-11-25T12:00:00Z",
    );
    let explained = d.explain();
    assert_eq!(
        explained["rules"],
        json!([
            {"id": "home", "applied": false, "reason": "its pages do not include /cart"},
            {"id": "fr", "applied": false, "reason": "the visitor is not in its audience {\"country\":\"FR\"}"},
            {"id": "all", "applied": true, "reason": "it applies to everyone on this page"}
        ])
    );
}

#[test]
fn without_consent_rules_set_no_cookies() {
    let rules = compile(
        &json!({"rules": [{"id": "c", "actions": [
            {"set_cookie": {"name": "promo", "value": "bf"}},
            {"set_header": {"X-A": "1", "X-B": "{{city}}"}}]}]})
        .to_string(),
    )
    .unwrap();
    let attrs = json!({"city": "Zürich"});
    let with = decide(
        &rules,
        &Visit::new(&attrs, "/", at("2026-11-25T12:00:00Z")),
        false,
    );
    assert_eq!(with.cookies, ["promo=bf; Path=/; SameSite=Lax; Secure"]);
    assert_eq!(
        with.headers,
        [
            ("X-A".to_owned(), "1".to_owned()),
            ("X-B".to_owned(), "Z%C3%BCrich".to_owned())
        ]
    );
    let without = decide(
        &rules,
        &Visit {
            consent: false,
            ..Visit::new(&attrs, "/", at("2026-11-25T12:00:00Z"))
        },
        false,
    );
    assert!(without.cookies.is_empty());
    assert_eq!(without.headers.len(), 2, "headers do not identify anyone");
}
