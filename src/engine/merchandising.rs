//! Merchandising plans: the commerce actions of every rule that applies, resolved per listing.
//!
//! Conflicts are settled in fixed phases (docs/rules.md, "Commerce"): hides first (a hidden
//! product cannot be pinned or boosted), then pins and promo tiles (the rule applied later,
//! i.e. of higher priority, chooses first; a losing pin or tile takes the next free position),
//! then boosts and buries (scores add up; pinned tiles do not move), then badges and prices
//! (badges accumulate; for a price, the later rule wins each of `now` and `was`).

use std::rc::Rc;

use serde_json::{Value, json};

use super::plan::Edit;
use crate::document::{
    Escape, InsertPosition, Listing, ListingAction, ListingOp, PriceChange, Targets, TileMatch,
    push_escaped,
};

/// What goes in a pinned position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotItem {
    /// A product of the page, or the rule's tile HTML when the page lacks it.
    Product {
        /// The product key.
        key: String,
        /// HTML to show when the product is not on the page.
        tile: Option<String>,
    },
    /// A promo tile.
    Promo(String),
}

/// A position taken by a pin or a promo tile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// 1-based position, when every pinned product is on the page.
    pub position: usize,
    /// The position the rule asked for.
    pub wanted: usize,
    /// The order in which slots choose their position (0 first: the highest priority).
    pub rank: usize,
    /// What goes there.
    pub item: SlotItem,
    /// The rule (or experiment variation) that put it there.
    pub source: String,
}

/// A change inside one product's tile.
#[derive(Debug, Clone)]
pub struct TileEdit {
    /// The product.
    pub key: String,
    /// The element of the tile it changes (none: the tile itself).
    pub target: Option<Targets>,
    /// The change.
    pub edit: Edit,
}

/// One commerce action of an applied rule, before the conflicts are resolved.
#[derive(Debug, Clone)]
struct Claim {
    source: String,
    op: RenderedOp,
}

#[derive(Debug, Clone)]
enum RenderedOp {
    Hide(Vec<String>),
    Pin(Vec<(String, usize)>, Vec<(String, String)>),
    Boost(TileMatch, i32),
    Insert(usize, String),
    Badge(Vec<String>, String, Option<Targets>, InsertPosition),
    Price(Vec<(String, PriceChange)>, Targets, Vec<String>),
}

/// Everything the rules change in one listing on this page, conflicts resolved.
#[derive(Debug, Clone)]
pub struct ListingPlan {
    /// The listing.
    pub listing: Rc<Listing>,
    /// Whether this response is an HTML fragment of the listing (its `fragment_params`): the
    /// tiles are then found anywhere, and the whole response is the container.
    pub fragment: bool,
    /// Products removed.
    pub hidden: Vec<String>,
    /// Pinned products and promo tiles, by position.
    pub slots: Vec<Slot>,
    /// Boosts (positive) and buries (negative); a tile's score is the sum of those it matches.
    pub scores: Vec<(TileMatch, i32)>,
    /// Badges and prices, in the order they apply.
    pub edits: Vec<TileEdit>,
    /// What lost a conflict, and why, for explanations.
    pub notes: Vec<String>,
    claims: Vec<Claim>,
}

impl ListingPlan {
    /// Whether the listing's tiles change order (pins, promo tiles, boosts), so the container
    /// is held back until it ends.
    pub fn reorders(&self) -> bool {
        !self.slots.is_empty() || !self.scores.is_empty()
    }

    /// Whether keys are learned only inside the tile, so every product change holds the
    /// container.
    pub fn needs_hold(&self) -> bool {
        self.reorders()
            || (matches!(
                self.listing.key,
                crate::document::ProductKey::Descendant { .. }
            ) && (!self.hidden.is_empty() || !self.edits.is_empty()))
    }

    /// The resolved plan, for `veneer explain` and the preview debug header.
    pub fn explain(&self) -> Value {
        json!({
            "listing": self.listing.name,
            "fragment": self.fragment,
            "hidden": self.hidden,
            "slots": self.slots.iter().map(|s| json!({
                "position": s.position,
                "product": match &s.item { SlotItem::Product { key, .. } => Value::String(key.clone()), SlotItem::Promo(_) => Value::Null },
                "promo": matches!(s.item, SlotItem::Promo(_)),
                "tile_html": matches!(&s.item, SlotItem::Product { tile: Some(_), .. }),
                "by": s.source,
            })).collect::<Vec<_>>(),
            "scores": self.scores.iter().map(|(m, s)| json!({
                "match": match m {
                    TileMatch::Products(p) => json!({"products": p}),
                    TileMatch::Attribute(a, v) => json!({"attribute": a, "value": v}),
                },
                "score": s,
            })).collect::<Vec<_>>(),
            "tile_edits": self.edits.iter().map(|e| json!({
                "product": e.key,
                "target": e.target.as_ref().map(|t| t.text.clone()),
                "edit": format!("{:?}", e.edit),
            })).collect::<Vec<_>>(),
            "conflicts": self.notes,
        })
    }
}

/// Records one commerce action of a rule (or variation) that applies, templates filled in.
pub(super) fn claim(
    listings: &mut Vec<ListingPlan>,
    action: &ListingAction,
    source: &str,
    render: impl Fn(&crate::document::Template) -> String,
) {
    let op = match &action.op {
        ListingOp::Hide(keys) => RenderedOp::Hide(keys.clone()),
        ListingOp::Pin { positions, tiles } => RenderedOp::Pin(
            positions.clone(),
            tiles.iter().map(|(k, t)| (k.clone(), render(t))).collect(),
        ),
        ListingOp::Boost { matching, step } => RenderedOp::Boost(matching.clone(), *step),
        ListingOp::Insert { at, html } => RenderedOp::Insert(*at, render(html)),
        ListingOp::Badge {
            products,
            html,
            into,
            position,
        } => RenderedOp::Badge(products.clone(), render(html), into.clone(), *position),
        ListingOp::Price {
            products,
            target,
            classes,
        } => RenderedOp::Price(products.clone(), target.clone(), classes.clone()),
    };
    let claim = Claim {
        source: source.to_owned(),
        op,
    };
    match listings
        .iter_mut()
        .find(|l| Rc::ptr_eq(&l.listing, &action.listing))
    {
        Some(plan) => plan.claims.push(claim),
        None => listings.push(ListingPlan {
            listing: Rc::clone(&action.listing),
            fragment: false,
            hidden: Vec::new(),
            slots: Vec::new(),
            scores: Vec::new(),
            edits: Vec::new(),
            notes: Vec::new(),
            claims: vec![claim],
        }),
    }
}

/// Resolves every listing's claims into its plan; `query` is the request's query object.
pub(super) fn resolve(listings: &mut [ListingPlan], query: Option<&Value>) {
    for plan in listings {
        plan.fragment = plan
            .listing
            .fragment_params
            .iter()
            .any(|p| query.and_then(|q| q.get(p)).is_some());
        resolve_one(plan);
    }
}

fn resolve_one(plan: &mut ListingPlan) {
    let claims = std::mem::take(&mut plan.claims);
    // Phase 1: hides accumulate.
    let mut hidden: Vec<String> = Vec::new();
    for c in &claims {
        if let RenderedOp::Hide(keys) = &c.op {
            for k in keys {
                if !hidden.contains(k) {
                    hidden.push(k.clone());
                }
            }
        }
    }
    // Phase 2: pins and promo tiles; the claim applied last (highest priority) chooses first.
    let mut slots: Vec<Slot> = Vec::new();
    let mut notes = Vec::new();
    let free_from = |slots: &[Slot], wanted: usize| {
        let mut p = wanted;
        while slots.iter().any(|s| s.position == p) {
            p += 1;
        }
        p
    };
    for c in claims.iter().rev() {
        match &c.op {
            RenderedOp::Pin(positions, tiles) => {
                for (key, wanted) in positions {
                    if hidden.contains(key) {
                        notes.push(format!(
                            "pin of {key} by {} skipped: the product is hidden",
                            c.source
                        ));
                        continue;
                    }
                    if let Some(s) = slots
                        .iter()
                        .find(|s| matches!(&s.item, SlotItem::Product { key: k, .. } if k == key))
                    {
                        notes.push(format!(
                            "pin of {key} to {wanted} by {} lost to {} (position {})",
                            c.source, s.source, s.position
                        ));
                        continue;
                    }
                    let position = free_from(&slots, *wanted);
                    if position != *wanted {
                        notes.push(format!(
                            "pin of {key} by {} moved from {wanted} to {position}: the position was taken",
                            c.source
                        ));
                    }
                    let tile = tiles.iter().find(|(k, _)| k == key).map(|(_, t)| t.clone());
                    slots.push(Slot {
                        position,
                        wanted: *wanted,
                        rank: slots.len(),
                        item: SlotItem::Product {
                            key: key.clone(),
                            tile,
                        },
                        source: c.source.clone(),
                    });
                }
            }
            RenderedOp::Insert(wanted, html) => {
                let position = free_from(&slots, *wanted);
                if position != *wanted {
                    notes.push(format!(
                        "promo tile by {} moved from {wanted} to {position}: the position was taken",
                        c.source
                    ));
                }
                slots.push(Slot {
                    position,
                    wanted: *wanted,
                    rank: slots.len(),
                    item: SlotItem::Promo(html.clone()),
                    source: c.source.clone(),
                });
            }
            _ => {}
        }
    }
    slots.sort_by_key(|s| s.position);
    // Phase 3: boosts and buries add up.
    let scores = claims
        .iter()
        .filter_map(|c| match &c.op {
            RenderedOp::Boost(m, step) => Some((m.clone(), *step)),
            _ => None,
        })
        .collect();
    // Phase 4: badges accumulate; prices merge, the later rule winning each field.
    let mut edits = Vec::new();
    let mut prices: Vec<(String, Targets, PriceChange, Vec<String>)> = Vec::new();
    for c in &claims {
        match &c.op {
            RenderedOp::Badge(keys, html, into, position) => {
                for key in keys.iter().filter(|k| !hidden.contains(k)) {
                    edits.push(TileEdit {
                        key: key.clone(),
                        target: into.clone(),
                        edit: Edit::Insert {
                            position: *position,
                            content: html.clone(),
                            html: true,
                        },
                    });
                }
            }
            RenderedOp::Price(products, target, classes) => {
                for (key, change) in products.iter().filter(|(k, _)| !hidden.contains(k)) {
                    match prices
                        .iter_mut()
                        .find(|(k, t, ..)| k == key && t.text == target.text)
                    {
                        Some((_, _, merged, merged_classes)) => {
                            if change.now.is_some() {
                                merged.now.clone_from(&change.now);
                            }
                            if change.was.is_some() {
                                merged.was.clone_from(&change.was);
                            }
                            merged_classes.extend(classes.iter().cloned());
                        }
                        None => prices.push((
                            key.clone(),
                            target.clone(),
                            change.clone(),
                            classes.clone(),
                        )),
                    }
                }
            }
            _ => {}
        }
    }
    for (key, target, change, classes) in prices {
        if let Some(edit) = price_edit(&change) {
            edits.push(TileEdit {
                key: key.clone(),
                target: Some(target.clone()),
                edit,
            });
        }
        if !classes.is_empty() {
            edits.push(TileEdit {
                key,
                target: Some(target),
                edit: Edit::AddClasses(classes),
            });
        }
    }
    plan.hidden = hidden;
    plan.slots = slots;
    plan.scores = scores;
    plan.edits = edits;
    plan.notes = notes;
}

/// The edit showing a price change: the new price, with the "was" price struck through before it.
fn price_edit(change: &PriceChange) -> Option<Edit> {
    let was = change.was.as_ref().map(|w| {
        let mut html = String::from("<s class=\"veneer-was\">");
        push_escaped(&mut html, w, Escape::Html);
        html.push_str("</s> ");
        html
    });
    match (&change.now, was) {
        (Some(now), Some(mut html)) => {
            push_escaped(&mut html, now, Escape::Html);
            Some(Edit::SetHtml(html))
        }
        (Some(now), None) => Some(Edit::SetText(now.clone())),
        (None, Some(html)) => Some(Edit::Insert {
            position: InsertPosition::Prepend,
            content: html,
            html: true,
        }),
        (None, None) => None,
    }
}
