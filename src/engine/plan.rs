//! The plan of edits: what a decision asks of the rewriter for one page, values rendered.

use std::rc::Rc;

use lol_html::Selector;

use super::merchandising::ListingPlan;
use crate::document::{InsertPosition, TextReplacement};

/// One change to the elements a selector matches, with its values already rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Replace the element's content with text (escaped by lol_html).
    SetText(String),
    /// Replace the element's content with HTML.
    SetHtml(String),
    /// Set attributes (name, value); lol_html escapes the quotes in values.
    SetAttributes(Vec<(String, String)>),
    /// Remove these attributes.
    RemoveAttributes(Vec<String>),
    /// Add these classes (those already present are kept once).
    AddClasses(Vec<String>),
    /// Remove these classes.
    RemoveClasses(Vec<String>),
    /// Set inline style properties (property, value), replacing earlier values of the same ones.
    SetStyle(Vec<(String, String)>),
    /// Insert content around or inside the element; `html` false means escaped text.
    Insert {
        /// Where the content goes.
        position: InsertPosition,
        /// What goes there.
        content: String,
        /// Whether `content` is HTML (true) or text to escape (false).
        html: bool,
    },
    /// Remove the element and its content.
    Remove,
    /// Replace the element and its content with HTML.
    Replace(String),
    /// Remove the element's tags but keep its content.
    Unwrap,
}

/// An edit bound to its selector.
#[derive(Debug, Clone)]
pub struct ElementEdit {
    /// The parsed selector, shared with the compiled rules.
    pub selector: Rc<Selector>,
    /// What to do to matching elements.
    pub edit: Edit,
}

/// HTML to add at the end of `<head>`, split where the page's CSP nonce goes.
///
/// `parts` joined with ` nonce="…"` gives the HTML; with no nonce on the page, they are joined
/// as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadInjection {
    /// The HTML, split right after each `<script` and `<style` tag name.
    pub parts: Vec<String>,
}

impl HeadInjection {
    /// Splits HTML after each `<script` / `<style` tag name, where a nonce attribute belongs.
    pub fn new(html: &str) -> Self {
        let lower = html.to_ascii_lowercase();
        let mut parts = Vec::new();
        let mut last = 0;
        let mut at = 0;
        while let Some(found) = lower[at..].find('<') {
            let open = at + found;
            let after = &lower[open + 1..];
            let name_len = ["script", "style"]
                .iter()
                .find(|name| {
                    after.starts_with(*name)
                        && after[name.len()..]
                            .starts_with(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
                })
                .map(|name| name.len());
            at = open + 1;
            if let Some(len) = name_len {
                let cut = open + 1 + len;
                parts.push(html[last..cut].to_owned());
                last = cut;
                at = cut;
            }
        }
        parts.push(html[last..].to_owned());
        Self { parts }
    }

    /// The HTML with the page's CSP nonce (if any) on each script and style.
    pub(crate) fn render(&self, nonce: Option<&str>) -> String {
        // lol_html gives the attribute as written; only a bare quote could break out of ours.
        let attr = nonce.map(|n| format!(" nonce=\"{}\"", n.replace('"', "&quot;")));
        self.parts.join(attr.as_deref().unwrap_or(""))
    }
}

/// Adds query parameters to links whose `href` starts with a prefix (e.g. UTM tags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRewrite {
    /// Links whose `href` starts with this are rewritten.
    pub prefix: String,
    /// Parameters to add, already percent-encoded; an existing parameter of that name is kept.
    pub add_query: Vec<(String, String)>,
}

/// Everything to change in one page, in application order: what a decision asks of the rewriter.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Element edits, in order.
    pub elements: Vec<ElementEdit>,
    /// HTML for the end of `<head>`.
    pub head: Vec<HeadInjection>,
    /// HTML placed before the page's first `<script>` (or at the end of `<head>` when no
    /// script comes first), with that script's CSP nonce: the `dataLayer` event.
    pub before_scripts: Vec<HeadInjection>,
    /// HTML for the end of `<body>`.
    pub body_end: Vec<String>,
    /// Text replacements, in order.
    pub text: Vec<TextReplacement>,
    /// Link rewrites, in order.
    pub links: Vec<LinkRewrite>,
    /// Text replacements inside the elements a selector matches (`replace_label`), in order.
    pub labels: Vec<(Rc<Selector>, TextReplacement)>,
    /// Commerce changes, one plan per listing, conflicts resolved.
    pub listings: Vec<ListingPlan>,
}

impl Plan {
    /// Whether the plan changes nothing (the page can then pass through untouched).
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
            && self.head.is_empty()
            && self.before_scripts.is_empty()
            && self.body_end.is_empty()
            && self.text.is_empty()
            && self.links.is_empty()
            && self.listings.is_empty()
            && self.labels.is_empty()
    }
}
