//! Visitor attributes, computed once per request.
//!
//! Targeting conditions in a rules document are evaluated over a JSON object of visitor
//! attributes (GrowthBook style). This module builds that object from what the edge layer
//! already knows about the request: the URL, the request headers, the runtime's geo data, the
//! current time and the visitor id. It is a pure function: no I/O, no clock, no panics, and
//! bounded work on hostile input (every stored string is capped, and only a fixed number of
//! query parameters, cookies and Accept-Language entries are read).
//!
//! Attributes whose value is unknown are absent (never `null`). `bot`, `returning`, `now`,
//! `cookies` and `headers` are always present; `query` is present whenever `url` is.

use chrono::{DateTime, SecondsFormat, Utc};
use http::{HeaderMap, HeaderName, header};
use serde_json::{Map, Value};

use super::cookies::jar;
use super::query::parse_query;
use super::text::{MAX_VALUE_LEN, capped, header_text, truncate_in_place};
use super::url::{decoded_path, split_url, strip_scheme};
use super::user_agent::insert_user_agent;

/// Most entries of `ContextSettings::header_attributes` honoured, bounding per-request work.
pub const MAX_HEADER_ATTRIBUTES: usize = 100;
/// Most Accept-Language entries read.
const MAX_LANGUAGE_ENTRIES: usize = 100;

/// What the edge knows about a request, gathered by the edge layer.
#[derive(Debug, Clone)]
pub struct RequestFacts<'a> {
    /// The URL the visitor asked for, e.g. `https://shop.example/c/shoes?utm_source=news`.
    pub url: &'a str,
    /// The visitor's request headers.
    pub headers: &'a HeaderMap,
    /// Location data from the runtime's `request.cf`.
    pub geo: Geo,
    /// The current time, passed in so this module never reads a clock.
    pub now: DateTime<Utc>,
    /// The id the edge settled on (from the visitor cookie, or newly made).
    pub visitor_id: Option<&'a str>,
    /// Whether the visitor cookie was already present on the request.
    pub returning: bool,
}

/// Location data from the runtime (Cloudflare's `request.cf`), each field only when known.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Geo {
    /// ISO 3166-1 alpha-2 country code, e.g. `DE`.
    pub country: Option<String>,
    /// Region (state/province) name or code.
    pub region: Option<String>,
    /// City name.
    pub city: Option<String>,
    /// Continent code, e.g. `EU`.
    pub continent: Option<String>,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub timezone: Option<String>,
}

/// Per-rules-document choices about which extra request data becomes attributes.
#[derive(Debug, Clone, Copy, Default)]
pub struct ContextSettings<'a> {
    /// Request header names (any case) the rules document chose to expose under `headers`.
    pub header_attributes: &'a [String],
}

/// Builds the visitor-attributes JSON object (always an object) that conditions are evaluated over.
pub fn attributes(facts: &RequestFacts<'_>, settings: &ContextSettings<'_>) -> Value {
    let mut out = Map::new();
    insert_url(&mut out, facts.url);
    insert_geo(&mut out, &facts.geo);
    insert_user_agent(&mut out, facts.headers);
    if let Some(language) = preferred_language(facts.headers) {
        out.insert("language".into(), Value::String(language));
    }
    insert_referrer(&mut out, facts.headers);
    out.insert("cookies".into(), Value::Object(jar(facts.headers)));
    if let Some(id) = facts.visitor_id.filter(|id| !id.is_empty()) {
        out.insert("id".into(), Value::String(capped(id)));
    }
    out.insert("returning".into(), Value::Bool(facts.returning));
    out.insert(
        "now".into(),
        Value::String(facts.now.to_rfc3339_opts(SecondsFormat::Secs, true)),
    );
    out.insert(
        "headers".into(),
        Value::Object(exposed_headers(facts.headers, settings.header_attributes)),
    );
    Value::Object(out)
}

const UTM_PARAMS: [&str; 5] = [
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
];

fn insert_url(out: &mut Map<String, Value>, url: &str) {
    if url.trim_matches(|c: char| c <= ' ').is_empty() {
        return;
    }
    let parts = split_url(url);
    out.insert("url".into(), Value::String(capped(url)));
    if let Some(host) = parts.host() {
        out.insert("host".into(), Value::String(host));
    }
    out.insert("path".into(), Value::String(decoded_path(parts.path)));
    let query = parts.query.map(parse_query).unwrap_or_default();
    for name in UTM_PARAMS {
        if let Some(Value::String(value)) = query.get(name)
            && !value.is_empty()
        {
            out.insert(name.into(), Value::String(value.clone()));
        }
    }
    out.insert("query".into(), Value::Object(query));
}

fn insert_geo(out: &mut Map<String, Value>, geo: &Geo) {
    let fields = [
        ("country", &geo.country),
        ("region", &geo.region),
        ("city", &geo.city),
        ("continent", &geo.continent),
        ("timezone", &geo.timezone),
    ];
    for (name, value) in fields {
        if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            out.insert(name.into(), Value::String(capped(value)));
        }
    }
}

/// Lowercase primary subtag of the highest-q Accept-Language entry (first wins ties; q=0 and
/// `*` never chosen; malformed entries skipped).
fn preferred_language(headers: &HeaderMap) -> Option<String> {
    let mut best: Option<(f64, String)> = None;
    let entries = headers
        .get_all(header::ACCEPT_LANGUAGE)
        .iter()
        .flat_map(|value| value.as_bytes().split(|&b| b == b','))
        .take(MAX_LANGUAGE_ENTRIES);
    for entry in entries {
        let Some((tag, q)) = language_entry(entry) else {
            continue;
        };
        if q > 0.0 && best.as_ref().is_none_or(|(best_q, _)| q > *best_q) {
            best = Some((q, tag));
        }
    }
    best.map(|(_, tag)| tag)
}

/// One `tag;q=0.8` entry as (lowercase primary subtag, q), or None if malformed or `*`.
fn language_entry(entry: &[u8]) -> Option<(String, f64)> {
    let mut parts = entry.split(|&b| b == b';');
    let tag = parts.next()?.trim_ascii();
    let primary = tag.split(|&b| b == b'-' || b == b'_').next()?;
    if primary.is_empty() || primary.len() > 8 || !primary.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let mut q = 1.0;
    for param in parts {
        let Some(eq) = param.iter().position(|&b| b == b'=') else {
            continue;
        };
        if !param[..eq].trim_ascii().eq_ignore_ascii_case(b"q") {
            continue;
        }
        let text = std::str::from_utf8(param[eq + 1..].trim_ascii()).ok()?;
        if text.len() > 8 || !text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return None;
        }
        q = text
            .parse::<f64>()
            .ok()
            .filter(|q| (0.0..=1.0).contains(q))?;
    }
    Some((String::from_utf8_lossy(primary).to_ascii_lowercase(), q))
}

fn insert_referrer(out: &mut Map<String, Value>, headers: &HeaderMap) {
    let Some(value) = headers.get(header::REFERER) else {
        return;
    };
    let referrer = header_text(value, MAX_VALUE_LEN);
    let referrer = referrer.trim();
    if referrer.is_empty() {
        return;
    }
    // Only an absolute referrer names a host; a relative one stays host-less.
    if strip_scheme(referrer).is_some()
        && let Some(host) = split_url(referrer).host()
    {
        out.insert("referrer_host".into(), Value::String(host));
    }
    out.insert("referrer".into(), Value::String(referrer.to_owned()));
}

/// Lowercase name -> value for the opted-in headers that are present (repeated fields joined
/// with ", ").
fn exposed_headers(headers: &HeaderMap, names: &[String]) -> Map<String, Value> {
    let mut exposed = Map::new();
    for name in names.iter().take(MAX_HEADER_ATTRIBUTES) {
        let Ok(name) = HeaderName::from_bytes(name.trim().to_ascii_lowercase().as_bytes()) else {
            continue;
        };
        if exposed.contains_key(name.as_str()) {
            continue;
        }
        let mut joined = String::new();
        for (i, value) in headers.get_all(&name).iter().enumerate() {
            if joined.len() >= MAX_VALUE_LEN {
                break;
            }
            if i > 0 {
                joined.push_str(", ");
            }
            joined.push_str(&header_text(value, MAX_VALUE_LEN));
        }
        if headers.contains_key(&name) {
            truncate_in_place(&mut joined, MAX_VALUE_LEN);
            exposed.insert(name.as_str().to_owned(), Value::String(joined));
        }
    }
    exposed
}

#[cfg(test)]
mod tests {
    use super::super::cookies::MAX_COOKIES;
    use super::super::query::MAX_QUERY_PARAMS;
    use super::super::text::lossy_capped;
    use super::*;
    use chrono::TimeZone;
    use http::HeaderValue;
    use serde_json::json;

    const CHROME_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    const CHROME_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1";
    const SAFARI_IPAD: &str = "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1";
    const SAFARI_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15";
    const CHROME_IOS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1";
    const FIREFOX_IOS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15";
    const ANDROID_PHONE: &str = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
    const ANDROID_TABLET: &str = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    const SAMSUNG: &str = "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36";
    const EDGE: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
    const OPERA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0";
    const FIREFOX_LINUX: &str =
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
    const FIREFOX_WINDOWS: &str =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
    const FIREFOX_ANDROID: &str =
        "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0";
    const CHROMEOS: &str = "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    const KINDLE_FIRE: &str = "Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/131.2.1 like Chrome/131.0.6778.135 Safari/537.36";
    const WINDOWS_PHONE: &str = "Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.15063";
    const GOOGLEBOT: &str =
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    const GOOGLEBOT_SMARTPHONE: &str = "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.204 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    const CURL: &str = "curl/8.5.0";
    const CUBOT: &str = "Mozilla/5.0 (Linux; Android 11; CUBOT_X50) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 9, 30, 0).unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn attrs_with(url: &str, headers: &HeaderMap, exposed: &[String]) -> Value {
        let facts = RequestFacts {
            url,
            headers,
            geo: Geo::default(),
            now: now(),
            visitor_id: None,
            returning: false,
        };
        let value = attributes(
            &facts,
            &ContextSettings {
                header_attributes: exposed,
            },
        );
        assert!(value.is_object());
        value
    }

    fn attrs(url: &str, headers: &HeaderMap) -> Value {
        attrs_with(url, headers, &[])
    }

    /// (device, browser, os, bot) for a User-Agent.
    fn ua(user_agent: &str) -> (Value, Value, Value, Value) {
        let a = attrs(
            "https://s.example/",
            &headers(&[("user-agent", user_agent)]),
        );
        (
            a["device"].clone(),
            a["browser"].clone(),
            a["os"].clone(),
            a["bot"].clone(),
        )
    }

    fn expect(user_agent: &str, device: &str, browser: &str, os: &str, bot: bool) {
        assert_eq!(
            ua(user_agent),
            (json!(device), json!(browser), json!(os), json!(bot)),
            "{user_agent}"
        );
    }

    #[test]
    fn user_agents() {
        expect(CHROME_WINDOWS, "desktop", "chrome", "windows", false);
        expect(CHROME_MAC, "desktop", "chrome", "macos", false);
        expect(SAFARI_IPHONE, "mobile", "safari", "ios", false);
        expect(SAFARI_IPAD, "tablet", "safari", "ios", false);
        expect(SAFARI_MAC, "desktop", "safari", "macos", false);
        expect(CHROME_IOS, "mobile", "chrome", "ios", false);
        expect(FIREFOX_IOS, "mobile", "firefox", "ios", false);
        expect(ANDROID_PHONE, "mobile", "chrome", "android", false);
        expect(ANDROID_TABLET, "tablet", "chrome", "android", false);
        expect(SAMSUNG, "mobile", "samsung", "android", false);
        expect(EDGE, "desktop", "edge", "windows", false);
        expect(OPERA, "desktop", "opera", "windows", false);
        expect(FIREFOX_LINUX, "desktop", "firefox", "linux", false);
        expect(FIREFOX_WINDOWS, "desktop", "firefox", "windows", false);
        expect(FIREFOX_ANDROID, "mobile", "firefox", "android", false);
        expect(CHROMEOS, "desktop", "chrome", "chromeos", false);
        expect(KINDLE_FIRE, "tablet", "chrome", "android", false);
        expect(WINDOWS_PHONE, "mobile", "edge", "windows", false);
        expect(GOOGLEBOT, "desktop", "other", "other", true);
        expect(GOOGLEBOT_SMARTPHONE, "mobile", "chrome", "android", true);
        expect(CURL, "desktop", "other", "other", true);
        expect(CUBOT, "mobile", "chrome", "android", false);
    }

    #[test]
    fn named_and_generic_bots() {
        for bot in [
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
            "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
            "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Twitterbot/1.0",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
            "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
            "SomeCustomCRAWLER/0.1",
            "WhatsApp/2.23.20.0 A",
            "python-requests/2.32.3",
        ] {
            assert_eq!(ua(bot).3, json!(true), "{bot}");
        }
    }

    #[test]
    fn missing_or_empty_user_agent_is_a_bot_with_no_device() {
        for h in [
            headers(&[]),
            headers(&[("user-agent", "")]),
            headers(&[("user-agent", "   ")]),
        ] {
            let a = attrs("https://s.example/", &h);
            assert_eq!(a["bot"], json!(true));
            assert!(a.get("device").is_none());
            assert!(a.get("browser").is_none());
            assert!(a.get("os").is_none());
        }
    }

    #[test]
    fn mobile_client_hint_wins() {
        let h = headers(&[("user-agent", ANDROID_TABLET), ("sec-ch-ua-mobile", "?1")]);
        assert_eq!(attrs("https://s.example/", &h)["device"], json!("mobile"));
        let h = headers(&[("user-agent", CHROME_WINDOWS), ("sec-ch-ua-mobile", "?0")]);
        assert_eq!(attrs("https://s.example/", &h)["device"], json!("desktop"));
        let h = headers(&[("sec-ch-ua-mobile", "?1")]);
        assert_eq!(attrs("https://s.example/", &h)["device"], json!("mobile"));
    }

    fn language(accept_language: &str) -> Option<Value> {
        let a = attrs(
            "https://s.example/",
            &headers(&[("accept-language", accept_language)]),
        );
        a.get("language").cloned()
    }

    #[test]
    fn accept_language() {
        assert_eq!(language("de-CH,de;q=0.9,en;q=0.8"), Some(json!("de")));
        assert_eq!(language("en;q=0.5, fr;q=0.8"), Some(json!("fr")));
        assert_eq!(language("es, it"), Some(json!("es")));
        assert_eq!(language("it;q=0.7, es;q=0.7"), Some(json!("it")));
        assert_eq!(language("*;q=1, zh-Hant-TW;q=0.9"), Some(json!("zh")));
        assert_eq!(language("fr;q=0, en;q=0.1"), Some(json!("en")));
        assert_eq!(language("EN-us"), Some(json!("en")));
        assert_eq!(language("pt_BR"), Some(json!("pt")));
        assert_eq!(language(" nl ; Q = 0.3 "), Some(json!("nl")));
        assert_eq!(language("en;q=abc, de;q=0.2"), Some(json!("de")));
        assert_eq!(language("en;q=1.5, de;q=0.2"), Some(json!("de")));
        assert_eq!(language("fr;q=0"), None);
        assert_eq!(language("fr;q=0.000"), None);
        assert_eq!(language("*"), None);
        assert_eq!(language(""), None);
        assert_eq!(language(",,;;,=,"), None);
        assert_eq!(language("12-34, de1"), None);
        assert_eq!(language("en;q=inf, en;q=NaN, ja;q=1e0"), None);
        // Repeated headers are one list, in order.
        let h = headers(&[("accept-language", "en;q=0.5"), ("accept-language", "sv")]);
        assert_eq!(attrs("https://s.example/", &h)["language"], json!("sv"));
    }

    #[test]
    fn query_decoding() {
        let a = attrs(
            "https://s.example/p?price=%E2%82%AC5&a+b=c+d&bad=%zz&tail=100%&k=1&k=2&flag&=orphan&&plus=%2B&ff=%FF&%6Bey=v#frag=1",
            &headers(&[]),
        );
        assert_eq!(
            a["query"],
            json!({
                "price": "€5",
                "a b": "c d",
                "bad": "%zz",
                "tail": "100%",
                "k": "1",
                "flag": "",
                "plus": "+",
                "ff": "\u{FFFD}",
                "key": "v",
            })
        );
    }

    #[test]
    fn url_parts() {
        let a = attrs(
            "HTTPS://user:pw@Shop.EXAMPLE:8443/c/caf%C3%A9%20shoes+x?utm_source=news&utm_medium=&utm_campaign=bf%2026",
            &headers(&[]),
        );
        assert_eq!(a["host"], json!("shop.example"));
        assert_eq!(a["path"], json!("/c/café shoes+x"));
        assert_eq!(a["utm_source"], json!("news"));
        assert!(a.get("utm_medium").is_none(), "empty UTM values are absent");
        assert_eq!(a["utm_campaign"], json!("bf 26"));
        assert_eq!(a["query"]["utm_medium"], json!(""));

        let a = attrs("https://shop.example?x=1", &headers(&[]));
        assert_eq!(
            (a["host"].clone(), a["path"].clone()),
            (json!("shop.example"), json!("/"))
        );

        let a = attrs("http://[::1]:8787/a", &headers(&[]));
        assert_eq!(a["host"], json!("[::1]"));

        let a = attrs("/relative/only?q=1", &headers(&[]));
        assert!(a.get("host").is_none());
        assert_eq!(a["path"], json!("/relative/only"));
        assert_eq!(a["query"], json!({"q": "1"}));

        let a = attrs("", &headers(&[]));
        for key in ["url", "host", "path", "query"] {
            assert!(a.get(key).is_none(), "{key}");
        }
    }

    #[test]
    fn malformed_urls_do_not_panic() {
        for url in [
            "http://",
            "://",
            "https://[::1",
            "https://@",
            "https://:80",
            "%",
            "%%%",
            "%e2%82",
            "?&&=&",
            "#",
            "https://h:99999999999999999999/",
            "mailto:someone@example.com",
            "1http://not-a-scheme/",
            "https://€.example/€?€=€",
            "http://a/%",
        ] {
            let a = attrs(url, &headers(&[]));
            assert!(a["path"].is_string(), "{url}");
            assert!(a["query"].is_object(), "{url}");
        }
        assert!(attrs(" \u{0}\u{1}\t", &headers(&[])).get("url").is_none());
        assert!(attrs("https://[::1", &headers(&[])).get("host").is_none());
        assert!(attrs("https://:80/x", &headers(&[])).get("host").is_none());
        assert!(attrs("1http://x/", &headers(&[])).get("host").is_none());
    }

    #[test]
    fn referrer() {
        let h = headers(&[("referer", "https://WWW.Google.com:443/search?q=x")]);
        let a = attrs("https://s.example/", &h);
        assert_eq!(
            a["referrer"],
            json!("https://WWW.Google.com:443/search?q=x")
        );
        assert_eq!(a["referrer_host"], json!("www.google.com"));

        let a = attrs(
            "https://s.example/",
            &headers(&[("referer", "/just/a/path")]),
        );
        assert_eq!(a["referrer"], json!("/just/a/path"));
        assert!(a.get("referrer_host").is_none());

        let a = attrs("https://s.example/", &headers(&[("referer", "")]));
        assert!(a.get("referrer").is_none());
    }

    #[test]
    fn cookies_with_quotes_and_garbage() {
        let h = headers(&[
            (
                "cookie",
                "a=1; b=\"quoted value\"; c=\"; =noname; novalue; d = spaced ; a=2; e=x=y; f=; bad name=1; g\"=2;;; ",
            ),
            ("cookie", "h=from-second-header; b=ignored"),
        ]);
        let a = attrs("https://s.example/", &h);
        assert_eq!(
            a["cookies"],
            json!({
                "a": "1",
                "b": "quoted value",
                "c": "\"",
                "d": "spaced",
                "e": "x=y",
                "f": "",
                "h": "from-second-header",
            })
        );
        assert_eq!(
            attrs("https://s.example/", &headers(&[]))["cookies"],
            json!({})
        );
    }

    #[test]
    fn header_attributes_are_opt_in() {
        let h = headers(&[
            ("user-agent", CHROME_WINDOWS),
            ("x-store", "berlin"),
            ("x-multi", "a"),
            ("x-multi", "b"),
            ("authorization", "secret"),
        ]);
        let a = attrs("https://s.example/", &h);
        assert_eq!(a["headers"], json!({}));

        let exposed = [
            "X-Store".to_owned(),
            "x-multi".to_owned(),
            "x-absent".to_owned(),
            "not a header name".to_owned(),
            " X-STORE ".to_owned(),
        ];
        let a = attrs_with("https://s.example/", &h, &exposed);
        assert_eq!(
            a["headers"],
            json!({"x-store": "berlin", "x-multi": "a, b"})
        );
    }

    fn assert_capped(value: &Value) {
        let s = value.as_str().unwrap();
        assert!(s.len() <= MAX_VALUE_LEN, "{} bytes", s.len());
    }

    #[test]
    fn hostile_query_is_capped() {
        let mut url = "https://s.example/?".to_owned();
        let mut i = 0;
        while url.len() < 100 * 1024 {
            url.push_str(&format!("p{i}=v{i}&"));
            i += 1;
        }
        let a = attrs(&url, &headers(&[]));
        let query = a["query"].as_object().unwrap();
        assert_eq!(query.len(), MAX_QUERY_PARAMS);
        assert!(query.contains_key("p0") && !query.contains_key(&format!("p{MAX_QUERY_PARAMS}")));
        assert_capped(&a["url"]);

        let huge = format!(
            "https://s.example/{}?{}={}",
            "%E2%82%AC".repeat(5000),
            "k".repeat(50_000),
            "€".repeat(30_000)
        );
        let a = attrs(&huge, &headers(&[]));
        assert_capped(&a["path"]);
        assert!(a["path"].as_str().unwrap().ends_with('€'));
        let (key, value) = a["query"].as_object().unwrap().iter().next().unwrap();
        assert_eq!(key.len(), MAX_VALUE_LEN);
        assert_capped(value);
        assert_eq!(value.as_str().unwrap().len(), MAX_VALUE_LEN / 3 * 3);
    }

    #[test]
    fn hostile_cookie_header_is_capped() {
        let jar: Vec<String> = (0..10_000).map(|i| format!("c{i}=v{i}")).collect();
        let h = headers(&[("cookie", &jar.join("; "))]);
        let a = attrs("https://s.example/", &h);
        let cookies = a["cookies"].as_object().unwrap();
        assert_eq!(cookies.len(), MAX_COOKIES);
        assert_eq!(cookies["c0"], json!("v0"));

        let h = headers(&[("cookie", &format!("big={}", "x".repeat(100_000)))]);
        assert_capped(&attrs("https://s.example/", &h)["cookies"]["big"]);

        let h = headers(&[("cookie", &";".repeat(100_000))]);
        assert_eq!(attrs("https://s.example/", &h)["cookies"], json!({}));
    }

    #[test]
    fn invalid_utf8_headers_do_not_panic() {
        let bad = |bytes: &[u8]| HeaderValue::from_bytes(bytes).unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            header::USER_AGENT,
            bad(b"Mozilla/5.0 (\xff\xfe iPhone) \xc3"),
        );
        h.insert(
            header::ACCEPT_LANGUAGE,
            bad(b"\xe2\x82,fr;q=0.\xff,it;q=0.4"),
        );
        h.insert(header::REFERER, bad(b"https://r\xffe.example/\xc0"));
        h.insert(header::COOKIE, bad(b"n\xff=1; ok=v\xfe; q=\"\xff\""));
        h.insert("x-bin", bad(b"\x80\x81\xff"));
        let a = attrs_with("https://s.example/", &h, &["x-bin".to_owned()]);
        assert_eq!(a["device"], json!("mobile"));
        assert_eq!(a["os"], json!("ios"));
        assert_eq!(a["language"], json!("it"));
        assert_eq!(a["referrer_host"], json!("r\u{FFFD}e.example"));
        assert_eq!(a["cookies"], json!({"ok": "v\u{FFFD}", "q": "\u{FFFD}"}));
        assert_eq!(a["headers"]["x-bin"], json!("\u{FFFD}\u{FFFD}\u{FFFD}"));
    }

    #[test]
    fn huge_headers_are_capped() {
        let big = format!("{} Googlebot", "A".repeat(100_000));
        let mut h = headers(&[
            ("user-agent", &big),
            (
                "referer",
                &format!("https://r.example/{}", "€".repeat(40_000)),
            ),
            ("accept-language", &"en;q=0.1,".repeat(10_000)),
            ("x-big", &"y".repeat(100_000)),
        ]);
        h.append("x-big", HeaderValue::from_static("second"));
        let a = attrs_with("https://s.example/", &h, &["x-big".to_owned()]);
        // Only the first MAX_UA_SCAN bytes of a User-Agent are inspected.
        assert_eq!(a["bot"], json!(false));
        assert_capped(&a["referrer"]);
        assert_eq!(a["referrer_host"], json!("r.example"));
        assert_eq!(a["language"], json!("en"));
        assert_capped(&a["headers"]["x-big"]);
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        let mut s = "€".repeat(1000);
        truncate_in_place(&mut s, MAX_VALUE_LEN);
        assert_eq!(s.len(), 2046);
        assert_eq!(capped(&"é".repeat(2000)).len(), 2048);
        assert_eq!(capped(&format!("x{}", "é".repeat(2000))).len(), 2047);
        assert_eq!(lossy_capped("€€".as_bytes(), 4), "€");
        assert_eq!(lossy_capped(b"", 4), "");
    }

    #[test]
    fn full_example() {
        let h = headers(&[
            ("user-agent", SAFARI_IPHONE),
            ("accept-language", "de-CH,de;q=0.9,en;q=0.8"),
            ("referer", "https://www.instagram.com/"),
            ("cookie", "veneer_id=v-123; consent=\"all\"; cart=3"),
            ("x-store-tier", "gold"),
            ("authorization", "Bearer do-not-expose"),
        ]);
        let exposed = ["X-Store-Tier".to_owned()];
        let facts = RequestFacts {
            url: "https://Shop.Example/c/sch%C3%BChe?utm_source=insta&utm_medium=social&utm_campaign=black+friday&q=boots&q=shoes",
            headers: &h,
            geo: Geo {
                country: Some("CH".into()),
                region: Some("Zurich".into()),
                city: Some("Zürich".into()),
                continent: Some("EU".into()),
                timezone: Some("Europe/Zurich".into()),
            },
            now: now(),
            visitor_id: Some("v-123"),
            returning: true,
        };
        let a = attributes(
            &facts,
            &ContextSettings {
                header_attributes: &exposed,
            },
        );
        assert_eq!(
            a,
            json!({
                "url": "https://Shop.Example/c/sch%C3%BChe?utm_source=insta&utm_medium=social&utm_campaign=black+friday&q=boots&q=shoes",
                "host": "shop.example",
                "path": "/c/schühe",
                "query": {
                    "utm_source": "insta",
                    "utm_medium": "social",
                    "utm_campaign": "black friday",
                    "q": "boots",
                },
                "utm_source": "insta",
                "utm_medium": "social",
                "utm_campaign": "black friday",
                "country": "CH",
                "region": "Zurich",
                "city": "Zürich",
                "continent": "EU",
                "timezone": "Europe/Zurich",
                "device": "mobile",
                "browser": "safari",
                "os": "ios",
                "bot": false,
                "language": "de",
                "referrer": "https://www.instagram.com/",
                "referrer_host": "www.instagram.com",
                "cookies": {"veneer_id": "v-123", "consent": "all", "cart": "3"},
                "id": "v-123",
                "returning": true,
                "now": "2026-11-27T09:30:00Z",
                "headers": {"x-store-tier": "gold"},
            })
        );
    }

    #[test]
    fn minimal_example() {
        let h = HeaderMap::new();
        let facts = RequestFacts {
            url: "https://shop.example",
            headers: &h,
            geo: Geo {
                country: Some("  ".into()),
                ..Geo::default()
            },
            now: now() + chrono::Duration::milliseconds(1500),
            visitor_id: Some(""),
            returning: false,
        };
        let a = attributes(&facts, &ContextSettings::default());
        assert_eq!(
            a,
            json!({
                "url": "https://shop.example",
                "host": "shop.example",
                "path": "/",
                "query": {},
                "bot": true,
                "cookies": {},
                "returning": false,
                "now": "2026-11-27T09:30:01Z",
                "headers": {},
            })
        );
    }
}
