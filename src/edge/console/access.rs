//! Cloudflare Access at the edge: the `Cf-Access-Jwt-Assertion` JWT verified with WebCrypto
//! (RS256) against the team's keys, which are fetched from `<team>/cdn-cgi/access/certs`, kept
//! per isolate, and fetched again when a token names a key this isolate does not know (the
//! pure rules for when: `KeyCache`).

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::{Array, JSON, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto, WorkerGlobalScope};

use crate::console::access::{
    DEFAULT_LEEWAY_SECS, Jwk, Jwks, KeyCache, KeyLookup, parse_jwt, validate_claims,
};
use crate::edge::console_settings::AccessSettings;
use crate::edge::runtime::{js_message, log_event};

thread_local! {
    /// The team's keys and when to fetch them.
    static KEYS: RefCell<KeyCache> = RefCell::new(KeyCache::new());
    /// Keys imported into WebCrypto, by `kid`, with the modulus they were imported from.
    static IMPORTED: RefCell<HashMap<String, (String, CryptoKey)>> = RefCell::new(HashMap::new());
}

/// The person (the token's `email`) when `token` is a genuine, current Access token for this
/// application; otherwise why not (for the log, never for the visitor).
pub(super) async fn verify(
    settings: &AccessSettings,
    token: &str,
    now_ms: f64,
) -> Result<String, String> {
    let now = (now_ms / 1000.0) as u64;
    let jwt = parse_jwt(token).map_err(|e| e.to_string())?;
    let jwk = key(settings, &jwt.header.kid, now).await?;
    let key = imported(&jwk).await?;
    let algorithm = object(&[("name", "RSASSA-PKCS1-v1_5".into())]).map_err(|e| js_message(&e))?;
    let verified = subtle()
        .and_then(|s| {
            s.verify_with_object_and_u8_array_and_u8_array(
                &algorithm,
                &key,
                &jwt.signature,
                jwt.signing_input.as_bytes(),
            )
        })
        .map(JsFuture::from)
        .map_err(|e| js_message(&e))?
        .await
        .map_err(|e| {
            format!(
                "WebCrypto could not check the Access token: {}",
                js_message(&e)
            )
        })?;
    if verified.as_bool() != Some(true) {
        return Err("the Access token's signature is not from the team's keys".into());
    }
    validate_claims(
        &jwt.claims,
        &settings.team,
        &settings.aud,
        now,
        DEFAULT_LEEWAY_SECS,
    )
    .map_err(|e| e.to_string())
}

/// The team's key named `kid`, fetching the keys when the cache says so.
async fn key(settings: &AccessSettings, kid: &str, now: u64) -> Result<Jwk, String> {
    let unknown = || format!("the Access token names key {kid:?}, not one of the team's");
    match KEYS.with_borrow_mut(|k| k.lookup(kid, now)) {
        KeyLookup::Found(jwk) => return Ok(jwk),
        KeyLookup::Unknown { retry_after } => {
            return Err(format!(
                "{}; the keys may be fetched again in {retry_after} s",
                unknown()
            ));
        }
        KeyLookup::Unavailable { retry_after } => {
            return Err(format!(
                "the team's Access keys are not available; fetched again in {retry_after} s"
            ));
        }
        KeyLookup::Fetch => {}
    }
    match fetch_keys(&settings.certs).await {
        Ok(jwks) => KEYS.with_borrow_mut(|k| k.store(jwks, now)),
        // Keys kept from before may still serve (the cache decides): log, then look again.
        Err(e) => log_event("access_keys_unavailable", &e, None, ""),
    }
    match KEYS.with_borrow_mut(|k| k.lookup(kid, now)) {
        KeyLookup::Found(jwk) => Ok(jwk),
        _ => Err(unknown()),
    }
}

/// The team's key set from `url`.
async fn fetch_keys(url: &str) -> Result<Jwks, String> {
    let failed = |e: JsValue| {
        format!(
            "the Access keys at {url} could not be read: {}",
            js_message(&e)
        )
    };
    let global: WorkerGlobalScope = js_sys::global().unchecked_into();
    let response: web_sys::Response = JsFuture::from(global.fetch_with_str(url))
        .await
        .and_then(JsCast::dyn_into)
        .map_err(failed)?;
    if response.status() != 200 {
        return Err(format!(
            "the Access keys at {url} answered {}: is ACCESS_TEAM_DOMAIN the team's domain?",
            response.status()
        ));
    }
    let text = JsFuture::from(response.text().map_err(failed)?)
        .await
        .map_err(failed)?
        .as_string()
        .unwrap_or_default();
    Jwks::parse(&text).map_err(|e| e.to_string())
}

/// `jwk` as a WebCrypto key for RS256, imported once per key.
async fn imported(jwk: &Jwk) -> Result<CryptoKey, String> {
    let cached = IMPORTED.with_borrow(|keys| {
        keys.get(&jwk.kid)
            .filter(|(n, _)| *n == jwk.n)
            .map(|(_, key)| key.clone())
    });
    if let Some(key) = cached {
        return Ok(key);
    }
    let failed = |e: JsValue| {
        format!(
            "the Access key {:?} could not be imported: {}",
            jwk.kid,
            js_message(&e)
        )
    };
    let data: Object = JSON::parse(&jwk.import_json().to_string())
        .map_err(failed)?
        .unchecked_into();
    let algorithm = object(&[
        ("name", "RSASSA-PKCS1-v1_5".into()),
        ("hash", "SHA-256".into()),
    ])
    .map_err(failed)?;
    let usages = Array::of1(&"verify".into());
    let promise = subtle()
        .and_then(|s| s.import_key_with_object("jwk", &data, &algorithm, false, &usages))
        .map_err(failed)?;
    let key: CryptoKey = JsFuture::from(promise)
        .await
        .and_then(JsCast::dyn_into)
        .map_err(failed)?;
    IMPORTED.with_borrow_mut(|keys| {
        // The team has a handful of keys; a flood of made-up ones never gets here (no JWKS
        // holds them), so this stays small.
        keys.insert(jwk.kid.clone(), (jwk.n.clone(), key.clone()));
    });
    Ok(key)
}

fn subtle() -> Result<SubtleCrypto, JsValue> {
    let global: WorkerGlobalScope = js_sys::global().unchecked_into();
    Ok(global.crypto()?.subtle())
}

/// A plain JavaScript object with these properties.
fn object(properties: &[(&str, JsValue)]) -> Result<Object, JsValue> {
    let object = Object::new();
    for (name, value) in properties {
        Reflect::set(&object, &JsValue::from_str(name), value)?;
    }
    Ok(object)
}
