//! Decisions: which rules apply to one visitor on one page, and what they change.
//!
//! Pure: `(compiled rules, visitor attributes, path, now) -> Decision`. The edge, `veneer render`
//! and `veneer explain` all call [`decide`], so a preview is exactly what production does.

use std::cell::RefCell;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::banner::banner;
use super::bucketing::{bucket_ranges, choose_variation, hash, in_namespace};
use super::explain::{AssignmentTrace, RuleTrace};
use super::merchandising::{claim, resolve};
use super::plan::{Edit, ElementEdit, HeadInjection, LinkRewrite, Plan};
use super::vary::varies;
use crate::condition::{Audiences, EvalContext};
use crate::document::{
    Action, Audience, CompiledRule, CompiledRules, ElementOp, Escape, Experiment, Status, Template,
    is_url_attribute, push_escaped,
};

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
    /// What happened in each experiment on this page.
    pub experiments: Vec<AssignmentTrace>,
    /// Whether this page may differ from one visitor to another (see
    /// [`CompiledRules::varies_by_visitor`]), even when nothing applied to this visitor: shared
    /// caches must not keep it.
    pub varies_by_visitor: bool,
}

/// Everything about one request that a decision depends on.
#[derive(Debug, Clone, Copy)]
pub struct Visit<'a> {
    /// Visitor attributes (see `context`); `id` is the visitor id, `bot` marks crawlers.
    pub attributes: &'a Value,
    /// The request path.
    pub path: &'a str,
    /// The edge clock.
    pub now: DateTime<Utc>,
    /// The request came over https (cookies get `Secure`).
    pub secure: bool,
    /// Assignments remembered from earlier visits: (experiment, variation).
    pub sticky: &'a [(String, String)],
    /// Whether the visitor consented (always true without consent mode).
    pub consent: bool,
    /// Whether this is a marketer's preview: drafts run and `forced` is honoured.
    pub preview: bool,
    /// Variations forced for QA (preview only): (experiment, variation).
    pub forced: &'a [(String, String)],
}

impl<'a> Visit<'a> {
    /// A plain visit: no remembered assignments, consent given, no preview.
    pub fn new(attributes: &'a Value, path: &'a str, now: DateTime<Utc>) -> Self {
        Self {
            attributes,
            path,
            now,
            secure: true,
            sticky: &[],
            consent: true,
            preview: false,
            forced: &[],
        }
    }
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

/// Decides what to do for one visit.
///
/// Rules apply first (by priority, then document order), then experiments (document order), so
/// a variation wins over a rule that changes the same thing. With `trace`, every rule of the
/// document gets a [`RuleTrace`], for `veneer explain`; without, only those whose pages match,
/// which is all the edge needs.
pub fn decide(rules: &CompiledRules, visit: &Visit, trace: bool) -> Decision {
    let Visit {
        attributes,
        path,
        now,
        ..
    } = *visit;
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
                    render_action(action, visit, &rule.id, &mut decision);
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
    let experiments = rules.experiment_index.candidates(path);
    decision.varies_by_visitor = varies(rules, &candidates, &experiments);
    for i in experiments {
        if let Some(experiment) = rules.experiments.get(i) {
            let (variation, outcome) = assign(experiment, visit, &resolver);
            if let Some(v) = variation.and_then(|v| experiment.variations.get(v)) {
                let source = format!("{}:{}", experiment.id, v.id);
                for action in &v.actions {
                    render_action(action, visit, &source, &mut decision);
                }
            }
            decision.experiments.push(outcome);
        }
    }
    resolve(&mut decision.plan.listings, attributes.get("query"));
    let mut audiences: Vec<(String, bool)> = resolver.memo.into_inner().into_iter().collect();
    audiences.sort();
    decision.audiences = audiences;
    decision
}

/// Which variation (index) a visitor gets in one experiment, and why.
fn assign(e: &Experiment, visit: &Visit, resolver: &Resolver) -> (Option<usize>, AssignmentTrace) {
    let outcome =
        |variation: Option<usize>, in_experiment: bool, remember: bool, reason: String| {
            (
                variation,
                AssignmentTrace {
                    experiment: e.id.clone(),
                    variation: variation
                        .and_then(|v| e.variations.get(v))
                        .map(|v| v.id.clone()),
                    in_experiment,
                    remember,
                    reason,
                },
            )
        };
    let control = Some(0);
    match e.status {
        Status::Draft if !visit.preview => {
            return outcome(None, false, false, "draft: only previews see it".into());
        }
        Status::Stopped { winner: Some(w) } => {
            return outcome(
                Some(w),
                false,
                false,
                "stopped: the winner goes to everyone".into(),
            );
        }
        Status::Stopped { winner: None } => {
            return outcome(None, false, false, "stopped without a winner".into());
        }
        // A draft in a preview runs as if it were live.
        Status::Draft | Status::Running => {}
    }
    if let Some(schedule) = &e.schedule
        && !schedule.is_active(visit.now)
    {
        return outcome(
            None,
            false,
            false,
            format!("its schedule is not live at {}", visit.now.to_rfc3339()),
        );
    }
    if let Some(audience) = &e.audience
        && !audience
            .condition
            .eval(visit.attributes, &resolver.context())
    {
        return outcome(
            None,
            false,
            false,
            format!("the visitor is not in its audience {}", audience.source),
        );
    }
    let find = |pairs: &[(String, String)]| {
        pairs
            .iter()
            .find(|(exp, _)| *exp == e.id)
            .and_then(|(_, var)| e.variations.iter().position(|v| v.id == *var))
    };
    if visit.preview
        && let Some(v) = find(visit.forced)
    {
        return outcome(Some(v), false, false, "forced by a preview".into());
    }
    if visit.attributes.get("bot") == Some(&Value::Bool(true)) {
        return outcome(
            control,
            false,
            false,
            "bots get the control and are not counted".into(),
        );
    }
    if !visit.consent {
        return outcome(
            control,
            false,
            false,
            "no consent yet: the control, not counted".into(),
        );
    }
    let Some(id) = visit.attributes.get("id").and_then(Value::as_str) else {
        return outcome(
            control,
            false,
            false,
            "no visitor id: the control, not counted".into(),
        );
    };
    if let Some(v) = find(visit.sticky) {
        return outcome(
            Some(v),
            true,
            false,
            "remembered from an earlier visit".into(),
        );
    }
    if let Some(ns) = &e.namespace
        && !in_namespace(id, ns)
    {
        return outcome(
            control,
            false,
            false,
            format!("outside its namespace {} [{}, {})", ns.id, ns.start, ns.end),
        );
    }
    let Some(n) = hash(&e.seed, id, e.hash_version) else {
        return outcome(control, false, false, "unsupported hash version".into());
    };
    let ranges = bucket_ranges(e.variations.len(), e.coverage, e.weights.as_deref());
    match choose_variation(n, &ranges) {
        Some(v) => outcome(Some(v), true, true, format!("bucketed at {n}")),
        None => outcome(
            control,
            false,
            false,
            format!("outside coverage {} (bucket {n})", e.coverage),
        ),
    }
}

fn applies(
    rule: &CompiledRule,
    attributes: &Value,
    now: DateTime<Utc>,
    resolver: &Resolver,
) -> Result<String, String> {
    let reason = applies_to_visitor(rule, attributes, now, resolver)?;
    Ok(match &rule.search {
        Some(search) => format!("{reason}; {}", search.describe()),
        None => reason,
    })
}

fn applies_to_visitor(
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
    if let Some(search) = &rule.search
        && !search.matches(attributes.get("query"))
    {
        return Err(format!("not a search where {}", search.describe()));
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

fn render_action(action: &Action, visit: &Visit, source: &str, out: &mut Decision) {
    let (attrs, secure) = (visit.attributes, visit.secure);
    match action {
        Action::Element {
            selector,
            op: ElementOp::ReplaceLabel(r),
            ..
        } => out.plan.labels.push((selector.clone(), r.clone())),
        Action::Listing(l) => claim(&mut out.plan.listings, l, source, |t| {
            t.render(attrs, Escape::Html)
        }),
        Action::Banner(b) => {
            let (edit, script) = banner(b, attrs);
            out.plan.elements.push(edit);
            if let Some(script) = script
                && !out.plan.head.contains(&script)
            {
                out.plan.head.push(script);
            }
        }
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
                        .map(|(prop, t)| (prop.clone(), t.render(attrs, Escape::Css)))
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
                // Handled above: text is replaced by the renderer's text handlers.
                ElementOp::ReplaceLabel(_) => return,
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
        Action::SetHeaders(pairs) => {
            for (name, t) in pairs {
                out.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
                out.headers
                    .push((name.clone(), t.render(attrs, Escape::Header)));
            }
        }
        // Consent mode: no cookie at all until the visitor agrees.
        Action::SetCookie(_) if !visit.consent => {}
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
