//! The Workers glue: fetch handler, origin fetch, rules from KV, streaming response.
//!
//! This is the only module that touches the `worker` crate, KV, the clock or the network. It
//! fails open everywhere: when anything goes wrong the visitor gets the origin's own response.

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::{StreamExt, stream};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde_json::json;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Headers, ReadableStream, Request, RequestInit, RequestRedirect, ResponseInit};
use worker::{Context, Env, Fetch, console_log, event};

use chrono::{DateTime, Utc};

use crate::context::{ContextSettings, Geo, RequestFacts, attributes};
use crate::decide::{Decision, decide};
use crate::policy::{Treatment, rewritten_headers, treatment};
use crate::rewrite::StreamRewriter;
use crate::rules::{CompiledRules, compile};

/// Deployment settings, read from `wrangler.toml` vars.
struct Config {
    origin: Option<String>,
    drill_path: Option<String>,
    binding: String,
    key: String,
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
            origin: var("ORIGIN"),
            drill_path: var("FAIL_OPEN_DRILL_PATH"),
            binding: var("RULES_BINDING").unwrap_or_else(|| "RULES".into()),
            key: var("RULES_KEY").unwrap_or_else(|| "rules".into()),
            isolate_ttl_ms: number("RULES_CACHE_SECONDS", 30) as f64 * 1000.0,
            // Workers KV refuses a cacheTtl under 60 seconds.
            kv_cache_ttl: number("RULES_KV_CACHE_TTL", 60).max(60),
        }
    }
}

/// Rules as loaded for this isolate: compiled once per document text, kept for a while.
struct Loaded {
    source: String,
    loaded_at: f64,
    text: Option<String>,
    rules: Result<Rc<CompiledRules>, String>,
}

thread_local! {
    static LOADED: RefCell<Option<Loaded>> = const { RefCell::new(None) };
}

/// Writes one structured log line (JSON) about something that went wrong or was skipped.
fn log_event(event: &str, detail: &str, version: Option<&str>, path: &str) {
    let line = json!({ "veneer": event, "detail": detail, "rules_version": version, "path": path });
    console_log!("{line}");
}

/// The rules this isolate holds, if they are still fresh.
fn cached_rules(config: &Config, now: f64) -> Option<Result<Rc<CompiledRules>, String>> {
    let source = format!("{}/{}", config.binding, config.key);
    LOADED.with_borrow(|loaded| {
        loaded
            .as_ref()
            .filter(|l| l.source == source && now - l.loaded_at < config.isolate_ttl_ms)
            .map(|l| l.rules.clone())
    })
}

async fn load_rules(env: &Env, config: &Config, now: f64) -> Result<Rc<CompiledRules>, String> {
    if let Some(rules) = cached_rules(config, now) {
        return rules;
    }
    let source = format!("{}/{}", config.binding, config.key);
    let text = match env.kv(&config.binding) {
        Err(e) => Err(format!("KV binding {:?} is missing: {e}", config.binding)),
        Ok(kv) => match kv
            .get(&config.key)
            .cache_ttl(config.kv_cache_ttl)
            .text()
            .await
        {
            Ok(Some(text)) => Ok(text),
            Ok(None) => Err(format!("KV key {:?} does not exist", config.key)),
            Err(e) => Err(format!("KV read of {:?} failed: {e}", config.key)),
        },
    };
    LOADED.with_borrow_mut(|loaded| {
        let unchanged = loaded
            .as_ref()
            .filter(|l| l.source == source && l.text.as_deref() == text.as_deref().ok())
            .map(|l| l.rules.clone());
        let rules = match (&text, unchanged) {
            (Ok(_), Some(rules)) => rules,
            (Ok(text), None) => compile_logged(text),
            (Err(e), _) => Err(e.clone()),
        };
        *loaded = Some(Loaded {
            source,
            loaded_at: now,
            text: text.ok(),
            rules: rules.clone(),
        });
        rules
    })
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

/// Builds the request to the origin: the visitor's, sent on as it came (or to `ORIGIN`).
fn origin_request(req: &Request, config: &Config) -> Result<Request, JsValue> {
    let init = RequestInit::new();
    init.set_method(&req.method());
    let headers = Headers::new_with_headers(&req.headers())?;
    init.set_headers(&headers);
    init.set_redirect(RequestRedirect::Manual);
    if let Some(body) = req.body() {
        init.set_body(&body);
    }
    let Some(origin) = &config.origin else {
        return Request::new_with_str_and_init(&req.url(), &init);
    };
    let incoming = web_sys::Url::new(&req.url())?;
    let target = web_sys::Url::new(origin)?;
    target.set_pathname(&incoming.pathname());
    target.set_search(&incoming.search());
    headers.delete("host")?;
    headers.set("x-forwarded-host", &incoming.host())?;
    Request::new_with_str_and_init(&target.href(), &init)
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
    let cookie_name = &rules.settings.visitor_cookie;
    let visitor_id = cookie_value(headers, cookie_name);
    let now = DateTime::<Utc>::from_timestamp_millis(now as i64).unwrap_or_default();
    let url = req.url();
    let facts = RequestFacts {
        url: &url,
        headers,
        geo,
        now,
        visitor_id: visitor_id.as_deref(),
        returning: visitor_id.is_some(),
    };
    attributes(
        &facts,
        &ContextSettings {
            header_attributes: &rules.settings.header_attributes,
        },
    )
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
}

fn redirect_response(status: u16, location: &str) -> Result<web_sys::Response, JsValue> {
    let headers = Headers::new()?;
    headers.set("location", location)?;
    headers.set("cache-control", "private, no-store")?;
    let init = ResponseInit::new();
    init.set_status(status);
    init.set_headers(&headers);
    web_sys::Response::new_with_opt_str_and_init(None, &init)
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<web_sys::Response> {
    let config = Config::from_env(&env);
    let url = web_sys::Url::new(&req.url()).ok();
    let path = url.as_ref().map(|u| u.pathname()).unwrap_or_default();
    let secure = url.as_ref().is_some_and(|u| u.protocol() == "https:");
    let method = Method::from_bytes(req.method().as_bytes()).unwrap_or(Method::GET);
    let request_headers = header_map(&req.headers()).unwrap_or_default();
    if config.drill_path.as_deref() == Some(path.as_str()) {
        // An operator's drill: proves, on a live deployment, that a crash still serves the page.
        panic!("fail-open drill on {path}");
    }
    let origin_req = origin_request(&req, &config)?;
    let now = js_sys::Date::now();
    let origin_fetch = Fetch::Request(origin_req.into());

    // Only GET pages are ever changed; everything else goes straight to the origin.
    let (response, rules): (worker::Result<Option<worker::Response>>, _) = if method != Method::GET
    {
        (origin_fetch.send().await.map(Some), None)
    } else if let Some(rules) = cached_rules(&config, now) {
        // Rules in memory: decide first, so a redirect never touches the origin.
        (Ok(None), Some(rules))
    } else {
        let (response, rules) =
            futures_util::join!(origin_fetch.send(), load_rules(&env, &config, now));
        (response.map(Some), Some(rules))
    };
    let decision = match rules {
        Some(Ok(rules)) => {
            let attrs = visitor_attributes(&req, &request_headers, &rules, now);
            let now_utc = DateTime::<Utc>::from_timestamp_millis(now as i64).unwrap_or_default();
            Some((decide(&rules, &attrs, &path, now_utc, secure, false), rules))
        }
        Some(Err(e)) => {
            log_event("rules_unavailable", &e, None, &path);
            None
        }
        None => None,
    };
    if let Some((status, location)) = decision.as_ref().and_then(|(d, _)| d.redirect.clone()) {
        return Ok(redirect_response(status, &location)?);
    }
    let response = match response {
        Ok(Some(r)) => Ok(r),
        Ok(None) => origin_fetch.send().await,
        Err(e) => Err(e),
    };
    let response: web_sys::Response = match response {
        Ok(r) => r.into(),
        Err(e) => {
            log_event("origin_unreachable", &e.to_string(), None, &path);
            let init = ResponseInit::new();
            init.set_status(502);
            return Ok(web_sys::Response::new_with_opt_str_and_init(
                Some("Bad gateway: the origin could not be reached.\n"),
                &init,
            )?);
        }
    };
    Ok(match decision {
        Some((decision, rules)) => respond(
            response,
            &method,
            &request_headers,
            &decision,
            rules.version.clone(),
            &path,
        ),
        None => response,
    })
}

/// Chooses between the origin's response as it is and a changed (and rewritten) stream of it.
fn respond(
    response: web_sys::Response,
    method: &Method,
    request_headers: &HeaderMap,
    decision: &Decision,
    version: Option<String>,
    path: &str,
) -> web_sys::Response {
    if decision.plan.is_empty() && decision.headers.is_empty() && decision.cookies.is_empty() {
        return response;
    }
    let Some(mut headers) = header_map(&response.headers()) else {
        return response;
    };
    let status = StatusCode::from_u16(response.status()).unwrap_or(StatusCode::BAD_GATEWAY);
    let Treatment::Rewrite { charset } = treatment(method, request_headers, status, &headers)
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
    let init = ResponseInit::new();
    init.set_status(response.status());
    init.set_status_text(&response.status_text());
    match js_headers(&headers) {
        Ok(h) => init.set_headers(&h),
        Err(_) => return response,
    }
    let body = if rewrite {
        let rewriter = StreamRewriter::new(&decision.plan, charset.as_deref());
        rewrite_stream(body, rewriter, version, path.to_owned())
    } else {
        body
    };
    web_sys::Response::new_with_opt_readable_stream_and_init(Some(&body), &init).unwrap_or(response)
}
/// Pipes the origin's body through the rewriter, one chunk in, what is ready out.
fn rewrite_stream(
    body: ReadableStream,
    rewriter: StreamRewriter,
    version: Option<String>,
    path: String,
) -> ReadableStream {
    let input = wasm_streams::ReadableStream::from_raw(body.unchecked_into()).into_stream();
    let state = (input, Some(rewriter));
    let output = stream::unfold(state, move |(mut input, mut rewriter)| {
        let version = version.clone();
        let path = path.clone();
        async move {
            loop {
                let active = rewriter.as_mut()?;
                let out = match input.next().await {
                    Some(Ok(chunk)) => active.write(&js_sys::Uint8Array::new(&chunk).to_vec()),
                    Some(Err(e)) => return Some((Err(e), (input, None))),
                    None => {
                        let out = active.end();
                        if let Some(failure) = active.failure() {
                            log_event("rewrite_failed", failure, version.as_deref(), &path);
                        }
                        rewriter = None;
                        if out.is_empty() {
                            return None;
                        }
                        out
                    }
                };
                if !out.is_empty() {
                    let chunk: JsValue = js_sys::Uint8Array::from(out.as_slice()).into();
                    return Some((Ok(chunk), (input, rewriter)));
                }
            }
        }
    });
    wasm_streams::ReadableStream::from_stream(output)
        .into_raw()
        .unchecked_into()
}
