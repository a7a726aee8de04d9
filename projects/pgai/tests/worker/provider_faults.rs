//! A provider that misbehaves on a fifth of its requests, in every way we know: 429 with and
//! without Retry-After, 500, reset connections, answers too slow for the worker's timeout,
//! truncated and malformed JSON, vectors of the wrong length, too few vectors. `--once` runs
//! are repeated until the queue is empty; after each one every key has all its chunks or
//! none, and every key without chunks is still queued. At the end everything is embedded with
//! the right vectors, and every failed batch was recorded in `ai.vectorizer_errors`.
//!
//! `PGAI_FAULT_SEED` replays a run (the seed is printed).

use crate::common::*;
use pgai::chunking::Chunker;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use testkit::{fake, fake_embedding, Reply};

const ROWS: i32 = 300;
const DIMS: usize = 8;
const KINDS: [&str; 9] = [
    "429 with Retry-After",
    "429 without Retry-After",
    "500",
    "connection reset",
    "timeout",
    "truncated JSON",
    "malformed JSON",
    "wrong vector length",
    "too few vectors",
];
/// The kinds the worker does not retry: each fails its batch at once.
const NOT_RETRIED: [usize; 3] = [6, 7, 8];

/// Fault `kind` for `req`.
fn fault(kind: usize, req: &testkit::Request) -> Reply {
    let limited = serde_json::json!({"error": {"message": "Rate limit reached", "type": "requests"}});
    match kind {
        0 => Reply::json(429, limited).header("retry-after", "1"),
        1 => Reply::json(429, limited),
        2 => Reply::json(500, serde_json::json!({"error": {"message": "The server had an error"}})),
        3 => Reply::reset(),
        4 => Reply::ok(serde_json::json!({})).delay(Duration::from_millis(1500)),
        5 => Reply::truncated(200, serde_json::from_slice(fake::openai_embeddings(&req.json()).body()).unwrap()),
        6 => Reply::text(200, "{\"object\": \"list\", \"data\": [{\"embedding\": "),
        7 => {
            let mut body = req.json();
            body["dimensions"] = (DIMS + 1).into();
            fake::openai_embeddings(&body)
        }
        _ => {
            let mut answer: Value = serde_json::from_slice(fake::openai_embeddings(&req.json()).body()).unwrap();
            answer["data"].as_array_mut().unwrap().pop();
            Reply::ok(answer)
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_faulty_provider_loses_nothing_and_half_writes_nothing() {
    let seed = std::env::var("PGAI_FAULT_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    }) | 1;
    println!("provider faults: seed {seed} (PGAI_FAULT_SEED to replay)");
    let db = Db::new("provider_faults").await;
    let fake = fake::openai(KEY);
    db.exec("create table f (id int primary key, body text)").await;
    for i in 1..=ROWS {
        let words = 5 + (i as usize * 11) % 40;
        sqlx::query("insert into f values ($1, $2)")
            .bind(i)
            .bind(prose(i as u64, words))
            .execute(&db.pool)
            .await
            .unwrap();
    }
    let chunking = "ai.chunking_recursive_character_text_splitter('body', chunk_size => 60, chunk_overlap => 10)";
    let id = vectorizer(
        &db,
        "f",
        &fake.base_url(),
        DIMS as u32,
        chunking,
        ", processing => ai.processing_default(batch_size => 2)",
    )
    .await;
    let chunker = Chunker::recursive(&["\n\n", "\n", ".", "?", "!", " ", ""], 60, 10, false).unwrap();
    let expected = |i: i32| {
        let words = 5 + (i as usize * 11) % 40;
        expected_chunks(&chunker, "$chunk", Some(&prose(i as u64, words)), &[])
    };

    let injected = Arc::new(Mutex::new([0u32; KINDS.len()]));
    let counts = injected.clone();
    let mut rng = Rng(seed);
    let mut next_kind = rng.below(KINDS.len() as u64) as usize;
    fake.set_fault(move |req| {
        if rng.below(5) != 0 {
            return None;
        }
        // Every kind in turn, so that each is injected several times.
        let kind = next_kind;
        next_kind = (next_kind + 1) % KINDS.len();
        counts.lock().unwrap()[kind] += 1;
        Some(fault(kind, req))
    });

    let started = Instant::now();
    let (mut runs, mut failed_runs) = (0, 0);
    while db.queued(id).await > 0 {
        assert!(runs < 100, "no progress after {runs} runs");
        runs += 1;
        let mut opts = once(&db);
        opts.concurrency = Some(2);
        opts.http = Some(http().with_timeouts(providers::Timeouts {
            connect: Duration::from_secs(1),
            request: Duration::from_millis(500),
        }));
        if let Err(e) = run(opts).await {
            failed_runs += 1;
            assert!(e.to_string().starts_with("vectorizer "), "{e}");
        }
        // Every key has all its chunks or none, and is queued if it has none.
        let rows: Vec<(i32, i64)> =
            sqlx::query_as("select id, count(*) from f_embedding_store group by id").fetch_all(&db.pool).await.unwrap();
        for (i, n) in &rows {
            assert_eq!(*n as usize, expected(*i).len(), "key {i} is half-written");
        }
        assert_eq!(rows.len() as i64 + db.queued(id).await, ROWS as i64, "a key is neither written nor queued");
    }
    fake.clear_faults();

    let target = db.target("f_embedding_store", "id").await;
    let mut want = Vec::new();
    for i in 1..=ROWS {
        for (seq, chunk) in expected(i).into_iter().enumerate() {
            want.push((i.to_string(), seq as i32, chunk));
        }
    }
    want.sort();
    let got: Vec<_> = target.iter().map(|(k, s, c, _)| (k.clone(), *s, c.clone())).collect();
    assert_eq!(got, want, "every chunk exactly once");
    assert!(target.iter().all(|(_, _, c, e)| *e == fake_embedding(c, DIMS)), "every vector is its chunk's");

    let injected = *injected.lock().unwrap();
    let errors = db.errors().await;
    let not_retried: u32 = NOT_RETRIED.iter().map(|&k| injected[k]).sum();
    assert!(errors.len() as u32 >= not_retried, "{} errors recorded for {not_retried} fatal faults", errors.len());
    assert!(errors.len() >= failed_runs, "every failed run recorded its batch");
    for (message, details) in &errors {
        assert_eq!(message, "embedding provider failed", "{details}");
        assert!(!details.contains(KEY));
    }
    let total: u32 = injected.iter().sum();
    let by_kind: Vec<String> = KINDS.iter().zip(injected).map(|(k, n)| format!("{k}: {n}")).collect();
    println!(
        "provider faults: {total} faults in {} requests ({}), {} batches failed and recorded, {runs} runs, {:.1} s",
        fake.hits(),
        by_kind.join(", "),
        errors.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(injected.iter().all(|&n| n > 0), "every kind of fault was injected");
    for (_, details) in errors.iter().take(12) {
        println!("  recorded: {details}");
    }
}
