//! Listings: how a site shows products (`settings.listings`), so commerce rules speak of
//! products instead of selectors.
//!
//! A listing is a container (the grid), a tile inside it (one product) and a product key (an
//! attribute of the tile, or of the first descendant matching a selector, optionally through a
//! regular expression). Tile and target selectors are scoped to the container when compiled,
//! so a "related products" tile elsewhere on the page is never touched.

use std::rc::Rc;

use lol_html::Selector;
use regex_lite::Regex;
use serde_json::{Map, Value};

use super::names::is_attribute_name;
use super::reader::Checker;
use super::selector::parse_selector;
use crate::diagnostic::{JsonPath, describe};

/// Fields of one listing in `settings.listings`.
pub(super) const LISTING_FIELDS: &[&str] = &[
    "container",
    "tile",
    "key",
    "price",
    "max_bytes",
    "eager_tiles",
    "fragment_params",
];

/// Fields of a listing's `key`.
const KEY_FIELDS: &[&str] = &["attribute", "select", "pattern"];

/// How much of a listing may be held back to reorder it, unless the listing says otherwise.
pub const DEFAULT_LISTING_MAX_BYTES: usize = 512 * 1024;

/// The most a listing may ask to hold (its `max_bytes`).
const MAX_LISTING_MAX_BYTES: usize = 16 * 1024 * 1024;

/// How many first positions get their images loaded eagerly after a reorder, by default.
const DEFAULT_EAGER_TILES: usize = 4;

/// Where a tile's product key is found.
#[derive(Debug, Clone)]
pub enum ProductKey {
    /// An attribute of the tile element itself (`data-sku`): known as the tile starts.
    Attribute(String),
    /// An attribute of the first descendant matching a selector, optionally the first capture
    /// group of a pattern over it (`a[href]` → `/products/([^/?#]+)`): known only later.
    Descendant {
        /// The descendant, scoped to the listing's tiles.
        select: Targets,
        /// The attribute holding the key.
        attribute: String,
        /// The pattern whose first group is the key; the whole value without one.
        pattern: Option<Regex>,
    },
}

impl ProductKey {
    /// The key an attribute value gives, if any.
    pub fn extract(&self, value: &str) -> Option<String> {
        match self {
            ProductKey::Attribute(_) => Some(value.to_owned()),
            ProductKey::Descendant { pattern: None, .. } => Some(value.to_owned()),
            ProductKey::Descendant {
                pattern: Some(re), ..
            } => re
                .captures(value)
                .and_then(|c| c.get(1).or_else(|| c.get(0)))
                .map(|m| m.as_str().to_owned()),
        }
        .filter(|k| !k.is_empty())
    }
}

/// One selector inside a listing's tiles, compiled three ways.
#[derive(Debug, Clone)]
pub struct Targets {
    /// As written, for explanations and for grouping handlers.
    pub text: String,
    /// On a page: `container tile inner`.
    pub page: Rc<Selector>,
    /// In a fragment (no container): `tile inner`.
    pub fragment: Rc<Selector>,
    /// Inside one held tile, reworked on its own: `inner`.
    pub inner: Rc<Selector>,
}

/// A listing: the container, its tiles and how a tile names its product.
#[derive(Debug, Clone)]
pub struct Listing {
    /// The listing's name in `settings.listings`.
    pub name: String,
    /// The container selector as written.
    pub container_text: String,
    /// The container.
    pub container: Rc<Selector>,
    /// The tiles, scoped to the container.
    pub tile: Rc<Selector>,
    /// The tiles in a fragment response, where the container may be absent.
    pub fragment_tile: Rc<Selector>,
    /// Where each tile's product key is.
    pub key: ProductKey,
    /// The price element inside a tile, for `price` actions that give no `select`.
    pub price: Option<Targets>,
    /// The most bytes of this listing held back to reorder it.
    pub max_bytes: usize,
    /// How many first positions get eager images after a reorder.
    pub eager_tiles: usize,
    /// Query parameters that mark a response as an HTML fragment of this listing.
    pub fragment_params: Vec<String>,
    tile_text: String,
}

impl Listing {
    /// Compiles a selector inside this listing's tiles.
    pub(super) fn targets(&self, inner: &str) -> Result<Targets, String> {
        scoped(&self.container_text, &self.tile_text, inner)
    }
}

fn single(text: &str) -> Result<(), String> {
    if text.trim_start().starts_with('>') {
        return Err(format!(
            "{text:?} starts with \">\"; it is found anywhere inside the listing (a tile inside its container, an element inside its tile): write it without the \">\""
        ));
    }
    if text.contains(',') {
        return Err(format!(
            "expected one selector without commas (a listing scopes it), found {text:?}"
        ));
    }
    parse_selector(text).map(|_| ())
}

fn scoped(container: &str, tile: &str, inner: &str) -> Result<Targets, String> {
    single(inner)?;
    Ok(Targets {
        text: inner.to_owned(),
        page: Rc::new(parse_selector(&format!("{container} {tile} {inner}"))?),
        fragment: Rc::new(parse_selector(&format!("{tile} {inner}"))?),
        inner: Rc::new(parse_selector(inner)?),
    })
}

/// Reads `settings.listings`: an object of listing names to listings.
pub(super) fn compile_listings(
    value: &Value,
    path: &JsonPath,
    check: &mut Checker,
) -> Vec<Rc<Listing>> {
    let Some(map) = value.as_object() else {
        check.push(
            path,
            format!(
                "expected an object of listing names to listings, like {{\"grid\": {{\"container\": \".product-grid\", \"tile\": \".product-tile\", \"key\": {{\"attribute\": \"data-sku\"}}}}}}, found {}",
                describe(value)
            ),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, listing) in map {
        if let Some(l) = compile_listing(name, listing, &path.key(name), check) {
            out.push(Rc::new(l));
        }
    }
    out
}

fn selector_field(
    o: &Map<String, Value>,
    field: &str,
    path: &JsonPath,
    check: &mut Checker,
) -> Option<String> {
    let Some(v) = o.get(field) else {
        check.push(path, format!("missing field {field:?} (a CSS selector)"));
        return None;
    };
    let text = check.string(v, &path.key(field))?;
    match single(text) {
        Ok(()) => Some(text.to_owned()),
        Err(e) => {
            check.push(path.key(field), e);
            None
        }
    }
}

fn compile_listing(
    name: &str,
    value: &Value,
    path: &JsonPath,
    check: &mut Checker,
) -> Option<Listing> {
    let Some(o) = value.as_object() else {
        check.push(
            path,
            format!("expected a listing object, found {}", describe(value)),
        );
        return None;
    };
    let before = check.problems.len();
    check.unknown_fields(o, path, LISTING_FIELDS);
    let container = selector_field(o, "container", path, check);
    let tile = selector_field(o, "tile", path, check);
    let max_bytes = match o.get("max_bytes") {
        None => DEFAULT_LISTING_MAX_BYTES,
        Some(v) => match v.as_u64() {
            Some(n @ 1024..) if n as usize <= MAX_LISTING_MAX_BYTES => n as usize,
            _ => {
                check.push(
                    path.key("max_bytes"),
                    format!(
                        "expected bytes from 1024 to {MAX_LISTING_MAX_BYTES}, found {}",
                        describe(v)
                    ),
                );
                DEFAULT_LISTING_MAX_BYTES
            }
        },
    };
    let eager_tiles = match o.get("eager_tiles") {
        None => DEFAULT_EAGER_TILES,
        Some(v) => match v.as_u64() {
            Some(n @ 0..=100) => n as usize,
            _ => {
                check.push(
                    path.key("eager_tiles"),
                    format!("expected a count from 0 to 100, found {}", describe(v)),
                );
                DEFAULT_EAGER_TILES
            }
        },
    };
    let fragment_params = match o.get("fragment_params") {
        None => Vec::new(),
        Some(v) => check
            .list(
                v,
                &path.key("fragment_params"),
                "a query parameter name",
                true,
            )
            .unwrap_or_default(),
    };
    let (container, tile) = (container?, tile?);
    let key = compile_key(
        o.get("key"),
        &container,
        &tile,
        &path.key("key"),
        check,
        path,
    );
    let price = match o.get("price") {
        None => None,
        Some(v) => check.string(v, &path.key("price")).and_then(|p| {
            scoped(&container, &tile, p)
                .map_err(|e| check.push(path.key("price"), e))
                .ok()
        }),
    };
    let tiles = (
        parse_selector(&format!("{container} {tile}")),
        parse_selector(&tile),
        parse_selector(&container),
    );
    let (Ok(scoped_tile), Ok(fragment_tile), Ok(container_selector)) = tiles else {
        check.push(
            path,
            "the container and tile do not combine into one selector",
        );
        return None;
    };
    let key = key?;
    (check.problems.len() == before).then(|| Listing {
        name: name.to_owned(),
        container_text: container,
        container: Rc::new(container_selector),
        tile: Rc::new(scoped_tile),
        fragment_tile: Rc::new(fragment_tile),
        key,
        price,
        max_bytes,
        eager_tiles,
        fragment_params,
        tile_text: tile,
    })
}

fn compile_key(
    value: Option<&Value>,
    container: &str,
    tile: &str,
    path: &JsonPath,
    check: &mut Checker,
    listing: &JsonPath,
) -> Option<ProductKey> {
    let Some(value) = value else {
        check.push(
            listing,
            "missing field \"key\" (where a tile names its product, like {\"attribute\": \"data-sku\"})",
        );
        return None;
    };
    let Some(o) = value.as_object() else {
        check.push(
            path,
            format!(
                "expected an object like {{\"attribute\": \"data-sku\"}} or {{\"select\": \"a[href]\", \"attribute\": \"href\", \"pattern\": \"/products/([^/?#]+)\"}}, found {}",
                describe(value)
            ),
        );
        return None;
    };
    check.unknown_fields(o, path, KEY_FIELDS);
    let attribute = match o.get("attribute") {
        Some(v) => check.string(v, &path.key("attribute")).and_then(|a| {
            if is_attribute_name(a) || a.eq_ignore_ascii_case("href") {
                Some(a.to_ascii_lowercase())
            } else {
                check.push(
                    path.key("attribute"),
                    format!("expected an attribute name, found {a:?}"),
                );
                None
            }
        }),
        None => {
            check.push(
                path,
                "missing field \"attribute\" (the attribute holding the key)",
            );
            None
        }
    }?;
    let pattern = match o.get("pattern") {
        None => None,
        Some(v) => {
            let text = check.string(v, &path.key("pattern"))?;
            match Regex::new(text) {
                Ok(re) => Some(re),
                Err(e) => {
                    check.push(
                        path.key("pattern"),
                        format!("invalid regular expression {text:?}: {e}"),
                    );
                    return None;
                }
            }
        }
    };
    match o.get("select") {
        None if pattern.is_some() => {
            check.push(
                path.key("pattern"),
                "a pattern reads a descendant's attribute; add \"select\" (like \"a[href]\")",
            );
            None
        }
        None => Some(ProductKey::Attribute(attribute)),
        Some(v) => {
            let text = check.string(v, &path.key("select"))?;
            let select = scoped(container, tile, text)
                .map_err(|e| check.push(path.key("select"), e))
                .ok()?;
            Some(ProductKey::Descendant {
                select,
                attribute,
                pattern,
            })
        }
    }
}

/// The listing an action names (`"listing": "grid"`), or the only one when it names none.
pub(super) fn find_listing(
    listings: &[Rc<Listing>],
    name: Option<&Value>,
    path: &JsonPath,
    check: &mut Checker,
) -> Option<Rc<Listing>> {
    let known = || {
        listings
            .iter()
            .map(|l| format!("{:?}", l.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match name {
        None => match listings {
            [one] => Some(Rc::clone(one)),
            [] => {
                check.push(
                    path,
                    "no listing is defined; describe the product grid in settings.listings first",
                );
                None
            }
            _ => {
                check.push(
                    path,
                    format!("missing field \"listing\" (one of {})", known()),
                );
                None
            }
        },
        Some(v) => {
            let name = check.string(v, &path.key("listing"))?;
            let found = listings.iter().find(|l| l.name == name).cloned();
            if found.is_none() {
                check.push(
                    path.key("listing"),
                    format!(
                        "unknown listing {name:?}; settings.listings defines {}",
                        known()
                    ),
                );
            }
            found
        }
    }
}
