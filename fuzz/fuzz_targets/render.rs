//! Render: a fixture rules document and path (the first byte), a chunk size (the second) and a
//! page (the rest). Never panics; chunked output equals whole output; a plan that matches
//! nothing returns the page byte for byte.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| veneer_fuzz::render_page(data));
