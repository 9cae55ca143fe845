//! Response policy: which origin responses are rewritten, and how their headers change.
//!
//! Pure functions over the `http` crate's types, so the edge stays thin and this is tested
//! natively.

use http::header::{
    CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG,
    LAST_MODIFIED, UPGRADE, X_FRAME_OPTIONS,
};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use mime::Mime;

/// Content encodings the Workers runtime decodes on fetch (one at a time), so the rewriter sees
/// plain HTML. `deflate` is not among them: the runtime hands such a body over still compressed.
const DECODED_ENCODINGS: &[&str] = &["gzip", "br"];

/// What to do with one origin response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Treatment {
    /// Send the origin's response as it is, byte for byte.
    PassThrough(&'static str),
    /// Stream the body through the rewriter; `charset` is the declared one (lowercase), if any.
    Rewrite {
        /// The `charset` parameter of the response's Content-Type, lowercase.
        charset: Option<String>,
    },
}

/// Decides whether a response may be rewritten, with the reason when it may not.
pub fn treatment(
    method: &Method,
    request_headers: &HeaderMap,
    status: StatusCode,
    response_headers: &HeaderMap,
) -> Treatment {
    if method != Method::GET {
        return Treatment::PassThrough("method is not GET");
    }
    if request_headers.contains_key(UPGRADE) {
        return Treatment::PassThrough("request asks for a protocol upgrade");
    }
    if status != StatusCode::OK {
        return Treatment::PassThrough("status is not 200");
    }
    let Some(content_type) = response_headers.get(CONTENT_TYPE) else {
        return Treatment::PassThrough("no Content-Type");
    };
    let Some(media_type) = content_type
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<Mime>().ok())
    else {
        return Treatment::PassThrough("Content-Type is not a valid media type");
    };
    if media_type.essence_str() != "text/html" {
        return Treatment::PassThrough("not text/html");
    }
    let charset = media_type
        .get_param(mime::CHARSET)
        .map(|c| c.as_str().to_owned());
    let encodings: Vec<&str> = response_headers
        .get_all(CONTENT_ENCODING)
        .iter()
        .map(|v| v.to_str().unwrap_or("?"))
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("identity"))
        .collect();
    let decoded = match encodings.as_slice() {
        [] => true,
        [one] => DECODED_ENCODINGS
            .iter()
            .any(|d| d.eq_ignore_ascii_case(one)),
        _ => false,
    };
    if !decoded {
        return Treatment::PassThrough("body is in an encoding the runtime does not decode");
    }
    Treatment::Rewrite { charset }
}

/// Adjusts the headers of a response whose body is rewritten.
///
/// The length changes, so `Content-Length` goes; a strong `ETag` promised these exact bytes, so
/// it goes too (a weak one, meaning "equivalent content", stays).
pub fn rewritten_headers(headers: &mut HeaderMap) {
    headers.remove(CONTENT_LENGTH);
    let strong = headers
        .get(ETAG)
        .is_some_and(|v| !v.as_bytes().starts_with(b"W/"));
    if strong {
        headers.remove(ETAG);
    }
}

/// How far downstream caches may keep a response Veneer sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// The origin's `Cache-Control`, as it is: nothing in the response depends on the visitor.
    AsOrigin,
    /// Only the visitor's own browser may keep it: `public` and `s-maxage` go (see
    /// [`cache_headers`]).
    Private,
    /// Nobody may keep it (`no-store`): a marketer's preview.
    NoStore,
}

/// The caching a response gets. A response whose content or cookies may depend on the visitor
/// is `private`: the page varies by visitor (a rule or experiment that can apply to it has an
/// audience, runs, or fills in templates, even when nothing applied to this visitor), or
/// Veneer sets a cookie on it. A preview is `no-store`. Anything else keeps the origin's.
pub fn caching(varies_by_visitor: bool, sets_cookies: bool, preview: bool) -> Caching {
    if preview {
        Caching::NoStore
    } else if varies_by_visitor || sets_cookies {
        Caching::Private
    } else {
        Caching::AsOrigin
    }
}

/// Writes a response's `Cache-Control` for its [`Caching`]; `Vary` and the rest stay.
///
/// `Private`: `public` becomes `private` and `s-maxage` goes (the browser may still keep the
/// page for this visitor, as long as the origin allowed); a response without `Cache-Control`
/// gets `private`; `no-store` and `private` responses are left as they are. `NoStore` replaces
/// `Cache-Control` with `no-store`. `AsOrigin` changes nothing.
pub fn cache_headers(headers: &mut HeaderMap, caching: Caching) {
    match caching {
        Caching::AsOrigin => return,
        Caching::NoStore => {
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        Caching::Private => private_cache_control(headers),
    }
    // CDNs obey these over Cache-Control (`CDN-Cache-Control` at Cloudflare and others,
    // `Surrogate-Control` at Fastly, Akamai, Varnish): without them, `private` is what counts.
    for name in CDN_CACHE_HEADERS {
        headers.remove(name);
    }
}

/// Cache headers that CDNs obey before `Cache-Control`; removed from responses that may differ
/// per visitor.
pub const CDN_CACHE_HEADERS: [&str; 3] = [
    "cdn-cache-control",
    "cloudflare-cdn-cache-control",
    "surrogate-control",
];

/// Makes the validators of a response that may differ per visitor name its variant, so that no
/// revalidation can give a visitor another variant's page: the `ETag` (weak or strong) becomes
/// `W/"<origin's tag>-v<variant>"`, which the origin never matches (a visitor who revalidates
/// gets the page again, in their own variant, never a 304 for someone else's), and
/// `Last-Modified`, which cannot tell variants apart, is removed. `variant` is a fingerprint of
/// what this visitor got (the same plan gives the same value).
pub fn variant_validators(headers: &mut HeaderMap, variant: &str) {
    headers.remove(LAST_MODIFIED);
    let Some(tag) = headers.get(ETAG).map(|v| v.as_bytes().to_vec()) else {
        return;
    };
    let opaque = tag.strip_prefix(b"W/").unwrap_or(&tag);
    let inner = opaque
        .strip_prefix(b"\"")
        .and_then(|t| t.strip_suffix(b"\""))
        .unwrap_or(opaque);
    // FNV-1a, 64 bits: short, stable across isolates and deployments.
    let hash = variant.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut value = b"W/\"".to_vec();
    value.extend_from_slice(inner);
    value.extend_from_slice(format!("-v{hash:016x}\"").as_bytes());
    match HeaderValue::from_bytes(&value) {
        Ok(v) => {
            headers.insert(ETAG, v);
        }
        Err(_) => {
            headers.remove(ETAG);
        }
    }
}

/// A marketer's preview may be framed by the console on the same origin (its visual editor):
/// `X-Frame-Options` becomes `SAMEORIGIN` and a CSP `frame-ancestors` directive `'self'`.
/// Only preview responses get this; visitors keep the origin's framing rules.
pub fn frame_for_preview(headers: &mut HeaderMap) {
    if headers.contains_key(X_FRAME_OPTIONS) {
        headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    }
    let policies: Vec<String> = headers
        .get_all(CONTENT_SECURITY_POLICY)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    if !policies
        .iter()
        .any(|p| p.to_ascii_lowercase().contains("frame-ancestors"))
    {
        return;
    }
    headers.remove(CONTENT_SECURITY_POLICY);
    for policy in policies {
        let directives: Vec<String> = policy
            .split(';')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| {
                let name = d.split_whitespace().next().unwrap_or_default();
                if name.eq_ignore_ascii_case("frame-ancestors") {
                    "frame-ancestors 'self'".to_owned()
                } else {
                    d.to_owned()
                }
            })
            .collect();
        if let Ok(v) = HeaderValue::from_str(&directives.join("; ")) {
            headers.append(CONTENT_SECURITY_POLICY, v);
        }
    }
}

/// Keeps a response out of shared caches (see [`cache_headers`]).
fn private_cache_control(headers: &mut HeaderMap) {
    let directives: Vec<String> = headers
        .get_all(CACHE_CONTROL)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    let mut directives: Vec<&str> = directives
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    let is = |d: &str, word: &str| d.eq_ignore_ascii_case(word);
    let named = |d: &str, word: &str| {
        d.split('=')
            .next()
            .is_some_and(|n| n.trim().eq_ignore_ascii_case(word))
    };
    // Only a bare `private` keeps shared caches out: `private="set-cookie"` lets them keep the
    // rest of the response.
    if directives
        .iter()
        .any(|d| is(d, "no-store") || is(d, "private"))
    {
        return;
    }
    directives.retain(|d| !named(d, "public") && !named(d, "s-maxage"));
    directives.insert(0, "private");
    match HeaderValue::from_str(&directives.join(", ")) {
        Ok(value) => {
            headers.insert(CACHE_CONTROL, value);
        }
        // Only a value the origin sent could be unwritable: then nobody may keep the page.
        Err(_) => {
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    fn decide(
        method: Method,
        req: &[(&str, &str)],
        status: u16,
        res: &[(&str, &str)],
    ) -> Treatment {
        treatment(
            &method,
            &headers(req),
            StatusCode::from_u16(status).unwrap(),
            &headers(res),
        )
    }

    const HTML: (&str, &str) = ("content-type", "text/html; charset=utf-8");

    #[test]
    fn rewrites_only_get_200_html() {
        assert_eq!(
            decide(Method::GET, &[], 200, &[HTML]),
            Treatment::Rewrite {
                charset: Some("utf-8".into())
            }
        );
        assert_eq!(
            decide(Method::GET, &[], 200, &[("Content-Type", "TEXT/HTML")]),
            Treatment::Rewrite { charset: None }
        );
        for (content_type, charset) in [
            ("text/html;charset=ISO-8859-1", Some("iso-8859-1")),
            ("text/html; charset=\"windows-1252\"", Some("windows-1252")),
            ("text/html; level=1; Charset=shift_jis", Some("shift_jis")),
            ("text/html;", None),
            ("text/html; charset=utf-8;", Some("utf-8")),
        ] {
            assert_eq!(
                decide(Method::GET, &[], 200, &[("content-type", content_type)]),
                Treatment::Rewrite {
                    charset: charset.map(str::to_owned)
                },
                "{content_type}"
            );
        }
        for encoding in ["gzip", "BR", "identity", "gzip, identity"] {
            assert_eq!(
                decide(
                    Method::GET,
                    &[],
                    200,
                    &[HTML, ("content-encoding", encoding)]
                ),
                Treatment::Rewrite {
                    charset: Some("utf-8".into())
                },
                "{encoding}"
            );
        }
    }

    #[test]
    fn passes_everything_else_through() {
        let cases = [
            (decide(Method::HEAD, &[], 200, &[HTML]), "method is not GET"),
            (decide(Method::POST, &[], 200, &[HTML]), "method is not GET"),
            (
                decide(Method::GET, &[("upgrade", "websocket")], 200, &[HTML]),
                "request asks for a protocol upgrade",
            ),
            (decide(Method::GET, &[], 204, &[HTML]), "status is not 200"),
            (decide(Method::GET, &[], 206, &[HTML]), "status is not 200"),
            (decide(Method::GET, &[], 304, &[HTML]), "status is not 200"),
            (decide(Method::GET, &[], 404, &[HTML]), "status is not 200"),
            (decide(Method::GET, &[], 502, &[HTML]), "status is not 200"),
            (decide(Method::GET, &[], 200, &[]), "no Content-Type"),
            (
                decide(
                    Method::GET,
                    &[],
                    200,
                    &[("content-type", "text/html; charset")],
                ),
                "Content-Type is not a valid media type",
            ),
            (
                decide(
                    Method::GET,
                    &[],
                    200,
                    &[("content-type", "text/html, text/plain")],
                ),
                "Content-Type is not a valid media type",
            ),
            (
                decide(Method::GET, &[], 200, &[("content-type", "html")]),
                "Content-Type is not a valid media type",
            ),
            (
                decide(
                    Method::GET,
                    &[],
                    200,
                    &[("content-type", "application/xhtml+xml")],
                ),
                "not text/html",
            ),
            (
                decide(
                    Method::GET,
                    &[],
                    200,
                    &[("content-type", "application/json")],
                ),
                "not text/html",
            ),
            (
                decide(Method::GET, &[], 200, &[("content-type", "image/png")]),
                "not text/html",
            ),
            (
                decide(
                    Method::GET,
                    &[],
                    200,
                    &[HTML, ("content-encoding", "zstd-custom")],
                ),
                "body is in an encoding the runtime does not decode",
            ),
            (
                decide(
                    Method::GET,
                    &[],
                    200,
                    &[HTML, ("content-encoding", "deflate")],
                ),
                "body is in an encoding the runtime does not decode",
            ),
            (
                decide(
                    Method::GET,
                    &[],
                    200,
                    &[HTML, ("content-encoding", "gzip, br")],
                ),
                "body is in an encoding the runtime does not decode",
            ),
        ];
        for (got, reason) in cases {
            assert_eq!(got, Treatment::PassThrough(reason));
        }
    }

    #[test]
    fn rewritten_headers_drop_length_and_strong_etag_only() {
        let mut h = headers(&[
            HTML,
            ("content-length", "120"),
            ("etag", "\"abc\""),
            ("set-cookie", "a=1"),
            ("set-cookie", "b=2"),
        ]);
        rewritten_headers(&mut h);
        assert!(h.get(CONTENT_LENGTH).is_none());
        assert!(h.get(ETAG).is_none());
        assert_eq!(h.get_all("set-cookie").iter().count(), 2);
        let mut weak = headers(&[("etag", "W/\"abc\"")]);
        rewritten_headers(&mut weak);
        assert_eq!(weak.get(ETAG).unwrap(), "W/\"abc\"");
    }
}

#[cfg(test)]
mod cache_tests {
    use super::tests::headers;
    use super::*;

    fn cache_control(before: &[&str], caching: Caching) -> Option<String> {
        let mut h = HeaderMap::new();
        for v in before {
            h.append(CACHE_CONTROL, HeaderValue::from_str(v).unwrap());
        }
        h.insert(
            http::header::VARY,
            HeaderValue::from_static("Accept-Encoding"),
        );
        cache_headers(&mut h, caching);
        assert_eq!(h.get(http::header::VARY).unwrap(), "Accept-Encoding");
        let all: Vec<&str> = h
            .get_all(CACHE_CONTROL)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        (!all.is_empty()).then(|| all.join(" | "))
    }

    fn private(before: &[&str]) -> String {
        cache_control(before, Caching::Private).unwrap()
    }

    #[test]
    fn pages_that_depend_on_the_visitor_stay_out_of_shared_caches() {
        assert_eq!(private(&["public, max-age=60"]), "private, max-age=60");
        assert_eq!(
            private(&["max-age=60, s-maxage=600"]),
            "private, max-age=60"
        );
        assert_eq!(
            private(&["Public", "S-MaxAge=600, max-age=5, must-revalidate"]),
            "private, max-age=5, must-revalidate"
        );
        assert_eq!(private(&[]), "private");
        assert_eq!(private(&["no-store"]), "no-store");
        assert_eq!(private(&["private, max-age=5"]), "private, max-age=5");
        // `no-cache` lets a shared cache store (and revalidate) it: still made private.
        assert_eq!(private(&["public, no-cache"]), "private, no-cache");
        // A qualified `private` lets shared caches keep the rest of the response.
        assert_eq!(
            private(&["private=\"set-cookie\", max-age=60"]),
            "private, private=\"set-cookie\", max-age=60"
        );
    }

    #[test]
    fn previews_are_never_stored_and_other_pages_keep_the_origins_headers() {
        assert_eq!(
            cache_control(&["public, max-age=60"], Caching::NoStore).as_deref(),
            Some("no-store")
        );
        assert_eq!(
            cache_control(&["public, max-age=60"], Caching::AsOrigin).as_deref(),
            Some("public, max-age=60")
        );
        assert_eq!(cache_control(&[], Caching::AsOrigin), None);
    }

    #[test]
    fn what_makes_a_response_private() {
        assert_eq!(caching(false, false, false), Caching::AsOrigin);
        assert_eq!(caching(true, false, false), Caching::Private);
        assert_eq!(caching(false, true, false), Caching::Private);
        assert_eq!(caching(true, true, false), Caching::Private);
        assert_eq!(caching(false, false, true), Caching::NoStore);
        assert_eq!(caching(true, true, true), Caching::NoStore);
    }

    #[test]
    fn previews_may_be_framed_by_the_console_on_the_same_origin() {
        let mut headers = HeaderMap::new();
        headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; img-src *"),
        );
        frame_for_preview(&mut headers);
        assert_eq!(headers[X_FRAME_OPTIONS], "SAMEORIGIN");
        assert_eq!(
            headers[CONTENT_SECURITY_POLICY],
            "default-src 'self'; frame-ancestors 'self'; img-src *"
        );
        let mut plain = HeaderMap::new();
        plain.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("img-src *"),
        );
        frame_for_preview(&mut plain);
        assert_eq!(plain[CONTENT_SECURITY_POLICY], "img-src *");
        assert!(!plain.contains_key(X_FRAME_OPTIONS));
    }

    #[test]
    fn cdn_cache_headers_go_from_responses_that_may_differ_per_visitor() {
        let origin = [
            ("cache-control", "public, max-age=60, s-maxage=600"),
            ("cdn-cache-control", "public, max-age=600"),
            ("cloudflare-cdn-cache-control", "max-age=600"),
            ("surrogate-control", "max-age=600"),
            ("surrogate-key", "home"),
        ];
        for caching in [Caching::Private, Caching::NoStore] {
            let mut h = headers(&origin);
            cache_headers(&mut h, caching);
            for name in CDN_CACHE_HEADERS {
                assert!(h.get(name).is_none(), "{name} kept with {caching:?}");
            }
            assert_eq!(h["surrogate-key"], "home", "a tag is no caching directive");
        }
        let mut h = headers(&origin);
        cache_headers(&mut h, Caching::AsOrigin);
        assert_eq!(h, headers(&origin));
    }

    #[test]
    fn validators_name_the_variant() {
        let tag = |origin: &[(&str, &str)], variant: &str| {
            let mut h = headers(origin);
            variant_validators(&mut h, variant);
            assert!(h.get("last-modified").is_none());
            h.get("etag").map(|v| v.to_str().unwrap().to_owned())
        };
        let weak = [
            ("etag", "W/\"page-1\""),
            ("last-modified", "Tue, 01 Dec 2026 10:00:00 GMT"),
        ];
        let a = tag(&weak, "plan A").unwrap();
        let b = tag(&weak, "plan B").unwrap();
        assert!(
            a.starts_with("W/\"page-1-v") && a.ends_with('"') && a.len() == 28,
            "{a}"
        );
        assert_ne!(a, b, "each variant its own tag");
        assert_eq!(
            a,
            tag(&weak, "plan A").unwrap(),
            "the same variant, the same tag"
        );
        assert_eq!(
            tag(&[("etag", "\"page-1\"")], "plan A").unwrap(),
            a,
            "a strong tag becomes weak"
        );
        assert_eq!(tag(&[("last-modified", "x")], "plan A"), None);
    }
}
