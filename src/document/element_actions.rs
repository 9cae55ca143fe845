//! Compiling actions on selected elements (`select` plus one operation).

use std::rc::Rc;

use serde_json::Value;

use super::actions::{Action, ElementOp, InsertPosition};
use super::names::{
    is_attribute_name, is_class, is_css_property, is_removable_attribute, is_url_attribute,
    url_problem,
};
use super::operations::{ELEMENT_OPERATIONS, ElementOperation, Operation, PAGE_OPERATIONS, names};
use super::page_actions::{compile_page_action, compile_replacement};
use super::reader::Checker;
use super::selector::parse_selector;
use super::settings::Settings;
use super::template::Template;
use crate::diagnostic::{JsonPath, describe};

/// Compiles one action object: exactly one operation, with `select` for element operations.
pub(super) fn compile_action(
    value: &Value,
    path: &JsonPath,
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
        .filter(|(k, ..)| action.contains_key(*k))
        .map(|(k, op, ..)| (*k, Operation::Element(*op)));
    let page_op = PAGE_OPERATIONS
        .iter()
        .filter(|(k, ..)| action.contains_key(*k))
        .map(|(k, op, ..)| (*k, Operation::Page(*op)));
    let present: Vec<(&str, Operation)> = element_op.chain(page_op).collect();
    let is_element = action.contains_key("select");
    let mut known = vec!["select"];
    known.extend(ELEMENT_OPERATIONS.iter().map(|(k, ..)| *k));
    known.extend(PAGE_OPERATIONS.iter().map(|(k, ..)| *k));
    check.unknown_fields(action, path, &known);
    let (op_name, operation) = match present.as_slice() {
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
            let found: Vec<&str> = many.iter().map(|(k, _)| *k).collect();
            check.push(
                path,
                format!(
                    "expected exactly one operation per action, found {}",
                    found.join(", ")
                ),
            );
            return None;
        }
    };
    let raw = &action[op_name];
    let at = path.key(op_name);
    let operation = match operation {
        Operation::Page(_) if is_element => {
            check.push(
                path.key("select"),
                format!("{op_name} applies to the whole page and takes no \"select\""),
            );
            return None;
        }
        Operation::Page(op) => return compile_page_action(op, raw, &at, settings, check),
        Operation::Element(_) if !is_element => {
            check.push(
                path,
                "missing field \"select\" (the CSS selector of the elements to change)",
            );
            return None;
        }
        Operation::Element(op) => op,
    };
    let select = check.string(&action["select"], &path.key("select"))?;
    let selector = parse_selector(select)
        .map_err(|e| check.push(path.key("select"), e))
        .ok();
    let op = compile_element_op(operation, raw, &at, check)?;
    Some(Action::Element {
        select: select.to_owned(),
        selector: Rc::new(selector?),
        op,
    })
}

fn compile_element_op(
    operation: ElementOperation,
    raw: &Value,
    at: &JsonPath,
    check: &mut Checker,
) -> Option<ElementOp> {
    let insert = |position, html, check: &mut Checker| {
        let content = if html {
            check.html_template(raw, at)?
        } else {
            check.template(raw, at)?
        };
        Some(ElementOp::Insert(position, content, html))
    };
    let classes =
        |check: &mut Checker| names_of(raw, at, check, is_class, "a class name without spaces");
    let yes = |check: &mut Checker| {
        if raw == &Value::Bool(true) {
            Some(())
        } else {
            check.push(at, format!("expected true, found {}", describe(raw)));
            None
        }
    };
    Some(match operation {
        ElementOperation::SetText => ElementOp::SetText(check.template(raw, at)?),
        ElementOperation::SetHtml => ElementOp::SetHtml(check.html_template(raw, at)?),
        ElementOperation::SetAttribute => {
            let pairs = lowercase_names(compile_map(
                raw,
                at,
                check,
                is_attribute_name,
                "an attribute name (letters, digits, \"-\", \"_\", \":\", \".\"; event handlers such as onclick are not allowed)",
            )?);
            let before = check.problems.len();
            for (name, value) in &pairs {
                if is_url_attribute(name)
                    && let Some(problem) = url_problem(name, &value.literal_prefix())
                {
                    check.push(at.key(name), problem);
                }
            }
            if check.problems.len() > before {
                return None;
            }
            ElementOp::SetAttributes(pairs)
        }
        ElementOperation::SetStyle => ElementOp::SetStyle(lowercase_names(compile_map(
            raw,
            at,
            check,
            is_css_property,
            "a CSS property name like \"background-color\"",
        )?)),
        ElementOperation::RemoveAttribute => ElementOp::RemoveAttributes(names_of(
            raw,
            at,
            check,
            is_removable_attribute,
            "an attribute name",
        )?),
        ElementOperation::AddClass => ElementOp::AddClasses(classes(check)?),
        ElementOperation::RemoveClass => ElementOp::RemoveClasses(classes(check)?),
        ElementOperation::InsertBefore => return insert(InsertPosition::Before, true, check),
        ElementOperation::InsertAfter => return insert(InsertPosition::After, true, check),
        ElementOperation::Prepend => return insert(InsertPosition::Prepend, true, check),
        ElementOperation::Append => return insert(InsertPosition::Append, true, check),
        ElementOperation::InsertTextBefore => return insert(InsertPosition::Before, false, check),
        ElementOperation::InsertTextAfter => return insert(InsertPosition::After, false, check),
        ElementOperation::PrependText => return insert(InsertPosition::Prepend, false, check),
        ElementOperation::AppendText => return insert(InsertPosition::Append, false, check),
        ElementOperation::Remove => yes(check).map(|()| ElementOp::Remove)?,
        ElementOperation::Unwrap => yes(check).map(|()| ElementOp::Unwrap)?,
        ElementOperation::Replace => ElementOp::Replace(check.html_template(raw, at)?),
        ElementOperation::ReplaceLabel => {
            ElementOp::ReplaceLabel(compile_replacement(raw, at, check)?)
        }
    })
}

/// Reads an object of names to template values, checking each name with `valid`.
pub(super) fn compile_map(
    raw: &Value,
    at: &JsonPath,
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
        let path = at.key(name);
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
    at: &JsonPath,
    check: &mut Checker,
    valid: fn(&str) -> bool,
    what: &str,
) -> Option<Vec<String>> {
    let list = check.string_list(raw, at, what)?;
    let before = check.problems.len();
    for (i, name) in list.iter().enumerate() {
        if !valid(name) {
            let path = if raw.is_array() {
                at.index(i)
            } else {
                at.to_owned()
            };
            check.push(path, format!("expected {what}, found {name:?}"));
        }
    }
    (check.problems.len() == before).then_some(list)
}
