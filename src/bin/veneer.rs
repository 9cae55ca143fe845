//! The `veneer` command: the edge's own engine for marketers and CI.
//!
//! Every command runs the same code as the edge (`rules::compile`, `decide::decide`,
//! `rewrite::StreamRewriter`), so what it shows is what visitors get.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use veneer::growthbook::{Condition, EvalContext, NoAudiences};
use veneer::render;
use veneer::results::{
    Comparison, Counts, Effect, Engine, MetricKind, MetricResult, MetricStatus, Options, Prior,
    Results, SrmStatus, Verdict, analyze,
};
use veneer::{CompiledRules, compile, schema};
use veneer::{ContextSettings, Geo, RequestFacts, attributes};
use veneer::{Decision, Visit, decide};
use veneer::{make_preview_token, parse_duration, rfc3339_utc};

const USAGE: &str = "\
usage:
  veneer validate RULES.json
  veneer render  --rules RULES.json [--context CONTEXT.json] [--url URL] [--now TIME] [--force EXP:VAR,...] < page.html > out.html
  veneer explain --rules RULES.json [--context CONTEXT.json] --url URL [--now TIME] [--force EXP:VAR,...]
  veneer eval --condition JSON --attributes JSON [--groups JSON]
  veneer schema
  veneer preview-token [--secret SECRET] [--ttl 1h]   (SECRET defaults to $VENEER_SECRET)
  veneer results --counts COUNTS.json [--engine bayesian|frequentist] [--prior flat|proper] [--json]

CONTEXT.json is a JSON object of visitor attributes (see README); --url sets the page and
the url, host, path, query and utm_* attributes it carries (over the context's);
--now (RFC 3339) sets the clock, else the context's \"now\", else the current time.
COUNTS.json is an experiment's per-variation counts, as the results API reads them
(docs/results.md); results prints the table, or with --json the API's JSON.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    let result = match args.first().map(String::as_str) {
        Some("validate") => validate(rest),
        Some("render") => render_page(rest),
        Some("explain") => explain(rest),
        Some("eval") => eval(rest),
        Some("schema") => print_json(&schema()),
        Some("preview-token") => preview_token(rest),
        Some("results") => results(rest),
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("expected a command\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn print_json(value: &Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

/// Reads and compiles a rules file, turning every problem into one error text.
fn load(path: &str) -> Result<CompiledRules, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let rules = compile(&text).map_err(|e| format!("{path}: {e}"))?;
    if rules.problems.is_empty() {
        Ok(rules)
    } else {
        let lines: Vec<String> = rules.problems.iter().map(|p| format!("  {p}")).collect();
        Err(format!(
            "{path}: {} problem(s):\n{}",
            rules.problems.len(),
            lines.join("\n")
        ))
    }
}

fn validate(args: &[String]) -> Result<(), String> {
    let [path] = args else {
        return Err(format!("validate takes one file\n{USAGE}"));
    };
    let rules = load(path)?;
    let actions: usize = rules.rules.iter().map(|r| r.actions.len()).sum::<usize>()
        + rules
            .experiments
            .iter()
            .flat_map(|e| &e.variations)
            .map(|v| v.actions.len())
            .sum::<usize>();
    println!(
        "{path}: ok, version {}, {} rule(s), {} experiment(s), {} audience(s), {actions} action(s)",
        rules.version.as_deref().unwrap_or("(none)"),
        rules.rules.len(),
        rules.experiments.len(),
        rules.audiences.len(),
    );
    Ok(())
}

/// Parses `--flag value` pairs, refusing unknown flags.
fn flags(args: &[String], known: &[&str]) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        if !known.contains(&flag.as_str()) {
            return Err(format!("unknown option {flag}\n{USAGE}"));
        }
        let value = rest
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        out.insert(flag.clone(), value.clone());
    }
    Ok(out)
}

fn json_arg(text: &str, what: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("{what} is not valid JSON: {e}"))
}

/// Decides for the visitor and page the flags describe, exactly as the edge would.
fn decision_for(flags: &HashMap<String, String>) -> Result<(Decision, String), String> {
    let rules_path = flags
        .get("--rules")
        .ok_or_else(|| format!("--rules is required\n{USAGE}"))?;
    let rules = load(rules_path)?;
    let mut context = match flags.get("--context") {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
            json_arg(&text, path)?
        }
        None => Value::Object(Map::new()),
    };
    let Some(object) = context.as_object_mut() else {
        return Err("the context must be a JSON object of visitor attributes".into());
    };
    let url = flags.get("--url").cloned().unwrap_or_else(|| "/".into());
    let absolute = if url.contains("://") {
        url.clone()
    } else {
        format!("https://localhost{url}")
    };
    let headers = http::HeaderMap::new();
    let from_url = attributes(
        &RequestFacts {
            url: &absolute,
            headers: &headers,
            geo: Geo::default(),
            now: DateTime::<Utc>::from(std::time::SystemTime::now()),
            visitor_id: None,
            returning: false,
        },
        &ContextSettings::default(),
    );
    // --url decides the page and its URL attributes; without it, the context's own apply.
    let url_keys = [
        "url",
        "host",
        "path",
        "query",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_term",
        "utm_content",
    ];
    for key in url_keys {
        if let Some(v) = from_url.get(key) {
            if flags.contains_key("--url") {
                object.insert(key.to_owned(), v.clone());
            } else {
                object.entry(key).or_insert_with(|| v.clone());
            }
        }
    }
    let path = object
        .get("path")
        .and_then(Value::as_str)
        .unwrap_or("/")
        .to_owned();
    let now = match flags
        .get("--now")
        .map(String::as_str)
        .or_else(|| object.get("now").and_then(Value::as_str))
    {
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map_err(|e| format!("the time {t:?} is not RFC 3339: {e}"))?
            .with_timezone(&Utc),
        None => DateTime::<Utc>::from(std::time::SystemTime::now()),
    };
    let forced: Vec<(String, String)> = match flags.get("--force") {
        Some(list) => parse_forced(list)?,
        None => Vec::new(),
    };
    let visit = Visit {
        secure: absolute.starts_with("https://"),
        preview: !forced.is_empty(),
        forced: &forced,
        ..Visit::new(&context, &path, now)
    };
    Ok((decide(&rules, &visit, true), path))
}

/// Parses `exp:variation,exp2:variation` (the same form as the edge's `veneer_force`).
fn parse_forced(list: &str) -> Result<Vec<(String, String)>, String> {
    list.split(',')
        .map(|pair| {
            pair.split_once(':')
                .map(|(e, v)| (e.trim().to_owned(), v.trim().to_owned()))
                .ok_or_else(|| format!("--force takes experiment:variation pairs, found {pair:?}"))
        })
        .collect()
}

fn render_page(args: &[String]) -> Result<(), String> {
    let flags = flags(args, &["--rules", "--context", "--url", "--now", "--force"])?;
    let (decision, _) = decision_for(&flags)?;
    let mut page = Vec::new();
    std::io::stdin()
        .read_to_end(&mut page)
        .map_err(|e| format!("reading the page from stdin: {e}"))?;
    let out = match &decision.redirect {
        Some((status, location)) => {
            eprintln!("this visitor is redirected ({status}) to {location}");
            page
        }
        None => render(&decision.plan, &page),
    };
    std::io::stdout()
        .write_all(&out)
        .map_err(|e| format!("writing the page: {e}"))
}

fn explain(args: &[String]) -> Result<(), String> {
    let flags = flags(args, &["--rules", "--context", "--url", "--now", "--force"])?;
    if !flags.contains_key("--url") {
        return Err(format!("--url is required\n{USAGE}"));
    }
    let (decision, path) = decision_for(&flags)?;
    let mut out = decision.explain();
    if let Some(object) = out.as_object_mut() {
        object.insert("path".into(), Value::String(path));
    }
    print_json(&out)
}

fn eval(args: &[String]) -> Result<(), String> {
    let flags = flags(args, &["--condition", "--attributes", "--groups"])?;
    let condition = json_arg(
        flags
            .get("--condition")
            .ok_or_else(|| format!("--condition is required\n{USAGE}"))?,
        "--condition",
    )?;
    let attributes = json_arg(
        flags.get("--attributes").map_or("{}", String::as_str),
        "--attributes",
    )?;
    let groups: HashMap<String, Vec<Value>> = match flags.get("--groups") {
        Some(text) => serde_json::from_str(text)
            .map_err(|e| format!("--groups must map group names to lists of values: {e}"))?,
        None => HashMap::new(),
    };
    let (compiled, errors) = Condition::compile(&condition);
    for e in &errors {
        eprintln!("warning: {e}");
    }
    let ctx = EvalContext {
        saved_groups: &groups,
        audiences: &NoAudiences,
    };
    println!("{}", compiled.eval(&attributes, &ctx));
    Ok(())
}

fn preview_token(args: &[String]) -> Result<(), String> {
    let flags = flags(args, &["--secret", "--ttl"])?;
    let secret = match flags.get("--secret") {
        Some(s) => s.clone(),
        None => std::env::var("VENEER_SECRET").unwrap_or_default(),
    };
    if secret.is_empty() {
        return Err("give the deployment's secret with --secret or $VENEER_SECRET (the one set with `wrangler secret put VENEER_SECRET`)".into());
    }
    let ttl_text = flags.get("--ttl").map_or("1h", String::as_str);
    let ttl = parse_duration(ttl_text).ok_or_else(|| {
        format!("--ttl {ttl_text:?} is not a duration like 90s, 15m, 1h or 2d (at most 30d)")
    })?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    let expires_at = now + ttl;
    println!("{}", make_preview_token(secret.as_bytes(), expires_at));
    eprintln!(
        "valid until {}; open any page with ?veneer_preview=<token>, end with ?veneer_preview=end",
        rfc3339_utc(expires_at)
    );
    Ok(())
}

fn results(args: &[String]) -> Result<(), String> {
    let json = args.iter().any(|a| a == "--json");
    let rest: Vec<String> = args.iter().filter(|a| *a != "--json").cloned().collect();
    let flags = flags(&rest, &["--counts", "--engine", "--prior"])?;
    let path = flags
        .get("--counts")
        .ok_or_else(|| format!("--counts is required\n{USAGE}"))?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let counts = Counts::from_json(&text).map_err(|p| format!("{path}: {p}"))?;
    let engine = match flags.get("--engine").map(String::as_str) {
        None | Some("bayesian") => Engine::Bayesian,
        Some("frequentist") => Engine::Frequentist,
        Some(other) => {
            return Err(format!(
                "--engine takes bayesian or frequentist, found {other:?}"
            ));
        }
    };
    let prior = match flags.get("--prior").map(String::as_str) {
        None | Some("flat") => Prior::Flat,
        Some("proper") => Prior::Proper,
        Some(other) => return Err(format!("--prior takes flat or proper, found {other:?}")),
    };
    let options = Options {
        engine,
        prior,
        ..Options::default()
    };
    let results = analyze(&counts, &options);
    if !results.problems.is_empty() {
        let lines: Vec<String> = results.problems.iter().map(|p| format!("  {p}")).collect();
        return Err(format!(
            "{path}: {} problem(s):\n{}",
            results.problems.len(),
            lines.join("\n")
        ));
    }
    if json {
        let value = serde_json::to_value(&results).map_err(|e| e.to_string())?;
        return print_json(&value);
    }
    print!("{}", results_table(&results));
    Ok(())
}

/// The results as text: a header with the SRM check, then one table per metric.
fn results_table(results: &Results) -> String {
    let users = results
        .variations
        .iter()
        .fold(0u64, |sum, v| sum.saturating_add(v.users));
    let srm = match (results.srm.status, results.srm.p_value) {
        (SrmStatus::Ok, Some(p)) => format!("sample ratio ok (p = {})", p_value(p)),
        (SrmStatus::Warning, Some(p)) => format!(
            "WARNING: sample ratio mismatch (p = {}): the split does not match the weights, so \
             assignment or tracking is broken and these results cannot be trusted",
            p_value(p)
        ),
        _ => "sample ratio: not enough data".to_owned(),
    };
    let engine = match (results.options.engine, results.options.prior) {
        (Engine::Frequentist, _) => "frequentist two-sided t-test".to_owned(),
        (Engine::Bayesian, Prior::Flat) => "bayesian, flat prior".to_owned(),
        (Engine::Bayesian, Prior::Proper) => format!(
            "bayesian, prior N(0, {}²) on the relative effect",
            results.options.prior_stddev
        ),
    };
    let mut out = format!(
        "{}: {} variation(s), {users} user(s); {srm}\n{engine}, {}% intervals\n",
        results.experiment,
        results.variations.len(),
        results.options.confidence * 100.0
    );
    for metric in &results.metrics {
        out.push('\n');
        out.push_str(&metric_table(metric, results.options.engine));
    }
    out
}

fn metric_table(metric: &MetricResult, engine: Engine) -> String {
    let status = match metric.status {
        MetricStatus::NotEnoughData => "not enough data",
        MetricStatus::Inconclusive => "inconclusive",
        MetricStatus::Significant => "significant",
    };
    let mut title = format!(
        "{} ({}",
        metric.goal,
        match metric.kind {
            MetricKind::Binomial => "binomial",
            MetricKind::Value => "value",
        }
    );
    if metric.primary {
        title.push_str(", primary");
    }
    if metric.inverse {
        title.push_str(", lower is better");
    }
    let (count, mean) = match metric.kind {
        MetricKind::Binomial => ("conversions", "rate"),
        MetricKind::Value => ("total", "mean"),
    };
    let decision = match engine {
        Engine::Frequentist => "p-value",
        Engine::Bayesian => "chance to win",
    };
    let mut rows = vec![vec![
        "variation".to_owned(),
        "users".to_owned(),
        count.to_owned(),
        mean.to_owned(),
        "effect [interval]".to_owned(),
        decision.to_owned(),
        "verdict".to_owned(),
    ]];
    for v in &metric.variations {
        let observed = v.conversions.or(v.total).unwrap_or(0.0);
        let mean = match (v.mean, metric.kind) {
            (None, _) => "-".to_owned(),
            (Some(m), MetricKind::Binomial) => format!("{:.2}%", m * 100.0),
            (Some(m), MetricKind::Value) => format!("{m:.2}"),
        };
        let mut row = vec![
            v.key.clone(),
            v.users.to_string(),
            format!("{observed}"),
            mean,
        ];
        row.extend(comparison_cells(v.comparison.as_ref()));
        rows.push(row);
    }
    format!("{title}): {status}\n{}", aligned(&rows))
}

/// Effect, p-value or chance to win, and verdict of one comparison (the baseline has none).
fn comparison_cells(comparison: Option<&Comparison>) -> Vec<String> {
    let Some(c) = comparison else {
        return vec!["(baseline)".to_owned(), String::new(), String::new()];
    };
    let verdict = match c.verdict {
        Verdict::Better => "better",
        Verdict::Worse => "worse",
        Verdict::Inconclusive => "inconclusive",
        Verdict::NotEnoughData => "-",
    };
    let shown = |effect: &Effect, relative: bool| {
        let f = |x: f64| {
            if relative {
                format!("{:+.1}%", x * 100.0)
            } else {
                format!("{x:+.4}")
            }
        };
        let effect_text = format!(
            "{} [{}, {}]{}",
            f(effect.estimate),
            f(effect.interval[0]),
            f(effect.interval[1]),
            if relative { "" } else { " absolute" }
        );
        let decision = match (effect.p_value, effect.chance_to_win) {
            (Some(p), _) => p_value(p),
            (None, Some(ctw)) => format!("{:.1}%", ctw * 100.0),
            (None, None) => String::new(),
        };
        vec![effect_text, decision]
    };
    let mut cells = match (&c.relative, &c.absolute, c.reason) {
        (Some(e), _, _) => shown(e, true),
        (None, Some(e), _) => shown(e, false),
        (None, None, reason) => vec![
            format!(
                "not enough data: {}",
                reason.map_or("no effect", |r| r.message())
            ),
            String::new(),
        ],
    };
    cells.push(verdict.to_owned());
    cells
}

fn p_value(p: f64) -> String {
    if p < 0.0001 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

/// Rows as left-aligned columns two spaces apart, each line indented by two.
fn aligned(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str("  ");
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
