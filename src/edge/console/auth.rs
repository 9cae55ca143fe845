//! Sign-in at the edge: who is asking (an Access JWT, `Authorization: Bearer <admin token>`, or
//! the session cookie), the sign-in that sets the cookie, and the throttle on failures.

use std::cell::RefCell;
use std::time::Duration;

use http::HeaderMap;
use serde_json::{Value, json};
use worker::Env;

use super::access::{ACCESS_HEADER, verify};
use super::audit::{self, Action};
use super::standin::auth::{BEARER_NAME, admin_token_matches, bearer_token};
use super::standin::session::{SESSION_COOKIE, make_session, verify_session};
use super::standin::throttle::Throttle;
use super::{ConsoleSettings, Failure};
use crate::edge::runtime::log_event;
use crate::request::cookie;

/// How long each failed sign-in waits before it is answered.
const FAILURE_DELAY: Duration = Duration::from_secs(1);

/// Longest name accepted at sign-in, in characters.
const MAX_NAME_CHARS: usize = 100;

thread_local! {
    /// This isolate's failed sign-ins.
    static THROTTLE: RefCell<Throttle> = RefCell::new(Throttle::default());
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

fn too_many() -> Failure {
    Failure::new(
        429,
        "too many failed sign-ins: wait a minute, then try again",
    )
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Whether another sign-in may be tried now.
fn allowed(now: u64) -> bool {
    THROTTLE.with_borrow_mut(|t| t.allows(now))
}

/// A failed sign-in: counted at once (before anything is awaited, so parallel guesses are
/// counted too), audited, then answered after a pause.
async fn failed(env: &Env, who: &str, why: &str, now: u64) -> Failure {
    THROTTLE.with_borrow_mut(|t| t.failed(now));
    log_event("console_sign_in_failed", why, None, "");
    audit::record(env, who, Action::SignInFailed, None, why).await;
    worker::Delay::from(FAILURE_DELAY).await;
    sign_in_needed()
}

/// Who is asking, from the request's headers; 401 (or 429 when sign-ins are throttled).
pub(super) async fn person(
    headers: &HeaderMap,
    settings: &ConsoleSettings,
    env: &Env,
    now_ms: f64,
) -> Result<Person, Failure> {
    let now = (now_ms / 1000.0) as u64;
    if let (Some(access), Some(token)) = (&settings.access, header(headers, ACCESS_HEADER)) {
        // A genuine token always gets in: tokens cannot be guessed, so failures only bound
        // the audit entries and pauses they cost.
        return match verify(access, token, now_ms).await {
            Ok(email) => Ok(Person {
                name: email,
                via: Via::Access,
            }),
            Err(why) if allowed(now) => Err(failed(env, "access", &why, now).await),
            Err(_) => Err(sign_in_needed()),
        };
    }
    let Some(admin_token) = settings.admin_token.as_deref() else {
        return Err(sign_in_needed());
    };
    if let Some(token) = header(headers, "authorization").and_then(bearer_token) {
        if !allowed(now) {
            return Err(too_many());
        }
        if admin_token_matches(admin_token, token) {
            return Ok(Person {
                name: BEARER_NAME.to_owned(),
                via: Via::Bearer,
            });
        }
        let why = "Authorization: Bearer with a token that is not the admin token";
        return Err(failed(env, BEARER_NAME, why, now).await);
    }
    cookie(headers, SESSION_COOKIE)
        .and_then(|value| verify_session(admin_token.as_bytes(), value, now))
        .map(|name| Person {
            name,
            via: Via::Token,
        })
        .ok_or_else(sign_in_needed)
}

/// `POST api/session` with `{"token", "name"}`: the session cookie (`Set-Cookie` value) and
/// `{"name"}`, or 401.
pub(super) async fn sign_in(
    body: &Value,
    settings: &ConsoleSettings,
    env: &Env,
    secure: bool,
    now_ms: f64,
) -> Result<(Value, String), Failure> {
    let now = (now_ms / 1000.0) as u64;
    let Some(admin_token) = settings.admin_token.as_deref() else {
        return Err(sign_in_needed());
    };
    let name: String = body["name"]
        .as_str()
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(Failure::new(
            400,
            format!("give your name (1 to {MAX_NAME_CHARS} characters): the audit log shows it"),
        ));
    }
    if !allowed(now) {
        return Err(too_many());
    }
    let token = body["token"].as_str().unwrap_or_default();
    if !admin_token_matches(admin_token, token) {
        return Err(failed(env, name, "sign-in with a wrong admin token", now).await);
    }
    let value = make_session(admin_token.as_bytes(), name, now + settings.session_secs);
    let cookie = session_cookie(settings, &value, settings.session_secs, secure);
    audit::record(
        env,
        name,
        Action::SignIn,
        None,
        "signed in with the admin token",
    )
    .await;
    Ok((json!({ "name": name }), cookie))
}

/// The `Set-Cookie` value of the session cookie (`max_age` 0 clears it).
pub(super) fn session_cookie(
    settings: &ConsoleSettings,
    value: &str,
    max_age: u64,
    secure: bool,
) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={value}; Path={}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}",
        settings.prefix
    )
}
