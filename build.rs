//! Declares the cfg `console_code`: where the console's pure code is compiled. That is natively
//! (the tests, the command line, the fuzz targets) and in the wasm module built with the
//! `console` feature, never in the shop's module (ARCHITECTURE.md, "Two wasm modules"). One name
//! instead of `any(feature = "console", not(target_arch = "wasm32"))` at every item.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(console_code)");
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|arch| arch == "wasm32");
    if !wasm || std::env::var_os("CARGO_FEATURE_CONSOLE").is_some() {
        println!("cargo::rustc-cfg=console_code");
    }
}
