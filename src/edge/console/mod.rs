//! The marketer console (`docs/console.md`), served by the worker under its own prefix
//! (`/__veneer` unless `CONSOLE_PATH` says otherwise): the JSON API, the static UI, sign-in, and
//! the Durable Object that serializes publishes.
//!
//! The console is on only when a way in is configured (the `VENEER_ADMIN_TOKEN` secret, or the
//! `ACCESS_TEAM_DOMAIN` and `ACCESS_AUD` vars); otherwise its paths are shop paths like any
//! other. Console answers never come from the origin and are never cached.
//!
//! Built alone (the `console` feature without `shop`: edge/console/), this is a wasm module of
//! its own that `edge/entry.mjs` loads only for a console request or the Durable Object; it
//! answers through [`console_fetch`]. Built with the shop, the shop's handler calls [`serve`].

mod access;
mod analytics;
mod api;
mod audit;
mod auth;
mod publisher;
mod shop;
mod store;
mod ui;

use std::rc::Rc;

use js_sys::Promise;
use serde_json::{Value, json};
use wasm_bindgen::JsValue;
use web_sys::{Headers, Request, ResponseInit};
use worker::Env;

use super::config::{Config, config};
use super::console_settings::ConsoleSettings;
use super::runtime::{js_message, log_event};
use crate::recording::COLLECT_PATH;
use crate::request::split_url;

pub(super) use shop::Shop;
use shop::ShopModule;

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

/// The console module's fetch handler (`edge/entry.mjs` calls it for the console's paths): the
/// console's answer, or `null` when the path is not the console's after all (the console is
/// off: no way in that works, such as an `ACCESS_TEAM_DOMAIN` that is not a domain), for the
/// shop's module to answer. `shop` is the shop's module, whose rules cache some answers look at.
#[wasm_bindgen::prelude::wasm_bindgen(js_name = consoleFetch)]
pub fn console_fetch(req: Request, env: Env, shop: Option<ShopModule>) -> Promise {
    let config = config(&env);
    let url = req.url();
    let path = match split_url(&url).path {
        "" => "/",
        path => path,
    }
    .to_owned();
    match &config.console {
        // Veneer's script reports goals under the default prefix: that is the shop's.
        Some(console) if console.owns(&path) && path != COLLECT_PATH => {
            serve(req, env, Rc::clone(&config), path, Shop::of(shop))
        }
        _ => Promise::resolve(&JsValue::NULL),
    }
}

/// Answers a console request (the caller has checked [`ConsoleSettings::owns`]); never the
/// origin's answer, never cacheable.
pub(super) fn serve(
    req: Request,
    env: Env,
    config: Rc<Config>,
    path: String,
    shop: Shop,
) -> Promise {
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
            api::answer(&req, &env, &config, settings, &shop, endpoint).await
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
