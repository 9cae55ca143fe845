//! D1, the database of the audit log and of experiments' exposures and conversions: its binding,
//! and statements bound for it (recording writes them, the console's results read them).

use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

use crate::recording::{Param, Statement};

/// The D1 binding that holds the `exposures` and `conversions` tables.
pub(super) const DB_BINDING: &str = "DB";

/// A statement bound for D1.
pub(super) fn prepare(db: &D1Database, s: &Statement) -> worker::Result<D1PreparedStatement> {
    let values: Vec<JsValue> = s
        .params
        .iter()
        .map(|p| match p {
            Param::Text(t) => JsValue::from_str(t),
            Param::Number(n) => JsValue::from_f64(*n),
        })
        .collect();
    db.prepare(s.sql).bind(&values)
}
