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
//! Compilation never fails; every problem is reported as a [`Problem`]
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
//!
//! Layout: `compile` turns condition JSON into the `tree`, `eval` walks it, `js_value` holds
//! the JavaScript comparison and coercion rules both use, and `js_regex` translates and
//! compiles the patterns.

mod compile;
mod eval;
mod js_regex;
mod js_value;
#[cfg(test)]
mod test_support;
mod tree;

use std::collections::HashMap;

use serde_json::Value;

use crate::diagnostic::Problem;
use tree::CondObj;

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
    pub fn compile(condition: &Value) -> (Condition, Vec<Problem>) {
        compile::compile(condition)
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::test_support::{TestAudiences, errors, eval_with};
    use super::*;

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
        assert_eq!(errs[0].path.to_string(), "$.$inGroup");
        assert!(errs[0].message.starts_with(
            "\"$inGroup\" at this level names an audience and needs a string such as \"vip\"; \
             found a list"
        ));
    }
}
