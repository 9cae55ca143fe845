//! The origin fetch: the visitor's request sent on (route mode) or to `ORIGIN`, and the 502 when
//! the origin cannot be reached.

use js_sys::Promise;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestInit, RequestRedirect, ResponseInit};

use super::config::Config;
use super::runtime::{js_message, log_event};
use crate::console::session::SESSION_COOKIE;
use crate::request::{UrlParts, without_cookie};

/// The origin request, as the arguments of the runtime's `fetch`.
pub(super) struct OriginRequest {
    /// The visitor's own request (route mode) or the URL under `ORIGIN`.
    pub(super) target: OriginTarget,
    pub(super) init: RequestInit,
}

pub(super) enum OriginTarget {
    Request(Request),
    Url(String),
}

/// Console credentials to take off a shop request before it goes to the origin.
pub(super) struct Strip {
    /// The `Cookie` header without the console's cookie (empty: no header at all).
    pub(super) cookie: Option<String>,
    /// Whether to drop `Authorization`.
    pub(super) authorization: bool,
}

impl Strip {
    fn apply(&self, headers: &Headers) -> Result<(), JsValue> {
        if self.authorization {
            headers.delete("authorization")?;
        }
        match self.cookie.as_deref() {
            Some("") => headers.delete("cookie")?,
            Some(cookie) => headers.set("cookie", cookie)?,
            None => {}
        }
        Ok(())
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

/// Request headers a visitor may not send on to the origin: headers that make many origins and
/// frameworks take another host, scheme, URL or method than the request's own, and that caches
/// do not key on, so one visitor could poison a page cached for everyone. In `ORIGIN` mode
/// Veneer sets `X-Forwarded-Host` itself (the visitor's authority); in route mode the runtime's
/// own request line and `Host` stand.
pub(super) const UNKEYED_OVERRIDES: [&str; 10] = [
    "x-forwarded-host",
    "x-host",
    "x-forwarded-server",
    "x-forwarded-scheme",
    "x-original-url",
    "x-rewrite-url",
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
    "forwarded",
];

fn without_overrides(headers: &Headers) -> Result<(), JsValue> {
    for name in UNKEYED_OVERRIDES {
        headers.delete(name)?;
    }
    Ok(())
}

/// Builds the request to the origin: the visitor's, sent on as it came (or to `ORIGIN`), less
/// the console's credentials when `strip` says so and less [`UNKEYED_OVERRIDES`].
pub(super) fn origin_request(
    req: &Request,
    method: &str,
    config: &Config,
    url: &UrlParts,
    strip: Option<&Strip>,
) -> Result<OriginRequest, JsValue> {
    let init = RequestInit::new();
    init.set_redirect(RequestRedirect::Manual);
    let Some(origin) = &config.origin else {
        // Route mode: the same request (URL, method, headers, body), with manual redirects.
        let headers = Headers::new_with_headers(&req.headers())?;
        without_overrides(&headers)?;
        if let Some(strip) = strip {
            strip.apply(&headers)?;
        }
        init.set_headers(&headers);
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
    without_overrides(&headers)?;
    headers.set("x-forwarded-host", url.authority.unwrap_or_default())?;
    if let Some(strip) = strip {
        strip.apply(&headers)?;
    }
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
pub(super) fn start_fetch(origin: &OriginRequest) -> Promise {
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    match &origin.target {
        OriginTarget::Request(r) => global.fetch_with_request_and_init(r, &origin.init),
        OriginTarget::Url(u) => global.fetch_with_str_and_init(u, &origin.init),
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
