//! What Veneer adds to a page for measuring: its small script (click, submit and custom goals,
//! sent with `navigator.sendBeacon` to `/__veneer/collect`) and the `dataLayer` event.

use serde_json::{Value, json};

use super::collect::COLLECT_PATH;
use super::events::Event;
use crate::document::{Goal, GoalKind};

/// Veneer's script, without its configuration: `C` is `{"e": endpoint, "c": [[goal, selector]]
/// (clicks), "s": [[goal, selector]] (submits), "k": [goal] (custom)}`. It defines
/// `window.veneer.track(goal, {value})` and listens for clicks and submits (capturing, so a
/// page's own handlers that stop propagation do not hide them). The edge attributes what it
/// sends to the visitor's signed assignments: the script says only which goal and what value.
pub const TRACKER_SCRIPT: &str = r#"(function(C){var w=window,d=document;function send(g,v){var b=JSON.stringify(v==null?{goal:g}:{goal:g,value:v});try{if(navigator.sendBeacon&&navigator.sendBeacon(C.e,new Blob([b],{type:"text/plain"})))return}catch(x){}try{fetch(C.e,{method:"POST",body:b,keepalive:true,credentials:"same-origin",headers:{"content-type":"text/plain"}})}catch(x){}}function each(list,el,test){for(var i=0;i<list.length;i++){try{if(test(el,list[i][1]))send(list[i][0])}catch(x){}}}w.veneer=w.veneer||{};w.veneer.track=function(g,o){if(C.k.indexOf(g)<0)return false;var v=o&&typeof o.value=="number"&&isFinite(o.value)?o.value:null;send(g,v);return true};d.addEventListener("click",function(e){var t=e.target;if(t&&t.nodeType!==1)t=t.parentElement;if(t&&t.closest)each(C.c,t,function(el,s){return el.closest(s)})},true);d.addEventListener("submit",function(e){var t=e.target;if(t&&t.matches)each(C.s,t,function(el,s){return el.matches(s)})},true)})"#;

/// JSON for inside a `<script>`: `<` escaped, so no value can close the script.
fn script_json(value: &Value) -> String {
    value.to_string().replace('<', "\\u003c")
}

/// The script element for these goals (click, submit and custom ones).
pub fn tracker_html(goals: &[&Goal]) -> String {
    let mut clicks = Vec::new();
    let mut submits = Vec::new();
    let mut custom = Vec::new();
    for goal in goals {
        match &goal.kind {
            GoalKind::Click(s) => clicks.push(json!([goal.name, s])),
            GoalKind::Submit(s) => submits.push(json!([goal.name, s])),
            GoalKind::Custom => custom.push(json!(goal.name)),
            GoalKind::PageView | GoalKind::Server => {}
        }
    }
    let config = json!({ "e": COLLECT_PATH, "c": clicks, "s": submits, "k": custom });
    format!(
        "<script data-veneer=\"tracker\">{TRACKER_SCRIPT}({});</script>",
        script_json(&config)
    )
}

/// The `dataLayer.push({event: "experiment_viewed", experiment_id, variation_id})` script for
/// the exposures among `events` (GA4, GTM and Segment read it unchanged).
pub fn data_layer_script(events: &[Event]) -> String {
    let mut pushes = String::new();
    for event in events {
        if let Event::Exposure {
            experiment,
            variation_id,
            ..
        } = event
        {
            let data = json!({
                "event": "experiment_viewed",
                "experiment_id": experiment,
                "variation_id": variation_id,
            });
            pushes.push_str(&format!("window.dataLayer.push({});", script_json(&data)));
        }
    }
    format!(
        "<script data-veneer=\"datalayer\">window.dataLayer=window.dataLayer||[];{pushes}</script>"
    )
}
