//! Find-and-replace in a page's text as it streams through lol_html, whatever the chunking.
//!
//! # How it works
//!
//! lol_html hands a text node over as several [`TextChunk`]s whose boundaries depend on how the
//! origin's body arrived on the network (a price may come as `€12` then `9.00`). The handlers
//! added by [`add_handlers`] hold each text node back: every chunk's text is withheld from the
//! output and appended to a buffer, and on the node's last chunk
//! ([`TextChunk::last_in_text_node`]) the whole node, with every replacement applied in order,
//! is emitted in its place. The output is therefore the same whatever the chunking.
//!
//! The buffer is bounded: once a single text node is larger than [`MAX_TEXT_NODE_BYTES`], what
//! was held back is emitted unmodified and the rest of that node streams through unmodified
//! (nothing is lost or repeated). Whether a node is replaced depends only on its total size, not
//! on the chunking. If lol_html bails out mid-node (another handler failed, memory limit), the
//! text held back is emitted before the rest of the page passes through.
//!
//! # Matching is on the HTML source
//!
//! lol_html gives text as it is written in the HTML source: entities are not decoded. The find
//! text (or regular expression) is matched against that source, and untouched text is re-emitted
//! byte for byte. To match `Fish & Chips` written as `Fish &amp; Chips` in the page, write the
//! find text as it appears in the HTML source: `Fish &amp; Chips`. Likewise `€` written as
//! `&euro;` in the page is only found by `&euro;`.
//!
//! The replacement (`with`) is plain text from the marketer: it is HTML-escaped when emitted
//! (`&`, `<`, `>`, `"`, `'`), so `"><script>` shows up as text and never becomes markup. For a
//! regular expression, groups referenced in `with` (`$1`, `${name}`) come from the page's own
//! source text and are inserted as they are; `$$` writes a literal `$`, and a reference to a
//! group the pattern does not have is refused when compiling. In a node a replacement changed,
//! a `<` that the source left raw (`I <3 it`) is written `&lt;`, which displays the same, so
//! that text joined around a replacement can never open a tag.
//!
//! Replacements run in the order given, each on the result of the one before. Regular
//! expressions use `regex-lite` syntax: `\d`, `\w`, `\s`, `\b` and `(?i)` are ASCII-only, `.`
//! matches any character but a newline. A pattern that can match empty text is refused.
//!
//! # What is not touched
//!
//! - A match never spans element boundaries: `€12<b>9.00</b>` holds two text nodes, `€12` and
//!   `9.00`, and neither contains `€129.00`. lol_html also ends a text node at a comment, so
//!   `€12<!-- -->9.00` does not match either.
//! - Text inside `<script>` and `<style>` is code, not copy: replacing in it could break the page.
//!   The same goes for every element whose text is not HTML text (lol_html's text types other
//!   than data and RCDATA): `<xmp>`, `<iframe>`, `<noembed>`, `<noframes>`, `<noscript>` (which
//!   lol_html parses as raw text, as a browser with scripts on does), `<plaintext>` and CDATA
//!   sections in SVG/MathML.
//! - Text inside `<textarea>` is a form's value the visitor edits and submits, not page copy.
//! - Text inside `<template>` is inert markup that the page's scripts clone and fill in; its
//!   text is often a placeholder a script looks for, so it is left alone.
//! - `<title>` is replaced in like any other text: it is copy the visitor sees (tab, bookmarks).
//! - Attribute values (`alt`, `content` of `<meta>`...) are not text nodes and are not touched.
//! - Content another rule removed or replaced (`set_inner_content`, `remove`) stays removed.
//!
//! # Cost and bounds
//!
//! With no replacement, [`add_handlers`] adds no handler at all. Otherwise each text node is
//! copied once into the buffer and searched once per replacement. Measured natively (release
//! build, 16 KiB chunks, an 855 KiB product-listing page with ~28,000 text nodes): lol_html
//! alone 1.7 ms; with a no-op text handler 6.1 ms (lol_html handing text out at all); one
//! literal 9.9 ms; one regular expression 24 ms; five of each 81 ms. regex-lite scans about
//! 30-150 ns per byte, so a 256 KiB node costs roughly 8-40 ms per regular expression.
//!
//! Two things are bounded so that one rule cannot exhaust the Worker:
//! - Regular expression work: some patterns (`.*x|y`) read to the end of the node on every
//!   search, which is quadratic in the node's length. Each search is charged the rest of its
//!   node against an allowance of 1 MiB plus 16 bytes per byte of text searched (unused
//!   allowance carries over); a node whose searches would overdraw it is left unchanged by that
//!   replacement, never half replaced. Ordinary nodes cost about (matches + 1) x length / 2, so
//!   only nodes with dozens of matches that are also several KiB long can hit it (a 16 KiB node
//!   gets through with about 160 matches, a 256 KiB one with about 40). Measured with
//!   `.*[^A-Z]|[A-Z]`: a 16 KiB node takes 45 ms instead of 6.4 s unbounded.
//! - Growth: a replacement that would make a node larger than [`MAX_REPLACED_NODE_BYTES`]
//!   leaves it as it was.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use lol_html::errors::RewritingError;
use lol_html::html_content::{BailOut, ContentType, DocumentEnd, TextChunk, TextType};
use lol_html::{DocumentContentHandlers, ElementContentHandlers, Selector, Settings};

use crate::document::REGEX_SCAN_BASE;
use crate::document::TextReplacement;

/// The largest text node (in bytes of HTML source) that is buffered and searched.
pub const MAX_TEXT_NODE_BYTES: usize = 256 * 1024;

/// Elements whose text is left alone although lol_html parses it as HTML text.
const SKIPPED_ELEMENTS: &str = "textarea, template";

/// Applies every replacement in order; borrows when nothing matched.
///
/// In a changed node, a `<` left raw in the source (`I <3 it`) is written `&lt;`, which shows
/// the same: text joined around a replacement can then never open a tag (`I <` + `b`).
fn apply_all<'t>(
    replacements: &[TextReplacement],
    text: &'t str,
    budget: &mut usize,
) -> Cow<'t, str> {
    let mut current = Cow::Borrowed(text);
    for replacement in replacements {
        if let Cow::Owned(changed) = replacement.apply(&current, budget) {
            current = Cow::Owned(changed);
        }
    }
    match current {
        Cow::Owned(changed) if changed.contains('<') => Cow::Owned(changed.replace('<', "&lt;")),
        current => current,
    }
}

/// The state shared by the handlers of one page.
struct PageState {
    /// What regular expression searches may still read on this page, in bytes.
    regex_budget: usize,
    /// The source text of the current text node, held back so far.
    held: String,
    /// The current text node outgrew the buffer and streams through unmodified.
    passing_through: bool,
    /// The current chunk is inside an element whose text is skipped (set by the element
    /// handler, which lol_html runs before document handlers for the same chunk).
    in_skipped_element: bool,
}

impl PageState {
    fn new(regex_budget: usize) -> Self {
        Self {
            regex_budget,
            held: String::new(),
            passing_through: false,
            in_skipped_element: false,
        }
    }

    /// Forgets what was held back, releasing a large buffer's memory.
    fn release_held(&mut self) {
        self.held.clear();
        if self.held.capacity() > 16 * 1024 {
            self.held = String::new();
        }
    }

    fn on_text(&mut self, chunk: &mut TextChunk<'_>, replacements: &[TextReplacement]) {
        let skipped = std::mem::take(&mut self.in_skipped_element)
            || !matches!(chunk.text_type(), TextType::Data | TextType::RCData);
        let last = chunk.last_in_text_node();
        if skipped {
            // A text node always ends before the next one starts; never lose text if not.
            if !self.held.is_empty() {
                chunk.before(&self.held, ContentType::Html);
                self.release_held();
            }
            self.passing_through = false;
            return;
        }
        if self.passing_through {
            self.passing_through = !last;
            return;
        }
        if self.held.is_empty() && last {
            // The whole node in one chunk: no copy unless something matched.
            if chunk.as_str().len() <= MAX_TEXT_NODE_BYTES
                && let Cow::Owned(replaced) =
                    apply_all(replacements, chunk.as_str(), &mut self.regex_budget)
            {
                chunk.set_str(replaced);
            }
            return;
        }
        self.held.push_str(chunk.as_str());
        // `set_str` (rather than `remove`/`replace`) hands lol_html the text as HTML source
        // without allocating a mutation record; an empty chunk emits nothing.
        if self.held.len() > MAX_TEXT_NODE_BYTES {
            // Too large to hold: emit it as it was and let the rest of the node stream through.
            chunk.set_str(std::mem::take(&mut self.held));
            self.passing_through = !last;
        } else if last {
            let text = match apply_all(replacements, &self.held, &mut self.regex_budget) {
                Cow::Owned(replaced) => replaced,
                Cow::Borrowed(_) => std::mem::take(&mut self.held),
            };
            chunk.set_str(text);
            self.release_held();
        } else {
            chunk.set_str(String::new());
        }
    }

    /// Emits what is held back through `emit` (at the document's end or a bail-out).
    fn flush_held(&mut self, emit: impl FnOnce(&str)) {
        if !self.held.is_empty() {
            emit(&self.held);
            self.release_held();
        }
        self.passing_through = false;
    }
}

/// Adds handlers that apply `replacements` (in order) to the page's text to a lol_html Settings.
pub fn add_handlers<'h>(
    settings: Settings<'h, 'static>,
    replacements: Rc<[TextReplacement]>,
) -> Settings<'h, 'static> {
    add_handlers_with_budget(settings, replacements, REGEX_SCAN_BASE)
}

fn add_handlers_with_budget<'h>(
    settings: Settings<'h, 'static>,
    replacements: Rc<[TextReplacement]>,
    regex_budget: usize,
) -> Settings<'h, 'static> {
    if replacements.is_empty() {
        return settings;
    }
    let Ok(skipped) = SKIPPED_ELEMENTS.parse::<Selector>() else {
        // Cannot happen (the selector is a constant, tested); replacing nothing is the safe side.
        return settings;
    };
    let state = Rc::new(RefCell::new(PageState::new(regex_budget)));

    let marker = Rc::clone(&state);
    let mark_skipped = ElementContentHandlers::default().text(move |_: &mut TextChunk<'_>| {
        marker.borrow_mut().in_skipped_element = true;
        Ok(())
    });

    let on_text = Rc::clone(&state);
    let on_end = Rc::clone(&state);
    let document = DocumentContentHandlers::default()
        .text(move |chunk: &mut TextChunk<'_>| {
            on_text.borrow_mut().on_text(chunk, &replacements);
            Ok(())
        })
        .end(move |end: &mut DocumentEnd<'_>| {
            // lol_html ends the last text node itself; this only guards against losing text.
            on_end
                .borrow_mut()
                .flush_held(|held| end.append(held, ContentType::Html));
            Ok(())
        });

    let on_bail_out = state;
    settings
        .append_element_content_handler((Cow::Owned(skipped), mark_skipped))
        .append_document_content_handler(document)
        .append_bail_out_handler(move |_: &RewritingError, bail_out: &mut BailOut<'_>| {
            // lol_html passes the rest of the page through; emit what we held back first.
            on_bail_out
                .borrow_mut()
                .flush_held(|held| bail_out.append(held, ContentType::Html));
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::REGEX_SCAN_PER_BYTE;
    use crate::test_chunks::{RandomChunks, rerun};
    use lol_html::html_content::Element;
    use lol_html::{AsciiCompatibleEncoding, HtmlRewriter, MemorySettings};

    /// Builds settings the way Veneer's `StreamRewriter` does.
    fn veneer_settings() -> Settings<'static, 'static> {
        Settings::new()
            .with_encoding(AsciiCompatibleEncoding::utf_8())
            .with_strict(false)
            .with_memory_settings(
                MemorySettings::new()
                    .with_max_allowed_memory_usage(4 * 1024 * 1024)
                    .with_graceful_bail_out_on_memory_limit_exceeded(true),
            )
            .with_graceful_bail_out_on_content_handler_error(true)
    }

    /// Feeds `html` to a rewriter built from `settings`, in chunks of the given sizes (cycled).
    fn run_settings(settings: Settings<'_, 'static>, html: &[u8], sizes: &[usize]) -> Vec<u8> {
        // Like Veneer's StreamRewriter: after a bail-out, the rest passes through as it is.
        let out = Rc::new(RefCell::new(Vec::new()));
        let sink = Rc::clone(&out);
        let mut rewriter = HtmlRewriter::new(settings, move |c: &[u8]| sink.borrow_mut().extend(c));
        let mut rest = html;
        let mut i = 0;
        while !rest.is_empty() {
            let size = sizes.get(i % sizes.len()).copied().unwrap_or(rest.len());
            let (chunk, tail) = rest.split_at(size.clamp(1, rest.len()));
            rest = tail;
            i += 1;
            if rewriter.write(chunk).is_err() {
                out.borrow_mut().extend_from_slice(rest);
                return out.take();
            }
        }
        if rewriter.end().is_err() {
            // lol_html flushed what it held; nothing more to add.
        }
        out.take()
    }

    fn run(html: &[u8], reps: &[TextReplacement], sizes: &[usize]) -> Vec<u8> {
        let settings = add_handlers(veneer_settings(), Rc::from(reps.to_vec()));
        run_settings(settings, html, sizes)
    }

    /// Deterministic chunk sizes from a xorshift generator.
    fn random_sizes(seed: u64, max: usize) -> Vec<usize> {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..257)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x % max as u64) as usize + 1
            })
            .collect()
    }

    /// One way to split a page: chunk sizes (cycled), and for a random one its seed and largest
    /// chunk, which a failure prints with the command that reruns it.
    struct Chunking {
        sizes: Vec<usize>,
        random: Option<(u64, usize)>,
    }

    /// The chunkings every page is fed in: whole, byte by byte, and many pseudo-random ones
    /// (seeds 1 to 40, or as `VENEER_CHUNK_SEED`, `VENEER_CHUNK_SEEDS` and `VENEER_CHUNK_MAX`
    /// say: see `tests/support/chunks.rs`).
    fn chunkings(len: usize) -> Vec<Chunking> {
        let fixed = [vec![len.max(1)], vec![1], vec![2], vec![3], vec![7]];
        let mut all: Vec<Chunking> = fixed
            .into_iter()
            .map(|sizes| Chunking {
                sizes,
                random: None,
            })
            .collect();
        let random = RandomChunks::from_env(1, 40);
        for &seed in random.seeds() {
            let max = random.max_or(1 + (seed as usize * 5) % 64);
            all.push(Chunking {
                sizes: random_sizes(seed, max),
                random: Some((seed, max)),
            });
        }
        all
    }

    /// The command that reruns the running test alone (libtest names each test's thread).
    fn this_test() -> String {
        match std::thread::current().name() {
            Some(name) if name != "main" => format!("cargo test --lib -- --exact {name}"),
            _ => "cargo test --lib text_replace::tests".to_owned(),
        }
    }

    /// Rewrites `html` in every chunking, checks they all agree and returns the output.
    fn rewrite(html: &str, reps: &[TextReplacement]) -> String {
        let whole = run(html.as_bytes(), reps, &[html.len().max(1)]);
        for chunking in chunkings(html.len()) {
            let out = run(html.as_bytes(), reps, &chunking.sizes);
            if out != whole {
                let what = match chunking.random {
                    Some((seed, max)) => rerun(seed, max, &this_test()),
                    None => format!("chunk sizes {:?}", chunking.sizes),
                };
                assert_eq!(
                    String::from_utf8_lossy(&out),
                    String::from_utf8_lossy(&whole),
                    "{what}"
                );
            }
        }
        String::from_utf8(whole).unwrap()
    }

    fn lit(find: &str, with: &str) -> TextReplacement {
        TextReplacement::literal(find, with).unwrap()
    }

    fn re(pattern: &str, with: &str) -> TextReplacement {
        TextReplacement::regex(pattern, with).unwrap()
    }

    #[test]
    fn literal_replaces_a_price() {
        let out = rewrite(
            "<p class=\"price\">€129.00</p>",
            &[lit("€129.00", "€99.00")],
        );
        assert_eq!(out, "<p class=\"price\">€99.00</p>");
    }

    #[test]
    fn price_split_across_network_chunks() {
        let html = "<div><span>Now only €129.00 today</span></div>";
        let reps = [lit("€129.00", "€99.00")];
        let expected = "<div><span>Now only €99.00 today</span></div>";
        // Every split into two chunks, including inside the euro sign's UTF-8 bytes.
        for at in 1..html.len() {
            let out = run(html.as_bytes(), &reps, &[at, html.len()]);
            assert_eq!(String::from_utf8(out).unwrap(), expected, "split at {at}");
        }
        // And the split the brief names: "€12" | "9.00".
        let at = html.find("9.00").unwrap();
        let out = run(html.as_bytes(), &reps, &[at, html.len()]);
        assert_eq!(String::from_utf8(out).unwrap(), expected);
        assert_eq!(rewrite(html, &reps), expected);
    }

    #[test]
    fn multibyte_character_split_everywhere() {
        let html = "<p>Prix: 129,00 € — très bon marché ✓ 🎉</p>";
        let reps = [lit("129,00 €", "99,00 €"), lit("🎉", "🥳")];
        let expected = "<p>Prix: 99,00 € — très bon marché ✓ 🥳</p>";
        for a in 1..html.len() {
            for b in [1, 2, 3] {
                let out = run(html.as_bytes(), &reps, &[a, b, html.len()]);
                assert_eq!(String::from_utf8(out).unwrap(), expected, "split {a}, {b}");
            }
        }
    }

    #[test]
    fn regex_with_groups() {
        let out = rewrite(
            "<p>Free shipping over €50</p><p>Free shipping over €120!</p>",
            &[re(
                r"Free shipping over €(\d+)",
                "Free shipping over €$1 today",
            )],
        );
        assert_eq!(
            out,
            "<p>Free shipping over €50 today</p><p>Free shipping over €120 today!</p>"
        );
        let out = rewrite(
            "<p>Ships in 3 days</p>",
            &[re(
                r"Ships in (?<n>\d+) days",
                "Arrives in ${n}d ($$0 shipping)",
            )],
        );
        assert_eq!(out, "<p>Arrives in 3d ($0 shipping)</p>");
    }

    #[test]
    fn multiple_matches_in_one_node() {
        let html = "<p>SALE SALE SALE! Big SALE.</p>";
        assert_eq!(
            rewrite(html, &[lit("SALE", "Deal")]),
            "<p>Deal Deal Deal! Big Deal.</p>"
        );
        assert_eq!(
            rewrite("<p>€10, €20 and €30</p>", &[re(r"€(\d+)", "$1 EUR")]),
            "<p>10 EUR, 20 EUR and 30 EUR</p>"
        );
    }

    #[test]
    fn replacements_apply_in_order() {
        let html = "<p>red apple</p>";
        assert_eq!(
            rewrite(html, &[lit("red", "green"), lit("green apple", "pear")]),
            "<p>pear</p>"
        );
        assert_eq!(
            rewrite(html, &[lit("green apple", "pear"), lit("red", "green")]),
            "<p>green apple</p>"
        );
        assert_eq!(
            rewrite(html, &[re("(r)ed", "${1}ose"), lit("rose", "tulip")]),
            "<p>tulip apple</p>"
        );
    }

    #[test]
    fn replacement_text_is_escaped() {
        let out = rewrite(
            "<p>Hello</p>",
            &[lit("Hello", "\"><script>alert(1)</script> & 'x'")],
        );
        assert_eq!(
            out,
            "<p>&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#39;x&#39;</p>"
        );
        assert!(!out.contains("<script>"));
        // Regex replacements: the marketer's text is escaped, captured page text is not.
        let out = rewrite(
            "<p>Fish &amp; Chips</p>",
            &[re("(Fish &amp; Chips)", "<b>$1</b>")],
        );
        assert_eq!(out, "<p>&lt;b&gt;Fish &amp; Chips&lt;/b&gt;</p>");
    }

    #[test]
    fn matching_is_on_html_source_entities_included() {
        let html = "<p>Fish &amp; Chips for &euro;5</p>";
        assert_eq!(
            rewrite(html, &[lit("Fish & Chips", "Burgers")]),
            html,
            "decoded text does not match the source"
        );
        assert_eq!(
            rewrite(html, &[lit("Fish &amp; Chips", "Burgers & Fries")]),
            "<p>Burgers &amp; Fries for &euro;5</p>"
        );
        assert_eq!(
            rewrite(html, &[lit("&euro;5", "€4")]),
            "<p>Fish &amp; Chips for €4</p>"
        );
        // An entity split across chunks is still found.
        let out = run(html.as_bytes(), &[lit("&amp;", "and")], &[7, 2, 100]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<p>Fish and Chips for &euro;5</p>"
        );
    }

    #[test]
    fn code_and_form_text_is_left_alone() {
        let html = "<html><head><title>SALE | Shop</title>\
            <style>.SALE::after{content:\"SALE\"}</style>\
            <script>var s = \"SALE\"; if (a < b) {}</script>\
            <script type=\"application/ld+json\">{\"name\":\"SALE\"}</script></head>\
            <body><p>SALE</p><textarea name=t>SALE</textarea>\
            <template><div>SALE <b>SALE</b></div><template>SALE</template>SALE</template>\
            <noscript>SALE</noscript><xmp>SALE</xmp><iframe>SALE</iframe>\
            <svg><text>SALE</text><![CDATA[SALE]]></svg>\
            <p>SALE</p><textarea>a</textarea>SALE</body></html>";
        let out = rewrite(html, &[lit("SALE", "DEAL")]);
        let expected = html
            .replacen("<title>SALE", "<title>DEAL", 1)
            .replacen("<p>SALE</p>", "<p>DEAL</p>", 2)
            .replacen("<text>SALE", "<text>DEAL", 1)
            .replacen("</textarea>SALE", "</textarea>DEAL", 1);
        assert_eq!(out, expected);
    }

    #[test]
    fn skipped_elements_end_where_lol_html_ends_them() {
        // An unclosed template: its content runs to the end of the document; nothing replaced.
        let html = "<p>SALE</p><template><p>SALE</p>";
        assert_eq!(
            rewrite(html, &[lit("SALE", "DEAL")]),
            "<p>DEAL</p><template><p>SALE</p>"
        );
        // A stray end tag does not stop replacements.
        let html = "<p>SALE</p></template></textarea><p>SALE</p>";
        assert_eq!(
            rewrite(html, &[lit("SALE", "DEAL")]),
            "<p>DEAL</p></template></textarea><p>DEAL</p>"
        );
    }

    #[test]
    fn no_match_across_elements_or_comments() {
        let html = "<p>€12<b>9.00</b> €12<!-- x -->9.00 €12</p><p>9.00</p>";
        assert_eq!(rewrite(html, &[lit("€129.00", "€99.00")]), html);
    }

    #[test]
    fn text_outside_any_element_and_at_document_end() {
        assert_eq!(
            rewrite("Only €129.00", &[lit("€129.00", "€99.00")]),
            "Only €99.00"
        );
        assert_eq!(
            rewrite("<p>x</p>tail €129.00", &[lit("€129.00", "€99.00")]),
            "<p>x</p>tail €99.00"
        );
        assert_eq!(
            rewrite("<p>€129.00", &[lit("€129.00", "€99.00")]),
            "<p>€99.00"
        );
    }

    #[test]
    fn huge_text_node_passes_through_complete() {
        let filler = "SALE, filler text & more. ".repeat(MAX_TEXT_NODE_BYTES / 20);
        assert!(filler.len() > MAX_TEXT_NODE_BYTES);
        let html = format!("<p>SALE</p><pre>{filler}</pre><p>SALE</p>");
        let reps = [lit("SALE", "DEAL")];
        let expected = format!("<p>DEAL</p><pre>{filler}</pre><p>DEAL</p>");
        for sizes in [
            vec![html.len()],
            vec![1],
            vec![4096],
            vec![65_536],
            random_sizes(7, 3000),
            random_sizes(8, 100_000),
        ] {
            let out = run(html.as_bytes(), &reps, &sizes);
            assert!(out == expected.as_bytes(), "chunk sizes {:?}", &sizes[..3]);
        }
        // A node just within the limit is still replaced.
        let fits = "x".repeat(MAX_TEXT_NODE_BYTES - 4);
        let html = format!("<pre>{fits}SALE</pre>");
        let out = run(html.as_bytes(), &reps, &[1000]);
        assert!(out == format!("<pre>{fits}DEAL</pre>").as_bytes());
        // One byte over: unmodified, whatever the chunking.
        let html = format!("<pre>{fits}SALE!</pre>");
        for sizes in [vec![html.len()], vec![1000], vec![html.len() - 7, 100]] {
            assert!(run(html.as_bytes(), &reps, &sizes) == html.as_bytes());
        }
    }

    #[test]
    fn other_rules_removing_content_win() {
        let reps = Rc::from(vec![lit("€129.00", "€99.00")]);
        let settings = veneer_settings().append_element_content_handler(lol_html::element!(
            "#gone, #text",
            |el: &mut Element| {
                if el.get_attribute("id").as_deref() == Some("gone") {
                    el.remove();
                } else {
                    el.set_inner_content("new <copy>", ContentType::Text);
                }
                Ok(())
            }
        ));
        let settings = add_handlers(settings, reps);
        let html = "<div id=gone>€129.00</div><div id=text>€129.00</div><p>€129.00</p>";
        let out = run_settings(settings, html.as_bytes(), &[5]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<div id=text>new &lt;copy&gt;</div><p>€99.00</p>"
        );
    }

    #[test]
    fn bail_out_mid_text_node_loses_nothing() {
        // Another rule's handler fails on a text node's second chunk: lol_html bails out and
        // passes the rest through; the text held back so far must come out once, in place.
        let html = "<p>one €129.00 two three</p><p>€129.00</p>";
        let failing = |seen: Rc<RefCell<u32>>| {
            lol_html::text!("p", move |_t| {
                *seen.borrow_mut() += 1;
                if *seen.borrow() == 2 {
                    return Err("boom".into());
                }
                Ok(())
            })
        };
        for first in 4..html.len() - 2 {
            let sizes = [first, 3, 1000];
            // lol_html on its own (3.0.3 drops a UTF-8 character split at the bail-out point).
            let alone = veneer_settings().append_element_content_handler(failing(Rc::default()));
            let baseline =
                String::from_utf8_lossy(&run_settings(alone, html.as_bytes(), &sizes)).into_owned();
            let settings = veneer_settings().append_element_content_handler(failing(Rc::default()));
            let settings = add_handlers(settings, Rc::from(vec![lit("€129.00", "€99.00")]));
            let out = run_settings(settings, html.as_bytes(), &sizes);
            let out = String::from_utf8_lossy(&out);
            assert!(
                out == baseline || out == baseline.replacen("€129.00", "€99.00", 1),
                "split {first}: {out} (lol_html alone: {baseline})"
            );
        }
    }

    #[test]
    fn other_encodings() {
        // The page declares windows-1252, where 0x80 is the euro sign.
        let settings = add_handlers(
            veneer_settings().with_adjust_charset_on_meta_tag(true),
            Rc::from(vec![lit("€129.00", "€99.00 ✓")]),
        );
        let html = b"<meta charset=windows-1252><p>\x80129.00</p>";
        let out = run_settings(settings, html, &[1]);
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(b"<meta charset=windows-1252><p>\x8099.00 &#10003;</p>")
        );
    }

    #[test]
    fn literal_errors_and_plain_dollars() {
        assert_eq!(
            TextReplacement::literal("", "x").unwrap_err(),
            "the text to find is empty"
        );
        assert_eq!(
            rewrite("<p>price</p>", &[lit("price", "$1 ${x} $$")]),
            "<p>$1 ${x} $$</p>"
        );
    }

    #[test]
    fn regex_replacement_references_are_checked() {
        let err = TextReplacement::regex(r"€(\d+)", "only $5 today").unwrap_err();
        assert_eq!(
            err,
            "the replacement \"only $5 today\" refers to group \"5\", but the regular expression \
             has 1 group(s) (write $$ for a literal $)"
        );
        let err = TextReplacement::regex(r"€(\d+)", "$1off").unwrap_err();
        assert!(
            err.ends_with("(to put text right after a group, use braces: ${1}off)"),
            "{err}"
        );
        let err = TextReplacement::regex(r"(?<n>\d+)", "${m}").unwrap_err();
        assert!(err.contains("refers to group \"m\""), "{err}");
        let err = TextReplacement::regex(r"(\d+)", "${1").unwrap_err();
        assert!(err.contains("without its closing"), "{err}");
        // `$` not followed by a name, and `$$`, are literal dollars.
        assert_eq!(
            rewrite("<p>cost 5</p>", &[re(r"cost (\d)", "$ ${1}0 $$$1 $")]),
            "<p>$ 50 $5 $</p>"
        );
        // A group that did not take part in the match inserts nothing.
        assert_eq!(
            rewrite("<p>ab b</p>", &[re("(a)?b", "[$1]")]),
            "<p>[a] []</p>"
        );
        // `$0` is the whole match.
        assert_eq!(
            rewrite("<p>sale</p>", &[re("sa.e", "*$0*")]),
            "<p>*sale*</p>"
        );
    }

    #[test]
    fn zero_replacements_change_nothing() {
        let html = "<p>€129.00</p><textarea>x</textarea>";
        assert_eq!(rewrite(html, &[]), html);
    }

    #[test]
    fn skipped_elements_selector_parses() {
        assert!(SKIPPED_ELEMENTS.parse::<Selector>().is_ok());
    }

    /// Pseudo-random pages built from HTML-ish pieces, including broken ones.
    fn random_page(seed: u64, pieces: usize) -> String {
        const PIECES: &[&str] = &[
            "<p>",
            "</p>",
            "SALE",
            "SA",
            "LE",
            " ",
            "€129.00",
            "€",
            "129",
            ".00",
            "&amp;",
            "&",
            "<b>",
            "</b>",
            "<!-- SALE -->",
            "<script>",
            "SALE</script>",
            "<style>",
            "</style>",
            "<textarea>",
            "</textarea>",
            "<template>",
            "</template>",
            "<title>",
            "</title>",
            "<",
            ">",
            "\"",
            "'",
            "<svg>",
            "<![CDATA[SALE]]>",
            "</svg>",
            "\n",
            "é✓🎉",
            "<a href='SALE'>",
            "</a>",
            "<br/>",
            "<plaintext>",
            "<noscript>",
            "</noscript>",
            "<!DOCTYPE html>",
            "<div",
            " class=x",
            "/>",
            "&#",
            "x;",
            "<?pi?>",
            "</",
        ];
        let mut x = seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1;
        let mut page = String::new();
        for _ in 0..pieces {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            page.push_str(PIECES[(x % PIECES.len() as u64) as usize]);
        }
        page
    }

    #[test]
    fn odd_pages_do_not_panic_and_lose_nothing() {
        let reps = [
            lit("SALE", "DEAL <&>"),
            re(r"€(\d+)(\.\d+)?", "EUR $1"),
            lit("é", "e"),
        ];
        let never = [lit("never in the page", "x"), re("nope+", "x")];
        for seed in 1..=60 {
            let page = random_page(seed, 5 + seed as usize * 3);
            // Chunking never changes the output (checked inside `rewrite`).
            let _ = rewrite(&page, &reps);
            // Replacements that never match pass the page through byte for byte.
            assert_eq!(rewrite(&page, &never), page, "seed {seed}");
        }
        // Raw bytes, invalid UTF-8 included: no panic, in any chunking.
        for seed in 1..=30 {
            let bytes: Vec<u8> = random_sizes(seed, 256)
                .into_iter()
                .map(|b| (b - 1) as u8)
                .collect();
            let whole = run(&bytes, &reps, &[bytes.len()]);
            for sizes in [vec![1], random_sizes(seed, 9)] {
                assert!(run(&bytes, &reps, &sizes) == whole, "seed {seed}");
            }
        }
    }

    #[test]
    fn regex_work_per_page_is_bounded() {
        // Each search of this pattern reads to the end of the node: quadratic without a bound.
        let reps: Rc<[TextReplacement]> = Rc::from(vec![re(r".*[^A-Z]|[A-Z]", "x")]);
        let node = "A".repeat(16 * 1024);
        let html = format!("<pre>{node}</pre><p>Q</p>");
        let settings = add_handlers_with_budget(veneer_settings(), Rc::clone(&reps), 0);
        let out = run_settings(settings, html.as_bytes(), &[4096]);
        // The large node is left whole (not half replaced); the small one still fits.
        assert!(out == format!("<pre>{node}</pre><p>x</p>").as_bytes());
        // A smaller node is replaced entirely.
        let settings = add_handlers_with_budget(veneer_settings(), reps, 0);
        let small = format!("<pre>{}</pre>", "A".repeat(30));
        let out = run_settings(settings, small.as_bytes(), &[7]);
        assert!(out == format!("<pre>{}</pre>", "x".repeat(30)).as_bytes());
        // What a node costs: about (matches + 1) x its length / 2. Ordinary nodes are cheap.
        let r = re(r"€(\d+)", "$1 EUR");
        let text = "Free shipping over €50, €60 and €70. ".repeat(100);
        // 300 matches in 3.7 KiB: more than the node's own allowance, within a page's.
        let mut budget = 0;
        assert!(matches!(r.apply(&text, &mut budget), Cow::Borrowed(_)));
        let mut budget = REGEX_SCAN_BASE;
        assert!(matches!(r.apply(&text, &mut budget), Cow::Owned(_)));
        let mut budget = 0;
        assert!(matches!(r.apply("Now €129.00", &mut budget), Cow::Owned(_)));
        let spent = REGEX_SCAN_PER_BYTE * "Now €129.00".len() - budget;
        assert_eq!(spent, "Now €129.00".len() + ".00".len());
    }

    #[test]
    fn joined_text_never_opens_a_tag() {
        // A raw `<` in the source text is text; a replacement next to it must not make a tag.
        assert_eq!(
            rewrite("<p>I <3 it</p>", &[lit("3 it", "b")]),
            "<p>I &lt;b</p>"
        );
        assert_eq!(
            rewrite("<p>I <3 it</p>", &[re("(<)3", "${1}script")]),
            "<p>I &lt;script it</p>"
        );
        // Nodes no replacement changed keep their bytes.
        assert_eq!(
            rewrite("<p>I <3 it</p><p>x</p>", &[lit("x", "y")]),
            "<p>I <3 it</p><p>y</p>"
        );
        assert_eq!(
            rewrite("<title>a < b SALE</title>", &[lit("SALE", "DEAL")]),
            "<title>a &lt; b DEAL</title>"
        );
    }

    #[test]
    fn replacements_cannot_blow_up_a_node() {
        let text = "e".repeat(20_000);
        let html = format!("<p>{text}</p>");
        let long = "x".repeat(100);
        // 20,000 x 100 bytes would be 2 MB: the node is left as it was.
        assert!(rewrite(&html, &[lit("e", &long)]) == html);
        let mut budget = usize::MAX / 2;
        assert!(matches!(
            re("e", &long).apply(&text, &mut budget),
            Cow::Borrowed(_)
        ));
        let mut budget = usize::MAX / 2;
        let grown = re("(e)", "${1}b").apply(&text, &mut budget);
        assert!(grown == "eb".repeat(20_000));
        // Growth within the limit is fine.
        let out = rewrite(&html, &[lit("e", "ab")]);
        assert!(out == format!("<p>{}</p>", "ab".repeat(20_000)));
    }
}
