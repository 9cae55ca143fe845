//! Deployment settings, read once per isolate from `wrangler.toml` vars.

use std::cell::RefCell;
use std::rc::Rc;

use worker::Env;

use super::console_settings::ConsoleSettings;

/// Deployment settings, read from `wrangler.toml` vars.
pub(super) struct Config {
    /// `ORIGIN`'s scheme and authority (`https://origin.example:8443`); `Err` when it is set
    /// but not a URL.
    pub(super) origin: Option<Result<String, String>>,
    pub(super) drill_path: Option<String>,
    pub(super) drill_stream_path: Option<String>,
    pub(super) binding: String,
    pub(super) key: String,
    pub(super) draft_key: String,
    pub(super) isolate_ttl_ms: f64,
    pub(super) kv_cache_ttl: u64,
    /// How long a request waits for KV to answer before the origin's page is served as it is.
    pub(super) rules_timeout_ms: u32,
    /// The largest rules document compiled (`RULES_MAX_BYTES`, default 5 MiB).
    pub(super) max_rules_bytes: usize,
    /// The marketer console, when a way to sign in is configured (else its paths are the shop's).
    pub(super) console: Option<ConsoleSettings>,
}

impl Config {
    fn from_env(env: &Env) -> Self {
        let var = |name: &str| {
            env.var(name)
                .ok()
                .map(|v| v.to_string())
                .filter(|v| !v.trim().is_empty())
        };
        let number = |name: &str, default: u64| {
            var(name)
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(default)
        };
        Self {
            origin: var("ORIGIN").map(|o| {
                web_sys::Url::new(o.trim())
                    .map(|u| u.origin())
                    .ok()
                    .filter(|base| base.starts_with("http"))
                    .ok_or_else(|| format!("ORIGIN {o:?} is not an http(s) URL"))
            }),
            drill_path: var("FAIL_OPEN_DRILL_PATH"),
            drill_stream_path: var("FAIL_OPEN_DRILL_STREAM_PATH"),
            binding: var("RULES_BINDING").unwrap_or_else(|| "RULES".into()),
            key: var("RULES_KEY").unwrap_or_else(|| "rules".into()),
            draft_key: var("RULES_DRAFT_KEY").unwrap_or_else(|| "rules:draft".into()),
            isolate_ttl_ms: number("RULES_CACHE_SECONDS", 30) as f64 * 1000.0,
            // Workers KV refuses a cacheTtl under 60 seconds.
            kv_cache_ttl: number("RULES_KV_CACHE_TTL", 60).max(60),
            rules_timeout_ms: u32::try_from(number("RULES_TIMEOUT_MS", 1000).clamp(1, 30_000))
                .unwrap_or(1000),
            max_rules_bytes: usize::try_from(number(
                "RULES_MAX_BYTES",
                crate::document::MAX_DOCUMENT_BYTES as u64,
            ))
            .unwrap_or(crate::document::MAX_DOCUMENT_BYTES),
            console: ConsoleSettings::new(&var, env),
        }
    }
}

thread_local! {
    /// The deployment's settings: vars only change with a new deployment, hence a new isolate.
    static CONFIG: RefCell<Option<Rc<Config>>> = const { RefCell::new(None) };
}

pub(super) fn config(env: &Env) -> Rc<Config> {
    CONFIG.with_borrow_mut(|c| Rc::clone(c.get_or_insert_with(|| Rc::new(Config::from_env(env)))))
}
