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

CONTEXT.json is a JSON object of visitor attributes (see README); --url sets the page and
the url, host, path, query and utm_* attributes it carries (over the context's);
--now (RFC 3339) sets the clock, else the context's \"now\", else the current time.";

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
