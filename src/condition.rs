//! GrowthBook-compatible targeting conditions.
//!
//! Marketers write targeting conditions in GrowthBook's MongoDB-style language
//! (`{"country": {"$in": ["US", "CA"]}, "cart.total": {"$gte": 50}}`), so that
//! conditions written for GrowthBook work unchanged here. This module compiles
//! such a condition once ([`Condition::compile`]: paths pre-split, regular
//! expressions compiled, operators resolved) and then evaluates it cheaply per
//! request ([`Condition::eval`]).
//!
//! Evaluation follows GrowthBook's JS SDK (`mongrule.ts`) and passes every
//! `evalCondition` case of its conformance suite. It reproduces the JavaScript
//! semantics that code inherits: `<`/`>` coerce like JS (`"8" > 5` is true, two
//! strings compare by UTF-16 code units, a missing attribute is `null`, which
//! compares as `0`); a plain string condition compares `String(value)` (so
//! `[1, 2]` equals `"1,2"` and a missing attribute equals `"null"`), a number
//! condition compares `value * 1`, and `$regex` tests `String(value)`; `$eq`,
//! `$ne` and `$in` use `===` (an array or object is never equal); dotted paths
//! also reach array indexes and `length`; `$elemMatch` skips falsy items; an
//! empty `$or` passes and an empty `$nor` fails; `$and`/`$or`/`$nor` used as
//! operators on a value are unknown operators; the `$v*` operators compare
//! `paddedVersionString`s. Known differences: object equality ignores key
//! order (JSON.stringify does not); path segments never reach inherited JS
//! properties such as `constructor`; regexes see code points, not UTF-16
//! code units (matters only for astral characters such as emoji).
//!
//! Compilation never fails; every problem is reported as a [`ConditionError`]
//! so a validator can show the marketer what to fix, and the condition stays
//! usable:
//! - where GrowthBook defines an outcome, it is kept: an unknown operator, a
//!   regex that does not compile (or is over the limits), or a non-list operand
//!   of `$in`/`$nin`/`$all`... makes that operator `false` where it sits (so a
//!   surrounding `$not` still negates it); a merely suspicious operand (e.g.
//!   `"$exists": "no"`) is evaluated as GrowthBook would (here: truthy);
//! - where GrowthBook would throw or behave by accident (a condition that is
//!   not an object, `$and`/`$or`/`$nor` without a list of objects, `$not` or
//!   `$elemMatch` without an object, a non-string audience name, nesting deeper
//!   than [`MAX_DEPTH`]), the whole condition evaluates to `false`.
//!
//! Veneer extension: wherever a condition object is evaluated against the
//! request attributes (the top level, and inside `$and`/`$or`/`$nor`/`$not`),
//! the key `"$inGroup": "<audience>"` (or `"$notInGroup"`) with a *string*
//! value means "the named audience matches" (or "does not match"), resolved
//! through [`EvalContext::audiences`]. Everywhere else `$inGroup` and
//! `$notInGroup` keep GrowthBook's meaning (attribute value is in a saved
//! group). GrowthBook itself would read such a top-level key as an attribute
//! named `$inGroup`, which no GrowthBook condition relies on.
//!
//! Regular expressions use `regex-lite` (linear-time matching, small code).
//! Patterns are JavaScript (non-`u`, web-compatible "Annex B") syntax, as in
//! GrowthBook, and are translated to regex-lite syntax with the same meaning:
//! identity escapes (`\/`, `\<`, `\e`), JS's `.` and `\s`/`\S`, `[]`, `[^]`,
//! literal `{`/`}`/`]`, `\cX`, legacy octal escapes, `[\w-.]`-style classes,
//! `\uD83D\uDE00` pairs, and JS's Unicode case folding for `$regexi`. Patterns
//! JS rejects are rejected too (e.g. `a**`, `(?i)`). Look-around and
//! backreferences, which regex-lite lacks, are reported as errors and evaluate
//! to `false`. Patterns are limited to [`MAX_REGEX_CHARS`] characters, and
//! regex-lite's size and nesting limits are set; exceeding them is an error.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;

use regex_lite::{Regex, RegexBuilder};
use serde_json::Value;

/// Deepest nesting of condition objects and operator values accepted, so input cannot exhaust the stack.
pub const MAX_DEPTH: usize = 64;

/// Longest `$regex`/`$regexi` pattern accepted, in characters, to bound compile and match cost.
pub const MAX_REGEX_CHARS: usize = 1000;

/// Approximate heap budget of one compiled regex, in bytes (regex-lite's `size_limit`).
const REGEX_SIZE_LIMIT: usize = 256 * 1024;

/// Deepest group nesting inside one regex (regex-lite's `nest_limit`).
const REGEX_NEST_LIMIT: u32 = 64;

/// Guard for recursion over attribute values (`String([[...]])`).
const MAX_VALUE_RECURSION: usize = 256;

/// The value operators GrowthBook knows, in the order used in error messages.
const VALUE_OPERATORS: &[&str] = &[
    "$eq",
    "$ne",
    "$lt",
    "$lte",
    "$gt",
    "$gte",
    "$in",
    "$nin",
    "$ini",
    "$nini",
    "$all",
    "$alli",
    "$elemMatch",
    "$size",
    "$exists",
    "$type",
    "$regex",
    "$regexi",
    "$not",
    "$vgt",
    "$vlt",
    "$vgte",
    "$vlte",
    "$veq",
    "$vne",
    "$inGroup",
    "$notInGroup",
];

/// The type names `$type` can match (GrowthBook's `getType`).
const TYPE_NAMES: &[&str] = &["string", "number", "boolean", "object", "array", "null"];

/// A problem found while compiling a condition, located so a validator can point at it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionError {
    /// JSON-pointer-like location relative to the condition root, e.g. `/$and/1/country`.
    pub path: String,
    /// What was expected and what was found, in words a marketer can act on.
    pub message: String,
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "condition: {}", self.message)
        } else {
            write!(f, "condition at {}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ConditionError {}

/// Resolves Veneer's named audiences for the top-level `$inGroup`/`$notInGroup` extension.
pub trait Audiences {
    /// Whether audience `name` matches `attributes`; `None` if no such audience exists.
    fn matches(&self, name: &str, attributes: &Value) -> Option<bool>;
}

/// An [`Audiences`] with no audiences, for contexts (and tests) that define none.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAudiences;

impl Audiences for NoAudiences {
    fn matches(&self, _name: &str, _attributes: &Value) -> Option<bool> {
        None
    }
}

/// What evaluation needs besides the attributes: saved groups and audiences.
#[derive(Clone, Copy)]
pub struct EvalContext<'a> {
    /// GrowthBook saved groups (id => members) for `$inGroup`/`$notInGroup` on an attribute.
    pub saved_groups: &'a HashMap<String, Vec<Value>>,
    /// Named audiences for the top-level `"$inGroup": "<name>"` extension.
    pub audiences: &'a dyn Audiences,
}

/// A compiled targeting condition, ready to be evaluated against many attribute sets.
#[derive(Debug, Clone)]
pub struct Condition {
    root: CondObj,
    audiences: Vec<String>,
    /// A structural problem was found: the whole condition evaluates to false.
    fatal: bool,
}

impl Condition {
    /// Compiles `condition`; always yields a usable condition plus every problem found.
    pub fn compile(condition: &Value) -> (Condition, Vec<ConditionError>) {
        let mut compiler = Compiler {
            errors: Vec::new(),
            audiences: Vec::new(),
            fatal: false,
        };
        let root = compiler.cond_obj(condition, "", 0, true);
        (
            Condition {
                root,
                audiences: compiler.audiences,
                fatal: compiler.fatal,
            },
            compiler.errors,
        )
    }

    /// Whether `attributes` satisfy the condition, with GrowthBook's semantics.
    pub fn eval(&self, attributes: &Value, ctx: &EvalContext) -> bool {
        !self.fatal && self.root.eval(attributes, attributes, ctx)
    }

    /// Audience names used through the top-level `$inGroup`/`$notInGroup` extension.
    pub fn referenced_audiences(&self) -> Vec<&str> {
        self.audiences.iter().map(String::as_str).collect()
    }
}

// ---------------------------------------------------------------------------
// Compiled tree
// ---------------------------------------------------------------------------

/// A condition object: every clause must pass (an empty object passes).
#[derive(Debug, Clone)]
struct CondObj {
    clauses: Vec<Clause>,
}

#[derive(Debug, Clone)]
enum Clause {
    And(Vec<CondObj>),
    /// Passes when empty, like GrowthBook's `evalOr`.
    Or(Vec<CondObj>),
    /// `!evalOr`: fails when empty.
    Nor(Vec<CondObj>),
    Not(Box<CondObj>),
    Field {
        path: Box<[Box<str>]>,
        test: Test,
    },
    Audience {
        name: Box<str>,
        member: bool,
    },
    /// A malformed node: evaluates to false.
    Invalid,
}

/// GrowthBook's `evalConditionValue` for one condition value.
#[derive(Debug, Clone)]
enum Test {
    /// `value + "" === s`
    Str(Box<str>),
    /// `String(value).toLowerCase() === s` (s already lowercased), from `$alli`.
    StrFold(Box<str>),
    /// `value * 1 === n`
    Num(f64),
    /// `value !== null && !!value === b`
    Bool(bool),
    /// `value === null`
    Null,
    /// `JSON.stringify(value) === JSON.stringify(v)`
    Deep(Value),
    /// An operator object: every operator must pass.
    Ops(Vec<Op>),
    /// Unusable (too deep): false.
    Invalid,
}

#[derive(Debug, Clone, Copy)]
enum Rel {
    Lt,
    Lte,
    Gt,
    Gte,
}

#[derive(Debug, Clone, Copy)]
enum VRel {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
}

#[derive(Debug, Clone)]
enum Op {
    /// `$veq` and friends; holds the expected padded version string.
    Version(VRel, Box<str>),
    /// `$eq` (`===`) / `$ne` (`!==`); `None` for an array or object, which `===` never equals.
    StrictEq(Option<Value>, bool),
    /// `$lt`, `$lte`, `$gt`, `$gte` with JS relational semantics.
    Cmp(Rel, Prim<'static>),
    Exists(bool),
    /// `$in`/`$nin`/`$ini`/`$nini`; strings pre-lowercased when `fold`.
    In {
        items: Vec<Value>,
        fold: bool,
        negate: bool,
    },
    /// `$inGroup`/`$notInGroup` on an attribute: membership in a saved group.
    InGroup {
        group: Box<str>,
        negate: bool,
    },
    Not(Box<Test>),
    Size(Box<Test>),
    ElemMatchValue(Box<Test>),
    ElemMatchCond(Box<CondObj>),
    All(Vec<Test>),
    Regex(Regex),
    Type(&'static str),
    /// Unknown operator or unusable operand: false.
    False,
}

// ---------------------------------------------------------------------------
// Compilation
// ---------------------------------------------------------------------------

struct Compiler {
    errors: Vec<ConditionError>,
    audiences: Vec<String>,
    /// Set by structural problems GrowthBook has no defined outcome for.
    fatal: bool,
}

fn child(path: &str, key: &str) -> String {
    let mut out = String::with_capacity(path.len() + key.len() + 1);
    out.push_str(path);
    out.push('/');
    for c in key.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

fn child_index(path: &str, i: usize) -> String {
    format!("{path}/{i}")
}

/// A short description of a JSON value for error messages: `string "abc"`, `number 5`, ...
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string {}", quote(s)),
        Value::Array(a) => format!("an array of {} item(s)", a.len()),
        Value::Object(_) => "an object".to_string(),
    }
}

/// Quotes text for a message, shortening long text.
fn quote(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() > MAX {
        let head: String = s.chars().take(MAX).collect();
        format!("\"{head}…\"")
    } else {
        format!("\"{s}\"")
    }
}

fn is_operator_object(map: &serde_json::Map<String, Value>) -> bool {
    !map.is_empty() && map.keys().all(|k| k.starts_with('$'))
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            let del = prev[j + 1] + 1;
            let ins = cur[j] + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn suggestion(op: &str) -> Option<&'static str> {
    let lower = op.to_lowercase();
    VALUE_OPERATORS
        .iter()
        .map(|k| (levenshtein(&lower, &k.to_lowercase()), *k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Whether `v` nests deeper than `budget` levels of arrays/objects.
fn too_deep(v: &Value, budget: usize) -> bool {
    match v {
        Value::Array(a) => budget == 0 || a.iter().any(|x| too_deep(x, budget - 1)),
        Value::Object(m) => budget == 0 || m.values().any(|x| too_deep(x, budget - 1)),
        _ => false,
    }
}

impl Compiler {
    fn err(&mut self, path: &str, message: impl Into<String>) {
        self.errors.push(ConditionError {
            path: path.to_string(),
            message: message.into(),
        });
    }

    /// Reports a problem that makes the whole condition evaluate to false.
    fn fatal(&mut self, path: &str, message: impl Into<String>) {
        self.fatal = true;
        self.err(path, message);
    }

    fn depth_error(&mut self, path: &str) {
        self.fatal(
            path,
            format!(
                "condition is nested more than {MAX_DEPTH} levels deep; simplify it (for example, \
                 flatten nested $and/$or lists)"
            ),
        );
    }

    /// Compiles a condition object (GrowthBook's `evalCondition`). `root` says whether
    /// it is evaluated against the request attributes (where audiences apply).
    fn cond_obj(&mut self, v: &Value, path: &str, depth: usize, root: bool) -> CondObj {
        if depth > MAX_DEPTH {
            self.depth_error(path);
            return CondObj {
                clauses: vec![Clause::Invalid],
            };
        }
        let Value::Object(map) = v else {
            self.fatal(
                path,
                format!(
                    "expected a condition object such as {{\"country\": \"US\"}}; found {}",
                    describe(v)
                ),
            );
            return CondObj {
                clauses: vec![Clause::Invalid],
            };
        };
        let mut clauses = Vec::with_capacity(map.len());
        for (k, val) in map {
            let p = child(path, k);
            let clause = match k.as_str() {
                "$and" | "$or" | "$nor" => match self.cond_list(k, val, &p, depth, root) {
                    Some(list) => match k.as_str() {
                        "$and" => Clause::And(list),
                        "$or" => Clause::Or(list),
                        _ => Clause::Nor(list),
                    },
                    None => Clause::Invalid,
                },
                "$not" => Clause::Not(Box::new(self.cond_obj(val, &p, depth + 1, root))),
                "$inGroup" | "$notInGroup" if root => match val {
                    Value::String(name) => {
                        if name.is_empty() {
                            self.err(&p, format!("\"{k}\" needs an audience name; found \"\""));
                        }
                        if !self.audiences.iter().any(|a| a == name) {
                            self.audiences.push(name.clone());
                        }
                        Clause::Audience {
                            name: name.as_str().into(),
                            member: k == "$inGroup",
                        }
                    }
                    other => {
                        self.fatal(
                            &p,
                            format!(
                                "\"{k}\" at this level names an audience and needs a string such \
                                 as \"vip\"; found {} (to test an attribute against a saved \
                                 group, write {{\"<attribute>\": {{\"{k}\": \"<group id>\"}}}})",
                                describe(other)
                            ),
                        );
                        Clause::Invalid
                    }
                },
                _ => {
                    if VALUE_OPERATORS.contains(&k.as_str()) {
                        self.err(
                            &p,
                            format!(
                                "\"{k}\" is an operator but is used here as an attribute name; put \
                                 it under an attribute, e.g. {{\"country\": {{\"{k}\": ...}}}}"
                            ),
                        );
                    }
                    Clause::Field {
                        path: k.split('.').map(Into::into).collect(),
                        test: self.test(val, &p, depth + 1, false),
                    }
                }
            };
            clauses.push(clause);
        }
        CondObj { clauses }
    }

    fn cond_list(
        &mut self,
        op: &str,
        v: &Value,
        path: &str,
        depth: usize,
        root: bool,
    ) -> Option<Vec<CondObj>> {
        let Value::Array(items) = v else {
            self.fatal(
                path,
                format!(
                    "\"{op}\" needs a list of condition objects, e.g. [{{\"country\": \"US\"}}, \
                     {{\"country\": \"CA\"}}]; found {}",
                    describe(v)
                ),
            );
            return None;
        };
        if depth + 1 > MAX_DEPTH {
            self.depth_error(path);
            return None;
        }
        Some(
            items
                .iter()
                .enumerate()
                .map(|(i, c)| self.cond_obj(c, &child_index(path, i), depth + 2, root))
                .collect(),
        )
    }

    /// Compiles a condition value (GrowthBook's `evalConditionValue`).
    fn test(&mut self, v: &Value, path: &str, depth: usize, fold: bool) -> Test {
        if depth > MAX_DEPTH {
            self.depth_error(path);
            return Test::Invalid;
        }
        match v {
            Value::String(s) if fold => Test::StrFold(s.to_lowercase().into()),
            Value::String(s) => Test::Str(s.as_str().into()),
            Value::Number(n) => Test::Num(n.as_f64().unwrap_or(f64::NAN)),
            Value::Bool(b) => Test::Bool(*b),
            Value::Null => Test::Null,
            Value::Object(map) if is_operator_object(map) => {
                let ops = map
                    .iter()
                    .map(|(op, arg)| self.op(op, arg, &child(path, op), depth))
                    .collect();
                Test::Ops(ops)
            }
            _ => {
                if let Value::Object(map) = v {
                    let ops: Vec<&str> = map
                        .keys()
                        .filter(|k| k.starts_with('$'))
                        .map(String::as_str)
                        .collect();
                    if !ops.is_empty() {
                        let plain: Vec<&str> = map
                            .keys()
                            .filter(|k| !k.starts_with('$'))
                            .map(String::as_str)
                            .collect();
                        self.err(
                            path,
                            format!(
                                "this object mixes operators ({}) with plain keys ({}), so it is \
                                 compared for exact equality instead of applying the operators; \
                                 use only operators here",
                                ops.join(", "),
                                plain.join(", ")
                            ),
                        );
                    }
                }
                if too_deep(v, MAX_DEPTH.saturating_sub(depth)) {
                    self.depth_error(path);
                    return Test::Invalid;
                }
                Test::Deep(v.clone())
            }
        }
    }

    fn need_array<'v>(&mut self, op: &str, arg: &'v Value, path: &str) -> Option<&'v [Value]> {
        match arg {
            Value::Array(a) => Some(a),
            other => {
                self.err(
                    path,
                    format!(
                        "\"{op}\" needs a list of values, e.g. [\"US\", \"CA\"]; found {}",
                        describe(other)
                    ),
                );
                None
            }
        }
    }

    fn op(&mut self, op: &str, arg: &Value, path: &str, depth: usize) -> Op {
        match op {
            "$veq" | "$vne" | "$vgt" | "$vgte" | "$vlt" | "$vlte" => {
                let rel = match op {
                    "$veq" => VRel::Eq,
                    "$vne" => VRel::Ne,
                    "$vgt" => VRel::Gt,
                    "$vgte" => VRel::Gte,
                    "$vlt" => VRel::Lt,
                    _ => VRel::Lte,
                };
                if !matches!(arg, Value::String(s) if !s.is_empty()) {
                    self.err(
                        path,
                        format!(
                            "\"{op}\" needs a version string such as \"1.2.3\"; found {}",
                            describe(arg)
                        ),
                    );
                }
                Op::Version(rel, padded_version_string(arg).into())
            }
            "$eq" | "$ne" => {
                if matches!(arg, Value::Array(_) | Value::Object(_)) {
                    self.err(
                        path,
                        format!(
                            "\"{op}\" compares single values (GrowthBook uses ===), so it {} an \
                             array or object; to compare a whole list or object, give the value \
                             directly instead of {{\"{op}\": ...}}",
                            if op == "$eq" {
                                "never matches"
                            } else {
                                "always differs from"
                            }
                        ),
                    );
                }
                let primitive =
                    (!matches!(arg, Value::Array(_) | Value::Object(_))).then(|| arg.clone());
                Op::StrictEq(primitive, op == "$ne")
            }
            "$lt" | "$lte" | "$gt" | "$gte" => {
                let rel = match op {
                    "$lt" => Rel::Lt,
                    "$lte" => Rel::Lte,
                    "$gt" => Rel::Gt,
                    _ => Rel::Gte,
                };
                if !matches!(arg, Value::Number(_) | Value::String(_)) {
                    self.err(
                        path,
                        format!(
                            "\"{op}\" needs a number or a string; found {}",
                            describe(arg)
                        ),
                    );
                }
                Op::Cmp(rel, to_primitive(arg, 0).into_owned())
            }
            "$exists" => {
                if !arg.is_boolean() {
                    self.err(
                        path,
                        format!(
                            "\"$exists\" needs true or false; found {} (read as {})",
                            describe(arg),
                            truthy(arg)
                        ),
                    );
                }
                Op::Exists(truthy(arg))
            }
            "$in" | "$nin" | "$ini" | "$nini" => {
                let Some(items) = self.need_array(op, arg, path) else {
                    return Op::False;
                };
                let fold = op == "$ini" || op == "$nini";
                // Arrays and objects are never `===` to anything: drop them.
                let items = items
                    .iter()
                    .filter(|v| !matches!(v, Value::Array(_) | Value::Object(_)))
                    .map(|v| match v {
                        Value::String(s) if fold => Value::String(s.to_lowercase()),
                        other => other.clone(),
                    })
                    .collect();
                Op::In {
                    items,
                    fold,
                    negate: op == "$nin" || op == "$nini",
                }
            }
            "$inGroup" | "$notInGroup" => {
                if !arg.is_string() {
                    self.err(
                        path,
                        format!(
                            "\"{op}\" needs a saved group id (a string); found {}",
                            describe(arg)
                        ),
                    );
                }
                Op::InGroup {
                    group: js_to_string(arg, 0).into_owned().into(),
                    negate: op == "$notInGroup",
                }
            }
            "$not" => Op::Not(Box::new(self.test(arg, path, depth + 1, false))),
            "$size" => {
                if !matches!(arg, Value::Number(_) | Value::Object(_)) {
                    self.err(
                        path,
                        format!(
                            "\"$size\" needs a number or an operator object such as {{\"$gt\": \
                             2}}; found {}",
                            describe(arg)
                        ),
                    );
                }
                Op::Size(Box::new(self.test(arg, path, depth + 1, false)))
            }
            "$elemMatch" => match arg {
                Value::Object(map) if is_operator_object(map) => {
                    Op::ElemMatchValue(Box::new(self.test(arg, path, depth + 1, false)))
                }
                Value::Object(_) => {
                    Op::ElemMatchCond(Box::new(self.cond_obj(arg, path, depth + 1, false)))
                }
                other => {
                    self.fatal(
                        path,
                        format!(
                            "\"$elemMatch\" needs an object, e.g. {{\"$eq\": \"sale\"}} or \
                             {{\"sku\": \"A1\"}}; found {}",
                            describe(other)
                        ),
                    );
                    Op::False
                }
            },
            "$all" | "$alli" => {
                let Some(items) = self.need_array(op, arg, path) else {
                    return Op::False;
                };
                let fold = op == "$alli";
                Op::All(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| self.test(v, &child_index(path, i), depth + 1, fold))
                        .collect(),
                )
            }
            "$regex" | "$regexi" => match arg {
                Value::String(pattern) => match compile_regex(pattern, op == "$regexi") {
                    Ok(re) => Op::Regex(re),
                    Err(message) => {
                        self.err(path, message);
                        Op::False
                    }
                },
                other => {
                    self.err(
                        path,
                        format!(
                            "\"{op}\" needs a regular expression as a string; found {}",
                            describe(other)
                        ),
                    );
                    Op::False
                }
            },
            "$type" => match arg {
                Value::String(t) => match TYPE_NAMES.iter().find(|n| **n == t.as_str()) {
                    Some(name) => Op::Type(name),
                    None => {
                        self.err(
                            path,
                            format!(
                                "unknown type {}; expected one of {}",
                                quote(t),
                                TYPE_NAMES.join(", ")
                            ),
                        );
                        Op::False
                    }
                },
                other => {
                    self.err(
                        path,
                        format!(
                            "\"$type\" needs a type name ({}); found {}",
                            TYPE_NAMES.join(", "),
                            describe(other)
                        ),
                    );
                    Op::False
                }
            },
            "$and" | "$or" | "$nor" => {
                self.err(
                    path,
                    format!(
                        "\"{op}\" combines whole conditions and is not an operator on a value; \
                         move it up so it holds attribute conditions, e.g. {{\"{op}\": \
                         [{{\"country\": \"US\"}}, ...]}}"
                    ),
                );
                Op::False
            }
            _ => {
                let hint = suggestion(op)
                    .map(|s| format!(" (did you mean \"{s}\"?)"))
                    .unwrap_or_default();
                self.err(
                    path,
                    format!(
                        "unknown operator {}{hint}; expected one of {}",
                        quote(op),
                        VALUE_OPERATORS.join(", ")
                    ),
                );
                Op::False
            }
        }
    }
}

/// Compiles a JS pattern with regex-lite, or explains why it cannot be used.
fn compile_regex(pattern: &str, insensitive: bool) -> Result<Regex, String> {
    let chars = pattern.chars().count();
    if chars > MAX_REGEX_CHARS {
        return Err(format!(
            "regular expression is {chars} characters; the limit is {MAX_REGEX_CHARS}"
        ));
    }
    let translated = translate_js_regex(pattern, insensitive)
        .map_err(|msg| format!("invalid regular expression {}: {msg}", quote(pattern)))?;
    RegexBuilder::new(&translated)
        .case_insensitive(insensitive)
        .size_limit(REGEX_SIZE_LIMIT)
        .nest_limit(REGEX_NEST_LIMIT)
        .build()
        .map_err(|e| {
            let msg = e.to_string();
            if msg.contains("size limit") || msg.contains("too many states") {
                format!(
                    "regular expression {} is too large once compiled (limit about {} KiB); \
                     simplify it, e.g. use smaller repetition counts",
                    quote(pattern),
                    REGEX_SIZE_LIMIT / 1024
                )
            } else if msg.contains("nesting") {
                format!(
                    "regular expression {} nests groups too deeply (limit {REGEX_NEST_LIMIT}); \
                     simplify it",
                    quote(pattern)
                )
            } else {
                format!("invalid regular expression {}: {msg}", quote(pattern))
            }
        })
}

// ---------------------------------------------------------------------------
// JS regex -> regex-lite translation
// ---------------------------------------------------------------------------

/// JS's `\s` (WhiteSpace + LineTerminator), as regex-lite class items.
const JS_SPACE_ITEMS: &str =
    r"\t\n\x0B\x0C\r \xA0\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}";

/// JS's `\S`: the complement of [`JS_SPACE_ITEMS`], as regex-lite class items.
const JS_NON_SPACE_ITEMS: &str = r"\x00-\x08\x0E-\x1F!-\x9F\xA1-\x{167F}\x{1681}-\x{1FFF}\x{200B}-\x{2027}\x{202A}-\x{202E}\x{2030}-\x{205E}\x{2060}-\x{2FFF}\x{3001}-\x{FEFE}\x{FF00}-\x{10FFFF}";

/// JS's `.` without the `s` flag: anything but a line terminator.
const JS_DOT: &str = r"[^\n\r\x{2028}\x{2029}]";

/// Matches nothing (JS's `[]`).
const NEVER: &str = r"(?:\b\B)";

/// Widest non-ASCII class range whose case variants are added for `$regexi`.
const MAX_FOLDED_RANGE: u32 = 1024;

/// JS `Canonicalize` for non-unicode, case-insensitive patterns.
fn js_canonicalize(c: char) -> char {
    if (c as u32) > 0xFFFF {
        return c;
    }
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) if (u as u32) <= 0xFFFF && !((c as u32) >= 128 && (u as u32) < 128) => u,
        _ => c,
    }
}

/// For each canonical char, the other BMP chars that canonicalize to it.
fn fold_groups() -> &'static HashMap<char, Vec<char>> {
    static GROUPS: std::sync::OnceLock<HashMap<char, Vec<char>>> = std::sync::OnceLock::new();
    GROUPS.get_or_init(|| {
        let mut groups: HashMap<char, Vec<char>> = HashMap::new();
        for x in (0x80u32..=0xFFFF).filter_map(char::from_u32) {
            let u = js_canonicalize(x);
            if u != x {
                groups.entry(u).or_default().push(x);
            }
        }
        groups
    })
}

/// Chars that JS's case-insensitive (non-`u`) matching treats as equal to non-ASCII `c`.
fn case_variants(c: char) -> Vec<char> {
    if c.is_ascii() {
        return Vec::new();
    }
    let canon = js_canonicalize(c);
    let mut out = Vec::new();
    if canon != c {
        out.push(canon);
    }
    if let Some(group) = fold_groups().get(&canon) {
        out.extend(group.iter().copied().filter(|x| *x != c));
    }
    out
}

fn push_literal(out: &mut String, c: char) {
    let mut buf = [0u8; 4];
    out.push_str(&regex_lite::escape(c.encode_utf8(&mut buf)));
}

/// Emits a literal char outside a class, folding non-ASCII case like JS when asked.
fn push_atom(out: &mut String, c: char, fold: bool) {
    let variants = if fold { case_variants(c) } else { Vec::new() };
    if variants.is_empty() {
        push_literal(out, c);
    } else {
        out.push('[');
        push_literal(out, c);
        for v in variants {
            push_literal(out, v);
        }
        out.push(']');
    }
}

fn hex_digits(chars: &[char], at: usize, n: usize) -> Option<u32> {
    let slice = chars.get(at..at + n)?;
    if !slice.iter().all(char::is_ascii_hexdigit) {
        return None;
    }
    slice
        .iter()
        .try_fold(0u32, |acc, d| Some(acc * 16 + d.to_digit(16)?))
}

/// Length of a JS quantifier `{n}`, `{n,}` or `{n,m}` starting at `at`, if there is one.
fn quantifier_len(chars: &[char], at: usize) -> Option<usize> {
    let mut i = at + 1;
    let start = i;
    while chars.get(i).is_some_and(char::is_ascii_digit) {
        i += 1;
    }
    if i == start {
        return None;
    }
    if chars.get(i) == Some(&',') {
        i += 1;
        while chars.get(i).is_some_and(char::is_ascii_digit) {
            i += 1;
        }
    }
    (chars.get(i) == Some(&'}')).then_some(i + 1 - at)
}

/// One escape sequence of a JS pattern (what follows a backslash).
enum Esc {
    /// A single character.
    Char(char),
    /// A character set, as regex-lite class items.
    Set(&'static str),
    /// `\b` or `\B` outside a class.
    Assert(&'static str),
    /// A backreference, passed through for regex-lite to reject.
    Backref(String),
    /// A lone UTF-16 surrogate (`\uD800`): no valid text contains one.
    Surrogate(u32),
}

/// Capture groups in a JS pattern: how many, and whether any is named.
fn count_groups(chars: &[char]) -> (usize, bool) {
    let (mut count, mut named) = (0, false);
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '[' if !in_class => {
                in_class = true;
                // `[]` / `[^]`: a `]` right after the opening closes the class.
                if chars.get(i + 1) == Some(&'^') {
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    i += 1;
                    in_class = false;
                }
            }
            ']' if in_class => in_class = false,
            '(' if !in_class => match (chars.get(i + 1), chars.get(i + 2), chars.get(i + 3)) {
                (Some('?'), Some('<'), Some(c)) if *c != '=' && *c != '!' => {
                    count += 1;
                    named = true;
                }
                (Some('?'), _, _) => {}
                _ => count += 1,
            },
            _ => {}
        }
        i += 1;
    }
    (count, named)
}

/// Parses the escape whose letter is at `chars[j]` (after the backslash); returns it
/// and the index after it. Follows JS's Annex B (web-compatible) rules.
fn parse_escape(
    chars: &[char],
    j: usize,
    in_class: bool,
    groups: (usize, bool),
) -> Result<(Esc, usize), &'static str> {
    let Some(&e) = chars.get(j) else {
        return Err("\\ at end of pattern");
    };
    let next = j + 1;
    let esc = match e {
        'd' => Esc::Set(r"\d"),
        'D' => Esc::Set(r"\D"),
        'w' => Esc::Set(r"\w"),
        'W' => Esc::Set(r"\W"),
        's' => Esc::Set(JS_SPACE_ITEMS),
        'S' => Esc::Set(JS_NON_SPACE_ITEMS),
        'b' if in_class => Esc::Char('\u{08}'),
        'b' => Esc::Assert(r"\b"),
        'B' if !in_class => Esc::Assert(r"\B"),
        'n' => Esc::Char('\n'),
        'r' => Esc::Char('\r'),
        't' => Esc::Char('\t'),
        'v' => Esc::Char('\u{0B}'),
        'f' => Esc::Char('\u{0C}'),
        'c' => match chars.get(next) {
            Some(l)
                if l.is_ascii_alphabetic() || (in_class && (l.is_ascii_digit() || *l == '_')) =>
            {
                let code = (*l as u32) % 32;
                return Ok((Esc::Char(char::from_u32(code).unwrap_or('\0')), next + 1));
            }
            // A lone `\c` is a literal backslash; the `c` is read next.
            _ => return Ok((Esc::Char('\\'), j)),
        },
        'x' => match hex_digits(chars, next, 2).and_then(char::from_u32) {
            Some(c) => return Ok((Esc::Char(c), next + 2)),
            None => Esc::Char('x'),
        },
        'u' => match hex_digits(chars, next, 4) {
            Some(n) => {
                if let Some(c) = char::from_u32(n) {
                    return Ok((Esc::Char(c), next + 4));
                }
                // A surrogate pair written as two escapes is one character.
                let low = (chars.get(next + 4) == Some(&'\\') && chars.get(next + 5) == Some(&'u'))
                    .then(|| hex_digits(chars, next + 6, 4))
                    .flatten()
                    .filter(|lo| (0xD800..0xDC00).contains(&n) && (0xDC00..0xE000).contains(lo));
                if let Some(c) = low
                    .and_then(|lo| char::from_u32(0x10000 + ((n - 0xD800) << 10) + (lo - 0xDC00)))
                {
                    return Ok((Esc::Char(c), next + 10));
                }
                return Ok((Esc::Surrogate(n), next + 4));
            }
            None => Esc::Char('u'),
        },
        '1'..='9' if !in_class => {
            let mut end = j;
            while chars.get(end).is_some_and(char::is_ascii_digit) {
                end += 1;
            }
            let digits: String = chars[j..end].iter().collect();
            if digits.parse::<usize>().is_ok_and(|n| n <= groups.0) {
                return Ok((Esc::Backref(format!("\\{digits}")), end));
            }
            return Ok(legacy_octal_or_identity(chars, j));
        }
        '0'..='9' => return Ok(legacy_octal_or_identity(chars, j)),
        'k' if groups.1 && !in_class => Esc::Backref("\\k".to_string()),
        // Identity escape: the character itself.
        other => Esc::Char(other),
    };
    Ok((esc, next))
}

/// Annex B: `\8`/`\9` are the digit itself; `\0`-`\7` start a legacy octal escape.
fn legacy_octal_or_identity(chars: &[char], j: usize) -> (Esc, usize) {
    let first = chars.get(j).and_then(|c| c.to_digit(8));
    let Some(mut value) = first else {
        return (Esc::Char(chars.get(j).copied().unwrap_or('\\')), j + 1);
    };
    let max_len = if value <= 3 { 3 } else { 2 };
    let mut end = j + 1;
    while end - j < max_len {
        match chars.get(end).and_then(|c| c.to_digit(8)) {
            Some(d) => {
                value = value * 8 + d;
                end += 1;
            }
            None => break,
        }
    }
    (Esc::Char(char::from_u32(value).unwrap_or('\0')), end)
}

/// An item of a JS character class.
enum ClassItem {
    Char(char),
    Set(&'static str),
    /// Inclusive code-unit range; surrogate endpoints are clamped when emitted.
    Range(u32, u32),
    /// A lone surrogate: matches nothing in valid text.
    Surrogate(u32),
}

fn class_atom(
    chars: &[char],
    i: usize,
    groups: (usize, bool),
) -> Result<(ClassItem, usize), &'static str> {
    match chars.get(i) {
        Some('\\') => {
            let (esc, next) = parse_escape(chars, i + 1, true, groups)?;
            let item = match esc {
                Esc::Char(c) => ClassItem::Char(c),
                Esc::Set(s) => ClassItem::Set(s),
                Esc::Surrogate(n) => ClassItem::Surrogate(n),
                // Not produced inside a class.
                Esc::Assert(_) | Esc::Backref(_) => ClassItem::Char('\\'),
            };
            Ok((item, next))
        }
        Some(&c) => Ok((ClassItem::Char(c), i + 1)),
        None => Err("missing ] to close a character class"),
    }
}

/// Translates the class starting after `[` at `i`; returns the index after its `]`.
fn translate_class(
    chars: &[char],
    mut i: usize,
    fold: bool,
    groups: (usize, bool),
    out: &mut String,
) -> Result<usize, &'static str> {
    let negated = chars.get(i) == Some(&'^');
    if negated {
        i += 1;
    }
    if chars.get(i) == Some(&']') {
        // JS: `[]` matches nothing, `[^]` matches anything.
        out.push_str(if negated { r"[\s\S]" } else { NEVER });
        return Ok(i + 1);
    }
    let mut items = Vec::new();
    loop {
        match chars.get(i) {
            None => return Err("missing ] to close a character class"),
            Some(']') => {
                i += 1;
                break;
            }
            Some(_) => {}
        }
        let (first, next) = class_atom(chars, i, groups)?;
        i = next;
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|c| *c != ']') {
            let (second, next) = class_atom(chars, i + 1, groups)?;
            i = next;
            let code = |item: &ClassItem| match item {
                ClassItem::Char(c) => Some(*c as u32),
                ClassItem::Surrogate(n) => Some(*n),
                _ => None,
            };
            match (code(&first), code(&second)) {
                (Some(a), Some(b)) => {
                    if a > b {
                        return Err("range out of order in character class");
                    }
                    items.push(ClassItem::Range(a, b));
                }
                // Annex B: a range with a class escape is a union with a literal `-`.
                _ => {
                    items.push(first);
                    items.push(ClassItem::Char('-'));
                    items.push(second);
                }
            }
        } else {
            items.push(first);
        }
    }
    let mut body = String::new();
    let out_class = out;
    let out = &mut body;
    for item in items {
        match item {
            ClassItem::Char(c) => {
                push_literal(out, c);
                if fold {
                    for v in case_variants(c) {
                        push_literal(out, v);
                    }
                }
            }
            ClassItem::Set(s) => out.push_str(s),
            ClassItem::Range(a, b) => {
                // Valid text has no surrogates: clamp them off the range.
                let a = if (0xD800..0xE000).contains(&a) {
                    0xE000
                } else {
                    a
                };
                let b = if (0xD800..0xE000).contains(&b) {
                    0xD7FF
                } else {
                    b
                };
                let (Some(ca), Some(cb)) = (char::from_u32(a), char::from_u32(b)) else {
                    continue;
                };
                if ca > cb {
                    continue;
                }
                push_literal(out, ca);
                out.push('-');
                push_literal(out, cb);
                let lo = a.max(0x80);
                if fold && b >= lo && b - lo <= MAX_FOLDED_RANGE {
                    for x in (lo..=b).filter_map(char::from_u32) {
                        for v in case_variants(x) {
                            if v < ca || v > cb {
                                push_literal(out, v);
                            }
                        }
                    }
                }
            }
            ClassItem::Surrogate(_) => {}
        }
    }
    if body.is_empty() {
        // Only lone surrogates: the class matches nothing (or, negated, anything).
        out_class.push_str(if negated { r"[\s\S]" } else { NEVER });
    } else {
        out_class.push('[');
        if negated {
            out_class.push('^');
        }
        out_class.push_str(&body);
        out_class.push(']');
    }
    Ok(i)
}

/// What the previous piece of a JS pattern was, to reject what JS rejects
/// ("nothing to repeat") although regex-lite would accept it (`a**`, `^*`).
#[derive(Clone, Copy, PartialEq)]
enum Prev {
    /// Start of pattern or alternative, an open group, or an assertion.
    Nothing,
    /// Something a quantifier may follow.
    Atom,
    /// A quantifier, which may still take one lazy `?`.
    Quantifier,
    /// A lazy quantifier: nothing may follow that repeats.
    Lazy,
}

/// Translates a JavaScript (non-`u`, Annex B) regular expression into regex-lite
/// syntax with the same meaning.
///
/// Errors that JS reports but regex-lite would not are returned as `Err`;
/// constructs regex-lite lacks (look-around, backreferences) are passed
/// through so regex-lite reports them.
fn translate_js_regex(src: &str, fold: bool) -> Result<String, &'static str> {
    const NOTHING_TO_REPEAT: &str =
        "nothing to repeat (*, +, ? and {n} must follow a character, a class or a group)";
    let chars: Vec<char> = src.chars().collect();
    let groups = count_groups(&chars);
    let mut out = String::with_capacity(src.len() + 16);
    let mut i = 0;
    let mut prev = Prev::Nothing;
    while i < chars.len() {
        let c = chars[i];
        // A quantifier: `*`, `+`, `?` or a well-formed `{n}`, `{n,}`, `{n,m}`.
        let quantifier = match c {
            '*' | '+' | '?' => Some(1),
            '{' => quantifier_len(&chars, i),
            _ => None,
        };
        if let Some(n) = quantifier {
            prev = match (prev, c) {
                (Prev::Atom, _) => Prev::Quantifier,
                (Prev::Quantifier, '?') => Prev::Lazy,
                _ => return Err(NOTHING_TO_REPEAT),
            };
            out.extend(&chars[i..i + n]);
            i += n;
            continue;
        }
        prev = Prev::Atom;
        match c {
            '\\' => {
                let (esc, next) = parse_escape(&chars, i + 1, false, groups)?;
                i = next;
                match esc {
                    Esc::Char(c) => push_atom(&mut out, c, fold),
                    Esc::Set(s) => {
                        out.push('[');
                        out.push_str(s);
                        out.push(']');
                    }
                    Esc::Assert(a) => {
                        prev = Prev::Nothing;
                        out.push_str(a);
                    }
                    Esc::Backref(b) => out.push_str(&b),
                    Esc::Surrogate(_) => out.push_str(NEVER),
                }
            }
            '[' => i = translate_class(&chars, i + 1, fold, groups, &mut out)?,
            '(' => {
                prev = Prev::Nothing;
                if chars.get(i + 1) == Some(&'?') {
                    // Group kinds JS knows: (?:  (?=  (?!  (?<=  (?<!  (?<name>
                    let len = match (chars.get(i + 2), chars.get(i + 3)) {
                        (Some(':' | '=' | '!'), _) => 3,
                        (Some('<'), Some('=' | '!')) => 4,
                        (Some('<'), _) => match chars[i..].iter().position(|c| *c == '>') {
                            Some(end) => end + 1,
                            None => return Err("unterminated group name"),
                        },
                        _ => {
                            return Err("invalid group: JavaScript allows only (?:, (?=, (?!, \
                                        (?<=, (?<! and (?<name>");
                        }
                    };
                    out.extend(&chars[i..i + len]);
                    i += len;
                } else {
                    out.push('(');
                    i += 1;
                }
            }
            ')' => {
                out.push(')');
                i += 1;
            }
            '|' | '^' | '$' => {
                prev = Prev::Nothing;
                out.push(c);
                i += 1;
            }
            '.' => {
                out.push_str(JS_DOT);
                i += 1;
            }
            // Anything else, including `{` that is not a quantifier and a lone `}` or
            // `]`, is a literal in JS.
            other => {
                push_atom(&mut out, other, fold);
                i += 1;
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------

static NULL: Value = Value::Null;

impl CondObj {
    /// `obj` is the value the paths are read from; `root` the request attributes.
    fn eval(&self, obj: &Value, root: &Value, ctx: &EvalContext) -> bool {
        self.clauses.iter().all(|c| c.eval(obj, root, ctx))
    }
}

impl Clause {
    fn eval(&self, obj: &Value, root: &Value, ctx: &EvalContext) -> bool {
        match self {
            Clause::And(list) => list.iter().all(|c| c.eval(obj, root, ctx)),
            Clause::Or(list) => list.is_empty() || list.iter().any(|c| c.eval(obj, root, ctx)),
            Clause::Nor(list) => !(list.is_empty() || list.iter().any(|c| c.eval(obj, root, ctx))),
            Clause::Not(c) => !c.eval(obj, root, ctx),
            Clause::Field { path, test } => {
                let value = get_path(obj, path);
                test.eval(&value, root, ctx)
            }
            Clause::Audience { name, member } => match ctx.audiences.matches(name, root) {
                Some(m) => m == *member,
                None => false,
            },
            Clause::Invalid => false,
        }
    }
}

/// GrowthBook's `getPath`: dotted lookup; missing means `null`. Arrays answer
/// index keys and `length`, as JS's `in` operator does.
fn get_path<'a>(obj: &'a Value, path: &[Box<str>]) -> Cow<'a, Value> {
    let mut cur = obj;
    let last = path.len().saturating_sub(1);
    for (i, part) in path.iter().enumerate() {
        match cur {
            Value::Object(map) => match map.get(&**part) {
                Some(v) => cur = v,
                None => return Cow::Borrowed(&NULL),
            },
            Value::Array(items) => {
                if &**part == "length" {
                    if i == last {
                        return Cow::Owned(Value::from(items.len()));
                    }
                    // A number has no properties.
                    return Cow::Borrowed(&NULL);
                }
                match array_index(part).and_then(|ix| items.get(ix)) {
                    Some(v) => cur = v,
                    None => return Cow::Borrowed(&NULL),
                }
            }
            _ => return Cow::Borrowed(&NULL),
        }
    }
    Cow::Borrowed(cur)
}

/// A canonical JS array index ("0", "17"; not "01" or "+1").
fn array_index(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) || (b.len() > 1 && b[0] == b'0') {
        return None;
    }
    s.parse().ok()
}

impl Test {
    fn eval(&self, value: &Value, root: &Value, ctx: &EvalContext) -> bool {
        match self {
            Test::Str(s) => js_to_string(value, 0) == **s,
            Test::StrFold(s) => js_to_string(value, 0).to_lowercase() == **s,
            Test::Num(n) => js_to_number(value) == *n,
            Test::Bool(b) => !value.is_null() && truthy(value) == *b,
            Test::Null => value.is_null(),
            Test::Deep(expected) => json_equal(value, expected),
            Test::Ops(ops) => ops.iter().all(|op| op.eval(value, root, ctx)),
            Test::Invalid => false,
        }
    }
}

impl Op {
    fn eval(&self, value: &Value, root: &Value, ctx: &EvalContext) -> bool {
        match self {
            Op::Version(rel, expected) => {
                let actual = padded_version_string(value);
                let ord = js_str_cmp(&actual, expected);
                match rel {
                    VRel::Eq => ord == Ordering::Equal,
                    VRel::Ne => ord != Ordering::Equal,
                    VRel::Lt => ord == Ordering::Less,
                    VRel::Lte => ord != Ordering::Greater,
                    VRel::Gt => ord == Ordering::Greater,
                    VRel::Gte => ord != Ordering::Less,
                }
            }
            Op::StrictEq(expected, negate) => {
                expected.as_ref().is_some_and(|e| strict_eq(value, e)) != *negate
            }
            Op::Cmp(rel, expected) => {
                let actual = to_primitive(value, 0);
                match rel {
                    Rel::Lt => js_less(&actual, expected) == Some(true),
                    Rel::Gt => js_less(expected, &actual) == Some(true),
                    Rel::Lte => js_less(expected, &actual) == Some(false),
                    Rel::Gte => js_less(&actual, expected) == Some(false),
                }
            }
            Op::Exists(want) => value.is_null() != *want,
            Op::In {
                items,
                fold,
                negate,
            } => is_in(value, items, *fold) != *negate,
            Op::InGroup { group, negate } => {
                let members = ctx
                    .saved_groups
                    .get(&**group)
                    .map_or(&[][..], Vec::as_slice);
                is_in(value, members, false) != *negate
            }
            Op::Not(test) => !test.eval(value, root, ctx),
            Op::Size(test) => match value {
                Value::Array(items) => test.eval(&Value::from(items.len()), root, ctx),
                _ => false,
            },
            Op::ElemMatchValue(test) => match value {
                Value::Array(items) => items
                    .iter()
                    .any(|item| truthy(item) && test.eval(item, root, ctx)),
                _ => false,
            },
            Op::ElemMatchCond(cond) => match value {
                Value::Array(items) => items
                    .iter()
                    .any(|item| truthy(item) && cond.eval(item, root, ctx)),
                _ => false,
            },
            Op::All(tests) => match value {
                Value::Array(items) => tests
                    .iter()
                    .all(|t| items.iter().any(|item| t.eval(item, root, ctx))),
                _ => false,
            },
            Op::Regex(re) => re.is_match(&js_to_string(value, 0)),
            Op::Type(name) => js_type(value) == *name,
            Op::False => false,
        }
    }
}

/// GrowthBook's `isIn`: intersection when the attribute is an array; `===` per item
/// (strings lowercased first when `fold`; `items` are already lowercased then).
fn is_in(actual: &Value, items: &[Value], fold: bool) -> bool {
    let one = |a: &Value| -> bool {
        match a {
            Value::String(s) if fold => {
                let lower = s.to_lowercase();
                items
                    .iter()
                    .any(|e| matches!(e, Value::String(x) if *x == lower))
            }
            _ => items.iter().any(|e| strict_eq(a, e)),
        }
    };
    match actual {
        Value::Array(values) => values.iter().any(one),
        other => one(other),
    }
}

// ---------------------------------------------------------------------------
// JavaScript value semantics
// ---------------------------------------------------------------------------

/// JS `===` on JSON values: objects and arrays are never equal (distinct references).
fn strict_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::String(y)) => x == y,
        _ => false,
    }
}

/// `JSON.stringify(a) === JSON.stringify(b)`, except that object key order is ignored.
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => strict_eq(a, b),
    }
}

/// JS truthiness (`!!value`).
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// GrowthBook's `getType`.
fn js_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A JS primitive, the result of `ToPrimitive` on a JSON value.
#[derive(Debug, Clone)]
enum Prim<'a> {
    Null,
    Bool(bool),
    Num(f64),
    Str(Cow<'a, str>),
}

impl Prim<'_> {
    fn into_owned(self) -> Prim<'static> {
        match self {
            Prim::Null => Prim::Null,
            Prim::Bool(b) => Prim::Bool(b),
            Prim::Num(n) => Prim::Num(n),
            Prim::Str(s) => Prim::Str(Cow::Owned(s.into_owned())),
        }
    }

    fn to_number(&self) -> f64 {
        match self {
            Prim::Null => 0.0,
            Prim::Bool(b) => f64::from(u8::from(*b)),
            Prim::Num(n) => *n,
            Prim::Str(s) => js_string_to_number(s),
        }
    }
}

fn to_primitive(v: &Value, depth: usize) -> Prim<'_> {
    match v {
        Value::Null => Prim::Null,
        Value::Bool(b) => Prim::Bool(*b),
        Value::Number(n) => Prim::Num(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => Prim::Str(Cow::Borrowed(s)),
        Value::Array(_) | Value::Object(_) => Prim::Str(js_to_string(v, depth)),
    }
}

/// JS `x < y` (abstract relational comparison); `None` is JS's `undefined` (a NaN side).
fn js_less(x: &Prim, y: &Prim) -> Option<bool> {
    if let (Prim::Str(a), Prim::Str(b)) = (x, y) {
        return Some(js_str_cmp(a, b) == Ordering::Less);
    }
    let (a, b) = (x.to_number(), y.to_number());
    if a.is_nan() || b.is_nan() {
        None
    } else {
        Some(a < b)
    }
}

/// JS string order: by UTF-16 code units.
fn js_str_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// JS `value * 1` on a JSON value.
fn js_to_number(v: &Value) -> f64 {
    to_primitive(v, 0).to_number()
}

/// JS `String(value)` on a JSON value.
fn js_to_string(v: &Value, depth: usize) -> Cow<'_, str> {
    match v {
        Value::Null => Cow::Borrowed("null"),
        Value::Bool(true) => Cow::Borrowed("true"),
        Value::Bool(false) => Cow::Borrowed("false"),
        Value::Number(n) => Cow::Owned(js_number_to_string(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(s) => Cow::Borrowed(s),
        Value::Object(_) => Cow::Borrowed("[object Object]"),
        Value::Array(items) => {
            if depth >= MAX_VALUE_RECURSION {
                return Cow::Borrowed("");
            }
            let mut out = String::new();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !item.is_null() {
                    out.push_str(&js_to_string(item, depth + 1));
                }
            }
            Cow::Owned(out)
        }
    }
}

/// JS `Number.prototype.toString()` (radix 10).
fn js_number_to_string(n: f64) -> String {
    if n.is_nan() {
        return "NaN".to_string();
    }
    if n == 0.0 {
        return "0".to_string();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    // Rust's `{:e}` gives the shortest round-trip digits, as JS does.
    let formatted = format!("{:e}", n.abs());
    let (mantissa, exp) = formatted.split_once('e').unwrap_or((&formatted, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return "0".to_string();
    }
    let k = digits.len() as i64;
    let point = exp.parse::<i64>().unwrap_or(0) + 1;
    let mut out = String::with_capacity(32);
    if n < 0.0 {
        out.push('-');
    }
    if k <= point && point <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (point - k) as usize));
    } else if 0 < point && point <= 21 {
        let (int, frac) = digits.split_at(point as usize);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else if -6 < point && point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-point) as usize));
        out.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push(if point > 0 { '+' } else { '-' });
        out.push_str(&(point - 1).abs().to_string());
    }
    out
}

/// JS WhiteSpace and LineTerminator code points (what `String.prototype.trim` strips).
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// JS `StringToNumber` (`Number("...")`).
fn js_string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_js_space);
    if t.is_empty() {
        return 0.0;
    }
    for (prefix, radix) in [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ] {
        if let Some(digits) = t.strip_prefix(prefix) {
            if digits.is_empty() {
                return f64::NAN;
            }
            let mut acc = 0f64;
            for d in digits.chars() {
                match d.to_digit(radix) {
                    Some(v) => acc = acc * f64::from(radix) + f64::from(v),
                    None => return f64::NAN,
                }
            }
            return acc;
        }
    }
    match t {
        "Infinity" | "+Infinity" => return f64::INFINITY,
        "-Infinity" => return f64::NEG_INFINITY,
        _ => {}
    }
    if !is_decimal_literal(t) {
        return f64::NAN;
    }
    t.parse().unwrap_or(f64::NAN)
}

/// `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`
fn is_decimal_literal(t: &str) -> bool {
    let b = t.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let int_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let mut digits = i - int_start;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

/// GrowthBook's `paddedVersionString`: a string whose JS order is version order.
fn padded_version_string(v: &Value) -> String {
    let text: Cow<'_, str> = match v {
        Value::Number(n) => Cow::Owned(js_number_to_string(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(s) if !s.is_empty() => Cow::Borrowed(s),
        _ => Cow::Borrowed("0"),
    };
    // `.replace(/(^v|\+.*$)/g, "")`: drop a leading "v", and build info from the
    // first "+" that has no line terminator after it (`.` stops at those).
    let mut s: &str = &text;
    if let Some(rest) = s.strip_prefix('v') {
        s = rest;
    }
    let line_start = s
        .rfind(['\n', '\r', '\u{2028}', '\u{2029}'])
        .map_or(0, |p| p + 1);
    if let Some(plus) = s[line_start..].find('+') {
        s = &s[..line_start + plus];
    }
    let mut parts: Vec<&str> = s.split(['-', '.']).collect();
    if parts.len() == 3 {
        parts.push("~");
    }
    let mut out = String::with_capacity(s.len() + 16);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push('-');
        }
        if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) && part.len() < 5 {
            out.extend(std::iter::repeat_n(' ', 5 - part.len()));
        }
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct TestAudiences;

    impl Audiences for TestAudiences {
        fn matches(&self, name: &str, attributes: &Value) -> Option<bool> {
            match name {
                "vip" => Some(attributes["tier"] == "gold"),
                "everyone" => Some(true),
                _ => None,
            }
        }
    }

    fn eval_with(cond: &Value, attrs: &Value, audiences: &dyn Audiences) -> bool {
        let groups = HashMap::new();
        let ctx = EvalContext {
            saved_groups: &groups,
            audiences,
        };
        Condition::compile(cond).0.eval(attrs, &ctx)
    }

    fn eval(cond: Value, attrs: Value) -> bool {
        eval_with(&cond, &attrs, &NoAudiences)
    }

    fn errors(cond: Value) -> Vec<ConditionError> {
        Condition::compile(&cond).1
    }

    #[test]
    fn unknown_operator_is_reported_with_suggestion() {
        let errs = errors(json!({"name": {"$regx": "hello"}}));
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].path, "/name/$regx");
        assert!(
            errs[0].message.starts_with(
                "unknown operator \"$regx\" (did you mean \"$regex\"?); expected one of $eq, $ne,"
            ),
            "{}",
            errs[0].message
        );
        assert!(errs[0].message.ends_with("$inGroup, $notInGroup"));
        assert!(!eval(
            json!({"name": {"$regx": "hello"}}),
            json!({"name": "hello"})
        ));
        // GrowthBook semantics: the unknown operator is false, so $not of it is true.
        assert!(eval(
            json!({"$not": {"name": {"$regx": "hello"}}}),
            json!({"name": "hello"})
        ));
    }

    #[test]
    fn invalid_regex_is_reported_and_false() {
        let errs = errors(json!({"$and": [{}, {"price": {"$regex": "("}}]}));
        assert_eq!(
            errs,
            vec![ConditionError {
                path: "/$and/1/price/$regex".into(),
                message: "invalid regular expression \"(\": found open group without closing ')'"
                    .into(),
            }]
        );
        assert_eq!(
            errs[0].to_string(),
            "condition at /$and/1/price/$regex: invalid regular expression \"(\": found open \
             group without closing ')'"
        );
        assert!(!eval(
            json!({"price": {"$regex": "("}}),
            json!({"price": "("})
        ));
        let errs = errors(json!({"ua": {"$regex": "(?=Mobile)"}}));
        assert!(errs[0].message.ends_with("look-around is not supported"));
    }

    #[test]
    fn long_and_huge_regexes_are_rejected() {
        let long = "a".repeat(1203);
        let errs = errors(json!({"ua": {"$regexi": long}}));
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].path, "/ua/$regexi");
        assert_eq!(
            errs[0].message,
            "regular expression is 1203 characters; the limit is 1000"
        );
        assert!(!eval(json!({"ua": {"$regexi": long}}), json!({"ua": long})));

        let huge = "((a|b|c){1000}){1000}";
        let errs = errors(json!({"ua": {"$regex": huge}}));
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0].message.starts_with(
                "regular expression \"((a|b|c){1000}){1000}\" is too large once compiled"
            ),
            "{}",
            errs[0].message
        );
        let nested = format!("{}a{}", "(".repeat(100), ")".repeat(100));
        let errs = errors(json!({"ua": {"$regex": nested}}));
        assert!(
            errs[0].message.contains("nests groups too deeply"),
            "{}",
            errs[0].message
        );
    }

    #[test]
    fn operand_type_errors() {
        let errs = errors(json!({
            "a": {"$in": "US"},
            "b": {"$type": "str"},
            "c": {"$exists": "no"},
            "d": {"$regex": 5},
            "e": {"$vgt": true},
            "f": {"$elemMatch": "x"},
            "g": {"$or": []},
            "h": {"$eq": [1]},
        }));
        let msgs: Vec<(String, String)> = errs.into_iter().map(|e| (e.path, e.message)).collect();
        assert_eq!(
            msgs,
            vec![
                (
                    "/a/$in".to_string(),
                    "\"$in\" needs a list of values, e.g. [\"US\", \"CA\"]; found string \"US\""
                        .to_string()
                ),
                (
                    "/b/$type".to_string(),
                    "unknown type \"str\"; expected one of string, number, boolean, object, \
                     array, null"
                        .to_string()
                ),
                (
                    "/c/$exists".to_string(),
                    "\"$exists\" needs true or false; found string \"no\" (read as true)"
                        .to_string()
                ),
                (
                    "/d/$regex".to_string(),
                    "\"$regex\" needs a regular expression as a string; found number 5".to_string()
                ),
                (
                    "/e/$vgt".to_string(),
                    "\"$vgt\" needs a version string such as \"1.2.3\"; found boolean true"
                        .to_string()
                ),
                (
                    "/f/$elemMatch".to_string(),
                    "\"$elemMatch\" needs an object, e.g. {\"$eq\": \"sale\"} or {\"sku\": \
                     \"A1\"}; found string \"x\""
                        .to_string()
                ),
                (
                    "/g/$or".to_string(),
                    "\"$or\" combines whole conditions and is not an operator on a value; move \
                     it up so it holds attribute conditions, e.g. {\"$or\": [{\"country\": \
                     \"US\"}, ...]}"
                        .to_string()
                ),
                (
                    "/h/$eq".to_string(),
                    "\"$eq\" compares single values (GrowthBook uses ===), so it never matches \
                     an array or object; to compare a whole list or object, give the value \
                     directly instead of {\"$eq\": ...}"
                        .to_string()
                ),
            ]
        );
    }

    #[test]
    fn structural_errors() {
        let errs = errors(json!({"$and": {"a": 1}, "$not": [1], "x/y~": {"$gt": 1, "z": 2}}));
        let paths: Vec<&str> = errs.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, vec!["/$and", "/$not", "/x~1y~0"]);
        assert!(
            errs[0]
                .message
                .starts_with("\"$and\" needs a list of condition objects")
        );
        assert_eq!(
            errs[1].message,
            "expected a condition object such as {\"country\": \"US\"}; found an array of 1 \
             item(s)"
        );
        assert!(
            errs[2]
                .message
                .starts_with("this object mixes operators ($gt) with plain keys (z)")
        );
        let (_, errs) = Condition::compile(&json!("country"));
        assert_eq!(errs[0].path, "");
        assert_eq!(
            errs[0].to_string(),
            "condition: expected a condition object such as {\"country\": \"US\"}; found string \
             \"country\""
        );
        assert!(!eval(json!("country"), json!({})));
        assert!(!eval(json!({"$or": "x"}), json!({})));
        // Structural problems fail closed even under $not / $nor.
        assert!(!eval(json!({"$not": [1]}), json!({})));
        assert!(!eval(json!({"$nor": [5]}), json!({})));
        assert!(!eval(
            json!({"$not": {"a": {"$elemMatch": 5}}}),
            json!({"a": [1]})
        ));
        // Operand errors GrowthBook defines keep its outcome: false at the operator.
        assert!(eval(
            json!({"$not": {"a": {"$in": "x"}}}),
            json!({"a": "x"})
        ));
        assert!(!eval(json!({"a": {"$eq": [1]}}), json!({"a": [1]})));
        assert!(eval(
            json!({"a": {"$ne": {"b": 1}}}),
            json!({"a": {"b": 1}})
        ));
        assert!(!eval(json!({"a": {"$in": [[1], 1]}}), json!({"a": [[1]]})));
        // Misplaced operator at attribute level is flagged but keeps GrowthBook's reading.
        let errs = errors(json!({"$exists": true}));
        assert!(
            errs[0]
                .message
                .starts_with("\"$exists\" is an operator but is used here")
        );
        assert!(errors(json!({"$groups": {"$elemMatch": {"$eq": "a"}}})).is_empty());
    }

    fn nest_not(levels: usize) -> Value {
        let mut v = json!({"a": 1});
        for _ in 0..levels {
            v = json!({ "$not": v });
        }
        v
    }

    #[test]
    fn depth_limit() {
        // 60 nested $not compile fine.
        let ok = nest_not(60);
        assert!(errors(ok.clone()).is_empty());
        assert!(eval(ok, json!({"a": 1})));
        // Deeper nesting is an error and evaluates to false at the point of the cut.
        let deep = nest_not(200);
        let errs = errors(deep.clone());
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0]
                .message
                .starts_with("condition is nested more than 64 levels deep")
        );
        assert_eq!(errs[0].path.matches("/$not").count(), 65);
        // The whole condition fails closed, whatever the parity of the cut.
        assert!(!eval(deep, json!({"a": 1})));
        assert!(!eval(nest_not(201), json!({"a": 1})));
        assert!(!eval(nest_not(201), json!({"a": 2})));

        // Deep operator nesting and deep literal values.
        let mut v = json!(1);
        for _ in 0..1000 {
            v = json!({ "$not": v });
        }
        let errs = errors(json!({ "x": v }));
        assert_eq!(errs.len(), 1);
        let mut lit = json!(1);
        for _ in 0..100 {
            lit = json!([lit]);
        }
        let errs = errors(json!({ "x": lit }));
        assert_eq!(errs.len(), 1);
        assert!(!eval(json!({ "x": lit }), json!({ "x": lit })));
        let mut list = json!({"a": 1});
        for _ in 0..100 {
            list = json!({ "$or": [list] });
        }
        assert_eq!(errors(list).len(), 1);
    }

    #[test]
    fn audience_extension() {
        let vip = json!({"tier": "gold"});
        let basic = json!({"tier": "silver"});
        let a = &TestAudiences;
        assert!(eval_with(&json!({"$inGroup": "vip"}), &vip, a));
        assert!(!eval_with(&json!({"$inGroup": "vip"}), &basic, a));
        assert!(eval_with(&json!({"$notInGroup": "vip"}), &basic, a));
        assert!(!eval_with(&json!({"$notInGroup": "vip"}), &vip, a));
        // Unknown audiences are false either way.
        assert!(!eval_with(&json!({"$inGroup": "nope"}), &vip, a));
        assert!(!eval_with(&json!({"$notInGroup": "nope"}), &vip, a));
        assert!(!eval_with(&json!({"$inGroup": "vip"}), &vip, &NoAudiences));
        // Inside $and/$or/$nor/$not, with attributes alongside.
        let cond = json!({"$or": [{"$inGroup": "vip"}, {"country": "US"}], "$not": {"$notInGroup": "everyone"}});
        assert!(!eval_with(&cond, &basic, a));
        assert!(eval_with(&cond, &json!({"tier": "x", "country": "US"}), a));
        let (c, errs) = Condition::compile(&json!({
            "$and": [{"$inGroup": "vip"}, {"$nor": [{"$notInGroup": "b2b"}]}],
            "$not": {"$inGroup": "vip"},
            "id": {"$inGroup": "saved"},
        }));
        assert!(errs.is_empty());
        assert_eq!(c.referenced_audiences(), vec!["vip", "b2b"]);
        // Inside $elemMatch it keeps GrowthBook's meaning (a path), not an audience.
        let (c, _) =
            Condition::compile(&json!({"items": {"$elemMatch": {"$inGroup": "vip", "x": 1}}}));
        assert!(c.referenced_audiences().is_empty());
        // A non-string top-level $inGroup is an error.
        let errs = errors(json!({"$inGroup": ["vip"]}));
        assert_eq!(errs[0].path, "/$inGroup");
        assert!(errs[0].message.starts_with(
            "\"$inGroup\" at this level names an audience and needs a string such as \"vip\"; \
             found an array of 1 item(s)"
        ));
    }

    #[test]
    fn saved_groups_on_attributes() {
        let mut groups = HashMap::new();
        groups.insert("g".to_string(), vec![json!(1), json!("2")]);
        let ctx = EvalContext {
            saved_groups: &groups,
            audiences: &NoAudiences,
        };
        let (c, errs) = Condition::compile(&json!({"id": {"$inGroup": "g"}}));
        assert!(errs.is_empty());
        assert!(c.eval(&json!({"id": 1}), &ctx));
        assert!(c.eval(&json!({"id": [3, "2"]}), &ctx));
        assert!(!c.eval(&json!({"id": 2}), &ctx));
    }

    #[test]
    fn js_quirks() {
        // Missing attribute is null: String(null) is "null", null*1 is 0.
        assert!(eval(json!({"a": "null"}), json!({})));
        assert!(eval(json!({"a": 0}), json!({})));
        assert!(eval(json!({"a": {"$regex": "^nul"}}), json!({})));
        // Array index and length paths.
        assert!(eval(json!({"tags.1": "b"}), json!({"tags": ["a", "b"]})));
        assert!(eval(
            json!({"tags.length": {"$gte": 2}}),
            json!({"tags": ["a", "b"]})
        ));
        assert!(!eval(json!({"tags.01": "b"}), json!({"tags": ["a", "b"]})));
        // String() of arrays and numbers.
        assert!(eval(json!({"a": "1,,x"}), json!({"a": [1, null, "x"]})));
        assert!(eval(json!({"a": "1e+21"}), json!({"a": 1e21})));
        assert!(eval(json!({"a": "0.000001"}), json!({"a": 0.000001})));
        assert!(eval(json!({"a": "1e-7"}), json!({"a": 1e-7})));
        assert!(eval(json!({"a": "1.5"}), json!({"a": 1.5})));
        assert!(eval(json!({"a": "100"}), json!({"a": 100.0})));
        // Number coercion.
        assert!(eval(json!({"a": 16}), json!({"a": "0x10"})));
        assert!(eval(json!({"a": 3}), json!({"a": " 3 "})));
        assert!(!eval(json!({"a": 3}), json!({"a": "3px"})));
        assert!(eval(json!({"a": 1}), json!({"a": true})));
        assert!(!eval(json!({"a": {"$gt": 1}}), json!({"a": "abc"})));
        assert!(!eval(json!({"a": {"$lte": 1}}), json!({"a": "abc"})));
        // $eq is ===: no coercion.
        assert!(!eval(json!({"a": {"$eq": 1}}), json!({"a": "1"})));
        assert!(eval(json!({"a": {"$eq": null}}), json!({})));
        // Empty $nor fails; empty $or passes.
        assert!(!eval(json!({"$nor": []}), json!({})));
        assert!(eval(json!({"$or": []}), json!({})));
        // $elemMatch skips falsy items.
        assert!(!eval(
            json!({"a": {"$elemMatch": {"$eq": 0}}}),
            json!({"a": [0, 1]})
        ));
        // $and inside an operator object is an unknown operator in GrowthBook.
        assert!(!eval(
            json!({"a": {"$elemMatch": {"$or": [{"x": 1}]}}}),
            json!({"a": [{"x": 1}]})
        ));
        // Object equality ignores key order.
        assert!(eval(
            json!({"a": {"x": 1, "y": 2}}),
            json!({"a": {"y": 2, "x": 1.0}})
        ));
        // Version strings.
        assert_eq!(
            padded_version_string(&json!("v1.2.3+b")),
            "    1-    2-    3-~"
        );
        assert_eq!(padded_version_string(&json!(2)), "    2");
        assert_eq!(padded_version_string(&json!(null)), "    0");
    }

    #[test]
    fn regex_translation() {
        assert!(eval(
            json!({"p": {"$regex": "^\\/shop\\/"}}),
            json!({"p": "/shop/x"})
        ));
        assert!(eval(
            json!({"p": {"$regex": "a\\<b\\>"}}),
            json!({"p": "a<b>"})
        ));
        assert!(eval(json!({"p": {"$regex": "a{"}}), json!({"p": "a{"})));
        assert!(eval(json!({"p": {"$regex": "x{2}"}}), json!({"p": "xx"})));
        assert!(eval(json!({"p": {"$regex": "^[^]$"}}), json!({"p": "\n"})));
        assert!(!eval(json!({"p": {"$regex": "[]"}}), json!({"p": "x"})));
        assert!(!eval(json!({"p": {"$regex": "a.b"}}), json!({"p": "a\rb"})));
        assert!(eval(
            json!({"p": {"$regex": "a\\sb"}}),
            json!({"p": "a\u{a0}b"})
        ));
        assert!(eval(json!({"p": {"$regex": "[[]"}}), json!({"p": "["})));
        assert!(eval(json!({"p": {"$regex": "[&&]"}}), json!({"p": "&"})));
        assert!(eval(json!({"p": {"$regex": "\\cJ"}}), json!({"p": "\n"})));
        assert!(eval(
            json!({"p": {"$regex": "\\x41\\u0042\\A"}}),
            json!({"p": "ABA"})
        ));
        assert!(eval(
            json!({"p": {"$regexi": "MÜNCHEN"}}),
            json!({"p": "münchen"})
        ));
        assert!(eval(
            json!({"p": {"$regexi": "[é]t[é]"}}),
            json!({"p": "ÉTÉ"})
        ));
        assert!(!eval(
            json!({"p": {"$regex": "MÜNCHEN"}}),
            json!({"p": "münchen"})
        ));
        // Annex B class rules, JS's \s/\S, surrogate escapes, JS case folding.
        assert!(eval(
            json!({"p": {"$regex": "^[\\w-.]+@"}}),
            json!({"p": "a.b-c@x"})
        ));
        assert!(eval(
            json!({"p": {"$regex": "^[\\d-z]+$"}}),
            json!({"p": "1-z"})
        ));
        assert!(!eval(
            json!({"p": {"$regex": "[\\S]"}}),
            json!({"p": "\u{a0}\u{feff}"})
        ));
        assert!(eval(
            json!({"p": {"$regex": "[\\c1]"}}),
            json!({"p": "\u{11}"})
        ));
        assert!(eval(
            json!({"p": {"$regex": "\\ud83d\\ude00"}}),
            json!({"p": "😀"})
        ));
        assert!(!eval(
            json!({"p": {"$regex": "a\\ud83d"}}),
            json!({"p": "a😀"})
        ));
        assert!(eval(
            json!({"p": {"$regex": "[^\\ud83d]"}}),
            json!({"p": "a"})
        ));
        assert!(eval(
            json!({"p": {"$regex": "\\8\\101"}}),
            json!({"p": "8A"})
        ));
        assert!(eval(json!({"p": {"$regexi": "σ"}}), json!({"p": "ς"})));
        assert!(eval(json!({"p": {"$regexi": "[à-ÿ]"}}), json!({"p": "É"})));
        assert!(eval(
            json!({"p": {"$regexi": "\\u00e9"}}),
            json!({"p": "É"})
        ));
        assert!(!eval(json!({"p": {"$regexi": "ß"}}), json!({"p": "ẞ"})));
        assert!(!eval(
            json!({"p": {"$regexi": "k"}}),
            json!({"p": "\u{212a}"})
        ));
        // What JS rejects is rejected even where regex-lite would accept it.
        for bad in ["a**", "a???", "^*", "\\b+", "x{2}{3}", "(?i)a", "a\\"] {
            let errs = errors(json!({"p": {"$regex": bad}}));
            assert_eq!(errs.len(), 1, "{bad}");
            assert!(
                errs[0].message.starts_with("invalid regular expression"),
                "{bad}"
            );
        }
        assert_eq!(
            errors(json!({"p": {"$regex": "a**"}}))[0].message,
            "invalid regular expression \"a**\": nothing to repeat (*, +, ? and {n} must follow \
             a character, a class or a group)"
        );
        for good in [
            "a*?",
            "(?:ab)+",
            "(?<year>\\d{4})-",
            "a{2}?",
            "[*+?]",
            "\\*+",
        ] {
            assert!(errors(json!({"p": {"$regex": good}})).is_empty(), "{good}");
        }
        assert!(eval(
            json!({"p": {"$regex": "^(?<y>\\d{4})-\\d{2}$"}}),
            json!({"p": "2024-05"})
        ));
        assert!(
            errors(json!({"p": {"$regex": "(\\w+)\\1"}}))[0]
                .message
                .ends_with("backreferences are not supported")
        );
    }
}
