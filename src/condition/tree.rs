//! The compiled form of a condition: what [`super::compile`] builds and [`super::eval`] walks.
//!
//! Paths are pre-split, regexes compiled and operands pre-converted, so evaluating a node does
//! no parsing.

use regex_lite::Regex;
use serde_json::Value;

use super::js_value::Prim;

/// A condition object: every clause must pass (an empty object passes).
#[derive(Debug, Clone)]
pub(super) struct CondObj {
    /// One clause per key of the object, in the order written.
    pub(super) clauses: Vec<Clause>,
}

/// One key of a condition object: a logical combinator, an attribute test or an audience.
#[derive(Debug, Clone)]
pub(super) enum Clause {
    /// `$and`: every condition passes.
    And(Vec<CondObj>),
    /// Passes when empty, like GrowthBook's `evalOr`.
    Or(Vec<CondObj>),
    /// `!evalOr`: fails when empty.
    Nor(Vec<CondObj>),
    /// `$not`: the condition fails.
    Not(Box<CondObj>),
    /// `"a.b.c": <condition value>`: the attribute at the dotted path passes the test.
    Field {
        /// The dotted path, split at the dots.
        path: Box<[Box<str>]>,
        /// What the attribute's value must pass.
        test: Test,
    },
    /// Veneer's `"$inGroup": "<audience>"` (member) or `"$notInGroup"` (not member).
    Audience {
        /// The audience's name, resolved through [`super::EvalContext::audiences`].
        name: Box<str>,
        /// Whether the audience must match (`$inGroup`) or must not (`$notInGroup`).
        member: bool,
    },
    /// A malformed node: evaluates to false.
    Invalid,
}

/// GrowthBook's `evalConditionValue` for one condition value.
#[derive(Debug, Clone)]
pub(super) enum Test {
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

/// The relation of `$lt`, `$lte`, `$gt` and `$gte`.
#[derive(Debug, Clone, Copy)]
pub(super) enum Rel {
    /// `<`
    Lt,
    /// `<=`
    Lte,
    /// `>`
    Gt,
    /// `>=`
    Gte,
}

/// The relation of the version operators `$veq` ... `$vgte`.
#[derive(Debug, Clone, Copy)]
pub(super) enum VRel {
    /// `$veq`
    Eq,
    /// `$vne`
    Ne,
    /// `$vlt`
    Lt,
    /// `$vlte`
    Lte,
    /// `$vgt`
    Gt,
    /// `$vgte`
    Gte,
}

/// One operator of an operator object (`{"$gt": 1, "$lt": 5}` holds two).
#[derive(Debug, Clone)]
pub(super) enum Op {
    /// `$veq` and friends; holds the expected padded version string.
    Version(VRel, Box<str>),
    /// `$eq` (`===`) / `$ne` (`!==`); `None` for an array or object, which `===` never equals.
    StrictEq(Option<Value>, bool),
    /// `$lt`, `$lte`, `$gt`, `$gte` with JS relational semantics.
    Cmp(Rel, Prim<'static>),
    /// `$exists`: whether the value must be present (not `null`).
    Exists(bool),
    /// `$in`/`$nin`/`$ini`/`$nini`; strings pre-lowercased when `fold`.
    In {
        /// The listed values (arrays and objects dropped: `===` never matches them).
        items: Vec<Value>,
        /// Case-insensitive (`$ini`/`$nini`).
        fold: bool,
        /// Not in the list (`$nin`/`$nini`).
        negate: bool,
    },
    /// `$inGroup`/`$notInGroup` on an attribute: membership in a saved group.
    InGroup {
        /// The saved group's id.
        group: Box<str>,
        /// Not in the group (`$notInGroup`).
        negate: bool,
    },
    /// `$not`: the value fails the test.
    Not(Box<Test>),
    /// `$size`: the array's length passes the test.
    Size(Box<Test>),
    /// `$elemMatch` with an operator object: some truthy item passes the test.
    ElemMatchValue(Box<Test>),
    /// `$elemMatch` with a condition object: some truthy item satisfies the condition.
    ElemMatchCond(Box<CondObj>),
    /// `$all`/`$alli`: every test is passed by some item.
    All(Vec<Test>),
    /// `$regex`/`$regexi`: `String(value)` matches.
    Regex(Regex),
    /// `$type`: GrowthBook's `getType(value)` is this name.
    Type(&'static str),
    /// Unknown operator or unusable operand: false.
    False,
}
