//! Streaming HTML rewriting with lol_html: actions, the rewriter settings and the chunk adapter.
//!
//! The adapter takes the origin's body chunk by chunk and returns what can be sent on at once,
//! so the first bytes leave before the last ones arrive and memory does not grow with the page.
//! If lol_html gives up mid-stream (its graceful bail-out), the rest of the page passes through
//! unmodified: the visitor never gets a truncated page.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;
use std::str::FromStr;

use crate::text_replace::{self, TextReplacement};
use lol_html::errors::RewritingError;
use lol_html::html_content::{ContentType, Element};
use lol_html::{
    AsciiCompatibleEncoding, ElementContentHandlers, HtmlRewriter, MemorySettings, OutputSink,
    Selector, Settings,
};

/// The most memory lol_html may hold for one page (an unfinished tag, mostly) before it bails out.
pub const MAX_PARSER_MEMORY: usize = 4 * 1024 * 1024;

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

    fn render(&self, nonce: Option<&str>) -> String {
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
    /// HTML for the end of `<body>`.
    pub body_end: Vec<String>,
    /// Text replacements, in order.
    pub text: Vec<TextReplacement>,
    /// Link rewrites, in order.
    pub links: Vec<LinkRewrite>,
}

impl Plan {
    /// Whether the plan changes nothing (the page can then pass through untouched).
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
            && self.head.is_empty()
            && self.body_end.is_empty()
            && self.text.is_empty()
            && self.links.is_empty()
    }
}

fn apply(edit: &Edit, el: &mut Element) {
    match edit {
        Edit::SetText(text) => el.set_inner_content(text, ContentType::Text),
        Edit::SetHtml(html) => el.set_inner_content(html, ContentType::Html),
        Edit::SetAttributes(pairs) => {
            for (name, value) in pairs {
                // Names were validated when the rules compiled; a refusal here changes nothing.
                let _ = el.set_attribute(name, value);
            }
        }
        Edit::RemoveAttributes(names) => names.iter().for_each(|n| el.remove_attribute(n)),
        Edit::AddClasses(add) => {
            let mut classes: Vec<String> = el
                .get_attribute("class")
                .map(|c| c.split_ascii_whitespace().map(str::to_owned).collect())
                .unwrap_or_default();
            for c in add {
                if !classes.contains(c) {
                    classes.push(c.clone());
                }
            }
            let _ = el.set_attribute("class", &classes.join(" "));
        }
        Edit::RemoveClasses(remove) => {
            if let Some(class) = el.get_attribute("class") {
                let kept: Vec<&str> = class
                    .split_ascii_whitespace()
                    .filter(|c| !remove.iter().any(|r| r == c))
                    .collect();
                let _ = el.set_attribute("class", &kept.join(" "));
            }
        }
        Edit::SetStyle(props) => {
            let existing = el.get_attribute("style").unwrap_or_default();
            let mut decls: Vec<(String, String)> = split_declarations(&existing)
                .into_iter()
                .filter_map(|d| d.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                .filter(|(k, _)| !k.is_empty())
                .collect();
            for (prop, value) in props {
                match decls.iter_mut().find(|(k, _)| k == prop) {
                    Some(slot) => slot.1.clone_from(value),
                    None => decls.push((prop.clone(), value.clone())),
                }
            }
            let style: Vec<String> = decls.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            let _ = el.set_attribute("style", &style.join("; "));
        }
        Edit::Insert {
            position,
            content,
            html,
        } => {
            let kind = if *html {
                ContentType::Html
            } else {
                ContentType::Text
            };
            match position {
                InsertPosition::Before => el.before(content, kind),
                InsertPosition::After => el.after(content, kind),
                InsertPosition::Prepend => el.prepend(content, kind),
                InsertPosition::Append => el.append(content, kind),
            }
        }
        Edit::Remove => el.remove(),
        Edit::Replace(html) => el.replace(html, ContentType::Html),
        Edit::Unwrap => el.remove_and_keep_content(),
    }
}

/// Splits an inline style at the `;` that end declarations, not those inside `url(...)` or quotes.
fn split_declarations(style: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start) = (0u32, None, 0);
    for (i, c) in style.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth = depth.saturating_sub(1),
            (None, ';') if depth == 0 => {
                parts.push(&style[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&style[start..]);
    parts
}

fn rewrite_link(el: &mut Element, links: &[LinkRewrite]) {
    let Some(href) = el.get_attribute("href") else {
        return;
    };
    let mut url = href.clone();
    for link in links.iter().filter(|l| href.starts_with(&l.prefix)) {
        let (base, fragment) = match url.find('#') {
            Some(at) => (url[..at].to_owned(), url[at..].to_owned()),
            None => (url.clone(), String::new()),
        };
        let mut base = base;
        for (name, value) in &link.add_query {
            let query = base.split_once('?').map(|(_, q)| q).unwrap_or("");
            let present = query
                .split('&')
                .any(|pair| pair.split('=').next() == Some(name.as_str()));
            if !present {
                base.push(if base.contains('?') { '&' } else { '?' });
                base.push_str(name);
                base.push('=');
                base.push_str(value);
            }
        }
        url = base + &fragment;
    }
    if url != href {
        let _ = el.set_attribute("href", &url);
    }
}

/// Parses a CSS selector the way the streaming rewriter needs it.
pub fn parse_selector(text: &str) -> Result<Selector, String> {
    if let Some(advice) = streaming_advice(text) {
        return Err(advice);
    }
    Selector::from_str(text).map_err(|e| format!("invalid selector {text:?}: {e}"))
}

/// Explains selectors that need elements later in the page, which a stream cannot see.
fn streaming_advice(text: &str) -> Option<String> {
    const LATER: &[(&str, &str)] = &[
        (":last-child", "use :first-child, or a class on the element"),
        (
            ":last-of-type",
            "use :first-of-type, or a class on the element",
        ),
        (":nth-last-child", "count from the start with :nth-child"),
        (
            ":nth-last-of-type",
            "count from the start with :nth-of-type",
        ),
        (
            ":only-child",
            "select by a class or attribute of the element",
        ),
        (
            ":only-of-type",
            "select by a class or attribute of the element",
        ),
        (
            ":has(",
            "select the inner element and change it, or use a class on the outer one",
        ),
    ];
    let lower = text.to_ascii_lowercase();
    let outside = strip_quoted(&lower);
    for (pseudo, suggestion) in LATER {
        let name = pseudo.trim_end_matches('(');
        let found = outside.match_indices(name).any(|(at, _)| {
            !outside[at + name.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-')
        });
        if found {
            return Some(format!(
                "selector {text:?} uses {}, which depends on elements that come later in the page; \
                 Veneer rewrites while the page streams and cannot look ahead: {suggestion}",
                pseudo.trim_end_matches('(')
            ));
        }
    }
    for (combinator, name) in [('+', "next-sibling"), ('~', "later-sibling")] {
        if outside.contains(combinator) {
            return Some(format!(
                "selector {text:?} uses the {name} combinator \"{combinator}\", which streaming \
                 rewriting does not support; select the element by its own class or attribute, \
                 or by its parent with \">\" and :nth-child"
            ));
        }
    }
    None
}

/// The selector text outside quoted strings, attribute brackets and `(...)` arguments
/// (so `[href~="x"]` and `:nth-child(2n+1)` are not read as combinators).
fn strip_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote = None;
    let mut depth = 0u32;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '(') => depth += 1,
            (None, ']' | ')') => depth = depth.saturating_sub(1),
            (None, c) if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[derive(Clone, Default)]
struct SharedSink(Rc<RefCell<Vec<u8>>>);

impl OutputSink for SharedSink {
    fn handle_chunk(&mut self, chunk: &[u8]) {
        self.0.borrow_mut().extend_from_slice(chunk);
    }
}

/// Rewrites one HTML document chunk by chunk, failing open.
pub struct StreamRewriter {
    rewriter: Option<HtmlRewriter<'static, SharedSink>>,
    out: SharedSink,
    failure: Option<String>,
}

impl StreamRewriter {
    /// Prepares a rewriter for one response, with the plan for its page.
    ///
    /// `charset` is the response's declared charset, if any; unsupported charsets make the
    /// rewriter pass everything through unchanged (and report why through [`Self::failure`]).
    pub fn new(plan: &Plan, charset: Option<&str>) -> Self {
        let out = SharedSink::default();
        let encoding = match charset {
            None => Some(AsciiCompatibleEncoding::utf_8()),
            Some(label) => encoding_rs_label(label),
        };
        let Some(encoding) = encoding else {
            return Self {
                rewriter: None,
                out,
                failure: charset.map(|c| format!("unsupported charset {c:?}; page passed through")),
            };
        };
        let mut settings = Settings::new()
            .with_encoding(encoding)
            .with_adjust_charset_on_meta_tag(charset.is_none())
            .with_strict(false)
            .with_memory_settings(
                MemorySettings::new()
                    .with_max_allowed_memory_usage(MAX_PARSER_MEMORY)
                    .with_graceful_bail_out_on_memory_limit_exceeded(true),
            )
            .with_graceful_bail_out_on_content_handler_error(true);
        for item in &plan.elements {
            let edit = item.edit.clone();
            let handler = ElementContentHandlers::default().element(move |el: &mut Element| {
                apply(&edit, el);
                Ok(())
            });
            settings = settings
                .append_element_content_handler((Cow::Owned((*item.selector).clone()), handler));
        }
        if !plan.links.is_empty() {
            let links = plan.links.clone();
            let handler = ElementContentHandlers::default().element(move |el: &mut Element| {
                rewrite_link(el, &links);
                Ok(())
            });
            if let Some(selector) = builtin("a[href]") {
                settings = settings.append_element_content_handler((selector, handler));
            }
        }
        if !plan.head.is_empty() {
            let nonce: Rc<RefCell<Option<String>>> = Rc::default();
            let seen = Rc::clone(&nonce);
            let capture = ElementContentHandlers::default().element(move |el: &mut Element| {
                if seen.borrow().is_none() {
                    *seen.borrow_mut() = el.get_attribute("nonce").filter(|n| !n.is_empty());
                }
                Ok(())
            });
            if let Some(selector) = builtin("script[nonce], style[nonce]") {
                settings = settings.append_element_content_handler((selector, capture));
            }
            let head = plan.head.clone();
            let inject = ElementContentHandlers::default().element(move |el: &mut Element| {
                // The page's own scripts come inside <head>: read the nonce at its end tag.
                let head = head.clone();
                let nonce = Rc::clone(&nonce);
                if let Some(handlers) = el.end_tag_handlers() {
                    handlers.push(Box::new(move |end| {
                        let html: String = head
                            .iter()
                            .map(|h| h.render(nonce.borrow().as_deref()))
                            .collect();
                        end.before(&html, ContentType::Html);
                        Ok(())
                    }));
                }
                Ok(())
            });
            if let Some(selector) = builtin("head") {
                settings = settings.append_element_content_handler((selector, inject));
            }
        }
        if !plan.body_end.is_empty() {
            let html: String = plan.body_end.concat();
            let handler = ElementContentHandlers::default().element(move |el: &mut Element| {
                el.append(&html, ContentType::Html);
                Ok(())
            });
            if let Some(selector) = builtin("body") {
                settings = settings.append_element_content_handler((selector, handler));
            }
        }
        if !plan.text.is_empty() {
            settings = text_replace::add_handlers(settings, plan.text.clone().into());
        }
        Self {
            rewriter: Some(HtmlRewriter::new(settings, out.clone())),
            out,
            failure: None,
        }
    }

    /// Feeds one chunk of the origin's body and returns the bytes ready to send.
    pub fn write(&mut self, chunk: &[u8]) -> Vec<u8> {
        match self.rewriter.as_mut() {
            Some(rewriter) => {
                if let Err(e) = rewriter.write(chunk) {
                    self.bail_out(&e);
                }
                self.take_output()
            }
            None => chunk.to_vec(),
        }
    }

    /// Signals the end of the body and returns the last bytes to send.
    pub fn end(&mut self) -> Vec<u8> {
        if let Some(rewriter) = self.rewriter.take()
            && let Err(e) = rewriter.end()
        {
            self.bail_out(&e);
        }
        self.take_output()
    }

    /// Why the rewriter stopped rewriting, if it did; the page was passed through from there.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    fn bail_out(&mut self, error: &RewritingError) {
        // lol_html flushed every byte it held, unmodified; from here on we pass through.
        self.rewriter = None;
        self.failure = Some(format!("rewriting stopped mid-page: {error}"));
    }

    fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut *self.out.0.borrow_mut())
    }
}

fn encoding_rs_label(label: &str) -> Option<AsciiCompatibleEncoding> {
    encoding_rs::Encoding::for_label_no_replacement(label.trim().as_bytes())
        .and_then(AsciiCompatibleEncoding::new)
}

/// A selector Veneer itself needs; these are constant and always parse.
fn builtin(selector: &str) -> Option<Cow<'static, Selector>> {
    Selector::from_str(selector).ok().map(Cow::Owned)
}

/// Rewrites a whole document at once (the CLI and tests); the edge uses [`StreamRewriter`].
pub fn render(plan: &Plan, html: &[u8]) -> Vec<u8> {
    let mut rewriter = StreamRewriter::new(plan, None);
    let mut out = rewriter.write(html);
    out.extend(rewriter.end());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(select: &str, edit: Edit) -> ElementEdit {
        ElementEdit {
            selector: Rc::new(parse_selector(select).unwrap()),
            edit,
        }
    }

    fn plan(elements: Vec<ElementEdit>) -> Plan {
        Plan {
            elements,
            ..Plan::default()
        }
    }

    fn run(plan: &Plan, html: &str) -> String {
        String::from_utf8(render(plan, html.as_bytes())).unwrap()
    }

    fn insert(position: InsertPosition, content: &str, html: bool) -> Edit {
        Edit::Insert {
            position,
            content: content.into(),
            html,
        }
    }

    #[test]
    fn element_edits() {
        let html =
            r#"<div class="a"><p>old</p></div><img src="x.png" title="t"><i>gone</i><b>mid</b>"#;
        let p = plan(vec![
            edit(".a p", Edit::SetText("<new & text>".into())),
            edit(
                "img",
                Edit::SetAttributes(vec![("alt".into(), "a \"q\"".into())]),
            ),
            edit("img", Edit::RemoveAttributes(vec!["title".into()])),
            edit("i", Edit::Remove),
            edit("b", insert(InsertPosition::Before, "<hr>", true)),
            edit("b", insert(InsertPosition::After, "<br>", true)),
            edit("b", insert(InsertPosition::Prepend, "[", true)),
            edit("b", insert(InsertPosition::Append, "<]>", false)),
            edit("div", insert(InsertPosition::Append, "<em>x</em>", true)),
        ]);
        assert_eq!(
            run(&p, html),
            r#"<div class="a"><p>&lt;new &amp; text&gt;</p><em>x</em></div><img src="x.png" alt="a &quot;q&quot;"><hr><b>[mid&lt;]&gt;</b><br>"#
        );
        let set_html = plan(vec![edit("p", Edit::SetHtml("<b>bold</b>".into()))]);
        assert_eq!(run(&set_html, "<p>x</p>"), "<p><b>bold</b></p>");
    }

    #[test]
    fn classes_styles_replace_and_unwrap() {
        let p = plan(vec![
            edit("p", Edit::AddClasses(vec!["sale".into(), "a".into()])),
            edit("p", Edit::RemoveClasses(vec!["old".into()])),
            edit(
                "p",
                Edit::SetStyle(vec![
                    ("color".into(), "red".into()),
                    ("margin".into(), "0".into()),
                ]),
            ),
            edit("span", Edit::Unwrap),
            edit("em", Edit::Replace("<strong>now</strong>".into())),
        ]);
        assert_eq!(
            run(
                &p,
                r#"<p class="a old" style="color: blue; padding: 1px"><span>in</span><em>x</em></p>"#
            ),
            r#"<p class="a sale" style="color: red; padding: 1px; margin: 0">in<strong>now</strong></p>"#
        );
    }

    #[test]
    fn head_injection_reuses_the_page_nonce_and_body_end() {
        let p = Plan {
            head: vec![HeadInjection::new(
                "<style>.x{}</style><SCRIPT src=/a.js></SCRIPT><meta name=a>",
            )],
            body_end: vec!["<div id=end></div>".into()],
            ..Plan::default()
        };
        let page = r#"<html><head><script nonce="r4nd&quot;">1</script></head><body><p>x</p></body></html>"#;
        assert_eq!(
            run(&p, page),
            r#"<html><head><script nonce="r4nd&quot;">1</script><style nonce="r4nd&quot;">.x{}</style><SCRIPT nonce="r4nd&quot;" src=/a.js></SCRIPT><meta name=a></head><body><p>x</p><div id=end></div></body></html>"#
        );
        let no_nonce = "<head><title>t</title></head>";
        assert_eq!(
            run(&p, no_nonce),
            "<head><title>t</title><style>.x{}</style><SCRIPT src=/a.js></SCRIPT><meta name=a></head>"
        );
    }

    #[test]
    fn link_rewrites_add_parameters_once_and_keep_fragments() {
        let p = Plan {
            links: vec![LinkRewrite {
                prefix: "/c/".into(),
                add_query: vec![
                    ("utm_source".into(), "veneer".into()),
                    ("x".into(), "1".into()),
                ],
            }],
            ..Plan::default()
        };
        assert_eq!(
            run(
                &p,
                r##"<a href="/c/shoes#top">a</a><a href="/c/a?x=2">b</a><a href="/p/1">c</a>"##
            ),
            r##"<a href="/c/shoes?utm_source=veneer&x=1#top">a</a><a href="/c/a?x=2&utm_source=veneer">b</a><a href="/p/1">c</a>"##
        );
    }

    #[test]
    fn selectors_that_need_lookahead_are_refused_with_advice() {
        let err = parse_selector("ul li:last-child").unwrap_err();
        assert_eq!(
            err,
            "selector \"ul li:last-child\" uses :last-child, which depends on elements that come later in the page; \
             Veneer rewrites while the page streams and cannot look ahead: use :first-child, or a class on the element"
        );
        assert!(
            parse_selector("h1 + p")
                .unwrap_err()
                .contains("next-sibling combinator \"+\"")
        );
        assert!(
            parse_selector("h1 ~ p")
                .unwrap_err()
                .contains("later-sibling")
        );
        assert!(
            parse_selector("a[href~=\"x\"]").is_ok(),
            "~= inside brackets is fine"
        );
        assert!(
            parse_selector("div >")
                .unwrap_err()
                .starts_with("invalid selector \"div >\"")
        );
    }

    #[test]
    fn unsupported_charset_passes_through() {
        let p = plan(vec![edit("p", Edit::Remove)]);
        let mut r = StreamRewriter::new(&p, Some("utf-16le"));
        assert_eq!(r.write(b"<p>x</p>"), b"<p>x</p>");
        assert!(r.end().is_empty());
        assert_eq!(
            r.failure(),
            Some("unsupported charset \"utf-16le\"; page passed through")
        );
    }

    #[test]
    fn memory_bail_out_passes_the_rest_through_unmodified() {
        let p = plan(vec![edit("p", Edit::SetText("new".into()))]);
        let huge = format!(
            "<p>a</p><p data-x=\"{}\">b</p>",
            "y".repeat(MAX_PARSER_MEMORY + 10)
        );
        let mut r = StreamRewriter::new(&p, None);
        let mut out = Vec::new();
        for chunk in huge.as_bytes().chunks(64 * 1024) {
            out.extend(r.write(chunk));
        }
        out.extend(r.end());
        assert!(
            r.failure()
                .unwrap()
                .starts_with("rewriting stopped mid-page")
        );
        let expected = huge.replacen("<p>a</p>", "<p>new</p>", 1);
        assert_eq!(out.len(), expected.len());
        assert!(
            out == expected.as_bytes(),
            "output differs from the expected fail-open page"
        );
    }
}
