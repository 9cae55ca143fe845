//! What a rule does, as compiled: element operations, page actions, cookies.

use std::rc::Rc;

use lol_html::Selector;

use super::commerce::{Banner, ListingAction, ListingOp};
use super::template::Template;
use super::text_pattern::TextReplacement;

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
    /// Find and replace text inside the element (shipping thresholds and other labels).
    ReplaceLabel(TextReplacement),
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
    /// A commerce operation on a listing's products.
    Listing(ListingAction),
    /// A banner, with an optional countdown.
    Banner(Banner),
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
                | ElementOp::Unwrap
                | ElementOp::ReplaceLabel(_) => false,
            },
            Action::InjectHead(t) | Action::AppendBody(t) => t.is_dynamic(),
            Action::SetHeaders(p) => pairs(p),
            Action::RewriteLinks { add_query, .. } => pairs(add_query),
            Action::SetCookie(c) => c.value.is_dynamic(),
            Action::Redirect { to, .. } => to.is_dynamic(),
            Action::ReplaceText(_) => false,
            Action::Banner(b) => b.html.is_dynamic(),
            Action::Listing(l) => match &l.op {
                ListingOp::Pin { tiles, .. } => tiles.iter().any(|(_, t)| t.is_dynamic()),
                ListingOp::Insert { html, .. } | ListingOp::Badge { html, .. } => html.is_dynamic(),
                ListingOp::Hide(_) | ListingOp::Boost { .. } | ListingOp::Price { .. } => false,
            },
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
/// Where inserted content goes relative to the selected element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertPosition {
    /// Before the element's start tag.
    Before,
    /// After the element's end tag.
    After,
    /// Inside the element, before its first child.
    Prepend,
    /// Inside the element, after its last child.
    Append,
}
