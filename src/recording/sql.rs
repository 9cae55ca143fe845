//! The SQL that stores events in D1 (tables `exposures` and `conversions`,
//! `migrations/0002_analytics.sql`), with its parameters: the edge only binds and runs it.

use super::events::{Event, Recorded};
#[cfg(console_code)]
use crate::document::{CompiledRules, GoalKind, Status};

/// The first exposure of a visitor to an experiment stays: later ones change nothing.
pub const INSERT_EXPOSURE: &str = "INSERT INTO exposures (experiment, visitor, variation, first_seen) \
     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (experiment, visitor) DO NOTHING";

/// One conversion: a new row per (experiment, goal, visitor), or its count and value grow.
pub const UPSERT_CONVERSION: &str = "INSERT INTO conversions (experiment, goal, visitor, variation, count, value, first_at, last_at) \
     VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?6) \
     ON CONFLICT (experiment, goal, visitor) DO UPDATE SET count = count + 1, \
     value = value + excluded.value, last_at = excluded.last_at";

#[cfg(console_code)]
/// A server conversion: attributed to the visitor's exposure to the experiment, if any (a
/// visitor never exposed makes no row).
pub const SERVER_CONVERSION: &str = "INSERT INTO conversions (experiment, goal, visitor, variation, count, value, first_at, last_at) \
     SELECT experiment, ?2, visitor, variation, 1, ?4, ?5, ?5 FROM exposures \
     WHERE experiment = ?1 AND visitor = ?3 \
     ON CONFLICT (experiment, goal, visitor) DO UPDATE SET count = count + 1, \
     value = value + excluded.value, last_at = excluded.last_at";

/// Retention: exposures first seen before the cutoff.
pub const DELETE_OLD_EXPOSURES: &str = "DELETE FROM exposures WHERE first_seen < ?1";

/// Retention: conversions last seen before the cutoff.
pub const DELETE_OLD_CONVERSIONS: &str = "DELETE FROM conversions WHERE last_at < ?1";

/// How often one isolate runs the retention deletes: at most once an hour.
pub const RETENTION_EVERY_MS: i64 = 3_600_000;

/// One bound value.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// Text.
    Text(String),
    /// A number (integers up to 2^53 are exact).
    Number(f64),
}

/// One statement to run, with its parameters in order (`?1`, `?2`, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The SQL.
    pub sql: &'static str,
    /// Its parameters.
    pub params: Vec<Param>,
}

/// The statements that store one request's events (run as one D1 batch).
pub fn statements(recorded: &Recorded) -> Vec<Statement> {
    let text = |s: &str| Param::Text(s.to_owned());
    let at = Param::Number(recorded.at_ms as f64);
    recorded
        .events
        .iter()
        .map(|event| match event {
            Event::Exposure {
                experiment,
                variation,
                ..
            } => Statement {
                sql: INSERT_EXPOSURE,
                params: vec![
                    text(experiment),
                    text(&recorded.visitor),
                    Param::Number(*variation as f64),
                    at.clone(),
                ],
            },
            Event::Conversion {
                experiment,
                goal,
                variation,
                value,
                ..
            } => Statement {
                sql: UPSERT_CONVERSION,
                params: vec![
                    text(experiment),
                    text(goal),
                    text(&recorded.visitor),
                    Param::Number(*variation as f64),
                    Param::Number(*value),
                    at.clone(),
                ],
            },
        })
        .collect()
}

#[cfg(console_code)]
/// The statements of a server conversion of `goal` for `visitor`: one per running experiment
/// that measures it. An error (for a 400) when `goal` is not a server goal.
pub fn server_statements(
    rules: &CompiledRules,
    goal: &str,
    visitor: &str,
    value: f64,
    at_ms: i64,
) -> Result<Vec<Statement>, String> {
    match rules.goals.get(goal) {
        Some(g) if g.kind == GoalKind::Server => {}
        Some(_) => {
            return Err(format!(
                "goal {goal:?} is not a server goal (\"type\": \"server\"); the browser reports it"
            ));
        }
        None => return Err(format!("unknown goal {goal:?}")),
    }
    Ok(rules
        .experiments
        .iter()
        .filter(|e| e.status == Status::Running && e.metrics.iter().any(|m| m.goal == goal))
        .map(|e| Statement {
            sql: SERVER_CONVERSION,
            params: vec![
                Param::Text(e.id.clone()),
                Param::Text(goal.to_owned()),
                Param::Text(visitor.to_owned()),
                Param::Number(value),
                Param::Number(at_ms as f64),
            ],
        })
        .collect())
}

/// When this isolate last ran the retention deletes.
#[derive(Debug, Default)]
pub struct RetentionClock {
    last_ms: Option<i64>,
}

impl RetentionClock {
    /// Whether the deletes are due at `now_ms` (then they count as run).
    pub fn due(&mut self, now_ms: i64) -> bool {
        let due = self
            .last_ms
            .is_none_or(|last| now_ms - last >= RETENTION_EVERY_MS);
        if due {
            self.last_ms = Some(now_ms);
        }
        due
    }
}

/// The retention deletes: rows older than `days` days at `now_ms`.
pub fn retention_statements(days: u64, now_ms: i64) -> Vec<Statement> {
    let cutoff = Param::Number((now_ms - days as i64 * 86_400_000) as f64);
    vec![
        Statement {
            sql: DELETE_OLD_EXPOSURES,
            params: vec![cutoff.clone()],
        },
        Statement {
            sql: DELETE_OLD_CONVERSIONS,
            params: vec![cutoff],
        },
    ]
}

/// Most statements in one D1 batch (one batch per flush, and D1's Free plan allows 50 queries
/// per invocation).
pub const MAX_BATCH: usize = 40;

/// How long a flush waits for more statements before it sends its batch, in milliseconds.
pub const FLUSH_DELAY_MS: u64 = 100;

/// The statements waiting to be sent, shared by the requests of one isolate: instead of one D1
/// batch per request, each flush sends up to [`MAX_BATCH`] statements of all the requests of the
/// last [`FLUSH_DELAY_MS`]. There are always enough flushes scheduled to send everything
/// waiting, so nothing is left behind when traffic stops.
#[derive(Debug, Default)]
pub struct WriteBuffer {
    pending: Vec<Statement>,
    flushes: usize,
}

impl WriteBuffer {
    /// Adds statements; says how many new flushes to schedule (each sends one batch).
    pub fn push(&mut self, statements: Vec<Statement>) -> usize {
        self.pending.extend(statements);
        let mut new = 0;
        while self.pending.len() > self.flushes * MAX_BATCH {
            self.flushes += 1;
            new += 1;
        }
        new
    }

    /// One flush's batch: the oldest statements, at most [`MAX_BATCH`].
    pub fn take(&mut self) -> Vec<Statement> {
        self.flushes = self.flushes.saturating_sub(1);
        let n = self.pending.len().min(MAX_BATCH);
        self.pending.drain(..n).collect()
    }
}
