//! kill -9 of a worker in the middle of its batches loses nothing and leaves nothing
//! half-written; a restarted worker finishes the job with no duplicate.

use crate::common::*;
use pgai::chunking::Chunker;
use std::time::{Duration, Instant};
use testkit::fast_openai::{self, FastOpenAi};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_loses_nothing() {
    let db = Db::new("crash").await;
    let fast = FastOpenAi::start();
    fast.set_delay(Duration::from_millis(150));
    db.exec("create table k (id int primary key, body text)").await;
    for i in 1..=200 {
        sqlx::query("insert into k values ($1, $2)").bind(i).bind(prose(i as u64, 30)).execute(&db.pool).await.unwrap();
    }
    let chunking = "ai.chunking_recursive_character_text_splitter('body', chunk_size => 60, chunk_overlap => 0)";
    let id =
        vectorizer(&db, "k", &fast.base_url(), 8, chunking, ", processing => ai.processing_default(batch_size => 10)")
            .await;
    let chunker = Chunker::recursive(&["\n\n", "\n", ".", "?", "!", " ", ""], 60, 0, false).unwrap();
    let expected = |i: i32| expected_chunks(&chunker, "$chunk", Some(&prose(i as u64, 30)), &[]);

    let dir = scratch_dir("crash");
    let worker = |once: bool| {
        let mut c = pgai_command(&dir);
        c.args(["vectorizer", "worker", "-d", &db.url, "-c", "2", "--poll-interval", "100ms"]);
        if once {
            c.arg("--once");
        }
        c.env("OPENAI_API_KEY", KEY).stdout(std::process::Stdio::null()).stderr(worker_stderr());
        c.spawn().unwrap()
    };
    let mut child = worker(false);
    let deadline = Instant::now() + Duration::from_secs(20);
    while db.scalar_i64("select count(*) from k_embedding_store").await < 100 {
        assert!(Instant::now() < deadline, "the worker wrote nothing");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(70)).await; // mid-batch: requests take 150 ms
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    // The server notices the dead client and rolls its open transactions back.
    let deadline = Instant::now() + Duration::from_secs(10);
    while db.scalar_i64(WORKER_SESSIONS).await > 0 {
        assert!(Instant::now() < deadline, "the killed worker's sessions linger");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let rows: Vec<(i32, i64)> =
        sqlx::query_as("select id, count(*) from k_embedding_store group by id").fetch_all(&db.pool).await.unwrap();
    assert!(!rows.is_empty() && rows.len() < 200, "killed mid-run ({} keys done)", rows.len());
    for (i, n) in &rows {
        assert_eq!(*n as usize, expected(*i).len(), "key {i} is half-written");
    }
    assert_eq!(rows.len() as i64 + db.queued(id).await, 200, "every key is either written or queued");

    // A new worker finishes the job.
    fast.set_delay(Duration::ZERO);
    let status = worker(true).wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(db.queued(id).await, 0);
    let target = db.target("k_embedding_store", "id").await;
    let mut want = Vec::new();
    for i in 1..=200 {
        for (seq, chunk) in expected(i).into_iter().enumerate() {
            want.push((i.to_string(), seq as i32, chunk));
        }
    }
    want.sort();
    let got: Vec<_> = target.iter().map(|(k, s, c, _)| (k.clone(), *s, c.clone())).collect();
    assert_eq!(got, want, "every chunk exactly once");
    assert!(target.iter().all(|(_, _, c, e)| *e == fast_openai::vector_for(c, 8)));
    assert!(db.errors().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_batches_in_flight_commit() {
    let db = Db::new("term_mid").await;
    let fast = FastOpenAi::start();
    fast.set_delay(Duration::from_millis(300));
    db.exec("create table t (id int primary key, body text); insert into t select g, 'row ' || g from generate_series(1, 100) g")
        .await;
    let chunking = "ai.chunking_character_text_splitter('body')";
    let id =
        vectorizer(&db, "t", &fast.base_url(), 8, chunking, ", processing => ai.processing_default(batch_size => 10)")
            .await;
    let dir = scratch_dir("term_mid");
    let child = pgai_command(&dir)
        .args(["vectorizer", "worker", "-d", &db.url])
        .env("OPENAI_API_KEY", KEY)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while db.scalar_i64("select count(*) from t_embedding_store").await == 0 {
        assert!(Instant::now() < deadline, "the worker wrote nothing");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await; // a request is in flight
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let done = db.scalar_i64("select count(*) from t_embedding_store").await;
    assert!((20..100).contains(&done), "the batches in flight were committed, no new one started ({done} rows)");
    assert_eq!(done % 10, 0, "whole batches only");
    assert_eq!(done + db.queued(id).await, 100);
    assert!(db.errors().await.is_empty());
}
