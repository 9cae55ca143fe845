//! Hostile input, natively: request data through every template context, URLs, headers,
//! redirects and cookies a rule could be tricked into, absurd requests, documents over the
//! limits, and pages that are broken on purpose. Each test asserts the exact outcome.

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue, header};
use serde_json::{Value, json};
use veneer::{
    ContextSettings, Decision, Geo, MAX_RULES, RequestFacts, Visit, attributes, compile,
    compile_within, decide, render,
};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// The visitor attributes of a request for `url` with `headers` (as the edge builds them).
fn visitor(url: &str, headers: &HeaderMap) -> Value {
    let facts = RequestFacts {
        url,
        headers,
        geo: Geo {
            country: Some("US".into()),
            ..Geo::default()
        },
        now: now(),
        visitor_id: None,
        returning: false,
    };
    attributes(&facts, &ContextSettings::default())
}

fn decision(rules: Value, url: &str) -> Decision {
    let rules = compile(&rules.to_string()).unwrap();
    assert_eq!(rules.problems, [], "the test rules must be valid");
    let attrs = visitor(url, &HeaderMap::new());
    decide(&rules, &Visit::new(&attrs, "/", now()), false)
}

fn page(rules: Value, url: &str, html: &str) -> String {
    String::from_utf8(render(&decision(rules, url).plan, html.as_bytes())).unwrap()
}

/// The messages of the problems compiling `rules` reports.
fn problems(rules: Value) -> Vec<String> {
    compile(&rules.to_string())
        .unwrap()
        .problems
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn one_action(action: Value) -> Value {
    json!({"rules": [{"id": "r", "actions": [action]}]})
}

const XSS: &str = r#""><img src=x onerror=alert(1)>'`</script><script>alert(2)</script></style>;}javascript:alert(3)\"#;

fn hostile_url() -> String {
    let mut url = "https://shop.test/?q=".to_owned();
    url.push_str(&percent_encode(XSS));
    url
}

fn percent_encode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[test]
fn request_data_is_escaped_for_every_context() {
    let rules = json!({"rules": [{"id": "x", "actions": [
        {"select": "h1", "set_text": "You searched {{query.q}}"},
        {"select": "h2", "set_html": "<b>{{query.q}}</b>"},
        {"select": "a", "set_attribute": {"title": "{{query.q}}", "href": "/search?q={{query.q}}"}},
        {"select": "p", "set_style": {"color": "{{query.q}}"}},
        {"inject_head": "<script>var q = \"{{query.q}}\";</script><style>.q::after{content:\"{{query.q}}\"}</style>"}
    ]}]});
    let out = page(
        rules,
        &hostile_url(),
        "<head></head><h1>x</h1><h2>x</h2><a href=/>x</a><p style=\"margin:0\">x</p>",
    );
    // `& < > " '` as entities in markup (the script and style text too: an entity cannot end
    // a string or the element there); lol_html escapes text itself; `"` alone in a
    // double-quoted attribute; a URL component percent-encoded; CSS keeps letters and spaces.
    let markup = "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&#39;`&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;&lt;/style&gt;;}javascript:alert(3)\\";
    let text = "\"&gt;&lt;img src=x onerror=alert(1)&gt;'`&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;&lt;/style&gt;;}javascript:alert(3)\\";
    let attribute = "&quot;><img src=x onerror=alert(1)>'`</script><script>alert(2)</script></style>;}javascript:alert(3)\\";
    let url = "%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E%27%60%3C%2Fscript%3E%3Cscript%3Ealert%282%29%3C%2Fscript%3E%3C%2Fstyle%3E%3B%7Djavascript%3Aalert%283%29%5C";
    let css = "img srcx onerroralert1scriptscriptalert2scriptstylejavascriptalert3";
    assert_eq!(
        out,
        format!(
            "<head><script>var q = \"{markup}\";</script><style>.q::after{{content:\"{markup}\"}}</style></head>\
             <h1>You searched {text}</h1><h2><b>{markup}</b></h2>\
             <a href=\"/search?q={url}\" title=\"{attribute}\">x</a>\
             <p style=\"margin: 0; color: {css}\">x</p>"
        )
    );
}

#[test]
fn unsafe_url_schemes_in_rule_attributes_are_refused_at_validation() {
    let refused = [
        ("href", "javascript:alert(1)", "javascript"),
        ("href", " JavaScript:alert(1)", "javascript"),
        ("href", "jav\tasc\nript:alert(1)", "javascript"),
        ("href", "data:text/html,<script>alert(1)</script>", "data"),
        ("src", "data:image/svg+xml,<svg onload=alert(1)>", "data"),
        ("href", "vbscript:msgbox(1)", "vbscript"),
        ("srcset", "javascript:alert(1) 1x", "javascript"),
        ("xlink:href", "javascript:alert(1)", "javascript"),
        ("formaction", "javascript:alert(1)", "javascript"),
    ];
    for (attribute, value, scheme) in refused {
        let action = json!({"select": "a", "set_attribute": {attribute: value}});
        assert_eq!(
            problems(one_action(action)),
            [format!(
                "$.rules[0].actions[0].set_attribute{}: {attribute} value {value:?} uses the {scheme}: scheme; a rule may only set paths, http(s), mailto: and tel: URLs (and data:image/... in src or poster)",
                if attribute.contains(':') {
                    format!("[{attribute:?}]")
                } else {
                    format!(".{attribute}")
                }
            )],
            "{attribute}={value:?}"
        );
    }
    let action = json!({"select": "a", "set_attribute": {"href": "jav&#x61;script:alert(1)"}});
    assert_eq!(
        problems(one_action(action)),
        [
            "$.rules[0].actions[0].set_attribute.href: href value \"jav&#x61;script:alert(1)\" has a character reference (\"&...;\") before its scheme or path; write the URL's characters as they are"
        ]
    );
    for (attribute, value) in [
        ("href", "/sale?a=1&b=2"),
        ("href", "https://shop.example/x"),
        ("href", "mailto:help@shop.example"),
        ("href", "tel:+49301234"),
        ("href", "sale:2025"),
        ("src", "data:image/png;base64,iVBORw0KGgo="),
        ("href", "{{query.next}}"),
        ("title", "javascript:alert(1)"),
    ] {
        let action = json!({"select": "a", "set_attribute": {attribute: value}});
        let p = problems(one_action(action));
        // "sale:2025" is a relative path in no browser: it is a URL with the scheme "sale".
        if value == "sale:2025" {
            assert_eq!(p.len(), 1, "{p:?}");
        } else {
            assert_eq!(p, Vec::<String>::new(), "{attribute}={value:?}");
        }
    }
    // A templated value cannot add a scheme: its `:` is percent-encoded.
    let url = format!(
        "https://shop.test/?next={}",
        percent_encode("javascript:alert(1)")
    );
    let rules = one_action(json!({"select": "a", "set_attribute": {"href": "{{query.next}}"}}));
    assert_eq!(
        page(rules, &url, "<a>x</a>"),
        "<a href=\"javascript%3Aalert%281%29\">x</a>"
    );
}

#[test]
fn header_values_cannot_inject_lines() {
    for value in ["a\r\nSet-Cookie: x=1", "a\nb", "a\0b"] {
        let rules = one_action(json!({"set_header": {"X-Promo": value}}));
        assert_eq!(problems(rules).len(), 1, "{value:?}");
    }
    let rules = one_action(json!({"set_header": {"X-Promo": "v={{query.h}}"}}));
    let url = format!(
        "https://shop.test/?h={}",
        percent_encode("a\r\nSet-Cookie: x=1; y\0,z")
    );
    let d = decision(rules, &url);
    assert_eq!(
        d.headers,
        [(
            "X-Promo".to_owned(),
            "v=aSet-Cookie: x=1%3B y%2Cz".to_owned()
        )]
    );
    for (_, value) in &d.headers {
        assert!(HeaderValue::from_str(value).is_ok());
    }
}

#[test]
fn redirects_taking_request_data_stay_on_the_site() {
    let rules =
        json!({"rules": [{"id": "go", "actions": [{"redirect": {"to": "/{{query.next}}"}}]}]});
    for payload in [
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/%0a/evil.example",
        "https:evil.example",
        "https://shop.test@evil.example",
        "javascript:alert(1)",
        " //evil.example",
    ] {
        let url = format!("https://shop.test/?next={}", percent_encode(payload));
        let (status, location) = decision(rules.clone(), &url).redirect.unwrap();
        assert_eq!(status, 302);
        // One "/" and then no character that could end the path: it stays a path on this site.
        assert!(
            location.starts_with('/') && !location[1..].starts_with(['/', '\\']),
            "{location}"
        );
        assert!(
            location[1..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)),
            "{payload:?} -> {location}"
        );
    }
    // Literal targets that browsers read as another site are refused when the rules compile.
    for target in [
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "https:evil.example",
        "https://shop.test@evil.example",
        "https://shop.test.evil.example/",
        "javascript:alert(1)",
        " /sale",
        "{{query.next}}",
    ] {
        let rules = json!({"rules": [{"id": "go", "actions": [{"redirect": {"to": target}}]}]});
        assert_eq!(problems(rules).len(), 1, "{target:?} must be refused");
    }
}

#[test]
fn rule_cookies_cannot_shadow_veneer_cookies_or_add_attributes() {
    for name in ["veneer_id", "veneer_exp", "veneer_preview", "consent"] {
        let rules = json!({"settings": {"consent_cookie": "consent"},
            "rules": [{"id": "c", "actions": [{"set_cookie": {"name": name, "value": "x"}}]}]});
        assert_eq!(problems(rules).len(), 1, "a rule may not set {name}");
    }
    // The whole value is percent-encoded, literal text too: no `;` can add an attribute.
    let rules =
        one_action(json!({"set_cookie": {"name": "promo", "value": "bf; Domain=.shop.test"}}));
    assert_eq!(
        decision(rules, "https://shop.test/").cookies,
        ["promo=bf%3B%20Domain=.shop.test; Path=/; SameSite=Lax; Secure"]
    );
    let rules = one_action(json!({"set_cookie": {"name": "promo", "value": "{{query.v}}"}}));
    let url = format!(
        "https://shop.test/?v={}",
        percent_encode("x; Domain=.shop.test, y=2")
    );
    let d = decision(rules, &url);
    assert_eq!(
        d.cookies,
        ["promo=x%3B%20Domain=.shop.test%2C%20y=2; Path=/; SameSite=Lax; Secure"]
    );
}

#[test]
fn absurd_requests_cost_bounded_work_and_keep_their_shape() {
    // 16 KB of path, 5000 query parameters, invalid percent-encoding, a 16 KB non-ASCII cookie.
    let mut url = format!("https://shop.test/{}?", "a/".repeat(8 * 1024));
    for i in 0..5000 {
        url.push_str(&format!("p{i}=%zz%{i}&"));
    }
    url.push_str("utm_source=%E2%82%AC%ZZ");
    let mut headers = HeaderMap::new();
    let huge = format!(
        "big={}; veneer_id=first; veneer_id=second; Ünï=x; city=çødé",
        "é".repeat(8 * 1024)
    );
    headers.insert(
        header::COOKIE,
        HeaderValue::from_bytes(huge.as_bytes()).unwrap(),
    );
    let attrs = visitor(&url, &headers);
    let query = attrs["query"].as_object().unwrap();
    assert_eq!(
        query.len(),
        100,
        "at most MAX_QUERY_PARAMS parameters are read"
    );
    assert_eq!(query["p0"], "%zz%0", "invalid escapes stay as they are");
    assert!(
        attrs["url"].as_str().unwrap().len() <= 4096,
        "the url attribute is capped"
    );
    assert!(
        attrs["path"].as_str().unwrap().len() <= 4096,
        "the path attribute is capped"
    );
    let cookies = attrs["cookies"].as_object().unwrap();
    assert!(
        cookies["big"].as_str().unwrap().len() <= 4096,
        "cookie values are capped"
    );
    // A tossed duplicate (a sibling subdomain's cookie comes later): the first one wins.
    assert_eq!(cookies["veneer_id"], "first");
    assert!(
        !cookies.contains_key("Ünï"),
        "a name that is no HTTP token is skipped"
    );
    assert_eq!(cookies["city"], "çødé", "non-ASCII values are kept");
    // Geo comes from request.cf only: no header can set it.
    let mut spoofed = HeaderMap::new();
    for (name, value) in [
        ("cf-ipcountry", "DE"),
        ("x-forwarded-for", "85.214.0.1"),
        ("true-client-ip", "85.214.0.1"),
    ] {
        spoofed.insert(name, HeaderValue::from_static(value));
    }
    assert_eq!(visitor("https://shop.test/", &spoofed)["country"], "US");
}

#[test]
fn documents_over_the_limits_are_refused_with_a_clear_message() {
    let big = format!("{{\"rules\": [], \"x\": \"{}\"}}", "a".repeat(64));
    assert_eq!(
        compile_within(&big, 32).unwrap_err().to_string(),
        format!(
            "rules document is {} bytes, over the limit of 32 bytes: split it, or remove rules and experiments that have ended",
            big.len()
        )
    );
    let huge = format!(
        "{{\"rules\": [], \"x\": \"{}\"}}",
        "a".repeat(5 * 1024 * 1024)
    );
    assert!(
        matches!(compile(&huge), Err(veneer::RulesError::TooLarge { limit, .. }) if limit == 5 * 1024 * 1024)
    );
    let many: Vec<Value> = (0..=MAX_RULES)
        .map(|i| json!({"id": format!("r{i}"), "actions": []}))
        .collect();
    assert_eq!(
        compile(&json!({"rules": many}).to_string())
            .unwrap_err()
            .to_string(),
        "rules document is invalid: $.rules: a document may hold at most 10000 rules, found 10001: remove those that have ended"
    );
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(
        compile(&format!("{{\"rules\": [], \"x\": {deep}}}"))
            .unwrap_err()
            .to_string(),
        "rules are not valid JSON: recursion limit exceeded (line 1, column 146)"
    );
    let deep_condition = format!("{}{{}}{}", "{\"$not\": ".repeat(100), "}".repeat(100));
    let text = format!(
        "{{\"rules\": [{{\"id\": \"d\", \"audience\": {deep_condition}, \"actions\": []}}]}}"
    );
    let compiled = compile(&text).unwrap();
    assert_eq!(compiled.problems.len(), 1, "{:?}", compiled.problems);
    // Catastrophic regexes: refused, or linear.
    for pattern in ["a{5}{5}{5}{5}{5}{5}", "(a*)*b", "(x+x+)+y"] {
        let rules = one_action(json!({"replace_text": {"regex": pattern, "with": "z"}}));
        let started = std::time::Instant::now();
        let outcome = compile(&rules.to_string()).unwrap();
        if outcome.problems.is_empty() {
            let attrs = json!({});
            let d = decide(&outcome, &Visit::new(&attrs, "/", now()), false);
            let html = format!("<p>{}</p>", "a".repeat(100_000));
            let _ = render(&d.plan, html.as_bytes());
        }
        assert!(
            started.elapsed().as_secs() < 10,
            "{pattern} took {:?}",
            started.elapsed()
        );
    }
    // Selectors with odd escapes: refused with a message, or matched literally.
    for select in [
        "#\\31 23",
        ".a\\:b",
        "[data-x=\"\\\"\"]",
        "div\\",
        "\\0",
        "a[href=\"\u{0}\"]",
    ] {
        let rules = one_action(json!({"select": select, "set_text": "x"}));
        let compiled = compile(&rules.to_string()).unwrap();
        for p in &compiled.problems {
            assert!(
                p.to_string().starts_with("$.rules[0].actions[0].select: "),
                "{p}"
            );
        }
    }
    let rules = one_action(json!({"select": ".a\\:b", "set_text": "x"}));
    assert_eq!(
        page(rules, "https://shop.test/", "<p class=\"a:b\">y</p>"),
        "<p class=\"a:b\">x</p>"
    );
}

#[test]
fn broken_pages_are_rewritten_without_harm() {
    let rules = json!({"rules": [{"id": "p", "actions": [
        {"select": "h1", "set_text": "New"},
        {"select": ".price", "append": "<b>!</b>"},
        {"append_body": "<div id=end></div>"}
    ]}]});
    let cases = [
        // Unclosed tags: the edits land where a browser would put them.
        // (a <p> does not close an <h1>, in browsers either; the page never ends its <body>, so
        // nothing is appended).
        ("<body><div><h1>Old<p>x", "<body><div><h1>New"),
        // A script holding "</div>" and "<h1>" is text, not markup.
        (
            "<body><script>var s = '</div><h1>Old</h1>';</script><h1>Old</h1></body>",
            "<body><script>var s = '</div><h1>Old</h1>';</script><h1>New</h1><div id=end></div></body>",
        ),
        // A comment-like string inside an attribute is an attribute value.
        (
            "<body><p title=\"<!-- <h1>Old</h1> -->\" class=price>9</p></body>",
            "<body><p title=\"<!-- <h1>Old</h1> -->\" class=price>9<b>!</b></p><div id=end></div></body>",
        ),
        // <template> content is matched like the rest; <noscript> is raw text to the rewriter.
        (
            "<body><template><h1>Old</h1></template><noscript><h1>Old</h1></noscript></body>",
            "<body><template><h1>New</h1></template><noscript><h1>Old</h1></noscript><div id=end></div></body>",
        ),
        // Truncated inside a tag: nothing lands inside the open attribute.
        (
            "<body><h1>Old</h1><img alt=\"trunc",
            "<body><h1>New</h1><img alt=\"trunc",
        ),
        (
            "<body><h1>Old</h1><p class=price>1</p><a href='",
            "<body><h1>New</h1><p class=price>1<b>!</b></p><a href='",
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(
            page(rules.clone(), "https://shop.test/", input),
            expected,
            "{input}"
        );
    }
}
