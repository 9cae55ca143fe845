//! Listings on the page: product changes as the tiles stream, and reordering by holding back
//! only the listing's container.
//!
//! Badges, prices and hides of a listing whose key is a tile attribute are made as the tiles
//! pass. Reordering (pins, promo tiles, boosts) diverts the output between the container's
//! start tag and its end tag into segments, one per tile (content between tiles is a fixed
//! segment that keeps its place), and writes them in the new order from the container's end
//! tag handler: lol_html hands the sink every byte before a token before running that token's
//! handlers, so the segments are exact bytes, never re-serialized. Every other exit (the cap,
//! a container that never closes, lol_html giving up) writes the held bytes in their original
//! order and says why in a warning; a container that starts inside the held one is left as it
//! is, inside it.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

use lol_html::html_content::{ContentType, Element};
use lol_html::{AsciiCompatibleEncoding, ElementContentHandlers, Selector, Settings};
use veneer_rewriter::Rewriter;

use super::edit::apply;
use crate::document::{ProductKey, TileMatch};
use crate::engine::{ListingPlan, SlotItem, TileEdit};

/// What a held segment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// One product tile.
    Tile,
    /// Content between tiles: it keeps its place.
    Fixed,
}

#[derive(Debug)]
struct Segment {
    kind: Kind,
    key: Option<String>,
    /// Boost and bury score from the tile's attributes (known at its start tag).
    attribute_score: i32,
    /// Removed by a hide as it streamed.
    hidden: bool,
    bytes: Vec<u8>,
    /// Whether the tile's end tag passed: [`TILE_END`] follows it in `bytes`, and what comes
    /// after the marker is content between tiles.
    ended: bool,
}

/// Written right after a held tile's end tag (and always taken out again): what follows it is
/// content between tiles. lol_html writes inserted content after everything the element's
/// other handlers appended, so the marker is where the tile really ends.
const TILE_END_TEXT: &str = "<!--veneer:tile-end-->";
const TILE_END: &[u8] = TILE_END_TEXT.as_bytes();

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

/// The bytes of one listing being held back; shared by the output sink and the handlers.
#[derive(Debug, Default)]
pub(super) struct Held {
    /// Which listing plan is holding (its index), if any.
    active: Option<usize>,
    prefix: Vec<u8>,
    segments: Vec<Segment>,
    bytes: usize,
    cap: usize,
    warnings: Vec<String>,
    /// Bytes of a marker still to drop after a release.
    skip: usize,
}

impl Held {
    /// Takes `chunk` if a listing is being held; else appends it to `out`.
    pub(super) fn write(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        if self.active.is_none() {
            // The rest of a marker begun before a release is not the page's.
            let skip = self.skip.min(chunk.len());
            self.skip -= skip;
            out.extend_from_slice(&chunk[skip..]);
            return;
        }
        self.bytes += chunk.len();
        match self.segments.last_mut() {
            Some(s) => s.bytes.extend_from_slice(chunk),
            None => self.prefix.extend_from_slice(chunk),
        }
        if self.bytes > self.cap {
            let cap = self.cap;
            self.release(
                out,
                &format!("the listing is larger than its max_bytes ({cap} bytes)"),
            );
        }
    }

    fn start(&mut self, listing: usize, cap: usize) {
        self.active = Some(listing);
        self.cap = cap;
        self.bytes = 0;
    }

    fn push(&mut self, kind: Kind, key: Option<String>, attribute_score: i32) {
        self.split_after_tile();
        self.segments.push(Segment {
            kind,
            key,
            attribute_score,
            hidden: false,
            bytes: Vec::new(),
            ended: false,
        });
    }

    /// Moves what followed the last tile's end tag into a fixed segment of its own, taking
    /// the marker out.
    fn split_after_tile(&mut self) {
        let Some(last) = self.segments.last_mut().filter(|s| s.ended) else {
            return;
        };
        last.ended = false;
        let Some(at) = find(&last.bytes, TILE_END) else {
            return;
        };
        let tail = last.bytes.split_off(at + TILE_END.len());
        last.bytes.truncate(at);
        self.bytes = self.bytes.saturating_sub(TILE_END.len());
        if !tail.is_empty() {
            self.segments.push(Segment {
                kind: Kind::Fixed,
                key: None,
                attribute_score: 0,
                hidden: false,
                bytes: tail,
                ended: false,
            });
        }
    }

    /// Whether anything is held.
    pub(super) fn is_holding(&self) -> bool {
        self.active.is_some()
    }

    /// Writes everything held in its original order and stops holding, saying why.
    pub(super) fn release(&mut self, out: &mut Vec<u8>, why: &str) {
        if self.active.is_none() {
            return;
        }
        // Only the last tile can still hold its marker, whole or (mid-write) begun.
        let ended = self.segments.last().is_some_and(|s| s.ended);
        self.split_after_tile();
        if ended
            && let Some(last) = self.segments.last_mut()
            && let Some(k) = (1..TILE_END.len())
                .rev()
                .find(|&k| last.bytes.ends_with(&TILE_END[..k]))
        {
            last.bytes.truncate(last.bytes.len() - k);
            self.skip = TILE_END.len() - k;
        }
        self.active = None;
        out.append(&mut self.prefix);
        for s in self.segments.drain(..) {
            out.extend_from_slice(&s.bytes);
        }
        self.warnings
            .push(format!("listing kept in its original order: {why}"));
    }

    /// The warnings so far, taken.
    pub(super) fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }
}

/// The current tile of one listing, as the page streams.
#[derive(Debug, Default)]
struct Cursor {
    open: bool,
    generation: u64,
    tag: String,
    key: Option<String>,
    /// Lists and tables opened inside the tile and not yet closed: an `<li>` in them is not a
    /// sibling tile.
    nested_lists: u32,
}

/// Elements whose end tag may be left out: two tiles of one of these are siblings.
const OPTIONAL_END: &[&str] = &["li", "p", "tr", "td", "th", "dd", "dt", "option"];

struct Setup {
    plan: Rc<ListingPlan>,
    index: usize,
    held: Rc<RefCell<Held>>,
    out: Rc<RefCell<Vec<u8>>>,
    cursor: Rc<RefCell<Cursor>>,
    encoding: AsciiCompatibleEncoding,
}

/// Adds the handlers of every listing plan to `settings`; `held` and `out` are the sink's.
pub(super) fn add_handlers<'h>(
    mut settings: Settings<'h, 'static>,
    plans: &[ListingPlan],
    held: &Rc<RefCell<Held>>,
    out: &Rc<RefCell<Vec<u8>>>,
    encoding: AsciiCompatibleEncoding,
) -> Settings<'h, 'static> {
    for (index, plan) in plans.iter().enumerate() {
        let setup = Setup {
            plan: Rc::new(plan.clone()),
            index,
            held: Rc::clone(held),
            out: Rc::clone(out),
            cursor: Rc::default(),
            encoding,
        };
        settings = setup.add(settings);
    }
    settings
}

/// Starts holding a fragment's listing from the first byte (the response is the container).
pub(super) fn start_fragments(plans: &[ListingPlan], held: &Rc<RefCell<Held>>) {
    if let Some((i, p)) = plans
        .iter()
        .enumerate()
        .find(|(_, p)| p.fragment && p.needs_hold())
    {
        held.borrow_mut().start(i, p.listing.max_bytes);
    }
}

/// At the end of the document: a fragment's listing is written in its new order, a
/// container that never closed in its original order.
pub(super) fn finish_document(
    plans: &[ListingPlan],
    held: &Rc<RefCell<Held>>,
    out: &Rc<RefCell<Vec<u8>>>,
    encoding: AsciiCompatibleEncoding,
) {
    let mut h = held.borrow_mut();
    let mut out = out.borrow_mut();
    match h.active.and_then(|i| plans.get(i)) {
        Some(plan) if plan.fragment => write_reordered(&mut h, plan, &mut out, encoding),
        Some(_) => h.release(&mut out, "the listing's container never closed"),
        None => {}
    }
}

impl Setup {
    fn add<'h>(self, mut settings: Settings<'h, 'static>) -> Settings<'h, 'static> {
        let plan = &self.plan;
        let hold = plan.needs_hold();
        let fragment = plan.fragment;
        let tile_selector = if fragment {
            &plan.listing.fragment_tile
        } else {
            &plan.listing.tile
        };
        if hold && !fragment {
            settings = self.element(settings, &plan.listing.container, Self::on_container);
        }
        settings = self.element(settings, tile_selector, Self::on_tile);
        for list in ["ul", "ol", "table"] {
            let text = if fragment {
                list.to_owned()
            } else {
                format!("{} {list}", plan.listing.container_text)
            };
            if let Some(s) = selector(&text) {
                settings = self.element(settings, &s, Self::on_list);
            }
        }
        if let ProductKey::Descendant { select, .. } = &plan.listing.key {
            let s = if fragment {
                &select.fragment
            } else {
                &select.page
            };
            settings = self.element(settings, s, Self::on_key);
        }
        // Edits on elements inside tiles, as they stream (keys known at the tile's start).
        if matches!(plan.listing.key, ProductKey::Attribute(_)) {
            let mut seen = HashSet::new();
            for target in plan.edits.iter().filter_map(|e| e.target.as_ref()) {
                if seen.insert(target.text.clone()) {
                    let text = target.text.clone();
                    let s = if fragment {
                        &target.fragment
                    } else {
                        &target.page
                    };
                    settings = self.element(settings, s, move |setup, el| {
                        let key = setup.cursor.borrow().key.clone();
                        if setup.cursor.borrow().open
                            && let Some(key) = key
                        {
                            for e in setup.plan.edits.iter().filter(|e| {
                                e.key == key && e.target.as_ref().is_some_and(|t| t.text == text)
                            }) {
                                apply(&e.edit, el);
                            }
                        }
                    });
                }
            }
        }
        settings
    }

    fn share(&self) -> Rc<Setup> {
        Rc::new(Setup {
            plan: Rc::clone(&self.plan),
            index: self.index,
            held: Rc::clone(&self.held),
            out: Rc::clone(&self.out),
            cursor: Rc::clone(&self.cursor),
            encoding: self.encoding,
        })
    }

    fn element<'h>(
        &self,
        settings: Settings<'h, 'static>,
        selector: &Selector,
        run: impl Fn(&Rc<Setup>, &mut Element) + 'static,
    ) -> Settings<'h, 'static> {
        let setup = self.share();
        settings.append_element_content_handler((
            Cow::Owned(selector.clone()),
            ElementContentHandlers::default().element(move |el: &mut Element| {
                run(&setup, el);
                Ok(())
            }),
        ))
    }

    fn holding(&self) -> bool {
        self.held.borrow().active == Some(self.index)
    }

    fn on_container(self: &Rc<Self>, el: &mut Element) {
        if self.held.borrow().is_holding() {
            // Nested in the held container (or in another listing's): left where it is.
            return;
        }
        let Some(handlers) = el.end_tag_handlers() else {
            return;
        };
        self.held
            .borrow_mut()
            .start(self.index, self.plan.listing.max_bytes);
        *self.cursor.borrow_mut() = Cursor::default();
        let setup = Rc::clone(self);
        handlers.push(Box::new(move |_end| {
            let mut held = setup.held.borrow_mut();
            if held.active == Some(setup.index) {
                let mut out = setup.out.borrow_mut();
                write_reordered(&mut held, &setup.plan, &mut out, setup.encoding);
            }
            setup.cursor.borrow_mut().open = false;
            Ok(())
        }));
    }

    fn on_tile(self: &Rc<Self>, el: &mut Element) {
        let tag = el.tag_name();
        {
            let cursor = self.cursor.borrow();
            let sibling = cursor.tag == tag
                && OPTIONAL_END.contains(&tag.as_str())
                && cursor.nested_lists == 0;
            if cursor.open && !sibling {
                return; // a tile inside a tile (a swatch with the same class) stays inside it
            }
        }
        let key = match &self.plan.listing.key {
            ProductKey::Attribute(a) => el.get_attribute(a).filter(|k| !k.is_empty()),
            ProductKey::Descendant { .. } => None,
        };
        let generation = {
            let mut cursor = self.cursor.borrow_mut();
            cursor.generation += 1;
            cursor.open = true;
            cursor.tag = tag;
            cursor.key = key.clone();
            cursor.nested_lists = 0;
            cursor.generation
        };
        let score = attribute_score(&self.plan, el);
        if self.holding() {
            self.held.borrow_mut().push(Kind::Tile, key.clone(), score);
        }
        let tag_name = self.cursor.borrow().tag.clone();
        match el.end_tag_handlers() {
            Some(handlers) => {
                let setup = Rc::clone(self);
                handlers.push(Box::new(move |end| {
                    let mut cursor = setup.cursor.borrow_mut();
                    if cursor.generation == generation {
                        cursor.open = false;
                        // What follows this end tag is content between tiles (unless the tile
                        // is closed by its parent's end tag, which is the container's business).
                        if setup.holding()
                            && end.name().eq_ignore_ascii_case(&tag_name)
                            && let Some(s) = setup.held.borrow_mut().segments.last_mut()
                            && s.kind == Kind::Tile
                        {
                            s.ended = true;
                            end.after(TILE_END_TEXT, ContentType::Html);
                        }
                    }
                    Ok(())
                }));
            }
            None => self.cursor.borrow_mut().open = false,
        }
        let Some(key) = key else {
            return;
        };
        if self.plan.hidden.contains(&key) {
            el.remove();
            if self.holding()
                && let Some(s) = self.held.borrow_mut().segments.last_mut()
            {
                s.hidden = true;
            }
            return;
        }
        for e in self
            .plan
            .edits
            .iter()
            .filter(|e| e.target.is_none() && e.key == key)
        {
            apply(&e.edit, el);
        }
    }

    fn on_list(self: &Rc<Self>, el: &mut Element) {
        let generation = {
            let mut cursor = self.cursor.borrow_mut();
            if !cursor.open {
                return;
            }
            cursor.nested_lists += 1;
            cursor.generation
        };
        if let Some(handlers) = el.end_tag_handlers() {
            let setup = Rc::clone(self);
            handlers.push(Box::new(move |_end| {
                let mut cursor = setup.cursor.borrow_mut();
                if cursor.generation == generation {
                    cursor.nested_lists = cursor.nested_lists.saturating_sub(1);
                }
                Ok(())
            }));
        }
    }

    fn on_key(self: &Rc<Self>, el: &mut Element) {
        let ProductKey::Descendant { attribute, .. } = &self.plan.listing.key else {
            return;
        };
        let mut cursor = self.cursor.borrow_mut();
        if !cursor.open || cursor.key.is_some() {
            return;
        }
        let Some(key) = el
            .get_attribute(attribute)
            .and_then(|v| self.plan.listing.key.extract(&v))
        else {
            return;
        };
        cursor.key = Some(key.clone());
        if self.holding()
            && let Some(s) = self.held.borrow_mut().segments.last_mut()
            && s.kind == Kind::Tile
        {
            s.key = Some(key);
        }
    }
}

/// A selector Veneer builds itself; one that does not parse adds no handler.
fn selector(text: &str) -> Option<Selector> {
    text.parse().ok()
}

fn attribute_score(plan: &ListingPlan, el: &Element) -> i32 {
    plan.scores
        .iter()
        .filter_map(|(m, score)| match m {
            TileMatch::Attribute(name, value) => {
                let found = el.get_attribute(name);
                let hit = match (found, value) {
                    (Some(_), None) => true,
                    (Some(f), Some(v)) => f.trim().eq_ignore_ascii_case(v.trim()),
                    (None, _) => false,
                };
                hit.then_some(*score)
            }
            TileMatch::Products(_) => None,
        })
        .sum()
}

fn key_score(plan: &ListingPlan, key: Option<&str>) -> i32 {
    let Some(key) = key else { return 0 };
    plan.scores
        .iter()
        .filter_map(|(m, score)| match m {
            TileMatch::Products(keys) if keys.iter().any(|k| k == key) => Some(*score),
            _ => None,
        })
        .sum()
}

/// One tile in the new order.
enum Placed {
    /// A tile of the page (index into the segments).
    Segment(usize),
    /// HTML from a rule (a promo tile, or the tile of a pinned product the page lacked).
    Html(String),
}

/// The new order of the tiles (fixed segments excluded).
fn new_order(segments: &[Segment], plan: &ListingPlan) -> Vec<Placed> {
    let is_hidden =
        |s: &Segment| s.hidden || s.key.as_ref().is_some_and(|k| plan.hidden.contains(k));
    let tiles: Vec<usize> = (0..segments.len())
        .filter(|&i| segments[i].kind == Kind::Tile && !is_hidden(&segments[i]))
        .collect();
    let mut taken = vec![false; segments.len()];
    // Pins and promo tiles choose in the order the conflicts were resolved (highest priority
    // first), each taking the first free position from the one it asked for; a pinned product
    // that is not on the page (and has no tile) takes none, so it pushes nothing down.
    let mut choosing: Vec<&crate::engine::Slot> = plan.slots.iter().collect();
    choosing.sort_by_key(|s| s.rank);
    let mut slots: Vec<(usize, Placed)> = Vec::new();
    for slot in choosing {
        let placed = match &slot.item {
            SlotItem::Product { key, tile } => {
                let found = tiles
                    .iter()
                    .copied()
                    .find(|&i| !taken[i] && segments[i].key.as_deref() == Some(key));
                match (found, tile) {
                    (Some(i), _) => {
                        taken[i] = true;
                        Placed::Segment(i)
                    }
                    (None, Some(html)) => Placed::Html(html.clone()),
                    // Not on the page, and no tile to show: nothing is invented.
                    (None, None) => continue,
                }
            }
            SlotItem::Promo(html) => Placed::Html(html.clone()),
        };
        let mut position = slot.wanted;
        while slots.iter().any(|(p, _)| *p == position) {
            position += 1;
        }
        slots.push((position, placed));
    }
    slots.sort_by_key(|(p, _)| *p);
    let mut rest: Vec<usize> = tiles.into_iter().filter(|&i| !taken[i]).collect();
    // Stable: equal scores keep the origin's order.
    rest.sort_by_key(|&i| {
        let s = &segments[i];
        -(s.attribute_score + key_score(plan, s.key.as_deref()))
    });
    let mut rest = rest.into_iter();
    let mut slots = slots.into_iter().peekable();
    let mut order = Vec::new();
    loop {
        let next = order.len() + 1;
        if slots.peek().is_some_and(|(p, _)| *p <= next) {
            if let Some((_, placed)) = slots.next() {
                order.push(placed);
            }
        } else if let Some(i) = rest.next() {
            order.push(Placed::Segment(i));
        } else if let Some((_, placed)) = slots.next() {
            // Pins beyond the last tile go at the end.
            order.push(placed);
        } else {
            break;
        }
    }
    order
}

/// Writes the held listing in its new order and stops holding.
fn write_reordered(
    held: &mut Held,
    plan: &ListingPlan,
    out: &mut Vec<u8>,
    encoding: AsciiCompatibleEncoding,
) {
    if held.active.take().is_none() {
        return;
    }
    out.append(&mut held.prefix);
    held.split_after_tile();
    let segments = std::mem::take(&mut held.segments);
    let order = new_order(&segments, plan);
    let mut placed = order.into_iter().enumerate();
    let visible = |s: &Segment| {
        s.kind == Kind::Tile
            && !s.hidden
            && !s.key.as_ref().is_some_and(|k| plan.hidden.contains(k))
    };
    // Each visible tile's place in the origin's order, to see which tiles moved.
    let original: Vec<usize> = (0..segments.len())
        .filter(|&i| visible(&segments[i]))
        .collect();
    let mut tile_slots_left = segments.iter().filter(|s| visible(s)).count();
    let write = |position: usize, item: Placed, out: &mut Vec<u8>| {
        write_placed(position, item, &segments, &original, plan, encoding, out);
    };
    if tile_slots_left == 0 {
        // Every tile was hidden: promo tiles and tiles from rules go first.
        for (position, item) in placed.by_ref() {
            write(position, item, out);
        }
    }
    let mut gap: &[u8] = b"";
    for s in &segments {
        if s.kind == Kind::Fixed {
            out.extend_from_slice(&s.bytes);
            if s.bytes.iter().all(u8::is_ascii_whitespace) {
                gap = &s.bytes;
            }
            continue;
        }
        if !visible(s) {
            continue;
        }
        tile_slots_left -= 1;
        // The last tile slot takes whatever is left (promo tiles add to the count), spaced
        // like the tiles before it.
        let take = if tile_slots_left == 0 { usize::MAX } else { 1 };
        for (n, (position, item)) in placed.by_ref().take(take).enumerate() {
            if n > 0 {
                out.extend_from_slice(gap);
            }
            write(position, item, out);
        }
    }
    held.bytes = 0;
}

/// Writes one tile at its new (0-based) position.
fn write_placed(
    position: usize,
    item: Placed,
    segments: &[Segment],
    original: &[usize],
    plan: &ListingPlan,
    encoding: AsciiCompatibleEncoding,
    out: &mut Vec<u8>,
) {
    match item {
        Placed::Html(html) => {
            let page: &'static encoding_rs::Encoding = encoding.into();
            let (bytes, _, _) = page.encode(&html);
            out.extend_from_slice(&bytes);
        }
        Placed::Segment(i) => {
            let seg = &segments[i];
            let rank = original.iter().position(|&o| o == i).unwrap_or(0);
            // Moved up into the first positions: its images load at once.
            let make_eager = position < plan.listing.eager_tiles && position < rank;
            let late_edits = matches!(plan.listing.key, ProductKey::Descendant { .. });
            let edits: Vec<&TileEdit> = match (&seg.key, late_edits) {
                (Some(k), true) => plan.edits.iter().filter(|e| &e.key == k).collect(),
                _ => Vec::new(),
            };
            if make_eager || !edits.is_empty() {
                out.extend(rework(&seg.bytes, &edits, make_eager, encoding));
            } else {
                out.extend_from_slice(&seg.bytes);
            }
        }
    }
}

/// Reworks one held tile on its own: changes that needed its key (when the key is inside
/// the tile), and images made eager once it moved into the first positions. On any failure
/// the tile is written as it was.
fn rework(
    bytes: &[u8],
    edits: &[&TileEdit],
    eager: bool,
    encoding: AsciiCompatibleEncoding,
) -> Vec<u8> {
    let out = Rc::new(RefCell::new(Vec::with_capacity(bytes.len() + 64)));
    let sink = Rc::clone(&out);
    let mut settings = Settings::new().with_encoding(encoding);
    let root_seen = Rc::new(RefCell::new(false));
    let root_edits: Vec<TileEdit> = edits
        .iter()
        .filter(|e| e.target.is_none())
        .map(|e| (*e).clone())
        .collect();
    if !root_edits.is_empty()
        && let Some(any) = selector("*")
    {
        let seen = Rc::clone(&root_seen);
        settings = settings.append_element_content_handler((
            Cow::Owned(any),
            ElementContentHandlers::default().element(move |el: &mut Element| {
                if !*seen.borrow() {
                    *seen.borrow_mut() = true;
                    for e in &root_edits {
                        apply(&e.edit, el);
                    }
                }
                Ok(())
            }),
        ));
    }
    for e in edits {
        if let Some(t) = &e.target {
            let edit = e.edit.clone();
            settings = settings.append_element_content_handler((
                Cow::Owned((*t.inner).clone()),
                ElementContentHandlers::default().element(move |el: &mut Element| {
                    apply(&edit, el);
                    Ok(())
                }),
            ));
        }
    }
    if eager && let Some(img) = selector("img[loading]") {
        settings = settings.append_element_content_handler((
            Cow::Owned(img),
            ElementContentHandlers::default().element(|el: &mut Element| {
                if el
                    .get_attribute("loading")
                    .is_some_and(|l| l.trim().eq_ignore_ascii_case("lazy"))
                {
                    el.remove_attribute("loading");
                }
                Ok(())
            }),
        ));
    }
    let mut rewriter = Rewriter::new(
        settings,
        Box::new(move |c: &[u8]| sink.borrow_mut().extend_from_slice(c)),
    );
    let ok = rewriter.write(bytes).is_ok() && rewriter.end().is_ok();
    let result = std::mem::take(&mut *out.borrow_mut());
    if ok { result } else { bytes.to_vec() }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    use crate::document::compile;
    use crate::engine::{Plan, Visit, decide};
    use crate::render::StreamRewriter;

    const GRID: &str = r#""listings": {"grid": {"container": "ul.grid", "tile": "li.tile",
        "key": {"attribute": "data-sku"}, "price": ".price", "max_bytes": 1024}}"#;

    fn plan(settings: &str, rules: &str, query: serde_json::Value) -> Plan {
        let doc = format!(r#"{{"settings": {{{settings}}}, "rules": {rules}}}"#);
        let compiled = compile(&doc).unwrap();
        assert_eq!(compiled.problems, [], "{doc}");
        let attrs = json!({ "query": query });
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        decide(&compiled, &Visit::new(&attrs, "/c/shoes", now), false).plan
    }

    /// The page written in chunks of every size from 1 to 64 (all must agree), and the warnings.
    fn run(plan: &Plan, html: &str) -> (String, Vec<String>) {
        let mut first: Option<(String, Vec<String>)> = None;
        for size in (1..=64).chain([usize::MAX]) {
            let mut r = StreamRewriter::new(plan, None);
            let mut out = Vec::new();
            for chunk in html.as_bytes().chunks(size.min(html.len().max(1))) {
                out.extend(r.write(chunk));
            }
            out.extend(r.end());
            let got = (String::from_utf8(out).unwrap(), r.warnings());
            match &first {
                None => first = Some(got),
                Some(f) => assert_eq!(f, &got, "chunks of {size}"),
            }
        }
        first.unwrap()
    }

    fn tiles(skus: &[&str]) -> String {
        let items: String = skus
            .iter()
            .map(|s| format!("<li class=\"tile\" data-sku=\"{s}\"><img src=\"{s}.png\" loading=\"lazy\"><p class=\"price\">€10</p></li>\n"))
            .collect();
        format!("<main><h1>Shoes</h1><ul class=\"grid\">\n{items}</ul><p>after</p></main>")
    }

    fn order(html: &str) -> Vec<String> {
        html.split("data-sku=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn pins_hides_inserts_boosts_and_badges() {
        let p = plan(
            GRID,
            r#"[{"id": "hide", "actions": [{"hide": {"products": ["C"]}}]},
               {"id": "pin", "actions": [{"pin": {"products": ["E", "D"]}}]},
               {"id": "promo", "actions": [{"insert_tile": {"at": 3, "html": "<li class=\"promo\">Sale</li>"}}]},
               {"id": "bury", "actions": [{"bury": {"products": ["A"]}}]},
               {"id": "badge", "actions": [{"badge": {"products": ["B"], "html": "<b>New</b>", "position": "prepend"}},
                   {"price": {"products": {"B": {"now": "€8", "was": "€10"}}}}]}]"#,
            json!({}),
        );
        let (out, warnings) = run(&p, &tiles(&["A", "B", "C", "D", "E"]));
        assert_eq!(warnings, Vec::<String>::new());
        assert_eq!(order(&out), ["E", "D", "B", "A"]);
        assert!(out.contains("<li class=\"promo\">Sale</li>"));
        let promo = out.find("promo").unwrap();
        assert!(
            out.find("data-sku=\"D\"").unwrap() < promo
                && promo < out.find("data-sku=\"B\"").unwrap()
        );
        assert!(out.contains("<li class=\"tile\" data-sku=\"B\"><b>New</b>"));
        assert!(out.contains("<p class=\"price\"><s class=\"veneer-was\">€10</s> €8</p>"));
        // E and D moved into the first positions: their images load at once.
        assert!(
            out.contains("<img src=\"E.png\">") && out.contains("<img src=\"D.png\">"),
            "{out}"
        );
        assert!(out.contains("<img src=\"A.png\" loading=\"lazy\">"));
        assert!(out.ends_with("</ul><p>after</p></main>"));
    }

    #[test]
    fn keys_in_a_descendant_nested_tiles_and_tiles_without_end_tags() {
        let settings = r##""listings": {"grid": {"container": "#grid", "tile": ".card",
            "key": {"select": "a[href]", "attribute": "href", "pattern": "/products/([^/?#]+)"}}}"##;
        let p = plan(
            settings,
            r#"[{"id": "r", "actions": [{"pin": {"products": ["boot"]}}, {"hide": {"products": ["sock"]}},
                {"badge": {"products": ["boot"], "html": "<i>Hot</i>", "into": ".name"}}]}]"#,
            json!({}),
        );
        // Tiles are <li> without end tags; a swatch inside a card also has the card class.
        let page = "<ul id=grid> <li class=card><div class=card>swatch</div><a href=\"/products/cap?v=1\"><span class=name>Cap</span></a>\
                    <li class=card><a href=\"/products/sock\">Sock</a>\
                    <li class=card><a href=\"/products/boot\"><span class=name>Boot</span></a></ul>";
        let (out, warnings) = run(&p, page);
        assert_eq!(warnings, Vec::<String>::new());
        assert_eq!(
            out,
            "<ul id=grid> <li class=card><a href=\"/products/boot\"><span class=name>Boot<i>Hot</i></span></a>\
             <li class=card><div class=card>swatch</div><a href=\"/products/cap?v=1\"><span class=name>Cap</span></a></ul>"
        );
    }

    #[test]
    fn conflicting_pins_and_a_missing_product() {
        let p = plan(
            GRID,
            r#"[{"id": "low", "priority": 1, "actions": [{"pin": {"positions": {"B": 1, "Z": 2}}}]},
               {"id": "high", "priority": 2, "actions": [{"pin": {"products": ["C"]}}]},
               {"id": "tile", "actions": [{"pin": {"positions": {"Y": 4}, "tiles": {"Y": "<li class=\"tile\" data-sku=\"Y\">Y</li>"}}}]}]"#,
            json!({}),
        );
        let (out, _) = run(&p, &tiles(&["A", "B", "C", "D"]));
        // high wins position 1; low's B takes the next free one; Z is not on the page and has no
        // tile, so it is not invented; Y's tile HTML is used.
        assert_eq!(order(&out), ["C", "B", "A", "Y", "D"]);
        let notes = &p.listings[0].notes;
        assert!(
            notes
                .iter()
                .any(|n| n.contains("pin of B by low moved from 1 to 2")),
            "{notes:?}"
        );
    }

    #[test]
    fn over_the_cap_and_never_closed_the_listing_keeps_its_order_byte_for_byte() {
        let p = plan(
            GRID,
            r#"[{"id": "pin", "actions": [{"pin": {"products": ["Z"]}}]}]"#,
            json!({}),
        );
        let skus: Vec<String> = (0..40).map(|i| format!("S{i}")).collect();
        let refs: Vec<&str> = skus.iter().map(String::as_str).collect();
        let mut page = tiles(&refs);
        page = page.replace("S39", "Z");
        let (out, warnings) = run(&p, &page);
        assert_eq!(out, page);
        assert_eq!(
            warnings,
            [
                "listing kept in its original order: the listing is larger than its max_bytes (1024 bytes)"
            ]
        );
        let open = "<ul class=\"grid\"><li class=\"tile\" data-sku=\"A\">a<li class=\"tile\" data-sku=\"Z\">z";
        let (out, warnings) = run(&p, open);
        assert_eq!(out, open);
        assert_eq!(
            warnings,
            ["listing kept in its original order: the listing's container never closed"]
        );
    }

    #[test]
    fn a_bail_out_mid_listing_passes_the_listing_through_unchanged() {
        let settings = GRID.replace("1024", "8388608");
        let p = plan(
            &settings,
            r#"[{"id": "pin", "actions": [{"pin": {"products": ["B"]}}]}]"#,
            json!({}),
        );
        let huge = format!(
            "<ul class=\"grid\"><li class=\"tile\" data-sku=\"A\">a</li><li class=\"tile\" data-sku=\"B\" data-x=\"{}\">b</li></ul><p>end</p>",
            "y".repeat(crate::render::rewriter::MAX_PARSER_MEMORY + 10)
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
        assert_eq!(
            r.warnings(),
            ["listing kept in its original order: rewriting stopped mid-listing"]
        );
        assert!(
            out == huge.as_bytes(),
            "the output is not the origin's page"
        );
    }

    #[test]
    fn hides_badges_and_prices_stream_without_holding() {
        let p = plan(
            GRID,
            r#"[{"id": "r", "actions": [{"hide": {"products": ["B"]}}, {"badge": {"products": ["A"], "html": "<b>1</b>"}}]}]"#,
            json!({}),
        );
        assert!(!p.listings[0].needs_hold());
        let page = tiles(&["A", "B", "C"]);
        let mut r = StreamRewriter::new(&p, None);
        let cut = page.find("data-sku=\"C\"").unwrap();
        let first = String::from_utf8(r.write(&page.as_bytes()[..cut])).unwrap();
        // A's tile (with its badge) left before the listing ended; B never did.
        assert!(
            first.contains("<b>1</b></li>") && !first.contains("data-sku=\"B\""),
            "{first}"
        );
    }

    #[test]
    fn fragments_are_the_container() {
        let settings = r#""listings": {"grid": {"container": "ul.grid", "tile": "li.tile",
            "key": {"attribute": "data-sku"}, "fragment_params": ["section_id"]}}"#;
        let rules = r#"[{"id": "pin", "actions": [{"pin": {"products": ["C"]}}]}]"#;
        let page =
            "<li class=\"tile\" data-sku=\"A\">a</li>\n<li class=\"tile\" data-sku=\"C\">c</li>\n";
        let p = plan(settings, rules, json!({"section_id": "main"}));
        assert_eq!(
            run(&p, page).0,
            "<li class=\"tile\" data-sku=\"C\">c</li>\n<li class=\"tile\" data-sku=\"A\">a</li>\n"
        );
        let whole_page = plan(settings, rules, json!({}));
        assert_eq!(run(&whole_page, page).0, page);
    }

    #[test]
    fn a_variation_can_pin_and_the_debug_header_shows_the_plan() {
        let doc = format!(
            r#"{{"settings": {{{GRID}}}, "rules": [{{"id": "rule-pin", "actions": [{{"pin": {{"products": ["A"]}}}}]}}],
                "experiments": [{{"id": "grid-test", "variations": [{{"id": "control"}},
                    {{"id": "b-first", "actions": [{{"pin": {{"products": ["B"]}}}}]}}]}}]}}"#
        );
        let compiled = compile(&doc).unwrap();
        assert_eq!(compiled.problems, []);
        let attrs = json!({"id": "visitor-1"});
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        let forced = [("grid-test".to_owned(), "b-first".to_owned())];
        let visit = Visit {
            preview: true,
            forced: &forced,
            ..Visit::new(&attrs, "/c/shoes", now)
        };
        let decision = decide(&compiled, &visit, false);
        // The variation applies after every rule: it chooses first.
        assert_eq!(
            order(&run(&decision.plan, &tiles(&["A", "B", "C"])).0),
            ["B", "A", "C"]
        );
        let header = crate::engine::debug_header(&decision, &[]);
        let parsed: serde_json::Value = serde_json::from_str(&header).unwrap();
        let slots = &parsed["listings"][0]["slots"];
        assert_eq!(slots[0]["by"], "grid-test:b-first");
        assert_eq!(slots[1]["product"], "A");
        assert_eq!(
            parsed["listings"][0]["conflicts"][0],
            "pin of A by rule-pin moved from 1 to 2: the position was taken"
        );
    }
}
