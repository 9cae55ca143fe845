//! What one page view records, and what Veneer adds to the page for it.

use super::events::{Event, Recorded, Visitor, conversions, running_variation};
use super::tracker::{data_layer_script, tracker_html};
use crate::document::{CompiledRules, Goal, GoalKind};
use crate::engine::{Decision, HeadInjection};

/// The events of one page view, after [`crate::engine::decide`]: an exposure for each
/// experiment that counted the visitor on this page, and a conversion of each page-view goal of
/// this page for each running experiment that measures it and in which the visitor is (from the
/// signed assignments cookie or this very decision). Adds the `dataLayer` event (when on) and
/// Veneer's script (when a click, submit or custom goal here is measured by an experiment the
/// visitor is in) to the decision's plan. `None`: nothing to record.
pub fn measure_page(
    rules: &CompiledRules,
    decision: &mut Decision,
    visitor: &Visitor,
    path: &str,
    at_ms: i64,
) -> Option<Recorded> {
    let browser_goals_here = rules
        .goals
        .on_page(path)
        .any(|g| g.kind.reported_by_browser() && measured(rules, g));
    if browser_goals_here {
        // Some visitors get the script and others not: keep the page out of shared caches.
        decision.varies_by_visitor = true;
    }
    let id = visitor.countable(rules)?;
    let mut events = Vec::new();
    let mut assignments: Vec<(String, String)> = visitor.sticky.to_vec();
    for a in decision.experiments.iter().filter(|a| a.in_experiment) {
        let Some(variation_id) = &a.variation else {
            continue;
        };
        let Some((e, v)) = running_variation(rules, &a.experiment, variation_id) else {
            continue;
        };
        events.push(Event::Exposure {
            experiment: e.id.clone(),
            variation: v,
            variation_id: variation_id.clone(),
            first: a.remember,
        });
        assignments.retain(|(x, _)| *x != e.id);
        assignments.push((e.id.clone(), variation_id.clone()));
    }
    if rules.settings.recording.data_layer && !events.is_empty() {
        decision
            .plan
            .before_scripts
            .push(HeadInjection::new(&data_layer_script(&events)));
    }
    let mut for_script: Vec<&Goal> = Vec::new();
    for goal in rules.goals.on_page(path) {
        match goal.kind {
            GoalKind::PageView => events.extend(conversions(rules, &assignments, &goal.name, 0.0)),
            ref k if k.reported_by_browser() => {
                let wanted = assignments.iter().any(|(e, v)| {
                    running_variation(rules, e, v)
                        .is_some_and(|(e, _)| e.metrics.iter().any(|m| m.goal == goal.name))
                });
                if wanted {
                    for_script.push(goal);
                }
            }
            _ => {}
        }
    }
    if !for_script.is_empty() {
        decision
            .plan
            .head
            .push(HeadInjection::new(&tracker_html(&for_script)));
    }
    (!events.is_empty()).then(|| Recorded {
        visitor: id.to_owned(),
        at_ms,
        events,
    })
}

/// Whether a running experiment measures the goal.
fn measured(rules: &CompiledRules, goal: &Goal) -> bool {
    rules.experiments.iter().any(|e| {
        e.status == crate::document::Status::Running
            && e.metrics.iter().any(|m| m.goal == goal.name)
    })
}
