//! Cloudflare Access at the edge: the `Cf-Access-Jwt-Assertion` JWT verified with WebCrypto
//! (RS256) against the team's keys, which are fetched from `<team>/cdn-cgi/access/certs`, kept
//! per isolate, and fetched again when a token names a key this isolate does not know.

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto, WorkerGlobalScope};

use super::standin::access::{check_claims, parse_jwks, parse_jwt};
use crate::edge::runtime::js_message;

/// The header Access puts the person's token in.
pub(super) const ACCESS_HEADER: &str = "cf-access-jwt-assertion";

/// How long fetched keys are used before they are fetched again (Access rotates them every
/// six weeks and keeps the old ones valid for seven days).
const KEYS_MAX_AGE_MS: f64 = 3_600_000.0;

/// The least time between two fetches of the keys, so tokens naming made-up keys cannot make
/// every request fetch them.
const REFETCH_AFTER_MS: f64 = 5_000.0;

/// The Access application this console trusts (`ACCESS_TEAM_DOMAIN`, `ACCESS_AUD`).
pub(in crate::edge) struct AccessSettings {
    /// `https://<team>.cloudflareaccess.com`: the tokens' `iss`, and where the keys are.
    team: String,
    /// The application's AUD tag.
    aud: String,
}

impl AccessSettings {
    /// The settings from the two vars; a team domain without a scheme gets `https://`.
    pub(super) fn new(team: &str, aud: &str) -> Self {
        let team = team.trim().trim_end_matches('/');
        let team = if team.contains("://") {
            team.to_owned()
        } else {
            format!("https://{team}")
        };
        Self {
            team,
            aud: aud.trim().to_owned(),
        }
    }

    fn certs_url(&self) -> String {
        format!("{}/cdn-cgi/access/certs", self.team)
    }
}

/// The team's keys as this isolate last fetched them.
#[derive(Default)]
struct Keys {
    by_kid: HashMap<String, CryptoKey>,
    fetched_at: Option<f64>,
}

thread_local! {
    static KEYS: RefCell<Keys> = RefCell::new(Keys::default());
}

/// The person (the token's `email`) when `token` is a genuine, current Access token for this
/// application; otherwise why not (for the log, never for the visitor).
pub(super) async fn verify(
    settings: &AccessSettings,
    token: &str,
    now_ms: f64,
) -> Result<String, String> {
    let jwt = parse_jwt(token)?;
    let key = key(settings, &jwt.kid, now_ms).await?;
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
    check_claims(
        &jwt.claims,
        &settings.team,
        &settings.aud,
        (now_ms / 1000.0) as u64,
    )
}

/// The key named `kid`: from this isolate's keys, else from a fresh fetch of the team's.
async fn key(settings: &AccessSettings, kid: &str, now_ms: f64) -> Result<CryptoKey, String> {
    let (known, fetched_at) = KEYS.with_borrow(|k| (k.by_kid.get(kid).cloned(), k.fetched_at));
    let age = fetched_at.map(|at| now_ms - at);
    match (known, age) {
        (Some(key), Some(age)) if age < KEYS_MAX_AGE_MS => return Ok(key),
        (None, Some(age)) if age < REFETCH_AFTER_MS => {
            return Err(format!(
                "the Access token names key {kid:?}, not one of the team's"
            ));
        }
        _ => {}
    }
    let fetched = fetch_keys(settings).await;
    KEYS.with_borrow_mut(|k| {
        k.fetched_at = Some(now_ms);
        if let Ok(keys) = &fetched {
            k.by_kid.clone_from(keys);
        }
    });
    let keys = fetched?;
    keys.get(kid)
        .cloned()
        .ok_or_else(|| format!("the Access token names key {kid:?}, not one of the team's"))
}

/// The team's RSA keys, imported for RS256 verification.
async fn fetch_keys(settings: &AccessSettings) -> Result<HashMap<String, CryptoKey>, String> {
    let url = settings.certs_url();
    let failed = |e: JsValue| {
        format!(
            "the Access keys at {url} could not be read: {}",
            js_message(&e)
        )
    };
    let global: WorkerGlobalScope = js_sys::global().unchecked_into();
    let response: web_sys::Response = JsFuture::from(global.fetch_with_str(&url))
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
    let subtle = subtle().map_err(|e| js_message(&e))?;
    let mut keys = HashMap::new();
    for jwk in parse_jwks(&text) {
        let key_data = object(&[
            ("kty", "RSA".into()),
            ("n", jwk.n.as_str().into()),
            ("e", jwk.e.as_str().into()),
            ("alg", "RS256".into()),
            ("ext", true.into()),
        ]);
        let algorithm = object(&[
            ("name", "RSASSA-PKCS1-v1_5".into()),
            ("hash", "SHA-256".into()),
        ]);
        let usages = Array::of1(&"verify".into());
        let imported = match (key_data, algorithm) {
            (Ok(data), Ok(algorithm)) => {
                match subtle.import_key_with_object("jwk", &data, &algorithm, false, &usages) {
                    Ok(promise) => JsFuture::from(promise).await,
                    Err(e) => Err(e),
                }
            }
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        // A key that does not import is skipped: the others may still verify.
        if let Ok(key) = imported.and_then(JsCast::dyn_into::<CryptoKey>) {
            keys.insert(jwk.kid, key);
        }
    }
    if keys.is_empty() {
        return Err(format!("the Access keys at {url} hold no usable RSA key"));
    }
    Ok(keys)
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
