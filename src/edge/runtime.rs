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

pub(super) fn header_map(headers: &Headers) -> Option<HeaderMap> {
    let mut map = HeaderMap::new();
    for entry in headers.entries() {
        let pair: js_sys::Array = entry.ok()?.dyn_into().ok()?;
        let name = HeaderName::from_bytes(pair.get(0).as_string()?.as_bytes()).ok()?;
        let value = HeaderValue::from_str(&pair.get(1).as_string()?).ok()?;
        map.append(name, value);
    }
    Some(map)
}

pub(super) fn js_headers(map: &HeaderMap) -> Result<Headers, JsValue> {
    let headers = Headers::new()?;
    for (name, value) in map {
        let value = value
            .to_str()
            .map_err(|e| JsValue::from_str(&e.to_string()))?;
        headers.append(name.as_str(), value)?;
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
