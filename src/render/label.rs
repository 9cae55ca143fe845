//! `replace_label`: find and replace inside the elements a selector matches, one text node at
//! a time, whatever the chunking (a label such as "Free shipping over €50").

use std::cell::RefCell;
use std::rc::Rc;

use lol_html::ElementContentHandlers;
use lol_html::html_content::{ContentType, TextChunk};

use super::text_replace::MAX_TEXT_NODE_BYTES;
use crate::document::{REGEX_SCAN_BASE, TextReplacement};

/// The text handler for one `replace_label`: each text node is held until it ends, replaced,
/// and written; a node longer than the text cap is written as it was.
pub(super) fn handler(replacement: TextReplacement) -> ElementContentHandlers<'static> {
    let held: Rc<RefCell<(String, bool)>> = Rc::default();
    ElementContentHandlers::default().text(move |t: &mut TextChunk<'_>| {
        let mut state = held.borrow_mut();
        let (text, passing) = &mut *state;
        if *passing {
            *passing = !t.last_in_text_node();
            return Ok(());
        }
        text.push_str(t.as_str());
        if text.len() > MAX_TEXT_NODE_BYTES {
            // Too long to hold: what was held goes out as it was, the rest passes through.
            t.replace(text, ContentType::Html);
            text.clear();
            *passing = !t.last_in_text_node();
            return Ok(());
        }
        if !t.last_in_text_node() {
            t.remove();
            return Ok(());
        }
        let mut budget = REGEX_SCAN_BASE;
        let replaced = replacement.apply(text, &mut budget);
        // A raw `<` left around a replacement must not open a tag.
        let html = if replaced.contains('<') && replaced != text.as_str() {
            replaced.replace('<', "&lt;")
        } else {
            replaced.into_owned()
        };
        t.replace(&html, ContentType::Html);
        text.clear();
        Ok(())
    })
}
