//! The audit log in D1 (binding `DB`, table `audit` from `migrations/`): who did what, when, to
//! which revision.

use wasm_bindgen::JsValue;
use worker::Env;

use super::Failure;
use crate::console::audit::{AuditAction, AuditEntry, INSERT_SQL, SELECT_SQL};
use crate::edge::runtime::log_event;

/// The D1 binding of the audit log.
const BINDING: &str = "DB";

/// Writes one entry, now. A log that cannot be written does not undo what was done: it writes
/// one log line (`audit_failed`) instead.
pub(super) async fn record(
    env: &Env,
    who: &str,
    action: AuditAction,
    revision: Option<u64>,
    summary: &str,
) {
    let now = (js_sys::Date::now() / 1000.0) as u64;
    let entry = AuditEntry::new(now, who, action, revision, summary);
    let written = async {
        env.d1(BINDING)?
            .prepare(INSERT_SQL)
            .bind(&[
                JsValue::from_str(&entry.time),
                JsValue::from_str(&entry.who),
                JsValue::from_str(entry.action.as_str()),
                entry
                    .revision
                    .map_or(JsValue::NULL, |n| JsValue::from_f64(n as f64)),
                JsValue::from_str(&entry.summary),
            ])?
            .run()
            .await
            .map(|_| ())
    };
    if let Err(e) = written.await {
        log_event(
            "audit_failed",
            &format!(
                "the {} entry for {:?} could not be written to D1 ({BINDING}): {e}; are the \
                 migrations applied (wrangler d1 migrations apply {BINDING})?",
                action.as_str(),
                entry.who
            ),
            None,
            "",
        );
    }
}

/// The newest `limit` entries, newest first.
pub(super) async fn entries(env: &Env, limit: u32) -> Result<Vec<AuditEntry>, Failure> {
    let read = async {
        env.d1(BINDING)?
            .prepare(SELECT_SQL)
            .bind(&[JsValue::from_f64(f64::from(limit))])?
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
