//! Stand-ins for the pure console logic of `src/console/` (branch `ccore`), with the names and
//! signatures that module has; the bodies are as small as they can be while staying safe.
//! Replacing `super::standin::` with `crate::console::` swaps them out.
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
        #[error("the publish message is {chars} characters long; keep it to 500")]
        MessageTooLong { chars: usize },
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
            chars @ 501.. => Err(RevisionError::MessageTooLong { chars }),
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
            author: author.trim().to_owned(),
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
    pub(crate) const SESSION_TTL_SECS: u64 = 12 * 3600;

    /// A signed-in person, as a verified session says.
    pub(crate) struct Session {
        pub(crate) name: String,
    }

    /// Why a session was refused.
    #[derive(Debug, thiserror::Error)]
    #[error("console session refused; sign in again")]
    pub(crate) struct SessionError;

    /// Why a name given at sign-in was refused.
    #[derive(Debug, thiserror::Error)]
    #[error("give your name (1 to 64 visible characters): it goes into the audit log")]
    pub(crate) struct NameError;

    /// The name as kept: trimmed, 1 to 64 characters, no control characters.
    pub(crate) fn clean_name(raw: &str) -> Result<String, NameError> {
        let name = raw.trim();
        let count = name.chars().count();
        if count == 0 || count > 64 || name.chars().any(char::is_control) {
            return Err(NameError);
        }
        Ok(name.to_owned())
    }

    fn tag(secret: &[u8], payload: &str) -> Option<Hmac<Sha256>> {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
        mac.update(b"veneer-session|v1|");
        mac.update(payload.as_bytes());
        Some(mac)
    }

    /// A session value for `name` lasting `ttl` seconds from `now`.
    pub(crate) fn make_session(secret: &[u8], name: &str, now: u64, ttl: u64) -> String {
        let payload = format!("{}.{}", now + ttl, URL_SAFE_NO_PAD.encode(name));
        let sig = tag(secret, &payload)
            .map(|m| URL_SAFE_NO_PAD.encode(m.finalize().into_bytes()))
            .unwrap_or_default();
        format!("{payload}.{sig}")
    }

    /// The person of a genuine, unexpired session value.
    pub(crate) fn verify_session(
        secret: &[u8],
        value: &str,
        now: u64,
    ) -> Result<Session, SessionError> {
        let check = || {
            let (payload, sig) = value.rsplit_once('.')?;
            let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
            tag(secret, payload)?.verify_slice(&sig).ok()?;
            let (expires_at, name) = payload.split_once('.')?;
            if secret.is_empty() || now >= expires_at.parse::<u64>().ok()? {
                return None;
            }
            let name = String::from_utf8(URL_SAFE_NO_PAD.decode(name).ok()?).ok()?;
            Some(Session { name })
        };
        check().ok_or(SessionError)
    }

    /// The `Set-Cookie` value that stores a session.
    pub(crate) fn session_cookie_header(
        value: &str,
        path: &str,
        secure: bool,
        max_age: u64,
    ) -> String {
        let secure = if secure { "; Secure" } else { "" };
        format!(
            "{SESSION_COOKIE}={value}; Path={path}; Max-Age={max_age}; HttpOnly; \
             SameSite=Strict{secure}"
        )
    }

    /// The `Set-Cookie` value that signs out.
    pub(crate) fn clear_session_cookie_header(path: &str, secure: bool) -> String {
        session_cookie_header("", path, secure, 0)
    }
}

/// The CSRF rules (`crate::console::csrf`).
pub(super) mod csrf {
    // stand-in until src/console lands
    use http::Method;

    /// Why a request that changes something was refused.
    #[derive(Debug, thiserror::Error)]
    #[error(
        "changes are only accepted from the console itself: send an Origin header equal to \
         {expected}, and the body as JSON (Content-Type: application/json)"
    )]
    pub(crate) struct CsrfError {
        expected: String,
    }

    /// Whether a request may go on: anything but `GET` and `HEAD` needs the console's own
    /// `Origin` and a JSON body.
    pub(crate) fn check_mutation(
        method: &Method,
        origin: Option<&str>,
        console_origin: &str,
        content_type: Option<&str>,
    ) -> Result<(), CsrfError> {
        if method == Method::GET || method == Method::HEAD {
            return Ok(());
        }
        let json = content_type
            .and_then(|c| c.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
        if origin.map(str::trim) == Some(console_origin) && json {
            Ok(())
        } else {
            Err(CsrfError {
                expected: console_origin.to_owned(),
            })
        }
    }
}

/// The sign-in throttle (`crate::console::throttle`).
pub(super) mod throttle {
    // stand-in until src/console lands
    use std::collections::HashMap;
    use std::time::Duration;

    /// A sign-in refused without looking at the token.
    #[derive(Debug, thiserror::Error)]
    #[error("too many failed sign-ins from your address; try again in 15 minutes")]
    pub(crate) struct Refused;

    /// Failed sign-ins per client (count, last failure), in one isolate.
    #[derive(Debug, Default)]
    pub(crate) struct SignInThrottle {
        clients: HashMap<String, (u32, u64)>,
    }

    impl SignInThrottle {
        /// An empty table.
        pub(crate) fn new() -> Self {
            Self::default()
        }

        /// Whether `client` may try to sign in at `now`: not after 10 failures in 15 minutes.
        pub(crate) fn check(&self, client: &str, now: u64) -> Result<(), Refused> {
            match self.clients.get(client) {
                Some(&(count, last)) if count >= 10 && now < last + 900 => Err(Refused),
                _ => Ok(()),
            }
        }

        /// Records a failure; the answer waits 1, 2, 4, then 8 seconds.
        pub(crate) fn record_failure(&mut self, client: &str, now: u64) -> Duration {
            if self.clients.len() >= 1000 {
                self.clients.clear();
            }
            let entry = self.clients.entry(client.to_owned()).or_insert((0, now));
            *entry = (entry.0.saturating_add(1), now);
            Duration::from_secs(1 << entry.0.saturating_sub(1).min(3))
        }

        /// Forgets `client`'s failures.
        pub(crate) fn record_success(&mut self, client: &str) {
            self.clients.remove(client);
        }
    }
}

/// Cloudflare Access tokens and keys, the pure part (`crate::console::access`).
pub(super) mod access {
    // stand-in until src/console lands
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::{Value, json};

    /// The header Access puts its token in.
    pub(crate) const ACCESS_JWT_HEADER: &str = "Cf-Access-Jwt-Assertion";

    /// Clock difference tolerated on `exp` and `nbf`.
    pub(crate) const DEFAULT_LEEWAY_SECS: u64 = 60;

    /// Why a token or key set was refused (for the log).
    #[derive(Debug, Clone, thiserror::Error)]
    #[error("the Access token or keys were refused: {0}")]
    pub(crate) struct AccessError(&'static str);

    /// A token's header.
    pub(crate) struct Header {
        pub(crate) kid: String,
    }

    /// A token's claims, as written.
    #[derive(Default)]
    pub(crate) struct Claims {
        pub(crate) iss: Option<String>,
        pub(crate) aud: Vec<String>,
        pub(crate) exp: Option<u64>,
        pub(crate) nbf: Option<u64>,
        pub(crate) email: Option<String>,
    }

    /// A parsed, not yet verified token.
    pub(crate) struct Jwt {
        pub(crate) header: Header,
        pub(crate) claims: Claims,
        pub(crate) signing_input: String,
        pub(crate) signature: Vec<u8>,
    }

    /// Splits and decodes a token: three base64url parts, `RS256`, a `kid`.
    pub(crate) fn parse_jwt(token: &str) -> Result<Jwt, AccessError> {
        let bad = AccessError("not an RS256 JWT");
        let mut parts = token.trim().split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad);
        };
        let object = |part: &str| {
            URL_SAFE_NO_PAD
                .decode(part)
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                .filter(Value::is_object)
        };
        let (Some(header), Some(payload)) = (object(h), object(p)) else {
            return Err(bad);
        };
        let (Some("RS256"), Some(kid)) = (header["alg"].as_str(), header["kid"].as_str()) else {
            return Err(bad);
        };
        let text = |name: &str| payload[name].as_str().map(str::to_owned);
        let date = |name: &str| payload[name].as_f64().map(|f| f.max(0.0) as u64);
        let aud = match &payload["aud"] {
            Value::String(a) => vec![a.clone()],
            Value::Array(list) => list
                .iter()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        Ok(Jwt {
            header: Header {
                kid: kid.to_owned(),
            },
            claims: Claims {
                iss: text("iss"),
                aud,
                exp: date("exp"),
                nbf: date("nbf"),
                email: text("email"),
            },
            signing_input: format!("{h}.{p}"),
            signature: URL_SAFE_NO_PAD.decode(s).map_err(|_| bad)?,
        })
    }

    /// The team domain as compared: `https://` when no scheme is written, no trailing `/`.
    pub(crate) fn normalize_team_domain(team_domain: &str) -> Result<String, AccessError> {
        let raw = team_domain.trim().trim_end_matches('/');
        let with_scheme = if raw.contains("://") {
            raw.to_owned()
        } else {
            format!("https://{raw}")
        };
        if with_scheme.len() <= "https://".len() {
            return Err(AccessError("ACCESS_TEAM_DOMAIN is not a domain"));
        }
        Ok(with_scheme.to_ascii_lowercase())
    }

    /// `<team domain>/cdn-cgi/access/certs`.
    pub(crate) fn certs_url(team_domain: &str) -> Result<String, AccessError> {
        Ok(format!(
            "{}/cdn-cgi/access/certs",
            normalize_team_domain(team_domain)?
        ))
    }

    /// The person's email, once `iss`, `aud`, `exp` and `nbf` check out.
    pub(crate) fn validate_claims(
        claims: &Claims,
        team_domain: &str,
        aud: &str,
        now: u64,
        leeway: u64,
    ) -> Result<String, AccessError> {
        let team = normalize_team_domain(team_domain)?;
        let iss = claims.iss.as_deref().unwrap_or_default();
        if !iss.trim_end_matches('/').eq_ignore_ascii_case(&team) {
            return Err(AccessError("the token is from another team (iss)"));
        }
        if !claims.aud.iter().any(|a| a == aud.trim()) {
            return Err(AccessError("the token is for another application (aud)"));
        }
        if claims.exp.is_none_or(|exp| exp + leeway <= now) {
            return Err(AccessError("the token has expired (exp)"));
        }
        if claims.nbf.is_some_and(|nbf| nbf > now + leeway) {
            return Err(AccessError("the token is not valid yet (nbf)"));
        }
        match claims.email.as_deref().map(str::trim) {
            Some(email) if !email.is_empty() => Ok(email.to_owned()),
            _ => Err(AccessError("the token names no email")),
        }
    }

    /// One of the team's RSA keys.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub(crate) struct Jwk {
        pub(crate) kid: String,
        pub(crate) n: String,
        pub(crate) e: String,
    }

    impl Jwk {
        /// The JWK for WebCrypto's `importKey('jwk', …)`.
        pub(crate) fn import_json(&self) -> Value {
            json!({"kty": "RSA", "alg": "RS256", "n": self.n, "e": self.e, "ext": true})
        }
    }

    /// The team's signing keys.
    #[derive(Debug, Clone, Default)]
    pub(crate) struct Jwks {
        keys: Vec<Jwk>,
    }

    impl Jwks {
        /// The RSA keys of a JWK Set; refused when there is none.
        pub(crate) fn parse(json: &str) -> Result<Jwks, AccessError> {
            let doc: Value = serde_json::from_str(json).unwrap_or_default();
            let keys: Vec<Jwk> = doc["keys"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter(|k| k["kty"] == "RSA")
                .filter_map(|k| {
                    Some(Jwk {
                        kid: k["kid"].as_str()?.to_owned(),
                        n: k["n"].as_str()?.to_owned(),
                        e: k["e"].as_str()?.to_owned(),
                    })
                })
                .take(32)
                .collect();
            if keys.is_empty() {
                return Err(AccessError("the team's keys hold no RSA key"));
            }
            Ok(Jwks { keys })
        }

        /// The key with id `kid`.
        pub(crate) fn key(&self, kid: &str) -> Option<&Jwk> {
            self.keys.iter().find(|k| k.kid == kid)
        }
    }

    /// What [`KeyCache::lookup`] says to do.
    pub(crate) enum KeyLookup {
        Found(Jwk),
        Fetch,
        Unknown { retry_after: u64 },
        Unavailable { retry_after: u64 },
    }

    /// The team's keys per isolate: fetched when missing, an hour old, or on an unknown `kid`,
    /// at most once every 5 seconds.
    #[derive(Debug, Default)]
    pub(crate) struct KeyCache {
        keys: Option<(Jwks, u64)>,
        last_attempt: Option<u64>,
    }

    impl KeyCache {
        /// An empty cache.
        pub(crate) fn new() -> Self {
            Self::default()
        }

        /// What to do for a token signed by `kid` at `now`.
        pub(crate) fn lookup(&mut self, kid: &str, now: u64) -> KeyLookup {
            let age = self.keys.as_ref().map(|(_, at)| now.saturating_sub(*at));
            let known = self.keys.as_ref().and_then(|(k, _)| k.key(kid)).cloned();
            if let (Some(key), true) = (&known, age.is_some_and(|a| a < 3600)) {
                return KeyLookup::Found(key.clone());
            }
            let since = self.last_attempt.map(|at| now.saturating_sub(at));
            if since.is_none_or(|s| s >= 5) {
                self.last_attempt = Some(now);
                return KeyLookup::Fetch;
            }
            let retry_after = 5 - since.unwrap_or(0);
            match known {
                Some(key) if age.is_some_and(|a| a < 86_400) => KeyLookup::Found(key),
                _ if age.is_some_and(|a| a < 3600) => KeyLookup::Unknown { retry_after },
                _ => KeyLookup::Unavailable { retry_after },
            }
        }

        /// Keeps freshly fetched keys.
        pub(crate) fn store(&mut self, jwks: Jwks, now: u64) {
            self.keys = Some((jwks, now));
        }
    }
}

/// Audit entries, their SQL and their CSV (`crate::console::audit`).
pub(super) mod audit {
    // stand-in until src/console lands
    use serde::{Deserialize, Serialize};

    use crate::request::rfc3339_utc;

    /// Writes one entry.
    pub(crate) const INSERT_SQL: &str =
        "INSERT INTO audit (time, who, action, revision, summary) VALUES (?1, ?2, ?3, ?4, ?5)";

    /// Reads the newest `?1` entries.
    pub(crate) const SELECT_SQL: &str = "SELECT time, who, action, revision, summary FROM audit \
                                         ORDER BY time DESC, id DESC LIMIT ?1";

    /// Entries read when no limit is given, and the most.
    pub(crate) const DEFAULT_LIMIT: u32 = 100;
    pub(crate) const MAX_LIMIT: u32 = 1_000;

    /// What was done.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum AuditAction {
        SignIn,
        SignInFailed,
        Save,
        Publish,
        Rollback,
        Schedule,
        Unschedule,
        ScheduledPublish,
    }

    impl AuditAction {
        /// The `action` column's text.
        pub(crate) fn as_str(self) -> &'static str {
            match self {
                Self::SignIn => "sign_in",
                Self::SignInFailed => "sign_in_failed",
                Self::Save => "save",
                Self::Publish => "publish",
                Self::Rollback => "rollback",
                Self::Schedule => "schedule",
                Self::Unschedule => "unschedule",
                Self::ScheduledPublish => "scheduled_publish",
            }
        }
    }

    /// One line of the audit log.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub(crate) struct AuditEntry {
        pub(crate) time: String,
        pub(crate) who: String,
        pub(crate) action: AuditAction,
        pub(crate) revision: Option<u64>,
        pub(crate) summary: String,
    }

    impl AuditEntry {
        /// An entry at `now`, `who` and `summary` cut to length.
        pub(crate) fn new(
            now: u64,
            who: &str,
            action: AuditAction,
            revision: Option<u64>,
            summary: &str,
        ) -> Self {
            Self {
                time: rfc3339_utc(now),
                who: who.trim().chars().take(320).collect(),
                action,
                revision,
                summary: summary.chars().take(1000).collect(),
            }
        }
    }

    /// Why `format` or `limit` was refused.
    #[derive(Debug, thiserror::Error)]
    #[error("format must be json or csv, and limit a number from 1 to {MAX_LIMIT}")]
    pub(crate) struct AuditQueryError;

    /// The two ways to read the log.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum AuditFormat {
        Json,
        Csv,
    }

    /// `format=`: json (the default) or csv.
    pub(crate) fn audit_format(param: Option<&str>) -> Result<AuditFormat, AuditQueryError> {
        match param.map(str::trim) {
            None | Some("json") => Ok(AuditFormat::Json),
            Some("csv") => Ok(AuditFormat::Csv),
            Some(_) => Err(AuditQueryError),
        }
    }

    /// `limit=`: 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent.
    pub(crate) fn audit_limit(param: Option<&str>) -> Result<u32, AuditQueryError> {
        match param.map(|p| p.trim().parse::<u32>()) {
            None => Ok(DEFAULT_LIMIT),
            Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(AuditQueryError),
        }
    }

    /// The entries as CSV with a header line (quoted cells; none starts a formula).
    pub(crate) fn to_csv(entries: &[AuditEntry]) -> String {
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
            let cells = [&e.time, &e.who, e.action.as_str(), &revision, &e.summary];
            out.push_str(&cells.map(cell).join(","));
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
    use crate::document::{RulesError, compile};

    /// Every problem of a document's text, by the edge's own compile.
    pub(crate) fn document_problems(text: &str) -> Vec<Problem> {
        match compile(text) {
            Ok(compiled) => compiled.problems,
            Err(RulesError::Document(problems)) => problems,
            Err(e) => vec![Problem::new(JsonPath::root(), e.to_string())],
        }
    }

    /// `[{"path", "pointer", "message"}, ...]`.
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
