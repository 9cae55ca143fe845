//! The JSON API under `<prefix>/api/` (`docs/console.md`, "API"): the CSRF rule, sign-in, then
//! one function per endpoint.

use http::{HeaderMap, Method};
use serde_json::{Value, json};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, ResponseInit};
use worker::Env;

use super::analytics;
use super::audit;
use super::auth::{Person, person, sign_in, sign_in_needed};
use super::publisher::{Command, ask};
use super::store::{DraftMeta, Store};
use super::{ConsoleSettings, Failure, Shop, console_headers};
use crate::console::audit::{AuditAction, AuditFormat, audit_format, audit_limit, to_csv};
use crate::console::csrf::check_mutation;
use crate::console::problems::{document_problems, problems_json};
use crate::console::revision::RevisionMeta;
use crate::console::session::clear_session_cookie_header;
use crate::console::summary::summarize;
use crate::console::who_matches::{matches_json, who_matches};
use crate::edge::config::Config;
use crate::edge::runtime::{header_map, js_message};
use crate::request::{make_preview_token, param, parse_duration, rfc3339_utc, split_url};

/// Largest request body read, in bytes (a rules document is far smaller).
const MAX_BODY_BYTES: usize = 5 * 1024 * 1024;

/// Longest preview link made by the console: 30 days, as the edge accepts.
const MAX_PREVIEW_SECS: u64 = 30 * 86_400;

/// What an endpoint answers.
struct Reply {
    status: u16,
    body: Body,
    cookie: Option<String>,
}

enum Body {
    Json(Value),
    Csv(String),
}

impl Reply {
    fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Body::Json(body),
            cookie: None,
        }
    }
}

impl From<Failure> for Reply {
    fn from(f: Failure) -> Self {
        Reply::json(f.status, f.body)
    }
}

/// One request as the endpoints see it.
struct Call<'a> {
    env: &'a Env,
    config: &'a Config,
    /// The rules cache that serves the shop's pages.
    shop: &'a Shop,
    /// `https://shop.example`: the console's own origin.
    origin: String,
    secure: bool,
    now_ms: f64,
    query: String,
    body: Value,
}

/// Answers `<prefix>/api/<endpoint>`.
pub(super) async fn answer(
    req: &Request,
    env: &Env,
    config: &Config,
    settings: &ConsoleSettings,
    shop: &Shop,
    endpoint: &str,
) -> Result<web_sys::Response, JsValue> {
    let reply = match call(req, env, config, settings, shop, endpoint).await {
        Ok(reply) => reply,
        Err(failure) => failure.into(),
    };
    let (content_type, text) = match &reply.body {
        Body::Json(v) => ("application/json", v.to_string()),
        Body::Csv(csv) => ("text/csv; charset=utf-8", csv.clone()),
    };
    let headers = console_headers(content_type)?;
    if matches!(reply.body, Body::Csv(_)) {
        headers.set(
            "content-disposition",
            "attachment; filename=\"veneer-audit.csv\"",
        )?;
    }
    if let Some(cookie) = &reply.cookie {
        headers.append("set-cookie", cookie)?;
    }
    let init = ResponseInit::new();
    init.set_status(reply.status);
    init.set_headers(&headers);
    web_sys::Response::new_with_opt_str_and_init(Some(&text), &init)
}

async fn call(
    req: &Request,
    env: &Env,
    config: &Config,
    settings: &ConsoleSettings,
    shop: &Shop,
    endpoint: &str,
) -> Result<Reply, Failure> {
    let method = req.method();
    let url = req.url();
    let parts = split_url(&url);
    let secure = url.starts_with("https:");
    let origin = format!(
        "{}://{}",
        if secure { "https" } else { "http" },
        parts.authority.unwrap_or_default()
    );
    let headers = header_map(&req.headers()).map_err(|e| Failure::new(400, e))?;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let verb = Method::from_bytes(method.as_bytes())
        .map_err(|_| Failure::new(405, format!("{method:?} is not an HTTP method")))?;
    check_mutation(&verb, header("origin"), &origin, header("content-type"))
        .map_err(|e| Failure::new(403, e.to_string()))?;
    let now_ms = js_sys::Date::now();
    // Only a signed-in person's body is read (and the sign-in's own).
    let who = match (method.as_str(), endpoint) {
        ("POST" | "DELETE", "session") => None,
        _ => Some(person(&headers, settings, env, now_ms).await?),
    };
    let body = if matches!(method.as_str(), "POST" | "PUT" | "DELETE") {
        read_body(req, &headers).await?
    } else {
        Value::Null
    };
    let call = Call {
        env,
        config,
        shop,
        origin,
        secure,
        now_ms,
        query: parts.query.unwrap_or_default().to_owned(),
        body,
    };
    match (method.as_str(), endpoint, who) {
        (_, _, Some(who)) => route(&call, &who, method.as_str(), endpoint).await,
        ("POST", "session", None) => {
            let (body, cookie) = sign_in(
                &call.body,
                &headers,
                settings,
                env,
                call.secure,
                call.now_ms,
            )
            .await?;
            Ok(Reply {
                cookie: Some(cookie),
                ..Reply::json(200, body)
            })
        }
        ("DELETE", "session", None) => Ok(Reply {
            cookie: Some(clear_session_cookie_header(&settings.prefix, call.secure)),
            ..Reply::json(200, json!({}))
        }),
        (_, _, None) => Err(sign_in_needed()),
    }
}

/// The body as JSON; 413 past [`MAX_BODY_BYTES`], 400 when it is not JSON. An empty body is
/// `{}` (a `DELETE` needs none).
async fn read_body(req: &Request, headers: &HeaderMap) -> Result<Value, Failure> {
    let too_large = || {
        Failure::new(
            413,
            format!(
                "the request is over {} MB, more than any rules document needs",
                MAX_BODY_BYTES / 1024 / 1024
            ),
        )
    };
    let declared = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(too_large());
    }
    let unreadable = |e: JsValue| {
        Failure::new(
            400,
            format!("the body could not be read: {}", js_message(&e)),
        )
    };
    let text = JsFuture::from(req.text().map_err(unreadable)?)
        .await
        .map_err(unreadable)?
        .as_string()
        .unwrap_or_default();
    if text.len() > MAX_BODY_BYTES {
        return Err(too_large());
    }
    if text.trim().is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_str(&text).map_err(|e| Failure::new(400, format!("the body is not JSON: {e}")))
}

/// `body[name]` as text, or 400 saying what to send.
fn text_field(body: &Value, name: &str, example: &str) -> Result<String, Failure> {
    body[name].as_str().map(str::to_owned).ok_or_else(|| {
        Failure::new(
            400,
            format!("{name:?} is missing or not text: send {example}"),
        )
    })
}

/// `body["base"]`: a revision number, or null before the first publish.
fn base(body: &Value) -> Result<Option<u64>, Failure> {
    match &body["base"] {
        Value::Null => Ok(None),
        v => v.as_u64().map(Some).ok_or_else(|| {
            Failure::new(
                400,
                "\"base\" must be the revision you started from (a number), or null before the \
                 first publish",
            )
        }),
    }
}

async fn route(
    call: &Call<'_>,
    who: &Person,
    method: &str,
    endpoint: &str,
) -> Result<Reply, Failure> {
    let ok = |body: Value| Ok(Reply::json(200, body));
    let from_publisher = |(status, body): (u16, Value)| Ok(Reply::json(status, body));
    let name = who.name.clone();
    match (method, endpoint) {
        ("GET", "me") => ok(who.to_json()),
        ("POST", "validate") => {
            let document = text_field(&call.body, "document", r#"{"document": "<text>"}"#)?;
            ok(json!({ "problems": problems_json(&document_problems(&document)) }))
        }
        ("GET", "draft") => draft(call).await,
        ("PUT", "draft") => save_draft(call, who).await,
        ("GET", "live") => {
            let live = Store::new(call.env, call.config)?.live().await?;
            let (document, revision) = live.map_or((None, None), |(d, m)| (Some(d), m));
            ok(json!({ "document": document, "revision": revision }))
        }
        ("GET", "revisions") => revisions(call).await,
        ("GET", rest) if rest.starts_with("revisions/") => {
            revision(call, rest.trim_start_matches("revisions/")).await
        }
        ("POST", "publish") => {
            let message = text_field(&call.body, "message", r#"{"message": "...", "base": 6}"#)?;
            let base = base(&call.body)?;
            // Read here, where the marketer saved it: KV may take a minute to show the new
            // draft where the publisher runs.
            let Some((document, _)) = Store::new(call.env, call.config)?.draft().await? else {
                return Err(Failure::new(
                    400,
                    "there is no draft to publish: save one first",
                ));
            };
            let command = Command::Publish {
                who: name,
                message,
                base,
                document,
            };
            from_publisher(ask(call.env, &command).await?)
        }
        ("POST", "rollback") => {
            let to = call.body["to"].as_u64().ok_or_else(|| {
                Failure::new(
                    400,
                    "\"to\" must be the revision to roll back to (a number)",
                )
            })?;
            let command = Command::Rollback {
                who: name,
                to,
                message: call.body["message"].as_str().unwrap_or_default().to_owned(),
                base: base(&call.body)?,
            };
            from_publisher(ask(call.env, &command).await?)
        }
        ("GET", "schedule") => from_publisher(ask(call.env, &Command::GetSchedule).await?),
        ("POST", "schedule") => {
            let example = r#"{"at": "2026-12-01T10:00:00Z", "message": "...", "base": 6}"#;
            let command = Command::Schedule {
                who: name,
                at: text_field(&call.body, "at", example)?,
                message: text_field(&call.body, "message", example)?,
                base: base(&call.body)?,
            };
            from_publisher(ask(call.env, &command).await?)
        }
        ("DELETE", "schedule") => {
            from_publisher(ask(call.env, &Command::Unschedule { who: name }).await?)
        }
        ("GET", "audit") => audit_log(call).await,
        ("POST", "preview-token") => preview_token(call),
        ("POST", "who-matches") => profiles_in_audience(call),
        ("GET", "status") => status(call).await,
        ("POST", "conversions") => {
            ok(analytics::conversion(call.env, call.config, &call.body, call.now_ms).await?)
        }
        ("GET", rest) if rest.starts_with("results/") => {
            let experiment = rest.trim_start_matches("results/");
            let (env, config, query) = (call.env, call.config, call.query.as_str());
            ok(analytics::results(env, config, experiment, query, call.now_ms).await?)
        }
        _ => Err(Failure::new(
            404,
            format!("there is no {method} api/{endpoint}: docs/console.md lists the API"),
        )),
    }
}

async fn draft(call: &Call<'_>) -> Result<Reply, Failure> {
    let Some((document, meta)) = Store::new(call.env, call.config)?.draft().await? else {
        return Err(Failure::new(
            404,
            "there is no draft yet: save one (PUT api/draft)",
        ));
    };
    Ok(Reply::json(
        200,
        json!({
            "problems": problems_json(&document_problems(&document)),
            "document": document,
            "author": meta.author,
            "time": meta.time,
        }),
    ))
}

/// `PUT api/draft`: saved whatever its problems (422 lists them), and audited.
async fn save_draft(call: &Call<'_>, who: &Person) -> Result<Reply, Failure> {
    let document = text_field(&call.body, "document", r#"{"document": "<text>"}"#)?;
    let store = Store::new(call.env, call.config)?;
    let before = store.draft().await.ok().flatten();
    let meta = DraftMeta {
        author: who.name.clone(),
        time: rfc3339_utc((call.now_ms / 1000.0) as u64),
    };
    store.save_draft(&document, &meta).await?;
    // This isolate's previews show the saved draft at once (the visual editor reloads its frame).
    call.shop.forget(&call.config.draft_key);
    let problems = document_problems(&document);
    let old = before.and_then(|(text, _)| serde_json::from_str::<Value>(&text).ok());
    let mut summary = match serde_json::from_str::<Value>(&document) {
        Ok(new) => summarize(old.as_ref(), &new),
        Err(_) => "saved a draft that is not JSON".to_owned(),
    };
    if !problems.is_empty() {
        summary.push_str(&format!(" ({} problem(s))", problems.len()));
    }
    audit::record(call.env, &who.name, AuditAction::Save, None, &summary).await;
    let status = if problems.is_empty() { 200 } else { 422 };
    Ok(Reply::json(
        status,
        json!({ "problems": problems_json(&problems) }),
    ))
}

/// `GET api/revisions`: KV's listing, newest first, with the publisher's head in front when
/// the listing does not show it yet (KV lists a new key within about a minute).
async fn revisions(call: &Call<'_>) -> Result<Reply, Failure> {
    let mut revisions = Store::new(call.env, call.config)?.revisions().await?;
    let (status, head) = ask(call.env, &Command::Head).await?;
    if status == 200
        && let Ok(Some(head)) = serde_json::from_value::<Option<RevisionMeta>>(head["head"].clone())
        && revisions
            .first()
            .is_none_or(|newest| newest.number < head.number)
    {
        revisions.insert(0, head);
    }
    Ok(Reply::json(200, json!({ "revisions": revisions })))
}

/// `GET api/revisions/<n>`: only a revision that exists is read from KV (a miss would be
/// remembered there), so the head is asked first.
async fn revision(call: &Call<'_>, number: &str) -> Result<Reply, Failure> {
    let missing = || Failure::new(404, format!("there is no revision {number}"));
    let number = number
        .parse::<u64>()
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(missing)?;
    let (status, head) = ask(call.env, &Command::Head).await?;
    if status != 200 {
        return Ok(Reply::json(status, head));
    }
    if head["head"]["number"].as_u64().is_none_or(|h| number > h) {
        return Err(missing());
    }
    let (document, meta) = Store::new(call.env, call.config)?
        .revision(number)
        .await?
        .ok_or_else(missing)?;
    Ok(Reply::json(
        200,
        json!({ "revision": meta, "document": document }),
    ))
}

async fn audit_log(call: &Call<'_>) -> Result<Reply, Failure> {
    let query = |name| param(&call.query, name);
    let bad = |e: crate::console::audit::AuditQueryError| Failure::new(400, e.to_string());
    let format = audit_format(query("format").as_deref()).map_err(bad)?;
    let limit = audit_limit(query("limit").as_deref()).map_err(bad)?;
    let entries = audit::entries(call.env, limit).await?;
    Ok(match format {
        AuditFormat::Json => Reply::json(200, json!({ "entries": entries })),
        AuditFormat::Csv => Reply {
            status: 200,
            body: Body::Csv(to_csv(&entries)),
            cookie: None,
        },
    })
}

/// `POST api/preview-token` with `{"ttl": "1h"}`: a link to the live site showing the draft.
fn preview_token(call: &Call<'_>) -> Result<Reply, Failure> {
    let secret = call
        .env
        .secret("VENEER_SECRET")
        .map(|s| s.to_string())
        .unwrap_or_default();
    if secret.is_empty() {
        return Err(Failure::new(
            503,
            "previews are off: set the VENEER_SECRET secret (wrangler secret put VENEER_SECRET)",
        ));
    }
    let ttl_text = call.body["ttl"].as_str().unwrap_or("1h");
    let ttl = parse_duration(ttl_text)
        .filter(|&t| t > 0 && t <= MAX_PREVIEW_SECS)
        .ok_or_else(|| {
            Failure::new(
                400,
                format!("ttl {ttl_text:?} is not a duration like 30m, 1h or 7d (at most 30d)"),
            )
        })?;
    let expires_at = (call.now_ms / 1000.0) as u64 + ttl;
    let token = make_preview_token(secret.as_bytes(), expires_at);
    Ok(Reply::json(
        200,
        json!({
            "url": format!("{}/?veneer_preview={token}", call.origin),
            "token": token,
            "expires_at": rfc3339_utc(expires_at),
        }),
    ))
}

/// `GET api/status`: the live revision (the publisher's head) against the one this isolate
/// serves (the `number` in the KV metadata of the live document it holds).
async fn status(call: &Call<'_>) -> Result<Reply, Failure> {
    let (code, head) = ask(call.env, &Command::Head).await?;
    if code != 200 {
        return Ok(Reply::json(code, head));
    }
    let live = head["head"]["number"].as_u64();
    // As a shop page would: from this isolate's memory while fresh, else from KV.
    let serving = call
        .shop
        .revision(call.env, call.config, &call.config.key, call.now_ms)
        .await;
    Ok(Reply::json(
        200,
        json!({ "live": live, "serving": serving, "propagating": live.is_some() && live != serving }),
    ))
}

/// `POST api/who-matches` with `{"document": "<text>", "audience": <name or condition>,
/// "profiles": [{"name", "attributes"}]}`: whether each saved visitor profile is in the
/// audience, decided by the engine as `veneer explain` does; 422 with the audience's problems.
fn profiles_in_audience(call: &Call<'_>) -> Result<Reply, Failure> {
    let text = text_field(
        &call.body,
        "document",
        r#"{"document": "<text>", "audience": {...}, "profiles": [...]}"#,
    )?;
    let document: Value = serde_json::from_str(&text).unwrap_or_else(|_| json!({}));
    let profiles = call.body["profiles"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let now = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(call.now_ms as i64)
        .unwrap_or_default();
    Ok(
        match who_matches(&document, &call.body["audience"], &profiles, now) {
            Ok(matches) => Reply::json(200, json!({ "profiles": matches_json(&matches) })),
            Err(problems) => Reply::json(422, json!({ "problems": problems_json(&problems) })),
        },
    )
}
