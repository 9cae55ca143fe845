//! Small bridges to the runtime: headers both ways, random bytes, error messages, log lines.

use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::json;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Headers;
use worker::console_log;

/// Writes one structured log line (JSON) about something that went wrong or was skipped.
pub(super) fn log_event(event: &str, detail: &str, version: Option<&str>, path: &str) {
    let line = json!({ "veneer": event, "detail": detail, "rules_version": version, "path": path });
    console_log!("{line}");
}

/// The runtime's headers as an `http` map, every line kept; the error names the header (never
/// its value, which may be a cookie) that the `http` crate refuses.
///
/// `Set-Cookie` lines are read with `getSetCookie()`, in the origin's order: the runtime's
/// `entries()` sorts by name with an unstable sort, which scrambles their order once there are
/// more than a few dozen (tests/edge/faults.test.mjs, 300 lines).
pub(super) fn header_map(headers: &Headers) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    let cookies = set_cookies(headers);
    for entry in headers.entries() {
        let entry = entry.map_err(|e| format!("headers could not be read: {}", js_message(&e)))?;
        let pair: js_sys::Array = entry
            .dyn_into()
            .map_err(|_| "headers could not be read: an entry is not a pair".to_owned())?;
        let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) else {
            return Err("headers could not be read: an entry is not a pair of strings".into());
        };
        if cookies.is_some() && name.eq_ignore_ascii_case("set-cookie") {
            continue;
        }
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("header name {name:?} is not a valid HTTP header name"))?;
        let value = HeaderValue::from_str(&value).map_err(|_| {
            format!(
                "header {name:?} has a value with control characters, which HTTP does not allow"
            )
        })?;
        map.append(name, value);
    }
    for cookie in cookies.unwrap_or_default() {
        let value = HeaderValue::from_str(&cookie).map_err(|_| {
            "header \"set-cookie\" has a value with control characters, which HTTP does not allow"
                .to_owned()
        })?;
        map.append(http::header::SET_COOKIE, value);
    }
    Ok(map)
}

/// Every `Set-Cookie` line, in order, from `getSetCookie()` (`None` if the runtime has none).
fn set_cookies(headers: &Headers) -> Option<Vec<String>> {
    let get = js_sys::Reflect::get(headers, &JsValue::from_str("getSetCookie"))
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    let list: js_sys::Array = get.call0(headers).ok()?.dyn_into().ok()?;
    list.iter().map(|v| v.as_string()).collect()
}

/// An `http` map as the runtime's headers. Values go back as the text they came as (every value
/// here came from a JavaScript string or from Veneer, so it is UTF-8), non-ASCII included.
pub(super) fn js_headers(map: &HeaderMap) -> Result<Headers, String> {
    let headers = Headers::new().map_err(|e| js_message(&e))?;
    for (name, value) in map {
        let text = std::str::from_utf8(value.as_bytes())
            .map_err(|_| format!("header {name:?} has a value that is not UTF-8"))?;
        headers
            .append(name.as_str(), text)
            .map_err(|e| format!("the runtime refused header {name:?}: {}", js_message(&e)))?;
    }
    Ok(headers)
}

/// 16 random bytes from the runtime's crypto, or `None` when it has none to give (the Workers
/// runtime always has): made-up bytes would give all such visitors one id.
pub(super) fn random_bytes() -> Option<[u8; 16]> {
    let global = js_sys::global();
    let crypto = js_sys::Reflect::get(&global, &JsValue::from_str("crypto")).ok()?;
    let get = js_sys::Reflect::get(&crypto, &JsValue::from_str("getRandomValues"))
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    let array = js_sys::Uint8Array::new_with_length(16);
    get.call1(&crypto, &array).ok()?;
    let mut bytes = [0u8; 16];
    array.copy_to(&mut bytes);
    Some(bytes)
}

/// The message of a JavaScript error (or whatever was thrown), for a log line.
pub(super) fn js_message(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}
