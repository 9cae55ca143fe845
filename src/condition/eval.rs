//! Evaluating a compiled condition against request attributes, as GrowthBook's
//! `evalCondition` does.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Value;

use super::EvalContext;
use super::js_value::{
    js_less, js_str_cmp, js_to_number, js_to_string, js_type, json_equal, padded_version_string,
    strict_eq, to_primitive, truthy,
};
use super::tree::{Clause, CondObj, Op, Rel, Test, VRel};

/// What a missing attribute reads as.
static NULL: Value = Value::Null;

impl CondObj {
    /// `obj` is the value the paths are read from; `root` the request attributes.
    pub(super) fn eval(&self, obj: &Value, root: &Value, ctx: &EvalContext) -> bool {
        self.clauses.iter().all(|c| c.eval(obj, root, ctx))
    }
}

impl Clause {
    /// Whether this key of a condition object passes for `obj`.
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
    /// Whether `value` passes this condition value.
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
    /// Whether `value` passes this operator.
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::json;

    use crate::condition::test_support::eval;
    use crate::condition::{Condition, EvalContext, NoAudiences};

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
    fn paths_and_combinator_quirks() {
        // Array index and length paths.
        assert!(eval(json!({"tags.1": "b"}), json!({"tags": ["a", "b"]})));
        assert!(eval(
            json!({"tags.length": {"$gte": 2}}),
            json!({"tags": ["a", "b"]})
        ));
        assert!(!eval(json!({"tags.01": "b"}), json!({"tags": ["a", "b"]})));
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
    }
}
