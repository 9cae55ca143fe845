//! Schedules: when a rule is live, checked against the edge clock on every request.
//!
//! A campaign starts and ends on time without republishing: `start` is inclusive, `end` is
//! exclusive, both RFC 3339 times with an explicit offset. Optional recurring windows (days of
//! the week and a time range, in a fixed UTC offset, so no daylight-saving surprises) narrow
//! it further: the rule is live when `now` is inside at least one window.

use chrono::{DateTime, Datelike, FixedOffset, NaiveTime, Utc, Weekday};
use serde_json::Value;

use crate::diagnostic::{JsonPath, Problem, describe};

/// A compiled schedule: the bounds and windows of a rule's life.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schedule {
    /// First instant the rule is live (inclusive).
    pub start: Option<DateTime<Utc>>,
    /// First instant the rule is no longer live (exclusive).
    pub end: Option<DateTime<Utc>>,
    /// Recurring windows; empty means "at any time between start and end".
    pub windows: Vec<Window>,
}

/// A weekly window such as "Monday to Friday, 09:00 to 17:00 at +01:00".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Days the window opens on (in `offset`'s local time).
    pub days: Vec<Weekday>,
    /// Local opening time (inclusive).
    pub from: NaiveTime,
    /// Local closing time (exclusive); after `from`.
    pub to: NaiveTime,
    /// The fixed offset the days and times are in.
    pub offset: FixedOffset,
}

const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

impl Schedule {
    /// Whether the schedule is live at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.start.is_none_or(|s| now >= s)
            && self.end.is_none_or(|e| now < e)
            && (self.windows.is_empty() || self.windows.iter().any(|w| w.contains(now)))
    }

    /// Parses a schedule object, collecting every problem.
    pub fn parse(value: &Value) -> Result<Self, Vec<Problem>> {
        let mut errors = Vec::new();
        let err = |errors: &mut Vec<Problem>, path: JsonPath, message: String| {
            errors.push(Problem::new(path, message))
        };
        let Some(object) = value.as_object() else {
            return Err(vec![Problem::new(
                JsonPath::root(),
                format!(
                    "expected an object like {{\"start\": \"2026-11-27T00:00:00+01:00\"}}, found {}",
                    describe(value)
                ),
            )]);
        };
        for key in object.keys() {
            if !["start", "end", "windows"].contains(&key.as_str()) {
                err(
                    &mut errors,
                    JsonPath::root().key(key),
                    format!("unknown field {key:?}; expected one of start, end, windows"),
                );
            }
        }
        let time = |key: &str, errors: &mut Vec<Problem>| match object.get(key) {
            None => None,
            Some(Value::String(s)) => match DateTime::parse_from_rfc3339(s) {
                Ok(t) => Some(t.with_timezone(&Utc)),
                Err(e) => {
                    err(
                        errors,
                        JsonPath::root().key(key),
                        format!(
                            "expected an RFC 3339 time with an offset, like \"2026-11-27T00:00:00+01:00\", found {s:?} ({e})"
                        ),
                    );
                    None
                }
            },
            Some(other) => {
                err(
                    errors,
                    JsonPath::root().key(key),
                    format!("expected a time string, found {}", describe(other)),
                );
                None
            }
        };
        let start = time("start", &mut errors);
        let end = time("end", &mut errors);
        if let (Some(s), Some(e)) = (start, end)
            && e <= s
        {
            err(
                &mut errors,
                JsonPath::root().key("end"),
                format!("the end ({e}) must be after the start ({s})"),
            );
        }
        let mut windows = Vec::new();
        match object.get("windows") {
            None => {}
            Some(Value::Array(list)) => {
                for (i, w) in list.iter().enumerate() {
                    if let Some(w) =
                        parse_window(w, &JsonPath::root().key("windows").index(i), &mut errors)
                    {
                        windows.push(w);
                    }
                }
            }
            Some(other) => err(
                &mut errors,
                JsonPath::root().key("windows"),
                format!("expected a list of windows, found {}", describe(other)),
            ),
        }
        if errors.is_empty() {
            Ok(Self {
                start,
                end,
                windows,
            })
        } else {
            Err(errors)
        }
    }
}

impl Window {
    fn contains(&self, now: DateTime<Utc>) -> bool {
        let local = now.with_timezone(&self.offset);
        let time = local.time();
        self.days.contains(&local.weekday()) && time >= self.from && time < self.to
    }
}

fn parse_window(value: &Value, path: &JsonPath, errors: &mut Vec<Problem>) -> Option<Window> {
    let before = errors.len();
    let mut err =
        |at: JsonPath, message: String| errors.push(Problem::new(path.join(&at), message));
    let Some(object) = value.as_object() else {
        err(
            JsonPath::root(),
            format!(
                "expected a window like {{\"days\": [\"sat\", \"sun\"], \"from\": \"09:00\", \"to\": \"18:00\", \"utc_offset\": \"+01:00\"}}, found {}",
                describe(value)
            ),
        );
        return None;
    };
    for key in object.keys() {
        if !["days", "from", "to", "utc_offset"].contains(&key.as_str()) {
            err(
                JsonPath::root().key(key),
                format!("unknown field {key:?}; expected one of days, from, to, utc_offset"),
            );
        }
    }
    let mut days = Vec::new();
    match object.get("days") {
        None => days.extend(DAYS.iter().map(|(_, d)| *d)),
        Some(Value::Array(list)) if !list.is_empty() => {
            for (i, d) in list.iter().enumerate() {
                match d
                    .as_str()
                    .and_then(|s| DAYS.iter().find(|(n, _)| n.eq_ignore_ascii_case(s)))
                {
                    Some((_, day)) => days.push(*day),
                    None => err(
                        JsonPath::root().key("days").index(i),
                        format!(
                            "expected one of mon, tue, wed, thu, fri, sat, sun, found {}",
                            describe(d)
                        ),
                    ),
                }
            }
        }
        Some(other) => err(
            JsonPath::root().key("days"),
            format!(
                "expected a non-empty list of days like [\"sat\", \"sun\"], found {}",
                describe(other)
            ),
        ),
    }
    let mut clock = |key: &str| {
        let Some(v) = object.get(key) else {
            err(
                JsonPath::root(),
                format!("missing field {key:?} (a time like \"09:00\")"),
            );
            return None;
        };
        match v.as_str().map(|s| NaiveTime::parse_from_str(s, "%H:%M")) {
            Some(Ok(t)) => Some(t),
            _ => {
                err(
                    JsonPath::root().key(key),
                    format!(
                        "expected a time like \"09:00\" (24-hour HH:MM), found {}",
                        describe(v)
                    ),
                );
                None
            }
        }
    };
    let from = clock("from");
    let to = clock("to");
    let offset = match object.get("utc_offset") {
        None => FixedOffset::east_opt(0),
        Some(v) => {
            let parsed = v.as_str().and_then(parse_offset);
            if parsed.is_none() {
                err(
                    JsonPath::root().key("utc_offset"),
                    format!(
                        "expected an offset like \"+01:00\" or \"-05:00\", found {}",
                        describe(v)
                    ),
                );
            }
            parsed
        }
    };
    if let (Some(f), Some(t)) = (from, to)
        && t <= f
    {
        err(
            JsonPath::root().key("to"),
            format!(
                "the window must close after it opens (\"from\" {f} < \"to\" {t}); split an overnight window in two"
            ),
        );
    }
    if errors.len() != before {
        return None;
    }
    Some(Window {
        days,
        from: from?,
        to: to?,
        offset: offset?,
    })
}

fn parse_offset(text: &str) -> Option<FixedOffset> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn start_is_inclusive_end_is_exclusive_offsets_respected() {
        let s = Schedule::parse(&json!({
            "start": "2026-11-27T00:00:00+01:00", "end": "2026-11-30T23:59:59+01:00"
        }))
        .unwrap();
        assert!(!s.is_active(at("2026-11-26T22:59:59Z")));
        assert!(
            s.is_active(at("2026-11-26T23:00:00Z")),
            "start is inclusive, in +01:00"
        );
        assert!(s.is_active(at("2026-11-30T22:59:58Z")));
        assert!(!s.is_active(at("2026-11-30T22:59:59Z")), "end is exclusive");
    }

    #[test]
    fn windows_use_a_fixed_offset_without_daylight_saving() {
        let s = Schedule::parse(&json!({ "windows": [
            { "days": ["sat", "sun"], "from": "09:00", "to": "18:00", "utc_offset": "+01:00" }
        ]}))
        .unwrap();
        // Saturday 2026-11-28 08:00Z is 09:00 at +01:00.
        assert!(s.is_active(at("2026-11-28T08:00:00Z")));
        assert!(!s.is_active(at("2026-11-28T07:59:59Z")));
        assert!(
            !s.is_active(at("2026-11-28T17:00:00Z")),
            "18:00 local closes it"
        );
        // Summer: still +01:00, no DST shift (2026-07-04 is a Saturday).
        assert!(s.is_active(at("2026-07-04T08:00:00Z")));
        // Friday 2026-11-27 at 12:00 local: wrong day.
        assert!(!s.is_active(at("2026-11-27T11:00:00Z")));
        // Sunday 23:30Z is Monday 00:30 at +01:00: outside.
        assert!(!s.is_active(at("2026-11-29T23:30:00Z")));
    }

    #[test]
    fn every_problem_is_reported() {
        let errors = Schedule::parse(&json!({
            "start": "2026-11-30T00:00:00+01:00", "end": "2026-11-27T00:00:00+01:00",
            "stop": 1,
            "windows": [{ "days": ["sa"], "from": "9am", "to": "08:00", "utc_offset": "CET" }, 3]
        }))
        .unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "$.stop: unknown field \"stop\"; expected one of start, end, windows",
                "$.end: the end (2026-11-26 23:00:00 UTC) must be after the start (2026-11-29 23:00:00 UTC)",
                "$.windows[0].days[0]: expected one of mon, tue, wed, thu, fri, sat, sun, found a string (\"sa\")",
                "$.windows[0].from: expected a time like \"09:00\" (24-hour HH:MM), found a string (\"9am\")",
                "$.windows[0].utc_offset: expected an offset like \"+01:00\" or \"-05:00\", found a string (\"CET\")",
                "$.windows[1]: expected a window like {\"days\": [\"sat\", \"sun\"], \"from\": \"09:00\", \"to\": \"18:00\", \"utc_offset\": \"+01:00\"}, found a number (3)",
            ]
        );
        let bad_time = Schedule::parse(&json!({"start": "2026-11-27 00:00"})).unwrap_err();
        assert!(bad_time[0].message.starts_with(
            "expected an RFC 3339 time with an offset, like \"2026-11-27T00:00:00+01:00\", found \"2026-11-27 00:00\""
        ));
    }
}
