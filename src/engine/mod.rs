//! The decision: which rules and experiments apply to one visitor on one page, and what changes.
//!
//! Pure: `(compiled rules, visitor attributes, path, now) -> Decision`. Time and randomness come
//! in as arguments; the plan of edits it produces is what the renderer carries out.

mod banner;
pub(crate) mod bucketing;
mod decide;
mod explain;
mod merchandising;
mod plan;
mod vary;

pub use decide::{Decision, Visit, decide};
pub use explain::{AssignmentTrace, DEBUG_HEADER, debug_header};
pub use merchandising::{ListingPlan, Slot, SlotItem, TileEdit};
#[cfg(test)]
pub(crate) use plan::ElementEdit;
pub(crate) use plan::HeadInjection;
pub use plan::{Edit, LinkRewrite, Plan};
