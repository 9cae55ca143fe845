//! Commerce actions, as compiled: what rules do to a listing's products, and banners.
//!
//! The actions name products by key (`settings.listings`); `engine::merchandising` resolves
//! the conflicts between rules (in fixed phases) and `render::listing` carries them out.

use std::rc::Rc;

use chrono::{DateTime, FixedOffset};
use lol_html::Selector;
use serde_json::{Map, Value};

use super::actions::InsertPosition;
use super::listings::{Listing, Targets, find_listing};
use super::names::is_class;
use super::reader::{Checker, object_fields};
use super::selector::parse_selector;
use super::settings::Settings;
use super::template::Template;
use crate::diagnostic::{JsonPath, describe};

/// Which commerce operation an action is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommerceOperation {
    /// `hide`: remove products from the listing.
    Hide,
    /// `pin`: move products to positions.
    Pin,
    /// `boost`: move products up within the page.
    Boost,
    /// `bury`: move products down within the page.
    Bury,
    /// `insert_tile`: a promo tile at a position.
    InsertTile,
    /// `badge`: HTML inside products' tiles.
    Badge,
    /// `price`: the displayed price, or a "was" price.
    Price,
    /// `banner`: a promo bar at a place, with an optional countdown.
    Banner,
}

/// A change to the displayed price of one product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceChange {
    /// The new displayed price, as the rule writes it (`€99.00`).
    pub now: Option<String>,
    /// A "was" price shown struck through before the price.
    pub was: Option<String>,
}

/// Which tiles a boost or bury moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TileMatch {
    /// These products.
    Products(Vec<String>),
    /// Tiles whose attribute is present (`None`) or has this value.
    Attribute(String, Option<String>),
}

/// What a commerce action does to a listing.
#[derive(Debug, Clone)]
pub enum ListingOp {
    /// Remove these products' tiles.
    Hide(Vec<String>),
    /// Products to 1-based positions; `tiles` gives HTML for products the page may lack.
    Pin {
        /// (product, position), in the rule's order.
        positions: Vec<(String, usize)>,
        /// (product, tile HTML) used when the product is not on the page.
        tiles: Vec<(String, Template)>,
    },
    /// Move matching tiles up (`step` 1) or down (`step` -1) within the page.
    Boost {
        /// Which tiles.
        matching: TileMatch,
        /// +1 for boost, -1 for bury; scores of several rules add up.
        step: i32,
    },
    /// A promo tile (HTML) at a 1-based position.
    Insert {
        /// The position.
        at: usize,
        /// The tile's HTML.
        html: Template,
    },
    /// HTML inside the tiles of these products.
    Badge {
        /// The products.
        products: Vec<String>,
        /// The badge's HTML.
        html: Template,
        /// Inside this element of the tile (none: the tile itself).
        into: Option<Targets>,
        /// Prepend or append.
        position: InsertPosition,
    },
    /// Displayed prices of these products.
    Price {
        /// (product, change).
        products: Vec<(String, PriceChange)>,
        /// The price element in the tile.
        target: Targets,
        /// Classes added to the changed price elements.
        classes: Vec<String>,
    },
}

/// A commerce action on one listing.
#[derive(Debug, Clone)]
pub struct ListingAction {
    /// The listing.
    pub listing: Rc<Listing>,
    /// The operation.
    pub op: ListingOp,
}

/// A banner: HTML at a place, with an optional end time shown as a live countdown.
#[derive(Debug, Clone)]
pub struct Banner {
    /// Where, as written.
    pub select: String,
    /// Where.
    pub selector: Rc<Selector>,
    /// Relative to the selected element.
    pub position: InsertPosition,
    /// The banner's HTML.
    pub html: Template,
    /// When the offer ends (with the offset the rule wrote).
    pub ends: Option<DateTime<FixedOffset>>,
}

/// Compiles a commerce action's value.
pub(super) fn compile_commerce(
    operation: CommerceOperation,
    raw: &Value,
    at: &JsonPath,
    settings: &Settings,
    check: &mut Checker,
) -> Option<super::actions::Action> {
    use super::actions::Action;
    if operation == CommerceOperation::Banner {
        return compile_banner(raw, at, check).map(Action::Banner);
    }
    let fields: &[&str] = match operation {
        CommerceOperation::Hide => &["listing", "products"],
        CommerceOperation::Pin => &["listing", "products", "at", "positions", "tiles"],
        CommerceOperation::Boost | CommerceOperation::Bury => {
            &["listing", "products", "attribute", "value"]
        }
        CommerceOperation::InsertTile => &["listing", "at", "html"],
        CommerceOperation::Badge => &["listing", "products", "html", "into", "position"],
        CommerceOperation::Price => &["listing", "products", "select", "class"],
        CommerceOperation::Banner => &[],
    };
    let o = object_fields(
        raw,
        at,
        check,
        fields,
        "{\"listing\": \"grid\", \"products\": [\"SKU-1\"]}",
    )?;
    let before = check.problems.len();
    let listing = find_listing(&settings.listings, o.get("listing"), at, check);
    let op = match operation {
        CommerceOperation::Hide => products(o, at, check).map(ListingOp::Hide),
        CommerceOperation::Pin => compile_pin(o, at, check),
        CommerceOperation::Boost | CommerceOperation::Bury => {
            let step = if operation == CommerceOperation::Boost {
                1
            } else {
                -1
            };
            let matching = match (o.get("products"), o.get("attribute")) {
                (Some(_), None) => products(o, at, check).map(TileMatch::Products),
                (None, Some(a)) => {
                    let name = check.string(a, &at.key("attribute"))?.to_ascii_lowercase();
                    let value = match o.get("value") {
                        None => None,
                        Some(v) => Some(check.string(v, &at.key("value"))?.to_owned()),
                    };
                    Some(TileMatch::Attribute(name, value))
                }
                _ => {
                    check.push(
                        at,
                        "expected exactly one of \"products\" (keys) or \"attribute\" (of the tile, with an optional \"value\")",
                    );
                    None
                }
            };
            if o.contains_key("value") && !o.contains_key("attribute") {
                check.push(at.key("value"), "\"value\" goes with \"attribute\"");
            }
            matching.map(|matching| ListingOp::Boost { matching, step })
        }
        CommerceOperation::InsertTile => {
            let position = position_field(o, "at", at, check, true);
            let html = required(o, "html", at, check)
                .and_then(|h| check.html_template(h, &at.key("html")));
            Some(ListingOp::Insert {
                at: position?,
                html: html?,
            })
        }
        CommerceOperation::Badge => {
            let keys = products(o, at, check);
            let html = required(o, "html", at, check)
                .and_then(|h| check.html_template(h, &at.key("html")));
            let position = match o.get("position").map(|p| (p, p.as_str())) {
                None | Some((_, Some("append"))) => InsertPosition::Append,
                Some((_, Some("prepend"))) => InsertPosition::Prepend,
                Some((p, _)) => {
                    check.push(
                        at.key("position"),
                        format!("expected \"prepend\" or \"append\", found {}", describe(p)),
                    );
                    InsertPosition::Append
                }
            };
            let into = match (o.get("into"), &listing) {
                (Some(v), Some(l)) => {
                    let text = check.string(v, &at.key("into"))?;
                    Some(
                        l.targets(text)
                            .map_err(|e| check.push(at.key("into"), e))
                            .ok()?,
                    )
                }
                _ => None,
            };
            Some(ListingOp::Badge {
                products: keys?,
                html: html?,
                into,
                position,
            })
        }
        CommerceOperation::Price => compile_price(o, at, listing.as_deref(), check),
        CommerceOperation::Banner => None,
    };
    let (listing, op) = (listing?, op?);
    (check.problems.len() == before).then_some(Action::Listing(ListingAction { listing, op }))
}

fn required<'v>(
    o: &'v Map<String, Value>,
    field: &str,
    at: &JsonPath,
    check: &mut Checker,
) -> Option<&'v Value> {
    let v = o.get(field);
    if v.is_none() {
        check.push(at, format!("missing field {field:?}"));
    }
    v
}

fn products(o: &Map<String, Value>, at: &JsonPath, check: &mut Checker) -> Option<Vec<String>> {
    let v = required(o, "products", at, check)?;
    let list = check.string_list(v, &at.key("products"), "a product key")?;
    if list.iter().any(|k| k.is_empty()) {
        check.push(at.key("products"), "product keys cannot be empty");
        return None;
    }
    Some(list)
}

/// The largest position a rule may name.
const MAX_POSITION: u64 = 1000;

fn position_field(
    o: &Map<String, Value>,
    field: &str,
    at: &JsonPath,
    check: &mut Checker,
    needed: bool,
) -> Option<usize> {
    let v = match o.get(field) {
        Some(v) => v,
        None if needed => {
            check.push(
                at,
                format!("missing field {field:?} (a position, 1 is first)"),
            );
            return None;
        }
        None => return Some(1),
    };
    position(v, &at.key(field), check)
}

fn position(v: &Value, path: &JsonPath, check: &mut Checker) -> Option<usize> {
    match v.as_u64() {
        Some(n @ 1..=MAX_POSITION) => Some(n as usize),
        _ => {
            check.push(
                path,
                format!(
                    "expected a position from 1 (first) to {MAX_POSITION}, found {}",
                    describe(v)
                ),
            );
            None
        }
    }
}

fn compile_pin(o: &Map<String, Value>, at: &JsonPath, check: &mut Checker) -> Option<ListingOp> {
    let positions = match (o.get("products"), o.get("positions")) {
        (Some(_), None) => {
            let start = position_field(o, "at", at, check, false);
            let keys = products(o, at, check)?;
            let start = start?;
            keys.into_iter()
                .enumerate()
                .map(|(i, k)| (k, start + i))
                .collect()
        }
        (None, Some(Value::Object(map))) if !map.is_empty() => {
            if o.contains_key("at") {
                check.push(
                    at.key("at"),
                    "\"at\" goes with \"products\"; \"positions\" gives each product its own",
                );
            }
            let mut out = Vec::new();
            for (key, v) in map {
                out.push((
                    key.clone(),
                    position(v, &at.key("positions").key(key), check)?,
                ));
            }
            out
        }
        (None, Some(other)) => {
            check.push(
                at.key("positions"),
                format!(
                    "expected an object of product keys to positions, like {{\"SKU-1\": 1}}, found {}",
                    describe(other)
                ),
            );
            return None;
        }
        _ => {
            check.push(
                at,
                "expected exactly one of \"products\" (in order, from \"at\", default 1) or \"positions\" ({\"SKU-1\": 1})",
            );
            return None;
        }
    };
    let mut tiles = Vec::new();
    if let Some(v) = o.get("tiles") {
        let Some(map) = v.as_object() else {
            check.push(
                at.key("tiles"),
                format!(
                    "expected an object of product keys to tile HTML, found {}",
                    describe(v)
                ),
            );
            return None;
        };
        for (key, html) in map {
            let path = at.key("tiles").key(key);
            if !positions.iter().any(|(k, _)| k == key) {
                check.push(&path, format!("{key:?} is not one of the pinned products"));
                continue;
            }
            tiles.push((key.clone(), check.html_template(html, &path)?));
        }
    }
    Some(ListingOp::Pin { positions, tiles })
}

fn compile_price(
    o: &Map<String, Value>,
    at: &JsonPath,
    listing: Option<&Listing>,
    check: &mut Checker,
) -> Option<ListingOp> {
    let target = match (o.get("select"), listing) {
        (Some(v), Some(l)) => {
            let text = check.string(v, &at.key("select"))?;
            l.targets(text)
                .map_err(|e| check.push(at.key("select"), e))
                .ok()
        }
        (None, Some(l)) => {
            let found = l.price.clone();
            if found.is_none() {
                check.push(
                    at,
                    format!(
                        "missing field \"select\" (the price element in the tile); or give listing {:?} a \"price\"",
                        l.name
                    ),
                );
            }
            found
        }
        (_, None) => None,
    };
    let classes = match o.get("class") {
        None => Vec::new(),
        Some(v) => {
            let list = check.string_list(v, &at.key("class"), "a class name")?;
            if let Some(bad) = list.iter().find(|c| !is_class(c)) {
                check.push(
                    at.key("class"),
                    format!("expected class names without spaces, found {bad:?}"),
                );
                return None;
            }
            list
        }
    };
    let map = match required(o, "products", at, check)? {
        Value::Object(map) if !map.is_empty() => map,
        other => {
            check.push(
                at.key("products"),
                format!(
                    "expected an object of product keys to prices, like {{\"SKU-1\": {{\"now\": \"€99.00\", \"was\": \"€129.00\"}}}}, found {}",
                    describe(other)
                ),
            );
            return None;
        }
    };
    let mut products = Vec::new();
    for (key, v) in map {
        let path = at.key("products").key(key);
        let p = object_fields(
            v,
            &path,
            check,
            &["now", "was"],
            "{\"now\": \"€99.00\", \"was\": \"€129.00\"}",
        )?;
        let text = |field: &str, check: &mut Checker| match p.get(field) {
            None => Some(None),
            Some(v) => check
                .string(v, &path.key(field))
                .map(|s| Some(s.to_owned())),
        };
        let change = PriceChange {
            now: text("now", check)?,
            was: text("was", check)?,
        };
        if change.now.is_none() && change.was.is_none() {
            check.push(&path, "expected \"now\" (the displayed price), \"was\" (a struck-through earlier price) or both");
            return None;
        }
        products.push((key.clone(), change));
    }
    Some(ListingOp::Price {
        products,
        target: target?,
        classes,
    })
}

fn compile_banner(raw: &Value, at: &JsonPath, check: &mut Checker) -> Option<Banner> {
    let o = object_fields(
        raw,
        at,
        check,
        &["html", "select", "position", "ends"],
        "{\"html\": \"<p>Sale ends soon</p>\", \"select\": \"main\", \"position\": \"prepend\", \"ends\": \"2026-12-01T00:00:00+01:00\"}",
    )?;
    let html = required(o, "html", at, check).and_then(|h| check.html_template(h, &at.key("html")));
    let select = match o.get("select") {
        None => "body".to_owned(),
        Some(v) => check.string(v, &at.key("select"))?.to_owned(),
    };
    let selector = parse_selector(&select)
        .map_err(|e| check.push(at.key("select"), e))
        .ok();
    let position = match o.get("position").map(|p| (p, p.as_str())) {
        None | Some((_, Some("prepend"))) => Some(InsertPosition::Prepend),
        Some((_, Some("append"))) => Some(InsertPosition::Append),
        Some((_, Some("before"))) => Some(InsertPosition::Before),
        Some((_, Some("after"))) => Some(InsertPosition::After),
        Some((p, _)) => {
            check.push(
                at.key("position"),
                format!(
                    "expected \"before\", \"after\", \"prepend\" or \"append\", found {}",
                    describe(p)
                ),
            );
            None
        }
    };
    let ends = match o.get("ends") {
        None => None,
        Some(v) => {
            let text = check.string(v, &at.key("ends"))?;
            match DateTime::parse_from_rfc3339(text) {
                Ok(t) => Some(t),
                Err(_) => {
                    check.push(
                        at.key("ends"),
                        format!(
                            "expected an RFC 3339 time with an offset, like \"2026-12-01T00:00:00+01:00\", found {text:?}"
                        ),
                    );
                    return None;
                }
            }
        }
    };
    Some(Banner {
        select,
        selector: Rc::new(selector?),
        position: position?,
        html: html?,
        ends,
    })
}
