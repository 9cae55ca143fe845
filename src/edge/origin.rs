//! The origin fetch: the visitor's request sent on (route mode) or to `ORIGIN`, and the 502 when
//! the origin cannot be reached.

use js_sys::Promise;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, ResponseInit};

use super::config::Config;
use super::runtime::{js_message, log_event};
use crate::console::session::SESSION_COOKIE;
use crate::request::{UrlParts, without_cookie};

/// The origin request: `fetch`'s two arguments, the options made by `edge/origin.mjs` (one call
/// across the boundary).
pub(super) struct OriginRequest {
    target: OriginTarget,
    init: RequestInit,
}

enum OriginTarget {
    /// Route mode: the visitor's own request.
    Request(Request),
    /// A URL under `ORIGIN`.
    Url(String),
}

#[wasm_bindgen(module = "/edge/origin.mjs")]
extern "C" {
    /// `originInit` of `edge/origin.mjs`, shared with the entry's retry after a crash.
    #[wasm_bindgen(js_name = originInit, catch)]
    fn origin_init(
        request: &Request,
        target: Option<&str>,
        forwarded_host: &str,
        cookie: Option<&str>,
        drop_authorization: bool,
    ) -> Result<RequestInit, JsValue>;
}

/// Console credentials to take off a shop request before it goes to the origin.
pub(super) struct Strip {
    /// The `Cookie` header without the console's cookie (empty: no header at all).
    pub(super) cookie: Option<String>,
    /// Whether to drop `Authorization`.
    pub(super) authorization: bool,
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

/// Builds the request to the origin: the visitor's, sent on as it came (or to `ORIGIN`), less
/// the console's credentials when `strip` says so and less the unkeyed override headers
/// (`UNKEYED_OVERRIDES` in `edge/origin.mjs`).
pub(super) fn origin_request(
    req: &Request,
    config: &Config,
    url: &UrlParts,
    strip: Option<&Strip>,
) -> Result<OriginRequest, JsValue> {
    let target = match &config.origin {
        // Route mode: the same request (URL, method, headers, body).
        None => None,
        Some(origin) => {
            let origin = origin.as_deref().map_err(|e| JsValue::from_str(e))?;
            let mut target = format!("{origin}{}", url.path);
            if let Some(query) = url.query {
                target.push('?');
                target.push_str(query);
            }
            Some(target)
        }
    };
    let init = origin_init(
        req,
        target.as_deref(),
        url.authority.unwrap_or_default(),
        strip.and_then(|s| s.cookie.as_deref()),
        strip.is_some_and(|s| s.authorization),
    )?;
    let target = match target {
        Some(url) => OriginTarget::Url(url),
        None => OriginTarget::Request(<Request as Clone>::clone(req)),
    };
    Ok(OriginRequest { target, init })
}

/// Starts the origin fetch: the runtime's own promise of the origin's response object (status
/// text, `webSocket`, `cf` and body untouched, nothing copied).
pub(super) fn start_fetch(origin: &OriginRequest) -> Promise {
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    match &origin.target {
        OriginTarget::Url(url) => global.fetch_with_str_and_init(url, &origin.init),
        OriginTarget::Request(r) => global.fetch_with_request_and_init(r, &origin.init),
    }
}

/// The origin's response, awaited.
pub(super) async fn send(origin: &OriginRequest) -> Result<web_sys::Response, JsValue> {
    JsFuture::from(start_fetch(origin)).await?.dyn_into()
}

/// The origin's response as the visitor's, without awaiting anything here: the runtime's fetch
/// promise, with a plain 502 (and a log line) should the origin be unreachable.
pub(super) fn forward(origin: &OriginRequest, path: String) -> Promise {
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

/// The origin's response, or a plain 502 (and a log line) when it could not be reached.
pub(super) fn origin_response(
    response: Result<web_sys::Response, JsValue>,
    path: &str,
) -> Result<web_sys::Response, JsValue> {
    match response {
        Ok(r) => Ok(r),
        Err(e) => {
            log_event("origin_unreachable", &js_message(&e), None, path);
            bad_gateway("Bad gateway: the origin could not be reached.\n")
        }
    }
}

/// The body of the 502 for an origin request that could not be built.
pub(super) const BAD_ORIGIN_REQUEST: &str =
    "Bad gateway: the request to the origin could not be made (see the worker's logs).\n";

/// A plain 502 with `message` as its body.
pub(super) fn bad_gateway(message: &str) -> Result<web_sys::Response, JsValue> {
    let init = ResponseInit::new();
    init.set_status(502);
    web_sys::Response::new_with_opt_str_and_init(Some(message), &init)
}
