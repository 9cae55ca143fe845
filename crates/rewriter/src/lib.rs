//! lol_html's [`HtmlRewriter`] for one output sink type, compiled in this crate.
//!
//! lol_html's parser, dispatcher and selector matching are generic over the output sink, so
//! Rust compiles them in the crate that names the sink, at that crate's optimisation level.
//! Veneer is built for size (opt-level z); this crate is built at opt-level 3 (Veneer's
//! Cargo.toml, `[profile.release.package.veneer-rewriter]`), so the code that runs for every
//! byte of a page gets full speed while Veneer's own code stays small (docs/performance.md,
//! "Where lol_html's generic code is compiled").

use lol_html::errors::RewritingError;
use lol_html::{AsciiCompatibleEncoding, HtmlRewriter, OutputSink, Settings};

/// Where the rewritten bytes go: any sink, behind one pointer, so that the rewriter has one
/// type whatever the caller's sink is.
pub struct Sink(Box<dyn OutputSink>);

impl OutputSink for Sink {
    fn handle_chunk(&mut self, chunk: &[u8]) {
        self.0.handle_chunk(chunk);
    }

    fn set_encoding(&mut self, encoding: AsciiCompatibleEncoding) {
        self.0.set_encoding(encoding);
    }
}

/// A streaming rewriter: lol_html's [`HtmlRewriter`] with its generic code compiled here.
pub struct Rewriter(HtmlRewriter<'static, Sink>);

impl Rewriter {
    /// A rewriter with `settings` that writes what it produces to `sink`.
    #[inline(never)]
    pub fn new(settings: Settings<'static, 'static>, sink: Box<dyn OutputSink>) -> Self {
        Self(HtmlRewriter::new(settings, Sink(sink)))
    }

    /// Feeds the next chunk of the document (see [`HtmlRewriter::write`]).
    #[inline(never)]
    pub fn write(&mut self, data: &[u8]) -> Result<(), RewritingError> {
        self.0.write(data)
    }

    /// Ends the document (see [`HtmlRewriter::end`]).
    #[inline(never)]
    pub fn end(self) -> Result<(), RewritingError> {
        self.0.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lol_html::{ElementContentHandlers, Selector};
    use std::borrow::Cow;
    use std::cell::RefCell;
    use std::rc::Rc;

    const HTML: &str = "<html><body><h1 class=a>Hi</h1><p data-x=1>one</p><p>two</p></body></html>";

    fn settings() -> Settings<'static, 'static> {
        let handler = ElementContentHandlers::default().element(
            |el: &mut lol_html::html_content::Element| {
                el.set_attribute("data-y", "2")?;
                Ok(())
            },
        );
        let selector: Selector = "p[data-x]".parse().unwrap();
        Settings::new().append_element_content_handler((Cow::Owned(selector), handler))
    }

    #[test]
    fn rewrites_as_lol_html_itself_at_any_chunking() {
        let expected = Rc::new(RefCell::new(Vec::new()));
        let into = Rc::clone(&expected);
        let mut direct = HtmlRewriter::new(settings(), move |c: &[u8]| {
            into.borrow_mut().extend_from_slice(c)
        });
        direct.write(HTML.as_bytes()).unwrap();
        direct.end().unwrap();
        let expected = String::from_utf8(expected.take()).unwrap();
        assert!(
            expected.contains(r#"<p data-x=1 data-y="2">"#),
            "{expected}"
        );
        for size in [1, 2, 7, HTML.len()] {
            let out = Rc::new(RefCell::new(Vec::new()));
            let into = Rc::clone(&out);
            let mut rewriter = Rewriter::new(
                settings(),
                Box::new(move |c: &[u8]| into.borrow_mut().extend_from_slice(c)),
            );
            for chunk in HTML.as_bytes().chunks(size) {
                rewriter.write(chunk).unwrap();
            }
            rewriter.end().unwrap();
            assert_eq!(
                String::from_utf8(out.take()).unwrap(),
                expected,
                "chunks of {size}"
            );
        }
    }
}
