//! The visitor's session with Veneer: identity, consent, remembered assignments and previews.
//!
//! Pure: the edge hands in the request's cookies and query, the secret, the time and 16 random
//! bytes (when the runtime has any); this module says who the visitor is, whether they consented, which assignments they
//! keep, whether this is a marketer's preview, and which cookies to send back.

use http::HeaderMap;

use crate::document::Settings;

use super::cookies::cookie;
use super::query::param;
use super::signing::{
    decode_assignments, encode_assignments, is_valid_visitor_id, verify_preview_token,
    visitor_id_from_bytes,
};

/// The cookie that keeps experiment assignments.
pub const ASSIGNMENTS_COOKIE: &str = "veneer_exp";
/// The cookie that keeps a preview going after `?veneer_preview=<token>`.
pub const PREVIEW_COOKIE: &str = "veneer_preview";
/// The query parameter that starts (or, with `end`, ends) a preview.
pub const PREVIEW_PARAM: &str = "veneer_preview";
/// The query parameter that forces variations in a preview: `exp:variation,exp2:variation`.
pub const FORCE_PARAM: &str = "veneer_force";

/// What the session is made from, before any rules are loaded.
#[derive(Debug, Clone, Copy)]
pub struct RequestInput<'a> {
    /// The visitor's request headers (cookies are read from them).
    pub headers: &'a HeaderMap,
    /// The query string, without `?`.
    pub query: &'a str,
    /// `VENEER_SECRET` (empty when unset: previews are then off).
    pub secret: &'a [u8],
    /// The edge clock, in Unix seconds.
    pub now: u64,
    /// Whether the request came over https (cookies get `Secure`).
    pub secure: bool,
}

/// Everything the session is made from.
#[derive(Debug, Clone, Copy)]
pub struct SessionInput<'a> {
    /// The request.
    pub request: RequestInput<'a>,
    /// The rules document's settings (cookie names, consent mode, cookie lifetime).
    pub settings: &'a Settings,
    /// Fresh random bytes from the runtime, for a new visitor id; `None` when the runtime had
    /// none, and then a new visitor gets no id (the control, not counted, no cookies).
    pub random: Option<[u8; 16]>,
    /// Whether the document runs experiments, the only reason to set a visitor id cookie.
    pub identify: bool,
}

/// Whether this request is a marketer's preview; decided first, since it picks the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewState {
    /// The preview state.
    pub preview: Preview,
    /// Variations forced by `veneer_force` (only in a preview).
    pub forced: Vec<(String, String)>,
    /// `Set-Cookie` values for the preview cookie (set or cleared).
    pub cookies: Vec<String>,
    /// Things to log: an invalid or expired preview token, say.
    pub notes: Vec<String>,
}

/// A marketer's preview, if one is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Preview {
    /// No preview: the published rules, no debug information.
    Off,
    /// Preview until `expires_at` (Unix seconds).
    On {
        /// When the token stops working.
        expires_at: u64,
    },
}

/// Who the visitor is and what they keep, for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The visitor id, unless consent is missing (or, for a new visitor, randomness).
    pub visitor_id: Option<String>,
    /// The visitor id came from their cookie.
    pub returning: bool,
    /// Whether Veneer may set cookies and count the visitor (always true without consent mode).
    pub consent: bool,
    /// Assignments remembered from earlier visits.
    pub sticky: Vec<(String, String)>,
    /// The preview, decided before the rules were loaded.
    pub preview: PreviewState,
}

impl PreviewState {
    /// Reads `?veneer_preview=<token>` (or `end`), the preview cookie and `?veneer_force=`.
    pub fn new(input: &RequestInput) -> Self {
        let mut state = Self {
            preview: Preview::Off,
            forced: Vec::new(),
            cookies: Vec::new(),
            notes: Vec::new(),
        };
        let secure = if input.secure { "; Secure" } else { "" };
        let clear = format!("{PREVIEW_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}");
        let from_query = param(input.query, PREVIEW_PARAM);
        if from_query.as_deref() == Some("end") {
            state.cookies.push(clear);
            return state;
        }
        let (token, from_cookie) = match from_query {
            Some(token) => (token, false),
            None => match cookie(input.headers, PREVIEW_COOKIE) {
                Some(token) => (token.to_owned(), true),
                None => return state,
            },
        };
        match verify_preview_token(input.secret, &token, input.now) {
            Ok(expires_at) => {
                state.preview = Preview::On { expires_at };
                if !from_cookie {
                    let max_age = expires_at.saturating_sub(input.now);
                    state.cookies.push(format!(
                        "{PREVIEW_COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
                    ));
                }
                if let Some(list) = param(input.query, FORCE_PARAM) {
                    state.forced = list
                        .split(',')
                        .filter_map(|pair| pair.split_once(':'))
                        .map(|(e, v)| (e.trim().to_owned(), v.trim().to_owned()))
                        .collect();
                }
            }
            Err(e) => {
                let source = if from_cookie { "cookie" } else { "link" };
                state.notes.push(format!("preview {source} ignored: {e}"));
                if from_cookie {
                    state.cookies.push(clear);
                }
            }
        }
        state
    }

    /// Whether a marketer's preview is on.
    pub fn is_on(&self) -> bool {
        self.preview != Preview::Off
    }
}

impl Session {
    /// Works out the session of one request, once its rules (settings) are known.
    pub fn new(input: &SessionInput, preview: PreviewState) -> Self {
        let settings = input.settings;
        let headers = input.request.headers;
        let consent = match &settings.consent_cookie {
            None => true,
            Some(name) => cookie(headers, name)
                .is_some_and(|v| settings.consent_values.iter().any(|yes| yes == v)),
        };
        let existing = cookie(headers, &settings.visitor_cookie)
            .filter(|id| is_valid_visitor_id(id))
            .map(str::to_owned);
        let returning = existing.is_some();
        // Without randomness a new id could be everyone's: better no id at all.
        let visitor_id = if consent {
            existing.or_else(|| input.random.map(|bytes| visitor_id_from_bytes(&bytes)))
        } else {
            None
        };
        let sticky = match (&visitor_id, cookie(headers, ASSIGNMENTS_COOKIE)) {
            (Some(id), Some(value)) => {
                decode_assignments(input.request.secret, id, value).unwrap_or_default()
            }
            _ => Vec::new(),
        };
        Self {
            visitor_id,
            returning,
            consent,
            sticky,
            preview,
        }
    }

    /// Whether a marketer's preview is on.
    pub fn in_preview(&self) -> bool {
        self.preview.is_on()
    }

    /// The `Set-Cookie` values to send with a page: a new visitor id (when the document runs
    /// experiments), new assignments, and the preview cookie. Nothing that identifies the
    /// visitor without consent.
    pub fn cookies(&self, input: &SessionInput, remember: &[(String, String)]) -> Vec<String> {
        let settings = input.settings;
        let secure = if input.request.secure { "; Secure" } else { "" };
        let max_age = settings.visitor_cookie_days * 24 * 3600;
        let mut out = self.preview.cookies.clone();
        let Some(id) = self.visitor_id.as_deref().filter(|_| self.consent) else {
            return out;
        };
        if !self.returning && input.identify {
            out.push(format!(
                "{}={id}; Path=/; Max-Age={max_age}; SameSite=Lax{secure}",
                settings.visitor_cookie
            ));
        }
        if !remember.is_empty() {
            let mut all = self.sticky.clone();
            all.extend(remember.iter().cloned());
            out.push(format!(
                "{ASSIGNMENTS_COOKIE}={}; Path=/; Max-Age={max_age}; SameSite=Lax{secure}",
                encode_assignments(input.request.secret, id, &all)
            ));
        }
        out
    }
}

/// The small badge a previewing marketer sees, with a link that ends the preview.
pub const PREVIEW_BADGE: &str = "<div id=\"veneer-preview-badge\" role=\"status\" style=\"position:fixed;right:12px;bottom:12px;z-index:2147483647;background:#111;color:#fff;font:13px/1.4 system-ui,sans-serif;padding:8px 12px;border-radius:6px;box-shadow:0 2px 8px rgba(0,0,0,.3)\">Veneer preview: draft rules &middot; <a href=\"?veneer_preview=end\" style=\"color:#9cf\">End preview</a></div>";

#[cfg(test)]
mod tests {
    use super::super::signing::make_preview_token;
    use super::*;
    use http::HeaderValue;

    const SECRET: &[u8] = b"test-secret";
    const NOW: u64 = 1_795_000_000;

    fn headers(cookie: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        if !cookie.is_empty() {
            h.insert(http::header::COOKIE, HeaderValue::from_str(cookie).unwrap());
        }
        h
    }

    fn settings(consent: bool) -> Settings {
        Settings {
            visitor_cookie: "veneer_id".into(),
            visitor_cookie_days: 30,
            consent_cookie: consent.then(|| "consent".into()),
            consent_values: vec!["yes".into()],
            ..Settings::default()
        }
    }

    fn session(h: &HeaderMap, query: &str, s: &Settings) -> (Session, SessionInput<'static>) {
        let request = RequestInput {
            headers: Box::leak(Box::new(h.clone())),
            query: Box::leak(query.to_owned().into_boxed_str()),
            secret: SECRET,
            now: NOW,
            secure: true,
        };
        let input = SessionInput {
            request,
            settings: Box::leak(Box::new(s.clone())),
            random: Some([7; 16]),
            identify: true,
        };
        (Session::new(&input, PreviewState::new(&request)), input)
    }

    /// [`session`] on a runtime that had no random bytes to give.
    fn session_without_randomness(h: &HeaderMap, s: &Settings) -> (Session, SessionInput<'static>) {
        let (_, input) = session(h, "", s);
        let input = SessionInput {
            random: None,
            ..input
        };
        (
            Session::new(&input, PreviewState::new(&input.request)),
            input,
        )
    }

    fn assigned(experiment: &str, variation: &str) -> Vec<(String, String)> {
        vec![(experiment.into(), variation.into())]
    }

    #[test]
    fn a_new_visitor_gets_an_id_cookie_and_assignments_once() {
        let (s, input) = session(&headers(""), "", &settings(false));
        let id = s.visitor_id.clone().unwrap();
        assert_eq!(id, "BwcHBwcHBwcHBwcHBwcHBw");
        assert!(!s.returning && s.consent);
        let cookies = s.cookies(&input, &assigned("hero", "bold"));
        assert_eq!(
            cookies[0],
            format!("veneer_id={id}; Path=/; Max-Age=2592000; SameSite=Lax; Secure")
        );
        let value = cookies[1]
            .strip_prefix("veneer_exp=")
            .unwrap()
            .split(';')
            .next()
            .unwrap();
        assert_eq!(
            decode_assignments(SECRET, &id, value),
            Some(vec![("hero".into(), "bold".into())])
        );
        // The next request brings both cookies back: same id, remembered assignment, no new cookies.
        let (again, input) = session(
            &headers(&format!("veneer_id={id}; veneer_exp={value}")),
            "",
            &settings(false),
        );
        assert!(again.returning);
        assert_eq!(again.visitor_id.as_deref(), Some(id.as_str()));
        assert_eq!(again.sticky, [("hero".to_owned(), "bold".to_owned())]);
        assert!(again.cookies(&input, &[]).is_empty());
    }

    #[test]
    fn tampered_assignments_and_hostile_ids_are_ignored() {
        let (s, _) = session(
            &headers("veneer_id=<script>; veneer_exp=hero=bold.AAAAAAAAAAAAAAAAAAAAAA"),
            "",
            &settings(false),
        );
        assert_eq!(
            s.visitor_id.as_deref(),
            Some("BwcHBwcHBwcHBwcHBwcHBw"),
            "a new id replaces the hostile one"
        );
        assert!(!s.returning);
        assert!(s.sticky.is_empty());
    }

    #[test]
    fn without_consent_no_id_no_cookies() {
        let (s, input) = session(&headers("veneer_id=abc"), "", &settings(true));
        assert!(!s.consent);
        assert_eq!(s.visitor_id, None);
        assert!(s.cookies(&input, &assigned("hero", "bold")).is_empty());
        let (yes, _) = session(&headers("consent=yes; veneer_id=abc"), "", &settings(true));
        assert!(yes.consent);
        assert_eq!(yes.visitor_id.as_deref(), Some("abc"));
    }

    #[test]
    fn previews_start_continue_end_and_refuse_bad_tokens() {
        let token = make_preview_token(SECRET, NOW + 3600);
        let (s, input) = session(
            &headers(""),
            &format!("a=1&veneer_preview={token}&veneer_force=hero:bold,x:y"),
            &settings(false),
        );
        assert_eq!(
            s.preview.preview,
            Preview::On {
                expires_at: NOW + 3600
            }
        );
        assert_eq!(
            s.preview.forced,
            [
                ("hero".to_owned(), "bold".to_owned()),
                ("x".to_owned(), "y".to_owned())
            ]
        );
        assert_eq!(
            s.cookies(&input, &[])[0],
            format!("veneer_preview={token}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax; Secure")
        );
        let (from_cookie, _) = session(
            &headers(&format!("veneer_preview={token}")),
            "",
            &settings(false),
        );
        assert!(from_cookie.in_preview());
        assert!(from_cookie.preview.cookies.is_empty());
        let (ended, _) = session(
            &headers(&format!("veneer_preview={token}")),
            "veneer_preview=end",
            &settings(false),
        );
        assert!(!ended.in_preview());
        assert_eq!(
            ended.preview.cookies,
            ["veneer_preview=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure"]
        );
        let expired = make_preview_token(SECRET, NOW);
        let (late, _) = session(
            &headers(""),
            &format!("veneer_preview={expired}&veneer_force=hero:bold"),
            &settings(false),
        );
        assert!(!late.in_preview());
        assert!(
            late.preview.forced.is_empty(),
            "forcing needs a valid preview"
        );
        assert_eq!(
            late.preview.notes,
            [
                "preview link ignored: preview token expired at 2026-11-18T11:06:40Z; make a new link with `veneer preview-token`"
            ]
        );
        let forged = make_preview_token(b"other-secret", NOW + 60);
        let (bad, _) = session(
            &headers(&format!("veneer_preview={forged}")),
            "",
            &settings(false),
        );
        assert!(!bad.in_preview());
        assert!(
            bad.preview.notes[0]
                .starts_with("preview cookie ignored: preview token signature does not match")
        );
        assert_eq!(
            bad.preview.cookies.len(),
            1,
            "a bad preview cookie is cleared"
        );
    }

    #[test]
    fn without_randomness_a_new_visitor_gets_no_id_and_no_cookies() {
        let (s, input) = session_without_randomness(&headers(""), &settings(false));
        assert_eq!(
            s.visitor_id, None,
            "a made-up id would be shared by all such visitors"
        );
        assert!(!s.returning);
        assert!(s.consent, "consent is not the reason");
        assert!(s.sticky.is_empty());
        assert!(
            s.cookies(&input, &assigned("hero", "bold")).is_empty(),
            "no visitor id cookie, no assignments cookie"
        );
    }

    #[test]
    fn without_randomness_a_returning_visitor_keeps_their_id_and_assignments() {
        let (first, input) = session(&headers(""), "", &settings(false));
        let id = first.visitor_id.clone().unwrap();
        let exp = first.cookies(&input, &assigned("hero", "bold"))[1]
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let (s, input) = session_without_randomness(
            &headers(&format!("veneer_id={id}; {exp}")),
            &settings(false),
        );
        assert_eq!(s.visitor_id.as_deref(), Some(id.as_str()));
        assert!(s.returning);
        assert_eq!(s.sticky, assigned("hero", "bold"));
        assert!(s.cookies(&input, &[]).is_empty());
        // A new assignment is still remembered, for the id they already have.
        let cookies = s.cookies(&input, &assigned("menu", "new"));
        assert_eq!(cookies.len(), 1);
        assert!(cookies[0].starts_with("veneer_exp="));
    }
}
