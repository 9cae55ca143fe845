//! The `veneer` binary, run as a marketer or CI would run it.

use std::io::Write;
use std::process::{Command, Stdio};

fn veneer(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_veneer"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn validate_accepts_every_example_document() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/rules");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let (code, stdout, stderr) = veneer(&["validate", path.to_str().unwrap()], b"");
        assert_eq!(code, 0, "{}: {stderr}", path.display());
        assert!(stdout.contains(": ok, version "), "{stdout}");
        seen += 1;
    }
    assert!(seen >= 1);
}

#[test]
fn validate_reports_every_problem_and_fails() {
    let dir = std::env::temp_dir().join(format!("veneer-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.json");
    std::fs::write(
        &file,
        r#"{"rules": [{"id": "a", "actions": [{"select": "h1", "set_txt": "x"}]},
                      {"id": "b", "pages": ["cart"], "actions": []}]}"#,
    )
    .unwrap();
    let (code, stdout, stderr) = veneer(&["validate", file.to_str().unwrap()], b"");
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    assert!(stderr.contains("3 problem(s):"), "{stderr}");
    assert!(stderr.contains("$.rules[0].actions[0].set_txt: unknown field \"set_txt\""));
    assert!(stderr.contains("$.rules[0].actions[0]: expected one operation"));
    assert!(stderr.contains("$.rules[1].pages[0]: expected a path starting with \"/\""));
}

#[test]
fn render_applies_the_rules_for_the_given_url() {
    let page = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/storefront/index.html"
    ))
    .unwrap();
    let args = [
        "render",
        "--rules",
        "fixtures/rules/demo.json",
        "--url",
        "https://shop.example/?utm_source=x",
    ];
    let (code, stdout, stderr) = veneer(&args, &page);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("<h1>Black Friday on the trail</h1>"));
    let (_, search, _) = veneer(
        &[
            "render",
            "--rules",
            "fixtures/rules/demo.json",
            "--url",
            "/search",
        ],
        &page,
    );
    assert!(
        !search.contains("Black Friday on the trail"),
        "home-only rule applied to /search"
    );
    assert!(search.contains("30% off all trail shoes"));
}
