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

/// What an action does to each element its selector matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// Replace the element's content with text (escaped).
    SetText(String),
    /// Replace the element's content with HTML.
    SetHtml(String),
    /// Set attributes (name, value); values are escaped by lol_html.
    SetAttributes(Vec<(String, String)>),
    /// Remove the element and its content.
    Remove,
    /// Insert HTML around or inside the element.
    Insert(InsertPosition, String),
}

/// A compiled action: a parsed selector and its operation, ready to be handed to lol_html.
#[derive(Debug, Clone)]
pub struct Action {
    /// The selector as the marketer wrote it, for explanations.
    pub select: String,
    selector: Selector,
    /// What to do to matching elements.
    pub op: Operation,
}

impl Action {
    /// Builds an action from an already parsed selector.
    pub fn new(select: String, selector: Selector, op: Operation) -> Self {
        Self {
            select,
            selector,
            op,
        }
    }

    /// Parses a CSS selector the way the streaming rewriter needs it.
    pub fn parse_selector(text: &str) -> Result<Selector, String> {
        Selector::from_str(text).map_err(|e| format!("invalid selector {text:?}: {e}"))
    }

    fn apply(&self, el: &mut Element) {
        match &self.op {
            Operation::SetText(text) => el.set_inner_content(text, ContentType::Text),
            Operation::SetHtml(html) => el.set_inner_content(html, ContentType::Html),
            Operation::SetAttributes(pairs) => {
                for (name, value) in pairs {
                    // Names were validated when the rules compiled; a refusal here changes nothing.
                    let _ = el.set_attribute(name, value);
                }
            }
            Operation::Remove => el.remove(),
            Operation::Insert(position, html) => match position {
                InsertPosition::Before => el.before(html, ContentType::Html),
                InsertPosition::After => el.after(html, ContentType::Html),
                InsertPosition::Prepend => el.prepend(html, ContentType::Html),
                InsertPosition::Append => el.append(html, ContentType::Html),
            },
        }
    }
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
    /// Prepares a rewriter for one response, with the actions that apply to it.
    ///
    /// `charset` is the response's declared charset, if any; unsupported charsets make the
    /// rewriter pass everything through unchanged (and report why through [`Self::failure`]).
    pub fn new(actions: &[Rc<Action>], charset: Option<&str>) -> Self {
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
        for action in actions {
            let action = Rc::clone(action);
            let selector = Cow::Owned(action.selector.clone());
            let handler = ElementContentHandlers::default().element(move |el: &mut Element| {
                action.apply(el);
                Ok(())
            });
            settings = settings.append_element_content_handler((selector, handler));
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

/// Rewrites a whole document at once (the CLI and tests); the edge uses [`StreamRewriter`].
pub fn render(actions: &[Rc<Action>], html: &[u8]) -> Vec<u8> {
    let mut rewriter = StreamRewriter::new(actions, None);
    let mut out = rewriter.write(html);
    out.extend(rewriter.end());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(select: &str, op: Operation) -> Rc<Action> {
        Rc::new(Action::new(
            select.into(),
            Action::parse_selector(select).unwrap(),
            op,
        ))
    }

    fn run(actions: &[Rc<Action>], html: &str) -> String {
        String::from_utf8(render(actions, html.as_bytes())).unwrap()
    }

    #[test]
    fn every_operation() {
        let html = r#"<div class="a"><p>old</p></div><img src="x.png"><i>gone</i><b>mid</b>"#;
        let actions = [
            action(".a p", Operation::SetText("<new & text>".into())),
            action(
                "img",
                Operation::SetAttributes(vec![("alt".into(), "a \"q\"".into())]),
            ),
            action("i", Operation::Remove),
            action(
                "b",
                Operation::Insert(InsertPosition::Before, "<hr>".into()),
            ),
            action("b", Operation::Insert(InsertPosition::After, "<br>".into())),
            action("b", Operation::Insert(InsertPosition::Prepend, "[".into())),
            action("b", Operation::Insert(InsertPosition::Append, "]".into())),
            action(
                "div",
                Operation::Insert(InsertPosition::Append, "<em>x</em>".into()),
            ),
        ];
        assert_eq!(
            run(&actions, html),
            r#"<div class="a"><p>&lt;new &amp; text&gt;</p><em>x</em></div><img src="x.png" alt="a &quot;q&quot;"><hr><b>[mid]</b><br>"#
        );
        let set_html = [action("p", Operation::SetHtml("<b>bold</b>".into()))];
        assert_eq!(run(&set_html, "<p>x</p>"), "<p><b>bold</b></p>");
    }

    #[test]
    fn unsupported_charset_passes_through() {
        let actions = [action("p", Operation::Remove)];
        let mut r = StreamRewriter::new(&actions, Some("utf-16le"));
        assert_eq!(r.write(b"<p>x</p>"), b"<p>x</p>");
        assert!(r.end().is_empty());
        assert_eq!(
            r.failure(),
            Some("unsupported charset \"utf-16le\"; page passed through")
        );
    }

    #[test]
    fn memory_bail_out_passes_the_rest_through_unmodified() {
        let actions = [action("p", Operation::SetText("new".into()))];
        let huge = format!(
            "<p>a</p><p data-x=\"{}\">b</p>",
            "y".repeat(MAX_PARSER_MEMORY + 10)
        );
        let mut r = StreamRewriter::new(&actions, None);
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
