//! The document compiler: any bytes as a rules document. Compiling never panics; whatever
//! compiles decides and renders on every fixture path without panicking, and every problem
//! prints.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| veneer_fuzz::compile_document(data));
