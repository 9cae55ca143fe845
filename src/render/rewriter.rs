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

use lol_html::errors::RewritingError;
use lol_html::html_content::{ContentType, Element};
use lol_html::{
    AsciiCompatibleEncoding, ElementContentHandlers, MemorySettings, OutputSink, Selector, Settings,
};
use veneer_rewriter::Rewriter;

use super::edit::{apply, rewrite_link};
use super::text_replace;
use super::{label, listing};
use crate::engine::Plan;

/// The most memory lol_html may hold for one page (an unfinished tag, mostly) before it bails out.
pub const MAX_PARSER_MEMORY: usize = 4 * 1024 * 1024;

/// What all the pages an isolate rewrites at the same moment may hold in lol_html together:
/// half of the isolate's 128 MB, so that concurrent requests cannot exhaust it. Each page
/// reserves [`MAX_PARSER_MEMORY`] of it, or what is left; a page that finds less than
/// [`MIN_PARSER_MEMORY`] left passes through unrewritten.
pub const ISOLATE_PARSER_BUDGET: usize = 64 * 1024 * 1024;

/// The smallest share of [`ISOLATE_PARSER_BUDGET`] a page is rewritten with.
pub const MIN_PARSER_MEMORY: usize = 256 * 1024;

thread_local! {
    /// How much of [`ISOLATE_PARSER_BUDGET`] the pages being rewritten have reserved.
    static RESERVED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A share of the isolate's parser budget, given back when the page's rewriter goes.
struct Reservation(usize);

impl Reservation {
    fn take() -> Self {
        RESERVED.with(|reserved| {
            let left = ISOLATE_PARSER_BUDGET.saturating_sub(reserved.get());
            let share = left.min(MAX_PARSER_MEMORY);
            let share = if share < MIN_PARSER_MEMORY { 0 } else { share };
            reserved.set(reserved.get() + share);
            Self(share)
        })
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        RESERVED.with(|reserved| reserved.set(reserved.get().saturating_sub(self.0)));
    }
}

#[derive(Clone, Default)]
struct SharedSink(
    Rc<RefCell<Vec<u8>>>,
    Option<Rc<RefCell<listing::Held>>>,
    Rc<std::cell::Cell<Option<&'static encoding_rs::Encoding>>>,
);

impl OutputSink for SharedSink {
    fn handle_chunk(&mut self, chunk: &[u8]) {
        match &self.1 {
            // A listing being reordered holds its own bytes (render/listing.rs).
            Some(held) => held.borrow_mut().write(chunk, &mut self.0.borrow_mut()),
            None => self.0.borrow_mut().extend_from_slice(chunk),
        }
    }

    fn set_encoding(&mut self, encoding: AsciiCompatibleEncoding) {
        self.2.set(Some(encoding.into()));
    }
}

/// Rewrites one HTML document chunk by chunk, failing open.
pub struct StreamRewriter {
    rewriter: Option<Rewriter>,
    out: SharedSink,
    failure: Option<String>,
    /// The page's listing plans and encoding, when it has any (render/listing.rs).
    listings: Option<(Vec<crate::engine::ListingPlan>, AsciiCompatibleEncoding)>,
    /// The first bytes, held until there are enough to read a byte-order mark (see [`bom`]);
    /// `None` once they went on.
    start: Option<Vec<u8>>,
    /// The encoding the rewriter was set up with.
    encoding: &'static encoding_rs::Encoding,
    /// A page that declares no charset, read as UTF-8, with text replacements: lol_html would
    /// turn bytes that are not UTF-8 into U+FFFD in every text node the replacements hold, so
    /// at the first such byte the rest of the page passes through (see [`Self::guarded`]).
    guard_utf8: bool,
    /// The incomplete UTF-8 sequence at the end of the last chunk, while `guard_utf8`.
    carry: Vec<u8>,
    /// This page's share of the isolate's parser budget.
    reservation: Reservation,
}

/// The longest byte-order mark (UTF-8's).
const BOM_LEN: usize = 3;

/// The encoding a byte-order mark at the start of `bytes` names, as browsers read it (a BOM
/// beats the `Content-Type` charset and `<meta>`).
fn bom(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    encoding_rs::Encoding::for_bom(bytes).map(|(encoding, _)| encoding)
}

impl StreamRewriter {
    /// Prepares a rewriter for one response, with the plan for its page.
    ///
    /// `charset` is the response's declared charset, if any; unsupported charsets make the
    /// rewriter pass everything through unchanged (and report why through [`Self::failure`]).
    pub fn new(plan: &Plan, charset: Option<&str>) -> Self {
        let mut out = SharedSink::default();
        let encoding = match charset {
            None => Some(AsciiCompatibleEncoding::utf_8()),
            Some(label) => encoding_rs_label(label),
        };
        let Some(encoding) = encoding else {
            return Self {
                rewriter: None,
                out,
                failure: charset.map(|c| format!("unsupported charset {c:?}; page passed through")),
                listings: None,
                start: None,
                encoding: encoding_rs::UTF_8,
                guard_utf8: false,
                carry: Vec::new(),
                reservation: Reservation(0),
            };
        };
        let reservation = Reservation::take();
        if reservation.0 == 0 {
            return Self {
                rewriter: None,
                out,
                failure: Some(format!(
                    "the isolate is rewriting pages that hold {} MiB already; page passed through",
                    ISOLATE_PARSER_BUDGET >> 20
                )),
                listings: None,
                start: None,
                encoding: encoding_rs::UTF_8,
                guard_utf8: false,
                carry: Vec::new(),
                reservation,
            };
        }
        let chosen: &'static encoding_rs::Encoding = encoding.into();
        let mut settings = Settings::new()
            .with_encoding(encoding)
            .with_adjust_charset_on_meta_tag(charset.is_none())
            .with_strict(false)
            .with_memory_settings(
                MemorySettings::new()
                    .with_max_allowed_memory_usage(reservation.0)
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
        if !plan.before_scripts.is_empty() {
            settings = before_scripts(settings, plan);
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
        for (selector, replacement) in &plan.labels {
            settings = settings.append_element_content_handler((
                Cow::Owned((**selector).clone()),
                label::handler(replacement.clone()),
            ));
        }
        let mut listings = None;
        if !plan.listings.is_empty() {
            let held: Rc<RefCell<listing::Held>> = Rc::default();
            settings = listing::add_handlers(settings, &plan.listings, &held, &out.0, encoding);
            listing::start_fragments(&plan.listings, &held);
            out.1 = Some(held);
            listings = Some((plan.listings.clone(), encoding));
        }
        Self {
            rewriter: Some(Rewriter::new(settings, Box::new(out.clone()))),
            out,
            failure: None,
            listings,
            start: Some(Vec::new()),
            encoding: chosen,
            guard_utf8: charset.is_none() && !plan.text.is_empty(),
            carry: Vec::new(),
            reservation,
        }
    }

    /// Feeds `chunk` while `guard_utf8`: up to the first byte that is not UTF-8 (an incomplete
    /// sequence at the end waits for the next chunk), and from there, having ended lol_html
    /// (which flushes what it held, unchanged), passes the rest through as it came.
    fn write_guarded(&mut self, chunk: &[u8], last: bool) -> Vec<u8> {
        let mut data = std::mem::take(&mut self.carry);
        data.extend_from_slice(chunk);
        // Once a <meta charset> switched the page to another encoding, its bytes are its own.
        if self.out.2.get().is_some_and(|e| e != encoding_rs::UTF_8) {
            self.guard_utf8 = false;
            return self.feed(&data);
        }
        let (valid, invalid) = match std::str::from_utf8(&data) {
            Ok(_) => (data.len(), false),
            Err(e) if e.error_len().is_none() && !last => {
                self.carry = data[e.valid_up_to()..].to_vec();
                (e.valid_up_to(), false)
            }
            Err(e) => (e.valid_up_to(), true),
        };
        let mut out = self.feed(&data[..valid]);
        // A <meta charset> in what was just fed may have switched the page's encoding.
        if invalid && self.out.2.get().is_some_and(|e| e != encoding_rs::UTF_8) {
            self.guard_utf8 = false;
            out.extend(self.feed(&data[valid..]));
            return out;
        }
        if invalid {
            self.finish_rewriter();
            out.extend(self.take_output());
            out.extend_from_slice(&data[valid..]);
            self.guard_utf8 = false;
            self.failure.get_or_insert_with(|| {
                "the page declares no charset and is not UTF-8: rewritten up to its first byte \
                 that is not, the rest passed through"
                    .to_owned()
            });
        }
        out
    }

    /// Holds the first bytes until a byte-order mark can be read; a mark that names another
    /// encoding than the rewriter's (a UTF-8 BOM on a page declared windows-1252, any UTF-16
    /// BOM) stops the rewriting before any byte is changed: the page passes through.
    fn past_bom<'c>(&mut self, chunk: &'c [u8], last: bool) -> Option<Cow<'c, [u8]>> {
        let Some(start) = self.start.as_mut() else {
            return Some(Cow::Borrowed(chunk));
        };
        start.extend_from_slice(chunk);
        if start.len() < BOM_LEN && !last {
            return None;
        }
        let held = std::mem::take(start);
        self.start = None;
        if let Some(named) = bom(&held)
            && named != self.encoding
        {
            self.rewriter = None;
            self.failure = Some(format!(
                "the page starts with a {} byte-order mark but is declared {}; page passed through",
                named.name(),
                self.encoding.name()
            ));
        }
        Some(Cow::Owned(held))
    }

    /// Feeds one chunk of the origin's body and returns the bytes ready to send.
    pub fn write(&mut self, chunk: &[u8]) -> Vec<u8> {
        let Some(chunk) = self.past_bom(chunk, false) else {
            return Vec::new();
        };
        if self.guard_utf8 && self.rewriter.is_some() {
            return self.write_guarded(&chunk, false);
        }
        self.feed(&chunk)
    }

    /// Feeds bytes to lol_html (or passes them through once it stopped).
    fn feed(&mut self, chunk: &[u8]) -> Vec<u8> {
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
        let held = match self.past_bom(&[], true) {
            Some(Cow::Owned(held)) if !held.is_empty() => self.write(&held),
            _ => Vec::new(),
        };
        let mut out = held;
        if self.guard_utf8 && self.rewriter.is_some() && !self.carry.is_empty() {
            out.extend(self.write_guarded(&[], true));
        }
        self.finish_rewriter();
        out.extend(self.take_output());
        out
    }

    /// Ends lol_html (which flushes what it held) and writes out any listing still held.
    fn finish_rewriter(&mut self) {
        if let Some(rewriter) = self.rewriter.take()
            && let Err(e) = rewriter.end()
        {
            self.bail_out(&e);
        }
        if let (Some((plans, encoding)), Some(held)) = (&self.listings, &self.out.1) {
            listing::finish_document(plans, held, &self.out.0, *encoding);
        }
    }

    /// The most memory lol_html may hold for this page: its share of the isolate's budget.
    pub fn memory_limit(&self) -> usize {
        self.reservation.0
    }

    /// Why listings were left in their original order (over their cap, never closed, ...),
    /// taken: the edge logs each as one line.
    pub fn warnings(&mut self) -> Vec<String> {
        self.out
            .1
            .as_ref()
            .map(|h| h.borrow_mut().take_warnings())
            .unwrap_or_default()
    }

    /// Why the rewriter stopped rewriting, if it did; the page was passed through from there.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    fn bail_out(&mut self, error: &RewritingError) {
        // lol_html flushed every byte it held, unmodified; from here on we pass through.
        self.rewriter = None;
        if let Some(held) = &self.out.1 {
            held.borrow_mut().release(
                &mut self.out.0.borrow_mut(),
                "rewriting stopped mid-listing",
            );
        }
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

/// Adds the handlers that place `plan.before_scripts` once: before the page's first
/// `<script>` (with its nonce), or at the end of `<body>` on a page without scripts.
fn before_scripts(
    mut settings: Settings<'static, 'static>,
    plan: &Plan,
) -> Settings<'static, 'static> {
    let done: Rc<RefCell<bool>> = Rc::default();
    let with_nonce = Rc::new(plan.before_scripts.clone());
    let (seen, insert) = (Rc::clone(&done), Rc::clone(&with_nonce));
    let at_script = ElementContentHandlers::default().element(move |el: &mut Element| {
        if !*seen.borrow() {
            *seen.borrow_mut() = true;
            let nonce = el.get_attribute("nonce").filter(|n| !n.is_empty());
            let html: String = insert.iter().map(|h| h.render(nonce.as_deref())).collect();
            el.before(&html, ContentType::Html);
        }
        Ok(())
    });
    if let Some(selector) = builtin("script") {
        settings = settings.append_element_content_handler((selector, at_script));
    }
    let at_body_end = ElementContentHandlers::default().element(move |el: &mut Element| {
        let (done, insert) = (Rc::clone(&done), Rc::clone(&with_nonce));
        if let Some(handlers) = el.end_tag_handlers() {
            handlers.push(Box::new(move |end| {
                if !*done.borrow() {
                    *done.borrow_mut() = true;
                    let html: String = insert.iter().map(|h| h.render(None)).collect();
                    end.before(&html, ContentType::Html);
                }
                Ok(())
            }));
        }
        Ok(())
    });
    if let Some(selector) = builtin("body") {
        settings = settings.append_element_content_handler((selector, at_body_end));
    }
    settings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{InsertPosition, parse_selector};
    use crate::engine::{Edit, ElementEdit, HeadInjection, LinkRewrite};

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
    fn before_scripts_goes_before_the_first_script_with_its_nonce_or_at_the_body_end() {
        let p = Plan {
            before_scripts: vec![HeadInjection::new("<script>dl()</script>")],
            ..Plan::default()
        };
        assert_eq!(
            run(
                &p,
                r#"<head><title>t</title><script nonce="n1">a()</script><script>b()</script></head>"#
            ),
            r#"<head><title>t</title><script nonce="n1">dl()</script><script nonce="n1">a()</script><script>b()</script></head>"#
        );
        assert_eq!(
            run(
                &p,
                "<head><title>t</title></head><body><script nonce=n2>b()</script></body>"
            ),
            "<head><title>t</title></head><body><script nonce=\"n2\">dl()</script><script nonce=n2>b()</script></body>"
        );
        assert_eq!(
            run(&p, "<head></head><body><p>x</p></body>"),
            "<head></head><body><p>x</p><script>dl()</script></body>"
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
