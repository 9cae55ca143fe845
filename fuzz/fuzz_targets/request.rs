//! Visitor attributes from raw request parts: a URL, then header lines (cookies included).
//! Never panics; the attributes are always an object with bounded strings; a cookie removed
//! for forwarding is gone for the one cookie parser too.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| veneer_fuzz::request(data));
