//! From condition JSON to the compiled tree, with every problem reported as a
//! [`Problem`] (with a suggestion where a likely fix is known).

use serde_json::Value;

use super::js_regex::compile_regex;
use super::js_value::{js_to_string, padded_version_string, to_primitive, truthy};
use super::tree::{Clause, CondObj, Op, Rel, Test, VRel};
use super::{Condition, MAX_DEPTH};
use crate::diagnostic::{JsonPath, Problem, describe, quoted as quote};

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

/// Compiles `condition` into its tree; problems are reported, never fatal to compilation.
pub(super) fn compile(condition: &Value) -> (Condition, Vec<Problem>) {
    let mut compiler = Compiler {
        errors: Vec::new(),
        audiences: Vec::new(),
        fatal: false,
    };
    let root = compiler.cond_obj(condition, &JsonPath::root(), 0, true);
    (
        Condition {
            root,
            audiences: compiler.audiences,
            fatal: compiler.fatal,
        },
        compiler.errors,
    )
}

/// The state of one compilation: what was found so far.
struct Compiler {
    /// Every problem found, in the order met.
    errors: Vec<Problem>,
    /// Audience names used through the top-level `$inGroup`/`$notInGroup`, first use first.
    audiences: Vec<String>,
    /// Set by structural problems GrowthBook has no defined outcome for.
    fatal: bool,
}

/// Whether `map` is an operator object (`{"$gt": 1}`), not a literal to compare.
fn is_operator_object(map: &serde_json::Map<String, Value>) -> bool {
    !map.is_empty() && map.keys().all(|k| k.starts_with('$'))
}

/// Edit distance between `a` and `b`, in characters.
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

/// The known operator `op` is most likely a typo of, if any is close enough.
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
    /// Reports a problem; the condition stays usable.
    fn err(&mut self, path: &JsonPath, message: impl Into<String>) {
        self.errors.push(Problem {
            path: path.clone(),
            message: message.into(),
        });
    }

    /// Reports a problem that makes the whole condition evaluate to false.
    fn fatal(&mut self, path: &JsonPath, message: impl Into<String>) {
        self.fatal = true;
        self.err(path, message);
    }

    /// Reports nesting beyond [`MAX_DEPTH`], which fails the whole condition.
    fn depth_error(&mut self, path: &JsonPath) {
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
    fn cond_obj(&mut self, v: &Value, path: &JsonPath, depth: usize, root: bool) -> CondObj {
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
            let p = path.key(k);
            let clause = match k.as_str() {
                "$and" => self
                    .cond_list(k, val, &p, depth, root)
                    .map_or(Clause::Invalid, Clause::And),
                "$or" => self
                    .cond_list(k, val, &p, depth, root)
                    .map_or(Clause::Invalid, Clause::Or),
                "$nor" => self
                    .cond_list(k, val, &p, depth, root)
                    .map_or(Clause::Invalid, Clause::Nor),
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

    /// Compiles the list of condition objects under `$and`, `$or` or `$nor`.
    fn cond_list(
        &mut self,
        op: &str,
        v: &Value,
        path: &JsonPath,
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
                .map(|(i, c)| self.cond_obj(c, &path.index(i), depth + 2, root))
                .collect(),
        )
    }

    /// Compiles a condition value (GrowthBook's `evalConditionValue`).
    fn test(&mut self, v: &Value, path: &JsonPath, depth: usize, fold: bool) -> Test {
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
                    .map(|(op, arg)| self.op(op, arg, &path.key(op), depth))
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

    /// The operand as a list, or `None` after reporting that it is not one.
    fn need_array<'v>(&mut self, op: &str, arg: &'v Value, path: &JsonPath) -> Option<&'v [Value]> {
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

    /// `$veq` ... `$vgte`: the operand is compared as a padded version string.
    fn version(&mut self, rel: VRel, op: &str, arg: &Value, path: &JsonPath) -> Op {
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

    /// `$lt` ... `$gte`: the operand is kept as a JS primitive for JS's `<`.
    fn compare(&mut self, rel: Rel, op: &str, arg: &Value, path: &JsonPath) -> Op {
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

    /// Compiles one operator of an operator object (GrowthBook's `evalOperatorCondition`).
    fn op(&mut self, op: &str, arg: &Value, path: &JsonPath, depth: usize) -> Op {
        match op {
            "$veq" => self.version(VRel::Eq, op, arg, path),
            "$vne" => self.version(VRel::Ne, op, arg, path),
            "$vgt" => self.version(VRel::Gt, op, arg, path),
            "$vgte" => self.version(VRel::Gte, op, arg, path),
            "$vlt" => self.version(VRel::Lt, op, arg, path),
            "$vlte" => self.version(VRel::Lte, op, arg, path),
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
            "$lt" => self.compare(Rel::Lt, op, arg, path),
            "$lte" => self.compare(Rel::Lte, op, arg, path),
            "$gt" => self.compare(Rel::Gt, op, arg, path),
            "$gte" => self.compare(Rel::Gte, op, arg, path),
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
                        .map(|(i, v)| self.test(v, &path.index(i), depth + 1, fold))
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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::condition::Condition;
    use crate::condition::test_support::{errors, eval};
    use crate::diagnostic::{JsonPath, Segment};

    #[test]
    fn unknown_operator_is_reported_with_suggestion() {
        let errs = errors(json!({"name": {"$regx": "hello"}}));
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].path.to_string(), "$.name.$regx");
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
        let msgs: Vec<(String, String)> = errs
            .into_iter()
            .map(|e| (e.path.to_string(), e.message))
            .collect();
        assert_eq!(
            msgs,
            vec![
                (
                    "$.a.$in".to_string(),
                    "\"$in\" needs a list of values, e.g. [\"US\", \"CA\"]; found a string (\"US\")"
                        .to_string()
                ),
                (
                    "$.b.$type".to_string(),
                    "unknown type \"str\"; expected one of string, number, boolean, object, \
                     array, null"
                        .to_string()
                ),
                (
                    "$.c.$exists".to_string(),
                    "\"$exists\" needs true or false; found a string (\"no\") (read as true)"
                        .to_string()
                ),
                (
                    "$.d.$regex".to_string(),
                    "\"$regex\" needs a regular expression as a string; found a number (5)".to_string()
                ),
                (
                    "$.e.$vgt".to_string(),
                    "\"$vgt\" needs a version string such as \"1.2.3\"; found a boolean (true)"
                        .to_string()
                ),
                (
                    "$.f.$elemMatch".to_string(),
                    "\"$elemMatch\" needs an object, e.g. {\"$eq\": \"sale\"} or {\"sku\": \
                     \"A1\"}; found a string (\"x\")"
                        .to_string()
                ),
                (
                    "$.g.$or".to_string(),
                    "\"$or\" combines whole conditions and is not an operator on a value; move \
                     it up so it holds attribute conditions, e.g. {\"$or\": [{\"country\": \
                     \"US\"}, ...]}"
                        .to_string()
                ),
                (
                    "$.h.$eq".to_string(),
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
        let paths: Vec<String> = errs.iter().map(|e| e.path.to_string()).collect();
        assert_eq!(paths, vec!["$.$and", "$.$not", "$[\"x/y~\"]"]);
        assert!(
            errs[0]
                .message
                .starts_with("\"$and\" needs a list of condition objects")
        );
        assert_eq!(
            errs[1].message,
            "expected a condition object such as {\"country\": \"US\"}; found a list"
        );
        assert!(
            errs[2]
                .message
                .starts_with("this object mixes operators ($gt) with plain keys (z)")
        );
        let (_, errs) = Condition::compile(&json!("country"));
        assert_eq!(errs[0].path, JsonPath::root());
        assert_eq!(
            errs[0].to_string(),
            "$: expected a condition object such as {\"country\": \"US\"}; found a string \
             (\"country\")"
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
        let not = Segment::Key("$not".to_string());
        assert_eq!(
            errs[0]
                .path
                .segments()
                .iter()
                .filter(|s| **s == not)
                .count(),
            65
        );
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
    fn every_listed_operator_is_known() {
        for op in super::VALUE_OPERATORS {
            let errs = errors(json!({ "a": { *op: "x" } }));
            assert!(
                errs.iter()
                    .all(|e| !e.message.starts_with("unknown operator")),
                "{op}: {errs:?}"
            );
        }
        assert!(super::suggestion("$regx").is_some());
    }

    #[test]
    fn paths_show_array_indexes_and_odd_keys() {
        let errs = errors(json!({"$or": [{"a": {"$regx": 1}}]}));
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].path.to_string(), "$.$or[0].a.$regx");
        assert!(
            errs[0]
                .to_string()
                .starts_with("$.$or[0].a.$regx: unknown operator \"$regx\"")
        );
        let errs = errors(json!({"cart.total": {"$bogus": 1}}));
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].path.to_string(), "$[\"cart.total\"].$bogus");
        assert_eq!(
            errs[0].path,
            JsonPath::root().key("cart.total").key("$bogus")
        );
        // Indexes inside operator lists too.
        let errs = errors(json!({"tags": {"$all": ["a", {"$regex": "("}]}}));
        assert_eq!(errs[0].path.to_string(), "$.tags.$all[1].$regex");
    }
}
