//! PostgreSQL faults: the worker's connections terminated mid-batch, the server restarted
//! under a running worker, a target-table constraint that some chunks violate. Nothing is
//! lost, nothing is half-written, and a worker that is not `--once` reconnects on its own.

use crate::common::*;
use pgai::chunking::Chunker;
use pgai::worker::{Env, Shutdown, WorkerOptions};
use sqlx::PgPool;
use std::time::{Duration, Instant};
use testkit::fast_openai::{self, FastOpenAi};
use testkit::PgCluster;

const APP: &str = "pgai vectorizer worker";
const ROWS: i32 = 150;

/// `ROWS` rows of prose in `k`, a vectorizer on `fast` (batches of 5); its id.
async fn setup(pool: &PgPool, fast: &FastOpenAi) -> i32 {
    sqlx::raw_sql("create table k (id int primary key, body text)").execute(pool).await.unwrap();
    for i in 1..=ROWS {
        sqlx::query("insert into k values ($1, $2)").bind(i).bind(prose(i as u64, 30)).execute(pool).await.unwrap();
    }
    let sql = format!(
        "select ai.create_vectorizer('k'::regclass, \
         embedding => ai.embedding_openai('text-embedding-3-small', 8, base_url => '{}'), \
         chunking => ai.chunking_recursive_character_text_splitter('body', chunk_size => 60, chunk_overlap => 0), \
         processing => ai.processing_default(batch_size => 5))",
        fast.base_url()
    );
    sqlx::query_scalar(&sql).fetch_one(pool).await.unwrap()
}

fn expected(i: i32) -> Vec<String> {
    let chunker = Chunker::recursive(&["\n\n", "\n", ".", "?", "!", " ", ""], 60, 0, false).unwrap();
    expected_chunks(&chunker, "$chunk", Some(&prose(i as u64, 30)), &[])
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Every key of `k` has all its chunks or none; written + queued = `ROWS`.
async fn assert_whole(pool: &PgPool, id: i32) {
    let rows: Vec<(i32, i64)> =
        sqlx::query_as("select id, count(*) from k_embedding_store group by id").fetch_all(pool).await.unwrap();
    for (i, n) in &rows {
        assert_eq!(*n as usize, expected(*i).len(), "key {i} is half-written");
    }
    let queued = count(pool, &format!("select ai.vectorizer_queue_pending({id}, exact_count => true)")).await;
    assert_eq!(rows.len() as i64 + queued, ROWS as i64, "every key is either written or queued");
}

/// Every chunk exactly once, with its vector; the queue empty.
async fn assert_done(pool: &PgPool, id: i32) {
    let got: Vec<(i32, i32, String, Vec<f32>)> =
        sqlx::query_as("select id, chunk_seq, chunk, embedding::real[] from k_embedding_store order by 1, 2")
            .fetch_all(pool)
            .await
            .unwrap();
    let want: Vec<(i32, i32, String)> =
        (1..=ROWS).flat_map(|i| expected(i).into_iter().enumerate().map(move |(s, c)| (i, s as i32, c))).collect();
    let got_keys: Vec<(i32, i32, String)> = got.iter().map(|(i, s, c, _)| (*i, *s, c.clone())).collect();
    assert_eq!(got_keys, want, "every chunk exactly once");
    assert!(got.iter().all(|(_, _, c, e)| *e == fast_openai::vector_for(c, 8)));
    assert_eq!(count(pool, &format!("select ai.vectorizer_queue_pending({id}, exact_count => true)")).await, 0);
}

/// Waits until the target holds more than `n` rows.
async fn wait_for_rows(pool: &PgPool, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(pool, "select count(*) from k_embedding_store").await <= n {
        assert!(Instant::now() < deadline, "the worker wrote nothing");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Terminates the worker's sessions in this database (other tests' workers share the
/// server); how many there were.
async fn terminate_worker(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity \
         where application_name = $1 and datname = current_database() and pid <> pg_backend_pid()) t",
    )
    .bind(APP)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Worker options that keep going on errors, with a poll interval far longer than the test.
fn resilient(url: &str) -> WorkerOptions {
    let mut o = WorkerOptions::new(url);
    o.env = Env::fixed([("OPENAI_API_KEY", KEY)]);
    o.http = Some(http());
    o.concurrency = Some(2);
    o.poll_interval = Duration::from_secs(600);
    o
}

/// Waits (at most `secs`) for the queue to empty.
async fn wait_until_done(pool: &PgPool, id: i32, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let sql = format!("select ai.vectorizer_queue_pending({id}, exact_count => true)");
    while count(pool, &sql).await > 0 {
        assert!(Instant::now() < deadline, "the worker did not finish within {secs} s (it did not reconnect?)");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_once_worker_whose_connections_are_terminated_exits_with_the_reason() {
    let db = Db::new("term_once").await;
    let fast = FastOpenAi::start();
    fast.set_delay(Duration::from_millis(150));
    let id = setup(&db.pool, &fast).await;
    let mut opts = once(&db);
    opts.concurrency = Some(2);
    let worker = tokio::spawn(run(opts));
    wait_for_rows(&db.pool, 0).await;
    tokio::time::sleep(Duration::from_millis(60)).await; // mid-batch: requests take 150 ms
    assert!(terminate_worker(&db.pool).await > 0);
    let err = worker.await.unwrap().unwrap_err();
    assert!(err.to_string().contains("lost the database connection"), "{err}");
    assert_whole(&db.pool, id).await;
    assert!(db.queued(id).await > 0, "stopped early");
    fast.set_delay(Duration::ZERO);
    run(once(&db)).await.expect("a new run finishes the job");
    assert_done(&db.pool, id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_whose_connections_are_terminated_reconnects() {
    let db = Db::new("term_again").await;
    let fast = FastOpenAi::start();
    fast.set_delay(Duration::from_millis(100));
    let id = setup(&db.pool, &fast).await;
    let (shutdown, trigger) = Shutdown::new();
    let worker = tokio::spawn(pgai::worker::run(resilient(&db.url), shutdown));
    let mut terminated = 0;
    for round in 0..3 {
        wait_for_rows(&db.pool, round * 30).await;
        tokio::time::sleep(Duration::from_millis(40)).await;
        terminated += terminate_worker(&db.pool).await;
        assert_whole(&db.pool, id).await;
    }
    assert!(terminated >= 3);
    wait_until_done(&db.pool, id, 30).await;
    trigger.trigger();
    worker.await.unwrap().expect("the worker stops cleanly");
    assert_done(&db.pool, id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_survives_server_restarts() {
    let mut cluster = PgCluster::builder().start().unwrap();
    let name = cluster.create_db("restart").await.unwrap();
    let url = cluster.url(&name);
    let pool = cluster.pool(&name).await.unwrap();
    sqlx::raw_sql("create extension ai version '0.7.2' cascade").execute(&pool).await.unwrap();
    let fast = FastOpenAi::start();
    fast.set_delay(Duration::from_millis(100));
    let id = setup(&pool, &fast).await;
    pool.close().await;
    let (shutdown, trigger) = Shutdown::new();
    let worker = tokio::spawn(pgai::worker::run(resilient(&url), shutdown));
    for (round, mode) in ["fast", "immediate"].into_iter().enumerate() {
        let pool = cluster.pool(&name).await.unwrap();
        wait_for_rows(&pool, round as i64 * 30).await;
        tokio::time::sleep(Duration::from_millis(40)).await;
        pool.close().await;
        tokio::task::block_in_place(|| {
            cluster.stop_with(mode).unwrap();
            std::thread::sleep(Duration::from_millis(1500)); // the worker finds no server
            cluster.start_again().unwrap();
        });
        let pool = cluster.pool(&name).await.unwrap();
        assert_whole(&pool, id).await;
        pool.close().await;
    }
    let pool = cluster.pool(&name).await.unwrap();
    wait_until_done(&pool, id, 40).await;
    trigger.trigger();
    worker.await.unwrap().expect("the worker stops cleanly");
    assert_done(&pool, id).await;
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_constraint_violation_holds_back_only_its_rows() {
    let db = Db::new("constraint").await;
    let fast = FastOpenAi::start();
    let id = setup(&db.pool, &fast).await;
    // Chunks that mention "café" violate it: those rows can never be written as they are.
    db.exec("alter table k_embedding_store add constraint no_cafe check (chunk not like '%café%')").await;
    let poisoned = db.scalar_i64("select count(*) from k where body like '%café%'").await;
    assert!(poisoned > 0 && poisoned < ROWS as i64);
    // Each run writes the other rows of its batches and stops with an error; a run stops early
    // only at a batch of refused rows alone, so a few runs leave exactly the refused rows queued.
    for _ in 0..10 {
        let err = run(once(&db)).await.unwrap_err();
        assert!(err.to_string().contains("violates check constraint \"no_cafe\""), "{err}");
        assert_whole(&db.pool, id).await;
        if db.queued(id).await == poisoned {
            break;
        }
    }
    assert_eq!(db.queued(id).await, poisoned, "only the refused rows stay queued");
    assert_eq!(
        db.scalar_i64(
            "select count(*) from k where body not like '%café%' and id not in (select id from k_embedding_store)"
        )
        .await,
        0,
        "every other row is embedded"
    );
    let errors = db.errors().await;
    assert!(!errors.is_empty() && errors.iter().all(|(_, d)| d.contains("no_cafe")), "{errors:?}");
    assert_eq!(db.scalar_i64("select count(*) from k_embedding_store where chunk like '%café%'").await, 0);
    // Once the constraint is fixed, everything goes through.
    db.exec("alter table k_embedding_store drop constraint no_cafe").await;
    run(once(&db)).await.expect("the worker finishes");
    assert_done(&db.pool, id).await;
}
