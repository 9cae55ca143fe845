//! Validation messages, checked against snapshot files.
//!
//! Every `fixtures/validation/<case>.json` is a rules document and `<case>.problems` beside it
//! holds what compiling it reports, exactly: one problem's `Display` per line (what
//! `veneer validate` prints for each problem, without its indent), or for a document refused as a
//! whole the one line of its `RulesError`. The example documents `fixtures/rules/<name>.json` are
//! cases too (`validation::rules/<name>`), with their snapshots in `fixtures/validation/rules/`:
//! they must compile without problems, so those files are empty.
//!
//! One test per case (`validation::<case>`); this file has its own `main` (`harness = false` in
//! Cargo.toml): `cargo test --test validation_snapshots -- targeting-errors`. With
//! `VENEER_BLESS=1` a case whose messages changed rewrites its `.problems` file instead of
//! failing; review the change with `git diff fixtures/` before committing it.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};

fn main() {
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut cases = Vec::new();
    for document in documents(&root.join("validation")) {
        let stem = stem(&document);
        let snapshot = document.with_extension("problems");
        cases.push((stem, document, snapshot, false));
    }
    for document in documents(&root.join("rules")) {
        let stem = stem(&document);
        let snapshot = root
            .join("validation/rules")
            .join(format!("{stem}.problems"));
        cases.push((format!("rules/{stem}"), document, snapshot, true));
    }
    let mut trials = Vec::new();
    let snapshots: Vec<PathBuf> = cases.iter().map(|(_, _, s, _)| s.clone()).collect();
    trials.push(Trial::test("validation::snapshot-files", move || {
        snapshot_files(&root, &snapshots)
    }));
    for (name, document, snapshot, example) in cases {
        let test = format!("validation::{name}");
        trials.push(Trial::test(test.clone(), move || {
            check(&document, &snapshot, example, &test)
        }));
    }
    libtest_mimic::run(&args, trials).exit();
}

/// The `.json` files directly in `dir`, sorted.
fn documents(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    found.sort();
    found
}

fn stem(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

/// What compiling the document reports, one message per line (a message with a line break in
/// it would take two).
fn messages(text: &str) -> Vec<String> {
    let messages = match veneer::compile(text) {
        Ok(rules) => rules.problems.iter().map(ToString::to_string).collect(),
        Err(refused) => vec![refused.to_string()],
    };
    messages
        .iter()
        .flat_map(|m| m.lines())
        .map(str::to_owned)
        .collect()
}

fn bless() -> bool {
    std::env::var("VENEER_BLESS").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Compares what compiling `document` reports with `snapshot` (or rewrites it, when blessing).
/// An `example` document must report nothing, blessed or not.
fn check(document: &Path, snapshot: &Path, example: bool, test: &str) -> Result<(), Failed> {
    let text = fs::read_to_string(document)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", document.display()));
    let got = messages(&text);
    if example && !got.is_empty() {
        return Err(format!(
            "{} is an example document and must compile without problems; it reports:\n{}",
            shown(document),
            indent(&got)
        )
        .into());
    }
    let mut file = got.join("\n");
    if !file.is_empty() {
        file.push('\n');
    }
    let snapshot_name = shown(snapshot);
    let document = shown(document);
    let expected: Option<Vec<String>> = match fs::read_to_string(snapshot) {
        Ok(expected) => Some(expected.lines().map(str::to_owned).collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("cannot read {snapshot_name}: {e}"),
    };
    // Lines are compared, so a snapshot checked out with CRLF line endings still matches.
    if expected.as_ref() == Some(&got) {
        return Ok(());
    }
    if bless() {
        if let Some(dir) = snapshot.parent() {
            fs::create_dir_all(dir).unwrap();
        }
        fs::write(snapshot, &file).unwrap_or_else(|e| panic!("cannot write {snapshot_name}: {e}"));
        println!("{test}: wrote {snapshot_name} ({} line(s))", got.len());
        return Ok(());
    }
    let how = format!(
        "if the new messages are right, rerun with `VENEER_BLESS=1 cargo test --test \
         validation_snapshots -- --exact {test}` to rewrite {snapshot_name}, and review `git diff`"
    );
    match expected {
        None => Err(format!(
            "{snapshot_name} is missing; compiling {document} reports:\n{}\n{how}",
            indent(&got)
        )
        .into()),
        Some(expected) => Err(format!(
            "the problems of {document} differ from {snapshot_name} (- snapshot, + now):\n{}{how}",
            diff(&expected, &got)
        )
        .into()),
    }
}

/// Every `.problems` file under `fixtures/validation` belongs to a document, and there are cases.
fn snapshot_files(root: &Path, snapshots: &[PathBuf]) -> Result<(), Failed> {
    let mut orphans = Vec::new();
    for dir in [root.join("validation"), root.join("validation/rules")] {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|x| x == "problems") && !snapshots.contains(&path) {
                orphans.push(shown(&path));
            }
        }
    }
    if snapshots.len() < 8 {
        return Err(format!("only {} validation case(s) found", snapshots.len()).into());
    }
    if orphans.is_empty() {
        Ok(())
    } else {
        orphans.sort();
        Err(format!(
            "snapshot(s) with no document beside them (rename or delete them): {}",
            orphans.join(", ")
        )
        .into())
    }
}

fn shown(path: &Path) -> String {
    path.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path)
        .display()
        .to_string()
}

fn indent(lines: &[String]) -> String {
    if lines.is_empty() {
        return "  (no problems)".to_owned();
    }
    lines
        .iter()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A line diff by longest common subsequence (the lists are short): `  ` kept, `- ` only in the
/// snapshot, `+ ` only in what compiling reports now.
fn diff(old: &[String], new: &[String]) -> String {
    let (n, m) = (old.len(), new.len());
    let mut lcs = vec![vec![0_usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if old[i] == new[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = String::new();
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            let _ = writeln!(out, "  {}", old[i]);
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            let _ = writeln!(out, "- {}", old[i]);
            i += 1;
        } else {
            let _ = writeln!(out, "+ {}", new[j]);
            j += 1;
        }
    }
    out
}
