//! Rules from KV, compiled once per document text and kept per isolate for a while.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use worker::Env;

use super::config::Config;
use super::runtime::log_event;
use crate::document::{CompiledRules, RulesError, compile_within};

/// Rules as loaded for this isolate: compiled once per document text, kept for a while.
pub(super) struct Loaded {
    pub(super) loaded_at: f64,
    pub(super) text: Option<String>,
    /// The console's revision number, from the document's KV metadata (`None` when it was not
    /// published through the console).
    pub(super) revision: Option<u64>,
    pub(super) rules: Result<Rc<CompiledRules>, Unavailable>,
}

/// Why no rules could be used; a missing draft falls back to the published rules.
#[derive(Debug, Clone, thiserror::Error)]
pub(super) enum Unavailable {
    /// The KV binding named by `RULES_BINDING` is not bound to the worker.
    #[error("KV binding {binding:?} is missing: {detail}")]
    NoBinding {
        /// The binding's name.
        binding: String,
        /// What the runtime said.
        detail: String,
    },
    /// The key does not exist.
    #[error("KV key {0:?} does not exist")]
    Missing(String),
    /// KV did not answer within `RULES_TIMEOUT_MS`.
    #[error("KV read of {key:?} took longer than {ms} ms")]
    TimedOut {
        /// The key read.
        key: String,
        /// The budget, `RULES_TIMEOUT_MS`.
        ms: u32,
    },
    /// KV failed to answer.
    #[error("KV read of {key:?} failed: {detail}")]
    ReadFailed {
        /// The key read.
        key: String,
        /// What the runtime said.
        detail: String,
    },
    /// The document under the key was refused as a whole.
    #[error(transparent)]
    Invalid(#[from] RulesError),
}

thread_local! {
    /// Per KV key (`rules`, `rules:draft`).
    static LOADED: RefCell<HashMap<String, Loaded>> = RefCell::new(HashMap::new());
}

/// The rules this isolate holds for `key`, if they are still fresh.
pub(super) fn cached_rules(
    config: &Config,
    key: &str,
    now: f64,
) -> Option<Result<Rc<CompiledRules>, Unavailable>> {
    LOADED.with_borrow(|loaded| {
        loaded
            .get(key)
            .filter(|l| now - l.loaded_at < config.isolate_ttl_ms)
            .map(|l| l.rules.clone())
    })
}

/// Drops what this isolate holds for `key`, so the next request reads it from KV.
pub(super) fn forget_rules(key: &str) {
    LOADED.with_borrow_mut(|loaded| loaded.remove(key));
}

/// The compiled rules under `key`: from isolate memory while fresh, else from KV.
pub(super) async fn load_rules(
    env: &Env,
    config: &Config,
    key: &str,
    now: f64,
) -> Result<Rc<CompiledRules>, Unavailable> {
    if let Some(rules) = cached_rules(config, key, now) {
        return rules;
    }
    let text = match env.kv(&config.binding) {
        Err(e) => Err(Unavailable::NoBinding {
            binding: config.binding.clone(),
            detail: e.to_string(),
        }),
        Ok(kv) => {
            let read = kv
                .get(key)
                .cache_ttl(config.kv_cache_ttl)
                .text_with_metadata::<serde_json::Value>();
            match within(config.rules_timeout_ms, read).await {
                None => {
                    // Not remembered: the next request asks KV again.
                    return Err(Unavailable::TimedOut {
                        key: key.to_owned(),
                        ms: config.rules_timeout_ms,
                    });
                }
                Some(Ok((Some(text), meta))) => Ok((text, meta.and_then(|m| m["number"].as_u64()))),
                Some(Ok((None, _))) => Err(Unavailable::Missing(key.to_owned())),
                Some(Err(e)) => Err(Unavailable::ReadFailed {
                    key: key.to_owned(),
                    detail: e.to_string(),
                }),
            }
        }
    };
    LOADED.with_borrow_mut(|loaded| {
        let unchanged = loaded
            .get(key)
            .filter(|l| l.text.as_deref() == text.as_ref().ok().map(|(t, _)| t.as_str()))
            .map(|l| l.rules.clone());
        let rules = match (&text, unchanged) {
            (Ok(_), Some(rules)) => rules,
            (Ok((text, _)), None) => {
                compile_logged(text, config.max_rules_bytes).map_err(Unavailable::Invalid)
            }
            (Err(e), _) => Err(e.clone()),
        };
        let (text, revision) = text.ok().unzip();
        loaded.insert(
            key.to_owned(),
            Loaded {
                loaded_at: now,
                text,
                revision: revision.flatten(),
                rules: rules.clone(),
            },
        );
        rules
    })
}

/// `future`'s output, or `None` when `ms` milliseconds pass first (or no timer can be set).
async fn within<T>(ms: u32, future: impl std::future::Future<Output = T>) -> Option<T> {
    let timer = js_sys::Promise::new(&mut |resolve, _| {
        let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
        let _ = global.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
    });
    let timer = wasm_bindgen_futures::JsFuture::from(timer);
    match futures_util::future::select(std::pin::pin!(future), timer).await {
        futures_util::future::Either::Left((value, _)) => Some(value),
        futures_util::future::Either::Right(_) => None,
    }
}

/// The console revision of the document this isolate serves under `key` (see
/// [`Loaded::revision`]), read as a shop page would read it (from memory while fresh, else from
/// KV); `None` when it has none or the rules are unavailable.
pub(super) async fn serving_revision(
    env: &Env,
    config: &Config,
    key: &str,
    now: f64,
) -> Option<u64> {
    // Unavailable rules leave nothing loaded under `key`, so no revision.
    let _ = load_rules(env, config, key, now).await;
    LOADED.with_borrow(|loaded| loaded.get(key).and_then(|l| l.revision))
}

/// The draft rules for a preview, falling back to the published ones when there is no draft.
pub(super) async fn load_preview_rules(
    env: &Env,
    config: &Config,
    now: f64,
) -> Result<Rc<CompiledRules>, Unavailable> {
    match load_rules(env, config, &config.draft_key, now).await {
        Err(Unavailable::Missing(_)) => load_rules(env, config, &config.key, now).await,
        other => other,
    }
}

/// Compiles a new rules version, logging each rule that is skipped.
pub(super) fn compile_logged(
    text: &str,
    max_bytes: usize,
) -> Result<Rc<CompiledRules>, RulesError> {
    let compiled = compile_within(text, max_bytes)?;
    for problem in &compiled.problems {
        log_event(
            "rule_skipped",
            &problem.to_string(),
            compiled.version.as_deref(),
            "",
        );
    }
    Ok(Rc::new(compiled))
}
