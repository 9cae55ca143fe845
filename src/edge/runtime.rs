//! Small bridges to the runtime: headers both ways, random bytes, error messages, log lines.

use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::json;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Headers;
use worker::console_log;

/// Writes one structured log line (JSON) about something that went wrong or was skipped.
pub(super) fn log_event(event: &str, detail: &str, version: Option<&str>, path: &str) {
    let line = json!({ "veneer": event, "detail": detail, "rules_version": version, "path": path });
    console_log!("{line}");
}

#[wasm_bindgen(module = "/edge/headers.mjs")]
extern "C" {
    /// `headerLines` of `edge/headers.mjs`: every header as a `name:value` line.
    #[wasm_bindgen(js_name = headerLines, catch)]
    fn header_lines(headers: &Headers) -> Result<String, JsValue>;

    /// `headersFromLines` of `edge/headers.mjs`: the runtime's headers from such lines.
    #[wasm_bindgen(js_name = headersFromLines, catch)]
    fn headers_from_lines(text: &str) -> Result<Headers, JsValue>;
}

/// The runtime's headers as an `http` map, every line kept (Set-Cookie lines in the origin's
/// order); the error names the header (never its value, which may be a cookie) that the `http`
/// crate refuses.
pub(super) fn header_map(headers: &Headers) -> Result<HeaderMap, String> {
    let text = header_lines(headers)
        .map_err(|e| format!("headers could not be read: {}", js_message(&e)))?;
    let mut map = HeaderMap::new();
    for line in text.split('\n').filter(|line| !line.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            return Err("headers could not be read: a line is not a name and a value".into());
        };
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("header name {name:?} is not a valid HTTP header name"))?;
        let value = HeaderValue::from_str(value).map_err(|_| {
            format!(
                "header {name:?} has a value with control characters, which HTTP does not allow"
            )
        })?;
        map.append(name, value);
    }
    Ok(map)
}

/// An `http` map as the runtime's headers. Values go back as the text they came as (every value
/// here came from a JavaScript string or from Veneer, so it is UTF-8), non-ASCII included.
pub(super) fn js_headers(map: &HeaderMap) -> Result<Headers, String> {
    let mut text = String::new();
    for (name, value) in map {
        let value = std::str::from_utf8(value.as_bytes())
            .map_err(|_| format!("header {name:?} has a value that is not UTF-8"))?;
        text.push_str(name.as_str());
        text.push(':');
        text.push_str(value);
        text.push('\n');
    }
    headers_from_lines(&text).map_err(|e| js_message(&e))
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
