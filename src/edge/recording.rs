//! Recording at the edge (issue 11): exposures and conversions to D1 after the response
//! (`ctx.waitUntil`, one batch), a data point per event to Analytics Engine, a log line per
//! event, and `POST /__veneer/collect`. What to record is decided in `crate::recording`.

use std::cell::RefCell;

use http::HeaderMap;
use js_sys::Promise;
use serde_json::json;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, ResponseInit};
use worker::{AnalyticsEngineDataPointBuilder, Env, console_log};

use super::config::Config;
use super::d1::{DB_BINDING, prepare};
use super::handler::visitor_attributes;
use super::rules_cache::load_rules;
use super::runtime::{header_map, js_message, log_event};
use crate::document::CompiledRules;
use crate::recording::{
    CollectError, FLUSH_DELAY_MS, FloodGuard, MAX_COLLECT_BYTES, Recorded, RetentionClock, Visitor,
    WriteBuffer, collect_events, parse_collect, retention_statements, statements,
};
use crate::request::{PreviewState, RequestInput, Session, SessionInput};

/// The optional Analytics Engine binding (`[[analytics_engine_datasets]]` in wrangler.toml).
const ANALYTICS_BINDING: &str = "VENEER_ANALYTICS";

thread_local! {
    /// This isolate's `/collect` counts per client.
    static FLOOD: RefCell<FloodGuard> = RefCell::new(FloodGuard::new());
    /// Statements waiting for the next flush.
    static PENDING: RefCell<WriteBuffer> = RefCell::new(WriteBuffer::default());
    /// When this isolate last deleted rows past the retention.
    static RETENTION: RefCell<RetentionClock> = RefCell::new(RetentionClock::default());
}

/// Records one request's events after the response: its statements (with the retention
/// deletes when due) join the isolate's [`WriteBuffer`], sent to D1 in batches through
/// `ctx.waitUntil`; the Analytics Engine data points and the log lines now (neither waits for
/// anything). A D1 failure drops that batch and writes one log line.
pub(super) fn record(
    env: &Env,
    ctx: &worker::worker_sys::Context,
    rules: &CompiledRules,
    recorded: &Recorded,
    path: &str,
) {
    let settings = &rules.settings.recording;
    let version = rules.version.as_deref();
    if settings.log {
        for event in &recorded.events {
            console_log!("{}", event.log_line(&recorded.visitor, recorded.at_ms));
        }
    }
    if settings.analytics_engine
        && let Ok(dataset) = env.analytics_engine(ANALYTICS_BINDING)
    {
        for event in &recorded.events {
            let (index, blobs, doubles) = event.data_point();
            let written = AnalyticsEngineDataPointBuilder::new()
                .indexes([index.as_str()])
                .blobs(blobs)
                .doubles(doubles)
                .write_to(&dataset);
            if let Err(e) = written {
                log_event(
                    "analytics_engine_failed",
                    &format!("writeDataPoint on {ANALYTICS_BINDING} failed: {e}"),
                    version,
                    path,
                );
                break;
            }
        }
    }
    let mut batch = statements(recorded);
    if RETENTION.with_borrow_mut(|r| r.due(recorded.at_ms)) {
        batch.extend(retention_statements(
            settings.retention_days,
            recorded.at_ms,
        ));
    }
    let flushes = PENDING.with_borrow_mut(|p| p.push(batch));
    for _ in 0..flushes {
        flush(env, ctx, version, path);
    }
}

/// Sends one batch of what the isolate's requests recorded, [`FLUSH_DELAY_MS`] from now,
/// through `ctx.waitUntil` (so after the response). A failure drops that batch and writes one
/// log line.
fn flush(env: &Env, ctx: &worker::worker_sys::Context, version: Option<&str>, path: &str) {
    let db = env.d1(DB_BINDING);
    let (version, path) = (version.map(str::to_owned), path.to_owned());
    let task = wasm_bindgen_futures::future_to_promise(async move {
        worker::Delay::from(std::time::Duration::from_millis(FLUSH_DELAY_MS)).await;
        let batch = PENDING.with_borrow_mut(WriteBuffer::take);
        if batch.is_empty() {
            return Ok(JsValue::UNDEFINED);
        }
        let written = async {
            let db = db?;
            let prepared = batch
                .iter()
                .map(|s| prepare(&db, s))
                .collect::<worker::Result<Vec<_>>>()?;
            db.batch(prepared).await
        };
        if let Err(e) = written.await {
            log_event(
                "recording_failed",
                &dropped(&e.to_string()),
                version.as_deref(),
                &path,
            );
        }
        Ok(JsValue::UNDEFINED)
    });
    if let Err(e) = ctx.wait_until(&task) {
        log_event(
            "recording_failed",
            &dropped(&format!("ctx.waitUntil refused it: {}", js_message(&e))),
            None,
            "",
        );
    }
}

fn dropped(why: &str) -> String {
    format!(
        "this request's exposures and conversions were not recorded in D1 ({DB_BINDING}): {why}; \
         are the migrations applied (wrangler d1 migrations apply {DB_BINDING})?"
    )
}

/// A small answer of `/collect`: never cached.
fn answer(status: u16, error: Option<&str>) -> Result<web_sys::Response, JsValue> {
    let headers = web_sys::Headers::new()?;
    headers.set("cache-control", "no-store")?;
    let init = ResponseInit::new();
    init.set_status(status);
    let body = error.map(|e| json!({ "error": e }).to_string());
    if body.is_some() {
        headers.set("content-type", "application/json")?;
    }
    init.set_headers(&headers);
    web_sys::Response::new_with_opt_str_and_init(body.as_deref(), &init)
}

/// `POST /__veneer/collect`, from Veneer's script: 204 (recorded, or nothing to record), 400
/// for a body that is too large, not JSON or names an unknown goal, 429 for a flood; the last
/// two write nothing.
pub(super) fn collect(
    req: Request,
    env: Env,
    ctx: worker::worker_sys::Context,
    config: std::rc::Rc<Config>,
    path: String,
) -> Promise {
    wasm_bindgen_futures::future_to_promise(async move {
        let response = match collect_answer(&req, &env, &ctx, &config, &path).await {
            Ok(response) => response,
            Err(e) => {
                log_event("collect_failed", &js_message(&e), None, &path);
                answer(204, None)?
            }
        };
        Ok(JsValue::from(response))
    })
}

async fn collect_answer(
    req: &Request,
    env: &Env,
    ctx: &worker::worker_sys::Context,
    config: &Config,
    path: &str,
) -> Result<web_sys::Response, JsValue> {
    if req.method() != "POST" {
        return answer(405, Some("POST a goal: {\"goal\": \"<name>\"}"));
    }
    let now = js_sys::Date::now();
    let Ok(headers) = header_map(&req.headers()) else {
        return answer(400, Some("unreadable headers"));
    };
    let client = headers
        .get("cf-connecting-ip")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown");
    if !FLOOD.with_borrow_mut(|f| f.allow(client, now as i64)) {
        return answer(429, Some("too many events; try again in a minute"));
    }
    let declared = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_COLLECT_BYTES) {
        return answer(400, Some(&CollectError::TooLarge.to_string()));
    }
    let body = JsFuture::from(req.array_buffer()?).await?;
    let body = js_sys::Uint8Array::new(&body).to_vec();
    let rules = match load_rules(env, config, &config.key, now).await {
        Ok(rules) => rules,
        Err(e) => {
            log_event("rules_unavailable", &e.to_string(), None, path);
            return answer(503, Some("rules unavailable"));
        }
    };
    let collected = match parse_collect(&rules, &body) {
        Ok(c) => c,
        Err(e) => return answer(400, Some(&e.to_string())),
    };
    let session = collect_session(env, &headers, &rules, now);
    let attrs = visitor_attributes(req, &headers, &rules, &session, now);
    let visitor = Visitor::of(&session, &attrs);
    let events = collect_events(&rules, &visitor, &collected);
    if let (false, Some(id)) = (events.is_empty(), visitor.id) {
        let recorded = Recorded {
            visitor: id.to_owned(),
            at_ms: now as i64,
            events,
        };
        record(env, ctx, &rules, &recorded, path);
    }
    answer(204, None)
}

/// The session of a `/collect` request: the visitor id and signed assignments from the
/// cookies (no new id), consent, and whether a preview is on.
fn collect_session(env: &Env, headers: &HeaderMap, rules: &CompiledRules, now: f64) -> Session {
    let secret = env
        .secret("VENEER_SECRET")
        .map(|s| s.to_string())
        .unwrap_or_default();
    let request = RequestInput {
        headers,
        query: "",
        secret: secret.as_bytes(),
        now: (now / 1000.0) as u64,
        secure: true,
    };
    let input = SessionInput {
        request,
        settings: &rules.settings,
        random: None,
        identify: false,
    };
    Session::new(&input, PreviewState::new(&request))
}
