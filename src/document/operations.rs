//! The table of operations an action can name, shared by the validator, the schema and the docs.

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
pub(super) const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "poster",
    "cite",
    "data",
];

/// Headers a rule may not set: they belong to the transport or to other actions.
pub(super) const RESERVED_HEADERS: &[&str] = &[
    "set-cookie",
    "content-length",
    "content-encoding",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "location",
];

pub(super) fn names(ops: &[(&str, ValueKind, &str)]) -> String {
    ops.iter()
        .map(|(k, _, _)| *k)
        .collect::<Vec<_>>()
        .join(", ")
}
