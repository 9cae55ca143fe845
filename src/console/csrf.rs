//! Cross-site request forgery: which console requests may change something.
//!
//! `GET` and `HEAD` change nothing and pass. Every other method (`POST`, `PUT`, `DELETE`,
//! `PATCH`, and any other, to be safe) must carry an `Origin` equal to the console's own origin
//! (scheme, host and port; a default port may be written or not) and a JSON body
//! (`Content-Type: application/json`, parameters allowed). A form on another site can do
//! neither, so the `SameSite=Strict` session cookie is never the only defence.

use http::Method;

use crate::diagnostic::quoted;

/// Why a request that changes something was refused (the 403 answer's `error`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsrfError {
    /// No `Origin` header.
    #[error(
        "a {method} to the console needs an Origin header equal to {expected} (browsers send it; \
         a script adds -H 'Origin: {expected}')"
    )]
    NoOrigin {
        /// The request's method.
        method: String,
        /// The console's origin.
        expected: String,
    },
    /// An `Origin` that is not the console's.
    #[error(
        "this request comes from {found}, not from the console ({expected}); changes are only \
         accepted from the console itself"
    )]
    WrongOrigin {
        /// The `Origin` header, quoted and cut.
        found: String,
        /// The console's origin.
        expected: String,
    },
    /// A body that is not declared as JSON.
    #[error("send the body as JSON with Content-Type: application/json (found {found})")]
    NotJson {
        /// The `Content-Type` header, quoted and cut, or "none".
        found: String,
    },
}

/// Whether a console request may go ahead: see the module docs. `console_origin` is the
/// console's own origin, e.g. `https://shop.example.com` (a trailing `/` is ignored).
pub fn check_mutation(
    method: &Method,
    origin: Option<&str>,
    console_origin: &str,
    content_type: Option<&str>,
) -> Result<(), CsrfError> {
    if method == Method::GET || method == Method::HEAD {
        return Ok(());
    }
    let expected = console_origin.trim().trim_end_matches('/');
    let Some(origin) = origin else {
        return Err(CsrfError::NoOrigin {
            method: method.to_string(),
            expected: expected.to_owned(),
        });
    };
    let same = match (parse_origin(origin.trim()), parse_origin(expected)) {
        (Some(found), Some(console)) => found == console,
        _ => false,
    };
    if !same {
        return Err(CsrfError::WrongOrigin {
            found: quoted(origin),
            expected: expected.to_owned(),
        });
    }
    let json = content_type
        .and_then(|ct| ct.trim().parse::<mime::Mime>().ok())
        .is_some_and(|m| {
            m.type_() == mime::APPLICATION && m.subtype() == mime::JSON && m.suffix().is_none()
        });
    if !json {
        return Err(CsrfError::NotJson {
            found: content_type.map_or_else(|| "none".to_owned(), quoted),
        });
    }
    Ok(())
}

/// An origin's (scheme, host, port), lowercase, with the scheme's default port filled in; `None`
/// for anything but `http(s)://host[:port]` (paths, credentials and `null` included).
fn parse_origin(text: &str) -> Option<(String, String, u16)> {
    let (scheme, rest) = text.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', '\\']) {
        return None;
    }
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (inside, after) = v6.split_once(']')?;
        let ipv6 = !inside.is_empty()
            && inside
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.'));
        if !ipv6 {
            return None;
        }
        (format!("[{inside}]"), after)
    } else {
        let (host, port) = match rest.find(':') {
            Some(colon) => rest.split_at(colon),
            None => (rest, ""),
        };
        let name = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        if !name {
            return None;
        }
        (host.to_owned(), port)
    };
    let port = match port.strip_prefix(':') {
        None if port.is_empty() => default_port,
        Some(digits)
            if (1..=5).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) =>
        {
            digits.parse().ok()?
        }
        _ => return None,
    };
    Some((scheme, host.to_ascii_lowercase(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONSOLE: &str = "https://shop.example.com";
    const JSON: Option<&str> = Some("application/json");

    #[test]
    fn reads_pass() {
        for method in [Method::GET, Method::HEAD] {
            assert_eq!(check_mutation(&method, None, CONSOLE, None), Ok(()));
            assert_eq!(
                check_mutation(
                    &method,
                    Some("https://evil.example"),
                    CONSOLE,
                    Some("text/plain")
                ),
                Ok(())
            );
        }
    }

    #[test]
    fn changes_from_the_console_pass() {
        let custom = Method::from_bytes(b"PURGE").unwrap_or(Method::POST);
        for method in [
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::PATCH,
            custom,
        ] {
            assert_eq!(
                check_mutation(&method, Some(CONSOLE), CONSOLE, JSON),
                Ok(()),
                "{method}"
            );
        }
        for (origin, console) in [
            ("https://shop.example.com", "https://shop.example.com/"),
            ("HTTPS://Shop.Example.COM", CONSOLE),
            ("https://shop.example.com:443", CONSOLE),
            ("https://shop.example.com", "https://shop.example.com:443"),
            ("http://localhost:8787", "http://localhost:8787"),
            ("http://127.0.0.1", "http://127.0.0.1:80"),
            ("http://[::1]:8787", "http://[::1]:8787"),
        ] {
            assert_eq!(
                check_mutation(&Method::POST, Some(origin), console, JSON),
                Ok(()),
                "{origin} vs {console}"
            );
        }
        for content_type in [
            "application/json; charset=utf-8",
            "Application/JSON",
            " application/json;charset=UTF-8 ",
        ] {
            assert_eq!(
                check_mutation(&Method::PUT, Some(CONSOLE), CONSOLE, Some(content_type)),
                Ok(()),
                "{content_type}"
            );
        }
    }

    #[test]
    fn a_missing_origin_is_refused() {
        let refused = check_mutation(&Method::DELETE, None, CONSOLE, JSON);
        assert_eq!(
            refused.map_err(|e| e.to_string()),
            Err(
                "a DELETE to the console needs an Origin header equal to https://shop.example.com \
                 (browsers send it; a script adds -H 'Origin: https://shop.example.com')"
                    .into()
            )
        );
    }

    #[test]
    fn other_origins_are_refused() {
        for origin in [
            "https://evil.example",
            "http://shop.example.com",
            "https://shop.example.com:8443",
            "https://shop.example.com.evil.example",
            "https://evil.example/https://shop.example.com",
            "https://shop.example.com/",
            "https://shop.example.com/path",
            "https://user@shop.example.com",
            "https://shop.example.com:",
            "https://shop.example.com:443x",
            "https://shop.example.com:99999",
            "https://",
            "shop.example.com",
            "null",
            "",
            "ftp://shop.example.com",
            "https://shop.example.com\\@evil",
            "https://shop example.com",
            "https://shop.example.com:80:443",
            "https://[shop.example.com]",
            "https://[]:443",
        ] {
            let refused = check_mutation(&Method::POST, Some(origin), CONSOLE, JSON);
            assert!(
                matches!(refused, Err(CsrfError::WrongOrigin { .. })),
                "{origin:?}: {refused:?}"
            );
        }
        let message =
            check_mutation(&Method::POST, Some("null"), CONSOLE, JSON).map_err(|e| e.to_string());
        assert_eq!(
            message,
            Err("this request comes from \"null\", not from the console \
                 (https://shop.example.com); changes are only accepted from the console itself"
                .into())
        );
    }

    #[test]
    fn bodies_must_be_json() {
        for content_type in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some("application/jsonx"),
            Some("application/ld+json"),
            Some("text/json"),
            Some(""),
            Some("application/json garbage"),
        ] {
            let refused = check_mutation(&Method::POST, Some(CONSOLE), CONSOLE, content_type);
            assert!(
                matches!(refused, Err(CsrfError::NotJson { .. })),
                "{content_type:?}: {refused:?}"
            );
        }
        assert_eq!(
            check_mutation(&Method::POST, Some(CONSOLE), CONSOLE, Some("text/plain"))
                .map_err(|e| e.to_string()),
            Err(
                "send the body as JSON with Content-Type: application/json (found \"text/plain\")"
                    .into()
            )
        );
        assert_eq!(
            check_mutation(&Method::POST, Some(CONSOLE), CONSOLE, None).map_err(|e| e.to_string()),
            Err("send the body as JSON with Content-Type: application/json (found none)".into())
        );
    }

    #[test]
    fn a_misconfigured_console_origin_refuses_everything() {
        assert!(check_mutation(&Method::POST, Some(CONSOLE), "", JSON).is_err());
        assert!(check_mutation(&Method::POST, Some("null"), "null", JSON).is_err());
    }
}
