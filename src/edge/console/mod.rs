//! The marketer console (`docs/console.md`), served by the worker under its own prefix
//! (`/__veneer` unless `CONSOLE_PATH` says otherwise): the JSON API, the static UI, sign-in, and
//! the Durable Object that serializes publishes.
//!
//! The console is on only when a way in is configured (the `VENEER_ADMIN_TOKEN` secret, or the
//! `ACCESS_TEAM_DOMAIN` and `ACCESS_AUD` vars); otherwise its paths are shop paths like any
//! other. Console answers never come from the origin and are never cached.

mod access;
mod analytics;
mod api;
mod audit;
mod auth;
mod publisher;
mod store;
mod ui;

use std::rc::Rc;

use js_sys::Promise;
use serde_json::{Value, json};
use wasm_bindgen::JsValue;
use web_sys::{Headers, Request, ResponseInit};
use worker::Env;

use super::config::Config;
use super::origin::Strip;
use super::runtime::{js_message, log_event};
use crate::console::session::{SESSION_COOKIE, SESSION_TTL_SECS};
use crate::request::without_cookie;

pub(super) use access::AccessSettings;

/// The prefix the console lives under when `CONSOLE_PATH` is not set.
const DEFAULT_PREFIX: &str = "/__veneer";

/// The longest session `CONSOLE_SESSION_SECONDS` may ask for: a week.
const MAX_SESSION_SECS: u64 = 7 * 86_400;

/// The console's settings, read with the other vars once per isolate.
pub(super) struct ConsoleSettings {
    /// `/__veneer`: no trailing slash.
    pub(super) prefix: String,
    /// `VENEER_ADMIN_TOKEN`, when set.
    pub(super) admin_token: Option<String>,
    /// Cloudflare Access, when both of its vars are set.
    pub(super) access: Option<AccessSettings>,
    /// How long a session cookie lasts (`CONSOLE_SESSION_SECONDS`: 12 hours by default, a
    /// week at most).
    pub(super) session_secs: u64,
}

impl ConsoleSettings {
    /// The console's settings, or `None` when no way in is configured (the console is off).
    pub(super) fn new(var: &dyn Fn(&str) -> Option<String>, env: &Env) -> Option<Self> {
        let admin_token = env
            .secret("VENEER_ADMIN_TOKEN")
            .map(|s| s.to_string())
            .ok()
            .filter(|t| !t.trim().is_empty());
        let access = match (var("ACCESS_TEAM_DOMAIN"), var("ACCESS_AUD")) {
            (Some(team), Some(aud)) => AccessSettings::new(&team, &aud),
            _ => None,
        };
        if admin_token.is_none() && access.is_none() {
            return None;
        }
        let prefix = var("CONSOLE_PATH").map_or_else(|| DEFAULT_PREFIX.to_owned(), |p| prefix(&p));
        let session_secs = var("CONSOLE_SESSION_SECONDS")
            .and_then(|s| s.trim().parse::<u64>().ok())
            .filter(|&s| s > 0)
            .unwrap_or(SESSION_TTL_SECS)
            .min(MAX_SESSION_SECS);
        Some(Self {
            prefix,
            admin_token,
            access,
            session_secs,
        })
    }

    /// Whether `path` (raw, as in the URL) is the console's: the prefix itself or under it.
    pub(super) fn owns(&self, path: &str) -> bool {
        path.strip_prefix(self.prefix.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }
}

/// `CONSOLE_PATH` as a prefix: one leading slash, no trailing one; the default (and a log line)
/// when it is not a usable path (`/` would take the whole shop).
fn prefix(path: &str) -> String {
    let trimmed = path.trim().trim_end_matches('/');
    let usable = trimmed.starts_with('/')
        && trimmed.len() > 1
        && trimmed
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.~".contains(&b));
    if usable {
        trimmed.to_owned()
    } else {
        log_event(
            "console_path_invalid",
            &format!(
                "CONSOLE_PATH {path:?} is not a path like /__veneer (letters, digits, - _ . ~ \
                 and /, not / alone); the console is at {DEFAULT_PREFIX}"
            ),
            None,
            path,
        );
        DEFAULT_PREFIX.to_owned()
    }
}

/// The console credentials a shop request carries, to take off before it goes to the origin
/// (`None`: it carries none). `cookie` is its Cookie header.
pub(super) fn credentials(req: &Request, cookie: &str) -> Option<Strip> {
    let authorization = req.headers().has("authorization").unwrap_or(false);
    let cookie = if cookie.contains(SESSION_COOKIE) {
        without_cookie(cookie, SESSION_COOKIE)
    } else {
        None
    };
    (authorization || cookie.is_some()).then_some(Strip {
        cookie,
        authorization,
    })
}

/// An API answer that is an error: its status, and `{"error": "<what to do>"}`.
#[derive(Debug)]
pub(super) struct Failure {
    pub(super) status: u16,
    pub(super) body: Value,
}

impl Failure {
    /// A failure saying `message`.
    pub(super) fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            body: json!({ "error": message.into() }),
        }
    }
}

/// Answers a console request (the handler has checked [`ConsoleSettings::owns`]); never the
/// origin's answer, never cacheable.
pub(super) fn serve(req: Request, env: Env, config: Rc<Config>, path: String) -> Promise {
    wasm_bindgen_futures::future_to_promise(async move {
        let Some(settings) = config.console.as_ref() else {
            return Err(JsValue::from_str("console is off"));
        };
        let rest = path
            .strip_prefix(settings.prefix.as_str())
            .unwrap_or_default();
        let answer = if rest.is_empty() {
            // `/__veneer` → `/__veneer/`, so the UI's relative URLs resolve under the prefix.
            redirect(&format!("{}/", settings.prefix))
        } else if let Some(endpoint) = rest.strip_prefix("/api/") {
            api::answer(&req, &env, &config, settings, endpoint).await
        } else {
            ui::answer(&req, &env, settings, rest).await
        };
        match answer {
            Ok(response) => Ok(JsValue::from(response)),
            Err(e) => {
                log_event("console_failed", &js_message(&e), None, &path);
                error_page().map(JsValue::from)
            }
        }
    })
}

/// Headers every console answer carries: never cached, not sniffed, never framed.
pub(super) fn console_headers(content_type: &str) -> Result<Headers, JsValue> {
    let headers = Headers::new()?;
    headers.set("content-type", content_type)?;
    headers.set("cache-control", "no-store")?;
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("x-frame-options", "DENY")?;
    headers.set("referrer-policy", "same-origin")?;
    Ok(headers)
}

/// A response with the console's headers.
pub(super) fn response(
    status: u16,
    content_type: &str,
    body: &str,
) -> Result<web_sys::Response, JsValue> {
    let init = ResponseInit::new();
    init.set_status(status);
    let headers = console_headers(content_type)?;
    init.set_headers(&headers);
    web_sys::Response::new_with_opt_str_and_init(Some(body), &init)
}

fn redirect(location: &str) -> Result<web_sys::Response, JsValue> {
    let headers = console_headers("text/plain; charset=utf-8")?;
    headers.set("location", location)?;
    let init = ResponseInit::new();
    init.set_status(308);
    init.set_headers(&headers);
    web_sys::Response::new_with_opt_str_and_init(None, &init)
}

/// The answer when the console itself failed: a JSON error, not the origin's page.
fn error_page() -> Result<web_sys::Response, JsValue> {
    response(
        500,
        "application/json",
        r#"{"error":"the console failed on this request; the worker's logs (console_failed) say why"}"#,
    )
}
