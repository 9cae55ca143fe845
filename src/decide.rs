//! Decisions: which rules apply to one visitor on one page, and what they change.
//!
//! Pure: `(compiled rules, visitor attributes, path, now) -> Decision`. The edge, `veneer render`
//! and `veneer explain` all call [`decide`], so a preview is exactly what production does.

use std::cell::RefCell;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::condition::{Audiences, EvalContext};
use crate::rewrite::{Edit, ElementEdit, HeadInjection, LinkRewrite, Plan};
use crate::rules::{Action, Audience, CompiledRule, CompiledRules, ElementOp, is_url_attribute};
use crate::template::{Escape, Template, push_escaped};

/// What Veneer does for one request.
#[derive(Debug, Clone, Default)]
pub struct Decision {
    /// Changes to the page.
    pub plan: Plan,
    /// Response headers to set (name, value), in order.
    pub headers: Vec<(String, String)>,
    /// `Set-Cookie` values to add.
    pub cookies: Vec<String>,
    /// A redirect to answer with instead of the page: (status, location).
    pub redirect: Option<(u16, String)>,
    /// Why each rule did or did not apply (every rule when tracing, else the candidates).
    pub trace: Vec<RuleTrace>,
    /// Audiences evaluated for this visitor, by name.
    pub audiences: Vec<(String, bool)>,
}

/// Whether one rule applied, and why (not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleTrace {
    /// The rule's id.
    pub id: String,
    /// Whether its actions were applied.
    pub applied: bool,
    /// A short reason a marketer can read.
    pub reason: String,
}

/// Resolves named audiences for conditions, each at most once per request.
struct Resolver<'a> {
    audiences: &'a HashMap<String, Audience>,
    saved_groups: &'a HashMap<String, Vec<Value>>,
    memo: RefCell<HashMap<String, bool>>,
    depth: RefCell<u32>,
}

impl Audiences for Resolver<'_> {
    fn matches(&self, name: &str, attributes: &Value) -> Option<bool> {
        if let Some(known) = self.memo.borrow().get(name) {
            return Some(*known);
        }
        let audience = self.audiences.get(name)?;
        // Cycles are refused when rules compile; this bound is a second net.
        if *self.depth.borrow() > 32 {
            return Some(false);
        }
        *self.depth.borrow_mut() += 1;
        let result = audience.condition.eval(attributes, &self.context());
        *self.depth.borrow_mut() -= 1;
        self.memo.borrow_mut().insert(name.to_owned(), result);
        Some(result)
    }
}

impl Resolver<'_> {
    fn context(&self) -> EvalContext<'_> {
        EvalContext {
            saved_groups: self.saved_groups,
            audiences: self,
        }
    }
}

/// Decides what to do for a visitor (`attributes`) on `path` at `now`.
///
/// `secure` adds `Secure` to cookies (the request came over https). With `trace`, every rule of
/// the document gets a [`RuleTrace`], for `veneer explain`; without, only those whose pages
/// match, which is all the edge needs.
pub fn decide(
    rules: &CompiledRules,
    attributes: &Value,
    path: &str,
    now: DateTime<Utc>,
    secure: bool,
    trace: bool,
) -> Decision {
    let resolver = Resolver {
        audiences: &rules.audiences,
        saved_groups: &rules.saved_groups,
        memo: RefCell::default(),
        depth: RefCell::new(0),
    };
    let mut decision = Decision::default();
    let candidates = rules.index.candidates(path);
    let considered: Vec<usize> = if trace {
        (0..rules.rules.len()).collect()
    } else {
        candidates.clone()
    };
    for i in considered {
        let Some(rule) = rules.rules.get(i) else {
            continue;
        };
        let verdict = if candidates.binary_search(&i).is_err() {
            Err(format!("its pages do not include {path}"))
        } else {
            applies(rule, attributes, now, &resolver)
        };
        match verdict {
            Ok(reason) => {
                for action in &rule.actions {
                    render_action(action, attributes, secure, &mut decision);
                }
                decision.trace.push(RuleTrace {
                    id: rule.id.clone(),
                    applied: true,
                    reason,
                });
            }
            Err(reason) => decision.trace.push(RuleTrace {
                id: rule.id.clone(),
                applied: false,
                reason,
            }),
        }
    }
    let mut audiences: Vec<(String, bool)> = resolver.memo.into_inner().into_iter().collect();
    audiences.sort();
    decision.audiences = audiences;
    decision
}

fn applies(
    rule: &CompiledRule,
    attributes: &Value,
    now: DateTime<Utc>,
    resolver: &Resolver,
) -> Result<String, String> {
    if let Some(schedule) = &rule.schedule
        && !schedule.is_active(now)
    {
        return Err(format!("its schedule is not live at {}", now.to_rfc3339()));
    }
    match &rule.audience {
        Some(audience) if !audience.condition.eval(attributes, &resolver.context()) => Err(
            format!("the visitor is not in its audience {}", audience.source),
        ),
        Some(audience) => Ok(format!(
            "the visitor is in its audience {}",
            audience.source
        )),
        None => Ok("it applies to everyone on this page".into()),
    }
}

fn render_action(action: &Action, attrs: &Value, secure: bool, out: &mut Decision) {
    match action {
        Action::Element { selector, op, .. } => {
            let edit = match op {
                ElementOp::SetText(t) => Edit::SetText(t.render(attrs, Escape::Text)),
                ElementOp::SetHtml(t) => Edit::SetHtml(t.render(attrs, Escape::Html)),
                ElementOp::SetAttributes(pairs) => Edit::SetAttributes(
                    pairs
                        .iter()
                        .map(|(name, t)| {
                            let escape = if is_url_attribute(name) {
                                Escape::Url
                            } else {
                                Escape::Text
                            };
                            (name.clone(), t.render(attrs, escape))
                        })
                        .collect(),
                ),
                ElementOp::RemoveAttributes(names) => Edit::RemoveAttributes(names.clone()),
                ElementOp::AddClasses(names) => Edit::AddClasses(names.clone()),
                ElementOp::RemoveClasses(names) => Edit::RemoveClasses(names.clone()),
                ElementOp::SetStyle(pairs) => Edit::SetStyle(
                    pairs
                        .iter()
                        .map(|(prop, t)| (prop.clone(), t.render(attrs, Escape::Url)))
                        .collect(),
                ),
                ElementOp::Insert(position, t, html) => Edit::Insert {
                    position: *position,
                    content: t.render(attrs, if *html { Escape::Html } else { Escape::Text }),
                    html: *html,
                },
                ElementOp::Remove => Edit::Remove,
                ElementOp::Replace(t) => Edit::Replace(t.render(attrs, Escape::Html)),
                ElementOp::Unwrap => Edit::Unwrap,
            };
            out.plan.elements.push(ElementEdit {
                selector: selector.clone(),
                edit,
            });
        }
        Action::InjectHead(t) => out
            .plan
            .head
            .push(HeadInjection::new(&t.render(attrs, Escape::Html))),
        Action::AppendBody(t) => out.plan.body_end.push(t.render(attrs, Escape::Html)),
        Action::ReplaceText(r) => out.plan.text.push(r.clone()),
        Action::RewriteLinks { prefix, add_query } => out.plan.links.push(LinkRewrite {
            prefix: prefix.clone(),
            add_query: add_query
                .iter()
                .map(|(name, t)| (name.clone(), encode_component(t, attrs)))
                .collect(),
        }),
        Action::SetHeader(name, t) => {
            out.headers.retain(|(n, _)| n != name);
            out.headers
                .push((name.clone(), t.render(attrs, Escape::Header)));
        }
        Action::SetCookie(c) => {
            let mut cookie = format!(
                "{}={}; Path={}",
                c.name,
                cookie_octets(&c.value.render(attrs, Escape::Text)),
                c.path
            );
            if let Some(age) = c.max_age {
                cookie.push_str(&format!("; Max-Age={age}"));
            }
            cookie.push_str("; SameSite=Lax");
            if secure {
                cookie.push_str("; Secure");
            }
            out.cookies.push(cookie);
        }
        Action::Redirect { to, status } => {
            out.redirect = Some((*status, to.render(attrs, Escape::Url)));
        }
    }
}

/// Percent-encodes what RFC 6265 does not allow in a cookie value (space, `"`, `,`, `;`, `\\`,
/// controls, non-ASCII), so no value can end the cookie or add attributes.
fn cookie_octets(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E) && b != b'%' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Renders a template and percent-encodes all of it, for a query parameter value.
fn encode_component(t: &Template, attrs: &Value) -> String {
    let mut out = String::new();
    push_escaped(&mut out, &t.render(attrs, Escape::Text), Escape::Url);
    out
}

impl Decision {
    /// The decision as JSON, for `veneer explain` and the preview debug header.
    pub fn explain(&self) -> Value {
        json!({
            "rules": self.trace.iter().map(|t| json!({
                "id": t.id, "applied": t.applied, "reason": t.reason
            })).collect::<Vec<_>>(),
            "audiences": self.audiences.iter().map(|(n, m)| (n.clone(), Value::Bool(*m))).collect::<serde_json::Map<_, _>>(),
            "actions": {
                "elements": self.plan.elements.iter().map(|e| format!("{:?}", e.edit)).collect::<Vec<_>>(),
                "head": self.plan.head.len(),
                "body_end": self.plan.body_end.len(),
                "text_replacements": self.plan.text.len(),
                "link_rewrites": self.plan.links.len(),
            },
            "headers": self.headers.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
            "cookies": self.cookies,
            "redirect": self.redirect.as_ref().map(|(s, l)| json!({"status": s, "location": l})),
        })
    }
}
