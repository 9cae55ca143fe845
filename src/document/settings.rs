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
    "listings",
    "search_param",
];

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
