//! Fuzz regressions: every input kept under `fuzz/regressions/<target>/` (a crash a fuzz target
//! once found, see `scripts/fuzz.sh`) replayed through that target's checks, natively, on the
//! stable toolchain. The checks are the fuzz targets' own (`fuzz/src/checks.rs`, included here),
//! so a kept input fails here exactly as it failed under the fuzzer until its bug is fixed.
//!
//! One test per file (`fuzz::<target>::<file>`), plus `fuzz::<target>::empty` for each target.
//! Its own `main` (`harness = false`): `cargo test --test fuzz_regressions -- render`.

use std::fs;
use std::path::Path;

use libtest_mimic::{Arguments, Trial};

#[allow(dead_code)]
#[path = "../fuzz/src/checks.rs"]
mod checks;

fn main() {
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut trials = Vec::new();
    for (target, check) in checks::TARGETS {
        trials.push(Trial::test(format!("fuzz::{target}::empty"), move || {
            check(b"");
            Ok(())
        }));
        let dir = root.join(target);
        let mut files: Vec<_> = fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.is_file())
            .collect();
        files.sort();
        for path in files {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            trials.push(Trial::test(format!("fuzz::{target}::{name}"), move || {
                let data = fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                check(&data);
                Ok(())
            }));
        }
    }
    let known: Vec<&str> = checks::TARGETS.iter().map(|(t, _)| *t).collect();
    trials.push(Trial::test("fuzz::regression-folders", move || {
        for entry in fs::read_dir(&root).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().is_dir() && !known.contains(&name.as_str()) {
                return Err(
                    format!("fuzz/regressions/{name} is no fuzz target ({known:?})").into(),
                );
            }
        }
        Ok(())
    }));
    libtest_mimic::run(&args, trials).exit();
}
