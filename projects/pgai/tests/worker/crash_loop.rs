//! The crash loop: three `pgai vectorizer worker` processes, killed with SIGKILL at random
//! moments and restarted, again and again, while rows are inserted, updated and deleted.
//! Embedding requests take 60 ms, so kills land while claiming, embedding, writing and
//! committing. After a final `--once` drain: every source row has exactly the chunks of its
//! current text, each once, with its vector; no chunk of a deleted row; the queue is empty.
//!
//! `PGAI_SOAK_KILLS` sets the number of kills (default 15; `just pgai soak` runs 120),
//! `PGAI_SOAK_SEED` the random seed (printed, to replay a failure).

use crate::common::*;
use pgai::chunking::Chunker;
use sqlx::PgPool;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use testkit::fast_openai::{self, FastOpenAi};

const WORKERS: usize = 3;
const INITIAL_ROWS: i32 = 300;
const CHUNK_SIZE: i64 = 80;
const CHUNK_OVERLAP: i64 = 20;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// What the worker was doing when it was killed, from its sessions in `pg_stat_activity`.
#[derive(Debug, Default)]
struct KillStats {
    /// A statement running (claiming, writing or committing).
    in_statement: u32,
    /// A transaction open, no statement (embedding, or between statements).
    in_transaction: u32,
    /// No transaction (starting up, polling, between batches).
    idle: u32,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_killed_again_and_again_lose_nothing() {
    let kills = env_u64("PGAI_SOAK_KILLS").unwrap_or(15);
    let seed = env_u64("PGAI_SOAK_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    }) | 1;
    println!("crash loop: {kills} kills, seed {seed} (PGAI_SOAK_SEED to replay)");
    let mut rng = Rng(seed);
    let db = Db::new("crash_loop").await;
    let fast = FastOpenAi::start();
    fast.set_delay(Duration::from_millis(60));
    db.exec("create table src (id int primary key, body text)").await;
    for i in 1..=INITIAL_ROWS {
        let words = 10 + (i as usize * 7) % 40;
        sqlx::query("insert into src values ($1, $2)")
            .bind(i)
            .bind(prose(i as u64, words))
            .execute(&db.pool)
            .await
            .unwrap();
    }
    let chunking = format!(
        "ai.chunking_recursive_character_text_splitter('body', chunk_size => {CHUNK_SIZE}, chunk_overlap => {CHUNK_OVERLAP})"
    );
    let id = vectorizer(
        &db,
        "src",
        &fast.base_url(),
        8,
        &chunking,
        ", processing => ai.processing_default(batch_size => 5)",
    )
    .await;

    // Each worker connects as its own role, so that its sessions can be told apart.
    let roles: Vec<String> = (0..WORKERS).map(|w| format!("{}_w{w}", db.name)).collect();
    for role in &roles {
        db.exec(&format!("create role \"{role}\" login superuser")).await;
    }
    let dir = scratch_dir("crash_loop");
    let url_of = |role: &str| db.url.replacen("postgres@", &format!("{role}@"), 1);
    let spawn = |role: &str, once: bool| -> Child {
        let mut c = pgai_command(&dir);
        c.args(["vectorizer", "worker", "-d", &url_of(role), "-c", "2", "--poll-interval", "100ms"]);
        if once {
            c.arg("--once");
        }
        c.env("OPENAI_API_KEY", KEY).stdout(Stdio::null()).stderr(worker_stderr());
        c.spawn().unwrap()
    };

    let stop = Arc::new(AtomicBool::new(false));
    let writes = Arc::new(AtomicU64::new(0));
    let writer =
        tokio::spawn(write_concurrently(db.pool.clone(), seed.rotate_left(17) | 1, stop.clone(), writes.clone()));

    let started = Instant::now();
    let mut children: Vec<Child> = roles.iter().map(|r| spawn(r, false)).collect();
    let mut stats = KillStats::default();
    for k in 0..kills {
        tokio::time::sleep(Duration::from_millis(20 + rng.below(400))).await;
        let w = rng.below(WORKERS as u64) as usize;
        record_state(&db.pool, &roles[w], &mut stats).await;
        children[w].kill().unwrap(); // SIGKILL
        children[w].wait().unwrap();
        if k % 10 == 9 {
            assert_no_half_written_key(&db.pool).await;
        }
        children[w] = spawn(&roles[w], false);
    }
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();
    for (w, child) in children.iter_mut().enumerate() {
        record_state(&db.pool, &roles[w], &mut stats).await;
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let total_kills = kills + WORKERS as u64;

    // The server notices the dead clients and rolls their transactions back.
    let deadline = Instant::now() + Duration::from_secs(20);
    let sessions = format!("select count(*) from pg_stat_activity where usename like '{}\\_w%'", db.name);
    while db.scalar_i64(&sessions).await > 0 {
        assert!(Instant::now() < deadline, "the killed workers' sessions linger");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_no_half_written_key(&db.pool).await;
    let queued_after_kills = db.queued(id).await;

    let status = tokio::task::block_in_place(|| spawn(&roles[0], true).wait().unwrap());
    assert_eq!(status.code(), Some(0), "the final drain succeeds");
    assert_eq!(db.queued(id).await, 0, "the queue is empty");

    // Every current row has exactly the chunks of its current text; nothing else is there.
    let chunker =
        Chunker::recursive(&["\n\n", "\n", ".", "?", "!", " ", ""], CHUNK_SIZE, CHUNK_OVERLAP, false).unwrap();
    let source: Vec<(i32, Option<String>)> =
        sqlx::query_as("select id, body from src order by id").fetch_all(&db.pool).await.unwrap();
    let mut want = Vec::new();
    for (key, body) in &source {
        for (seq, chunk) in expected_chunks(&chunker, "$chunk", body.as_deref(), &[]).into_iter().enumerate() {
            want.push((key.to_string(), seq as i32, chunk));
        }
    }
    want.sort();
    let target = db.target("src_embedding_store", "id").await;
    let got: Vec<_> = target.iter().map(|(k, s, c, _)| (k.clone(), *s, c.clone())).collect();
    if got != want {
        let extra: Vec<_> = got.iter().filter(|r| !want.contains(r)).take(5).collect();
        let missing: Vec<_> = want.iter().filter(|r| !got.contains(r)).take(5).collect();
        panic!(
            "target differs from the source ({} vs {} chunks): extra {extra:?}, missing {missing:?}",
            got.len(),
            want.len()
        );
    }
    assert!(target.iter().all(|(_, _, c, e)| *e == fast_openai::vector_for(c, 8)), "every vector is its chunk's");
    let orphans = db
        .scalar_i64("select count(*) from src_embedding_store t where not exists (select from src s where s.id = t.id)")
        .await;
    assert_eq!(orphans, 0);
    let errors = db.errors().await;
    assert!(errors.is_empty(), "{errors:?}");
    println!(
        "crash loop: {total_kills} kills survived in {:.1} s ({} in a statement, {} in a transaction, {} between \
         batches), {WORKERS} workers x 2 tasks, {} concurrent writes, {} rows, {} chunks, {queued_after_kills} keys \
         queued at the last kill",
        started.elapsed().as_secs_f64(),
        stats.in_statement,
        stats.in_transaction,
        stats.idle,
        writes.load(Ordering::Relaxed),
        source.len(),
        target.len(),
    );
}

/// Inserts, updates (sometimes to NULL) and deletes rows until `stop`.
async fn write_concurrently(pool: PgPool, seed: u64, stop: Arc<AtomicBool>, writes: Arc<AtomicU64>) {
    let mut rng = Rng(seed);
    let mut next_id = INITIAL_ROWS + 1;
    while !stop.load(Ordering::Relaxed) {
        let key = 1 + rng.below(next_id as u64) as i32;
        let text = prose(rng.next_u64(), 5 + rng.below(50) as usize);
        let r = match rng.below(20) {
            0..=8 => sqlx::query("update src set body = $2 where id = $1").bind(key).bind(text).execute(&pool).await,
            9 => sqlx::query("update src set body = null where id = $1").bind(key).execute(&pool).await,
            10..=14 => {
                next_id += 1;
                sqlx::query("insert into src values ($1, $2)").bind(next_id - 1).bind(text).execute(&pool).await
            }
            _ => sqlx::query("delete from src where id = $1").bind(key).execute(&pool).await,
        };
        r.expect("a concurrent write");
        writes.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(1 + rng.below(8))).await;
    }
}

async fn record_state(pool: &PgPool, role: &str, stats: &mut KillStats) {
    let (active, in_tx): (i64, i64) = sqlx::query_as(
        "select count(*) filter (where state = 'active'), count(*) filter (where xact_start is not null) \
         from pg_stat_activity where usename = $1",
    )
    .bind(role)
    .fetch_one(pool)
    .await
    .unwrap();
    if active > 0 {
        stats.in_statement += 1;
    } else if in_tx > 0 {
        stats.in_transaction += 1;
    } else {
        stats.idle += 1;
    }
}

/// Every key's chunks are numbered 0..n: no batch was half-written.
async fn assert_no_half_written_key(pool: &PgPool) {
    let broken: Vec<(i32,)> = sqlx::query_as(
        "select id from src_embedding_store group by id having min(chunk_seq) <> 0 or max(chunk_seq) + 1 <> count(*)",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(broken.is_empty(), "half-written keys: {broken:?}");
}
