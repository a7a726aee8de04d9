//! The worker against providers that rate-limit and answer slowly: a 429 delays a batch and
//! fails nothing; budgets of requests and tokens a minute, shared by workers through the
//! database, keep them under the provider's limits; several requests in flight hide latency;
//! and an UPDATE that changes no embedded text costs no request.

use crate::common::*;
use std::time::{Duration, Instant};
use testkit::fake;
use testkit::fast_openai::FastOpenAi;

async fn table(db: &Db, name: &str, rows: usize, words: usize) {
    db.exec(&format!("create table {name} (id int primary key, note text, body text)")).await;
    for i in 0..rows {
        sqlx::query(&format!("insert into {name} values ($1, 'n', $2)"))
            .bind(i as i32)
            .bind(prose(i as u64, words))
            .execute(&db.pool)
            .await
            .unwrap();
    }
}

const CHUNKING: &str = "ai.chunking_recursive_character_text_splitter('body', chunk_size => 400, chunk_overlap => 0)";

/// A vectorizer of table `docs` (8 dimensions) with batches of `batch_size` rows.
async fn docs_vectorizer(db: &Db, base_url: &str, batch_size: usize) -> i32 {
    let processing = format!(", processing => ai.processing_default(batch_size => {batch_size})");
    vectorizer(db, "docs", base_url, 8, CHUNKING, &processing).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_provider_delays_batches_and_fails_none() {
    let db = Db::new("throttle_429").await;
    let fake = FastOpenAi::start();
    // a budget of one second's worth: the worker outruns it at once and gets 429s
    fake.set_rate_limits(600, 60_000, Duration::from_secs(1));
    table(&db, "docs", 60, 60).await;
    let id = docs_vectorizer(&db, &fake.base_url(), 4).await;
    let summary = run(once(&db)).await.expect("rate limits fail no batch");
    assert_eq!((summary.items(), db.queued(id).await), (60, 0));
    assert!(fake.rate_limited() > 0, "the fake did rate-limit");
    assert!(db.errors().await.is_empty(), "a 429 is not an error: {:?}", db.errors().await);
    assert_eq!(db.scalar_i64("select count(distinct id) from docs_embedding_store").await, 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_budget_keeps_two_workers_under_the_providers_limit() {
    let db = Db::new("throttle_shared").await;
    let fake = FastOpenAi::start();
    // the provider: 1,200 requests a minute, a bucket of 0.5 s; both workers: 1,100 a minute in all
    fake.set_rate_limits(1200, 10_000_000, Duration::from_millis(500));
    table(&db, "docs", 80, 20).await;
    let id = docs_vectorizer(&db, &fake.base_url(), 1).await;
    // two worker processes, as on two hosts: only the database is shared
    let dir = scratch_dir("shared_budget");
    let started = Instant::now();
    let workers: Vec<_> = (0..2)
        .map(|_| {
            pgai_command(&dir)
                .args(["vectorizer", "worker", "--once", "-d", &db.url, "--requests-per-minute", "1100"])
                .env("OPENAI_API_KEY", KEY)
                .stdout(std::process::Stdio::null())
                .stderr(worker_stderr())
                .spawn()
                .expect("starting a worker")
        })
        .collect();
    for mut w in workers {
        let status = tokio::task::spawn_blocking(move || w.wait()).await.unwrap().unwrap();
        assert!(status.success(), "a worker failed: {status}");
    }
    let elapsed = started.elapsed();
    assert_eq!(db.queued(id).await, 0);
    let requests = fake.requests();
    assert!(requests >= 80, "{requests}");
    // 80 requests at 1,100 a minute after a half-second burst: at least ~3.8 s, and no 429
    assert!(elapsed >= Duration::from_secs(3), "the budget was not shared: {elapsed:?}");
    assert!(fake.rate_limited() <= 2, "{} requests answered 429", fake.rate_limited());
    assert_eq!(db.scalar_i64("select count(*) from ai_extra.rate_limit").await, 1, "one shared row");
    let name: String = sqlx::query_scalar("select name from ai_extra.rate_limit").fetch_one(&db.pool).await.unwrap();
    assert!(name.starts_with("openai http://127.0.0.1:") && name.ends_with(" OPENAI_API_KEY"), "{name}");
    assert!(!name.contains(KEY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_in_flight_hide_the_providers_latency() {
    let db = Db::new("throttle_latency").await;
    let fake = FastOpenAi::start();
    fake.set_delay(Duration::from_millis(200));
    table(&db, "docs", 40, 20).await;
    let id = docs_vectorizer(&db, &fake.base_url(), 1).await;
    let started = Instant::now();
    run(once(&db)).await.expect("the worker");
    let elapsed = started.elapsed();
    assert_eq!(db.queued(id).await, 0);
    // one batch at a time would take 40 x 200 ms = 8 s
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unchanged_text_is_not_embedded_again_and_an_edit_only_where_it_changed() {
    let db = Db::new("reuse").await;
    let fake = fake::openai(KEY);
    // twenty paragraphs of about 300 characters: a chunk each
    let paragraphs: Vec<String> = (0..20).map(|i| prose(100 + i, 60).replace("\n\n", " ")).collect();
    db.exec("create table docs (id int primary key, note text, body text)").await;
    sqlx::query("insert into docs values (1, 'first', $1)")
        .bind(paragraphs.join("\n\n"))
        .execute(&db.pool)
        .await
        .unwrap();
    let chunking = "ai.chunking_recursive_character_text_splitter('body', chunk_size => 500, chunk_overlap => 0)";
    let id = vectorizer(&db, "docs", &fake.base_url(), 8, chunking, "").await;
    run(once(&db)).await.unwrap();
    let before = db.target("docs_embedding_store", "id").await;
    assert_eq!(before.len(), 20, "a chunk a paragraph");
    let embedded = |f: &testkit::fake::Fake| -> usize {
        f.requests().iter().map(|r| r.json()["input"].as_array().map_or(0, Vec::len)).sum()
    };
    assert_eq!(embedded(&fake), 20);

    // a column that is not embedded: queued, processed, no request
    fake.clear();
    db.exec("update docs set note = 'second'").await;
    assert_eq!(db.queued(id).await, 1);
    let summary = run(once(&db)).await.unwrap();
    assert_eq!((summary.items(), fake.hits()), (1, 0), "no request for an unchanged text");
    assert_eq!(summary.runs[0].reused, 20);
    assert_eq!(db.target("docs_embedding_store", "id").await, before, "the same rows and embeddings");

    // one paragraph edited: its chunk only
    let mut edited = paragraphs.clone();
    edited[7] = prose(999, 60).replace("\n\n", " ");
    sqlx::query("update docs set body = $1").bind(edited.join("\n\n")).execute(&db.pool).await.unwrap();
    run(once(&db)).await.unwrap();
    assert!(embedded(&fake) <= 3, "{} chunks re-embedded", embedded(&fake));
    let after = db.target("docs_embedding_store", "id").await;
    assert_eq!(after.len(), 20);
    assert_eq!(after[7].2, edited[7]);
    assert_eq!(after[8], before[8], "an unchanged chunk keeps its embedding");

    // a paragraph inserted at the start: every chunk moves one place, one is new
    fake.clear();
    let mut inserted = vec![prose(4242, 60).replace("\n\n", " ")];
    inserted.extend(edited.iter().cloned());
    sqlx::query("update docs set body = $1").bind(inserted.join("\n\n")).execute(&db.pool).await.unwrap();
    run(once(&db)).await.unwrap();
    assert_eq!(embedded(&fake), 1);
    let moved = db.target("docs_embedding_store", "id").await;
    assert_eq!(moved.len(), 21);
    assert_eq!((moved[9].1, &moved[9].2, &moved[9].3), (9, &after[8].2, &after[8].3));

    // with reuse off, everything again
    fake.clear();
    db.exec("update docs set note = 'third'").await;
    let mut o = once(&db);
    o.reuse_embeddings = false;
    run(o).await.unwrap();
    assert_eq!(embedded(&fake), 21);
}
