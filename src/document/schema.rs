//! The JSON Schema of a rules document, generated from the validator's own tables.

use std::collections::HashMap;

use serde_json::Value;

use super::DOCUMENT_FIELDS;
use super::experiments::EXPERIMENT_FIELDS;
use super::goals::{GOAL_FIELDS, GOAL_TYPES, METRIC_FIELDS, METRICS_FIELDS};
use super::operations::{ELEMENT_OPERATIONS, PAGE_OPERATIONS, ValueKind};
use super::rule::RULE_FIELDS;
use super::settings::{RECORDING_FIELDS, SETTINGS_FIELDS};

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
    for (name, _, kind, desc) in ELEMENT_OPERATIONS {
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
    for (name, _, kind, desc) in PAGE_OPERATIONS {
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
    let names = json!({ "oneOf": [ { "type": "string" }, { "type": "array", "items": { "type": "string" } } ] });
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
        "actions": { "type": "array", "items": { "$ref": "#/$defs/action" } },
        "search": { "type": "object", "additionalProperties": false,
            "description": "the rule applies to searches (the search query parameter) matching these terms, case- and accent-insensitive",
            "properties": {
            "is": names, "starts_with": names, "contains": names, "all_words": names, "any_word": names,
            "not": names, "param": { "type": "string" } } }
    });
    let settings_props = json!({
        "visitor_cookie": { "type": "string" },
        "visitor_cookie_days": { "type": "integer", "minimum": 1, "maximum": 400 },
        "consent_cookie": { "type": "string" },
        "consent_values": names,
        "redirect_hosts": names,
        "header_attributes": names,
        "recording": { "type": "object", "additionalProperties": false,
            "description": "what is recorded about experiments (exposures and conversions in D1)",
            "properties": {
                "enabled": { "type": "boolean" },
                "retention_days": { "type": "integer", "minimum": 1, "maximum": 800 },
                "data_layer": { "type": "boolean" },
                "analytics_engine": { "type": "boolean" },
                "log": { "type": "boolean" } } },
        "listings": { "type": "object", "description": "how the site shows products, by listing name",
            "additionalProperties": { "type": "object", "additionalProperties": false, "required": ["container", "tile", "key"],
                "properties": {
                "container": { "type": "string", "description": "CSS selector of the listing's container (one selector, no commas)" },
                "tile": { "type": "string", "description": "CSS selector of a product tile inside the container" },
                "key": { "type": "object", "additionalProperties": false, "required": ["attribute"], "properties": {
                    "attribute": { "type": "string" }, "select": { "type": "string" }, "pattern": { "type": "string" } } },
                "price": { "type": "string" },
                "max_bytes": { "type": "integer", "minimum": 1024, "maximum": 16_777_216 },
                "eager_tiles": { "type": "integer", "minimum": 0, "maximum": 100 },
                "fragment_params": names } } },
        "search_param": { "type": "string", "description": "the query parameter holding the search term (default q)" }
    });
    let goal_pages =
        json!({ "type": "array", "minItems": 1, "items": rule_props["pages"]["items"] });
    let goal = json!({ "type": "object", "additionalProperties": false, "required": ["type"],
        "properties": {
            "type": { "enum": GOAL_TYPES },
            "description": { "type": "string" },
            "pages": goal_pages,
            "select": { "type": "string", "minLength": 1, "maxLength": 256,
                "description": "CSS selector of what is clicked or submitted (click and submit goals)" } } });
    debug_assert!(
        GOAL_FIELDS
            .iter()
            .all(|f| goal["properties"].get(f).is_some())
    );
    debug_assert!(
        RECORDING_FIELDS
            .iter()
            .all(|f| settings_props["recording"]["properties"].get(f).is_some())
    );
    let goal_name = json!({ "type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$" });
    let metric = json!({ "oneOf": [ goal_name, { "type": "object", "additionalProperties": false,
        "required": ["goal"], "properties": {
            "goal": goal_name,
            "kind": { "enum": ["binomial", "value"] },
            "inverse": { "type": "boolean" } } } ] });
    let metrics = json!({ "type": "object", "additionalProperties": false, "required": ["primary"],
        "properties": { "primary": metric, "secondary": { "type": "array", "maxItems": 20, "items": metric } } });
    debug_assert!(
        METRICS_FIELDS
            .iter()
            .all(|f| metrics["properties"].get(f).is_some())
    );
    debug_assert!(METRIC_FIELDS.iter().all(|f| {
        metrics["properties"]["primary"]["oneOf"][1]["properties"]
            .get(f)
            .is_some()
    }));
    let doc_props = json!({
        "version": { "type": ["integer", "string"] },
        "settings": { "type": "object", "additionalProperties": false, "properties": settings_props },
        "audiences": { "type": "object", "additionalProperties": condition },
        "saved_groups": { "type": "object", "additionalProperties": { "type": "array" } },
        "rules": { "type": "array", "items": { "$ref": "#/$defs/rule" } },
        "experiments": { "type": "array", "items": { "$ref": "#/$defs/experiment" } },
        "goals": { "type": "object", "propertyNames": { "pattern": "^[A-Za-z0-9_-]{1,64}$" },
            "additionalProperties": { "$ref": "#/$defs/goal" } }
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
                "actions": { "type": "array", "items": { "$ref": "#/$defs/action" } } } } },
        "metrics": metrics
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
        "additionalProperties": false,
        "properties": doc_props,
        "$defs": {
            "rule": { "type": "object", "required": ["id", "actions"], "additionalProperties": false, "properties": rule_props },
            "experiment": { "type": "object", "required": ["id", "variations"], "additionalProperties": false, "properties": experiment_props },
            "goal": goal,
            "action": { "oneOf": variants }
        }
    })
}
