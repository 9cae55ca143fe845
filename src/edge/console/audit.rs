//! The audit log in D1 (binding `DB`, table `audit` from `migrations/`): who did what, when, to
//! which revision.

use wasm_bindgen::JsValue;
use worker::Env;

use super::Failure;
use super::standin::audit::AuditEntry;
use crate::edge::runtime::log_event;
use crate::request::rfc3339_utc;

/// The D1 binding of the audit log.
const BINDING: &str = "DB";

/// Most entries one request reads.
pub(super) const MAX_ENTRIES: u64 = 10_000;

/// What was done (the `action` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    SignIn,
    SignInFailed,
    Save,
    Publish,
    Rollback,
    Schedule,
    Unschedule,
    ScheduledPublish,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::SignInFailed => "sign_in_failed",
            Self::Save => "save",
            Self::Publish => "publish",
            Self::Rollback => "rollback",
            Self::Schedule => "schedule",
            Self::Unschedule => "unschedule",
            Self::ScheduledPublish => "scheduled_publish",
        }
    }
}

/// Writes one entry, now. A log that cannot be written does not undo what was done: it writes
/// one log line (`audit_failed`) instead.
pub(super) async fn record(
    env: &Env,
    who: &str,
    action: Action,
    revision: Option<u64>,
    summary: &str,
) {
    let now = (js_sys::Date::now() / 1000.0) as u64;
    let who: String = who.chars().take(200).collect();
    let summary: String = summary.chars().take(1000).collect();
    let written = async {
        let db = env.d1(BINDING)?;
        db.prepare(
            "INSERT INTO audit (time, who, action, revision, summary) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(&[
            JsValue::from_str(&rfc3339_utc(now)),
            JsValue::from_str(&who),
            JsValue::from_str(action.name()),
            revision.map_or(JsValue::NULL, |n| JsValue::from_f64(n as f64)),
            JsValue::from_str(&summary),
        ])?
        .run()
        .await
        .map(|_| ())
    };
    if let Err(e) = written.await {
        log_event(
            "audit_failed",
            &format!(
                "the {} entry for {who:?} could not be written to D1 ({BINDING}): {e}; are the \
                 migrations applied (wrangler d1 migrations apply {BINDING})?",
                action.name()
            ),
            None,
            "",
        );
    }
}

/// The newest `limit` entries, newest first.
pub(super) async fn entries(env: &Env, limit: u64) -> Result<Vec<AuditEntry>, Failure> {
    let read = async {
        env.d1(BINDING)?
            .prepare(
                "SELECT time, who, action, revision, summary FROM audit ORDER BY id DESC LIMIT ?1",
            )
            .bind(&[JsValue::from_f64(limit.min(MAX_ENTRIES) as f64)])?
            .all()
            .await?
            .results::<serde_json::Value>()
    };
    let rows = read.await.map_err(|e| {
        Failure::new(
            503,
            format!(
                "the audit log (D1 binding {BINDING}) could not be read: {e}; check the binding \
                 in wrangler.toml and apply the migrations (wrangler d1 migrations apply \
                 {BINDING})"
            ),
        )
    })?;
    Ok(rows
        .into_iter()
        .filter_map(|row| serde_json::from_value(row).ok())
        .collect())
}
