//! Document-wide settings: cookie names, consent mode, redirect hosts, exposed headers.

use serde_json::Value;

use std::rc::Rc;

use super::DEFAULT_VISITOR_COOKIE;
use super::listings::{Listing, compile_listings};
use super::names::{is_host, is_token};
use super::reader::Checker;
use crate::diagnostic::{JsonPath, describe};

/// Fields of `settings`.
pub(super) const SETTINGS_FIELDS: &[&str] = &[
    "visitor_cookie",
    "visitor_cookie_days",
    "consent_cookie",
    "consent_values",
    "redirect_hosts",
    "header_attributes",
    "recording",
    "listings",
    "search_param",
];

/// Fields of `settings.recording`.
pub(super) const RECORDING_FIELDS: &[&str] = &[
    "enabled",
    "retention_days",
    "data_layer",
    "analytics_engine",
    "log",
];

/// Longest retention `settings.recording.retention_days` may ask for (about two years).
const MAX_RETENTION_DAYS: u64 = 800;

/// What Veneer records about experiments (`settings.recording`, issue 11): exposures and
/// conversions in D1, and optionally a `dataLayer` event, an Analytics Engine data point and a
/// log line per event. Visitors without consent, bots and previews are never recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    /// Whether exposures and conversions are recorded at all (default on).
    pub enabled: bool,
    /// Rows older than this many days are deleted (default 90).
    pub retention_days: u64,
    /// `dataLayer.push({event: "experiment_viewed", ...})` before the page's own scripts
    /// (default off).
    pub data_layer: bool,
    /// One data point per event to the `VENEER_ANALYTICS` Analytics Engine binding, when bound
    /// (default on).
    pub analytics_engine: bool,
    /// One JSON log line per event (default off).
    pub log: bool,
}

impl Default for Recording {
    fn default() -> Self {
        Self {
            enabled: true,
            retention_days: 90,
            data_layer: false,
            analytics_engine: true,
            log: false,
        }
    }
}

/// Document-wide settings.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Name of the visitor id cookie.
    pub visitor_cookie: String,
    /// Lifetime of the visitor id cookie, in days (at most 400, browsers' limit).
    pub visitor_cookie_days: u64,
    /// Consent mode: the cookie that must say yes before Veneer sets cookies or runs experiments.
    pub consent_cookie: Option<String>,
    /// Values of the consent cookie that mean yes.
    pub consent_values: Vec<String>,
    /// Hosts that absolute redirects may point to.
    pub redirect_hosts: Vec<String>,
    /// Request headers exposed as the `headers` attribute.
    pub header_attributes: Vec<String>,
    /// What is recorded about experiments.
    pub recording: Recording,
    /// How the site shows products (`settings.listings`), for commerce actions.
    pub listings: Vec<Rc<Listing>>,
    /// The query parameter holding the search term, for rules' `search` (default `q`).
    pub search_param: String,
}

/// Reads `settings`, with defaults for what is not given.
pub(super) fn compile_settings(value: Option<&Value>, check: &mut Checker) -> Settings {
    let mut settings = Settings {
        visitor_cookie: DEFAULT_VISITOR_COOKIE.into(),
        visitor_cookie_days: 365,
        consent_values: vec!["yes".into(), "true".into(), "1".into()],
        search_param: "q".into(),
        ..Settings::default()
    };
    let Some(value) = value else {
        return settings;
    };
    let Some(object) = value.as_object() else {
        check.push(
            JsonPath::root().key("settings"),
            format!("expected an object, found {}", describe(value)),
        );
        return settings;
    };
    check.unknown_fields(object, &JsonPath::root().key("settings"), SETTINGS_FIELDS);
    if let Some(v) = object.get("visitor_cookie")
        && let Some(name) = check.string(v, &JsonPath::root().key("settings").key("visitor_cookie"))
    {
        if is_token(name) {
            settings.visitor_cookie = name.to_owned();
        } else {
            check.push(
                JsonPath::root().key("settings").key("visitor_cookie"),
                format!(
                    "expected a cookie name (letters, digits, !#$%&'*+-.^_`|~), found {name:?}"
                ),
            );
        }
    }
    if let Some(v) = object.get("visitor_cookie_days") {
        match v.as_u64() {
            Some(d @ 1..=400) => settings.visitor_cookie_days = d,
            _ => check.push(
                JsonPath::root().key("settings").key("visitor_cookie_days"),
                format!(
                    "expected whole days from 1 to 400 (browsers cap cookies at 400), found {}",
                    describe(v)
                ),
            ),
        }
    }
    if let Some(v) = object.get("consent_cookie")
        && let Some(name) = check.string(v, &JsonPath::root().key("settings").key("consent_cookie"))
    {
        if is_token(name) {
            settings.consent_cookie = Some(name.to_owned());
        } else {
            check.push(
                JsonPath::root().key("settings").key("consent_cookie"),
                format!("expected a cookie name, found {name:?}"),
            );
        }
    }
    if let Some(v) = object.get("consent_values")
        && let Some(list) = check.string_list(
            v,
            &JsonPath::root().key("settings").key("consent_values"),
            "a value",
        )
    {
        settings.consent_values = list;
    }
    for (key, target) in [
        ("redirect_hosts", &mut settings.redirect_hosts),
        ("header_attributes", &mut settings.header_attributes),
    ] {
        if let Some(v) = object.get(key) {
            let path = JsonPath::root().key("settings").key(key);
            if let Some(list) = check.list(v, &path, "a name", true) {
                for (i, item) in list.iter().enumerate() {
                    let valid = if key == "redirect_hosts" {
                        is_host(item)
                    } else {
                        is_token(item)
                    };
                    if valid {
                        target.push(item.to_ascii_lowercase());
                    } else {
                        check.push(
                            path.index(i),
                            format!(
                                "expected a {}, found {item:?}",
                                if key == "redirect_hosts" {
                                    "host name like \"shop.example.com\""
                                } else {
                                    "header name"
                                }
                            ),
                        );
                    }
                }
            }
        }
    }
    if let Some(v) = object.get("recording") {
        settings.recording = compile_recording(v, check);
    }
    if let Some(v) = object.get("listings") {
        settings.listings =
            compile_listings(v, &JsonPath::root().key("settings").key("listings"), check);
    }
    if let Some(v) = object.get("search_param") {
        let path = JsonPath::root().key("settings").key("search_param");
        if let Some(name) = check.string(v, &path) {
            if name.is_empty() || name.len() > 64 {
                check.push(
                    path,
                    format!("expected a query parameter name, found {name:?}"),
                );
            } else {
                settings.search_param = name.to_owned();
            }
        }
    }
    settings
}

/// Reads `settings.recording`, with defaults for what is not given.
fn compile_recording(value: &Value, check: &mut Checker) -> Recording {
    let path = JsonPath::root().key("settings").key("recording");
    let mut recording = Recording::default();
    let Some(object) = value.as_object() else {
        check.push(
            &path,
            format!(
                "expected an object like {{\"enabled\": true, \"retention_days\": 90}}, found {}",
                describe(value)
            ),
        );
        return recording;
    };
    check.unknown_fields(object, &path, RECORDING_FIELDS);
    for (key, target) in [
        ("enabled", &mut recording.enabled),
        ("data_layer", &mut recording.data_layer),
        ("analytics_engine", &mut recording.analytics_engine),
        ("log", &mut recording.log),
    ] {
        match object.get(key) {
            None => {}
            Some(Value::Bool(b)) => *target = *b,
            Some(other) => check.push(
                path.key(key),
                format!("expected true or false, found {}", describe(other)),
            ),
        }
    }
    if let Some(v) = object.get("retention_days") {
        match v.as_u64() {
            Some(d @ 1..=MAX_RETENTION_DAYS) => recording.retention_days = d,
            _ => check.push(
                path.key("retention_days"),
                format!(
                    "expected whole days from 1 to {MAX_RETENTION_DAYS}, found {}",
                    describe(v)
                ),
            ),
        }
    }
    recording
}
