//! Compiling whole-page actions: head and body injection, text replacement, links, headers, cookies, redirects.

use serde_json::Value;

use super::actions::{Action, CookieSpec};
use super::commerce::compile_commerce;
use super::element_actions::compile_map;
use super::names::is_token;
use super::operations::{PageOperation, RESERVED_HEADERS};
use super::reader::{Checker, object_fields};
use super::redirect::safe_redirect;
use super::settings::Settings;
use super::template::Template;
use super::text_pattern::TextReplacement;
use crate::diagnostic::{JsonPath, describe};

/// Compiles an action on the whole page or response.
/// Cookies Veneer itself sets and reads besides the visitor and consent cookies of the
/// settings (`request/session.rs`: assignments, preview): no rule may set them.
const VENEER_COOKIES: [&str; 2] = ["veneer_exp", "veneer_preview"];

pub(super) fn compile_page_action(
    operation: PageOperation,
    raw: &Value,
    at: &JsonPath,
    settings: &Settings,
    check: &mut Checker,
) -> Option<Action> {
    let before = check.problems.len();
    let action = match operation {
        PageOperation::Commerce(op) => return compile_commerce(op, raw, at, settings, check),
        PageOperation::InjectHead => Action::InjectHead(check.html_template(raw, at)?),
        PageOperation::AppendBody => Action::AppendBody(check.html_template(raw, at)?),
        PageOperation::ReplaceText => Action::ReplaceText(compile_replacement(raw, at, check)?),
        PageOperation::RewriteLinks => {
            let o = object_fields(
                raw,
                at,
                check,
                &["prefix", "add_query"],
                "{\"prefix\": \"/c/\", \"add_query\": {\"utm_source\": \"veneer\"}}",
            )?;
            let prefix = match o.get("prefix") {
                Some(p) => check.string(p, &at.key("prefix")).map(str::to_owned),
                None => {
                    check.push(
                        at,
                        "missing field \"prefix\" (links whose href starts with it are rewritten)",
                    );
                    None
                }
            };
            let add_query = match o.get("add_query") {
                Some(q) => compile_map(
                    q,
                    &at.key("add_query"),
                    check,
                    |n| {
                        !n.is_empty()
                            && n.bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
                    },
                    "a query parameter name (letters, digits, -_.~)",
                ),
                None => {
                    check.push(at, "missing field \"add_query\" (parameters to add)");
                    None
                }
            };
            Action::RewriteLinks {
                prefix: prefix?,
                add_query: add_query?,
            }
        }
        PageOperation::SetHeader => {
            let pairs = compile_map(
                raw,
                at,
                check,
                is_token,
                "a header name (letters, digits, !#$%&'*+-.^_`|~)",
            )?;
            for (name, value) in &pairs {
                let lower = name.to_ascii_lowercase();
                if RESERVED_HEADERS.contains(&lower.as_str()) {
                    check.push(at.key(name), format!("{lower} cannot be set by a rule; use set_cookie for cookies and redirect for Location"));
                } else if has_control(value) {
                    check.push(
                        at.key(name),
                        "header values cannot contain line breaks or control characters",
                    );
                } else if !value.literal_text().is_ascii() {
                    check.push(at.key(name), "header values must be ASCII; percent-encode other characters (Z%C3%BCrich)");
                }
            }
            Action::SetHeaders(pairs)
        }
        PageOperation::SetCookie => {
            let o = object_fields(
                raw,
                at,
                check,
                &["name", "value", "max_age", "path"],
                "{\"name\": \"promo\", \"value\": \"bf\", \"max_age\": 86400}",
            )?;
            let name = o
                .get("name")
                .and_then(|n| check.string(n, &at.key("name")))
                .map(str::to_owned);
            if let Some(n) = &name
                && !is_token(n)
            {
                check.push(
                    at.key("name"),
                    format!(
                        "expected a cookie name (letters, digits, !#$%&'*+-.^_`|~), found {n:?}"
                    ),
                );
            }
            if let Some(n) = &name
                && (VENEER_COOKIES.contains(&n.as_str())
                    || *n == settings.visitor_cookie
                    || settings.consent_cookie.as_deref() == Some(n.as_str()))
            {
                check.push(
                    at.key("name"),
                    format!(
                        "{n:?} is a cookie Veneer itself reads (visitor id, assignments, preview or consent); a rule may not set it"
                    ),
                );
            }
            if o.get("name").is_none() {
                check.push(at, "missing field \"name\"");
            }
            let value = match o.get("value") {
                Some(v) => check.template(v, &at.key("value")),
                None => {
                    check.push(at, "missing field \"value\"");
                    None
                }
            };
            if let Some(v) = &value
                && has_control(v)
            {
                check.push(
                    at.key("value"),
                    "cookie values cannot contain line breaks or control characters",
                );
            }
            let max_age = match o.get("max_age") {
                None => None,
                Some(v) => match v.as_u64() {
                    Some(s) if s <= 400 * 24 * 3600 => Some(s),
                    _ => {
                        check.push(
                            at.key("max_age"),
                            format!(
                                "expected seconds from 0 to 34560000 (400 days), found {}",
                                describe(v)
                            ),
                        );
                        None
                    }
                },
            };
            let path = match o.get("path") {
                None => "/".to_owned(),
                Some(p) => match check.string(p, &at.key("path")) {
                    Some(p)
                        if p.starts_with('/')
                            && !p.contains([';', ','])
                            && !p.chars().any(char::is_control) =>
                    {
                        p.to_owned()
                    }
                    Some(p) => {
                        check.push(
                            at.key("path"),
                            format!(
                                "expected a path starting with \"/\" without ; or , found {p:?}"
                            ),
                        );
                        String::new()
                    }
                    None => String::new(),
                },
            };
            Action::SetCookie(CookieSpec {
                name: name?,
                value: value?,
                path,
                max_age,
            })
        }
        PageOperation::Redirect => {
            let o = object_fields(
                raw,
                at,
                check,
                &["to", "status"],
                "{\"to\": \"/sale\", \"status\": 302}",
            )?;
            let status = match o.get("status") {
                None => 302,
                Some(v) => match v.as_u64() {
                    Some(s @ (301 | 302 | 307 | 308)) => s as u16,
                    _ => {
                        check.push(
                            at.key("status"),
                            format!("expected 301, 302, 307 or 308, found {}", describe(v)),
                        );
                        302
                    }
                },
            };
            let to = match o.get("to") {
                Some(t) => check.template(t, &at.key("to")),
                None => {
                    check.push(at, "missing field \"to\" (where to send the visitor)");
                    None
                }
            }?;
            if let Err(e) = safe_redirect(&to, &settings.redirect_hosts) {
                check.push(at.key("to"), e);
            }
            Action::Redirect { to, status }
        }
    };
    (check.problems.len() == before).then_some(action)
}

/// Reads a find-and-replace: `{"find"|"regex": ..., "with": ...}` (`replace_text`, `replace_label`).
pub(super) fn compile_replacement(
    raw: &Value,
    at: &JsonPath,
    check: &mut Checker,
) -> Option<TextReplacement> {
    let o = object_fields(
        raw,
        at,
        check,
        &["find", "regex", "with"],
        "{\"find\": \"€129\", \"with\": \"€99\"}",
    )?;
    let with = o.get("with").and_then(|w| check.string(w, &at.key("with")));
    let replacement = match (o.get("find"), o.get("regex")) {
        (Some(f), None) => check.string(f, &at.key("find")).and_then(|f| {
            TextReplacement::literal(f, with?)
                .map_err(|e| check.push(at.key("find"), e))
                .ok()
        }),
        (None, Some(r)) => check.string(r, &at.key("regex")).and_then(|r| {
            TextReplacement::regex(r, with?)
                .map_err(|e| check.push(at.key("regex"), e))
                .ok()
        }),
        _ => {
            check.push(
                at,
                "expected exactly one of \"find\" (plain text) or \"regex\"",
            );
            None
        }
    };
    if o.get("with").is_none() {
        check.push(at, "missing field \"with\" (the replacement text)");
    }
    replacement
}

fn has_control(t: &Template) -> bool {
    t.literal_text().chars().any(char::is_control)
}
