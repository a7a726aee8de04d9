//! Several workers on one queue, duplicate queue entries, and a source that changes while a
//! worker runs.

use crate::common::*;
use pgai::chunking::Chunker;
use pgai::worker::Shutdown;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use testkit::{fake, fake_embedding};

/// How many times each input text reached the fake.
fn embedded_texts(fake: &testkit::Fake) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for req in fake.requests() {
        for input in req.json()["input"].as_array().into_iter().flatten() {
            *seen.entry(input.as_str().unwrap().to_string()).or_default() += 1;
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_workers_share_one_queue_and_embed_every_row_once() {
    let db = Db::new("four").await;
    let fake = fake::openai(KEY);
    db.exec("create table c (id int primary key, body text); insert into c select g, 'row ' || g || ' of the shared queue' from generate_series(1, 5000) g").await;
    let id = vectorizer(&db, "c", &fake.base_url(), 4, "ai.chunking_character_text_splitter('body')", "").await;
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let mut o = once(&db);
            o.concurrency = Some(1);
            tokio::spawn(run(o))
        })
        .collect();
    let mut items = 0;
    for w in workers {
        items += w.await.unwrap().expect("every worker succeeds").items();
    }
    assert_eq!(items, 5000, "each key was processed by exactly one worker");
    assert_eq!(db.queued(id).await, 0);
    assert_eq!(db.scalar_i64("select count(*) from c_embedding_store").await, 5000);
    assert_eq!(db.scalar_i64("select count(distinct id) from c_embedding_store").await, 5000);
    let seen = embedded_texts(&fake);
    assert_eq!(seen.len(), 5000);
    assert!(seen.values().all(|n| *n == 1), "a text was embedded twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_queue_entries_of_a_key_are_consumed_together() {
    let db = Db::new("dups").await;
    let fake = fake::openai(KEY);
    db.exec("create table d (id int primary key, body text); insert into d select g, 'first ' || g from generate_series(1, 100) g").await;
    let id = vectorizer(&db, "d", &fake.base_url(), 4, "ai.chunking_character_text_splitter('body')", "").await;
    db.exec("update d set body = 'second ' || id; update d set body = 'third ' || id").await;
    assert_eq!(db.queued(id).await, 300);
    let summary = run(once(&db)).await.unwrap();
    assert_eq!(summary.items(), 100);
    assert_eq!(db.queued(id).await, 0);
    let seen = embedded_texts(&fake);
    assert_eq!(seen.len(), 100);
    assert!(seen.iter().all(|(text, n)| text.starts_with("third ") && *n == 1), "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn updates_and_deletes_while_the_worker_runs() {
    let db = Db::new("churn").await;
    let fake = fake::openai(KEY);
    db.exec("create table u (id int primary key, body text); insert into u select g, 'version 0 of row ' || g from generate_series(1, 300) g").await;
    let id = vectorizer(
        &db,
        "u",
        &fake.base_url(),
        4,
        "ai.chunking_recursive_character_text_splitter('body', chunk_size => 40, chunk_overlap => 10)",
        ", processing => ai.processing_default(batch_size => 20)",
    )
    .await;
    let mut opts = once(&db);
    opts.once = false;
    opts.exit_on_error = true;
    opts.concurrency = Some(2);
    opts.poll_interval = Duration::from_millis(100);
    let (shutdown, trigger) = Shutdown::new();
    let worker = tokio::spawn(pgai::worker::run(opts, shutdown));

    // Change the source for a while: updates, deletes, inserts, as an application would.
    let start = Instant::now();
    let mut round = 0;
    while start.elapsed() < Duration::from_millis(1500) {
        round += 1;
        let sql = format!(
            "update u set body = 'version {round} of row ' || id || repeat(' more text', id % 7) where id % 5 = {m};
             delete from u where id in (select id from u where id % 11 = {d} limit 3);
             insert into u select max(id) + 1, 'inserted in round {round}' from u;",
            m = round % 5,
            d = round % 11
        );
        db.exec(&sql).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while db.queued(id).await > 0 {
        assert!(Instant::now() < deadline, "the worker did not drain the queue");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    trigger.trigger();
    worker.await.unwrap().expect("the worker stops cleanly");

    // The target is exactly the chunks of the current source rows.
    let chunker = Chunker::recursive(&["\n\n", "\n", ".", "?", "!", " ", ""], 40, 10, false).unwrap();
    let rows: Vec<(i32, String)> =
        sqlx::query_as("select id, body from u order by id::text").fetch_all(&db.pool).await.unwrap();
    let mut expected = Vec::new();
    for (id, body) in &rows {
        for (seq, chunk) in expected_chunks(&chunker, "$chunk", Some(body), &[]).into_iter().enumerate() {
            expected.push((id.to_string(), seq as i32, chunk));
        }
    }
    let target = db.target("u_embedding_store", "id").await;
    let got: Vec<_> = target.iter().map(|(k, s, c, _)| (k.clone(), *s, c.clone())).collect();
    assert_eq!(got.len(), expected.len());
    assert_eq!(got, expected);
    assert!(target.iter().all(|(_, _, c, e)| *e == fake_embedding(c, 4)));
    assert!(db.errors().await.is_empty());
}
