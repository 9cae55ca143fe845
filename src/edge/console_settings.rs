//! What every module knows of the marketer console: whether it is on (a way in is configured),
//! the prefix it lives under, and the Access application it trusts. The shop's module needs
//! this much to keep the console's paths and credentials away from the origin; the console's
//! module answers the paths (`edge::console`).

use worker::Env;

use super::runtime::log_event;
use crate::console::access::{certs_url, normalize_team_domain};
use crate::console::session::SESSION_TTL_SECS;

/// The prefix the console lives under when `CONSOLE_PATH` is not set.
const DEFAULT_PREFIX: &str = "/__veneer";

/// The longest session `CONSOLE_SESSION_SECONDS` may ask for: a week.
const MAX_SESSION_SECS: u64 = 7 * 86_400;

/// The console's settings, read with the other vars once per isolate.
// The shop's module (built without the console) reads only `prefix`, and whether there are any.
#[cfg_attr(not(feature = "console"), allow(dead_code))]
pub(super) struct ConsoleSettings {
    /// `/__veneer`: no trailing slash.
    pub(super) prefix: String,
    /// `VENEER_ADMIN_TOKEN`, when set.
    pub(super) admin_token: Option<String>,
    /// Cloudflare Access, when both of its vars are set.
    pub(super) access: Option<AccessSettings>,
    /// How long a session cookie lasts (`CONSOLE_SESSION_SECONDS`: 12 hours by default, a
    /// week at most).
    pub(super) session_secs: u64,
}

impl ConsoleSettings {
    /// The console's settings, or `None` when no way in is configured (the console is off).
    pub(super) fn new(var: &dyn Fn(&str) -> Option<String>, env: &Env) -> Option<Self> {
        let admin_token = env
            .secret("VENEER_ADMIN_TOKEN")
            .map(|s| s.to_string())
            .ok()
            .filter(|t| !t.trim().is_empty());
        let access = match (var("ACCESS_TEAM_DOMAIN"), var("ACCESS_AUD")) {
            (Some(team), Some(aud)) => AccessSettings::new(&team, &aud),
            _ => None,
        };
        if admin_token.is_none() && access.is_none() {
            return None;
        }
        let prefix = var("CONSOLE_PATH").map_or_else(|| DEFAULT_PREFIX.to_owned(), |p| prefix(&p));
        let session_secs = var("CONSOLE_SESSION_SECONDS")
            .and_then(|s| s.trim().parse::<u64>().ok())
            .filter(|&s| s > 0)
            .unwrap_or(SESSION_TTL_SECS)
            .min(MAX_SESSION_SECS);
        Some(Self {
            prefix,
            admin_token,
            access,
            session_secs,
        })
    }

    /// Whether `path` (raw, as in the URL) is the console's: the prefix itself or under it.
    pub(super) fn owns(&self, path: &str) -> bool {
        path.strip_prefix(self.prefix.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }
}

/// `CONSOLE_PATH` as a prefix: one leading slash, no trailing one; the default (and a log line)
/// when it is not a usable path (`/` would take the whole shop).
fn prefix(path: &str) -> String {
    let trimmed = path.trim().trim_end_matches('/');
    let usable = trimmed.starts_with('/')
        && trimmed.len() > 1
        && trimmed
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.~".contains(&b));
    if usable {
        trimmed.to_owned()
    } else {
        log_event(
            "console_path_invalid",
            &format!(
                "CONSOLE_PATH {path:?} is not a path like /__veneer (letters, digits, - _ . ~ \
                 and /, not / alone); the console is at {DEFAULT_PREFIX}"
            ),
            None,
            path,
        );
        DEFAULT_PREFIX.to_owned()
    }
}

/// The Access application this console trusts (`ACCESS_TEAM_DOMAIN`, `ACCESS_AUD`); its tokens
/// are verified in `edge::console::access`.
#[cfg_attr(not(feature = "console"), allow(dead_code))]
pub(super) struct AccessSettings {
    /// `https://<team>.cloudflareaccess.com`: the tokens' `iss`.
    pub(super) team: String,
    /// Where the team's keys are.
    pub(super) certs: String,
    /// The application's AUD tag.
    pub(super) aud: String,
}

impl AccessSettings {
    /// The settings from the two vars, or `None` (and a log line) when the team domain is not
    /// a domain: the console then does not trust Access at all.
    fn new(team: &str, aud: &str) -> Option<Self> {
        match (normalize_team_domain(team), certs_url(team)) {
            (Ok(team), Ok(certs)) => Some(Self {
                team,
                certs,
                aud: aud.trim().to_owned(),
            }),
            (Err(e), _) | (_, Err(e)) => {
                log_event(
                    "access_misconfigured",
                    &format!("ACCESS_TEAM_DOMAIN: {e}"),
                    None,
                    "",
                );
                None
            }
        }
    }
}
