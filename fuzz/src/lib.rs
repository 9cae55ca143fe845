//! Veneer's fuzz targets share their checks (`checks.rs`) with the native regression test.

mod checks;

pub use checks::*;
