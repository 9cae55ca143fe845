//! What a User-Agent says: device, browser, OS and whether it is a bot (kept in-house: a
//! parser crate would add about a megabyte of wasm for the few answers rules need).

use http::{HeaderMap, HeaderName, header};
use serde_json::{Map, Value};

use super::text::header_text;

/// Longest prefix of the User-Agent (in bytes) inspected for device, browser, OS and bot.
pub(super) const MAX_UA_SCAN: usize = 8 * 1024;

/// Adds `device`, `browser`, `os` and `bot` from the User-Agent (and client hints).
pub(super) fn insert_user_agent(out: &mut Map<String, Value>, headers: &HeaderMap) {
    let ua = headers
        .get(header::USER_AGENT)
        .map(|v| header_text(v, MAX_UA_SCAN))
        .unwrap_or_default();
    let ua = ua.trim();
    let mobile_hint = headers
        .get(HeaderName::from_static("sec-ch-ua-mobile"))
        .is_some_and(|v| v.as_bytes().trim_ascii() == b"?1");

    if ua.is_empty() {
        if mobile_hint {
            out.insert("device".into(), Value::String("mobile".into()));
        }
        out.insert("bot".into(), Value::Bool(true));
        return;
    }
    let device = if mobile_hint { "mobile" } else { device(ua) };
    out.insert("device".into(), Value::String(device.into()));
    out.insert("browser".into(), Value::String(browser(ua).into()));
    out.insert("os".into(), Value::String(os(ua).into()));
    out.insert("bot".into(), Value::Bool(is_bot(ua)));
}

/// `mobile`, `tablet` or `desktop` from User-Agent tokens; the order of checks matters.
fn device(ua: &str) -> &'static str {
    let has = |token: &str| ua.contains(token);
    if has("iPhone") || has("iPod") {
        "mobile"
    } else if has("iPad") {
        "tablet"
    } else if has("Android") {
        if has("Mobile") { "mobile" } else { "tablet" }
    } else if has("Windows Phone") {
        "mobile"
    } else if has("Kindle") || has("Silk/") || (has("Tablet") && !has("Tablet PC")) {
        "tablet"
    } else if has("Mobi") {
        "mobile"
    } else {
        "desktop"
    }
}

/// Browser family from User-Agent tokens; Chromium derivatives are checked before Chrome.
fn browser(ua: &str) -> &'static str {
    let any = |tokens: &[&str]| tokens.iter().any(|t| ua.contains(t));
    if any(&["Edg/", "EdgA/", "EdgiOS/", "Edge/"]) {
        "edge"
    } else if any(&["OPR/", "OPT/", "OPiOS/", "Opera"]) {
        "opera"
    } else if any(&["SamsungBrowser/"]) {
        "samsung"
    } else if any(&["Chrome/", "CriOS/", "Chromium/"]) {
        "chrome"
    } else if any(&["Firefox/", "FxiOS/"]) {
        "firefox"
    } else if any(&["Safari/"]) {
        "safari"
    } else {
        "other"
    }
}

/// Operating system from User-Agent tokens; iOS before macOS, Windows Phone before Android,
/// Android/ChromeOS before Linux.
fn os(ua: &str) -> &'static str {
    let any = |tokens: &[&str]| tokens.iter().any(|t| ua.contains(t));
    if any(&["iPhone", "iPad", "iPod"]) {
        "ios"
    } else if any(&["Windows Phone"]) {
        "windows"
    } else if any(&["Android"]) {
        "android"
    } else if any(&["Windows"]) {
        "windows"
    } else if any(&["CrOS"]) {
        "chromeos"
    } else if any(&["Macintosh", "Mac OS X"]) {
        "macos"
    } else if any(&["Linux", "X11"]) {
        "linux"
    } else {
        "other"
    }
}

/// Named crawlers, preview fetchers and AI agents (lowercase substrings of the User-Agent).
const KNOWN_BOTS: &[&str] = &[
    "googlebot",
    "adsbot-google",
    "mediapartners-google",
    "apis-google",
    "feedfetcher-google",
    "google-inspectiontool",
    "googleother",
    "storebot-google",
    "google-read-aloud",
    "bingbot",
    "bingpreview",
    "msnbot",
    "adidxbot",
    "slurp",
    "duckduckbot",
    "duckassistbot",
    "baiduspider",
    "yandexbot",
    "yandeximages",
    "yandexmetrika",
    "sogou",
    "exabot",
    "seznambot",
    "petalbot",
    "qwantify",
    "mojeekbot",
    "applebot",
    "amazonbot",
    "facebookexternalhit",
    "facebookcatalog",
    "meta-externalagent",
    "meta-externalfetcher",
    "twitterbot",
    "linkedinbot",
    "pinterestbot",
    "slackbot",
    "discordbot",
    "telegrambot",
    "whatsapp/",
    "skypeuripreview",
    "embedly",
    "redditbot",
    "ahrefsbot",
    "semrushbot",
    "mj12bot",
    "dotbot",
    "rogerbot",
    "screaming frog",
    "gptbot",
    "chatgpt-user",
    "oai-searchbot",
    "claudebot",
    "claude-web",
    "claude-user",
    "claude-searchbot",
    "anthropic-ai",
    "perplexitybot",
    "perplexity-user",
    "bytespider",
    "ccbot",
    "cohere-ai",
    "diffbot",
    "ia_archiver",
    "archive.org_bot",
];

/// HTTP libraries, command-line tools, automation and uptime monitors (lowercase substrings).
const AUTOMATION_CLIENTS: &[&str] = &[
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp",
    "go-http-client",
    "java/",
    "apache-httpclient",
    "libwww-perl",
    "scrapy",
    "node-fetch",
    "axios/",
    "undici",
    "postmanruntime",
    "httpie",
    "phantomjs",
    "selenium",
    "puppeteer",
    "playwright",
    "pingdom",
    "statuscake",
    "site24x7",
];

/// Generic self-descriptions used by crawlers and headless browsers (lowercase substrings).
const GENERIC_BOT_MARKERS: &[&str] = &["crawler", "spider", "scraper", "headless", "lighthouse"];

/// Whether a (non-empty) User-Agent belongs to a crawler, preview fetcher or automated client.
fn is_bot(ua: &str) -> bool {
    let lower = ua.to_ascii_lowercase();
    let any = |tokens: &[&str]| tokens.iter().any(|t| lower.contains(t));
    any(KNOWN_BOTS) || any(AUTOMATION_CLIENTS) || any(GENERIC_BOT_MARKERS) || has_bot_word(&lower)
}

/// Whether lowercase `ua` contains "bot", ignoring the Cubot phone brand (a known false hit).
fn has_bot_word(lower: &str) -> bool {
    lower
        .match_indices("bot")
        .any(|(at, _)| !lower[..at].ends_with("cu"))
}
