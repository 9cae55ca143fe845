//! Sign-in at the edge: who is asking (an Access JWT, `Authorization: Bearer <admin token>`, or
//! the session cookie), the sign-in that sets the cookie, and the throttle on failures.

use std::cell::RefCell;

use http::HeaderMap;
use serde_json::{Value, json};
use worker::Env;

use super::access::verify;
use super::audit;
use super::{ConsoleSettings, Failure};
use crate::console::access::ACCESS_JWT_HEADER;
use crate::console::audit::AuditAction;
use crate::console::auth::{BEARER_NAME, admin_token_matches, bearer_token};
use crate::console::session::{
    SESSION_COOKIE, clean_name, make_session, session_cookie_header, verify_session,
};
use crate::console::throttle::SignInThrottle;
use crate::edge::runtime::log_event;
use crate::request::cookie;

thread_local! {
    /// This isolate's failed sign-ins, per client address.
    static THROTTLE: RefCell<SignInThrottle> = RefCell::new(SignInThrottle::new());
}

/// How a person got in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Via {
    /// A Cloudflare Access JWT.
    Access,
    /// The session cookie (signed in with the admin token).
    Token,
    /// `Authorization: Bearer <admin token>` (a script).
    Bearer,
}

/// Who is asking: the name the audit log gives them, and how they got in.
#[derive(Debug, Clone)]
pub(super) struct Person {
    pub(super) name: String,
    pub(super) via: Via,
}

impl Person {
    /// `{"name", "via"}` for `GET api/me`.
    pub(super) fn to_json(&self) -> Value {
        let via = match self.via {
            Via::Access => "access",
            Via::Token => "token",
            Via::Bearer => "bearer",
        };
        json!({ "name": self.name, "via": via })
    }
}

/// The one answer to a request without a valid session: it says nothing else.
pub(super) fn sign_in_needed() -> Failure {
    Failure::new(401, "sign in")
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The client's address, as the throttle counts failures by it.
fn client(headers: &HeaderMap) -> &str {
    header(headers, "cf-connecting-ip").unwrap_or("unknown")
}

/// Whether `client` may try to sign in now; 429 when it failed too often.
fn allowed(client: &str, now: u64) -> Result<(), Failure> {
    THROTTLE
        .with_borrow(|t| t.check(client, now))
        .map_err(|refused| Failure::new(429, refused.to_string()))
}

/// A failed sign-in: counted at once (before anything is awaited, so parallel guesses are
/// counted too), logged and audited, then, for a wrong admin token, answered after a pause
/// that grows with each failure.
async fn failed(env: &Env, client: &str, who: &str, why: &str, now: u64, pause: bool) -> Failure {
    let delay = THROTTLE.with_borrow_mut(|t| t.record_failure(client, now));
    log_event("console_sign_in_failed", why, None, "");
    audit::record(env, who, AuditAction::SignInFailed, None, why).await;
    if pause {
        worker::Delay::from(delay).await;
    }
    sign_in_needed()
}

fn succeeded(client: &str) {
    THROTTLE.with_borrow_mut(|t| t.record_success(client));
}

/// Who is asking, from the request's headers; 401 (or 429 when this client failed too often).
pub(super) async fn person(
    headers: &HeaderMap,
    settings: &ConsoleSettings,
    env: &Env,
    now_ms: f64,
) -> Result<Person, Failure> {
    let now = (now_ms / 1000.0) as u64;
    let client = client(headers);
    if let (Some(access), Some(token)) = (&settings.access, header(headers, ACCESS_JWT_HEADER)) {
        // A genuine token always gets in (tokens cannot be guessed): failures only bound the
        // audit entries they make, and are not slowed.
        return match verify(access, token, now_ms).await {
            Ok(email) => Ok(Person {
                name: email,
                via: Via::Access,
            }),
            Err(why) if allowed(client, now).is_ok() => {
                Err(failed(env, client, "access", &why, now, false).await)
            }
            Err(_) => Err(sign_in_needed()),
        };
    }
    let Some(admin_token) = settings.admin_token.as_deref() else {
        return Err(sign_in_needed());
    };
    if let Some(token) = header(headers, "authorization").and_then(bearer_token) {
        allowed(client, now)?;
        if admin_token_matches(admin_token, token) {
            succeeded(client);
            return Ok(Person {
                name: BEARER_NAME.to_owned(),
                via: Via::Bearer,
            });
        }
        let why = "Authorization: Bearer with a token that is not the admin token";
        return Err(failed(env, client, BEARER_NAME, why, now, true).await);
    }
    // Sessions are signed with the admin token: changing it signs everyone out.
    cookie(headers, SESSION_COOKIE)
        .and_then(|value| verify_session(admin_token.as_bytes(), value, now).ok())
        .map(|session| Person {
            name: session.name,
            via: Via::Token,
        })
        .ok_or_else(sign_in_needed)
}

/// `POST api/session` with `{"token", "name"}`: `{"name"}` and the session cookie's
/// `Set-Cookie` value, or 401.
pub(super) async fn sign_in(
    body: &Value,
    headers: &HeaderMap,
    settings: &ConsoleSettings,
    env: &Env,
    secure: bool,
    now_ms: f64,
) -> Result<(Value, String), Failure> {
    let now = (now_ms / 1000.0) as u64;
    let Some(admin_token) = settings.admin_token.as_deref() else {
        return Err(sign_in_needed());
    };
    let name = clean_name(body["name"].as_str().unwrap_or_default())
        .map_err(|e| Failure::new(400, e.to_string()))?;
    let client = client(headers);
    allowed(client, now)?;
    let token = body["token"].as_str().unwrap_or_default();
    if !admin_token_matches(admin_token, token) {
        let why = "sign-in with a wrong admin token";
        return Err(failed(env, client, &name, why, now, true).await);
    }
    succeeded(client);
    let value = make_session(admin_token.as_bytes(), &name, now, settings.session_secs);
    let cookie = session_cookie_header(&value, &settings.prefix, secure, settings.session_secs);
    let summary = "signed in with the admin token";
    audit::record(env, &name, AuditAction::SignIn, None, summary).await;
    Ok((json!({ "name": name }), cookie))
}
