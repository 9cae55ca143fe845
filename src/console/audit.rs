//! The audit log: its entries, the SQL the edge runs on D1 (table in
//! `migrations/0001_audit.sql`), the `GET /api/audit` parameters, and the CSV export.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::diagnostic::quoted;
use crate::request::rfc3339_utc;

/// Inserts one entry; bind `time, who, action, revision, summary` in that order.
pub const INSERT_SQL: &str =
    "INSERT INTO audit (time, who, action, revision, summary) VALUES (?1, ?2, ?3, ?4, ?5)";

/// The newest entries first; bind the limit. Rows deserialize as [`AuditEntry`].
pub const SELECT_SQL: &str = "SELECT time, who, action, revision, summary FROM audit \
                              ORDER BY time DESC, id DESC LIMIT ?1";

/// Entries answered when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 100;

/// Most entries answered at once.
pub const MAX_LIMIT: u32 = 1_000;

/// Longest `who` stored, in characters.
pub const MAX_WHO_CHARS: usize = 320;

/// Longest summary stored, in characters.
pub const MAX_SUMMARY_CHARS: usize = 1_000;

/// What someone did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// Signed in with the admin token.
    SignIn,
    /// Tried to sign in with a wrong token.
    SignInFailed,
    /// Saved the draft.
    Save,
    /// Published the draft as a new revision.
    Publish,
    /// Published an old revision's content as a new revision.
    Rollback,
    /// Scheduled a publish.
    Schedule,
    /// Cancelled a scheduled publish.
    Unschedule,
    /// A scheduled publish went live.
    ScheduledPublish,
}

impl AuditAction {
    /// Every action, in the order the docs list them.
    pub const ALL: [AuditAction; 8] = [
        Self::SignIn,
        Self::SignInFailed,
        Self::Save,
        Self::Publish,
        Self::Rollback,
        Self::Schedule,
        Self::Unschedule,
        Self::ScheduledPublish,
    ];

    /// The name stored in D1 and shown in the API: `sign_in`, `scheduled_publish`, ….
    pub fn as_str(self) -> &'static str {
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

    /// The action of a stored name, or `None` for any other text.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When, RFC 3339 UTC.
    pub time: String,
    /// Who: the Access email, the name given at sign-in, or `token`.
    pub who: String,
    /// What they did.
    pub action: AuditAction,
    /// The revision made or concerned, when there is one.
    pub revision: Option<u64>,
    /// What changed, briefly (see `summary::summarize`).
    pub summary: String,
}

impl AuditEntry {
    /// An entry at `now` (Unix seconds), with `who` and `summary` cut to
    /// [`MAX_WHO_CHARS`] and [`MAX_SUMMARY_CHARS`].
    pub fn new(
        now: u64,
        who: &str,
        action: AuditAction,
        revision: Option<u64>,
        summary: &str,
    ) -> Self {
        Self {
            time: rfc3339_utc(now),
            who: cut(who.trim(), MAX_WHO_CHARS),
            action,
            revision,
            summary: cut(summary, MAX_SUMMARY_CHARS),
        }
    }
}

fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// Why the audit log's query parameters were refused (a 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditQueryError {
    /// `format` is neither `json` nor `csv`.
    #[error("format must be json or csv (found {found})")]
    Format {
        /// The value given, quoted and cut.
        found: String,
    },
    /// `limit` is not a whole number from 1 to [`MAX_LIMIT`].
    #[error("limit must be a whole number from 1 to {MAX_LIMIT} (found {found})")]
    Limit {
        /// The value given, quoted and cut.
        found: String,
    },
}

/// How `GET /api/audit` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditFormat {
    /// `{"entries": [...]}`.
    Json,
    /// [`to_csv`], as `text/csv`.
    Csv,
}

/// The `format` parameter: `json` (the default) or `csv`.
pub fn audit_format(param: Option<&str>) -> Result<AuditFormat, AuditQueryError> {
    match param.map(str::trim) {
        None | Some("json") => Ok(AuditFormat::Json),
        Some("csv") => Ok(AuditFormat::Csv),
        Some(other) => Err(AuditQueryError::Format {
            found: quoted(other),
        }),
    }
}

/// The `limit` parameter: [`DEFAULT_LIMIT`] when absent, else 1 to [`MAX_LIMIT`].
pub fn audit_limit(param: Option<&str>) -> Result<u32, AuditQueryError> {
    let Some(text) = param.map(str::trim) else {
        return Ok(DEFAULT_LIMIT);
    };
    let digits = !text.is_empty() && text.len() <= 10 && text.bytes().all(|b| b.is_ascii_digit());
    match text.parse::<u32>() {
        Ok(limit) if digits && (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
        _ => Err(AuditQueryError::Limit {
            found: quoted(text),
        }),
    }
}

/// The entries as CSV (RFC 4180: a header row, CRLF line ends, fields with `,`, `"`, CR or LF
/// quoted), with every cell that a spreadsheet would run as a formula (starting with `=`, `+`,
/// `-`, `@`, tab or CR) given a leading `'`.
pub fn to_csv(entries: &[AuditEntry]) -> String {
    let mut out = String::from("time,who,action,revision,summary\r\n");
    for entry in entries {
        let revision = entry.revision.map(|r| r.to_string()).unwrap_or_default();
        let cells = [
            entry.time.as_str(),
            entry.who.as_str(),
            entry.action.as_str(),
            revision.as_str(),
            entry.summary.as_str(),
        ];
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_cell(&mut out, cell);
        }
        out.push_str("\r\n");
    }
    out
}

fn push_cell(out: &mut String, cell: &str) {
    let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = cell.contains([',', '"', '\r', '\n']);
    if quote {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    out.push_str(&cell.replace('"', "\"\""));
    if quote {
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-01T10:00:00Z.
    const NOW: u64 = 1_796_119_200;

    fn entry(who: &str, action: AuditAction, revision: Option<u64>, summary: &str) -> AuditEntry {
        AuditEntry::new(NOW, who, action, revision, summary)
    }

    #[test]
    fn actions_are_snake_case() {
        let names: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(
            names,
            [
                "sign_in",
                "sign_in_failed",
                "save",
                "publish",
                "rollback",
                "schedule",
                "unschedule",
                "scheduled_publish"
            ]
        );
        for action in AuditAction::ALL {
            let json = serde_json::to_string(&action).unwrap_or_default();
            assert_eq!(json, format!("\"{action}\""));
            assert_eq!(
                serde_json::from_str::<AuditAction>(&json).ok(),
                Some(action)
            );
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
        }
        assert_eq!(AuditAction::parse("Publish"), None);
        assert_eq!(AuditAction::parse(""), None);
    }

    #[test]
    fn entries_serialize_as_the_api_and_d1_rows_read_back() {
        let e = entry(
            "ana@shop.example",
            AuditAction::Publish,
            Some(7),
            "rules: +bf-banner",
        );
        assert_eq!(
            serde_json::to_value(&e).unwrap_or_default(),
            serde_json::json!({"time": "2026-12-01T10:00:00Z", "who": "ana@shop.example",
                "action": "publish", "revision": 7, "summary": "rules: +bf-banner"})
        );
        let row = r#"{"time": "2026-12-01T10:00:00Z", "who": "token", "action": "sign_in",
                      "revision": null, "summary": ""}"#;
        let back: AuditEntry = serde_json::from_str(row).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(back, entry("token", AuditAction::SignIn, None, ""));
    }

    #[test]
    fn long_fields_are_cut() {
        let e = entry(
            &"w".repeat(400),
            AuditAction::Save,
            None,
            &"é".repeat(2_000),
        );
        assert_eq!(e.who.chars().count(), MAX_WHO_CHARS + 1);
        assert!(e.who.ends_with('…'));
        assert_eq!(e.summary.chars().count(), MAX_SUMMARY_CHARS + 1);
    }

    #[test]
    fn csv_quotes_as_rfc_4180() {
        let entries = [
            entry(
                "ana@shop.example",
                AuditAction::Publish,
                Some(7),
                "rules: +a, ~b",
            ),
            entry(
                "Bo \"the boss\"",
                AuditAction::Save,
                None,
                "line one\nline two",
            ),
            entry("token", AuditAction::SignIn, None, ""),
        ];
        assert_eq!(
            to_csv(&entries),
            "time,who,action,revision,summary\r\n\
             2026-12-01T10:00:00Z,ana@shop.example,publish,7,\"rules: +a, ~b\"\r\n\
             2026-12-01T10:00:00Z,\"Bo \"\"the boss\"\"\",save,,\"line one\nline two\"\r\n\
             2026-12-01T10:00:00Z,token,sign_in,,\r\n"
        );
        assert_eq!(to_csv(&[]), "time,who,action,revision,summary\r\n");
    }

    #[test]
    fn csv_neutralizes_formulas() {
        let cell = |who: &str| {
            let csv = to_csv(&[entry(who, AuditAction::SignInFailed, None, "x")]);
            let row = csv.lines().nth(1).unwrap_or_default().to_owned();
            row.split_once(',')
                .map(|(_, rest)| rest.to_owned())
                .unwrap_or_default()
        };
        assert_eq!(
            cell("=HYPERLINK(\"http://evil\")"),
            "\"'=HYPERLINK(\"\"http://evil\"\")\",sign_in_failed,,x"
        );
        assert_eq!(cell("+1+1"), "'+1+1,sign_in_failed,,x");
        assert_eq!(cell("-2"), "'-2,sign_in_failed,,x");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1),sign_in_failed,,x");
        assert_eq!(cell("=1,2"), "\"'=1,2\",sign_in_failed,,x");
        assert_eq!(cell("ana=1"), "ana=1,sign_in_failed,,x");
        let summary = to_csv(&[entry("a", AuditAction::Save, None, "-old-hero")]);
        assert!(summary.ends_with(",save,,'-old-hero\r\n"), "{summary}");
        // Tabs and carriage returns at the start too (the `who` is trimmed, so in the summary).
        let tab = to_csv(&[entry("a", AuditAction::Save, None, "\t=1")]);
        assert!(tab.ends_with(",save,,'\t=1\r\n"), "{tab:?}");
        let cr = to_csv(&[entry("a", AuditAction::Save, None, "\r=1")]);
        assert!(cr.ends_with(",save,,\"'\r=1\"\r\n"), "{cr:?}");
    }

    #[test]
    fn query_parameters() {
        assert_eq!(audit_format(None), Ok(AuditFormat::Json));
        assert_eq!(audit_format(Some("json")), Ok(AuditFormat::Json));
        assert_eq!(audit_format(Some("csv")), Ok(AuditFormat::Csv));
        assert_eq!(
            audit_format(Some("xml")).map_err(|e| e.to_string()),
            Err("format must be json or csv (found \"xml\")".into())
        );
        assert_eq!(audit_limit(None), Ok(DEFAULT_LIMIT));
        assert_eq!(audit_limit(Some("1")), Ok(1));
        assert_eq!(audit_limit(Some(" 1000 ")), Ok(MAX_LIMIT));
        for bad in [
            "0",
            "1001",
            "-1",
            "+5",
            "1e3",
            "",
            "ten",
            "99999999999999999999",
        ] {
            assert!(audit_limit(Some(bad)).is_err(), "{bad:?}");
        }
        assert_eq!(
            audit_limit(Some("0")).map_err(|e| e.to_string()),
            Err("limit must be a whole number from 1 to 1000 (found \"0\")".into())
        );
    }

    #[test]
    fn the_migration_matches_the_sql() {
        let migration = include_str!("../../migrations/0001_audit.sql");
        assert!(migration.contains("CREATE TABLE IF NOT EXISTS audit ("));
        for column in [
            "id INTEGER PRIMARY KEY AUTOINCREMENT",
            "time TEXT NOT NULL",
            "who TEXT NOT NULL",
            "action TEXT NOT NULL",
            "revision INTEGER,",
            "summary TEXT NOT NULL",
        ] {
            assert!(migration.contains(column), "{column}");
        }
        assert!(migration.contains("CREATE INDEX IF NOT EXISTS audit_time ON audit (time);"));
        for sql in [INSERT_SQL, SELECT_SQL] {
            for column in ["time", "who", "action", "revision", "summary"] {
                assert!(sql.contains(column), "{sql}: {column}");
            }
        }
    }
}
