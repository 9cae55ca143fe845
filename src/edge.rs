//! The Workers glue: fetch handler, origin fetch, rules from KV, streaming response.
//!
//! This is the only module that touches the `worker` crate, KV, the clock or the network. It
//! fails open everywhere: when anything goes wrong the visitor gets the origin's own response.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use std::pin::Pin;

use futures_util::TryStreamExt;
use futures_util::io::{AsyncRead, AsyncReadExt};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use js_sys::Promise;
use serde_json::json;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, ReadableStream, Request, RequestInit, RequestRedirect, ResponseInit};
use worker::{Env, console_log};

use chrono::{DateTime, Utc};

use crate::context::{
    ContextSettings, Geo, RequestFacts, UrlParts, attributes, decoded_path, split_url,
};
use crate::decide::{Decision, Visit, decide};
use crate::policy::{Treatment, personalized_headers, rewritten_headers, treatment};
use crate::rewrite::StreamRewriter;
use crate::rules::{CompiledRules, compile};
use crate::session::{
    DEBUG_HEADER, PREVIEW_BADGE, PREVIEW_COOKIE, PREVIEW_PARAM, PreviewState, RequestInput,
    Session, SessionInput, debug_header,
};

/// Deployment settings, read from `wrangler.toml` vars.
struct Config {
    /// `ORIGIN`'s scheme and authority (`https://origin.example:8443`); `Err` when it is set
    /// but not a URL.
    origin: Option<Result<String, String>>,
    drill_path: Option<String>,
    drill_stream_path: Option<String>,
    binding: String,
    key: String,
    draft_key: String,
    isolate_ttl_ms: f64,
    kv_cache_ttl: u64,
}

impl Config {
    fn from_env(env: &Env) -> Self {
        let var = |name: &str| {
            env.var(name)
                .ok()
                .map(|v| v.to_string())
                .filter(|v| !v.trim().is_empty())
        };
        let number = |name: &str, default: u64| {
            var(name)
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(default)
        };
        Self {
            origin: var("ORIGIN").map(|o| {
                web_sys::Url::new(o.trim())
                    .map(|u| u.origin())
                    .ok()
                    .filter(|base| base.starts_with("http"))
                    .ok_or_else(|| format!("ORIGIN {o:?} is not an http(s) URL"))
            }),
            drill_path: var("FAIL_OPEN_DRILL_PATH"),
            drill_stream_path: var("FAIL_OPEN_DRILL_STREAM_PATH"),
            binding: var("RULES_BINDING").unwrap_or_else(|| "RULES".into()),
            key: var("RULES_KEY").unwrap_or_else(|| "rules".into()),
            draft_key: var("RULES_DRAFT_KEY").unwrap_or_else(|| "rules:draft".into()),
            isolate_ttl_ms: number("RULES_CACHE_SECONDS", 30) as f64 * 1000.0,
            // Workers KV refuses a cacheTtl under 60 seconds.
            kv_cache_ttl: number("RULES_KV_CACHE_TTL", 60).max(60),
        }
    }
}

/// Rules as loaded for this isolate: compiled once per document text, kept for a while.
struct Loaded {
    loaded_at: f64,
    text: Option<String>,
    rules: Result<Rc<CompiledRules>, Unavailable>,
}

/// Why no rules could be used.
#[derive(Debug, Clone)]
enum Unavailable {
    /// The key does not exist.
    Missing(String),
    /// Anything else: binding, KV error, invalid document.
    Failed(String),
}

impl Unavailable {
    fn message(&self) -> &str {
        match self {
            Self::Missing(m) | Self::Failed(m) => m,
        }
    }
}

thread_local! {
    /// Per KV key (`rules`, `rules:draft`).
    static LOADED: RefCell<HashMap<String, Loaded>> = RefCell::new(HashMap::new());
}

/// Writes one structured log line (JSON) about something that went wrong or was skipped.
fn log_event(event: &str, detail: &str, version: Option<&str>, path: &str) {
    let line = json!({ "veneer": event, "detail": detail, "rules_version": version, "path": path });
    console_log!("{line}");
}

/// The rules this isolate holds for `key`, if they are still fresh.
fn cached_rules(
    config: &Config,
    key: &str,
    now: f64,
) -> Option<Result<Rc<CompiledRules>, Unavailable>> {
    LOADED.with_borrow(|loaded| {
        loaded
            .get(key)
            .filter(|l| now - l.loaded_at < config.isolate_ttl_ms)
            .map(|l| l.rules.clone())
    })
}

/// The compiled rules under `key`: from isolate memory while fresh, else from KV.
async fn load_rules(
    env: &Env,
    config: &Config,
    key: &str,
    now: f64,
) -> Result<Rc<CompiledRules>, Unavailable> {
    if let Some(rules) = cached_rules(config, key, now) {
        return rules;
    }
    let text = match env.kv(&config.binding) {
        Err(e) => Err(Unavailable::Failed(format!(
            "KV binding {:?} is missing: {e}",
            config.binding
        ))),
        Ok(kv) => match kv.get(key).cache_ttl(config.kv_cache_ttl).text().await {
            Ok(Some(text)) => Ok(text),
            Ok(None) => Err(Unavailable::Missing(format!(
                "KV key {key:?} does not exist"
            ))),
            Err(e) => Err(Unavailable::Failed(format!(
                "KV read of {key:?} failed: {e}"
            ))),
        },
    };
    LOADED.with_borrow_mut(|loaded| {
        let unchanged = loaded
            .get(key)
            .filter(|l| l.text.as_deref() == text.as_deref().ok())
            .map(|l| l.rules.clone());
        let rules = match (&text, unchanged) {
            (Ok(_), Some(rules)) => rules,
            (Ok(text), None) => compile_logged(text).map_err(Unavailable::Failed),
            (Err(e), _) => Err(e.clone()),
        };
        loaded.insert(
            key.to_owned(),
            Loaded {
                loaded_at: now,
                text: text.ok(),
                rules: rules.clone(),
            },
        );
        rules
    })
}

/// The draft rules for a preview, falling back to the published ones when there is no draft.
async fn load_preview_rules(
    env: &Env,
    config: &Config,
    now: f64,
) -> Result<Rc<CompiledRules>, Unavailable> {
    match load_rules(env, config, &config.draft_key, now).await {
        Err(Unavailable::Missing(_)) => load_rules(env, config, &config.key, now).await,
        other => other,
    }
}

/// Compiles a new rules version, logging each rule that is skipped.
fn compile_logged(text: &str) -> Result<Rc<CompiledRules>, String> {
    let compiled = compile(text).map_err(|e| e.to_string())?;
    for problem in &compiled.problems {
        log_event(
            "rule_skipped",
            &problem.to_string(),
            compiled.version.as_deref(),
            "",
        );
    }
    Ok(Rc::new(compiled))
}

/// The origin request, as the arguments of the runtime's `fetch`.
struct OriginRequest {
    /// The visitor's own request (route mode) or the URL under `ORIGIN`.
    target: OriginTarget,
    init: RequestInit,
}

enum OriginTarget {
    Request(Request),
    Url(String),
}

/// Builds the request to the origin: the visitor's, sent on as it came (or to `ORIGIN`).
fn origin_request(
    req: &Request,
    method: &str,
    config: &Config,
    url: &UrlParts,
) -> Result<OriginRequest, JsValue> {
    let init = RequestInit::new();
    init.set_redirect(RequestRedirect::Manual);
    let Some(origin) = &config.origin else {
        // Route mode: the same request (URL, method, headers, body), with manual redirects.
        return Ok(OriginRequest {
            target: OriginTarget::Request(<Request as Clone>::clone(req)),
            init,
        });
    };
    let origin = origin.as_deref().map_err(|e| JsValue::from_str(e))?;
    let mut target = format!("{origin}{}", url.path);
    if let Some(query) = url.query {
        target.push('?');
        target.push_str(query);
    }
    let headers = Headers::new_with_headers(&req.headers())?;
    headers.delete("host")?;
    headers.set("x-forwarded-host", url.authority.unwrap_or_default())?;
    init.set_method(method);
    init.set_headers(&headers);
    if let Some(body) = req.body() {
        init.set_body(&body);
    }
    Ok(OriginRequest {
        target: OriginTarget::Url(target),
        init,
    })
}

/// Starts the origin fetch: the runtime's own promise of the origin's response object (status
/// text, `webSocket`, `cf` and body untouched, nothing copied).
fn start_fetch(origin: &OriginRequest) -> Promise {
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    match &origin.target {
        OriginTarget::Request(r) => global.fetch_with_request_and_init(r, &origin.init),
        OriginTarget::Url(u) => global.fetch_with_str_and_init(u, &origin.init),
    }
}

/// The origin's response, awaited.
async fn send(origin: &OriginRequest) -> Result<web_sys::Response, JsValue> {
    JsFuture::from(start_fetch(origin)).await?.dyn_into()
}

/// The origin's response as the visitor's, without awaiting anything here: the runtime's fetch
/// promise, with a plain 502 (and a log line) should the origin be unreachable.
fn forward(origin: &OriginRequest, path: String) -> Promise {
    UNREACHABLE.with(|on_error| {
        let on_error: &js_sys::Function = on_error.as_ref().unchecked_ref();
        start_fetch(origin)
            .unchecked_ref::<Catchable>()
            .catch_with(&on_error.bind1(&JsValue::NULL, &JsValue::from(path)).into())
    })
}

#[wasm_bindgen]
extern "C" {
    /// A promise seen through `catch` with any function (js-sys only takes closures there).
    #[wasm_bindgen(js_name = Promise)]
    type Catchable;
    #[wasm_bindgen(method, js_name = catch)]
    fn catch_with(this: &Catchable, handler: &JsValue) -> Promise;
}

thread_local! {
    /// `(path, error) => 502 response`, made once per isolate; `forward` binds the path.
    static UNREACHABLE: Closure<dyn FnMut(JsValue, JsValue) -> JsValue> =
        Closure::new(|path: JsValue, error: JsValue| {
            let path = path.as_string().unwrap_or_default();
            origin_response(Err(error), &path).map_or(JsValue::UNDEFINED, JsValue::from)
        });
}

fn header_map(headers: &Headers) -> Option<HeaderMap> {
    let mut map = HeaderMap::new();
    for entry in headers.entries() {
        let pair: js_sys::Array = entry.ok()?.dyn_into().ok()?;
        let name = HeaderName::from_bytes(pair.get(0).as_string()?.as_bytes()).ok()?;
        let value = HeaderValue::from_str(&pair.get(1).as_string()?).ok()?;
        map.append(name, value);
    }
    Some(map)
}

fn js_headers(map: &HeaderMap) -> Result<Headers, JsValue> {
    let headers = Headers::new()?;
    for (name, value) in map {
        let value = value
            .to_str()
            .map_err(|e| JsValue::from_str(&e.to_string()))?;
        headers.append(name.as_str(), value)?;
    }
    Ok(headers)
}

/// The visitor attributes of a request, from its URL, headers and the runtime's `cf` data.
fn visitor_attributes(
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

/// 16 random bytes from the runtime's crypto (zeros only if it is unavailable, which the
/// Workers runtime never is; ids stay valid either way).
fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    let global = js_sys::global();
    let crypto = js_sys::Reflect::get(&global, &JsValue::from_str("crypto")).unwrap_or_default();
    let get = js_sys::Reflect::get(&crypto, &JsValue::from_str("getRandomValues"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    if let Some(get) = get {
        let array = js_sys::Uint8Array::new_with_length(16);
        if get.call1(&crypto, &array).is_ok() {
            array.copy_to(&mut bytes);
        }
    }
    bytes
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

thread_local! {
    /// The deployment's settings: vars only change with a new deployment, hence a new isolate.
    static CONFIG: RefCell<Option<Rc<Config>>> = const { RefCell::new(None) };
}

fn config(env: &Env) -> Rc<Config> {
    CONFIG.with_borrow_mut(|c| Rc::clone(c.get_or_insert_with(|| Rc::new(Config::from_env(env)))))
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
    let method = req.method();
    let origin = match origin_request(&req, &method, &config, &parts) {
        Ok(origin) => origin,
        Err(e) => return Promise::reject(&e),
    };
    if method != "GET" {
        // Only GET pages are ever changed; everything else goes straight to the origin.
        return forward(&origin, path);
    }
    let now = js_sys::Date::now();
    let query = parts.query.unwrap_or_default().to_owned();
    // Only the Cookie header is read before knowing that the page needs the visitor.
    let cookie = req
        .headers()
        .get("cookie")
        .ok()
        .flatten()
        .unwrap_or_default();
    let may_preview = query.contains(PREVIEW_PARAM) || cookie.contains(PREVIEW_COOKIE);
    if !may_preview {
        match cached_rules(&config, &config.key, now) {
            Some(Err(e)) => {
                log_event("rules_unavailable", e.message(), None, &path);
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
    let preview_headers = if may_preview {
        header_map(&js_request_headers).unwrap_or_default()
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
            log_event("rules_unavailable", e.message(), None, &path);
            let response = match response {
                Some(r) => r,
                None => send(&origin_req).await,
            };
            return origin_response(response, &path);
        }
    };
    // Nothing in the document for this page: the origin's response, untouched, at once.
    let page = decoded_path(&path);
    if !preview.is_on() && !rules.applies_to(&page) {
        let response = match response {
            Some(r) => r,
            None => send(&origin_req).await,
        };
        return origin_response(response, &path);
    }
    let identify = rules
        .experiments
        .iter()
        .any(|e| e.status == crate::rules::Status::Running);
    let secret = if identify && !may_preview {
        read_secret()
    } else {
        preview_secret.clone()
    };
    let request_headers = if may_preview {
        preview_headers.clone()
    } else {
        header_map(&js_request_headers).unwrap_or_default()
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
    if let Some((status, location)) = decision.redirect.clone() {
        // The rule's own headers and cookies, and the session's, go with the redirect too.
        let mut cookies = session.cookies(&input, &decision);
        cookies.extend(decision.cookies.iter().cloned());
        return redirect_response(status, &location, &decision.headers, &cookies);
    }
    let response = match response {
        Some(r) => r,
        None => send(&origin_req).await,
    };
    // An unreachable origin gives a plain 502, which is passed through like any non-200.
    let response = origin_response(response, &path)?;
    let mut extra = session.cookies(&input, &decision);
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

/// The message of a JavaScript error (or whatever was thrown), for a log line.
fn js_message(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

/// The origin's response, or a plain 502 (and a log line) when it could not be reached.
fn origin_response(
    response: Result<web_sys::Response, JsValue>,
    path: &str,
) -> Result<web_sys::Response, JsValue> {
    match response {
        Ok(r) => Ok(r),
        Err(e) => {
            log_event("origin_unreachable", &js_message(&e), None, path);
            let init = ResponseInit::new();
            init.set_status(502);
            Ok(web_sys::Response::new_with_opt_str_and_init(
                Some("Bad gateway: the origin could not be reached.\n"),
                &init,
            )?)
        }
    }
}

/// Chooses between the origin's response as it is and a changed (and rewritten) stream of it.
fn respond(
    response: web_sys::Response,
    ctx: &worker::worker_sys::Context,
    request_headers: &HeaderMap,
    decision: &Decision,
    debug: Option<String>,
    about: StreamInfo,
) -> web_sys::Response {
    if decision.plan.is_empty()
        && decision.headers.is_empty()
        && decision.cookies.is_empty()
        && debug.is_none()
    {
        return response;
    }
    let Some(mut headers) = header_map(&response.headers()) else {
        return response;
    };
    let status = StatusCode::from_u16(response.status()).unwrap_or(StatusCode::BAD_GATEWAY);
    let Treatment::Rewrite { charset } = treatment(&Method::GET, request_headers, status, &headers)
    else {
        return response;
    };
    let Some(body) = response.body() else {
        return response;
    };
    let rewrite = !decision.plan.is_empty();
    if rewrite {
        rewritten_headers(&mut headers);
    }
    if decision.personalized {
        personalized_headers(&mut headers);
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
    if let Some(debug) = debug {
        // A preview is one person's view: never cache it, anywhere.
        headers.insert(
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        );
        if let Ok(v) = HeaderValue::from_str(&debug) {
            headers.insert(DEBUG_HEADER, v);
        }
    }
    let init = ResponseInit::new();
    init.set_status(response.status());
    init.set_status_text(&response.status_text());
    match js_headers(&headers) {
        Ok(h) => init.set_headers(&h),
        Err(_) => return response,
    }
    let body = if rewrite {
        let rewriter = StreamRewriter::new(&decision.plan, charset.as_deref());
        match rewrite_stream(body, rewriter, ctx, about) {
            Some(rewritten) => rewritten,
            None => return response,
        }
    } else {
        body
    };
    web_sys::Response::new_with_opt_readable_stream_and_init(Some(&body), &init).unwrap_or(response)
}
/// The size of the reused input and output buffers of a rewritten stream.
const STREAM_BUFFER: usize = 64 * 1024;

#[wasm_bindgen]
extern "C" {
    /// The Workers runtime's native byte pipe: what is written comes out of `readable`, each
    /// write settling once the other side has taken the bytes.
    type IdentityTransformStream;
    #[wasm_bindgen(constructor, catch)]
    fn new() -> Result<IdentityTransformStream, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn readable(this: &IdentityTransformStream) -> ReadableStream;
    #[wasm_bindgen(method, getter)]
    fn writable(this: &IdentityTransformStream) -> web_sys::WritableStream;
}

/// What a rewritten stream logs with, and whether it is an operator's mid-stream crash drill.
struct StreamInfo {
    version: Option<String>,
    path: String,
    crash_drill: bool,
}

/// Pipes the origin's body through the rewriter into a native pipe that the visitor reads.
/// Input (a BYOB reader) and output each go through one reused buffer, so memory stays flat
/// whatever the page's size: no chunk is left behind for the garbage collector.
fn rewrite_stream(
    body: ReadableStream,
    rewriter: StreamRewriter,
    ctx: &worker::worker_sys::Context,
    about: StreamInfo,
) -> Option<ReadableStream> {
    let pipe = IdentityTransformStream::new().ok()?;
    let writer = pipe.writable().get_writer().ok()?;
    let input: Pin<Box<dyn AsyncRead>> =
        match wasm_streams::ReadableStream::from_raw(body.unchecked_into()).try_into_async_read() {
            Ok(bytes) => Box::pin(bytes),
            // Not a byte stream (never from the runtime's fetch): chunk by chunk.
            Err((_, stream)) => Box::pin(
                stream
                    .into_stream()
                    .map_ok(|chunk| js_sys::Uint8Array::new(&chunk).to_vec())
                    .map_err(|e| std::io::Error::other(js_message(&e)))
                    .into_async_read(),
            ),
        };
    let task = wasm_bindgen_futures::future_to_promise(async move {
        pump(input, writer, rewriter, about).await;
        Ok(JsValue::UNDEFINED)
    });
    // Should the wasm instance ever trap mid-page, the runtime ends the visitor's response (as
    // on a dropped origin connection); tests/edge/failopen.test.mjs drills it.
    ctx.wait_until(&task).ok()?;
    Some(pipe.readable())
}

/// Reads, rewrites and writes until the page ends, the origin fails or the visitor leaves.
async fn pump(
    mut input: Pin<Box<dyn AsyncRead>>,
    writer: web_sys::WritableStreamDefaultWriter,
    mut rewriter: StreamRewriter,
    about: StreamInfo,
) {
    let mut buffer = vec![0u8; STREAM_BUFFER];
    let mut output = js_sys::Uint8Array::new_with_length(STREAM_BUFFER as u32);
    let result: Result<(), JsValue> = async {
        loop {
            let read = input
                .read(&mut buffer)
                .await
                .map_err(|e| JsValue::from_str(&e.to_string()))?;
            let out = if read == 0 {
                rewriter.end()
            } else {
                rewriter.write(&buffer[..read])
            };
            if !out.is_empty() {
                let len =
                    u32::try_from(out.len()).map_err(|e| JsValue::from_str(&e.to_string()))?;
                // A buffer the runtime detached, or one too small, is replaced.
                if output.byte_length() < len {
                    output = js_sys::Uint8Array::new_with_length(len.max(STREAM_BUFFER as u32));
                }
                let view = output.subarray(0, len);
                view.copy_from(&out);
                JsFuture::from(writer.write_with_chunk(&view)).await?;
                if about.crash_drill {
                    panic!("fail-open drill mid-stream on {}", about.path);
                }
            }
            if read == 0 {
                return Ok(());
            }
        }
    }
    .await;
    if let Some(failure) = rewriter.failure() {
        log_event(
            "rewrite_failed",
            failure,
            about.version.as_deref(),
            &about.path,
        );
    }
    let _ = match result {
        Ok(()) => JsFuture::from(writer.close()).await,
        // The origin broke off (the visitor sees the same), or the visitor left.
        Err(e) => JsFuture::from(writer.abort_with_reason(&e)).await,
    };
}
