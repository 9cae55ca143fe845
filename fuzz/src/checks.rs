//! The properties the fuzz targets check, one function a target, shared with the native
//! regression test (`tests/fuzz_regressions.rs` includes this file), which replays every input
//! kept under `fuzz/regressions/<target>/`. Each function panics only when a property fails.

use std::collections::HashMap;

use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};
use veneer::fuzzing::{
    PreviewState, RequestInput, Session, SessionInput, cookie, decode_assignments, decoded_path,
    encode_assignments, make_session, split_url, verify_preview_token, verify_session,
    without_cookie,
};
use veneer::growthbook::{Condition, EvalContext, NoAudiences};
use veneer::{
    ContextSettings, Geo, RequestFacts, StreamRewriter, Visit, attributes, compile, decide,
    make_preview_token, render,
};

/// One target's checks over one input (panics when a property fails).
pub type Check = fn(&[u8]);

/// The targets, by name: what `scripts/fuzz.sh` runs and the regression folders are named after.
pub const TARGETS: [(&str, Check); 5] = [
    ("compile", compile_document),
    ("conditions", conditions),
    ("request", request),
    ("signing", signing),
    ("render", render_page),
];

/// The rules documents the render target picks from (the repository's own fixtures).
pub const RULES: [&str; 7] = [
    include_str!("../../fixtures/rules/demo.json"),
    include_str!("../../fixtures/rules/commerce.json"),
    include_str!("../../fixtures/rules/head.json"),
    include_str!("../../fixtures/rules/targeting.json"),
    include_str!("../../fixtures/rewrite/every-action/rules.json"),
    include_str!("../../fixtures/rewrite/tricky-markup/rules.json"),
    include_str!("../../fixtures/rewrite/page-scoping/rules.json"),
];

/// Request paths the fixture rules target.
pub const PATHS: [&str; 6] = [
    "/",
    "/c/shoes",
    "/p/trail-runner-2",
    "/cart",
    "/c/sale-2025",
    "/x",
];

/// A small page for rules that compiled: their plan must render without panicking.
pub const PAGE: &[u8] = b"<!doctype html><html><head><title>t</title></head><body><h1>Hi</h1>\
<div class=promo-bar><p>x</p></div><a class=cta href=/c/x>go</a><p class=price>$19.99</p>\
<ul class=badges><li>a</ul><div class=old-banner>old</div></body></html>";

/// The visitor the rules are decided for (the fixture context `de-mobile`).
pub fn visitor() -> Value {
    let mut v: Value = serde_json::from_str(include_str!("../../fixtures/contexts/de-mobile.json"))
        .unwrap_or(json!({}));
    if let Some(map) = v.as_object_mut() {
        map.insert("path".into(), json!("/"));
        map.insert("query".into(), json!({"utm_source": "news"}));
    }
    v
}

/// Splits `data` at `0xFF` bytes (never valid UTF-8, so a natural separator), into at most `n` parts.
pub fn parts(data: &[u8], n: usize) -> Vec<&[u8]> {
    data.splitn(n, |&b| b == 0xFF).collect()
}

/// Header lines `name: value` (one a line, raw bytes) as a header map; lines that are not a valid
/// header are skipped, as the runtime would never hand them to the worker.
pub fn headers(block: &[u8]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for line in block.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(line[..colon].trim_ascii()),
            HeaderValue::from_bytes(line[colon + 1..].trim_ascii()),
        ) else {
            continue;
        };
        map.append(name, value);
    }
    map
}

/// The document compiler: any bytes as a rules document. Compiling never panics; whatever
/// compiles decides and renders on every fixture path without panicking, and every problem
/// prints.
pub fn compile_document(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(rules) = compile(text) else {
        return;
    };
    for problem in &rules.problems {
        assert!(!problem.to_string().is_empty());
    }
    let attributes = visitor();
    let now = chrono::DateTime::UNIX_EPOCH + chrono::TimeDelta::days(20_000);
    for path in PATHS {
        let _ = rules.applies_to(path);
        let decision = decide(&rules, &Visit::new(&attributes, path, now), true);
        let _ = render(&decision.plan, PAGE);
    }
}

/// Targeting conditions: a JSON condition, compiled, then evaluated over JSON attributes (the
/// input's second part, or the fixture visitor). Never panics, whatever either holds.
pub fn conditions(data: &[u8]) {
    let pieces = parts(data, 3);
    let Some(Ok(condition)) = pieces.first().map(|p| serde_json::from_slice::<Value>(p)) else {
        return;
    };
    let attributes = pieces
        .get(1)
        .and_then(|p| serde_json::from_slice::<Value>(p).ok())
        .unwrap_or_else(visitor);
    let groups: HashMap<String, Vec<Value>> = pieces
        .get(2)
        .and_then(|p| serde_json::from_slice(p).ok())
        .unwrap_or_default();
    let (compiled, problems) = Condition::compile(&condition);
    for problem in &problems {
        assert!(!problem.to_string().is_empty());
    }
    let ctx = EvalContext {
        saved_groups: &groups,
        audiences: &NoAudiences,
    };
    let first = compiled.eval(&attributes, &ctx);
    // Evaluation is pure: the same inputs give the same answer.
    assert_eq!(first, compiled.eval(&attributes, &ctx));
    // The attributes as a condition too (an object of anything).
    let _ = Condition::compile(&attributes).0.eval(&condition, &ctx);
}

/// Visitor attributes from raw request parts: a URL, then header lines (cookies included).
/// Never panics; the attributes are always an object with bounded strings; a cookie removed
/// for forwarding is gone for the one cookie parser too.
pub fn request(data: &[u8]) {
    let pieces = parts(data, 2);
    let url = String::from_utf8_lossy(pieces[0]);
    let headers = headers(pieces.get(1).copied().unwrap_or_default());
    let split = split_url(&url);
    let _ = split.host();
    let _ = decoded_path(split.path);
    let names = vec![
        "x-test".to_owned(),
        "cookie".to_owned(),
        "accept-language".to_owned(),
    ];
    let now = chrono::DateTime::UNIX_EPOCH + chrono::TimeDelta::days(20_000);
    let facts = RequestFacts {
        url: &url,
        headers: &headers,
        geo: Geo {
            country: Some("DE".into()),
            ..Geo::default()
        },
        now,
        visitor_id: None,
        returning: false,
    };
    let attrs = attributes(
        &facts,
        &ContextSettings {
            header_attributes: &names,
        },
    );
    let object = attrs.as_object().expect("attributes are an object");
    // Geo comes from the runtime only: no header can change it.
    assert_eq!(object.get("country").and_then(|c| c.as_str()), Some("DE"));
    let Ok(rules) = compile(r#"{"rules": [], "settings": {"consent_cookie": "consent"}}"#) else {
        return;
    };
    let query = split.query.unwrap_or("");
    let input = RequestInput {
        headers: &headers,
        query,
        secret: b"fuzz-secret",
        now: 1_700_000_000,
        secure: true,
    };
    let preview = PreviewState::new(&input);
    let session_input = SessionInput {
        request: input,
        settings: &rules.settings,
        random: Some([7; 16]),
        identify: true,
    };
    let session = Session::new(&session_input, preview);
    for line in session.cookies(&session_input, &[("e".into(), "v".into())]) {
        assert!(
            http::HeaderValue::from_str(&line).is_ok(),
            "Set-Cookie {line:?}"
        );
    }
    for value in headers.get_all(http::header::COOKIE) {
        let Ok(text) = value.to_str() else { continue };
        if let Some(rest) = without_cookie(text, "veneer_preview") {
            let mut map = http::HeaderMap::new();
            if let Ok(v) = http::HeaderValue::from_str(&rest) {
                map.insert(http::header::COOKIE, v);
                assert_eq!(cookie(&map, "veneer_preview"), None, "{text:?} -> {rest:?}");
            }
        }
    }
}

const NOW: u64 = 1_700_000_000;

/// Signed values: preview tokens, sticky-assignment cookies and console sessions, verified
/// from arbitrary text (never panics, never accepts a forgery of a fresh secret), and made then
/// verified (always accepted).
pub fn signing(data: &[u8]) {
    let pieces = parts(data, 3);
    let text = String::from_utf8_lossy(pieces[0]);
    let secret = pieces.get(1).copied().unwrap_or(b"s");
    let id = String::from_utf8_lossy(pieces.get(2).copied().unwrap_or(b"visitor"));
    // Arbitrary text verified against a secret it was never signed with.
    let fresh = b"a secret the fuzzer never sees 0123456789";
    assert!(verify_preview_token(fresh, &text, NOW).is_err());
    assert!(decode_assignments(fresh, &id, &text).is_none());
    assert!(verify_session(fresh, &text, NOW).is_err());
    let _ = verify_preview_token(secret, &text, NOW);
    let _ = decode_assignments(secret, &id, &text);
    let _ = verify_session(secret, &text, NOW);
    // Made, then verified.
    let expiry = NOW + u64::from(text.len() as u32 % 1000) + 1;
    let token = make_preview_token(secret, expiry);
    if !secret.is_empty() {
        assert_eq!(verify_preview_token(secret, &token, NOW).ok(), Some(expiry));
    }
    let pairs: Vec<(String, String)> = text
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
    let cookie = encode_assignments(secret, &id, &pairs);
    let decoded = decode_assignments(secret, &id, &cookie);
    assert!(decoded.is_some(), "own cookie {cookie:?} refused");
    for (e, v) in decoded.unwrap_or_default() {
        assert!(pairs.contains(&(e, v)));
    }
    if let Ok(session) = verify_session(secret, &make_session(secret, &text, NOW, 3600), NOW) {
        assert_eq!(session.name, text);
    }
}

fn chunked(plan: &veneer::Plan, page: &[u8], size: usize) -> Vec<u8> {
    let mut rewriter = StreamRewriter::new(plan, None);
    let mut out = Vec::new();
    for chunk in page.chunks(size) {
        out.extend(rewriter.write(chunk));
    }
    out.extend(rewriter.end());
    out
}

/// Render: a fixture rules document and path (the first byte), a chunk size (the second) and a
/// page (the rest). Never panics; chunked output equals whole output; a plan that matches
/// nothing returns the page byte for byte.
pub fn render_page(data: &[u8]) {
    let [pick, size, page @ ..] = data else {
        return;
    };
    let size = usize::from(*size % 64) + 1;
    let Ok(nothing) = compile(
        r##"{"rules": [{"id": "n", "actions": [{"select": "#veneer-fuzz-never", "set_text": "x"}]}]}"##,
    ) else {
        return;
    };
    let attributes = visitor();
    let now = chrono::DateTime::UNIX_EPOCH + chrono::TimeDelta::days(20_000);
    let untouched = decide(&nothing, &Visit::new(&attributes, "/", now), false);
    assert!(
        render(&untouched.plan, page) == page,
        "a plan matching nothing changed the page"
    );
    let Ok(rules) = compile(RULES[usize::from(*pick) % RULES.len()]) else {
        return;
    };
    let path = PATHS[usize::from(*pick / 8) % PATHS.len()];
    let decision = decide(&rules, &Visit::new(&attributes, path, now), false);
    let whole = render(&decision.plan, page);
    let pieces = chunked(&decision.plan, page, size);
    assert!(whole == pieces, "chunks of {size} bytes changed the output");
}
