//! Cloudflare Access: the `Cf-Access-Jwt-Assertion` token, its claims, the team's keys, and
//! when to fetch them again.
//!
//! The edge verifies a request in this order: [`parse_jwt`] (shape; only `RS256`), the key for
//! the token's `kid` from the [`KeyCache`], the RS256 signature over [`Jwt::signing_input`] with
//! WebCrypto (`importKey('jwk', Jwk::import_json())`, then `verify`), and [`validate_claims`]
//! (`iss`, `aud`, `exp`, `nbf`, `email`). Until the signature is checked the claims are
//! whatever the sender wrote: act on none of them before.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::diagnostic::quoted;
use crate::request::rfc3339_utc;

/// The request header Cloudflare Access puts its token in.
pub const ACCESS_JWT_HEADER: &str = "Cf-Access-Jwt-Assertion";

/// Longest token parsed (Access tokens are about 1 KiB).
pub const MAX_JWT_LEN: usize = 16 * 1_024;

/// Longest key set parsed (the team's certs are a few KiB).
pub const MAX_JWKS_LEN: usize = 64 * 1_024;

/// Most keys kept from a key set.
pub const MAX_KEYS: usize = 32;

/// Clock difference tolerated on `exp` and `nbf`, in seconds.
pub const DEFAULT_LEEWAY_SECS: u64 = 60;

/// Keys older than this are fetched again (Access rotates its keys every few weeks).
pub const KEYS_MAX_AGE_SECS: u64 = 60 * 60;

/// Past their max age, keys still serve this long after they were fetched while fetching fails.
pub const KEYS_MAX_STALE_SECS: u64 = 24 * 60 * 60;

/// Fetches happen at most once per this many seconds, so tokens naming made-up `kid`s cannot
/// make every request fetch; short, so a token signed with a newly rotated key is refused for
/// at most this long.
pub const MIN_REFETCH_SECS: u64 = 5;

/// The only signature algorithm accepted: what Cloudflare Access signs with.
const ALGORITHM: &str = "RS256";

/// Why an Access token or key set was refused; worded for the operator's log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// Longer than [`MAX_JWT_LEN`].
    #[error(
        "the Access token is {len} bytes long, over the {MAX_JWT_LEN} bytes any Access token takes"
    )]
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// Not a JWT of the expected shape.
    #[error("the Access token is malformed: {what}")]
    Malformed {
        /// What is wrong with it.
        what: &'static str,
    },
    /// Signed with an algorithm other than RS256 (`none` and `HS256` included).
    #[error(
        "the Access token is signed with {alg}; only RS256, what Cloudflare Access uses, is accepted"
    )]
    Algorithm {
        /// The header's `alg`, quoted.
        alg: String,
    },
    /// No `iss` claim.
    #[error("the Access token has no issuer (iss)")]
    NoIssuer,
    /// Issued by another team (or something else).
    #[error(
        "the Access token was issued by {found}, not by {expected}; check ACCESS_TEAM_DOMAIN \
         is your team's domain"
    )]
    WrongIssuer {
        /// The token's `iss`, quoted and cut.
        found: String,
        /// The configured team domain.
        expected: String,
    },
    /// Not for this Access application.
    #[error(
        "the Access token is for another application (aud {found}); check ACCESS_AUD is the AUD \
         tag of the application in front of the console"
    )]
    WrongAudience {
        /// The token's audiences, quoted and cut.
        found: String,
    },
    /// No `exp` claim.
    #[error("the Access token has no expiry (exp)")]
    NoExpiry,
    /// Past its `exp` (beyond the leeway).
    #[error("the Access token expired at {}; reload the page to sign in through Access again", rfc3339_utc(*.at))]
    Expired {
        /// Its `exp`, Unix seconds.
        at: u64,
    },
    /// Before its `nbf` (beyond the leeway).
    #[error("the Access token is not valid before {}; is this machine's clock right?", rfc3339_utc(*.at))]
    NotYetValid {
        /// Its `nbf`, Unix seconds.
        at: u64,
    },
    /// No usable `email` claim.
    #[error(
        "the Access token names no person (no email claim; a service token?): sign in as a \
         person, or use the admin token"
    )]
    NoEmail,
    /// `ACCESS_TEAM_DOMAIN` is not a team domain.
    #[error(
        "ACCESS_TEAM_DOMAIN must look like https://<team>.cloudflareaccess.com (found {found})"
    )]
    BadTeamDomain {
        /// The configured value, quoted and cut.
        found: String,
    },
    /// `ACCESS_AUD` is empty.
    #[error("ACCESS_AUD is empty: set it to the AUD tag of the Access application")]
    NoAudience,
    /// The key set could not be read.
    #[error("the Access keys (<team domain>/cdn-cgi/access/certs) are unusable: {what}")]
    Jwks {
        /// What is wrong with them.
        what: &'static str,
    },
    /// The key set holds no RSA signing key.
    #[error("the Access keys (<team domain>/cdn-cgi/access/certs) hold no RS256 signing key")]
    NoKeys,
}

/// A token's protected header: what it claims to be signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The algorithm; always `RS256` in a parsed token.
    pub alg: String,
    /// Which of the team's keys signed it.
    pub kid: String,
}

/// A token's claims, as written (nothing checked yet but their types).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    /// Issuer: the team domain.
    pub iss: Option<String>,
    /// Audiences (a string or a list in the JSON): the Access application's AUD tag.
    pub aud: Vec<String>,
    /// Expiry, Unix seconds.
    pub exp: Option<u64>,
    /// Not before, Unix seconds.
    pub nbf: Option<u64>,
    /// Issued at, Unix seconds.
    pub iat: Option<u64>,
    /// The person signed in.
    pub email: Option<String>,
}

/// A parsed (not yet verified) token, with exactly the bytes its signature covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwt {
    /// The protected header.
    pub header: Header,
    /// The claims.
    pub claims: Claims,
    /// `<base64url header>.<base64url payload>`, as received: what the signature signs.
    pub signing_input: String,
    /// The RSASSA-PKCS1-v1_5 signature bytes.
    pub signature: Vec<u8>,
}

/// Splits and decodes a token; refuses anything but a three-part, base64url, `RS256` JWT whose
/// claims have the right types.
pub fn parse_jwt(token: &str) -> Result<Jwt, AccessError> {
    let token = token.trim();
    if token.len() > MAX_JWT_LEN {
        return Err(AccessError::TooLong { len: token.len() });
    }
    let malformed = |what| AccessError::Malformed { what };
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed(
            "expected three base64url parts separated by dots",
        ));
    };
    let signing_input = token[..header.len() + 1 + payload.len()].to_owned();
    let header = decode_object(header).ok_or(malformed("its header is not base64url JSON"))?;
    let alg = match header.get("alg") {
        Some(Value::String(alg)) if alg == ALGORITHM => alg.clone(),
        Some(Value::String(alg)) => return Err(AccessError::Algorithm { alg: quoted(alg) }),
        _ => return Err(malformed("its header names no algorithm (alg)")),
    };
    if header.contains_key("crit") {
        return Err(malformed("its header has critical extensions (crit)"));
    }
    let Some(Value::String(kid)) = header.get("kid") else {
        return Err(malformed("its header names no key (kid)"));
    };
    let payload = decode_object(payload).ok_or(malformed("its payload is not base64url JSON"))?;
    let claims = claims(&payload).map_err(malformed)?;
    if signature.is_empty() {
        return Err(malformed("it has no signature"));
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| malformed("its signature is not base64url"))?;
    Ok(Jwt {
        header: Header {
            alg,
            kid: kid.clone(),
        },
        claims,
        signing_input,
        signature,
    })
}

fn decode_object(part: &str) -> Option<Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

fn claims(payload: &Map<String, Value>) -> Result<Claims, &'static str> {
    let string = |name, what| match payload.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(what),
    };
    let date = |name, what| match payload.get(name) {
        None => Ok(None),
        Some(value) => numeric_date(value).map(Some).ok_or(what),
    };
    let aud = match payload.get("aud") {
        None => Vec::new(),
        Some(Value::String(aud)) => vec![aud.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .map(|a| a.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or("aud is not a string or a list of strings")?,
        Some(_) => return Err("aud is not a string or a list of strings"),
    };
    Ok(Claims {
        iss: string("iss", "iss is not a string")?,
        aud,
        exp: date("exp", "exp is not a number")?,
        nbf: date("nbf", "nbf is not a number")?,
        iat: date("iat", "iat is not a number")?,
        email: string("email", "email is not a string")?,
    })
}

/// A JWT NumericDate as whole Unix seconds: fractions dropped, negatives as 0.
fn numeric_date(value: &Value) -> Option<u64> {
    if let Some(n) = value.as_u64() {
        return Some(n);
    }
    let f = value.as_f64().filter(|f| f.is_finite())?;
    // `as` saturates: huge values become u64::MAX, negative ones 0.
    Some(f.floor() as u64)
}

/// The team domain as compared and fetched from: `https://` added when no scheme is written,
/// lowercase, without a trailing `/`; refused when it has a path or is not http(s).
pub fn normalize_team_domain(team_domain: &str) -> Result<String, AccessError> {
    let raw = team_domain.trim();
    let bad = || AccessError::BadTeamDomain { found: quoted(raw) };
    let trimmed = raw.strip_suffix('/').unwrap_or(raw);
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        format!("https://{trimmed}")
    };
    let (scheme, host) = with_scheme.split_once("://").ok_or_else(bad)?;
    let scheme = scheme.to_ascii_lowercase();
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if !matches!(scheme.as_str(), "https" | "http") || !host_ok {
        return Err(bad());
    }
    Ok(format!("{scheme}://{}", host.to_ascii_lowercase()))
}

/// Where the team's keys are: `<team domain>/cdn-cgi/access/certs`.
pub fn certs_url(team_domain: &str) -> Result<String, AccessError> {
    Ok(format!(
        "{}/cdn-cgi/access/certs",
        normalize_team_domain(team_domain)?
    ))
}

/// Checks a (signature-verified) token's claims for this console and returns the person's email.
///
/// `iss` must be the team domain (a trailing `/` on either side is ignored), `aud` must contain
/// the application's AUD tag, `exp > now - leeway`, `nbf <= now + leeway` when present, and
/// `email` must be a non-empty string.
pub fn validate_claims(
    claims: &Claims,
    team_domain: &str,
    aud: &str,
    now: u64,
    leeway: u64,
) -> Result<String, AccessError> {
    let team = normalize_team_domain(team_domain)?;
    let aud = aud.trim();
    if aud.is_empty() {
        return Err(AccessError::NoAudience);
    }
    let iss = claims.iss.as_deref().ok_or(AccessError::NoIssuer)?;
    if !iss
        .strip_suffix('/')
        .unwrap_or(iss)
        .eq_ignore_ascii_case(&team)
    {
        return Err(AccessError::WrongIssuer {
            found: quoted(iss),
            expected: team,
        });
    }
    if !claims.aud.iter().any(|a| a == aud) {
        let found = claims.aud.iter().map(|a| quoted(a)).collect::<Vec<_>>();
        return Err(AccessError::WrongAudience {
            found: match found.len() {
                0 => "none".to_owned(),
                1..=3 => found.join(", "),
                n => format!("{} and {} more", found[..3].join(", "), n - 3),
            },
        });
    }
    let exp = claims.exp.ok_or(AccessError::NoExpiry)?;
    if exp.saturating_add(leeway) <= now {
        return Err(AccessError::Expired { at: exp });
    }
    if let Some(nbf) = claims.nbf.filter(|&nbf| nbf > now.saturating_add(leeway)) {
        return Err(AccessError::NotYetValid { at: nbf });
    }
    match claims.email.as_deref().map(str::trim) {
        Some(email) if !email.is_empty() && !email.chars().any(char::is_control) => {
            Ok(email.to_owned())
        }
        _ => Err(AccessError::NoEmail),
    }
}

/// One of the team's RSA public keys, as WebCrypto's `importKey('jwk')` wants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwk {
    /// The key id tokens name in their header.
    pub kid: String,
    /// The modulus, base64url.
    pub n: String,
    /// The public exponent, base64url.
    pub e: String,
}

impl Jwk {
    /// The JWK to pass to `crypto.subtle.importKey('jwk', …, {name: 'RSASSA-PKCS1-v1_5', hash:
    /// 'SHA-256'}, false, ['verify'])`.
    pub fn import_json(&self) -> Value {
        serde_json::json!({"kty": "RSA", "alg": ALGORITHM, "n": self.n, "e": self.e, "ext": true})
    }
}

/// The team's signing keys, from `<team domain>/cdn-cgi/access/certs`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Jwks {
    keys: Vec<Jwk>,
}

impl Jwks {
    /// Reads a JWK Set, keeping the RSA keys usable for RS256 signatures (with a `kid` and
    /// base64url `n` and `e`; `use` and `alg`, when present, `sig` and `RS256`), at most
    /// [`MAX_KEYS`]; refused when none is left.
    pub fn parse(json: &str) -> Result<Jwks, AccessError> {
        if json.len() > MAX_JWKS_LEN {
            return Err(AccessError::Jwks {
                what: "they are over 64 KiB",
            });
        }
        let value: Value = serde_json::from_str(json).map_err(|_| AccessError::Jwks {
            what: "they are not JSON",
        })?;
        let Some(Value::Array(list)) = value.get("keys") else {
            return Err(AccessError::Jwks {
                what: "they have no \"keys\" list",
            });
        };
        let keys: Vec<Jwk> = list.iter().filter_map(rs256_key).take(MAX_KEYS).collect();
        if keys.is_empty() {
            return Err(AccessError::NoKeys);
        }
        Ok(Jwks { keys })
    }

    /// The key with id `kid`.
    pub fn key(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// Every key kept, in the set's order.
    pub fn keys(&self) -> &[Jwk] {
        &self.keys
    }
}

fn rs256_key(key: &Value) -> Option<Jwk> {
    let field = |name| key.get(name).and_then(Value::as_str);
    let allowed = |name, wanted| key.get(name).is_none() || field(name) == Some(wanted);
    let base64url = |s: &str| !s.is_empty() && URL_SAFE_NO_PAD.decode(s).is_ok();
    let (kid, n, e) = (field("kid")?, field("n")?, field("e")?);
    let usable = field("kty") == Some("RSA")
        && allowed("use", "sig")
        && allowed("alg", ALGORITHM)
        && !kid.is_empty()
        && base64url(n)
        && base64url(e);
    usable.then(|| Jwk {
        kid: kid.to_owned(),
        n: n.to_owned(),
        e: e.to_owned(),
    })
}

/// What [`KeyCache::lookup`] says to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLookup {
    /// Verify with this key.
    Found(Jwk),
    /// Fetch the keys now, [`KeyCache::store`] them if that worked, and look up again (the
    /// second answer is never `Fetch`).
    Fetch,
    /// The keys are current and hold no such `kid`: refuse the token.
    Unknown {
        /// Seconds until a fetch may be tried again.
        retry_after: u64,
    },
    /// No usable keys, and a fetch was tried too recently: refuse the token.
    Unavailable {
        /// Seconds until a fetch may be tried again.
        retry_after: u64,
    },
}

/// When [`KeyCache`] fetches the keys again, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPolicy {
    /// Keys this old are fetched again ([`KEYS_MAX_AGE_SECS`] by default).
    pub max_age: u64,
    /// Keys this old are no longer used, even while fetching fails ([`KEYS_MAX_STALE_SECS`]).
    pub max_stale: u64,
    /// The least time between two fetches ([`MIN_REFETCH_SECS`]).
    pub min_refetch: u64,
}

impl Default for KeyPolicy {
    fn default() -> Self {
        Self {
            max_age: KEYS_MAX_AGE_SECS,
            max_stale: KEYS_MAX_STALE_SECS,
            min_refetch: MIN_REFETCH_SECS,
        }
    }
}

/// The team's keys kept per isolate, and when to fetch them: when there are none, when they
/// are over `max_age` old, or when a token names an unknown `kid`, and never more than once
/// per `min_refetch`. Past `max_age`, keys keep serving, up to `max_stale`, while fetches fail.
#[derive(Debug, Clone, Default)]
pub struct KeyCache {
    policy: KeyPolicy,
    keys: Option<(Jwks, u64)>,
    last_attempt: Option<u64>,
}

impl KeyCache {
    /// An empty cache with the default [`KeyPolicy`]: the first lookup says to fetch.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty cache with this policy.
    pub fn with_policy(policy: KeyPolicy) -> Self {
        Self {
            policy,
            ..Self::default()
        }
    }

    /// What to do for a token signed by `kid` at `now` (Unix seconds); a `Fetch` answer
    /// records the attempt, so concurrent requests do not all fetch.
    pub fn lookup(&mut self, kid: &str, now: u64) -> KeyLookup {
        let age = self
            .keys
            .as_ref()
            .map(|(_, fetched_at)| now.saturating_sub(*fetched_at));
        let known = self
            .keys
            .as_ref()
            .and_then(|(jwks, _)| jwks.key(kid))
            .cloned();
        let policy = self.policy;
        let fresh = age.is_some_and(|age| age < policy.max_age);
        let usable = age.is_some_and(|age| age < policy.max_stale);
        if let (true, Some(key)) = (fresh, &known) {
            return KeyLookup::Found(key.clone());
        }
        let since_attempt = self.last_attempt.map(|at| now.saturating_sub(at));
        if since_attempt.is_none_or(|since| since >= policy.min_refetch) {
            self.last_attempt = Some(now);
            return KeyLookup::Fetch;
        }
        let retry_after = policy.min_refetch - since_attempt.unwrap_or(0);
        match known {
            Some(key) if usable => KeyLookup::Found(key),
            _ if fresh => KeyLookup::Unknown { retry_after },
            _ => KeyLookup::Unavailable { retry_after },
        }
    }

    /// Keeps freshly fetched keys, fetched at `now`.
    pub fn store(&mut self, jwks: Jwks, now: u64) {
        self.keys = Some((jwks, now));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use rand::SeedableRng;
    use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
    use rsa::signature::{SignatureEncoding, Signer, Verifier};
    use rsa::traits::PublicKeyParts;
    use rsa::{BigUint, RsaPrivateKey, RsaPublicKey};
    use serde_json::json;
    use sha2::Sha256;

    use super::*;

    const TEAM: &str = "https://veneer-shop.cloudflareaccess.com";
    const AUD: &str = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2";
    /// 2026-11-25T12:00:00Z.
    const NOW: u64 = 1_795_608_000;

    /// Two 2048-bit keys, made once per test run from fixed seeds.
    fn keys() -> &'static [RsaPrivateKey; 2] {
        static KEYS: OnceLock<[RsaPrivateKey; 2]> = OnceLock::new();
        KEYS.get_or_init(|| {
            [1, 2].map(|seed| {
                let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
                RsaPrivateKey::new(&mut rng, 2048).unwrap_or_else(|e| panic!("{e}"))
            })
        })
    }

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The JWKS the team domain would serve for `keys()`, with kids "k1" and "k2", in
    /// Cloudflare's shape (with its certificate fields beside `keys`).
    fn jwks_json() -> String {
        let jwk = |i: usize| {
            let public = keys()[i].to_public_key();
            json!({"kid": format!("k{}", i + 1), "kty": "RSA", "alg": "RS256", "use": "sig",
                   "e": b64(&public.e().to_bytes_be()), "n": b64(&public.n().to_bytes_be())})
        };
        json!({
            "keys": [jwk(0), jwk(1)],
            "public_cert": {"kid": "k1", "cert": "-----BEGIN CERTIFICATE-----\n…"},
            "public_certs": [{"kid": "k1", "cert": "…"}, {"kid": "k2", "cert": "…"}],
        })
        .to_string()
    }

    fn good_claims() -> Value {
        json!({
            "aud": [AUD], "email": "ana@shop.example", "exp": NOW + 3_600, "iat": NOW - 60,
            "nbf": NOW - 60, "iss": TEAM, "type": "app", "identity_nonce": "x",
            "sub": "7335d417-61da-459d-899c-0a01c76a2f94", "country": "DE",
        })
    }

    /// A token with this header and payload, signed with key `signer` (0 or 1).
    fn token_with(header: &Value, claims: &Value, signer: usize) -> String {
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let signing_key = SigningKey::<Sha256>::new(keys()[signer].clone());
        let signature = signing_key.sign(input.as_bytes()).to_vec();
        format!("{input}.{}", b64(&signature))
    }

    fn token(claims: &Value) -> String {
        token_with(
            &json!({"alg": "RS256", "kid": "k1", "typ": "JWT"}),
            claims,
            0,
        )
    }

    /// What the edge does with WebCrypto: verify `signing_input`/`signature` with the key the
    /// JWKS gives for the token's kid, from its base64url n and e.
    fn verifies(jwt: &Jwt) -> bool {
        let jwks = Jwks::parse(&jwks_json()).unwrap_or_else(|e| panic!("{e}"));
        let Some(jwk) = jwks.key(&jwt.header.kid) else {
            return false;
        };
        let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).unwrap_or_else(|e| panic!("{e}"));
        let public = RsaPublicKey::new(
            BigUint::from_bytes_be(&decode(&jwk.n)),
            BigUint::from_bytes_be(&decode(&jwk.e)),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let Ok(signature) = Signature::try_from(jwt.signature.as_slice()) else {
            return false;
        };
        VerifyingKey::<Sha256>::new(public)
            .verify(jwt.signing_input.as_bytes(), &signature)
            .is_ok()
    }

    fn parse(token: &str) -> Jwt {
        parse_jwt(token).unwrap_or_else(|e| panic!("{e}: {token}"))
    }

    fn validate(claims: &Claims) -> Result<String, AccessError> {
        validate_claims(claims, TEAM, AUD, NOW, DEFAULT_LEEWAY_SECS)
    }

    fn with(change: impl FnOnce(&mut Map<String, Value>)) -> Claims {
        let mut claims = good_claims();
        if let Some(map) = claims.as_object_mut() {
            change(map);
        }
        parse(&token(&claims)).claims
    }

    // ---- signatures: what parse_jwt extracts is exactly what must be verified ----

    #[test]
    fn a_good_token_parses_verifies_and_names_its_person() {
        let token = token(&good_claims());
        let jwt = parse(&token);
        assert_eq!(
            jwt.header,
            Header {
                alg: "RS256".into(),
                kid: "k1".into()
            }
        );
        assert_eq!(
            jwt.claims,
            Claims {
                iss: Some(TEAM.into()),
                aud: vec![AUD.into()],
                exp: Some(NOW + 3_600),
                nbf: Some(NOW - 60),
                iat: Some(NOW - 60),
                email: Some("ana@shop.example".into()),
            }
        );
        assert_eq!(jwt.signature.len(), 256);
        assert!(token.starts_with(&format!("{}.", jwt.signing_input)));
        assert_eq!(jwt.signing_input.matches('.').count(), 1);
        assert!(verifies(&jwt));
        assert_eq!(validate(&jwt.claims), Ok("ana@shop.example".into()));
        // Surrounding whitespace from the header value is not part of what is signed.
        assert_eq!(parse(&format!(" {token}\t")), jwt);
    }

    #[test]
    fn a_tampered_payload_fails_verification() {
        let token = token(&good_claims());
        let (input, signature) = token.rsplit_once('.').unwrap_or_default();
        let (header, _) = input.split_once('.').unwrap_or_default();
        let mut evil = good_claims();
        evil["email"] = json!("mallory@evil.example");
        let forged = format!("{header}.{}.{signature}", b64(evil.to_string().as_bytes()));
        let jwt = parse(&forged);
        assert_eq!(jwt.claims.email.as_deref(), Some("mallory@evil.example"));
        assert!(!verifies(&jwt));
    }

    #[test]
    fn a_tampered_header_fails_verification() {
        // Pointing the kid at the other key does not help: the header is signed too.
        let token = token(&good_claims());
        let (_, rest) = token.split_once('.').unwrap_or_default();
        let header = json!({"alg": "RS256", "kid": "k2", "typ": "JWT"}).to_string();
        let forged = format!("{}.{rest}", b64(header.as_bytes()));
        assert!(!verifies(&parse(&forged)));
    }

    #[test]
    fn another_key_fails_verification() {
        let header = json!({"alg": "RS256", "kid": "k1"});
        let by_other = parse(&token_with(&header, &good_claims(), 1));
        assert!(!verifies(&by_other));
        // Named honestly, the other key's token verifies with the other key.
        let honest = parse(&token_with(
            &json!({"alg": "RS256", "kid": "k2"}),
            &good_claims(),
            1,
        ));
        assert!(verifies(&honest));
        // A key the team does not have.
        let unknown = parse(&token_with(
            &json!({"alg": "RS256", "kid": "k9"}),
            &good_claims(),
            0,
        ));
        assert!(!verifies(&unknown));
    }

    #[test]
    fn a_cut_or_swapped_signature_fails_verification() {
        let token = token(&good_claims());
        let mut jwt = parse(&token);
        jwt.signature[0] ^= 1;
        assert!(!verifies(&jwt));
        let mut short = parse(&token);
        short.signature.pop();
        assert!(!verifies(&short));
    }

    // ---- claims ----

    #[test]
    fn the_issuer_must_be_the_team_domain() {
        assert_eq!(
            validate(&with(|c| {
                c.remove("iss");
            })),
            Err(AccessError::NoIssuer)
        );
        for iss in [
            "https://other-team.cloudflareaccess.com",
            "https://veneer-shop.cloudflareaccess.com.evil.example",
            "https://evil.example/https://veneer-shop.cloudflareaccess.com",
            "http://veneer-shop.cloudflareaccess.com",
            "veneer-shop.cloudflareaccess.com",
            "https://veneer-shop.cloudflareaccess.com//",
            "",
        ] {
            let claims = with(|c| {
                c.insert("iss".into(), json!(iss));
            });
            assert!(
                matches!(validate(&claims), Err(AccessError::WrongIssuer { .. })),
                "{iss:?}"
            );
        }
        let wrong = with(|c| {
            c.insert("iss".into(), json!("https://other.cloudflareaccess.com"));
        });
        assert_eq!(
            validate(&wrong).map_err(|e| e.to_string()),
            Err(
                "the Access token was issued by \"https://other.cloudflareaccess.com\", not by \
                 https://veneer-shop.cloudflareaccess.com; check ACCESS_TEAM_DOMAIN is your \
                 team's domain"
                    .into()
            )
        );
    }

    #[test]
    fn a_trailing_slash_on_either_side_is_the_same_issuer() {
        let slashed = with(|c| {
            c.insert("iss".into(), json!(format!("{TEAM}/")));
        });
        let plain = with(|_| {});
        for team in [
            TEAM,
            "https://veneer-shop.cloudflareaccess.com/",
            "veneer-shop.cloudflareaccess.com",
            " HTTPS://Veneer-Shop.cloudflareaccess.com/ ",
        ] {
            for claims in [&slashed, &plain] {
                assert_eq!(
                    validate_claims(claims, team, AUD, NOW, 0),
                    Ok("ana@shop.example".into()),
                    "{team}"
                );
            }
        }
    }

    #[test]
    fn the_audience_must_hold_the_aud_tag() {
        let single = with(|c| {
            c.insert("aud".into(), json!(AUD));
        });
        assert_eq!(validate(&single), Ok("ana@shop.example".into()));
        let among = with(|c| {
            c.insert("aud".into(), json!(["other", AUD, "third"]));
        });
        assert_eq!(validate(&among), Ok("ana@shop.example".into()));
        for aud in [
            json!("other"),
            json!(["a", "b"]),
            json!([]),
            json!(AUD.to_uppercase()),
            json!(format!("{AUD} ")),
        ] {
            let claims = with(|c| {
                c.insert("aud".into(), aud.clone());
            });
            assert!(
                matches!(validate(&claims), Err(AccessError::WrongAudience { .. })),
                "{aud}"
            );
        }
        let none = with(|c| {
            c.remove("aud");
        });
        assert_eq!(
            validate(&none).map_err(|e| e.to_string()),
            Err(
                "the Access token is for another application (aud none); check ACCESS_AUD is the \
                 AUD tag of the application in front of the console"
                    .into()
            )
        );
        let many = with(|c| {
            c.insert("aud".into(), json!(["a", "b", "c", "d", "e"]));
        });
        assert_eq!(
            validate(&many),
            Err(AccessError::WrongAudience {
                found: "\"a\", \"b\", \"c\" and 2 more".into()
            })
        );
        assert_eq!(
            validate_claims(&with(|_| {}), TEAM, " ", NOW, 0),
            Err(AccessError::NoAudience)
        );
    }

    #[test]
    fn expiry_with_leeway() {
        let exp = |exp: u64| {
            with(|c| {
                c.insert("exp".into(), json!(exp));
            })
        };
        let check = |claims: &Claims, leeway| validate_claims(claims, TEAM, AUD, NOW, leeway);
        assert!(check(&exp(NOW + 1), 0).is_ok());
        assert_eq!(check(&exp(NOW), 0), Err(AccessError::Expired { at: NOW }));
        assert!(check(&exp(NOW - 59), 60).is_ok());
        assert_eq!(
            check(&exp(NOW - 60), 60),
            Err(AccessError::Expired { at: NOW - 60 })
        );
        assert_eq!(check(&exp(0), u64::MAX), Ok("ana@shop.example".into()));
        let none = with(|c| {
            c.remove("exp");
        });
        assert_eq!(check(&none, 60), Err(AccessError::NoExpiry));
        assert_eq!(
            AccessError::Expired { at: NOW }.to_string(),
            "the Access token expired at 2026-11-25T12:00:00Z; reload the page to sign in through \
             Access again"
        );
    }

    #[test]
    fn not_before_with_leeway() {
        let nbf = |nbf: u64| {
            with(|c| {
                c.insert("nbf".into(), json!(nbf));
            })
        };
        let check = |claims: &Claims, leeway| validate_claims(claims, TEAM, AUD, NOW, leeway);
        assert!(check(&nbf(NOW), 0).is_ok());
        assert_eq!(
            check(&nbf(NOW + 1), 0),
            Err(AccessError::NotYetValid { at: NOW + 1 })
        );
        assert!(check(&nbf(NOW + 60), 60).is_ok());
        assert_eq!(
            check(&nbf(NOW + 61), 60),
            Err(AccessError::NotYetValid { at: NOW + 61 })
        );
        let none = with(|c| {
            c.remove("nbf");
        });
        assert!(check(&none, 0).is_ok());
        assert!(validate_claims(&nbf(u64::MAX), TEAM, AUD, NOW, u64::MAX).is_ok());
    }

    #[test]
    fn the_person_is_the_email() {
        let missing = with(|c| {
            c.remove("email");
        });
        assert_eq!(validate(&missing), Err(AccessError::NoEmail));
        for email in ["", "  ", "ana\n@x"] {
            let claims = with(|c| {
                c.insert("email".into(), json!(email));
            });
            assert_eq!(validate(&claims), Err(AccessError::NoEmail), "{email:?}");
        }
        let spaced = with(|c| {
            c.insert("email".into(), json!(" ana@shop.example "));
        });
        assert_eq!(validate(&spaced), Ok("ana@shop.example".into()));
    }

    #[test]
    fn numeric_dates_may_be_fractional() {
        let claims = with(|c| {
            c.insert("exp".into(), json!(1.7956e9 + 0.75));
            c.insert("iat".into(), json!(-5));
            c.insert("nbf".into(), json!(1e300));
        });
        assert_eq!(claims.exp, Some(1_795_600_000));
        assert_eq!(claims.iat, Some(0));
        assert_eq!(claims.nbf, Some(u64::MAX));
    }

    #[test]
    fn claims_of_the_wrong_type_are_malformed() {
        for (name, value) in [
            ("iss", json!(1)),
            ("aud", json!(7)),
            ("aud", json!([AUD, 7])),
            ("aud", json!({"a": 1})),
            ("exp", json!("soon")),
            ("nbf", json!(null)),
            ("iat", json!(true)),
            ("email", json!(["ana@shop.example"])),
        ] {
            let mut claims = good_claims();
            claims[name] = value.clone();
            let refused = parse_jwt(&token(&claims));
            assert!(
                matches!(refused, Err(AccessError::Malformed { .. })),
                "{name}: {value}: {refused:?}"
            );
        }
    }

    // ---- algorithms and shapes ----

    #[test]
    fn only_rs256_is_accepted() {
        let payload = b64(good_claims().to_string().as_bytes());
        for alg in [
            "none", "HS256", "RS384", "PS256", "ES256", "rs256", "RS256 ",
        ] {
            let header = b64(json!({"alg": alg, "kid": "k1"}).to_string().as_bytes());
            for signature in ["", "c2ln"] {
                let token = format!("{header}.{payload}.{signature}");
                assert_eq!(
                    parse_jwt(&token),
                    Err(AccessError::Algorithm {
                        alg: format!("{alg:?}")
                    }),
                    "{alg}"
                );
            }
        }
        assert_eq!(
            AccessError::Algorithm {
                alg: "\"none\"".into()
            }
            .to_string(),
            "the Access token is signed with \"none\"; only RS256, what Cloudflare Access uses, is \
             accepted"
        );
        for header in [
            json!({"kid": "k1"}),
            json!({"alg": null, "kid": "k1"}),
            json!({"alg": ["RS256"]}),
        ] {
            let token = format!("{}.{payload}.c2ln", b64(header.to_string().as_bytes()));
            assert!(
                matches!(parse_jwt(&token), Err(AccessError::Malformed { .. })),
                "{header}"
            );
        }
    }

    #[test]
    fn headers_need_a_kid_and_no_crit() {
        for header in [
            json!({"alg": "RS256"}),
            json!({"alg": "RS256", "kid": 1}),
            json!({"alg": "RS256", "kid": "k1", "crit": ["exp"]}),
        ] {
            let token = token_with(&header, &good_claims(), 0);
            assert!(
                matches!(parse_jwt(&token), Err(AccessError::Malformed { .. })),
                "{header}"
            );
        }
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let good = token(&good_claims());
        let (input, signature) = good.rsplit_once('.').unwrap_or_default();
        let header = input.split('.').next().unwrap_or_default();
        let not_object = b64(b"[1]");
        for bad in [
            String::new(),
            ".".into(),
            "..".into(),
            "a.b".into(),
            "a.b.c".into(),
            format!("{good}.x"),
            format!("{input}."),
            format!("{input}.!!!"),
            format!("{input}.c2ln="),
            format!("{header}.{not_object}.c2ln"),
            format!("{not_object}.{not_object}.c2ln"),
            format!("{header}.e30=.c2ln"),
            format!("{header}.{}.c2ln", b64(b"{\"iss\": ")),
            format!("{input}.+{}", &signature[1..]),
        ] {
            let refused = parse_jwt(&bad);
            assert!(
                matches!(refused, Err(AccessError::Malformed { .. })),
                "{bad:?}: {refused:?}"
            );
        }
        let huge = "a".repeat(MAX_JWT_LEN + 1);
        assert_eq!(
            parse_jwt(&huge),
            Err(AccessError::TooLong {
                len: MAX_JWT_LEN + 1
            })
        );
    }

    #[test]
    fn no_input_panics() {
        let good = token(&good_claims());
        // Every prefix, every single-byte deletion, and a deterministic stream of noise.
        for end in 0..=good.len() {
            let _ = parse_jwt(&good[..end]);
            let mut deleted = good.clone();
            if end < good.len() {
                deleted.remove(end);
                let _ = parse_jwt(&deleted);
            }
        }
        let alphabet: Vec<char> = "ab.-_=+/ \u{0}é😀{}\"eyJ".chars().collect();
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..5_000 {
            let len = (state % 80) as usize;
            let text: String = (0..len)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1);
                    alphabet[(state >> 33) as usize % alphabet.len()]
                })
                .collect();
            state = state.wrapping_add(0x2545_F491_4F6C_DD1D);
            let _ = parse_jwt(&text);
            let _ = Jwks::parse(&text);
        }
        for weird in [
            json!(1),
            json!("x"),
            json!(null),
            json!([]),
            json!({"a": {"b": [1e300]}}),
        ] {
            let part = b64(weird.to_string().as_bytes());
            let _ = parse_jwt(&format!("{part}.{part}.{part}"));
        }
    }

    // ---- team domain ----

    #[test]
    fn team_domains() {
        assert_eq!(normalize_team_domain(TEAM), Ok(TEAM.into()));
        assert_eq!(
            normalize_team_domain("veneer-shop.cloudflareaccess.com/"),
            Ok(TEAM.into())
        );
        assert_eq!(
            normalize_team_domain("http://127.0.0.1:9999"),
            Ok("http://127.0.0.1:9999".into())
        );
        assert_eq!(
            certs_url(TEAM),
            Ok("https://veneer-shop.cloudflareaccess.com/cdn-cgi/access/certs".into())
        );
        for bad in [
            "",
            "/",
            "https://",
            "ftp://team.example",
            "https://team.example/path",
            "https://a b",
            "https://x?y",
        ] {
            assert!(
                matches!(
                    normalize_team_domain(bad),
                    Err(AccessError::BadTeamDomain { .. })
                ),
                "{bad:?}"
            );
            assert!(validate_claims(&Claims::default(), bad, AUD, NOW, 0).is_err());
        }
    }

    // ---- key sets ----

    #[test]
    fn jwks_keep_rs256_keys() {
        let jwks = Jwks::parse(&jwks_json()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(jwks.keys().len(), 2);
        let k1 = jwks.key("k1").cloned().unwrap_or_else(|| panic!("k1"));
        assert_eq!(k1.e, "AQAB");
        assert_eq!(
            URL_SAFE_NO_PAD.decode(&k1.n).map(|n| n.len()).ok(),
            Some(256)
        );
        assert_eq!(jwks.key("k3"), None);
        assert_eq!(
            k1.import_json(),
            json!({"kty": "RSA", "alg": "RS256", "n": k1.n, "e": "AQAB", "ext": true})
        );
    }

    #[test]
    fn jwks_skip_keys_that_cannot_verify_rs256() {
        let set = json!({"keys": [
            {"kid": "ec", "kty": "EC", "crv": "P-256", "x": "AQAB", "y": "AQAB"},
            {"kid": "enc", "kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"},
            {"kid": "ps", "kty": "RSA", "alg": "PS256", "n": "AQAB", "e": "AQAB"},
            {"kid": "", "kty": "RSA", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
            {"kid": "pad", "kty": "RSA", "n": "AQAB==", "e": "AQAB"},
            {"kid": "empty", "kty": "RSA", "n": "", "e": "AQAB"},
            {"kid": "num", "kty": "RSA", "n": 5, "e": "AQAB"},
            "not a key",
            {"kid": "ok", "kty": "RSA", "n": "AQAB", "e": "AQAB"},
        ]});
        let jwks = Jwks::parse(&set.to_string()).unwrap_or_else(|e| panic!("{e}"));
        let kids: Vec<&str> = jwks.keys().iter().map(|k| k.kid.as_str()).collect();
        assert_eq!(kids, ["ok"]);
        let only_ec = json!({"keys": [{"kid": "ec", "kty": "EC"}]}).to_string();
        assert_eq!(Jwks::parse(&only_ec), Err(AccessError::NoKeys));
        assert_eq!(Jwks::parse(r#"{"keys": []}"#), Err(AccessError::NoKeys));
        let many: Vec<Value> = (0..100)
            .map(|i| json!({"kid": format!("k{i}"), "kty": "RSA", "n": "AQAB", "e": "AQAB"}))
            .collect();
        let capped = Jwks::parse(&json!({ "keys": many }).to_string());
        assert_eq!(capped.map(|j| j.keys().len()), Ok(MAX_KEYS));
    }

    #[test]
    fn unusable_jwks_say_why() {
        for (text, what) in [
            ("not json", "they are not JSON"),
            ("{}", "they have no \"keys\" list"),
            (r#"{"keys": {}}"#, "they have no \"keys\" list"),
            ("[]", "they have no \"keys\" list"),
        ] {
            assert_eq!(Jwks::parse(text), Err(AccessError::Jwks { what }), "{text}");
        }
        let huge = format!(r#"{{"keys": [], "x": "{}"}}"#, "a".repeat(MAX_JWKS_LEN));
        assert_eq!(
            Jwks::parse(&huge).map_err(|e| e.to_string()),
            Err(
                "the Access keys (<team domain>/cdn-cgi/access/certs) are unusable: they are over \
                 64 KiB"
                    .into()
            )
        );
    }

    // ---- the key cache policy ----

    fn one_key(kid: &str) -> Jwks {
        Jwks {
            keys: vec![Jwk {
                kid: kid.into(),
                n: "AQAB".into(),
                e: "AQAB".into(),
            }],
        }
    }

    fn found(kid: &str) -> KeyLookup {
        KeyLookup::Found(one_key(kid).keys[0].clone())
    }

    #[test]
    fn the_first_lookup_fetches_then_uses_the_keys() {
        let mut cache = KeyCache::new();
        assert_eq!(cache.lookup("k1", NOW), KeyLookup::Fetch);
        cache.store(one_key("k1"), NOW);
        assert_eq!(cache.lookup("k1", NOW), found("k1"));
        assert_eq!(cache.lookup("k1", NOW + KEYS_MAX_AGE_SECS - 1), found("k1"));
    }

    #[test]
    fn a_failed_first_fetch_waits_before_trying_again() {
        let mut cache = KeyCache::new();
        assert_eq!(cache.lookup("k1", NOW), KeyLookup::Fetch);
        // The fetch failed: nothing stored.
        assert_eq!(
            cache.lookup("k1", NOW),
            KeyLookup::Unavailable {
                retry_after: MIN_REFETCH_SECS
            }
        );
        assert_eq!(
            cache.lookup("k1", NOW + MIN_REFETCH_SECS - 1),
            KeyLookup::Unavailable { retry_after: 1 }
        );
        assert_eq!(cache.lookup("k1", NOW + MIN_REFETCH_SECS), KeyLookup::Fetch);
    }

    #[test]
    fn an_unknown_kid_refetches_at_most_once_per_interval() {
        let mut cache = KeyCache::new();
        assert_eq!(cache.lookup("k1", NOW), KeyLookup::Fetch);
        cache.store(one_key("k1"), NOW);
        // Within the interval of the last fetch: refused without fetching.
        assert_eq!(
            cache.lookup("k2", NOW + 2),
            KeyLookup::Unknown {
                retry_after: MIN_REFETCH_SECS - 2
            }
        );
        // After it: one fetch (keys rotated?), then refusals again.
        let later = NOW + MIN_REFETCH_SECS;
        assert_eq!(cache.lookup("k2", later), KeyLookup::Fetch);
        cache.store(one_key("k1"), later);
        for kid in ["k2", "k3", "k4"] {
            assert!(matches!(
                cache.lookup(kid, later + 1),
                KeyLookup::Unknown { .. }
            ));
        }
        // Known keys are unaffected.
        assert_eq!(cache.lookup("k1", later + 1), found("k1"));
        // Rotation: the refetch finds the new key.
        assert_eq!(
            cache.lookup("k2", later + MIN_REFETCH_SECS),
            KeyLookup::Fetch
        );
        cache.store(one_key("k2"), later + MIN_REFETCH_SECS);
        assert_eq!(cache.lookup("k2", later + MIN_REFETCH_SECS), found("k2"));
    }

    #[test]
    fn old_keys_are_refetched_and_serve_while_fetching_fails() {
        let mut cache = KeyCache::new();
        cache.lookup("k1", NOW);
        cache.store(one_key("k1"), NOW);
        let old = NOW + KEYS_MAX_AGE_SECS;
        assert_eq!(cache.lookup("k1", old), KeyLookup::Fetch);
        // That fetch failed: the stale key still serves until the next try.
        assert_eq!(cache.lookup("k1", old), found("k1"));
        assert_eq!(cache.lookup("k1", old + MIN_REFETCH_SECS), KeyLookup::Fetch);
        cache.store(one_key("k1"), old + MIN_REFETCH_SECS);
        assert_eq!(cache.lookup("k1", old + MIN_REFETCH_SECS + 1), found("k1"));
    }

    #[test]
    fn keys_past_the_stale_limit_are_not_used() {
        let mut cache = KeyCache::new();
        cache.lookup("k1", NOW);
        cache.store(one_key("k1"), NOW);
        let dead = NOW + KEYS_MAX_STALE_SECS;
        assert_eq!(cache.lookup("k1", dead), KeyLookup::Fetch);
        assert_eq!(
            cache.lookup("k1", dead),
            KeyLookup::Unavailable {
                retry_after: MIN_REFETCH_SECS
            }
        );
    }

    #[test]
    fn the_policy_can_be_changed() {
        let policy = KeyPolicy {
            max_age: 10,
            max_stale: 20,
            min_refetch: 60,
        };
        let mut cache = KeyCache::with_policy(policy);
        assert_eq!(cache.lookup("k1", NOW), KeyLookup::Fetch);
        cache.store(one_key("k1"), NOW);
        assert_eq!(
            cache.lookup("k2", NOW + 30),
            KeyLookup::Unavailable { retry_after: 30 }
        );
        assert_eq!(
            cache.lookup("k1", NOW + 15),
            found("k1"),
            "stale, within max_stale"
        );
        assert_eq!(cache.lookup("k1", NOW + 60), KeyLookup::Fetch);
        assert_eq!(KeyCache::new().policy, KeyPolicy::default());
    }

    #[test]
    fn a_clock_going_back_does_not_panic() {
        let mut cache = KeyCache::new();
        cache.lookup("k1", NOW);
        cache.store(one_key("k1"), NOW);
        assert_eq!(cache.lookup("k1", 0), found("k1"));
        assert!(matches!(cache.lookup("k2", 0), KeyLookup::Unknown { .. }));
    }
}
