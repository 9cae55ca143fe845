//! Measuring experiments (issue 11): which exposures and conversions a request produces, what
//! Veneer adds to the page for them (its script, the `dataLayer` event), the `/__veneer/collect`
//! body, the flood guard, and the SQL that stores them in D1.
//!
//! Pure: the edge (`src/edge/recording.rs`) hands in the decision, the session's facts and the
//! clock, and sends what comes back to D1, Analytics Engine and the log after the response.
//! Stands beside the request flow, like `console/`: only `edge` uses it.

mod collect;
mod events;
mod flood;
mod page;
// The results API (the console's): not in the shop's wasm module.
#[cfg(console_code)]
mod results;
mod sql;
#[cfg(test)]
mod tests;
mod tracker;

#[cfg(console_code)]
pub use collect::parse_server_conversion;
pub use collect::{COLLECT_PATH, CollectError, MAX_COLLECT_BYTES, collect_events, parse_collect};
pub use events::{Recorded, Visitor};
pub use flood::FloodGuard;
pub use page::measure_page;
#[cfg(console_code)]
pub use results::{analysis, analysis_options, counts_from_rows, results_statements};
#[cfg(console_code)]
pub use sql::server_statements;
pub use sql::{
    FLUSH_DELAY_MS, Param, RetentionClock, Statement, WriteBuffer, retention_statements, statements,
};
