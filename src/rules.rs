//! The rules document: parsing, validation and compilation.
//!
//! A document is compiled once per version, never per request. Problems are collected with the
//! JSON path they concern; a rule with a problem is skipped and the other rules still run (the
//! pattern of Unleash's yggdrasil), while a document whose shape is wrong is refused as a whole.
//! See `docs/rules.md` for the language.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::rc::Rc;

use lol_html::Selector;
use serde_json::{Map, Value};

use crate::condition::Condition;
use crate::pages::{PageIndex, PagePattern};
use crate::rewrite::{InsertPosition, parse_selector};
use crate::schedule::Schedule;
use crate::template::Template;
use crate::text_replace::TextReplacement;

/// One mistake in a rules document, located by its JSON path so a marketer can find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where the problem is, e.g. `$.rules[2].actions[0].select`.
    pub path: String,
    /// What was expected and what was found.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Why a whole document was refused (nothing from it can run).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    /// The text is not JSON at all.
    #[error("rules are not valid JSON: {message} (line {line}, column {column})")]
    Json {
        /// serde_json's description of the syntax error.
        message: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
    },
    /// The JSON does not have the shape of a rules document.
    #[error("rules document is invalid: {}", join_problems(.0))]
    Document(Vec<Problem>),
}

fn join_problems(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A value-carrying element operation, as compiled: templates not yet filled in.
#[derive(Debug, Clone)]
pub enum ElementOp {
    /// Replace the content with text.
    SetText(Template),
    /// Replace the content with HTML.
    SetHtml(Template),
    /// Set attributes; `url` marks URL attributes, whose substitutions are percent-encoded.
    SetAttributes(Vec<(String, Template)>),
    /// Remove attributes.
    RemoveAttributes(Vec<String>),
    /// Add classes.
    AddClasses(Vec<String>),
    /// Remove classes.
    RemoveClasses(Vec<String>),
    /// Set inline style properties.
    SetStyle(Vec<(String, Template)>),
    /// Insert HTML (`html` true) or text around or inside the element.
    Insert(InsertPosition, Template, bool),
    /// Remove the element.
    Remove,
    /// Replace the element with HTML.
    Replace(Template),
    /// Keep the content, drop the tags.
    Unwrap,
}

/// A compiled action: what a rule does when it applies.
#[derive(Debug, Clone)]
pub enum Action {
    /// Change every element a selector matches.
    Element {
        /// The selector as written, for explanations.
        select: String,
        /// The parsed selector, shared by every request.
        selector: Rc<Selector>,
        /// The change.
        op: ElementOp,
    },
    /// Add HTML at the end of `<head>` (scripts and styles get the page's CSP nonce).
    InjectHead(Template),
    /// Add HTML at the end of `<body>`.
    AppendBody(Template),
    /// Find and replace text in the page.
    ReplaceText(TextReplacement),
    /// Add query parameters to links whose `href` starts with `prefix`.
    RewriteLinks {
        /// The `href` prefix of the links to change.
        prefix: String,
        /// Parameters to add (values are templates).
        add_query: Vec<(String, Template)>,
    },
    /// Set response headers (name, value), in order.
    SetHeaders(Vec<(String, Template)>),
    /// Set a cookie.
    SetCookie(CookieSpec),
    /// Redirect instead of serving the page.
    Redirect {
        /// Where to (a same-site path or an allowed host's URL).
        to: Template,
        /// 301, 302, 307 or 308.
        status: u16,
    },
}

impl Action {
    /// Whether what this action writes depends on the visitor (a `{{template}}` in a value).
    pub fn is_dynamic(&self) -> bool {
        let pairs = |p: &[(String, Template)]| p.iter().any(|(_, t)| t.is_dynamic());
        match self {
            Action::Element { op, .. } => match op {
                ElementOp::SetText(t)
                | ElementOp::SetHtml(t)
                | ElementOp::Insert(_, t, _)
                | ElementOp::Replace(t) => t.is_dynamic(),
                ElementOp::SetAttributes(p) | ElementOp::SetStyle(p) => pairs(p),
                ElementOp::RemoveAttributes(_)
                | ElementOp::AddClasses(_)
                | ElementOp::RemoveClasses(_)
                | ElementOp::Remove
                | ElementOp::Unwrap => false,
            },
            Action::InjectHead(t) | Action::AppendBody(t) => t.is_dynamic(),
            Action::SetHeaders(p) => pairs(p),
            Action::RewriteLinks { add_query, .. } => pairs(add_query),
            Action::SetCookie(c) => c.value.is_dynamic(),
            Action::Redirect { to, .. } => to.is_dynamic(),
            Action::ReplaceText(_) => false,
        }
    }
}

/// A cookie a rule sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieSpec {
    /// Cookie name (an HTTP token).
    pub name: String,
    /// Cookie value (a template).
    pub value: Template,
    /// `Path` attribute.
    pub path: String,
    /// `Max-Age` in seconds; none makes a session cookie.
    pub max_age: Option<u64>,
}

/// Who a rule is for: a condition over visitor attributes.
#[derive(Debug, Clone)]
pub struct Audience {
    /// The compiled condition.
    pub condition: Condition,
    /// The condition as written, for explanations.
    pub source: Value,
}

/// A rule ready to run.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    /// The marketer's id, used in logs and explanations.
    pub id: String,
    /// Higher applies later, so it wins conflicts; ties keep document order.
    pub priority: i64,
    /// Pages the rule applies to; empty means every page.
    pub pages: Vec<PagePattern>,
    /// Who the rule is for; none means everyone.
    pub audience: Option<Audience>,
    /// When the rule is live; none means always.
    pub schedule: Option<Schedule>,
    /// What the rule does, in order.
    pub actions: Vec<Action>,
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
}

/// A compiled document: the rules that compiled, plus the problems of those that did not.
#[derive(Debug, Clone, Default)]
pub struct CompiledRules {
    /// The document's `version`, as text, for logs.
    pub version: Option<String>,
    /// Settings for the whole document.
    pub settings: Settings,
    /// Named audiences (`$inGroup` and `"audience": "name"` refer to them).
    pub audiences: HashMap<String, Audience>,
    /// GrowthBook saved groups: lists of values for `{"attr": {"$inGroup": "group"}}`.
    pub saved_groups: HashMap<String, Vec<Value>>,
    /// Rules that compiled, in application order (priority, then document order).
    pub rules: Vec<CompiledRule>,
    /// Which rules can apply to which path.
    pub index: PageIndex,
    /// Experiments that compiled, in document order.
    pub experiments: Vec<Experiment>,
    /// Which experiments can apply to which path.
    pub experiment_index: PageIndex,
    /// Problems that made rules or audiences be skipped.
    pub problems: Vec<Problem>,
}

impl CompiledRules {
    /// Whether any rule or experiment may apply on `path` (decoded); when none can, the page
    /// passes through untouched, without looking at the visitor.
    pub fn applies_to(&self, path: &str) -> bool {
        !self.index.candidates(path).is_empty()
            || !self.experiment_index.candidates(path).is_empty()
    }
}

/// The default name of the visitor id cookie.
pub const DEFAULT_VISITOR_COOKIE: &str = "veneer_id";

/// Parses and compiles a rules document from its JSON text.
pub fn compile(text: &str) -> Result<CompiledRules, RulesError> {
    let value: Value = serde_json::from_str(text).map_err(|e| RulesError::Json {
        message: strip_position(&e.to_string()),
        line: e.line(),
        column: e.column(),
    })?;
    compile_value(&value)
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// Collects problems while walking a document.
#[derive(Default)]
struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    fn unknown_fields(&mut self, object: &Map<String, Value>, path: &str, known: &[&str]) {
        for key in object.keys().filter(|k| !known.contains(&k.as_str())) {
            self.push(
                format!("{path}.{key}"),
                format!(
                    "unknown field {key:?}; expected one of {}",
                    known.join(", ")
                ),
            );
        }
    }

    fn string<'v>(&mut self, value: &'v Value, path: &str) -> Option<&'v str> {
        let s = value.as_str();
        if s.is_none() {
            self.push(
                path,
                format!("expected a string, found {}", describe(value)),
            );
        }
        s
    }

    fn template(&mut self, value: &Value, path: &str) -> Option<Template> {
        let text = self.string(value, path)?;
        Template::parse(text).map_err(|e| self.push(path, e)).ok()
    }

    fn string_list(&mut self, value: &Value, path: &str, what: &str) -> Option<Vec<String>> {
        self.list(value, path, what, false)
    }

    fn list(
        &mut self,
        value: &Value,
        path: &str,
        what: &str,
        may_be_empty: bool,
    ) -> Option<Vec<String>> {
        let list = match value {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) if may_be_empty || !items.is_empty() => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    out.push(self.string(item, &format!("{path}[{i}]"))?.to_owned());
                }
                out
            }
            other => {
                self.push(
                    path,
                    format!(
                        "expected {what} or a non-empty list of them, found {}",
                        describe(other)
                    ),
                );
                return None;
            }
        };
        Some(list)
    }
}

/// Top-level fields of a document.
const DOCUMENT_FIELDS: &[&str] = &[
    "version",
    "settings",
    "audiences",
    "saved_groups",
    "rules",
    "experiments",
];
/// Fields of `settings`.
const SETTINGS_FIELDS: &[&str] = &[
    "visitor_cookie",
    "visitor_cookie_days",
    "consent_cookie",
    "consent_values",
    "redirect_hosts",
    "header_attributes",
];
/// Fields of an experiment.
const EXPERIMENT_FIELDS: &[&str] = &[
    "id",
    "description",
    "pages",
    "audience",
    "schedule",
    "status",
    "winner",
    "coverage",
    "seed",
    "hash_version",
    "namespace",
    "variations",
];
/// Fields of a rule.
const RULE_FIELDS: &[&str] = &[
    "id",
    "description",
    "pages",
    "audience",
    "schedule",
    "priority",
    "actions",
];

/// Compiles a rules document that is already parsed JSON.
pub fn compile_value(value: &Value) -> Result<CompiledRules, RulesError> {
    let Some(doc) = value.as_object() else {
        return Err(RulesError::Document(vec![Problem {
            path: "$".into(),
            message: format!("expected an object, found {}", describe(value)),
        }]));
    };
    let mut fatal = Checker::default();
    fatal.unknown_fields(doc, "$", DOCUMENT_FIELDS);
    let version = match doc.get("version") {
        None => None,
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            fatal.push(
                "$.version",
                format!("expected a number or a string, found {}", describe(other)),
            );
            None
        }
    };
    let settings = compile_settings(doc.get("settings"), &mut fatal);
    let rules = match doc.get("rules") {
        None => {
            fatal.push("$", "missing field \"rules\" (a list of rules)");
            &[][..]
        }
        Some(Value::Array(rules)) => rules.as_slice(),
        Some(other) => {
            fatal.push(
                "$.rules",
                format!("expected a list of rules, found {}", describe(other)),
            );
            &[][..]
        }
    };
    let saved_groups = compile_saved_groups(doc.get("saved_groups"), &mut fatal);
    let experiment_values = match doc.get("experiments") {
        None => &[][..],
        Some(Value::Array(list)) => list.as_slice(),
        Some(other) => {
            fatal.push(
                "$.experiments",
                format!("expected a list of experiments, found {}", describe(other)),
            );
            &[][..]
        }
    };
    let audience_values = match doc.get("audiences") {
        None => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(other) => {
            fatal.push(
                "$.audiences",
                format!(
                    "expected an object of audience names to conditions, found {}",
                    describe(other)
                ),
            );
            Map::new()
        }
    };
    if !fatal.problems.is_empty() {
        return Err(RulesError::Document(fatal.problems));
    }

    let mut check = Checker::default();
    let defined: HashSet<String> = audience_values.keys().cloned().collect();
    let mut audiences = HashMap::new();
    for (name, condition) in &audience_values {
        let path = format!("$.audiences.{name}");
        if let Some(a) = compile_condition(condition, &path, &mut check) {
            audiences.insert(name.clone(), a);
        }
    }
    drop_unknown_and_cyclic_audiences(&mut audiences, &defined, &mut check);

    let known = Known {
        settings: &settings,
        audiences: &audiences,
        defined: &defined,
    };
    let mut compiled = Vec::new();
    let mut ids = HashSet::new();
    for (i, rule) in rules.iter().enumerate() {
        let path = format!("$.rules[{i}]");
        let before = check.problems.len();
        let rule = compile_rule(rule, &path, &known, &mut check);
        if let Some(rule) = rule.filter(|_| check.problems.len() == before) {
            if ids.insert(rule.id.clone()) {
                compiled.push(rule);
            } else {
                check.push(
                    format!("{path}.id"),
                    format!("duplicate rule id {:?}; ids must be unique", rule.id),
                );
            }
        }
    }
    // Stable: equal priorities keep document order.
    compiled.sort_by_key(|r| r.priority);
    let index = PageIndex::new(compiled.iter().map(|r| r.pages.as_slice()));

    let mut experiments = Vec::new();
    let mut experiment_ids = HashSet::new();
    for (i, e) in experiment_values.iter().enumerate() {
        let path = format!("$.experiments[{i}]");
        let before = check.problems.len();
        let experiment = compile_experiment(e, &path, &known, &mut check);
        if let Some(e) = experiment.filter(|_| check.problems.len() == before) {
            if experiment_ids.insert(e.id.clone()) {
                experiments.push(e);
            } else {
                check.push(
                    format!("{path}.id"),
                    format!("duplicate experiment id {:?}; ids must be unique", e.id),
                );
            }
        }
    }
    let experiment_index = PageIndex::new(experiments.iter().map(|e| e.pages.as_slice()));
    Ok(CompiledRules {
        version,
        settings,
        audiences,
        saved_groups,
        rules: compiled,
        index,
        experiments,
        experiment_index,
        problems: check.problems,
    })
}

fn compile_settings(value: Option<&Value>, check: &mut Checker) -> Settings {
    let mut settings = Settings {
        visitor_cookie: DEFAULT_VISITOR_COOKIE.into(),
        visitor_cookie_days: 365,
        consent_values: vec!["yes".into(), "true".into(), "1".into()],
        ..Settings::default()
    };
    let Some(value) = value else {
        return settings;
    };
    let Some(object) = value.as_object() else {
        check.push(
            "$.settings",
            format!("expected an object, found {}", describe(value)),
        );
        return settings;
    };
    check.unknown_fields(object, "$.settings", SETTINGS_FIELDS);
    if let Some(v) = object.get("visitor_cookie")
        && let Some(name) = check.string(v, "$.settings.visitor_cookie")
    {
        if is_token(name) {
            settings.visitor_cookie = name.to_owned();
        } else {
            check.push(
                "$.settings.visitor_cookie",
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
                "$.settings.visitor_cookie_days",
                format!(
                    "expected whole days from 1 to 400 (browsers cap cookies at 400), found {}",
                    describe(v)
                ),
            ),
        }
    }
    if let Some(v) = object.get("consent_cookie")
        && let Some(name) = check.string(v, "$.settings.consent_cookie")
    {
        if is_token(name) {
            settings.consent_cookie = Some(name.to_owned());
        } else {
            check.push(
                "$.settings.consent_cookie",
                format!("expected a cookie name, found {name:?}"),
            );
        }
    }
    if let Some(v) = object.get("consent_values")
        && let Some(list) = check.string_list(v, "$.settings.consent_values", "a value")
    {
        settings.consent_values = list;
    }
    for (key, target) in [
        ("redirect_hosts", &mut settings.redirect_hosts),
        ("header_attributes", &mut settings.header_attributes),
    ] {
        if let Some(v) = object.get(key) {
            let path = format!("$.settings.{key}");
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
                            format!("{path}[{i}]"),
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
    settings
}

fn compile_saved_groups(value: Option<&Value>, check: &mut Checker) -> HashMap<String, Vec<Value>> {
    let mut groups = HashMap::new();
    match value {
        None => {}
        Some(Value::Object(map)) => {
            for (name, members) in map {
                match members {
                    Value::Array(list) => {
                        groups.insert(name.clone(), list.clone());
                    }
                    other => check.push(
                        format!("$.saved_groups.{name}"),
                        format!("expected a list of values, found {}", describe(other)),
                    ),
                }
            }
        }
        Some(other) => check.push(
            "$.saved_groups",
            format!(
                "expected an object of group names to lists of values, found {}",
                describe(other)
            ),
        ),
    }
    groups
}

fn compile_condition(value: &Value, path: &str, check: &mut Checker) -> Option<Audience> {
    let (condition, errors) = Condition::compile(value);
    for e in &errors {
        let at = e.path.replace('/', ".");
        check.push(format!("{path}{at}"), e.message.clone());
    }
    errors.is_empty().then(|| Audience {
        condition,
        source: value.clone(),
    })
}

/// Removes audiences that refer to unknown audiences or to themselves through others.
fn drop_unknown_and_cyclic_audiences(
    audiences: &mut HashMap<String, Audience>,
    defined: &HashSet<String>,
    check: &mut Checker,
) {
    let mut names: Vec<String> = audiences.keys().cloned().collect();
    names.sort();
    let mut bad = Vec::new();
    for name in &names {
        let mut stack = vec![(name.clone(), vec![name.clone()])];
        while let Some((at, trail)) = stack.pop() {
            let Some(audience) = audiences.get(&at) else {
                continue;
            };
            for next in audience.condition.referenced_audiences() {
                if !audiences.contains_key(next) {
                    check.push(
                        format!("$.audiences.{name}"),
                        unknown_audience(next, defined),
                    );
                    bad.push(name.clone());
                } else if trail.iter().any(|t| t == next) {
                    let mut cycle = trail.clone();
                    cycle.push(next.to_owned());
                    check.push(
                        format!("$.audiences.{name}"),
                        format!(
                            "audiences refer to each other in a loop: {}",
                            cycle.join(" -> ")
                        ),
                    );
                    bad.push(name.clone());
                } else if trail.len() < 32 {
                    let mut longer = trail.clone();
                    longer.push(next.to_owned());
                    stack.push((next.to_owned(), longer));
                }
            }
            if bad.last() == Some(name) {
                break;
            }
        }
    }
    for name in bad {
        audiences.remove(&name);
    }
}

/// What rules and experiments are compiled against: the settings and the audiences.
struct Known<'a> {
    settings: &'a Settings,
    /// Audiences that compiled.
    audiences: &'a HashMap<String, Audience>,
    /// Every audience name the document defines, valid or not.
    defined: &'a HashSet<String>,
}

/// Opens a rule or experiment object: its type, its fields, its optional description.
fn entry<'v>(
    value: &'v Value,
    path: &str,
    what: &str,
    fields: &[&str],
    check: &mut Checker,
) -> Option<&'v Map<String, Value>> {
    let Some(object) = value.as_object() else {
        check.push(
            path,
            format!("expected {what} object, found {}", describe(value)),
        );
        return None;
    };
    check.unknown_fields(object, path, fields);
    if let Some(d) = object.get("description").filter(|d| !d.is_string()) {
        check.push(
            format!("{path}.description"),
            format!("expected a string, found {}", describe(d)),
        );
    }
    Some(object)
}

fn unknown_audience(name: &str, defined: &HashSet<String>) -> String {
    if defined.contains(name) {
        format!(
            "audience {name:?} is invalid (see its own problems under $.audiences), so this is skipped too"
        )
    } else {
        format!("unknown audience {name:?}; define it under \"audiences\"")
    }
}

/// Where, for whom and when: the targeting shared by rules and experiments.
struct Targeting {
    pages: Vec<PagePattern>,
    audience: Option<Audience>,
    schedule: Option<Schedule>,
}

fn compile_targeting(
    rule: &Map<String, Value>,
    path: &str,
    known: &Known,
    check: &mut Checker,
) -> Targeting {
    let (audiences, defined) = (known.audiences, known.defined);
    let mut pages = Vec::new();
    match rule.get("pages") {
        None => {}
        Some(Value::Array(list)) if list.is_empty() => check.push(
            format!("{path}.pages"),
            "an empty list matches no page; remove \"pages\" to target every page, or use [\"*\"]",
        ),
        Some(Value::Array(list)) => {
            for (j, p) in list.iter().enumerate() {
                let at = format!("{path}.pages[{j}]");
                match p.as_str().map(PagePattern::parse) {
                    Some(Ok(p)) => pages.push(p),
                    Some(Err(e)) => check.push(at, e.0),
                    None => check.push(
                        at,
                        format!("expected a path pattern string, found {}", describe(p)),
                    ),
                }
            }
        }
        Some(other) => check.push(
            format!("{path}.pages"),
            format!(
                "expected a list of path patterns like [\"/\", \"/c/*\"], found {}",
                describe(other)
            ),
        ),
    }
    let audience = match rule.get("audience") {
        None => None,
        Some(Value::String(name)) => {
            if !audiences.contains_key(name) {
                check.push(format!("{path}.audience"), unknown_audience(name, defined));
            }
            let condition = serde_json::json!({ "$inGroup": name });
            compile_condition(&condition, &format!("{path}.audience"), check)
        }
        Some(condition) => {
            let at = format!("{path}.audience");
            let audience = compile_condition(condition, &at, check);
            for name in audience
                .iter()
                .flat_map(|a| a.condition.referenced_audiences())
            {
                if !audiences.contains_key(name) {
                    check.push(at.clone(), unknown_audience(name, defined));
                }
            }
            audience
        }
    };
    let schedule = rule.get("schedule").and_then(|s| match Schedule::parse(s) {
        Ok(s) => Some(s),
        Err(errors) => {
            for e in errors {
                check.push(format!("{path}.schedule{}", e.path), e.message);
            }
            None
        }
    });
    Targeting {
        pages,
        audience,
        schedule,
    }
}

fn compile_rule(
    value: &Value,
    path: &str,
    known: &Known,
    check: &mut Checker,
) -> Option<CompiledRule> {
    let rule = entry(value, path, "a rule", RULE_FIELDS, check)?;
    let id = match rule.get("id") {
        Some(Value::String(id)) if !id.trim().is_empty() => Some(id.clone()),
        Some(other) => {
            check.push(
                format!("{path}.id"),
                format!("expected a non-empty string, found {}", describe(other)),
            );
            None
        }
        None => {
            check.push(path, "missing field \"id\" (a unique name for the rule)");
            None
        }
    };
    let priority = match rule.get("priority") {
        None => 0,
        Some(v) => v.as_i64().unwrap_or_else(|| {
            check.push(
                format!("{path}.priority"),
                format!("expected a whole number, found {}", describe(v)),
            );
            0
        }),
    };
    let Targeting {
        pages,
        audience,
        schedule,
    } = compile_targeting(rule, path, known, check);
    let mut actions = Vec::new();
    match rule.get("actions") {
        Some(Value::Array(list)) => {
            for (j, a) in list.iter().enumerate() {
                let at = format!("{path}.actions[{j}]");
                if let Some(action) = compile_action(a, &at, known.settings, check) {
                    actions.push(action);
                }
            }
        }
        Some(other) => check.push(
            format!("{path}.actions"),
            format!("expected a list of actions, found {}", describe(other)),
        ),
        None => check.push(path, "missing field \"actions\" (a list of actions)"),
    }
    Some(CompiledRule {
        id: id?,
        priority,
        pages,
        audience,
        schedule,
        actions,
    })
}

/// What kind of value an operation takes, for validation and for the JSON Schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// A template string of HTML.
    Html,
    /// A template string of text.
    Text,
    /// `true`.
    True,
    /// An object of names to template strings.
    Map,
    /// A name or a list of names.
    Names,
    /// An operation-specific object, described in the docs.
    Object,
}

/// Operations on selected elements: name, value kind, one-line description.
pub const ELEMENT_OPERATIONS: &[(&str, ValueKind, &str)] = &[
    ("set_text", ValueKind::Text, "replace the content with text"),
    ("set_html", ValueKind::Html, "replace the content with HTML"),
    (
        "set_attribute",
        ValueKind::Map,
        "set attributes (name to value)",
    ),
    ("remove_attribute", ValueKind::Names, "remove attributes"),
    ("add_class", ValueKind::Names, "add classes"),
    ("remove_class", ValueKind::Names, "remove classes"),
    (
        "set_style",
        ValueKind::Map,
        "set inline style properties (property to value)",
    ),
    (
        "insert_before",
        ValueKind::Html,
        "insert HTML before the element",
    ),
    (
        "insert_after",
        ValueKind::Html,
        "insert HTML after the element",
    ),
    (
        "prepend",
        ValueKind::Html,
        "insert HTML at the start of the content",
    ),
    (
        "append",
        ValueKind::Html,
        "insert HTML at the end of the content",
    ),
    (
        "insert_text_before",
        ValueKind::Text,
        "insert text before the element",
    ),
    (
        "insert_text_after",
        ValueKind::Text,
        "insert text after the element",
    ),
    (
        "prepend_text",
        ValueKind::Text,
        "insert text at the start of the content",
    ),
    (
        "append_text",
        ValueKind::Text,
        "insert text at the end of the content",
    ),
    (
        "remove",
        ValueKind::True,
        "remove the element and its content",
    ),
    ("replace", ValueKind::Html, "replace the element with HTML"),
    (
        "unwrap",
        ValueKind::True,
        "remove the element's tags, keep its content",
    ),
];

/// Operations on the whole page or response (no `select`): name, value kind, description.
pub const PAGE_OPERATIONS: &[(&str, ValueKind, &str)] = &[
    (
        "inject_head",
        ValueKind::Html,
        "add HTML at the end of <head> (scripts and styles get the page's CSP nonce)",
    ),
    (
        "append_body",
        ValueKind::Html,
        "add HTML at the end of <body>",
    ),
    (
        "replace_text",
        ValueKind::Object,
        "find and replace text: {\"find\"|\"regex\": ..., \"with\": ...}",
    ),
    (
        "rewrite_links",
        ValueKind::Object,
        "add query parameters to links: {\"prefix\": \"/c/\", \"add_query\": {...}}",
    ),
    (
        "set_header",
        ValueKind::Map,
        "set response headers (name to value)",
    ),
    (
        "set_cookie",
        ValueKind::Object,
        "set a cookie: {\"name\", \"value\", \"max_age\"?, \"path\"?}",
    ),
    (
        "redirect",
        ValueKind::Object,
        "redirect: {\"to\": \"/sale\", \"status\": 302}",
    ),
];

/// Attributes whose values are URLs: substitutions into them are percent-encoded.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "poster",
    "cite",
    "data",
];

/// Headers a rule may not set: they belong to the transport or to other actions.
const RESERVED_HEADERS: &[&str] = &[
    "set-cookie",
    "content-length",
    "content-encoding",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "location",
];

fn compile_action(
    value: &Value,
    path: &str,
    settings: &Settings,
    check: &mut Checker,
) -> Option<Action> {
    let Some(action) = value.as_object() else {
        check.push(
            path,
            format!("expected an action object, found {}", describe(value)),
        );
        return None;
    };
    let element_op = ELEMENT_OPERATIONS
        .iter()
        .filter(|(k, _, _)| action.contains_key(*k));
    let page_op = PAGE_OPERATIONS
        .iter()
        .filter(|(k, _, _)| action.contains_key(*k));
    let present: Vec<&str> = element_op.chain(page_op).map(|(k, _, _)| *k).collect();
    let is_element = action.contains_key("select");
    let mut known = vec!["select"];
    known.extend(ELEMENT_OPERATIONS.iter().map(|(k, _, _)| *k));
    known.extend(PAGE_OPERATIONS.iter().map(|(k, _, _)| *k));
    check.unknown_fields(action, path, &known);
    let op_name = match present.as_slice() {
        [one] => *one,
        [] => {
            check.push(
                path,
                format!(
                    "expected one operation: with \"select\", one of {}; without, one of {}",
                    names(ELEMENT_OPERATIONS),
                    names(PAGE_OPERATIONS)
                ),
            );
            return None;
        }
        many => {
            check.push(
                path,
                format!(
                    "expected exactly one operation per action, found {}",
                    many.join(", ")
                ),
            );
            return None;
        }
    };
    let raw = &action[op_name];
    let at = format!("{path}.{op_name}");
    let is_page_op = PAGE_OPERATIONS.iter().any(|(k, _, _)| *k == op_name);
    if is_page_op && is_element {
        check.push(
            format!("{path}.select"),
            format!("{op_name} applies to the whole page and takes no \"select\""),
        );
        return None;
    }
    if !is_page_op && !is_element {
        check.push(
            path,
            "missing field \"select\" (the CSS selector of the elements to change)",
        );
        return None;
    }
    if is_page_op {
        return compile_page_action(op_name, raw, &at, settings, check);
    }
    let select = check.string(&action["select"], &format!("{path}.select"))?;
    let selector = parse_selector(select)
        .map_err(|e| check.push(format!("{path}.select"), e))
        .ok();
    let op = compile_element_op(op_name, raw, &at, check)?;
    Some(Action::Element {
        select: select.to_owned(),
        selector: Rc::new(selector?),
        op,
    })
}

fn names(ops: &[(&str, ValueKind, &str)]) -> String {
    ops.iter()
        .map(|(k, _, _)| *k)
        .collect::<Vec<_>>()
        .join(", ")
}

fn compile_element_op(name: &str, raw: &Value, at: &str, check: &mut Checker) -> Option<ElementOp> {
    let insert = |position, html, check: &mut Checker| {
        Some(ElementOp::Insert(position, check.template(raw, at)?, html))
    };
    let yes = |check: &mut Checker| {
        if raw == &Value::Bool(true) {
            Some(())
        } else {
            check.push(at, format!("expected true, found {}", describe(raw)));
            None
        }
    };
    Some(match name {
        "set_text" => ElementOp::SetText(check.template(raw, at)?),
        "set_html" => ElementOp::SetHtml(check.template(raw, at)?),
        "set_attribute" => ElementOp::SetAttributes(lowercase_names(compile_map(
            raw,
            at,
            check,
            is_attribute_name,
            "an attribute name (letters, digits, \"-\", \"_\", \":\", \".\"; event handlers such as onclick are not allowed)",
        )?)),
        "set_style" => ElementOp::SetStyle(lowercase_names(compile_map(
            raw,
            at,
            check,
            is_css_property,
            "a CSS property name like \"background-color\"",
        )?)),
        "remove_attribute" => ElementOp::RemoveAttributes(names_of(
            raw,
            at,
            check,
            is_removable_attribute,
            "an attribute name",
        )?),
        "add_class" => ElementOp::AddClasses(names_of(
            raw,
            at,
            check,
            is_class,
            "a class name without spaces",
        )?),
        "remove_class" => ElementOp::RemoveClasses(names_of(
            raw,
            at,
            check,
            is_class,
            "a class name without spaces",
        )?),
        "insert_before" => return insert(InsertPosition::Before, true, check),
        "insert_after" => return insert(InsertPosition::After, true, check),
        "prepend" => return insert(InsertPosition::Prepend, true, check),
        "append" => return insert(InsertPosition::Append, true, check),
        "insert_text_before" => return insert(InsertPosition::Before, false, check),
        "insert_text_after" => return insert(InsertPosition::After, false, check),
        "prepend_text" => return insert(InsertPosition::Prepend, false, check),
        "append_text" => return insert(InsertPosition::Append, false, check),
        "remove" => yes(check).map(|()| ElementOp::Remove)?,
        "unwrap" => yes(check).map(|()| ElementOp::Unwrap)?,
        _ => ElementOp::Replace(check.template(raw, at)?),
    })
}

fn compile_map(
    raw: &Value,
    at: &str,
    check: &mut Checker,
    valid: fn(&str) -> bool,
    what: &str,
) -> Option<Vec<(String, Template)>> {
    let Some(map) = raw.as_object().filter(|m| !m.is_empty()) else {
        check.push(
            at,
            format!(
                "expected an object of names to values, like {{\"href\": \"/sale\"}}, found {}",
                describe(raw)
            ),
        );
        return None;
    };
    let before = check.problems.len();
    let mut pairs = Vec::with_capacity(map.len());
    for (name, value) in map {
        let path = format!("{at}.{name}");
        if !valid(name) {
            check.push(path, format!("expected {what}, found {name:?}"));
        } else if let Some(t) = check.template(value, &path) {
            pairs.push((name.clone(), t));
        }
    }
    (check.problems.len() == before).then_some(pairs)
}

/// HTML attribute and CSS property names are case-insensitive: keep one spelling.
fn lowercase_names(pairs: Vec<(String, Template)>) -> Vec<(String, Template)> {
    pairs
        .into_iter()
        .map(|(name, t)| (name.to_ascii_lowercase(), t))
        .collect()
}

fn names_of(
    raw: &Value,
    at: &str,
    check: &mut Checker,
    valid: fn(&str) -> bool,
    what: &str,
) -> Option<Vec<String>> {
    let list = check.string_list(raw, at, what)?;
    let before = check.problems.len();
    for (i, name) in list.iter().enumerate() {
        if !valid(name) {
            let path = if raw.is_array() {
                format!("{at}[{i}]")
            } else {
                at.to_owned()
            };
            check.push(path, format!("expected {what}, found {name:?}"));
        }
    }
    (check.problems.len() == before).then_some(list)
}

fn object_fields<'v>(
    raw: &'v Value,
    at: &str,
    check: &mut Checker,
    known: &[&str],
    example: &str,
) -> Option<&'v Map<String, Value>> {
    let Some(object) = raw.as_object() else {
        check.push(
            at,
            format!("expected an object like {example}, found {}", describe(raw)),
        );
        return None;
    };
    check.unknown_fields(object, at, known);
    Some(object)
}

fn compile_page_action(
    name: &str,
    raw: &Value,
    at: &str,
    settings: &Settings,
    check: &mut Checker,
) -> Option<Action> {
    let before = check.problems.len();
    let action = match name {
        "inject_head" => Action::InjectHead(check.template(raw, at)?),
        "append_body" => Action::AppendBody(check.template(raw, at)?),
        "replace_text" => {
            let o = object_fields(
                raw,
                at,
                check,
                &["find", "regex", "with"],
                "{\"find\": \"€129\", \"with\": \"€99\"}",
            )?;
            let with = o
                .get("with")
                .and_then(|w| check.string(w, &format!("{at}.with")));
            let replacement = match (o.get("find"), o.get("regex")) {
                (Some(f), None) => check.string(f, &format!("{at}.find")).and_then(|f| {
                    TextReplacement::literal(f, with?)
                        .map_err(|e| check.push(format!("{at}.find"), e))
                        .ok()
                }),
                (None, Some(r)) => check.string(r, &format!("{at}.regex")).and_then(|r| {
                    TextReplacement::regex(r, with?)
                        .map_err(|e| check.push(format!("{at}.regex"), e))
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
            Action::ReplaceText(replacement?)
        }
        "rewrite_links" => {
            let o = object_fields(
                raw,
                at,
                check,
                &["prefix", "add_query"],
                "{\"prefix\": \"/c/\", \"add_query\": {\"utm_source\": \"veneer\"}}",
            )?;
            let prefix = match o.get("prefix") {
                Some(p) => check.string(p, &format!("{at}.prefix")).map(str::to_owned),
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
                    &format!("{at}.add_query"),
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
        "set_header" => {
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
                    check.push(format!("{at}.{name}"), format!("{lower} cannot be set by a rule; use set_cookie for cookies and redirect for Location"));
                } else if has_control(value) {
                    check.push(
                        format!("{at}.{name}"),
                        "header values cannot contain line breaks or control characters",
                    );
                } else if !value.literal_text().is_ascii() {
                    check.push(format!("{at}.{name}"), "header values must be ASCII; percent-encode other characters (Z%C3%BCrich)");
                }
            }
            Action::SetHeaders(pairs)
        }
        "set_cookie" => {
            let o = object_fields(
                raw,
                at,
                check,
                &["name", "value", "max_age", "path"],
                "{\"name\": \"promo\", \"value\": \"bf\", \"max_age\": 86400}",
            )?;
            let name = o
                .get("name")
                .and_then(|n| check.string(n, &format!("{at}.name")))
                .map(str::to_owned);
            if let Some(n) = &name
                && !is_token(n)
            {
                check.push(
                    format!("{at}.name"),
                    format!(
                        "expected a cookie name (letters, digits, !#$%&'*+-.^_`|~), found {n:?}"
                    ),
                );
            }
            if o.get("name").is_none() {
                check.push(at, "missing field \"name\"");
            }
            let value = match o.get("value") {
                Some(v) => check.template(v, &format!("{at}.value")),
                None => {
                    check.push(at, "missing field \"value\"");
                    None
                }
            };
            if let Some(v) = &value
                && has_control(v)
            {
                check.push(
                    format!("{at}.value"),
                    "cookie values cannot contain line breaks or control characters",
                );
            }
            let max_age = match o.get("max_age") {
                None => None,
                Some(v) => match v.as_u64() {
                    Some(s) if s <= 400 * 24 * 3600 => Some(s),
                    _ => {
                        check.push(
                            format!("{at}.max_age"),
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
                Some(p) => match check.string(p, &format!("{at}.path")) {
                    Some(p)
                        if p.starts_with('/')
                            && !p.contains([';', ','])
                            && !p.chars().any(char::is_control) =>
                    {
                        p.to_owned()
                    }
                    Some(p) => {
                        check.push(
                            format!("{at}.path"),
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
        _ => {
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
                            format!("{at}.status"),
                            format!("expected 301, 302, 307 or 308, found {}", describe(v)),
                        );
                        302
                    }
                },
            };
            let to = match o.get("to") {
                Some(t) => check.template(t, &format!("{at}.to")),
                None => {
                    check.push(at, "missing field \"to\" (where to send the visitor)");
                    None
                }
            }?;
            if let Err(e) = safe_redirect(&to, &settings.redirect_hosts) {
                check.push(format!("{at}.to"), e);
            }
            Action::Redirect { to, status }
        }
    };
    (check.problems.len() == before).then_some(action)
}

/// Refuses redirect targets that could send visitors off-site.
///
/// Allowed: a path on this site (`/sale`, not `//host` or `/\host`), or an `https://`/`http://`
/// URL whose host is listed in `settings.redirect_hosts`. The part before the first template
/// must settle this on its own, since request data cannot be trusted to.
fn safe_redirect(to: &Template, allowed_hosts: &[String]) -> Result<(), String> {
    let literal = to.literal_prefix();
    if literal
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return Err(format!(
            "redirect target {literal:?} contains a backslash, a space or a control character"
        ));
    }
    if let Some(rest) = literal.strip_prefix('/') {
        if rest.starts_with('/') {
            return Err(format!(
                "redirect target {literal:?} starts with \"//\", which browsers read as another site; write a path like \"/sale\""
            ));
        }
        return Ok(());
    }
    let lower = literal.to_ascii_lowercase();
    let after_scheme = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    let Some(after_scheme) = after_scheme else {
        return Err(format!(
            "redirect target {literal:?} must be a path like \"/sale\" or an http(s) URL of a host listed in settings.redirect_hosts"
        ));
    };
    let host_end = after_scheme.find(['/', '?', '#']);
    let Some(host_end) = host_end else {
        if to.is_dynamic() {
            return Err(format!(
                "redirect target {literal:?} must end its host with \"/\" before any {{{{template}}}}"
            ));
        }
        return check_host(after_scheme, allowed_hosts);
    };
    check_host(&after_scheme[..host_end], allowed_hosts)
}

fn check_host(authority: &str, allowed: &[String]) -> Result<(), String> {
    let host = authority.rsplit_once(':').map_or(authority, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            authority
        }
    });
    if authority.contains('@') || !allowed.iter().any(|a| a == host) {
        return Err(format!(
            "redirect host {host:?} is not listed in settings.redirect_hosts; list it there to allow it"
        ));
    }
    Ok(())
}

fn has_control(t: &Template) -> bool {
    t.literal_text().chars().any(char::is_control)
}

/// Whether an experiment runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Being prepared: only previews see it.
    Draft,
    /// Visitors are assigned and see their variation.
    Running,
    /// Over: nobody is assigned; the winner, if named, goes to everyone.
    Stopped {
        /// Index of the winning variation.
        winner: Option<usize>,
    },
}

/// One arm of an experiment.
#[derive(Debug, Clone)]
pub struct Variation {
    /// The variation's id (the first variation is the control).
    pub id: String,
    /// What visitors in this variation get.
    pub actions: Vec<Action>,
}

/// An A/B experiment: GrowthBook-compatible bucketing over the visitor id.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// The experiment's id (also its default hash seed).
    pub id: String,
    /// Pages it runs on; empty means every page.
    pub pages: Vec<PagePattern>,
    /// Who may enter.
    pub audience: Option<Audience>,
    /// When it runs.
    pub schedule: Option<Schedule>,
    /// Draft, running or stopped.
    pub status: Status,
    /// Share of the audience that enters (0 to 1).
    pub coverage: f64,
    /// Hash seed.
    pub seed: String,
    /// GrowthBook hash version, 1 or 2.
    pub hash_version: u32,
    /// Mutual exclusion with other experiments in the same namespace.
    pub namespace: Option<crate::bucketing::Namespace>,
    /// Weights, when not equal.
    pub weights: Option<Vec<f64>>,
    /// The variations; the first is the control.
    pub variations: Vec<Variation>,
}

/// Whether an id fits in cookies and query parameters: 1 to 64 of `A-Z a-z 0-9 _ -`.
pub fn is_simple_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn simple_id(value: Option<&Value>, path: &str, what: &str, check: &mut Checker) -> Option<String> {
    match value {
        Some(Value::String(id)) if is_simple_id(id) => Some(id.clone()),
        Some(other) => {
            check.push(
                path,
                format!(
                    "expected {what} of 1 to 64 letters, digits, \"_\" or \"-\", found {}",
                    describe(other)
                ),
            );
            None
        }
        None => {
            let (at, field) = path.rsplit_once('.').unwrap_or((path, "id"));
            check.push(at, format!("missing field {field:?} ({what})"));
            None
        }
    }
}

fn unit_interval(value: &Value, path: &str, check: &mut Checker) -> Option<f64> {
    match value.as_f64() {
        Some(x) if (0.0..=1.0).contains(&x) => Some(x),
        _ => {
            check.push(
                path,
                format!("expected a number from 0 to 1, found {}", describe(value)),
            );
            None
        }
    }
}

fn compile_experiment(
    value: &Value,
    path: &str,
    known: &Known,
    check: &mut Checker,
) -> Option<Experiment> {
    let e = entry(value, path, "an experiment", EXPERIMENT_FIELDS, check)?;
    let id = simple_id(
        e.get("id"),
        &format!("{path}.id"),
        "an experiment id",
        check,
    );
    let Targeting {
        pages,
        audience,
        schedule,
    } = compile_targeting(e, path, known, check);
    let coverage = match e.get("coverage") {
        None => 1.0,
        Some(v) => unit_interval(v, &format!("{path}.coverage"), check).unwrap_or(1.0),
    };
    let hash_version = match e.get("hash_version") {
        None => 2,
        Some(v) => match v.as_u64() {
            Some(n @ (1 | 2)) => n as u32,
            _ => {
                check.push(
                    format!("{path}.hash_version"),
                    format!("expected 1 or 2, found {}", describe(v)),
                );
                2
            }
        },
    };
    let seed = match e.get("seed") {
        None => id.clone().unwrap_or_default(),
        Some(v) => check
            .string(v, &format!("{path}.seed"))
            .unwrap_or_default()
            .to_owned(),
    };
    let namespace = e.get("namespace").and_then(|ns| {
        let at = format!("{path}.namespace");
        let o = object_fields(
            ns,
            &at,
            check,
            &["id", "start", "end"],
            "{\"id\": \"home\", \"start\": 0, \"end\": 0.5}",
        )?;
        let ns_id = o
            .get("id")
            .and_then(|v| check.string(v, &format!("{at}.id")))
            .map(str::to_owned);
        let start = o
            .get("start")
            .and_then(|v| unit_interval(v, &format!("{at}.start"), check));
        let end = o
            .get("end")
            .and_then(|v| unit_interval(v, &format!("{at}.end"), check));
        if let (Some(s), Some(t)) = (start, end)
            && t <= s
        {
            check.push(
                format!("{at}.end"),
                format!("the range must end after it starts ({s} < {t})"),
            );
        }
        if o.get("id").is_none() || o.get("start").is_none() || o.get("end").is_none() {
            check.push(at, "a namespace needs \"id\", \"start\" and \"end\"");
        }
        Some(crate::bucketing::Namespace {
            id: ns_id?,
            start: start?,
            end: end?,
        })
    });
    let mut variations = Vec::new();
    let mut weights = Vec::new();
    let mut variation_ids = HashSet::new();
    match e.get("variations") {
        Some(Value::Array(list)) if list.len() >= 2 && list.len() <= 100 => {
            for (i, v) in list.iter().enumerate() {
                let at = format!("{path}.variations[{i}]");
                let Some(o) = object_fields(
                    v,
                    &at,
                    check,
                    &["id", "weight", "actions"],
                    "{\"id\": \"control\", \"actions\": []}",
                ) else {
                    continue;
                };
                let vid = simple_id(o.get("id"), &format!("{at}.id"), "a variation id", check);
                if let Some(w) = o.get("weight") {
                    weights.push(unit_interval(w, &format!("{at}.weight"), check).unwrap_or(0.0));
                }
                let mut actions = Vec::new();
                match o.get("actions") {
                    Some(Value::Array(list)) => {
                        for (j, a) in list.iter().enumerate() {
                            if let Some(a) = compile_action(
                                a,
                                &format!("{at}.actions[{j}]"),
                                known.settings,
                                check,
                            ) {
                                actions.push(a);
                            }
                        }
                    }
                    None => {}
                    Some(other) => check.push(
                        format!("{at}.actions"),
                        format!("expected a list of actions, found {}", describe(other)),
                    ),
                }
                if let Some(vid) = vid {
                    if !variation_ids.insert(vid.clone()) {
                        check.push(
                            format!("{at}.id"),
                            format!("duplicate variation id {vid:?}"),
                        );
                    }
                    variations.push(Variation { id: vid, actions });
                }
            }
        }
        Some(other) => check.push(
            format!("{path}.variations"),
            format!(
                "expected a list of 2 to 100 variations (the first is the control), found {}",
                match other {
                    Value::Array(l) => format!("{} variation(s)", l.len()),
                    v => describe(v),
                }
            ),
        ),
        None => check.push(
            path,
            "missing field \"variations\" (at least two; the first is the control)",
        ),
    }
    let weights = match weights.len() {
        0 => None,
        n if n == variations.len() => {
            let sum: f64 = weights.iter().sum();
            if !(0.99..=1.01).contains(&sum) {
                check.push(
                    format!("{path}.variations"),
                    format!("weights must add up to 1, found {sum}"),
                );
            }
            Some(weights)
        }
        _ => {
            check.push(
                format!("{path}.variations"),
                "give every variation a weight, or none (equal split)",
            );
            None
        }
    };
    let status = match e.get("status").map(|s| (s, s.as_str())) {
        None | Some((_, Some("running"))) => Status::Running,
        Some((_, Some("draft"))) => Status::Draft,
        Some((_, Some("stopped"))) => Status::Stopped { winner: None },
        Some((v, _)) => {
            check.push(
                format!("{path}.status"),
                format!(
                    "expected \"draft\", \"running\" or \"stopped\", found {}",
                    describe(v)
                ),
            );
            Status::Draft
        }
    };
    let status = match (status, e.get("winner")) {
        (status, None) => status,
        (Status::Stopped { .. }, Some(w)) => {
            let winner = w
                .as_str()
                .and_then(|w| variations.iter().position(|v| v.id == w));
            if winner.is_none() {
                check.push(
                    format!("{path}.winner"),
                    format!(
                        "expected the id of one of the variations, found {}",
                        describe(w)
                    ),
                );
            }
            Status::Stopped { winner }
        }
        (status, Some(_)) => {
            check.push(
                format!("{path}.winner"),
                "only a stopped experiment has a winner; set \"status\": \"stopped\"",
            );
            status
        }
    };
    Some(Experiment {
        id: id?,
        pages,
        audience,
        schedule,
        status,
        coverage,
        seed,
        hash_version,
        namespace,
        weights,
        variations,
    })
}

/// Whether `name` is an HTTP token (header and cookie names).
pub fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn is_host(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

fn is_attribute_name(name: &str) -> bool {
    !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        && !name.to_ascii_lowercase().starts_with("on")
}

/// Removing is always safe, event handlers included.
fn is_removable_attribute(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
}

fn is_css_property(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn is_class(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '"')
}

/// Whether an attribute holds a URL, so substitutions into it are percent-encoded.
pub fn is_url_attribute(name: &str) -> bool {
    URL_ATTRIBUTES.contains(&name)
}

/// Names a JSON value's type for error messages ("a number (42)").
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) => format!("a string ({s:?})"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// The JSON Schema of a rules document, built from the same tables the validator uses.
///
/// `veneer schema` prints it and `schema/rules.schema.json` is a committed copy (a test keeps
/// them equal), so editors can autocomplete and check rules. The validator remains the
/// authority: it also checks selectors, templates, times and references.
pub fn schema() -> Value {
    use serde_json::json;
    let template = |desc: &str| json!({ "type": "string", "description": desc });
    let kind_schema = |kind: ValueKind, desc: &str| match kind {
        ValueKind::Html | ValueKind::Text => template(desc),
        ValueKind::True => json!({ "const": true, "description": desc }),
        ValueKind::Map => {
            json!({ "type": "object", "additionalProperties": { "type": "string" }, "minProperties": 1, "description": desc })
        }
        ValueKind::Names => json!({ "description": desc, "oneOf": [
            { "type": "string" }, { "type": "array", "items": { "type": "string" }, "minItems": 1 } ] }),
        ValueKind::Object => json!({ "type": "object", "description": desc }),
    };
    let mut variants = Vec::new();
    for (name, kind, desc) in ELEMENT_OPERATIONS {
        variants.push(json!({
            "type": "object",
            "required": ["select", name],
            "properties": { "select": { "type": "string", "description": "CSS selector of the elements to change" }, *name: kind_schema(*kind, desc) },
            "additionalProperties": false
        }));
    }
    let page_details: HashMap<&str, Value> = HashMap::from([
        (
            "replace_text",
            json!({ "type": "object", "properties": {
            "find": { "type": "string" }, "regex": { "type": "string" }, "with": { "type": "string" } },
            "required": ["with"], "additionalProperties": false }),
        ),
        (
            "rewrite_links",
            json!({ "type": "object", "properties": {
            "prefix": { "type": "string" }, "add_query": { "type": "object", "additionalProperties": { "type": "string" } } },
            "required": ["prefix", "add_query"], "additionalProperties": false }),
        ),
        (
            "set_cookie",
            json!({ "type": "object", "properties": {
            "name": { "type": "string" }, "value": { "type": "string" },
            "max_age": { "type": "integer", "minimum": 0, "maximum": 34_560_000 }, "path": { "type": "string" } },
            "required": ["name", "value"], "additionalProperties": false }),
        ),
        (
            "redirect",
            json!({ "type": "object", "properties": {
            "to": { "type": "string" }, "status": { "enum": [301, 302, 307, 308] } },
            "required": ["to"], "additionalProperties": false }),
        ),
    ]);
    for (name, kind, desc) in PAGE_OPERATIONS {
        let mut value = page_details
            .get(name)
            .cloned()
            .unwrap_or_else(|| kind_schema(*kind, desc));
        if let Some(o) = value.as_object_mut() {
            o.insert("description".into(), Value::String((*desc).into()));
        }
        variants.push(json!({
            "type": "object", "required": [name], "properties": { *name: value }, "additionalProperties": false
        }));
    }
    let condition = json!({ "type": "object", "description": "a GrowthBook targeting condition over visitor attributes" });
    let rule_props = json!({
        "id": { "type": "string", "minLength": 1 },
        "description": { "type": "string" },
        "pages": { "type": "array", "minItems": 1, "items": { "type": "string", "pattern": "^(\\*|/[^*]*\\*?)$" } },
        "audience": { "oneOf": [ { "type": "string", "description": "an audience name" }, condition ] },
        "schedule": { "type": "object", "additionalProperties": false, "properties": {
            "start": { "type": "string", "format": "date-time" },
            "end": { "type": "string", "format": "date-time" },
            "windows": { "type": "array", "items": { "type": "object", "additionalProperties": false,
                "required": ["from", "to"], "properties": {
                "days": { "type": "array", "items": { "enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] } },
                "from": { "type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$" },
                "to": { "type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$" },
                "utc_offset": { "type": "string", "pattern": "^[+-][0-1][0-9]:[0-5][0-9]$" } } } } } },
        "priority": { "type": "integer" },
        "actions": { "type": "array", "items": { "$ref": "#/$defs/action" } }
    });
    let names = json!({ "oneOf": [ { "type": "string" }, { "type": "array", "items": { "type": "string" } } ] });
    let settings_props = json!({
        "visitor_cookie": { "type": "string" },
        "visitor_cookie_days": { "type": "integer", "minimum": 1, "maximum": 400 },
        "consent_cookie": { "type": "string" },
        "consent_values": names,
        "redirect_hosts": names,
        "header_attributes": names
    });
    let doc_props = json!({
        "version": { "type": ["integer", "string"] },
        "settings": { "type": "object", "additionalProperties": false, "properties": settings_props },
        "audiences": { "type": "object", "additionalProperties": condition },
        "saved_groups": { "type": "object", "additionalProperties": { "type": "array" } },
        "rules": { "type": "array", "items": { "$ref": "#/$defs/rule" } },
        "experiments": { "type": "array", "items": { "$ref": "#/$defs/experiment" } }
    });
    let id = json!({ "type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$" });
    let experiment_props = json!({
        "id": id,
        "description": { "type": "string" },
        "pages": rule_props["pages"],
        "audience": rule_props["audience"],
        "schedule": rule_props["schedule"],
        "status": { "enum": ["draft", "running", "stopped"] },
        "winner": { "type": "string" },
        "coverage": { "type": "number", "minimum": 0, "maximum": 1 },
        "seed": { "type": "string" },
        "hash_version": { "enum": [1, 2] },
        "namespace": { "type": "object", "additionalProperties": false, "required": ["id", "start", "end"],
            "properties": { "id": { "type": "string" }, "start": { "type": "number", "minimum": 0, "maximum": 1 },
                            "end": { "type": "number", "minimum": 0, "maximum": 1 } } },
        "variations": { "type": "array", "minItems": 2, "maxItems": 100, "items": {
            "type": "object", "additionalProperties": false, "required": ["id"], "properties": {
                "id": id, "weight": { "type": "number", "minimum": 0, "maximum": 1 },
                "actions": { "type": "array", "items": { "$ref": "#/$defs/action" } } } } }
    });
    debug_assert!(
        EXPERIMENT_FIELDS
            .iter()
            .all(|f| experiment_props.get(f).is_some())
    );
    // The tables above and the validator's field lists must agree.
    debug_assert!(DOCUMENT_FIELDS.iter().all(|f| doc_props.get(f).is_some()));
    debug_assert!(RULE_FIELDS.iter().all(|f| rule_props.get(f).is_some()));
    debug_assert!(
        SETTINGS_FIELDS
            .iter()
            .all(|f| settings_props.get(f).is_some())
    );
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://veneer.dev/schema/rules.schema.json",
        "title": "Veneer rules document",
        "type": "object",
        "required": ["rules"],
        "additionalProperties": false,
        "properties": doc_props,
        "$defs": {
            "rule": { "type": "object", "required": ["id", "actions"], "additionalProperties": false, "properties": rule_props },
            "experiment": { "type": "object", "required": ["id", "variations"], "additionalProperties": false, "properties": experiment_props },
            "action": { "oneOf": variants }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(doc: &str) -> Vec<String> {
        compile(doc)
            .unwrap()
            .problems
            .iter()
            .map(Problem::to_string)
            .collect()
    }

    #[test]
    fn compiles_a_valid_document() {
        let doc = r#"{"version": 7,
            "settings": {"visitor_cookie": "vid", "redirect_hosts": ["Shop.Example.com"], "header_attributes": ["x-tier"]},
            "audiences": {"de": {"country": "DE"}, "de-mobile": {"$and": [{"$inGroup": "de"}, {"device": "mobile"}]}},
            "saved_groups": {"vip": ["a", "b"]},
            "rules": [
            {"id": "a", "pages": ["/"], "priority": 5, "audience": "de-mobile",
             "schedule": {"start": "2026-11-27T00:00:00+01:00"},
             "actions": [{"select": "h1", "set_text": "Hi {{country}}"}, {"inject_head": "<style>h1{}</style>"}]},
            {"id": "b", "actions": [{"select": ".x", "set_attribute": {"href": "/y"}}, {"redirect": {"to": "https://shop.example.com/x"}}]}]}"#;
        let rules = compile(doc).unwrap();
        assert_eq!(rules.problems, []);
        assert_eq!(rules.version.as_deref(), Some("7"));
        assert_eq!(rules.settings.visitor_cookie, "vid");
        assert_eq!(rules.settings.redirect_hosts, ["shop.example.com"]);
        assert_eq!(rules.audiences.len(), 2);
        // Priority orders application: "b" (0) before "a" (5).
        let ids: Vec<&str> = rules.rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["b", "a"]);
        assert_eq!(rules.index.candidates("/"), [0, 1]);
        assert_eq!(rules.index.candidates("/other"), [0]);
    }

    #[test]
    fn invalid_json_names_line_and_column() {
        let err = compile("{\n  \"rules\": [,]\n}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "rules are not valid JSON: expected value (line 2, column 13)"
        );
    }

    #[test]
    fn document_shape_errors_are_fatal_and_all_reported() {
        let err = compile(r#"{"version": [], "rules": {}, "rulez": 1}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "rules document is invalid: $.rulez: unknown field \"rulez\"; expected one of version, settings, audiences, saved_groups, rules, experiments; \
             $.version: expected a number or a string, found a list; \
             $.rules: expected a list of rules, found an object"
        );
    }

    #[test]
    fn broken_rules_are_skipped_and_the_rest_still_run() {
        let doc = r#"{"rules": [
            {"id": "bad", "actions": [{"select": "h1:last-child", "set_text": "x"}]},
            {"id": "good", "actions": [{"select": "h1", "set_text": "x"}]},
            {"id": "good", "actions": []}]}"#;
        let rules = compile(doc).unwrap();
        assert_eq!(rules.rules.len(), 1);
        assert_eq!(rules.rules[0].id, "good");
        assert_eq!(
            problems(doc),
            [
                "$.rules[0].actions[0].select: selector \"h1:last-child\" uses :last-child, which depends on elements that come later in the page; Veneer rewrites while the page streams and cannot look ahead: use :first-child, or a class on the element",
                "$.rules[2].id: duplicate rule id \"good\"; ids must be unique",
            ]
        );
    }

    #[test]
    fn action_errors_name_the_path_and_what_was_expected() {
        let doc = r#"{"rules": [{"id": "r", "pages": ["shop"], "actions": [
            {"select": "h1"},
            {"select": "h1", "set_text": "a", "remove": true},
            {"select": "h1", "set_text": 3},
            {"select": "a", "set_attribute": {"on click": "x", "href": 1, "onclick": "alert(1)"}},
            {"set_html": "x"},
            {"select": "h1", "remove": false, "colour": "red"},
            {"select": "h1", "inject_head": "<style></style>"},
            {"select": "p", "set_text": "Hi {{country"},
            {"select": "p", "add_class": "a b"},
            {"select": "p", "set_style": {"color;": "red"}}]}]}"#;
        assert_eq!(
            problems(doc),
            [
                "$.rules[0].pages[0]: expected a path starting with \"/\" (like \"/c/*\") or \"*\", found \"shop\"",
                "$.rules[0].actions[0]: expected one operation: with \"select\", one of set_text, set_html, set_attribute, remove_attribute, add_class, remove_class, set_style, insert_before, insert_after, prepend, append, insert_text_before, insert_text_after, prepend_text, append_text, remove, replace, unwrap; without, one of inject_head, append_body, replace_text, rewrite_links, set_header, set_cookie, redirect",
                "$.rules[0].actions[1]: expected exactly one operation per action, found set_text, remove",
                "$.rules[0].actions[2].set_text: expected a string, found a number (3)",
                "$.rules[0].actions[3].set_attribute.on click: expected an attribute name (letters, digits, \"-\", \"_\", \":\", \".\"; event handlers such as onclick are not allowed), found \"on click\"",
                "$.rules[0].actions[3].set_attribute.href: expected a string, found a number (1)",
                "$.rules[0].actions[3].set_attribute.onclick: expected an attribute name (letters, digits, \"-\", \"_\", \":\", \".\"; event handlers such as onclick are not allowed), found \"onclick\"",
                "$.rules[0].actions[4]: missing field \"select\" (the CSS selector of the elements to change)",
                "$.rules[0].actions[5].colour: unknown field \"colour\"; expected one of select, set_text, set_html, set_attribute, remove_attribute, add_class, remove_class, set_style, insert_before, insert_after, prepend, append, insert_text_before, insert_text_after, prepend_text, append_text, remove, replace, unwrap, inject_head, append_body, replace_text, rewrite_links, set_header, set_cookie, redirect",
                "$.rules[0].actions[5].remove: expected true, found a boolean (false)",
                "$.rules[0].actions[6].select: inject_head applies to the whole page and takes no \"select\"",
                "$.rules[0].actions[7].set_text: \"{{\" at byte 3 is not closed by \"}}\"; write templates like {{country}}",
                "$.rules[0].actions[8].add_class: expected a class name without spaces, found \"a b\"",
                "$.rules[0].actions[9].set_style.color;: expected a CSS property name like \"background-color\", found \"color;\"",
            ]
        );
    }

    /// Each expected text starts exactly one of the problems found, and nothing else was found.
    fn assert_problems_start_with(found: &[String], expected: &[&str]) {
        for e in expected {
            assert!(
                found.iter().any(|f| f.starts_with(e)),
                "missing {e:?} in {found:#?}"
            );
        }
        assert_eq!(found.len(), expected.len(), "{found:#?}");
    }

    #[test]
    fn targeting_errors() {
        let doc = r#"{
            "audiences": {"a": {"$inGroup": "b"}, "b": {"$inGroup": "a"}, "c": {"$inGroup": "nope"},
                          "d": {"name": {"$regex": "("}}, "e": {"x": {"$regx": 1}}},
            "rules": [
              {"id": "r1", "audience": "missing", "actions": []},
              {"id": "r2", "audience": {"$or": [{"$inGroup": "zzz"}]}, "actions": []},
              {"id": "r3", "schedule": {"start": "2026-12-01T00:00:00Z", "end": "2026-11-01T00:00:00Z"}, "actions": []},
              {"id": "r4", "priority": 1.5, "actions": []},
              {"id": "r5", "audience": "d", "pages": [], "actions": []}
            ]}"#;
        let found = problems(doc);
        let expected = [
            "$.audiences.d.name.$regex: invalid regular expression",
            "$.audiences.e.x.$regx: unknown operator \"$regx\"",
            "$.audiences.a: audiences refer to each other in a loop: a -> b -> a",
            "$.audiences.b: audiences refer to each other in a loop: b -> a -> b",
            "$.audiences.c: unknown audience \"nope\"; define it under \"audiences\"",
            "$.rules[0].audience: unknown audience \"missing\"; define it under \"audiences\"",
            "$.rules[1].audience: unknown audience \"zzz\"; define it under \"audiences\"",
            "$.rules[2].schedule.end: the end (2026-11-01 00:00:00 UTC) must be after the start (2026-12-01 00:00:00 UTC)",
            "$.rules[3].priority: expected a whole number, found a number (1.5)",
            "$.rules[4].pages: an empty list matches no page; remove \"pages\" to target every page, or use [\"*\"]",
            "$.rules[4].audience: audience \"d\" is invalid (see its own problems under $.audiences), so this is skipped too",
        ];
        assert_problems_start_with(&found, &expected);
    }

    #[test]
    fn page_action_errors_and_unsafe_redirects() {
        let doc = r#"{"settings": {"redirect_hosts": ["shop.example.com"]}, "rules": [{"id": "r", "actions": [
            {"redirect": {"to": "//evil.example"}},
            {"redirect": {"to": "/\\evil.example"}},
            {"redirect": {"to": "https:evil.example"}},
            {"redirect": {"to": "https://evil.example/x"}},
            {"redirect": {"to": "https://shop.example.com@evil.example/"}},
            {"redirect": {"to": "{{query.next}}"}},
            {"redirect": {"to": "/ok", "status": 303}},
            {"redirect": {"to": "javascript:alert(1)"}},
            {"set_header": {"X-Promo": "a\r\nSet-Cookie: x=1"}},
            {"set_header": {"Set-Cookie": "x=1"}},
            {"set_header": {"Bad Name": "x"}},
            {"set_header": {"X-City": "Zürich"}},
            {"set_cookie": {"name": "a;b", "value": "x", "max_age": 99999999999}},
            {"replace_text": {"find": "", "with": "x"}},
            {"replace_text": {"regex": "(", "with": "x"}},
            {"replace_text": {"find": "a", "regex": "b", "with": "x"}},
            {"rewrite_links": {"prefix": "/c/"}}
        ]}]}"#;
        let found = problems(doc);
        let expected = [
            "$.rules[0].actions[0].redirect.to: redirect target \"//evil.example\" starts with \"//\"",
            "$.rules[0].actions[1].redirect.to: redirect target \"/\\\\evil.example\" contains a backslash",
            "$.rules[0].actions[2].redirect.to: redirect target \"https:evil.example\" must be a path like \"/sale\" or an http(s) URL",
            "$.rules[0].actions[3].redirect.to: redirect host \"evil.example\" is not listed in settings.redirect_hosts",
            "$.rules[0].actions[4].redirect.to: redirect host \"shop.example.com@evil.example\" is not listed",
            "$.rules[0].actions[5].redirect.to: redirect target \"\" must be a path like \"/sale\"",
            "$.rules[0].actions[6].redirect.status: expected 301, 302, 307 or 308, found a number (303)",
            "$.rules[0].actions[7].redirect.to: redirect target \"javascript:alert(1)\" must be a path",
            "$.rules[0].actions[8].set_header.X-Promo: header values cannot contain line breaks or control characters",
            "$.rules[0].actions[9].set_header.Set-Cookie: set-cookie cannot be set by a rule",
            "$.rules[0].actions[10].set_header.Bad Name: expected a header name",
            "$.rules[0].actions[11].set_header.X-City: header values must be ASCII",
            "$.rules[0].actions[12].set_cookie.name: expected a cookie name",
            "$.rules[0].actions[12].set_cookie.max_age: expected seconds from 0 to 34560000 (400 days)",
            "$.rules[0].actions[13].replace_text.find:",
            "$.rules[0].actions[14].replace_text.regex: invalid regular expression",
            "$.rules[0].actions[15].replace_text: expected exactly one of \"find\" (plain text) or \"regex\"",
            "$.rules[0].actions[16].rewrite_links: missing field \"add_query\" (parameters to add)",
        ];
        assert_problems_start_with(&found, &expected);
    }

    #[test]
    fn the_committed_schema_is_the_generated_one() {
        let committed = include_str!("../schema/rules.schema.json");
        let committed: Value = serde_json::from_str(committed).unwrap();
        assert!(
            committed == schema(),
            "schema/rules.schema.json is stale: run `cargo run --bin veneer -- schema > schema/rules.schema.json`"
        );
    }
}
