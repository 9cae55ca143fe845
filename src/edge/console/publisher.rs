//! `VeneerPublisher`, the Durable Object that serializes publishes (binding `PUBLISHER`, one
//! instance named `rules`): it keeps the head revision, refuses a publish whose base is not the
//! head (409), writes `rules:rev:<n+1>` and then `rules`, records the audit entry, and holds the
//! scheduled publish as its alarm.
//!
//! KV has no compare-and-swap and takes one write a second per key; going through one object
//! with one lock gives both: publishes never interleave, and writes of `rules` are spaced.

use std::cell::Cell;
use std::time::Duration;

use futures_util::lock::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use wasm_bindgen::JsValue;
use worker::{DurableObject, Env, Method, Request, RequestInit, Response, State, durable_object};

use super::Failure;
use super::audit;
use super::store::Store;
use crate::console::audit::AuditAction;
use crate::console::problems::{document_problems, problems_json};
use crate::console::revision::{
    RevisionError, RevisionMeta, check_base, clean_message, next_revision, rollback_message,
};
use crate::console::summary::summarize;
use crate::edge::config::config;
use crate::edge::runtime::log_event;
use crate::request::rfc3339_utc;

/// The Durable Object binding, and the one instance's name.
const BINDING: &str = "PUBLISHER";
const INSTANCE: &str = "rules";

/// Storage keys of the head revision's meta and of the scheduled publish.
const HEAD: &str = "head";
const SCHEDULED: &str = "scheduled";

/// The least time between two writes of the live document (KV: one write a second per key).
const LIVE_WRITE_SPACING_MS: f64 = 1_000.0;

/// What the worker asks the publisher to do (sent as JSON; the answer is the API's).
#[derive(Debug, Serialize, Deserialize)]
pub(super) enum Command {
    /// The head revision's meta: `{"head": <meta or null>}`.
    Head,
    /// Publish `document` (the draft, as the worker read it) on top of `base`.
    Publish {
        who: String,
        message: String,
        base: Option<u64>,
        document: String,
    },
    /// Publish revision `to`'s document on top of `base`.
    Rollback {
        who: String,
        to: u64,
        message: String,
        base: Option<u64>,
    },
    /// The scheduled publish: `{"scheduled": ... or null}`.
    GetSchedule,
    /// Publish the draft (as it is then) at `at`.
    Schedule {
        who: String,
        at: String,
        message: String,
        base: Option<u64>,
    },
    /// Cancel the scheduled publish.
    Unschedule { who: String },
}

/// A publish waiting for its time.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Scheduled {
    at: String,
    by: String,
    message: String,
    base: Option<u64>,
}

/// An answer: HTTP status and JSON body.
type Answer = (u16, Value);

/// Asks the publisher (the one instance) to do `command`.
pub(super) async fn ask(env: &Env, command: &Command) -> Result<Answer, Failure> {
    let unavailable = |e: worker::Error| {
        Failure::new(
            503,
            format!(
                "the publisher (Durable Object binding {BINDING}) did not answer: {e}; check \
                 [[durable_objects.bindings]] in wrangler.toml"
            ),
        )
    };
    let stub = env
        .durable_object(BINDING)
        .and_then(|ns| ns.get_by_name(INSTANCE))
        .map_err(unavailable)?;
    let body = serde_json::to_string(command).unwrap_or_default();
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(JsValue::from_str(&body)));
    let request = Request::new_with_init("https://publisher/", &init).map_err(unavailable)?;
    let mut response = stub
        .fetch_with_request(request)
        .await
        .map_err(unavailable)?;
    let status = response.status_code();
    let body = response.json::<Value>().await.map_err(unavailable)?;
    Ok((status, body))
}

/// Where the document of a publish comes from.
enum Source {
    /// The draft as the worker read it.
    Given(String),
    /// The draft as KV has it here (a scheduled publish).
    Draft,
    /// An earlier revision (a rollback).
    Revision(u64),
}

/// The Durable Object (see the module's documentation).
#[durable_object(alarm)]
pub struct VeneerPublisher {
    state: State,
    env: Env,
    /// Held for the whole of each change, so that changes never interleave.
    lock: Mutex<()>,
    /// When the live document was last written (ms since the epoch).
    last_live_write: Cell<f64>,
}

impl DurableObject for VeneerPublisher {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            lock: Mutex::new(()),
            last_live_write: Cell::new(0.0),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let (status, body) = match req.json::<Command>().await {
            Ok(command) => self.run(command).await,
            Err(e) => fail(400, format!("the publisher got an unknown command: {e}")),
        };
        Ok(Response::from_json(&body)?.with_status(status))
    }

    async fn alarm(&self) -> worker::Result<Response> {
        self.fire().await;
        Response::empty()
    }
}

fn fail(status: u16, message: impl Into<String>) -> Answer {
    (status, json!({ "error": message.into() }))
}

impl From<Failure> for Answer {
    fn from(f: Failure) -> Self {
        (f.status, f.body)
    }
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// A document as JSON, for summaries (`None` when it is not JSON).
fn parsed(text: Option<&str>) -> Option<Value> {
    text.and_then(|t| serde_json::from_str(t).ok())
}

impl VeneerPublisher {
    async fn run(&self, command: Command) -> Answer {
        let store = match Store::new(&self.env, &config(&self.env)) {
            Ok(store) => store,
            Err(f) => return f.into(),
        };
        let _guard = self.lock.lock().await;
        let result = match command {
            Command::Head => self.head(&store).await.map(|h| (200, json!({ "head": h }))),
            Command::Publish {
                who,
                message,
                base,
                document,
            } => {
                let source = Source::Given(document);
                Ok(self
                    .publish(&store, &who, &message, base, source, AuditAction::Publish)
                    .await)
            }
            Command::Rollback {
                who,
                to,
                message,
                base,
            } => {
                let message = rollback_message(to, &message);
                let source = Source::Revision(to);
                Ok(self
                    .publish(&store, &who, &message, base, source, AuditAction::Rollback)
                    .await)
            }
            Command::GetSchedule => self
                .scheduled()
                .await
                .map(|s| (200, json!({ "scheduled": s }))),
            Command::Schedule {
                who,
                at,
                message,
                base,
            } => self.schedule(&store, who, &at, &message, base).await,
            Command::Unschedule { who } => self.unschedule(&who).await,
        };
        result.unwrap_or_else(Answer::from)
    }

    /// The value under `key` in the object's storage (kept as JSON values, see [`Store`]).
    async fn load<T: for<'de> Deserialize<'de>>(&self, key: &str) -> Result<Option<T>, Failure> {
        let value = self
            .state
            .storage()
            .get::<Value>(key)
            .await
            .map_err(Self::storage_failed)?;
        Ok(value.and_then(|v| serde_json::from_value(v).ok()))
    }

    async fn save<T: Serialize>(&self, key: &str, value: &T) -> Result<(), Failure> {
        let value = serde_json::to_value(value).unwrap_or_default();
        self.state
            .storage()
            .put(key, value)
            .await
            .map_err(Self::storage_failed)
    }

    fn storage_failed(e: worker::Error) -> Failure {
        Failure::new(
            503,
            format!("the publisher's storage failed: {e}; try again in a moment"),
        )
    }

    /// The head revision: from storage, or (the first time) the newest revision in KV.
    async fn head(&self, store: &Store) -> Result<Option<RevisionMeta>, Failure> {
        if let Some(head) = self.load::<RevisionMeta>(HEAD).await? {
            return Ok(Some(head));
        }
        // Never trust an empty storage over KV: writing revision 1 again would lose history.
        let newest = store.revisions().await?.into_iter().next();
        if let Some(head) = &newest {
            self.save(HEAD, head).await?;
        }
        Ok(newest)
    }

    async fn document(&self, store: &Store, number: u64) -> Option<Value> {
        let text = store.revision(number).await.ok().flatten();
        parsed(text.as_ref().map(|(t, _)| t.as_str()))
    }

    /// The 409 answer: the head now, and what changed since `base`.
    async fn conflict(
        &self,
        store: &Store,
        error: String,
        head: Option<&RevisionMeta>,
        base: Option<u64>,
    ) -> Answer {
        let head_number = head.map_or(0, |h| h.number);
        // Only revisions that exist are read: KV would remember a miss.
        let base_doc = match base.filter(|&b| b >= 1 && b <= head_number) {
            Some(b) => self.document(store, b).await,
            None => None,
        };
        let summary = match head {
            Some(h) => match self.document(store, h.number).await {
                Some(head_doc) => summarize(base_doc.as_ref(), &head_doc),
                None => String::new(),
            },
            None => "nothing is published".to_owned(),
        };
        (
            409,
            json!({ "error": error, "head": head, "summary": summary }),
        )
    }

    /// Publishes the draft or an old revision as the next revision.
    async fn publish(
        &self,
        store: &Store,
        who: &str,
        message: &str,
        base: Option<u64>,
        source: Source,
        action: AuditAction,
    ) -> Answer {
        let head = match self.head(store).await {
            Ok(head) => head,
            Err(f) => return f.into(),
        };
        let head_number = head.as_ref().map(|h| h.number);
        if let Err(conflict) = check_base(head_number, base) {
            return self
                .conflict(store, conflict.to_string(), head.as_ref(), base)
                .await;
        }
        let document = match &source {
            Source::Given(text) => text.clone(),
            Source::Draft => match store.draft().await {
                Ok(Some((text, _))) => text,
                Ok(None) => return fail(400, "there is no draft to publish: save one first"),
                Err(f) => return f.into(),
            },
            &Source::Revision(to) => {
                if to == 0 || head_number.is_none_or(|h| to > h) {
                    return fail(404, format!("there is no revision {to}"));
                }
                match store.revision(to).await {
                    Ok(Some((text, _))) => text,
                    Ok(None) => return fail(404, format!("revision {to} is missing from KV")),
                    Err(f) => return f.into(),
                }
            }
        };
        let problems = document_problems(&document);
        if !problems.is_empty() {
            let what = match source {
                Source::Given(_) | Source::Draft => "the draft".to_owned(),
                Source::Revision(to) => format!("revision {to}"),
            };
            return (
                422,
                json!({
                    "error": format!("{what} has {} problem(s): fix them, then publish", problems.len()),
                    "problems": problems_json(&problems),
                }),
            );
        }
        let now = (now_ms() / 1000.0) as u64;
        let meta = match next_revision(head.as_ref(), who, now, message, &document) {
            Ok(meta) => meta,
            Err(RevisionError::Unchanged { .. }) if head.is_some() => {
                return self.finish_live(store, &document, head).await;
            }
            Err(e) => return fail(400, e.to_string()),
        };
        if let Err(f) = store.write_revision(&document, &meta).await {
            return f.into();
        }
        if let Err(f) = self.save(HEAD, &meta).await {
            return f.into();
        }
        let before = match head_number {
            Some(n) => self.document(store, n).await,
            None => None,
        };
        if let Err(f) = self.make_live(store, &document, &meta).await {
            return f.into();
        }
        let changes = match parsed(Some(&document)) {
            Some(after) => summarize(before.as_ref(), &after),
            None => String::new(),
        };
        let summary = match source {
            Source::Given(_) | Source::Draft => format!("{}: {changes}", meta.message),
            Source::Revision(to) => format!("to revision {to} ({}): {changes}", meta.message),
        };
        audit::record(&self.env, who, action, Some(meta.number), &summary).await;
        (200, json!({ "revision": meta }))
    }

    /// A publish of exactly the head's document: fine when the live document is the head
    /// already ("nothing to publish"); when an earlier write of it failed, this one retries it.
    async fn finish_live(
        &self,
        store: &Store,
        document: &str,
        head: Option<RevisionMeta>,
    ) -> Answer {
        let Some(head) = head else {
            return fail(400, "nothing to publish");
        };
        let live = store.live().await.ok().flatten().and_then(|(_, meta)| meta);
        if live.is_some_and(|l| l.number == head.number) {
            let e = RevisionError::Unchanged { head: head.number };
            return fail(400, e.to_string());
        }
        match self.make_live(store, document, &head).await {
            Ok(()) => (200, json!({ "revision": head })),
            Err(f) => f.into(),
        }
    }

    /// Writes the live document, at least a second after the last write of it.
    async fn make_live(
        &self,
        store: &Store,
        document: &str,
        meta: &RevisionMeta,
    ) -> Result<(), Failure> {
        let wait = self.last_live_write.get() + LIVE_WRITE_SPACING_MS - now_ms();
        if wait > 0.0 {
            worker::Delay::from(Duration::from_millis(wait as u64)).await;
        }
        let written = store.make_live(document, meta).await;
        self.last_live_write.set(now_ms());
        written.map_err(|f| {
            Failure::new(
                f.status,
                format!(
                    "revision {} is saved but not live yet ({}); publish again to retry",
                    meta.number,
                    f.body["error"].as_str().unwrap_or_default()
                ),
            )
        })
    }

    async fn scheduled(&self) -> Result<Option<Scheduled>, Failure> {
        self.load::<Scheduled>(SCHEDULED).await
    }

    async fn schedule(
        &self,
        store: &Store,
        who: String,
        at: &str,
        message: &str,
        base: Option<u64>,
    ) -> Result<Answer, Failure> {
        let Ok(when) = chrono::DateTime::parse_from_rfc3339(at.trim()) else {
            return Ok(fail(
                400,
                format!("{at:?} is not a time like 2026-12-01T10:00:00Z (RFC 3339)"),
            ));
        };
        let at_ms = when.timestamp_millis() as f64;
        if at_ms <= now_ms() {
            return Ok(fail(
                400,
                format!("{at} has passed: pick a time in the future"),
            ));
        }
        let message = match clean_message(message) {
            Ok(m) => m,
            Err(e) => return Ok(fail(400, e.to_string())),
        };
        let head = self.head(store).await?;
        if let Err(conflict) = check_base(head.as_ref().map(|h| h.number), base) {
            return Ok(self
                .conflict(store, conflict.to_string(), head.as_ref(), base)
                .await);
        }
        let scheduled = Scheduled {
            at: rfc3339_utc((at_ms / 1000.0) as u64),
            by: who,
            message,
            base,
        };
        let replaced = self.scheduled().await?;
        self.save(SCHEDULED, &scheduled).await?;
        let date = js_sys::Date::new(&JsValue::from_f64(at_ms));
        self.state
            .storage()
            .set_alarm(worker::ScheduledTime::new(date))
            .await
            .map_err(Self::storage_failed)?;
        let mut summary = format!(
            "publish the draft at {}: {}",
            scheduled.at, scheduled.message
        );
        if let Some(old) = replaced {
            summary.push_str(&format!(" (instead of at {})", old.at));
        }
        audit::record(
            &self.env,
            &scheduled.by,
            AuditAction::Schedule,
            base,
            &summary,
        )
        .await;
        Ok((200, json!({ "scheduled": scheduled })))
    }

    async fn unschedule(&self, who: &str) -> Result<Answer, Failure> {
        let storage = self.state.storage();
        if let Some(old) = self.scheduled().await? {
            storage.delete_alarm().await.map_err(Self::storage_failed)?;
            storage
                .delete(SCHEDULED)
                .await
                .map_err(Self::storage_failed)?;
            let summary = format!("cancelled the publish at {}: {}", old.at, old.message);
            audit::record(&self.env, who, AuditAction::Unschedule, old.base, &summary).await;
        }
        Ok((200, json!({ "scheduled": null })))
    }

    /// The alarm: publishes the draft as it is now, once; a refusal is logged and audited.
    async fn fire(&self) {
        let store = match Store::new(&self.env, &config(&self.env)) {
            Ok(store) => store,
            Err(f) => return refused(&self.env, "", &f.body, None).await,
        };
        let _guard = self.lock.lock().await;
        let scheduled = match self.scheduled().await {
            Ok(Some(s)) => s,
            // Cancelled meanwhile (or already done): nothing to do.
            Ok(None) => return,
            Err(f) => return refused(&self.env, "", &f.body, None).await,
        };
        // Taken before publishing, so that it fires once whatever happens next.
        if let Err(e) = self.state.storage().delete(SCHEDULED).await {
            let f = Self::storage_failed(e);
            return refused(&self.env, &scheduled.by, &f.body, scheduled.base).await;
        }
        let (status, body) = self
            .publish(
                &store,
                &scheduled.by,
                &scheduled.message,
                scheduled.base,
                Source::Draft,
                AuditAction::ScheduledPublish,
            )
            .await;
        if status != 200 {
            refused(&self.env, &scheduled.by, &body, scheduled.base).await;
        }
    }
}

/// A scheduled publish that did not happen: one log line and one audit entry saying why.
async fn refused(env: &Env, who: &str, body: &Value, base: Option<u64>) {
    let mut why = body["error"].as_str().unwrap_or("it failed").to_owned();
    if let Some(first) = body["problems"].get(0) {
        why.push_str(&format!(
            " (first: {}: {})",
            first["path"].as_str().unwrap_or_default(),
            first["message"].as_str().unwrap_or_default()
        ));
    }
    log_event("scheduled_publish_refused", &why, None, "");
    let summary = format!("not published: {why}");
    audit::record(env, who, AuditAction::ScheduledPublish, base, &summary).await;
}
