//! Stand-ins for the pure console logic of `src/console/` (branch `ccore`), with the names and
//! signatures that module has or that `docs/console.md` implies. Each is as small as it can be
//! while still being safe; swapping `super::standin::` for `crate::console::` replaces them.
// stand-in until src/console lands

/// Revisions: KV keys, metadata, the publish decision (`crate::console::revision`).
pub(super) mod revision {
    // stand-in until src/console lands
    use serde::{Deserialize, Serialize};
    use sha2::{Digest, Sha256};

    use crate::request::rfc3339_utc;

    /// The KV key prefix of every revision.
    pub(crate) const REVISION_PREFIX: &str = "rules:rev:";

    /// A revision's KV metadata.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub(crate) struct RevisionMeta {
        pub(crate) number: u64,
        pub(crate) parent: Option<u64>,
        pub(crate) author: String,
        pub(crate) time: String,
        pub(crate) message: String,
        pub(crate) hash: String,
        pub(crate) size: usize,
    }

    /// Why a revision could not be made.
    #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
    pub(crate) enum RevisionError {
        #[error("a publish needs a message: say what changes and why (it shows in the history)")]
        NoMessage,
        #[error("the publish message is too long; keep it to 500 characters")]
        MessageTooLong,
        #[error("nothing to publish: the document is the same as live revision {head}")]
        Unchanged { head: u64 },
    }

    /// A publish refused because the head moved.
    #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
    #[error(
        "someone published meanwhile: you started from revision {base:?}, but revision {head:?} \
         is live now; review what changed, then publish again"
    )]
    pub(crate) struct Conflict {
        pub(crate) head: Option<u64>,
        pub(crate) base: Option<u64>,
    }

    /// `rules:rev:0000000007`.
    pub(crate) fn revision_key(number: u64) -> String {
        format!("{REVISION_PREFIX}{number:010}")
    }

    /// SHA-256 hex of a document's text.
    pub(crate) fn content_hash(text: &str) -> String {
        format!("{:x}", Sha256::digest(text.as_bytes()))
    }

    /// A message as stored: one line, trimmed, 1 to 500 characters.
    pub(crate) fn clean_message(message: &str) -> Result<String, RevisionError> {
        let cleaned: String = message
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        match cleaned.trim().chars().count() {
            0 => Err(RevisionError::NoMessage),
            501.. => Err(RevisionError::MessageTooLong),
            _ => Ok(cleaned.trim().to_owned()),
        }
    }

    /// "Roll back to revision N" when the message is blank.
    pub(crate) fn rollback_message(to: u64, message: &str) -> String {
        if message.trim().is_empty() {
            format!("Roll back to revision {to}")
        } else {
            message.to_owned()
        }
    }

    /// Go ahead only when the head is still the base.
    pub(crate) fn check_base(head: Option<u64>, base: Option<u64>) -> Result<(), Conflict> {
        if head == base {
            Ok(())
        } else {
            Err(Conflict { head, base })
        }
    }

    /// The metadata of the revision publishing `document` on top of `head` makes.
    pub(crate) fn next_revision(
        head: Option<&RevisionMeta>,
        author: &str,
        now: u64,
        message: &str,
        document: &str,
    ) -> Result<RevisionMeta, RevisionError> {
        let message = clean_message(message)?;
        let hash = content_hash(document);
        if let Some(head) = head.filter(|h| h.hash == hash) {
            return Err(RevisionError::Unchanged { head: head.number });
        }
        Ok(RevisionMeta {
            number: head.map_or(1, |h| h.number + 1),
            parent: head.map(|h| h.number),
            author: author.trim().chars().take(200).collect(),
            time: rfc3339_utc(now),
            message,
            hash,
            size: document.len(),
        })
    }

    impl RevisionMeta {
        /// This metadata as JSON for KV (at most 1 KiB: the message is cut to fit).
        pub(crate) fn to_metadata_json(&self) -> String {
            let mut meta = self.clone();
            let mut json = serde_json::to_string(&meta).unwrap_or_default();
            while json.len() > 1024 && !meta.message.is_empty() {
                meta.message.pop();
                json = serde_json::to_string(&meta).unwrap_or_default();
            }
            json
        }
    }
}

/// The admin token (`crate::console::auth`).
pub(super) mod auth {
    // stand-in until src/console lands
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    /// What the audit log calls a script using `Authorization: Bearer`.
    pub(crate) const BEARER_NAME: &str = "token";

    /// Whether `presented` is the admin token, compared in constant time.
    pub(crate) fn admin_token_matches(expected: &str, presented: &str) -> bool {
        let tag = |t: &str| {
            Hmac::<Sha256>::new_from_slice(b"veneer-admin-token-compare|v1").map(|mut mac| {
                mac.update(t.as_bytes());
                mac
            })
        };
        match (tag(expected), tag(presented)) {
            (Ok(e), Ok(p)) if !expected.is_empty() && presented.len() <= 4096 => {
                p.verify_slice(&e.finalize().into_bytes()).is_ok()
            }
            _ => false,
        }
    }

    /// The token of `Authorization: Bearer <token>`.
    pub(crate) fn bearer_token(authorization: &str) -> Option<&str> {
        let (scheme, token) = authorization.trim().split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
    }
}

/// The signed session cookie (`crate::console::session`).
pub(super) mod session {
    // stand-in until src/console lands
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    /// The session cookie's name.
    pub(crate) const SESSION_COOKIE: &str = "veneer_console";

    /// How long a session lasts by default: 12 hours.
    pub(crate) const SESSION_SECS: u64 = 12 * 3600;

    fn tag(secret: &[u8], payload: &str) -> Option<Hmac<Sha256>> {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
        mac.update(b"veneer-console-session|v1|");
        mac.update(payload.as_bytes());
        Some(mac)
    }

    /// The cookie value naming `name` until `expires_at` (Unix seconds).
    pub(crate) fn make_session(secret: &[u8], name: &str, expires_at: u64) -> String {
        let payload = format!("{expires_at}.{}", URL_SAFE_NO_PAD.encode(name));
        let sig = tag(secret, &payload)
            .map(|m| URL_SAFE_NO_PAD.encode(m.finalize().into_bytes()))
            .unwrap_or_default();
        format!("{payload}.{sig}")
    }

    /// The name in a genuine, unexpired session value.
    pub(crate) fn verify_session(secret: &[u8], value: &str, now: u64) -> Option<String> {
        let (payload, sig) = value.rsplit_once('.')?;
        let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
        tag(secret, payload)?.verify_slice(&sig).ok()?;
        let (expires_at, name) = payload.split_once('.')?;
        if now >= expires_at.parse::<u64>().ok()? || secret.is_empty() {
            return None;
        }
        String::from_utf8(URL_SAFE_NO_PAD.decode(name).ok()?).ok()
    }
}

/// The CSRF rules (`crate::console::csrf`).
pub(super) mod csrf {
    // stand-in until src/console lands

    /// Whether a request with this method, `Origin` and `Content-Type` may go on: a method that
    /// changes something needs the console's own origin and a JSON body.
    pub(crate) fn csrf_allows(
        method: &str,
        origin: Option<&str>,
        console_origin: &str,
        content_type: Option<&str>,
    ) -> bool {
        if matches!(method, "GET" | "HEAD" | "OPTIONS") {
            return true;
        }
        let json = content_type
            .and_then(|c| c.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
        origin == Some(console_origin) && json
    }
}

/// The sign-in throttle (`crate::console::throttle`).
pub(super) mod throttle {
    // stand-in until src/console lands
    use std::collections::VecDeque;

    /// Failed sign-ins kept in a minute before every sign-in is refused.
    pub(crate) const MAX_FAILURES_PER_MINUTE: usize = 10;

    /// The failed sign-ins of the last minute (one isolate's).
    #[derive(Default)]
    pub(crate) struct Throttle {
        failures: VecDeque<u64>,
    }

    impl Throttle {
        /// Whether a sign-in may be tried at `now` (Unix seconds).
        pub(crate) fn allows(&mut self, now: u64) -> bool {
            while self.failures.front().is_some_and(|&t| t + 60 <= now) {
                self.failures.pop_front();
            }
            self.failures.len() < MAX_FAILURES_PER_MINUTE
        }

        /// Counts a failed sign-in at `now`.
        pub(crate) fn failed(&mut self, now: u64) {
            self.failures.push_back(now);
        }
    }
}

/// Cloudflare Access tokens, the pure part (`crate::console::access`).
pub(super) mod access {
    // stand-in until src/console lands
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::Value;

    /// A JWT split into what the signature check and the claim check need.
    pub(crate) struct Jwt {
        /// The header's `kid`.
        pub(crate) kid: String,
        /// `<header>.<payload>`, the signed bytes.
        pub(crate) signing_input: String,
        /// The RS256 signature.
        pub(crate) signature: Vec<u8>,
        /// The payload.
        pub(crate) claims: Value,
    }

    /// One RSA key of the team's JWKS.
    pub(crate) struct Jwk {
        pub(crate) kid: String,
        pub(crate) n: String,
        pub(crate) e: String,
    }

    /// Splits and decodes a JWT; only RS256 with a `kid` is accepted.
    pub(crate) fn parse_jwt(token: &str) -> Result<Jwt, String> {
        let bad = || "the Access token is not a JWT".to_owned();
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let json = |part: &str| {
            URL_SAFE_NO_PAD
                .decode(part)
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        };
        let header = json(h).ok_or_else(bad)?;
        if header["alg"] != "RS256" {
            return Err("the Access token is not signed with RS256".into());
        }
        Ok(Jwt {
            kid: header["kid"].as_str().ok_or_else(bad)?.to_owned(),
            signing_input: format!("{h}.{p}"),
            signature: URL_SAFE_NO_PAD.decode(s).map_err(|_| bad())?,
            claims: json(p).ok_or_else(bad)?,
        })
    }

    /// The person a verified token names, once `iss`, `aud`, `exp` and `nbf` check out.
    pub(crate) fn check_claims(
        claims: &Value,
        team_domain: &str,
        aud: &str,
        now: u64,
    ) -> Result<String, String> {
        if claims["iss"].as_str() != Some(team_domain) {
            return Err("the Access token is from another team".into());
        }
        let auds = match &claims["aud"] {
            Value::String(a) => vec![a.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !auds.contains(&aud) {
            return Err("the Access token is for another application (aud)".into());
        }
        let time = |name: &str| claims[name].as_f64().map(|t| t as i64);
        let now = now as i64;
        if time("exp").is_none_or(|exp| exp + 60 <= now) {
            return Err("the Access token has expired".into());
        }
        if time("nbf").is_some_and(|nbf| nbf > now + 60) {
            return Err("the Access token is not valid yet".into());
        }
        claims["email"]
            .as_str()
            .or(claims["common_name"].as_str())
            .filter(|e| !e.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| "the Access token names nobody (no email)".into())
    }

    /// The RSA keys of a JWKS document (`{"keys": [...]}`).
    pub(crate) fn parse_jwks(text: &str) -> Vec<Jwk> {
        let doc: Value = serde_json::from_str(text).unwrap_or_default();
        let keys = doc["keys"].as_array().cloned().unwrap_or_default();
        keys.iter()
            .filter(|k| k["kty"] == "RSA")
            .filter_map(|k| {
                Some(Jwk {
                    kid: k["kid"].as_str()?.to_owned(),
                    n: k["n"].as_str()?.to_owned(),
                    e: k["e"].as_str()?.to_owned(),
                })
            })
            .collect()
    }
}

/// Audit entries and their CSV (`crate::console::audit`).
pub(super) mod audit {
    // stand-in until src/console lands
    use serde::{Deserialize, Serialize};

    /// One line of the audit log.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub(crate) struct AuditEntry {
        pub(crate) time: String,
        pub(crate) who: String,
        pub(crate) action: String,
        pub(crate) revision: Option<u64>,
        pub(crate) summary: String,
    }

    /// The entries as CSV with a header line (RFC 4180 quoting; no cell starts a formula).
    pub(crate) fn audit_csv(entries: &[AuditEntry]) -> String {
        let cell = |s: &str| {
            let s = if s.starts_with(['=', '+', '-', '@']) {
                format!("'{s}")
            } else {
                s.to_owned()
            };
            format!("\"{}\"", s.replace('"', "\"\""))
        };
        let mut out = String::from("time,who,action,revision,summary\r\n");
        for e in entries {
            let revision = e.revision.map(|n| n.to_string()).unwrap_or_default();
            let cells = [&e.time, &e.who, &e.action, &revision, &e.summary].map(|c| cell(c));
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        }
        out
    }
}

/// What changed between two documents (`crate::console::summary`).
pub(super) mod summary {
    // stand-in until src/console lands
    use serde_json::Value;

    /// `rules: +a, ~b, -c`, or `no changes`.
    pub(crate) fn summarize(old: Option<&Value>, new: &Value) -> String {
        if old == Some(new) {
            return "no changes".into();
        }
        let ids = |doc: Option<&Value>| -> Vec<(String, Value)> {
            doc.and_then(|d| d["rules"].as_array())
                .map(|rules| {
                    rules
                        .iter()
                        .map(|r| (r["id"].as_str().unwrap_or("?").to_owned(), r.clone()))
                        .collect()
                })
                .unwrap_or_default()
        };
        let (before, after) = (ids(old), ids(Some(new)));
        let mut items = Vec::new();
        for (id, rule) in &after {
            match before.iter().find(|(b, _)| b == id) {
                None => items.push(format!("+{id}")),
                Some((_, old)) if old != rule => items.push(format!("~{id}")),
                _ => {}
            }
        }
        for (id, _) in &before {
            if !after.iter().any(|(a, _)| a == id) {
                items.push(format!("-{id}"));
            }
        }
        if items.is_empty() {
            "document changed".into()
        } else {
            format!("rules: {}", items.join(", "))
        }
    }
}

/// Validation problems as the API writes them (`crate::console::problems`).
pub(super) mod problems {
    // stand-in until src/console lands
    use serde_json::{Value, json};

    use crate::diagnostic::{JsonPath, Problem};
    use crate::document::RulesError;

    /// The problems of a compile result: a refused document's, or the skipped parts'.
    pub(crate) fn rules_error_problems(error: &RulesError) -> Vec<Problem> {
        match error {
            RulesError::Document(problems) => problems.clone(),
            RulesError::Json { .. } => vec![Problem::new(JsonPath::root(), error.to_string())],
        }
    }

    /// `{"path", "pointer", "message"}` for each problem.
    pub(crate) fn problems_json(problems: &[Problem]) -> Value {
        problems
            .iter()
            .map(|p| {
                json!({"path": p.path.to_string(), "pointer": p.path.to_pointer(),
                    "message": p.message})
            })
            .collect()
    }
}
