//! The `veneer` command: the edge's own engine for marketers and CI.
//!
//! `veneer validate RULES.json` checks a rules document; `veneer render --rules RULES.json
//! [--url URL] < page.html > out.html` applies what the edge would apply to that page.

use std::io::{Read, Write};
use std::process::ExitCode;

use veneer::rewrite::render;
use veneer::rules::{CompiledRules, compile};

const USAGE: &str = "\
usage:
  veneer validate RULES.json
  veneer render --rules RULES.json [--url URL] < page.html > out.html";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("validate") => validate(&args[1..]),
        Some("render") => render_page(&args[1..]),
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
    let actions: usize = rules.rules.iter().map(|r| r.actions.len()).sum();
    println!(
        "{path}: ok, version {}, {} rule(s), {actions} action(s)",
        rules.version.as_deref().unwrap_or("(none)"),
        rules.rules.len()
    );
    Ok(())
}

fn render_page(args: &[String]) -> Result<(), String> {
    let mut rules_path = None;
    let mut url = "/".to_owned();
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let value = rest
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--rules" => rules_path = Some(value.clone()),
            "--url" => url = value.clone(),
            _ => return Err(format!("unknown option {flag}\n{USAGE}")),
        }
    }
    let rules = load(&rules_path.ok_or_else(|| format!("--rules is required\n{USAGE}"))?)?;
    let path = request_path(&url);
    let mut page = Vec::new();
    std::io::stdin()
        .read_to_end(&mut page)
        .map_err(|e| format!("reading the page from stdin: {e}"))?;
    let out = render(&rules.actions_for(path), &page);
    std::io::stdout()
        .write_all(&out)
        .map_err(|e| format!("writing the page: {e}"))
}

/// The path of a URL or path, without query or fragment (`https://x/c/a?q=1` gives `/c/a`).
fn request_path(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path_start = if url.contains("://") {
        after_scheme.find('/').unwrap_or(after_scheme.len())
    } else {
        0
    };
    let path = &after_scheme[path_start..];
    let end = path.find(['?', '#']).unwrap_or(path.len());
    if end == 0 { "/" } else { &path[..end] }
}

#[cfg(test)]
mod tests {
    use super::request_path;

    #[test]
    fn request_path_of_urls_and_paths() {
        assert_eq!(request_path("https://shop.example/c/a?q=1#x"), "/c/a");
        assert_eq!(request_path("https://shop.example"), "/");
        assert_eq!(request_path("/cart?x"), "/cart");
        assert_eq!(request_path("?x"), "/");
    }
}
