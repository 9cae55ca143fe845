//! The table of operations an action can name, shared by the validator, the schema and the docs.

use super::commerce::CommerceOperation;

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

/// An operation on selected elements; matches over it are exhaustive, so a new operation
/// cannot silently compile as another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementOperation {
    /// `set_text`: replace the content with text.
    SetText,
    /// `set_html`: replace the content with HTML.
    SetHtml,
    /// `set_attribute`: set attributes (name to value).
    SetAttribute,
    /// `remove_attribute`: remove attributes.
    RemoveAttribute,
    /// `add_class`: add classes.
    AddClass,
    /// `remove_class`: remove classes.
    RemoveClass,
    /// `set_style`: set inline style properties (property to value).
    SetStyle,
    /// `insert_before`: insert HTML before the element.
    InsertBefore,
    /// `insert_after`: insert HTML after the element.
    InsertAfter,
    /// `prepend`: insert HTML at the start of the content.
    Prepend,
    /// `append`: insert HTML at the end of the content.
    Append,
    /// `insert_text_before`: insert text before the element.
    InsertTextBefore,
    /// `insert_text_after`: insert text after the element.
    InsertTextAfter,
    /// `prepend_text`: insert text at the start of the content.
    PrependText,
    /// `append_text`: insert text at the end of the content.
    AppendText,
    /// `remove`: remove the element and its content.
    Remove,
    /// `replace`: replace the element with HTML.
    Replace,
    /// `unwrap`: remove the element's tags, keep its content.
    Unwrap,
    /// `replace_label`: find and replace text inside the element: {"find"|"regex", "with"}.
    ReplaceLabel,
}

/// An operation on the whole page or response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageOperation {
    /// `inject_head`: add HTML at the end of <head> (scripts and styles get the page's CSP nonce).
    InjectHead,
    /// `append_body`: add HTML at the end of <body>.
    AppendBody,
    /// `replace_text`: find and replace text: {"find"|"regex": ..., "with": ...}.
    ReplaceText,
    /// `rewrite_links`: add query parameters to links: {"prefix": "/c/", "add_query": {...}}.
    RewriteLinks,
    /// `set_header`: set response headers (name to value).
    SetHeader,
    /// `set_cookie`: set a cookie: {"name", "value", "max_age"?, "path"?}.
    SetCookie,
    /// `redirect`: redirect: {"to": "/sale", "status": 302}.
    Redirect,
    /// A commerce operation on a listing's products, or a banner (`docs/rules.md`).
    Commerce(CommerceOperation),
}

/// Either kind of operation, as found in an action object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// An operation on the elements `select` matches.
    Element(ElementOperation),
    /// An operation on the whole page or response.
    Page(PageOperation),
}

/// Operations on selected elements: name, operation, value kind, one-line description.
pub const ELEMENT_OPERATIONS: &[(&str, ElementOperation, ValueKind, &str)] = &[
    (
        "set_text",
        ElementOperation::SetText,
        ValueKind::Text,
        "replace the content with text",
    ),
    (
        "set_html",
        ElementOperation::SetHtml,
        ValueKind::Html,
        "replace the content with HTML",
    ),
    (
        "set_attribute",
        ElementOperation::SetAttribute,
        ValueKind::Map,
        "set attributes (name to value)",
    ),
    (
        "remove_attribute",
        ElementOperation::RemoveAttribute,
        ValueKind::Names,
        "remove attributes",
    ),
    (
        "add_class",
        ElementOperation::AddClass,
        ValueKind::Names,
        "add classes",
    ),
    (
        "remove_class",
        ElementOperation::RemoveClass,
        ValueKind::Names,
        "remove classes",
    ),
    (
        "set_style",
        ElementOperation::SetStyle,
        ValueKind::Map,
        "set inline style properties (property to value)",
    ),
    (
        "insert_before",
        ElementOperation::InsertBefore,
        ValueKind::Html,
        "insert HTML before the element",
    ),
    (
        "insert_after",
        ElementOperation::InsertAfter,
        ValueKind::Html,
        "insert HTML after the element",
    ),
    (
        "prepend",
        ElementOperation::Prepend,
        ValueKind::Html,
        "insert HTML at the start of the content",
    ),
    (
        "append",
        ElementOperation::Append,
        ValueKind::Html,
        "insert HTML at the end of the content",
    ),
    (
        "insert_text_before",
        ElementOperation::InsertTextBefore,
        ValueKind::Text,
        "insert text before the element",
    ),
    (
        "insert_text_after",
        ElementOperation::InsertTextAfter,
        ValueKind::Text,
        "insert text after the element",
    ),
    (
        "prepend_text",
        ElementOperation::PrependText,
        ValueKind::Text,
        "insert text at the start of the content",
    ),
    (
        "append_text",
        ElementOperation::AppendText,
        ValueKind::Text,
        "insert text at the end of the content",
    ),
    (
        "remove",
        ElementOperation::Remove,
        ValueKind::True,
        "remove the element and its content",
    ),
    (
        "replace",
        ElementOperation::Replace,
        ValueKind::Html,
        "replace the element with HTML",
    ),
    (
        "unwrap",
        ElementOperation::Unwrap,
        ValueKind::True,
        "remove the element's tags, keep its content",
    ),
    (
        "replace_label",
        ElementOperation::ReplaceLabel,
        ValueKind::Object,
        "find and replace text inside the element: {\"find\"|\"regex\": ..., \"with\": ...}",
    ),
];

/// Operations on the whole page or response (no `select`): name, operation, value kind,
/// description.
pub const PAGE_OPERATIONS: &[(&str, PageOperation, ValueKind, &str)] = &[
    (
        "inject_head",
        PageOperation::InjectHead,
        ValueKind::Html,
        "add HTML at the end of <head> (scripts and styles get the page's CSP nonce)",
    ),
    (
        "append_body",
        PageOperation::AppendBody,
        ValueKind::Html,
        "add HTML at the end of <body>",
    ),
    (
        "replace_text",
        PageOperation::ReplaceText,
        ValueKind::Object,
        "find and replace text: {\"find\"|\"regex\": ..., \"with\": ...}",
    ),
    (
        "rewrite_links",
        PageOperation::RewriteLinks,
        ValueKind::Object,
        "add query parameters to links: {\"prefix\": \"/c/\", \"add_query\": {...}}",
    ),
    (
        "set_header",
        PageOperation::SetHeader,
        ValueKind::Map,
        "set response headers (name to value)",
    ),
    (
        "set_cookie",
        PageOperation::SetCookie,
        ValueKind::Object,
        "set a cookie: {\"name\", \"value\", \"max_age\"?, \"path\"?}",
    ),
    (
        "redirect",
        PageOperation::Redirect,
        ValueKind::Object,
        "redirect: {\"to\": \"/sale\", \"status\": 302}",
    ),
    (
        "hide",
        PageOperation::Commerce(CommerceOperation::Hide),
        ValueKind::Object,
        "remove products from a listing: {\"listing\"?, \"products\": [...]}",
    ),
    (
        "pin",
        PageOperation::Commerce(CommerceOperation::Pin),
        ValueKind::Object,
        "move products to positions: {\"products\": [...], \"at\"?: 1} or {\"positions\": {\"SKU\": 1}}, \"tiles\"?",
    ),
    (
        "boost",
        PageOperation::Commerce(CommerceOperation::Boost),
        ValueKind::Object,
        "move products up within the page: {\"products\": [...]} or {\"attribute\", \"value\"?}",
    ),
    (
        "bury",
        PageOperation::Commerce(CommerceOperation::Bury),
        ValueKind::Object,
        "move products down within the page: {\"products\": [...]} or {\"attribute\", \"value\"?}",
    ),
    (
        "insert_tile",
        PageOperation::Commerce(CommerceOperation::InsertTile),
        ValueKind::Object,
        "a promo tile at a position: {\"at\": 3, \"html\": \"<li>...</li>\"}",
    ),
    (
        "badge",
        PageOperation::Commerce(CommerceOperation::Badge),
        ValueKind::Object,
        "HTML inside products' tiles: {\"products\": [...], \"html\", \"into\"?, \"position\"?}",
    ),
    (
        "price",
        PageOperation::Commerce(CommerceOperation::Price),
        ValueKind::Object,
        "displayed prices: {\"products\": {\"SKU\": {\"now\"?, \"was\"?}}, \"select\"?, \"class\"?}",
    ),
    (
        "banner",
        PageOperation::Commerce(CommerceOperation::Banner),
        ValueKind::Object,
        "a banner: {\"html\", \"select\"?, \"position\"?, \"ends\"?} (a live countdown to \"ends\")",
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
    "srcset",
    "xlink:href",
    "background",
    "ping",
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

/// The names in an operation table, for messages.
pub(super) fn names<T>(ops: &[(&str, T, ValueKind, &str)]) -> String {
    ops.iter().map(|(k, ..)| *k).collect::<Vec<_>>().join(", ")
}
