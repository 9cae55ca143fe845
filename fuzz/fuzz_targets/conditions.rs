//! Targeting conditions: a JSON condition, compiled, then evaluated over JSON attributes (the
//! input's second part, or the fixture visitor). Never panics, whatever either holds.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| veneer_fuzz::conditions(data));
