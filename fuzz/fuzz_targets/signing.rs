//! Signed values: preview tokens, sticky-assignment cookies and console sessions, verified
//! from arbitrary text (never panics, never accepts a forgery of a fresh secret), and made then
//! verified (always accepted).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| veneer_fuzz::signing(data));
