//! Checks that an HTML fragment from a rule is balanced, so it cannot swallow or break the page.
//!
//! An action's HTML (`set_html`, `append`, `inject_head`, `replace`...) is spliced into the page
//! as it streams, and the browser parses it together with everything around it. A fragment that
//! leaves something open takes the rest of the page with it: `<script>var a = 1;` turns the
//! page's remaining markup into script, `<!-- note` hides it, `<div class="a` makes it an
//! attribute value, and `</div>` closes one of the page's own elements. [`check_fragment`]
//! refuses such fragments with a message that says what to add or remove, and where (`at` is
//! the byte offset in the fragment of the `<` or quote concerned).
//!
//! # What is refused
//!
//! - A raw-text or RCDATA element without its end tag: `script`, `style`, `textarea`, `title`,
//!   `xmp`, `iframe`, `noembed`, `noframes`, `noscript`. Inside one, only `</name` followed by
//!   whitespace, `/` or `>` ends it (any case); inside `<script>`, a `<!--` followed by
//!   `<script>` hides the next `</script>` exactly as browsers do. `<plaintext>` can never be
//!   closed and is always refused.
//! - A comment `<!--` without `-->` (or `--!>`); `<![CDATA[` without `]]>`; `<!...`, `<?...` and
//!   `</` followed by a non-letter (bogus comments, as browsers read them) without `>`.
//! - A tag without its closing `>`, or an attribute value whose quote is never closed.
//! - An end tag for an element the fragment did not open (it would close the page's own), and
//!   an end tag while a non-optional element inside it is still open (`<b><i></b></i>`).
//!   Browsers repair the latter in ways that depend on the page, so it is refused, not guessed.
//! - An element left open at the end (`<div><p>hi` refuses the `div`), including `<div/>`: in
//!   HTML the slash only closes void elements (`<br/>`) and elements inside `<svg>`/`<math>`.
//! - An HTML element that makes the browser leave `<svg>`/`<math>` early (`<svg><p>`). Inside
//!   them (outside `<foreignObject>` and the like), `<style>` and `<script>` are not raw text:
//!   a `<` in them starts a tag, as it does in browsers.
//!
//! # What is accepted
//!
//! Text of any kind (`a < b`, `<3`, `{{country}}`), void elements (`<img>`, `<br/>`), and
//! elements whose end tag HTML makes optional (`p`, `li`, `dt`, `dd`, `option`, `optgroup`,
//! `tr`, `td`, `th`, `thead`, `tbody`, `tfoot`, `colgroup`, `caption`, `rp`, `rt`): they may be
//! left open, and the start tags that close them implicitly do so (`<p>a<p>b`,
//! `<ul><li>a<li>b</ul>`). An end tag for such an element that a sibling start tag closed
//! implicitly is accepted (`<p>a<div>b</div></p>`); one outside the element that contained it
//! is stray (`<div><p>a</div></p>`). `</>` (ignored by browsers), end tags of void elements
//! and `<!DOCTYPE ...>` are accepted. Tag names are ASCII case-insensitive.
//!
//! The check reads the fragment once, front to back (linear time), and never panics. It does
//! not know where on the page the fragment goes, so context-dependent effects (a `<div>` put
//! inside the page's `<p>` closes it) are not judged, and neither is `<font>` inside `<svg>`.

use std::collections::HashMap;

use thiserror::Error;

/// Why a fragment would break the page: `tag` is the lowercase tag name, `at` a byte offset.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FragmentError {
    /// A `<script>`, `<style>`, `<textarea>`... without its end tag.
    #[error(
        "<{tag}> at byte {at} is not closed: add </{tag}> (everything after it on the page would be read as {})",
        reads_as(.tag)
    )]
    UnclosedRawText { tag: String, at: usize },
    /// `<plaintext>`, which nothing can close.
    #[error(
        "<plaintext> at byte {at} can never be closed (everything after it on the page would be shown as plain text): remove it"
    )]
    Plaintext { at: usize },
    /// `<!--` without `-->`.
    #[error(
        "the comment <!-- at byte {at} is not closed: add --> (it would hide the rest of the page)"
    )]
    UnclosedComment { at: usize },
    /// `<![CDATA[`, `<!...`, `<?...` or `</` and a non-letter, without what ends it.
    #[error(
        "`{snippet}` at byte {at} is not closed: add `{needs}` (it would hide the rest of the page)"
    )]
    UnclosedMarkup {
        snippet: String,
        needs: &'static str,
        at: usize,
    },
    /// A tag without its closing `>`; `tag` is `/name` for an end tag.
    #[error(
        "the tag <{tag} at byte {at} has no closing `>` (it would swallow the page's markup that follows)"
    )]
    UnclosedTag { tag: String, at: usize },
    /// An attribute value whose quote is never closed; `at` is the opening quote.
    #[error(
        "the value of `{attribute}` in <{tag}> opened with {quote} at byte {at} is not closed: add the closing {quote} (the page's markup that follows would become part of it)"
    )]
    UnclosedAttribute {
        tag: String,
        attribute: String,
        quote: char,
        at: usize,
    },
    /// An end tag for an element the fragment did not open.
    #[error(
        "</{tag}> at byte {at} closes nothing opened in this fragment (it would close the page's own <{tag}>): remove it or add <{tag}> before it"
    )]
    StrayEndTag { tag: String, at: usize },
    /// An end tag while an element opened inside that element is still open.
    #[error(
        "</{tag}> at byte {at} closes <{tag}> while <{open}> inside it is still open: add </{open}> before it"
    )]
    Misnested {
        tag: String,
        open: String,
        at: usize,
    },
    /// An element still open at the end of the fragment.
    #[error(
        "<{tag}> at byte {at} is not closed: add </{tag}> (it would wrap the page's content that follows)"
    )]
    Unclosed { tag: String, at: usize },
    /// `<div/>`: the slash does not close a non-void HTML element.
    #[error(
        "<{tag}/> at byte {at} does not close the <{tag}> (in HTML only void elements like <br/> close themselves): write <{tag}></{tag}>"
    )]
    SelfClosedNonVoid { tag: String, at: usize },
    /// An HTML element inside `<svg>`/`<math>` that makes the browser close them there.
    #[error(
        "<{tag}> at byte {at} cannot be inside <{parent}> (the browser would close the <{parent}> there): move it out"
    )]
    BreaksOutOfForeign {
        tag: String,
        parent: String,
        at: usize,
    },
}

#[cfg(test)]
impl FragmentError {
    /// The byte offset in the fragment where the problem is.
    pub fn at(&self) -> usize {
        match self {
            Self::UnclosedRawText { at, .. }
            | Self::Plaintext { at }
            | Self::UnclosedComment { at }
            | Self::UnclosedMarkup { at, .. }
            | Self::UnclosedTag { at, .. }
            | Self::UnclosedAttribute { at, .. }
            | Self::StrayEndTag { at, .. }
            | Self::Misnested { at, .. }
            | Self::Unclosed { at, .. }
            | Self::SelfClosedNonVoid { at, .. }
            | Self::BreaksOutOfForeign { at, .. } => *at,
        }
    }
}

/// Checks that `html` closes everything it opens and closes nothing it did not open.
pub fn check_fragment(html: &str) -> Result<(), FragmentError> {
    Checker {
        html,
        ..Checker::default()
    }
    .run()
}

#[rustfmt::skip]
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "keygen",
];
/// Elements whose end tag is optional; the position is the bit in [`Open::closed`].
#[rustfmt::skip]
const OPTIONAL: &[&str] = &[
    "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot",
    "colgroup", "caption", "rp", "rt",
];
#[rustfmt::skip]
const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
];
/// Start tags that close an open `<p>`.
#[rustfmt::skip]
const CLOSES_P: &[&str] = &[
    "address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div",
    "dl", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
    "h6", "header", "hgroup", "hr", "li", "listing", "main", "menu", "nav", "ol", "p", "pre",
    "search", "section", "summary", "table", "ul", "dd", "dt", "xmp",
];
/// HTML start tags that make the browser leave `<svg>`/`<math>` content.
#[rustfmt::skip]
const BREAKS_FOREIGN: &[&str] = &[
    "b", "big", "blockquote", "body", "br", "center", "code", "dd", "div", "dl", "dt", "em",
    "embed", "h1", "h2", "h3", "h4", "h5", "h6", "head", "hr", "i", "img", "li", "listing",
    "menu", "meta", "nobr", "ol", "p", "pre", "ruby", "s", "small", "span", "strong", "strike",
    "sub", "sup", "table", "tt", "u", "ul", "var",
];
/// Foreign elements whose children are HTML again.
#[rustfmt::skip]
const INTEGRATION_POINTS: &[&str] = &[
    "foreignobject", "desc", "title", "mi", "mo", "mn", "ms", "mtext", "annotation-xml",
];

/// Where `name` is in `list`.
fn position(list: &[&str], name: &str) -> Option<usize> {
    list.iter().position(|&n| n == name)
}

/// Whether `name` is in `list`.
fn listed(list: &[&str], name: &str) -> bool {
    list.contains(&name)
}

/// What the rest of the page turns into after an unclosed raw-text element.
fn reads_as(tag: &str) -> &'static str {
    match tag {
        "script" => "script",
        "style" => "CSS",
        "textarea" => "the text box's text",
        "title" => "the page title",
        "xmp" => "preformatted text",
        _ => "hidden text",
    }
}

/// Whether a start tag `new` implicitly closes the open optional-end element `open`.
fn closes(new: &str, open: &str) -> bool {
    let table = ["tbody", "thead", "tfoot"];
    match open {
        "p" => listed(CLOSES_P, new),
        "li" => new == "li",
        "dt" | "dd" => matches!(new, "dt" | "dd"),
        "option" => matches!(new, "option" | "optgroup" | "hr"),
        "optgroup" => matches!(new, "optgroup" | "hr"),
        "rp" | "rt" => matches!(new, "rp" | "rt" | "rb" | "rtc"),
        "td" | "th" => matches!(new, "td" | "th" | "tr") || table.contains(&new),
        "tr" => new == "tr" || table.contains(&new),
        "thead" | "tbody" | "tfoot" => table.contains(&new),
        "caption" | "colgroup" => {
            matches!(new, "caption" | "colgroup" | "tr" | "td" | "th")
                || table.contains(&new)
                || (open == "caption" && new == "col")
        }
        _ => false,
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let hay = b.get(from..)?;
    hay.windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Whether `b[j..]` starts with `<name` (`</name` if `end`) then whitespace, `/` or `>`.
fn tag_at(b: &[u8], j: usize, name: &str, end: bool) -> bool {
    let open: &[u8] = if end { b"</" } else { b"<" };
    let n = j + open.len();
    b.get(j..n) == Some(open)
        && b.get(n..n + name.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(name.as_bytes()))
        && b.get(n + name.len())
            .is_some_and(|&c| is_space(c) || c == b'/' || c == b'>')
}

/// Where the `</script` that ends a script starting at `from` is, following the escape states.
fn script_end(b: &[u8], from: usize) -> Option<usize> {
    #[derive(PartialEq)]
    enum State {
        Data,
        Escaped,
        DoubleEscaped,
    }
    let mut state = State::Data;
    let mut j = from;
    while let Some(&c) = b.get(j) {
        if c == b'<' {
            if tag_at(b, j, "script", true) {
                if state != State::DoubleEscaped {
                    return Some(j);
                }
                state = State::Escaped;
            } else if state == State::Data && b[j..].starts_with(b"<!--") {
                state = State::Escaped;
                j += 2; // on the `--`, so that `<!-->` ends the escape at once
                continue;
            } else if state == State::Escaped && tag_at(b, j, "script", false) {
                state = State::DoubleEscaped;
            }
        } else if c == b'-' && state != State::Data && b[j..].starts_with(b"-->") {
            state = State::Data;
            j += 3;
            continue;
        }
        j += 1;
    }
    None
}

/// An element the fragment opened and has not closed yet.
struct Open {
    name: String,
    at: usize,
    /// Its bit in [`OPTIONAL`] if it is an HTML element whose end tag is optional.
    optional: Option<usize>,
    foreign: bool,
    self_closed: bool,
    /// Bits of the optional-end children that a start tag closed implicitly.
    closed: u32,
}

#[derive(Default)]
struct Checker<'a> {
    html: &'a str,
    stack: Vec<Open>,
    open_counts: HashMap<String, usize>,
    /// Like [`Open::closed`], for the fragment's top level.
    root_closed: u32,
}

impl Checker<'_> {
    fn run(mut self) -> Result<(), FragmentError> {
        let b = self.html.as_bytes();
        let mut i = 0;
        while let Some(at) = find(b, i, b"<") {
            i = match (b.get(at + 1), b.get(at + 2)) {
                (Some(c), _) if c.is_ascii_alphabetic() => self.start_tag(at)?,
                (Some(b'/'), Some(c)) if c.is_ascii_alphabetic() => self.end_tag(at)?,
                (Some(b'/'), Some(b'>')) => at + 3,
                (Some(b'/'), Some(_)) | (Some(b'?'), _) => self.bogus_comment(at, at + 2)?,
                (Some(b'!'), _) => self.declaration(at)?,
                _ => at + 1,
            };
        }
        match self.stack.iter().rev().find(|o| o.optional.is_none()) {
            Some(o) if o.self_closed => Err(FragmentError::SelfClosedNonVoid {
                tag: o.name.clone(),
                at: o.at,
            }),
            Some(o) => Err(FragmentError::Unclosed {
                tag: o.name.clone(),
                at: o.at,
            }),
            None => Ok(()),
        }
    }

    fn snippet(&self, at: usize) -> String {
        self.html
            .get(at..)
            .unwrap_or_default()
            .chars()
            .take(12)
            .collect()
    }

    /// `<!--`, `<![CDATA[` or another `<!`: returns where the text after it starts.
    fn declaration(&self, at: usize) -> Result<usize, FragmentError> {
        let b = self.html.as_bytes();
        let rest = &b[at + 2..];
        if rest.starts_with(b"--") {
            // `<!-->` and `<!--->` are complete (empty) comments.
            match (b.get(at + 4), b.get(at + 5)) {
                (Some(b'>'), _) => return Ok(at + 5),
                (Some(b'-'), Some(b'>')) => return Ok(at + 6),
                _ => {}
            }
            let mut from = at + 4;
            while let Some(p) = find(b, from, b">") {
                if b[at + 4..p].ends_with(b"--") || b[at + 4..p].ends_with(b"--!") {
                    return Ok(p + 1);
                }
                from = p + 1;
            }
            return Err(FragmentError::UnclosedComment { at });
        }
        if rest.starts_with(b"[CDATA[") {
            return find(b, at + 9, b"]]>").map(|p| p + 3).ok_or_else(|| {
                FragmentError::UnclosedMarkup {
                    snippet: self.snippet(at),
                    needs: "]]>",
                    at,
                }
            });
        }
        self.bogus_comment(at, at + 2)
    }

    /// Markup that browsers read as a comment up to the next `>`.
    fn bogus_comment(&self, at: usize, from: usize) -> Result<usize, FragmentError> {
        find(self.html.as_bytes(), from, b">")
            .map(|p| p + 1)
            .ok_or_else(|| FragmentError::UnclosedMarkup {
                snippet: self.snippet(at),
                needs: ">",
                at,
            })
    }

    /// The tag name starting at `from`, lowercased, and where it ends.
    fn tag_name(&self, from: usize) -> (String, usize) {
        let b = self.html.as_bytes();
        let mut end = from;
        while b
            .get(end)
            .is_some_and(|&c| !is_space(c) && c != b'/' && c != b'>')
        {
            end += 1;
        }
        let name = self.html.get(from..end).unwrap_or_default();
        (name.to_ascii_lowercase(), end)
    }

    /// Reads a tag's attributes from `j` to its `>`: where the tag ends and whether it ends `/>`.
    fn attributes(
        &self,
        mut j: usize,
        tag: &str,
        at: usize,
    ) -> Result<(usize, bool), FragmentError> {
        let b = self.html.as_bytes();
        let unclosed = || FragmentError::UnclosedTag {
            tag: tag.to_owned(),
            at,
        };
        let skip_spaces = |mut j: usize| {
            while b.get(j).copied().is_some_and(is_space) {
                j += 1;
            }
            j
        };
        loop {
            j = skip_spaces(j);
            match b.get(j) {
                None => return Err(unclosed()),
                Some(b'>') => return Ok((j + 1, false)),
                Some(b'/') if b.get(j + 1) == Some(&b'>') => return Ok((j + 2, true)),
                Some(b'/') => {
                    j += 1;
                    continue;
                }
                Some(_) => {}
            }
            let name_start = j;
            j += 1; // a name may start with `=`
            while b
                .get(j)
                .is_some_and(|&c| !is_space(c) && !b"/>=".contains(&c))
            {
                j += 1;
            }
            let name_end = j;
            j = skip_spaces(j);
            if b.get(j) != Some(&b'=') {
                continue;
            }
            j = skip_spaces(j + 1);
            match b.get(j) {
                None => return Err(unclosed()),
                Some(&q) if q == b'"' || q == b'\'' => match find(b, j + 1, &[q]) {
                    Some(p) => j = p + 1,
                    None => {
                        return Err(FragmentError::UnclosedAttribute {
                            tag: tag.to_owned(),
                            attribute: self
                                .html
                                .get(name_start..name_end)
                                .unwrap_or_default()
                                .to_owned(),
                            quote: char::from(q),
                            at: j,
                        });
                    }
                },
                Some(_) => {
                    while b.get(j).is_some_and(|&c| !is_space(c) && c != b'>') {
                        j += 1;
                    }
                }
            }
        }
    }

    fn start_tag(&mut self, at: usize) -> Result<usize, FragmentError> {
        let (name, name_end) = self.tag_name(at + 1);
        let (end, self_closing) = self.attributes(name_end, &name, at)?;
        let in_foreign = self
            .stack
            .last()
            .is_some_and(|p| p.foreign && !listed(INTEGRATION_POINTS, &p.name));
        if in_foreign && listed(BREAKS_FOREIGN, &name) {
            let parent = self
                .stack
                .iter()
                .rev()
                .find(|o| o.name == "svg" || o.name == "math");
            return Err(FragmentError::BreaksOutOfForeign {
                tag: name,
                parent: parent.map_or("svg", |o| o.name.as_str()).to_owned(),
                at,
            });
        }
        let foreign = in_foreign || name == "svg" || name == "math";
        if foreign {
            if !self_closing {
                self.push(name, at, foreign, false);
            }
            return Ok(end);
        }
        if name == "plaintext" {
            return Err(FragmentError::Plaintext { at });
        }
        while let Some(top) = self.stack.last() {
            if top.optional.is_none() || !closes(&name, &top.name) {
                break;
            }
            self.pop(true);
        }
        if listed(VOID, &name) {
            return Ok(end);
        }
        if listed(RAW_TEXT, &name) {
            let b = self.html.as_bytes();
            let close = if name == "script" {
                script_end(b, end)
            } else {
                (end..b.len()).find(|&j| tag_at(b, j, &name, true))
            };
            let Some(close) = close else {
                return Err(FragmentError::UnclosedRawText { tag: name, at });
            };
            let tag = format!("/{name}");
            return Ok(self.attributes(close + tag.len() + 1, &tag, close)?.0);
        }
        self.push(name, at, false, self_closing);
        Ok(end)
    }

    fn end_tag(&mut self, at: usize) -> Result<usize, FragmentError> {
        let (name, name_end) = self.tag_name(at + 2);
        let (end, _) = self.attributes(name_end, &format!("/{name}"), at)?;
        if listed(VOID, &name) {
            return Ok(end);
        }
        if self.open_counts.get(&name).is_some_and(|&n| n > 0) {
            let k = self
                .stack
                .iter()
                .rposition(|o| o.name == name)
                .unwrap_or_default();
            if let Some(inner) = self.stack[k + 1..]
                .iter()
                .rev()
                .find(|o| o.optional.is_none())
            {
                return Err(FragmentError::Misnested {
                    tag: name,
                    open: inner.name.clone(),
                    at,
                });
            }
            while self.stack.len() > k + 1 {
                self.pop(true);
            }
            self.pop(false);
            return Ok(end);
        }
        let closed = self.stack.last().map_or(self.root_closed, |o| o.closed);
        match position(OPTIONAL, &name) {
            Some(bit) if closed & (1 << bit) != 0 => Ok(end),
            _ => Err(FragmentError::StrayEndTag { tag: name, at }),
        }
    }

    fn push(&mut self, name: String, at: usize, foreign: bool, self_closed: bool) {
        *self.open_counts.entry(name.clone()).or_default() += 1;
        self.stack.push(Open {
            optional: position(OPTIONAL, &name).filter(|_| !foreign),
            name,
            at,
            foreign,
            self_closed,
            closed: 0,
        });
    }

    /// Pops the current element; `implied` records that its end tag may still come.
    fn pop(&mut self, implied: bool) {
        let Some(open) = self.stack.pop() else { return };
        if let Some(n) = self.open_counts.get_mut(&open.name) {
            *n = n.saturating_sub(1);
        }
        if let (true, Some(bit)) = (implied, open.optional) {
            let closed = self
                .stack
                .last_mut()
                .map_or(&mut self.root_closed, |o| &mut o.closed);
            *closed |= 1 << bit;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &[&str] = &[
        "",
        "plain text",
        "<b>x</b>",
        "<p>a<p>b",
        "<p>a</p><p>b</p>",
        "<ul><li>a<li>b</ul>",
        "<ul><li>a</li><li>b</li></ul>",
        "<li>a",
        "<img src=x>",
        "<br/>",
        "<br>",
        "</br>",
        "<input disabled><meta charset=utf-8><link rel=stylesheet href=/a.css>",
        "<script>if (a < b) {}</script>",
        "<script>document.write('<\\/script>')</script>",
        "<script><!-- if (a) {} --></script>",
        "<script><!--<script></script>--></script>",
        "<script>x</script\t>",
        "<script type=\"a>b\">x</script>",
        "<style>a>b{}</style>",
        "<textarea><b></textarea>",
        "<title>a < b</title>",
        "<noscript><img src=x></noscript>",
        "<!-- c -->",
        "<!---->",
        "<!-->",
        "<!--->",
        "<!-- a --!>",
        "<!-- a -- b -->",
        "<svg><path d=\"M0\"/></svg>",
        "<svg viewBox='0 0 1 1'><g><circle r=1 /></g></svg>",
        "<svg><foreignObject><div>x</div></foreignObject></svg>",
        "<svg><style>a>b{}</style></svg>",
        "<math><mi>x</mi></math>",
        "a < b",
        "<3",
        "a </> b",
        "<a title=\"x>y\">t</a>",
        "<a title='x\"y'>t</a>",
        "<a href=x/>t</a>",
        "<div class='a' data-x=1 hidden>x</div>",
        "<DIV>x</div>",
        "<SCRIPT>..</script >",
        "{{query.q}}",
        "Hello {{country}}, <b>{{user.name}}</b>!",
        "<p>a<div>b</div></p>",
        "<p>a<ul><li>b</li></ul></p>",
        "<table><tr><td>a<td>b<tr><th>c</table>",
        "<table><thead><tr><th>a<tbody><tr><td>b</table>",
        "<dl><dt>a<dd>b<dt>c</dl>",
        "<select><optgroup label=x><option>a<option>b</select>",
        "<ruby>a<rp>(<rt>b<rp>)</ruby>",
        "<!DOCTYPE html>",
        "<![CDATA[x]]>",
        "<?xml version=\"1.0\"?>",
        "</ 3>",
        "caf\u{e9} <b>\u{2603}</b> \u{1F600}",
        "<div data-\u{e9}=\u{e9}>\u{e9}</div>",
    ];

    #[test]
    fn good_fragments_pass() {
        for html in GOOD {
            assert_eq!(check_fragment(html), Ok(()), "{html}");
        }
    }

    #[test]
    fn bad_fragments_say_what_to_fix() {
        let bad: &[(&str, &str)] = &[
            (
                "<script>var a = 1;",
                "<script> at byte 0 is not closed: add </script> (everything after it on the page would be read as script)",
            ),
            (
                "<b>x</b><STYLE>a{}",
                "<style> at byte 8 is not closed: add </style> (everything after it on the page would be read as CSS)",
            ),
            (
                "<textarea>x",
                "<textarea> at byte 0 is not closed: add </textarea> (everything after it on the page would be read as the text box's text)",
            ),
            (
                "<iframe src=x>",
                "<iframe> at byte 0 is not closed: add </iframe> (everything after it on the page would be read as hidden text)",
            ),
            (
                "<script>a</scriptx>",
                "<script> at byte 0 is not closed: add </script> (everything after it on the page would be read as script)",
            ),
            (
                "<script><!--<script></script>",
                "<script> at byte 0 is not closed: add </script> (everything after it on the page would be read as script)",
            ),
            (
                "<plaintext>x",
                "<plaintext> at byte 0 can never be closed (everything after it on the page would be shown as plain text): remove it",
            ),
            (
                "a <!-- b -- >",
                "the comment <!-- at byte 2 is not closed: add --> (it would hide the rest of the page)",
            ),
            (
                "<![CDATA[ x",
                "`<![CDATA[ x` at byte 0 is not closed: add `]]>` (it would hide the rest of the page)",
            ),
            (
                "<!DOCTYPE html",
                "`<!DOCTYPE ht` at byte 0 is not closed: add `>` (it would hide the rest of the page)",
            ),
            (
                "<?php echo 1",
                "`<?php echo 1` at byte 0 is not closed: add `>` (it would hide the rest of the page)",
            ),
            (
                "a </ 3",
                "`</ 3` at byte 2 is not closed: add `>` (it would hide the rest of the page)",
            ),
            (
                "<div class=\"a\"",
                "the tag <div at byte 0 has no closing `>` (it would swallow the page's markup that follows)",
            ),
            (
                "<b>x</b",
                "the tag </b at byte 4 has no closing `>` (it would swallow the page's markup that follows)",
            ),
            (
                "<script>x</script foo",
                "the tag </script at byte 9 has no closing `>` (it would swallow the page's markup that follows)",
            ),
            (
                "<a title=\"x>y",
                "the value of `title` in <a> opened with \" at byte 9 is not closed: add the closing \" (the page's markup that follows would become part of it)",
            ),
            (
                "</div>",
                "</div> at byte 0 closes nothing opened in this fragment (it would close the page's own <div>): remove it or add <div> before it",
            ),
            (
                "x</SPAN>",
                "</span> at byte 1 closes nothing opened in this fragment (it would close the page's own <span>): remove it or add <span> before it",
            ),
            (
                "</li>",
                "</li> at byte 0 closes nothing opened in this fragment (it would close the page's own <li>): remove it or add <li> before it",
            ),
            (
                "<div><p>a</div></p>",
                "</p> at byte 15 closes nothing opened in this fragment (it would close the page's own <p>): remove it or add <p> before it",
            ),
            (
                "<b><i></b></i>",
                "</b> at byte 6 closes <b> while <i> inside it is still open: add </i> before it",
            ),
            (
                "<div><p>hi",
                "<div> at byte 0 is not closed: add </div> (it would wrap the page's content that follows)",
            ),
            (
                "<section><a href=/x>x</a><span>y</section>",
                "</section> at byte 32 closes <section> while <span> inside it is still open: add </span> before it",
            ),
            (
                "<ul><li>a",
                "<ul> at byte 0 is not closed: add </ul> (it would wrap the page's content that follows)",
            ),
            (
                "<div/>",
                "<div/> at byte 0 does not close the <div> (in HTML only void elements like <br/> close themselves): write <div></div>",
            ),
            (
                "<svg><path>",
                "<path> at byte 5 is not closed: add </path> (it would wrap the page's content that follows)",
            ),
            (
                "<svg><style>a<b{}</style></svg>",
                "</svg> at byte 25 closes <svg> while <b{}<> inside it is still open: add </b{}<> before it",
            ),
            (
                "<svg><g><p>x</p></g></svg>",
                "<p> at byte 8 cannot be inside <svg> (the browser would close the <svg> there): move it out",
            ),
        ];
        for (html, message) in bad {
            let err = check_fragment(html).expect_err(html);
            assert_eq!(err.to_string(), *message, "{html}");
        }
    }

    #[test]
    fn errors_carry_their_offset() {
        let err = check_fragment("ok <span>x").expect_err("unclosed");
        assert_eq!(err.at(), 3);
        assert_eq!(
            err,
            FragmentError::Unclosed {
                tag: "span".into(),
                at: 3
            }
        );
    }

    /// Every prefix (at a character boundary) of `html`, checked: none may panic.
    fn check_prefixes(html: &str) {
        for (i, _) in html.char_indices().chain([(html.len(), ' ')]) {
            let _ = check_fragment(&html[..i]);
        }
    }

    #[test]
    fn no_prefix_panics() {
        for html in GOOD {
            check_prefixes(html);
        }
        check_prefixes("<script><!--<script>x</script>--></SCRIPT ><svg><path/></svg>");
        check_prefixes("<a b='1' c=\"2\" d=3 e / f=>x</a><!-- --!><![CDATA[]]><?x?></ x>");
    }

    #[test]
    fn pseudo_random_input_never_panics() {
        const PIECES: &[&str] = &[
            "<",
            ">",
            "/",
            "!",
            "-",
            "--",
            "=",
            "\"",
            "'",
            " ",
            "\n",
            "a",
            "p",
            "li",
            "div",
            "b",
            "script",
            "style",
            "svg",
            "math",
            "path",
            "td",
            "tr",
            "table",
            "!--",
            "-->",
            "[CDATA[",
            "]]>",
            "?",
            "{{x}}",
            "\u{e9}",
            "\u{1F600}",
            "<script>",
            "</script",
            "<p>",
            "</p>",
            "title",
            "foreignObject",
            "plaintext",
            "br",
            "img",
            "/>",
        ];
        let mut seed: u64 = 0x5eed;
        let mut next = || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize
        };
        for _ in 0..3000 {
            let len = next() % 40;
            let html: String = (0..len).map(|_| PIECES[next() % PIECES.len()]).collect();
            let _ = check_fragment(&html);
            let bytes: Vec<u8> = (0..len * 2).map(|_| (next() % 256) as u8).collect();
            let _ = check_fragment(&String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn large_inputs_are_read_in_one_pass() {
        let n = 100_000;
        let nested = format!("{}x{}", "<div>".repeat(n), "</div>".repeat(n));
        assert_eq!(check_fragment(&nested), Ok(()));
        let paragraphs = format!("{}{}", "<div>".repeat(n), "<p>a<div></div></p>".repeat(n));
        assert!(check_fragment(&paragraphs).is_err());
        let items = format!("<ul>{}</ul>", "<li><dd><p>x".repeat(n));
        assert_eq!(check_fragment(&items), Ok(()));
        let script = format!("<script>{}</script>", "<!--<script>-->a<b</scrip".repeat(n));
        assert_eq!(check_fragment(&script), Ok(()));
        assert!(check_fragment(&"<!--->".repeat(n)).is_ok());
        assert!(check_fragment(&format!("<!-- {}", "-- >".repeat(n))).is_err());
        assert!(check_fragment(&format!("<a{}", " b=c".repeat(n))).is_err());
    }

    /// Whole pages are not fragments, but the demo storefront's pages are well formed and must
    /// pass; the real-world corpus must only never panic the check (it prints what it says:
    /// `cargo test fragment -- --nocapture`).
    #[test]
    fn real_pages_never_panic() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let dirs = [
            root.join("fixtures/corpus"),
            root.join("fixtures/storefront"),
        ];
        let mut checked = 0;
        for dir in dirs {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            for path in paths
                .iter()
                .filter(|p| p.extension().is_some_and(|e| e == "html"))
            {
                let html = std::fs::read_to_string(path).unwrap_or_default();
                let verdict = check_fragment(&html).map_err(|e| e.to_string());
                eprintln!("{}: {verdict:?}", path.display());
                if path.starts_with(root.join("fixtures/storefront")) {
                    assert_eq!(verdict, Ok(()), "{}", path.display());
                }
                check_prefixes(html.get(..2000).unwrap_or(&html));
                checked += 1;
            }
        }
        assert!(checked > 0, "no page found");
    }
}
