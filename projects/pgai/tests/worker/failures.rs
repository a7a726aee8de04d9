//! Provider failures: retried by the providers crate; a batch that still fails is recorded in
//! ai.vectorizer_errors (without the key) and its items stay queued; nothing is lost.

use crate::common::*;
use serde_json::json;
use std::time::{Duration, Instant};
use testkit::{fake, Reply};

async fn setup(prefix: &str, rows: usize, model: &str, dims: u32) -> (Db, testkit::Fake, i32) {
    let db = Db::new(prefix).await;
    let fake = fake::openai(KEY);
    db.exec(&format!(
        "create table f (id int primary key, body text); \
         insert into f select g, 'row number ' || g from generate_series(1, {rows}) g"
    ))
    .await;
    let sql = format!(
        "select ai.create_vectorizer('f'::regclass, \
         embedding => ai.embedding_openai('{model}', {dims}, base_url => '{}'), \
         chunking => ai.chunking_character_text_splitter('body'))",
        fake.base_url()
    );
    let id: i32 = sqlx::query_scalar(&sql).fetch_one(&db.pool).await.unwrap();
    (db, fake, id)
}

/// After a failure: nothing written, everything still queued, one error recorded.
async fn assert_nothing_lost(db: &Db, id: i32, rows: i64) -> (String, String) {
    assert_eq!(db.queued(id).await, rows);
    assert_eq!(db.scalar_i64("select count(*) from f_embedding_store").await, 0);
    let errors = db.errors().await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(!errors[0].1.contains(KEY), "{errors:?}");
    errors[0].clone()
}

async fn assert_recovers(db: &Db, fake: &testkit::Fake, id: i32, rows: i64) {
    fake.clear_faults();
    run(once(db)).await.expect("the worker recovers once the provider does");
    assert_eq!(db.queued(id).await, 0);
    assert_eq!(db.scalar_i64("select count(*) from f_embedding_store").await, rows);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_with_retry_after_is_waited_for() {
    let (db, fake, id) = setup("f429", 20, "text-embedding-3-small", 4).await;
    let limited =
        json!({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}});
    fake.fail_next(1, Reply::json(429, limited).header("retry-after", "1"));
    let start = Instant::now();
    run(once(&db)).await.expect("the retry succeeds");
    assert!(start.elapsed() >= Duration::from_secs(1), "Retry-After was honoured");
    assert_eq!(db.queued(id).await, 0);
    assert_eq!(db.scalar_i64("select count(*) from f_embedding_store").await, 20);
    assert!(db.errors().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persistent_server_errors_are_recorded_and_nothing_is_lost() {
    let (db, fake, id) = setup("f500", 120, "text-embedding-3-small", 4).await;
    // Let two requests through, then fail every request (retries included).
    let mut n = 0;
    fake.set_fault(move |_| {
        n += 1;
        (n > 2)
            .then(|| Reply::json(500, json!({"error": {"message": "The server had an error", "type": "server_error"}})))
    });
    let err = run(once(&db)).await.unwrap_err();
    assert!(err.to_string().contains("HTTP 500"), "{err}");
    // batches of 50, 50 and 20 keys run at once: the one whose request came third failed
    let queued = db.queued(id).await;
    assert!(queued == 20 || queued == 50, "the failed batch's keys are queued again: {queued}");
    assert_eq!(db.scalar_i64("select count(*) from f_embedding_store").await, 120 - queued);
    let errors = db.errors().await;
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].0, "embedding provider failed");
    let details: serde_json::Value = serde_json::from_str(&errors[0].1).unwrap();
    assert_eq!((details["provider"].as_str(), details["status"].as_u64()), (Some("openai"), Some(500)));
    assert!(details["error_reason"].as_str().unwrap().contains("The server had an error"));
    assert_recovers(&db, &fake, id, 120).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_are_recorded() {
    let (db, fake, id) = setup("ftimeout", 5, "text-embedding-3-small", 4).await;
    fake.set_fault(|_| Some(Reply::ok(json!({"data": []})).delay(Duration::from_secs(3))));
    let mut opts = once(&db);
    opts.http =
        Some(http().with_timeouts(providers::Timeouts {
            connect: Duration::from_secs(2),
            request: Duration::from_millis(300),
        }));
    let err = run(opts).await.unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    let (message, details) = assert_nothing_lost(&db, id, 5).await;
    assert_eq!(message, "embedding provider failed");
    assert!(details.contains("timed out"), "{details}");
    assert_recovers(&db, &fake, id, 5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_answers_are_recorded() {
    let (db, fake, id) = setup("fmalformed", 5, "text-embedding-3-small", 4).await;
    fake.fail_next(1, Reply::text(200, "this is not JSON"));
    let err = run(once(&db)).await.unwrap_err();
    assert!(err.to_string().contains("unexpected response"), "{err}");
    assert_nothing_lost(&db, id, 5).await;
    db.exec("truncate ai.vectorizer_errors").await;

    // One vector for five inputs.
    let one = json!({"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": "AACAPwAAgD8AAIA/AACAPw=="}], "model": "m"});
    fake.fail_next(1, Reply::ok(one));
    let err = run(once(&db)).await.unwrap_err();
    assert!(err.to_string().contains("1 embeddings for 5 inputs"), "{err}");
    assert_nothing_lost(&db, id, 5).await;
    assert_recovers(&db, &fake, id, 5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vectors_of_the_wrong_size_fail_the_batch() {
    // ada-002 takes no `dimensions`: the fake answers 1536-dimension vectors for a vectorizer
    // declared with 8.
    // (create_vectorizer refuses ada-002 with 8 dimensions: the catalog is changed afterwards)
    let (db, _fake, id) = setup("fdims", 3, "text-embedding-3-small", 8).await;
    db.exec(&format!(
        "update ai.vectorizer set config = jsonb_set(config, '{{embedding,model}}', '\"text-embedding-ada-002\"') where id = {id}"
    ))
    .await;
    let err = run(once(&db)).await.unwrap_err();
    assert!(err.to_string().contains("1536 dimensions"), "{err}");
    let (_, details) = assert_nothing_lost(&db, id, 3).await;
    assert!(details.contains("embedding.dimensions is 8"), "{details}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_never_reaches_the_error_table() {
    let (db, fake, id) = setup("fkey", 3, "text-embedding-3-small", 4).await;
    let echo =
        json!({"error": {"message": format!("Incorrect API key provided: {KEY}."), "type": "invalid_request_error"}});
    fake.set_fault(move |_| Some(Reply::json(401, echo.clone())));
    let err = run(once(&db)).await.unwrap_err();
    assert!(!err.to_string().contains(KEY), "{err}");
    let (_, details) = assert_nothing_lost(&db, id, 3).await;
    assert!(details.contains("[REDACTED]") && details.contains("401"), "{details}");
}
