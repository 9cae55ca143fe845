//! Banners: HTML at a chosen place, with an optional end time shown as a live countdown.
//!
//! The end time is rendered as `<time datetime>` whose text reads without script ("ends 1 Dec
//! 2026, 00:00 UTC+01:00", in the offset the rule wrote). A small script, added at the end of
//! `<head>` with the page's CSP nonce, turns it into a countdown each second and puts the end
//! time in the visitor's own timezone in its title.

use chrono::{DateTime, FixedOffset, SecondsFormat};
use serde_json::Value;

use super::plan::{Edit, ElementEdit, HeadInjection};
use crate::document::{Banner, Escape};

/// The countdown script: one per page, whatever the number of banners.
const COUNTDOWN_SCRIPT: &str = "<script>(function(){function p(x){return(x<10?\"0\":\"\")+x}\
function tick(){var now=Date.now();document.querySelectorAll(\"time[data-veneer-ends]\").forEach(function(e){\
var end=Date.parse(e.dateTime);if(isNaN(end))return;var d=Math.max(0,Math.floor((end-now)/1000));\
e.textContent=d?\"ends in \"+(d>=86400?Math.floor(d/86400)+\"d \":\"\")+p(Math.floor(d/3600)%24)+\":\"+p(Math.floor(d/60)%60)+\":\"+p(d%60):\"ended\";\
if(!e.title)e.title=new Date(end).toLocaleString();e.setAttribute(\"data-veneer-left\",String(d))})}\
function start(){tick();setInterval(tick,1000)}\
if(document.readyState===\"loading\")document.addEventListener(\"DOMContentLoaded\",start);else start()})();</script>";

/// The banner's edit and, when it counts down, the script to add to `<head>`.
pub(super) fn banner(b: &Banner, attrs: &Value) -> (ElementEdit, Option<HeadInjection>) {
    let mut html = String::from("<div class=\"veneer-banner\">");
    html.push_str(&b.html.render(attrs, Escape::Html));
    if let Some(ends) = &b.ends {
        html.push_str(&countdown(ends));
    }
    html.push_str("</div>");
    let edit = ElementEdit {
        selector: b.selector.clone(),
        edit: Edit::Insert {
            position: b.position,
            content: html,
            html: true,
        },
    };
    (edit, b.ends.map(|_| HeadInjection::new(COUNTDOWN_SCRIPT)))
}

/// The `<time>` element of an end time, readable without script.
fn countdown(ends: &DateTime<FixedOffset>) -> String {
    format!(
        " <time class=\"veneer-countdown\" datetime=\"{}\" data-veneer-ends>ends {}</time>",
        ends.to_rfc3339_opts(SecondsFormat::Secs, false),
        readable(ends)
    )
}

/// "1 Dec 2026, 00:00 UTC+01:00" (or "… UTC" at offset zero).
fn readable(t: &DateTime<FixedOffset>) -> String {
    let offset = t.offset().local_minus_utc();
    let zone = if offset == 0 {
        "UTC".to_owned()
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let minutes = offset.unsigned_abs() / 60;
        format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
    };
    format!("{} {zone}", t.format("%-d %b %Y, %H:%M"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_times_read_without_script_in_the_rules_offset() {
        let t = DateTime::parse_from_rfc3339("2026-12-01T00:00:00+01:00").unwrap();
        assert_eq!(
            countdown(&t),
            " <time class=\"veneer-countdown\" datetime=\"2026-12-01T00:00:00+01:00\" data-veneer-ends>ends 1 Dec 2026, 00:00 UTC+01:00</time>"
        );
        let utc = DateTime::parse_from_rfc3339("2026-11-30T23:30:00Z").unwrap();
        assert_eq!(readable(&utc), "30 Nov 2026, 23:30 UTC");
        let west = DateTime::parse_from_rfc3339("2026-11-30T18:00:00-05:30").unwrap();
        assert_eq!(readable(&west), "30 Nov 2026, 18:00 UTC-05:30");
    }
}
