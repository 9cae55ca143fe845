//! Native benchmarks: `cargo bench --bench veneer` (see docs/benchmarks.md).
//!
//! - render: Veneer's full path (decide + StreamRewriter) on real-world pages with 0, 20 and
//!   200 rules, side by side with a hand-written lol_html program making the same edits;
//!   interleaved rounds, medians, MB/s and the ratio.
//! - decide: time per request with 10, 1,000 and 10,000 rules of which 10 match the path.
//! - `-- --floor DIR` (run by `node bench/edge.mjs` for its element-only workload): the native
//!   floor on the edge benchmark's own pages. DIR holds `edits.json` (bench/elements.mjs's 20
//!   edits), `rules-elements.json` (the same as Veneer rules) and `pages.json` (`[[name, file]]`);
//!   prints one JSON line per page: CPU ms per page of a hand-written lol_html program making the
//!   edits, and of Veneer's own path (decide + StreamRewriter), natively, in 64 KiB chunks.
//!
//! A small harness instead of criterion keeps the dependency tree lean; every figure is the
//! median of several interleaved rounds, and ratios are taken within a round. Times are the
//! thread's CPU time (the machine is shared: wall-clock time counts other processes' turns). With `--write`,
//! the report also replaces `docs/benchmarks-native.md`.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt::Write as _;
use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use lol_html::html_content::{ContentType, Element};
use lol_html::{ElementContentHandlers, Selector, Settings};
use serde_json::{Value, json};
use veneer::StreamRewriter;
use veneer::compile;
use veneer::{Visit, decide};
// lol_html's rewriter as Veneer compiles it (crates/rewriter, opt-level 3): a hand-written
// program built with `HtmlRewriter` here would compile lol_html's generic code at this
// package's level (z), and the comparison would be of builds, not of programs.
use veneer_rewriter::Rewriter;

const CHUNK: usize = 16 * 1024;

/// The 20 realistic edits: what a storefront's marketers do in a busy week.
fn edits() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        ("title", "set_text", "Black Friday | Shop"),
        ("h1", "set_text", "Made to last"),
        ("h2", "append", " <span class=\"badge\">New</span>"),
        ("header nav a", "add_class", "promo"),
        ("a[href^=\"https://\"]", "set_attribute", "rel"),
        ("img", "set_attribute", "loading"),
        (
            "footer",
            "prepend",
            "<div class=\"promo-bar\">Free shipping</div>",
        ),
        ("p.lead", "set_html", "<strong>-30%</strong> on everything"),
        ("div.banner", "remove", ""),
        (
            "ul li:first-child",
            "insert_before",
            "<li class=\"pin\">Pinned</li>",
        ),
        ("table caption", "set_text", "Prices"),
        ("#main-nav", "add_class", "sale"),
        ("pre", "add_class", "code"),
        ("code", "set_attribute", "translate"),
        ("section > h2", "add_class", "section-title"),
        ("form", "set_attribute", "data-veneer"),
        ("button", "add_class", "cta"),
        ("meta[name=\"description\"]", "set_attribute", "content"),
        ("span.secnum", "append", "."),
        ("body", "append", "<div id=\"veneer-note\"></div>"),
    ]
}

fn action_json(select: &str, op: &str, value: &str) -> Value {
    match op {
        "set_attribute" => json!({"select": select, "set_attribute": {value: "x"}}),
        "remove" => json!({"select": select, "remove": true}),
        "add_class" => json!({"select": select, "add_class": value}),
        _ => json!({"select": select, op: value}),
    }
}

/// A rules document with `n` rules for this page: the 20 edits (when n >= 20), then rules
/// whose selectors this page mostly lacks (every one still goes to lol_html's matcher).
fn rules_doc(n: usize) -> String {
    let mut rules = Vec::new();
    for (i, (select, op, value)) in edits().into_iter().enumerate().take(n) {
        rules.push(json!({"id": format!("edit-{i}"), "actions": [action_json(select, op, value)]}));
    }
    for i in rules.len()..n {
        rules.push(json!({"id": format!("other-{i}"),
            "actions": [{"select": format!("div.promo-{i} > p"), "set_text": "x"}]}));
    }
    json!({"rules": rules}).to_string()
}

/// The same 20 edits, written by hand against lol_html.
fn hand_written(html: &[u8]) -> usize {
    let mut settings = Settings::new();
    for (select, op, value) in edits() {
        let selector: Selector = select.parse().expect("bench selectors parse");
        let handler = ElementContentHandlers::default().element(move |el: &mut Element| {
            match op {
                "set_text" => el.set_inner_content(value, ContentType::Text),
                "set_html" => el.set_inner_content(value, ContentType::Html),
                "append" => el.append(value, ContentType::Html),
                "prepend" => el.prepend(value, ContentType::Html),
                "insert_before" => el.before(value, ContentType::Html),
                "remove" => el.remove(),
                "set_attribute" => el.set_attribute(value, "x").expect("valid name"),
                _ => {
                    let class = el.get_attribute("class").unwrap_or_default();
                    let joined = if class.is_empty() {
                        value.to_owned()
                    } else {
                        format!("{class} {value}")
                    };
                    el.set_attribute("class", &joined).expect("valid name");
                }
            }
            Ok(())
        });
        settings = settings.append_element_content_handler((Cow::Owned(selector), handler));
    }
    let total = Rc::new(Cell::new(0usize));
    let count = Rc::clone(&total);
    let mut rewriter = Rewriter::new(
        settings,
        Box::new(move |c: &[u8]| count.set(count.get() + c.len())),
    );
    for chunk in html.chunks(CHUNK) {
        rewriter.write(chunk).expect("hand-written rewrite");
    }
    rewriter.end().expect("hand-written end");
    total.get()
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z")
        .expect("time")
        .with_timezone(&Utc)
}

/// Veneer's own path for one request: decide, then stream the page through the rewriter.
fn veneer(rules: &veneer::CompiledRules, html: &[u8]) -> usize {
    let attrs = json!({"country": "DE", "device": "desktop", "bot": false});
    let decision = decide(rules, &Visit::new(&attrs, "/", now()), false);
    let mut rewriter = StreamRewriter::new(&decision.plan, Some("utf-8"));
    let mut out = 0;
    for chunk in html.chunks(CHUNK) {
        out += rewriter.write(chunk).len();
    }
    out + rewriter.end().len()
}

/// A category page of `tiles` product tiles, like the demo storefront's.
fn category_page(tiles: usize) -> Vec<u8> {
    let mut html = String::from(
        "<!doctype html><html><head><title>Shoes</title><link rel=stylesheet href=/a.css></head>\
         <body><header><nav><a href=/>Home</a> <a href=/c/shoes>Shoes</a></nav></header>\
         <main><h1>Shoes</h1><p class=result-count>200 products</p><ul class=\"product-grid\">\n",
    );
    for i in 0..tiles {
        let lazy = if i >= 4 { " loading=\"lazy\"" } else { "" };
        let _ = write!(
            html,
            "  <li class=\"product-tile\" data-sku=\"SKU-{i}\">\n    <a href=\"/p/shoe-{i}\"><img src=\"/img/{i}.jpg\" alt=\"Shoe {i}\" width=\"240\" height=\"180\"{lazy}></a>\n    \
             <h3 class=\"product-name\"><a href=\"/p/shoe-{i}\">Trail shoe {i}</a></h3>\n    \
             <p class=\"price\" data-price=\"{i}.00\">€{i}.00</p>\n    <span class=\"badge-slot\"></span>\n  </li>\n"
        );
    }
    html.push_str("</ul></main><footer><p>© Shop</p></footer></body></html>");
    html.into_bytes()
}

/// Commerce: a 200-tile category page with pin + badge + hide rules against no rules, same run.
fn commerce(rounds: usize, budget: Duration, report: &mut String) {
    let html = category_page(200);
    let listing = json!({"grid": {"container": "ul.product-grid", "tile": ".product-tile",
        "key": {"attribute": "data-sku"}, "price": ".price"}});
    let none = compile(&json!({"settings": {"listings": listing}, "rules": []}).to_string())
        .expect("compile");
    let merch = compile(
        &json!({"settings": {"listings": listing}, "rules": [
            {"id": "pin", "actions": [{"pin": {"products": ["SKU-150", "SKU-99", "SKU-7"]}}]},
            {"id": "badge", "actions": [{"badge": {"products": ["SKU-3", "SKU-150", "SKU-42"],
                "into": ".badge-slot", "html": "<span class=\"badge\">Sale</span>"}}]},
            {"id": "hide", "actions": [{"hide": {"products": ["SKU-10", "SKU-11", "SKU-12"]}}]}
        ]})
        .to_string(),
    )
    .expect("compile");
    let streamed = compile(
        &json!({"settings": {"listings": listing}, "rules": [
            {"id": "badge", "actions": [{"badge": {"products": ["SKU-3", "SKU-150", "SKU-42"],
                "into": ".badge-slot", "html": "<span class=\"badge\">Sale</span>"}}]},
            {"id": "hide", "actions": [{"hide": {"products": ["SKU-10", "SKU-11", "SKU-12"]}}]}
        ]})
        .to_string(),
    )
    .expect("compile");
    let plain_rule = compile(
        &json!({"settings": {"listings": listing}, "rules": [
            {"id": "h1", "actions": [{"select": "h1", "set_text": "Trail shoes"}]}
        ]})
        .to_string(),
    )
    .expect("compile");
    for r in [&none, &merch, &streamed, &plain_rule] {
        assert!(r.problems.is_empty(), "{:?}", r.problems);
    }
    // The merchandised page really is merchandised.
    let attrs = json!({});
    let plan = decide(&merch, &Visit::new(&attrs, "/c/shoes", now()), false).plan;
    let out = veneer::render(&plan, &html);
    let text = String::from_utf8_lossy(&out);
    let first = text.find("data-sku=\"SKU-").map(|i| &text[i..i + 17]);
    assert_eq!(first, Some("data-sku=\"SKU-150"), "pinned first");
    assert!(!text.contains("SKU-11\""), "hidden");
    let (mut plain, mut merchandised, mut streaming, mut one_rule, mut ratios) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let a = time_per_call(budget, || {
            black_box(veneer_on(&none, black_box(&html), "/c/shoes"));
        });
        let b = time_per_call(budget, || {
            black_box(veneer_on(&merch, black_box(&html), "/c/shoes"));
        });
        let c = time_per_call(budget, || {
            black_box(veneer_on(&streamed, black_box(&html), "/c/shoes"));
        });
        let d = time_per_call(budget, || {
            black_box(veneer_on(&plain_rule, black_box(&html), "/c/shoes"));
        });
        let mb = html.len() as f64 / 1e6;
        one_rule.push(mb / d);
        plain.push(mb / a);
        merchandised.push(mb / b);
        streaming.push(mb / c);
        ratios.push(a / b);
    }
    let mut line = |l: String| {
        println!("{l}");
        let _ = writeln!(report, "{l}");
    };
    line(format!(
        "## Commerce: a category page of 200 tiles ({} KB), median of {rounds} interleaved rounds\n",
        html.len() / 1000
    ));
    line("| rules | MB/s | µs per page |".into());
    line("| --- | ---: | ---: |".into());
    let kb = html.len() as f64 / 1e6;
    for (name, v) in [
        ("none (the listing defined, no rule)", &plain),
        (
            "pin 3 + badge 3 + hide 3 (the listing held and reordered)",
            &merchandised,
        ),
        ("badge 3 + hide 3 (streamed, nothing held)", &streaming),
        (
            "one set_text on h1 (any rewriting: lol_html parses every tag)",
            &one_rule,
        ),
    ] {
        let m = median(v.clone());
        line(format!("| {name} | {m:.1} | {:.0} |", kb / m * 1e6));
    }
    line(format!(
        "\nWith pin + badge + hide the page renders at {:.2} × the speed of the same page with no rules.\n",
        median(ratios)
    ));
}

/// Veneer's path for one request on `path`.
fn veneer_on(rules: &veneer::CompiledRules, html: &[u8], path: &str) -> usize {
    let attrs = json!({"bot": false});
    let decision = decide(rules, &Visit::new(&attrs, path, now()), false);
    let mut rewriter = StreamRewriter::new(&decision.plan, Some("utf-8"));
    let mut out = 0;
    for chunk in html.chunks(CHUNK) {
        out += rewriter.write(chunk).len();
    }
    out + rewriter.end().len()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs `f` repeatedly for about `budget`, returning seconds per call.
fn time_per_call(budget: Duration, mut f: impl FnMut()) -> f64 {
    f();
    let start = Instant::now();
    let mut calls = 0u32;
    while start.elapsed() < budget {
        f();
        calls += 1;
    }
    start.elapsed().as_secs_f64() / f64::from(calls)
}

/// The element-only edits of bench/elements.mjs, by hand against lol_html (the native floor).
fn hand_written_listing(edits: &[Value], html: &[u8]) -> usize {
    let mut settings = Settings::new();
    for edit in edits {
        let selector: Selector = edit["select"]
            .as_str()
            .expect("edit select")
            .parse()
            .expect("edit selectors parse");
        let edit = edit.clone();
        let handler = ElementContentHandlers::default().element(move |el: &mut Element| {
            if let Some(html) = edit["html"].as_str() {
                el.set_inner_content(html, ContentType::Html);
            } else if let Some(text) = edit["text"].as_str() {
                el.set_inner_content(text, ContentType::Text);
            } else if let Some(add) = edit["addClass"].as_str() {
                let class = el.get_attribute("class").unwrap_or_default();
                if !class.split_ascii_whitespace().any(|c| c == add) {
                    let joined = if class.is_empty() {
                        add.to_owned()
                    } else {
                        format!("{class} {add}")
                    };
                    el.set_attribute("class", &joined).expect("valid name");
                }
            } else if let (Some(name), Some(value)) =
                (edit["attr"][0].as_str(), edit["attr"][1].as_str())
            {
                el.set_attribute(name, value).expect("valid name");
            }
            Ok(())
        });
        settings = settings.append_element_content_handler((Cow::Owned(selector), handler));
    }
    let total = Rc::new(Cell::new(0usize));
    let count = Rc::clone(&total);
    let mut rewriter = Rewriter::new(
        settings,
        Box::new(move |c: &[u8]| count.set(count.get() + c.len())),
    );
    for chunk in html.chunks(64 * 1024) {
        rewriter.write(chunk).expect("hand-written rewrite");
    }
    rewriter.end().expect("hand-written end");
    total.get()
}

/// Veneer's own path on a listing page (decide for `path`, then the rewriter), 64 KiB chunks.
fn veneer_listing(rules: &veneer::CompiledRules, path: &str, html: &[u8]) -> usize {
    let attrs = json!({"country": "DE", "device": "desktop", "bot": false});
    let decision = decide(rules, &Visit::new(&attrs, path, now()), false);
    let mut rewriter = StreamRewriter::new(&decision.plan, Some("utf-8"));
    let mut out = 0;
    for chunk in html.chunks(64 * 1024) {
        out += rewriter.write(chunk).len();
    }
    out + rewriter.end().len()
}

/// CPU time this thread has run, from /proc/thread-self/schedstat (nanoseconds), if readable.
fn thread_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace()
        .next()?
        .parse()
        .ok()
        .map(Duration::from_nanos)
}

/// Like [`time_per_call`], in CPU seconds of this thread (a shared machine's wall clock counts
/// the time other processes ran; the kernel's figure moves at scheduler ticks, so budgets of
/// hundreds of milliseconds keep that error near 1%); wall-clock seconds where it does not say.
fn cpu_per_call(budget: Duration, mut f: impl FnMut()) -> f64 {
    let Some(cpu0) = thread_cpu() else {
        return time_per_call(budget, f);
    };
    f();
    let start = Instant::now();
    let cpu1 = thread_cpu().unwrap_or(cpu0);
    let mut calls = 0u32;
    while start.elapsed() < budget || calls == 0 {
        f();
        calls += 1;
    }
    let used = thread_cpu().unwrap_or(cpu1).saturating_sub(cpu1);
    // The kernel updates the figure at scheduler ticks: a run shorter than one reads as zero.
    let seconds = if used.is_zero() {
        start.elapsed()
    } else {
        used
    };
    seconds.as_secs_f64() / f64::from(calls)
}

/// `--floor DIR`: the native floor for the edge benchmark's element-only workload (see above).
fn floor(dir: &str) {
    let read = |f: &str| std::fs::read_to_string(format!("{dir}/{f}")).expect("floor input");
    let edits: Vec<Value> = serde_json::from_str(&read("edits.json")).expect("edits.json");
    let rules = compile(&read("rules-elements.json")).expect("rules compile");
    assert!(rules.problems.is_empty(), "{:?}", rules.problems);
    let pages: Vec<(String, String, String)> =
        serde_json::from_str(&read("pages.json")).expect("pages.json");
    let rounds = 5;
    for (name, file, path) in pages {
        let html = std::fs::read(format!("{dir}/{file}")).expect("floor page");
        let budget = Duration::from_millis(400);
        let (mut hand, mut ours) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            hand.push(cpu_per_call(budget, || {
                black_box(hand_written_listing(&edits, black_box(&html)));
            }));
            ours.push(cpu_per_call(budget, || {
                black_box(veneer_listing(&rules, &path, black_box(&html)));
            }));
        }
        println!(
            "{}",
            json!({"page": name, "bytes": html.len(), "handMs": median(hand) * 1e3, "veneerMs": median(ours) * 1e3})
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--floor") {
        floor(args.get(i + 1).map(String::as_str).unwrap_or("."));
        return;
    }
    let mut report = String::new();
    macro_rules! outln {
        ($($arg:tt)*) => {{
            let line = format!($($arg)*);
            println!("{line}");
            let _ = writeln!(report, "{line}");
        }};
    }
    let quick = std::env::args().any(|a| a == "--quick");
    // `cargo test --all-targets` runs this without `--bench`: then every case runs once, as a
    // smoke test of the benchmark itself (its timings mean nothing in a debug build).
    let smoke = !std::env::args().any(|a| a == "--bench");
    let (rounds, budget) = if smoke {
        (1, Duration::from_millis(1))
    } else if quick {
        (3, Duration::from_millis(150))
    } else {
        (7, Duration::from_millis(600))
    };
    let root = env!("CARGO_MANIFEST_DIR");
    let pages = [
        "fixtures/storefront/category.html",
        "fixtures/corpus/cloudflare.com.html",
        "fixtures/corpus/ecma402-spec.html",
        "fixtures/corpus/html-parsing-spec.html",
    ];
    let mut twenty_rule_ratios = Vec::new();
    let mut decide_us = Vec::new();
    outln!("## Native render throughput (median of {rounds} interleaved rounds, 16 KiB chunks)\n");
    outln!(
        "| page | size | rules | Veneer MB/s | hand-written lol_html MB/s | Veneer / hand-written |"
    );
    outln!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for page in pages {
        let html = std::fs::read(format!("{root}/{page}")).expect("bench page");
        let name = page.rsplit('/').next().unwrap_or(page);
        for n in [0, 20, 200] {
            let rules = compile(&rules_doc(n)).expect("bench rules compile");
            assert!(rules.problems.is_empty(), "{:?}", rules.problems);
            let (mut ours, mut theirs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..rounds {
                let a = cpu_per_call(budget, || {
                    black_box(veneer(&rules, black_box(&html)));
                });
                let b = cpu_per_call(budget, || {
                    black_box(hand_written(black_box(&html)));
                });
                let mb = html.len() as f64 / 1e6;
                ours.push(mb / a);
                theirs.push(mb / b);
                ratios.push(b / a);
            }
            let hand = if n == 20 {
                format!("{:.1}", median(theirs))
            } else {
                "–".into()
            };
            let ratio = if n == 20 {
                twenty_rule_ratios.push((name, median(ratios.clone())));
                format!("{:.2}", median(ratios))
            } else {
                "–".into()
            };
            outln!(
                "| {name} | {} KB | {n} | {:.1} | {hand} | {ratio} |",
                html.len() / 1000,
                median(ours)
            );
        }
    }
    outln!(
        "\nThe hand-written program makes the 20 edits only; the ratio is reported for 20 rules.\n"
    );
    commerce(rounds, budget, &mut report);
    outln!("## Decide time per request (10 rules match the path)\n");
    outln!("| rules in the document | decide µs (median) |");
    outln!("| ---: | ---: |");
    for total in [10usize, 1_000, 10_000] {
        let mut rules = Vec::new();
        for i in 0..total {
            let page = if i < 10 {
                "/c/shoes".to_owned()
            } else {
                format!("/campaign-{i}/*")
            };
            rules.push(json!({"id": format!("r{i}"), "pages": [page],
                "audience": {"country": {"$in": ["DE", "AT"]}, "device": {"$ne": "tablet"}},
                "schedule": {"start": "2026-11-01T00:00:00+01:00", "end": "2026-12-31T00:00:00+01:00"},
                "actions": [{"select": format!(".promo-{i}"), "set_text": "Hello {{country}}"}]}));
        }
        let compiled = compile(&json!({"rules": rules}).to_string()).expect("compile");
        let attrs = json!({"country": "DE", "device": "desktop", "bot": false, "query": {}});
        let mut samples = Vec::new();
        for _ in 0..rounds {
            samples.push(cpu_per_call(budget, || {
                let d = decide(&compiled, &Visit::new(&attrs, "/c/shoes", now()), false);
                assert_eq!(d.plan.elements.len(), 10);
                black_box(d);
            }));
        }
        let us = median(samples) * 1e6;
        decide_us.push((total, us));
        outln!("| {total} | {us:.2} |");
    }
    outln!("\n## Budgets\n");
    outln!("| budget | result | numbers |");
    outln!("| --- | --- | --- |");
    let worst = twenty_rule_ratios
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .copied()
        .unwrap_or(("–", f64::NAN));
    outln!(
        "| render with 20 rules ≥ 0.9 × the hand-written lol_html program, every page | **{}** | lowest ratio {:.2} ({}) |",
        if worst.1 >= 0.9 { "PASS" } else { "MISS" },
        worst.1,
        worst.0
    );
    if let Some((total, us)) = decide_us.last() {
        outln!(
            "| decide with {total} rules, 10 matching the path, < 20 µs | **{}** | {us:.2} µs |",
            if *us < 20.0 { "PASS" } else { "MISS" }
        );
    }
    if std::env::args().any(|a| a == "--write") {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|c| {
                c.lines()
                    .find(|l| l.starts_with("model name"))
                    .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
            })
            .unwrap_or_default();
        let date = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| DateTime::<Utc>::from_timestamp(d.as_secs() as i64, 0))
            .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default();
        let commit = std::process::Command::new("git")
            .args(["rev-parse", "--short", "HEAD"])
            .current_dir(root)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default();
        let header = format!(
            "# Native benchmarks\n\nGenerated by `cargo bench --bench veneer -- --write` (do not edit by hand); \
             `-- --quick` for a short run that writes nothing. Run on {date} at git {commit}; machine: {} cores, {cpu}. \
             Figures are medians of interleaved rounds of the thread's CPU time; the machine is shared, so read the ratios. \
             The edge benchmarks (workerd) are in [benchmarks.md](benchmarks.md).\n\n",
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(0)
        );
        let path = format!("{root}/docs/benchmarks-native.md");
        if let Err(e) = std::fs::write(&path, header + &report) {
            eprintln!("could not write {path}: {e}");
        }
    }
}
