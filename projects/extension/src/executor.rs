//! ai.execute_vectorizer: tells pgai's executor (`ai.external_functions_executor_url`, default
//! http://localhost:8000) that a vectorizer has work, by POSTing its catalog row to the events
//! path (`ai.external_functions_executor_events_path`, default /api/v1/events), as pgai 0.7
//! does. The TimescaleDB job calls it when the queue has rows. This project's own workers do
//! not need it: they poll the queues.

use crate::call::{call_with_transport_retries, plpy_error, setting};
use pgrx::prelude::*;
use pgrx::JsonB;
use providers::executor::{self, EventAnswer};
use std::time::Duration;

#[pg_extern(volatile, create_or_replace)]
fn execute_vectorizer(vectorizer_id: i32) {
    let row = Spi::get_one_with_args::<JsonB>(
        // a subquery: one row whether or not the vectorizer exists
        "select (select pg_catalog.to_jsonb(v) from ai.vectorizer v where v.id operator(pg_catalog.=) $1)",
        &[vectorizer_id.into()],
    )
    .unwrap_or_else(|e| error!("{e}"));
    let Some(JsonB(mut body)) = row else {
        plpy_error(&format!("vectorizer {vectorizer_id} not found"), None);
    };
    // the names of the secrets the executor needs (never their values)
    let secrets: Vec<serde_json::Value> = body
        .pointer("/config/embedding/api_key_name")
        .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))
        .cloned()
        .into_iter()
        .collect();
    body["secrets"] = serde_json::Value::Array(secrets);

    let url = setting("ai.external_functions_executor_url").unwrap_or_else(|| executor::DEFAULT_URL.to_string());
    let path = setting("ai.external_functions_executor_events_path")
        .unwrap_or_else(|| executor::DEFAULT_EVENTS_PATH.to_string());
    let http = providers::blocking::client();
    let answer = call_with_transport_retries(
        10,
        Duration::from_secs(120),
        |tries, elapsed, wait| {
            warning!(
                "{vectorizer_id} retry: {tries} elapsed: {:.3} wait: {:.3}...",
                elapsed.as_secs_f64(),
                wait.as_secs_f64()
            )
        },
        || executor::post_event(&http, &url, &path, &body),
    );
    if let EventAnswer::Failed { status, body } = answer {
        plpy_error(&format!("failed to signal vectorizer execution: {status}"), Some(body));
    }
}
