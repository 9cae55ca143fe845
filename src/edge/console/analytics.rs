//! The console API's analytics endpoints (issue 11): server conversions posted by the shop's
//! backend, and an experiment's results from the D1 rows.

use serde_json::{Value, json};
use worker::Env;

use super::Failure;
use crate::edge::config::Config;
use crate::edge::d1::{DB_BINDING, prepare};
use crate::edge::rules_cache::load_rules;
use crate::recording::{
    Statement, analysis, analysis_options, counts_from_rows, parse_server_conversion,
    results_statements, server_statements,
};
use crate::request::param;

fn d1_failure(e: &worker::Error) -> Failure {
    Failure::new(
        503,
        format!(
            "D1 ({DB_BINDING}) could not be used: {e}; check the binding in wrangler.toml and \
             apply the migrations (wrangler d1 migrations apply {DB_BINDING})"
        ),
    )
}

/// Runs statements as one D1 batch; each statement's rows.
async fn run(env: &Env, batch: &[Statement]) -> Result<Vec<worker::D1Result>, Failure> {
    let db = env.d1(DB_BINDING).map_err(|e| d1_failure(&e))?;
    let prepared = batch
        .iter()
        .map(|s| prepare(&db, s))
        .collect::<worker::Result<Vec<_>>>()
        .map_err(|e| d1_failure(&e))?;
    db.batch(prepared).await.map_err(|e| d1_failure(&e))
}

/// `POST api/conversions` `{"goal", "visitor", "value"?}`: a server goal's conversion,
/// attributed to the visitor's exposures (`{"attributed": n}`: the experiments it counted in).
pub(super) async fn conversion(
    env: &Env,
    config: &Config,
    body: &Value,
    now_ms: f64,
) -> Result<Value, Failure> {
    let posted = parse_server_conversion(body).map_err(|e| Failure::new(400, e))?;
    let rules = load_rules(env, config, &config.key, now_ms)
        .await
        .map_err(|e| Failure::new(503, e.to_string()))?;
    let batch = server_statements(
        &rules,
        &posted.goal,
        &posted.visitor,
        posted.value,
        now_ms as i64,
    )
    .map_err(|e| Failure::new(400, e))?;
    if batch.is_empty() || !rules.settings.recording.enabled {
        return Ok(json!({ "attributed": 0 }));
    }
    let results = run(env, &batch).await?;
    let attributed: usize = results
        .iter()
        .filter_map(|r| r.meta().ok().flatten().and_then(|m| m.changes))
        .sum();
    Ok(json!({ "attributed": attributed }))
}

/// `GET api/results/<experiment>[?engine=&prior=&prior_stddev=&confidence=]`: the analysis of
/// the experiment's counts from D1 (`stats::analyze`, as JSON); with `format=counts`, the
/// counts themselves (the input of `veneer results --counts`).
pub(super) async fn results(
    env: &Env,
    config: &Config,
    experiment: &str,
    query: &str,
    now_ms: f64,
) -> Result<Value, Failure> {
    let options = analysis_options(query).map_err(|e| Failure::new(400, e))?;
    let rules = load_rules(env, config, &config.key, now_ms)
        .await
        .map_err(|e| Failure::new(503, e.to_string()))?;
    let Some(e) = rules.experiments.iter().find(|e| e.id == experiment) else {
        return Err(Failure::new(
            404,
            format!("the live rules have no experiment {experiment:?}"),
        ));
    };
    let results = run(env, &results_statements(&e.id)).await?;
    let rows = |i: usize| -> Result<Vec<Value>, Failure> {
        results
            .get(i)
            .map(|r| r.results::<Value>())
            .transpose()
            .map_err(|e| d1_failure(&e))
            .map(Option::unwrap_or_default)
    };
    let counts = counts_from_rows(e, &rows(0)?, &rows(1)?, &rows(2)?);
    if param(query, "format").as_deref() == Some("counts") {
        return Ok(counts);
    }
    analysis(&counts, &options).map_err(|e| Failure::new(500, e))
}
