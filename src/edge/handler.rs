//! The fetch handler: what passes straight through, and the personalized path (rules, visitor,
//! decision, origin, rewritten response).

use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;
use web_sys::{Headers, Request, ResponseInit};
use worker::Env;

use chrono::{DateTime, Utc};

use std::rc::Rc;

use super::config::{Config, config};
#[cfg(feature = "console")]
use super::console;
use super::origin::{
    BAD_ORIGIN_REQUEST, OriginRequest, bad_gateway, credentials, forward, origin_request,
    origin_response, send,
};
use super::recording;
use super::rules_cache::{
    cached_rules, forget_rules, load_preview_rules, load_rules, serving_revision,
};
use super::runtime::{header_map, js_headers, js_message, log_event, random_bytes};
use super::stream::{Pipe, StreamInfo};
use crate::document::{CompiledRules, Status};
use crate::engine::{DEBUG_HEADER, Decision, Visit, debug_header, decide};
use crate::policy::{
    Caching, Treatment, cache_headers, caching, frame_for_preview, rewritten_headers, treatment,
    variant_validators,
};
use crate::recording::{COLLECT_PATH, Visitor, measure_page};
use crate::render::StreamRewriter;
use crate::request::{
    ContextSettings, Geo, PREVIEW_BADGE, PREVIEW_COOKIE, PREVIEW_PARAM, PreviewState, RequestFacts,
    RequestInput, Session, SessionInput, attributes, decoded_path, split_url,
};

/// The origin's response: the fetch already started (`Some`), else one made now; a plain 502
/// when the origin cannot be reached.
async fn origin_page(
    started: Option<Result<web_sys::Response, JsValue>>,
    origin_req: &OriginRequest,
    path: &str,
) -> Result<web_sys::Response, JsValue> {
    let response = match started {
        Some(r) => r,
        None => send(origin_req).await,
    };
    origin_response(response, path)
}

/// The visitor attributes of a request, from its URL, headers and the runtime's `cf` data.
pub(super) fn visitor_attributes(
    req: &Request,
    headers: &HeaderMap,
    rules: &CompiledRules,
    session: &Session,
    now: f64,
) -> serde_json::Value {
    let cf = js_sys::Reflect::get(req.as_ref(), &JsValue::from_str("cf")).unwrap_or_default();
    let field = |name: &str| {
        js_sys::Reflect::get(&cf, &JsValue::from_str(name))
            .ok()
            .and_then(|v| v.as_string())
    };
    let geo = Geo {
        country: field("country"),
        region: field("region"),
        city: field("city"),
        continent: field("continent"),
        timezone: field("timezone"),
    };
    let now = DateTime::<Utc>::from_timestamp_millis(now as i64).unwrap_or_default();
    let url = req.url();
    let facts = RequestFacts {
        url: &url,
        headers,
        geo,
        now,
        visitor_id: session.visitor_id.as_deref(),
        returning: session.returning,
    };
    attributes(
        &facts,
        &ContextSettings {
            header_attributes: &rules.settings.header_attributes,
        },
    )
}

fn redirect_response(
    status: u16,
    location: &str,
    extra: &[(String, String)],
    cookies: &[String],
) -> Result<web_sys::Response, JsValue> {
    let headers = Headers::new()?;
    for (name, value) in extra {
        headers.set(name, value)?;
    }
    for cookie in cookies {
        headers.append("set-cookie", cookie)?;
    }
    headers.set("location", location)?;
    headers.set("cache-control", "private, no-store")?;
    let init = ResponseInit::new();
    init.set_status(status);
    init.set_headers(&headers);
    web_sys::Response::new_with_opt_str_and_init(None, &init)
}

/// The Workers fetch handler (the generated glue calls it for every request). What it need not
/// look at goes on to the origin at once, as the runtime's own fetch promise with nothing awaited
/// in Rust; everything else is personalized.
#[wasm_bindgen(js_name = fetch)]
pub fn fetch(req: Request, env: Env, ctx: worker::worker_sys::Context) -> Promise {
    let config = config(&env);
    // The runtime hands over a serialized WHATWG URL: splitting the string is enough.
    let url = req.url();
    let parts = split_url(&url);
    let path = if parts.path.is_empty() {
        "/"
    } else {
        parts.path
    }
    .to_owned();
    if config.drill_path.as_deref() == Some(path.as_str()) {
        // An operator's drill: proves, on a live deployment, that a crash still serves the page.
        panic!("fail-open drill on {path}");
    }
    // Veneer's script reports goals here (experiments' recording): never the origin.
    if path == COLLECT_PATH {
        return recording::collect(req, env, ctx, Rc::clone(&config), path);
    }
    // The console's own paths (only when it is on): answered by the console, never the origin.
    if let Some(console) = &config.console
        && console.owns(&path)
    {
        #[cfg(feature = "console")]
        return console::serve(req, env, Rc::clone(&config), path, console::Shop::of(None));
        #[cfg(not(feature = "console"))]
        return console_elsewhere(&path);
    }
    let method = req.method();
    let cookie = req
        .headers()
        .get("cookie")
        .ok()
        .flatten()
        .unwrap_or_default();
    let strip = config
        .console
        .as_ref()
        .and_then(|_| credentials(&req, &cookie));
    let origin = match origin_request(&req, &config, &parts, strip.as_ref()) {
        Ok(origin) => origin,
        // No origin to fail open to: a plain 502 says the deployment needs fixing.
        Err(e) => {
            log_event("origin_request_failed", &js_message(&e), None, &path);
            return bad_gateway(BAD_ORIGIN_REQUEST).map_or_else(
                |e| Promise::reject(&e),
                |r| Promise::resolve(&JsValue::from(r)),
            );
        }
    };
    if method != "GET" {
        // Only GET pages are ever changed; everything else goes straight to the origin.
        return forward(&origin, path);
    }
    let now = js_sys::Date::now();
    let query = parts.query.unwrap_or_default().to_owned();
    // Only the Cookie header (read above) is read before knowing that the page needs the visitor.
    let may_preview = query.contains(PREVIEW_PARAM) || cookie.contains(PREVIEW_COOKIE);
    if !may_preview {
        match cached_rules(&config, &config.key, now) {
            Some(Err(e)) => {
                log_event("rules_unavailable", &e.to_string(), None, &path);
                return forward(&origin, path);
            }
            Some(Ok(rules)) if !rules.applies_to(&decoded_path(&path)) => {
                return forward(&origin, path);
            }
            _ => {}
        }
    }
    let incoming = Incoming {
        secure: url.starts_with("https:"),
        path,
        query,
        may_preview,
        now,
    };
    wasm_bindgen_futures::future_to_promise(async move {
        personalize(req, env, ctx, &config, origin, incoming)
            .await
            .map(JsValue::from)
    })
}

/// A console path in the shop's module built without the console: `edge/entry.mjs` sends those
/// to the console's module, so this is a deployment whose entry does not; a JSON 500 (never
/// the origin: the request may carry the console's credentials) and one log line say so.
#[cfg(not(feature = "console"))]
fn console_elsewhere(path: &str) -> Promise {
    log_event(
        "console_not_here",
        "a console request reached the shop's module: edge/entry.mjs sends them to the console's \
         module (edge/console/)",
        None,
        path,
    );
    let init = ResponseInit::new();
    init.set_status(500);
    let answer = Headers::new()
        .and_then(|headers| {
            headers.set("content-type", "application/json")?;
            headers.set("cache-control", "no-store")?;
            init.set_headers(&headers);
            web_sys::Response::new_with_opt_str_and_init(
                Some(r#"{"error":"the console is not in this module; the worker's logs (console_not_here) say why"}"#),
                &init,
            )
        });
    answer.map_or_else(
        |e| Promise::reject(&e),
        |r| Promise::resolve(&JsValue::from(r)),
    )
}

/// For the console's module (`edge::console::Shop`): drops what this isolate's shop holds for
/// the KV key `key`, so its next request reads it (a saved draft shows in previews at once).
#[wasm_bindgen(js_name = forgetRules)]
pub fn forget_rules_for_console(key: String) {
    forget_rules(&key);
}

/// For the console's module (`edge::console::Shop`): the console revision of the document this
/// isolate's shop serves under the KV key `key` (`null`: none), read as a shop page would.
#[wasm_bindgen(js_name = servingRevision)]
pub fn serving_revision_for_console(env: Env, key: String) -> Promise {
    wasm_bindgen_futures::future_to_promise(async move {
        let config = config(&env);
        let revision = serving_revision(&env, &config, &key, js_sys::Date::now()).await;
        Ok(revision.map_or(JsValue::NULL, |n| JsValue::from_f64(n as f64)))
    })
}

/// What the handler learned about a request before anything was awaited.
struct Incoming {
    path: String,
    query: String,
    secure: bool,
    may_preview: bool,
    now: f64,
}

/// The rest of a GET request: rules (from memory or KV), the visitor, the decision, and the
/// origin's response, rewritten as it streams.
async fn personalize(
    req: Request,
    env: Env,
    ctx: worker::worker_sys::Context,
    config: &Config,
    origin_req: OriginRequest,
    incoming: Incoming,
) -> Result<web_sys::Response, JsValue> {
    let Incoming {
        path,
        query,
        secure,
        may_preview,
        now,
    } = incoming;
    let js_request_headers = req.headers();
    // The request's headers, read once they are needed (at once for a preview). Unreadable
    // ones would hide the visitor's cookies (a new id, a new variation): the origin's page then.
    let preview_headers = if may_preview {
        match header_map(&js_request_headers) {
            Ok(headers) => headers,
            Err(e) => {
                log_event("request_headers_unreadable", &e, None, &path);
                return origin_response(send(&origin_req).await, &path);
            }
        }
    } else {
        HeaderMap::new()
    };
    let read_secret = || {
        env.secret("VENEER_SECRET")
            .map(|s| s.to_string())
            .unwrap_or_default()
    };
    let preview_secret = if may_preview {
        read_secret()
    } else {
        String::new()
    };
    let request = RequestInput {
        headers: &preview_headers,
        query: &query,
        secret: preview_secret.as_bytes(),
        now: (now / 1000.0) as u64,
        secure,
    };
    let preview = PreviewState::new(&request);
    for note in &preview.notes {
        log_event("preview_ignored", note, None, &path);
    }
    // Published rules in memory: decide first, so a redirect never touches the origin.
    // (Previews, rare, always go through the draft-or-published lookup.)
    let cached = if preview.is_on() {
        None
    } else {
        cached_rules(config, &config.key, now)
    };
    let (response, rules) = match cached {
        Some(rules) => (None, rules),
        None if preview.is_on() => {
            let (response, rules) =
                futures_util::join!(send(&origin_req), load_preview_rules(&env, config, now));
            (Some(response), rules)
        }
        None => {
            let (response, rules) = futures_util::join!(
                send(&origin_req),
                load_rules(&env, config, &config.key, now)
            );
            (Some(response), rules)
        }
    };
    let rules = match rules {
        Ok(rules) => rules,
        Err(e) => {
            log_event("rules_unavailable", &e.to_string(), None, &path);
            return origin_page(response, &origin_req, &path).await;
        }
    };
    // Nothing in the document for this page: the origin's response, untouched, at once.
    let page = decoded_path(&path);
    if !preview.is_on() && !rules.applies_to(&page) {
        return origin_page(response, &origin_req, &path).await;
    }
    let identify = rules
        .experiments
        .iter()
        .any(|e| e.status == Status::Running);
    let secret = if identify && !may_preview {
        read_secret()
    } else {
        preview_secret.clone()
    };
    let request_headers = if may_preview {
        preview_headers.clone()
    } else {
        match header_map(&js_request_headers) {
            Ok(headers) => headers,
            Err(e) => {
                log_event(
                    "request_headers_unreadable",
                    &e,
                    rules.version.as_deref(),
                    &path,
                );
                return origin_page(response, &origin_req, &path).await;
            }
        }
    };
    let request = RequestInput {
        headers: &request_headers,
        secret: secret.as_bytes(),
        ..request
    };
    let input = SessionInput {
        request,
        settings: &rules.settings,
        random: random_bytes(),
        identify,
    };
    let session = Session::new(&input, preview);
    if input.random.is_none() && session.consent && session.visitor_id.is_none() {
        log_event(
            "random_unavailable",
            "crypto.getRandomValues gave no random bytes: this new visitor gets no id (the \
             control, not counted, no cookies)",
            rules.version.as_deref(),
            &path,
        );
    }
    let attrs = visitor_attributes(&req, &request_headers, &rules, &session, now);
    let now_utc = DateTime::<Utc>::from_timestamp_millis(now as i64).unwrap_or_default();
    // Pages match the decoded path, as in `veneer render` and `explain` (`/c/sch%C3%BChe` is
    // `/c/schühe`).
    let visit = Visit {
        attributes: &attrs,
        path: &page,
        now: now_utc,
        secure,
        sticky: &session.sticky,
        consent: session.consent,
        preview: session.in_preview(),
        forced: &session.preview.forced,
    };
    let mut decision = decide(&rules, &visit, false);
    // Exposures and conversions of this page view, stored after the response.
    let visitor = Visitor::of(&session, &attrs);
    if let Some(recorded) = measure_page(&rules, &mut decision, &visitor, &page, now as i64) {
        recording::record(&env, &ctx, &rules, &recorded, &path);
    }
    if let Some((status, location)) = decision.redirect.clone() {
        // The rule's own headers and cookies, and the session's, go with the redirect too.
        let mut cookies = session.cookies(&input, &decision.remembered());
        cookies.extend(decision.cookies.iter().cloned());
        match redirect_response(status, &location, &decision.headers, &cookies) {
            Ok(redirect) => return Ok(redirect),
            Err(e) => {
                // The location is not logged: a template may have put the visitor's data in it.
                log_event(
                    "redirect_failed",
                    &format!("a {status} redirect could not be made: {}", js_message(&e)),
                    rules.version.as_deref(),
                    &path,
                );
                return origin_page(response, &origin_req, &path).await;
            }
        }
    }
    // An unreachable origin gives a plain 502, which is passed through like any non-200.
    let response = origin_page(response, &origin_req, &path).await?;
    let mut extra = session.cookies(&input, &decision.remembered());
    let debug = session.in_preview().then(|| {
        decision.plan.body_end.push(PREVIEW_BADGE.to_owned());
        debug_header(&decision, &rules.problems)
    });
    decision.cookies.append(&mut extra);
    let about = StreamInfo {
        version: rules.version.clone(),
        crash_drill: config.drill_stream_path.as_deref() == Some(path.as_str()),
        path,
    };
    Ok(respond(
        response,
        &ctx,
        &request_headers,
        &decision,
        debug,
        about,
    ))
}

/// Chooses between the origin's response as it is and a changed (and rewritten) stream of it.
///
/// A page whose content or cookies may depend on the visitor is kept out of shared caches even
/// when nothing changed for this visitor; a page nothing can change is the origin's response
/// object itself. Should anything fail before the response is made, the visitor gets the
/// origin's response as it is, and one log line says why.
fn respond(
    response: web_sys::Response,
    ctx: &worker::worker_sys::Context,
    request_headers: &HeaderMap,
    decision: &Decision,
    debug: Option<String>,
    about: StreamInfo,
) -> web_sys::Response {
    let caching = caching(
        decision.varies_by_visitor,
        !decision.cookies.is_empty(),
        debug.is_some(),
    );
    let rewrite = !decision.plan.is_empty();
    if !rewrite && decision.headers.is_empty() && caching == Caching::AsOrigin {
        return response;
    }
    let fail_open = |event: &str, detail: &str| {
        log_event(event, detail, about.version.as_deref(), &about.path);
    };
    let mut headers = match header_map(&response.headers()) {
        Ok(headers) => headers,
        Err(e) => {
            fail_open(
                "response_headers_unreadable",
                &format!("origin response: {e}"),
            );
            return response;
        }
    };
    let status = StatusCode::from_u16(response.status()).unwrap_or(StatusCode::BAD_GATEWAY);
    let Treatment::Rewrite { charset } = treatment(&Method::GET, request_headers, status, &headers)
    else {
        return response;
    };
    if rewrite {
        rewritten_headers(&mut headers);
    }
    for (name, value) in &decision.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(n, v);
        }
    }
    for cookie in &decision.cookies {
        if let Ok(v) = HeaderValue::from_str(cookie) {
            headers.append(http::header::SET_COOKIE, v);
        }
    }
    // After `set_header`: a rule's own Cache-Control is kept out of shared caches too.
    cache_headers(&mut headers, caching);
    if caching != Caching::AsOrigin {
        variant_validators(&mut headers, &format!("{:?}", decision.plan));
    }
    if let Some(debug) = debug
        && let Ok(v) = HeaderValue::from_str(&debug)
    {
        headers.insert(DEBUG_HEADER, v);
        frame_for_preview(&mut headers);
    }
    // The pipe is made before the origin's body is touched, so that until the response exists
    // the origin's is still whole to fall back to.
    let (body, rewriting) = if rewrite {
        let Some(origin_body) = response.body() else {
            fail_open(
                "body_missing",
                "the origin's 200 text/html response has no body",
            );
            return response;
        };
        let pipe = match Pipe::new() {
            Ok(pipe) => pipe,
            Err(e) => {
                fail_open("stream_unavailable", &e);
                return response;
            }
        };
        (Some(pipe.readable().clone()), Some((pipe, origin_body)))
    } else {
        (response.body(), None)
    };
    let init = ResponseInit::new();
    init.set_status(response.status());
    init.set_status_text(&response.status_text());
    match js_headers(&headers) {
        Ok(h) => init.set_headers(&h),
        Err(e) => {
            fail_open("response_headers_unwritable", &e);
            return response;
        }
    }
    let changed =
        match web_sys::Response::new_with_opt_readable_stream_and_init(body.as_ref(), &init) {
            Ok(changed) => changed,
            Err(e) => {
                fail_open(
                    "response_failed",
                    &format!("the changed response could not be made: {}", js_message(&e)),
                );
                return response;
            }
        };
    if let Some((pipe, origin_body)) = rewriting {
        let rewriter = StreamRewriter::new(&decision.plan, charset.as_deref());
        pipe.start(origin_body, rewriter, ctx, about);
    }
    changed
}
