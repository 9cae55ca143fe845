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

#[test]
fn results_prints_the_table_of_an_experiments_counts() {
    let args = ["results", "--counts", "fixtures/results/hero-test.json"];
    let (code, stdout, stderr) = veneer(&args, b"");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("hero-test: 2 variation(s), 10040 user(s); sample ratio ok (p = "),
        "{stdout}"
    );
    assert!(
        stdout.contains("bayesian, flat prior, 95% intervals"),
        "{stdout}"
    );
    assert!(
        stdout.contains("purchase (binomial, primary): significant"),
        "{stdout}"
    );
    // 320/5040 against 250/5000 is +27.0% (a flat prior keeps the observed effect).
    let row = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("big-hero") && l.contains("6.35%"))
        .expect("the variation's purchase row");
    assert!(row.contains("+27.0% ["), "{row}");
    assert!(row.trim_end().ends_with("better"), "{row}");
    assert!(stdout.contains("chance to win"));
    // Lower is better for bounces: a drop is reported with its chance of being a win.
    assert!(
        stdout.contains("bounce (binomial, lower is better): inconclusive"),
        "{stdout}"
    );

    let (code, frequentist, _) = veneer(&[&args[..], &["--engine", "frequentist"]].concat(), b"");
    assert_eq!(code, 0);
    assert!(frequentist.contains("frequentist two-sided t-test"));
    assert!(frequentist.contains("p-value") && !frequentist.contains("chance to win"));
}

#[test]
fn results_json_is_the_librarys_analysis() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/results/hero-test.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let counts = veneer::results::Counts::from_json(&text).unwrap();
    for (engine, prior, flags) in [
        ("bayesian", "flat", vec![]),
        ("frequentist", "flat", vec!["--engine", "frequentist"]),
        ("bayesian", "proper", vec!["--prior", "proper"]),
    ] {
        let args = [&["results", "--json", "--counts", path][..], &flags].concat();
        let (code, stdout, stderr) = veneer(&args, b"");
        assert_eq!(code, 0, "{stderr}");
        let printed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let options: veneer::results::Options =
            serde_json::from_value(serde_json::json!({"engine": engine, "prior": prior})).unwrap();
        // Through text as the CLI prints it (serde_json's float parsing may differ in the last
        // bit from the value itself).
        let expected: serde_json::Value = serde_json::from_str(
            &serde_json::to_string(&veneer::results::analyze(&counts, &options)).unwrap(),
        )
        .unwrap();
        assert_eq!(printed, expected, "{flags:?}");
        assert_eq!(printed["options"]["engine"], engine);
        assert_eq!(printed["days"][1]["day"], "2026-12-01");
    }
}

#[test]
fn results_refuses_bad_counts_with_their_paths() {
    let dir = std::env::temp_dir().join(format!("veneer-cli-results-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("counts.json");
    std::fs::write(
        &file,
        r#"{"experiment": "x", "variations": [{"key": "a", "users": 10}, {"key": "b", "users": 10}],
            "metrics": [{"goal": "buy", "kind": "binomial", "totals": [{"sum": 12}, {"sum": 1}]}]}"#,
    )
    .unwrap();
    let (code, stdout, stderr) = veneer(&["results", "--counts", file.to_str().unwrap()], b"");
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    assert!(stderr.contains("1 problem(s):"), "{stderr}");
    assert!(
        stderr.contains("$.metrics[0].totals[0].sum: expected at most the variation's 10 users"),
        "{stderr}"
    );
    std::fs::write(
        &file,
        r#"{"experiment": "x", "variations": [], "metrix": []}"#,
    )
    .unwrap();
    let (code, _, stderr) = veneer(&["results", "--counts", file.to_str().unwrap()], b"");
    assert_eq!(code, 1);
    assert!(
        stderr.contains("$: not valid counts: unknown field `metrix`"),
        "{stderr}"
    );
    let (code, _, stderr) = veneer(
        &[
            "results",
            "--counts",
            "fixtures/results/hero-test.json",
            "--engine",
            "magic",
        ],
        b"",
    );
    assert_eq!(code, 1);
    assert!(
        stderr.contains("--engine takes bayesian or frequentist"),
        "{stderr}"
    );
    let (code, _, stderr) = veneer(&["results"], b"");
    assert_eq!(code, 1);
    assert!(stderr.contains("--counts is required"), "{stderr}");
}

/// The console's mock API (console/dev-server.mjs) serves these files as the results API's
/// answers: they must stay exactly what `veneer results --json` prints for their counts.
#[test]
fn results_of_the_console_demo_are_what_veneer_results_prints() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/results/demo");
    let bless = std::env::var("VENEER_BLESS").is_ok_and(|v| !v.is_empty() && v != "0");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let Some(experiment) = name.strip_suffix(".counts.json") else {
            continue;
        };
        for engine in ["bayesian", "frequentist"] {
            let counts = path.to_str().unwrap();
            let args = ["results", "--json", "--counts", counts, "--engine", engine];
            let (code, stdout, stderr) = veneer(&args, b"");
            assert_eq!(code, 0, "{name}: {stderr}");
            let stored = format!("{dir}/{experiment}.{engine}.json");
            if bless {
                std::fs::write(&stored, &stdout).unwrap();
            }
            let text = std::fs::read_to_string(&stored)
                .unwrap_or_else(|e| panic!("{stored}: {e} (VENEER_BLESS=1 writes it)"));
            let printed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            let kept: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(
                printed, kept,
                "{stored} is not what `veneer results --json --counts {name} --engine {engine}` \
                 prints; if the new numbers are right, rerun with `VENEER_BLESS=1 cargo test \
                 --test cli`"
            );
            assert_eq!(kept["experiment"], experiment);
            assert_eq!(kept["options"]["engine"], engine);
            checked += 1;
        }
    }
    assert_eq!(checked, 6, "three demo experiments, two engines each");
}
