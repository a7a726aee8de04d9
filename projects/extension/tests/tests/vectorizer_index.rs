//! The indexing step: ai_extra._vectorizer_create_vector_index_if_needed and its helpers, the job
//! procedure and ai.execute_vectorizer (which signals pgai's executor).
//!
//! create_vectorizer refuses automatic indexing without scheduling, and TimescaleDB (the only
//! scheduler so far) cannot be installed here, so these tests create vectorizers with indexing
//! none and then set the indexing config in the catalog, as a scheduled vectorizer would have it.

mod common;

use anyhow::Result;
use common::*;
use std::time::{Duration, Instant};
use testkit::http::{FakeServer, Reply};
use testkit::PgCluster;

/// A table `docs` with `rows` rows and a vectorizer on it; returns its id.
fn vectorizer(pg: &PgCluster, db: &str, table: &str, rows: i32) -> Result<i32> {
    psql_ok(
        pg,
        db,
        &format!("create table {table}(id int primary key, body text); insert into {table} select g, 'x' from generate_series(1, {rows}) g"),
    )?;
    Ok(psql_ok(pg, db, &format!("select ai.create_vectorizer('{table}'::regclass, embedding => {EMBED4}, chunking => ai.chunking_character_text_splitter('body'))"))?.parse()?)
}

fn set_indexing(pg: &PgCluster, db: &str, id: i32, indexing: &str) -> Result<()> {
    psql_ok(
        pg,
        db,
        &format!("update ai.vectorizer set config = jsonb_set(config, '{{indexing}}', {indexing}) where id = {id}"),
    )?;
    Ok(())
}

fn if_needed(pg: &PgCluster, db: &str, id: i32) -> Result<String> {
    psql_ok(pg, db, &format!("select ai_extra._vectorizer_create_vector_index_if_needed({id})"))
}

/// Adds `n` chunks to the target of table `table`, for source rows from `from` on.
fn add_chunks(pg: &PgCluster, db: &str, table: &str, from: i32, n: i32) -> Result<()> {
    psql_ok(pg, db, &format!("insert into {table}_embedding_store (id, chunk_seq, chunk, embedding) select g, 0, 'x', '[1,2,3,4]' from generate_series({from}, {}) g", from + n - 1))?;
    Ok(())
}

fn vector_indexes(pg: &PgCluster, db: &str, table: &str) -> Result<String> {
    psql_ok(pg, db, &format!("select coalesce(string_agg(pg_get_indexdef(i.indexrelid), E'\\n' order by 1), '') from pg_index i join pg_class k on k.oid = i.indexrelid join pg_am am on am.oid = k.relam where i.indrelid = '{table}_embedding_store'::regclass and am.amname <> 'btree'"))
}

#[tokio::test]
async fn the_index_is_created_once_min_rows_are_reached_and_the_queue_is_empty() -> Result<()> {
    testkit::require_suite!("VECTORIZER");
    let pg = PgCluster::shared();
    let db = db_with_ai(pg, "idx_hnsw").await?;
    let id = vectorizer(pg, &db, "docs", 5)?;
    assert_eq!(if_needed(pg, &db, id)?, "f", "indexing none: never");

    set_indexing(
        pg,
        &db,
        id,
        "ai.indexing_hnsw(min_rows => 3, opclass => 'vector_l2_ops', m => 8, ef_construction => 20)",
    )?;
    assert_eq!(if_needed(pg, &db, id)?, "f", "5 items queued");
    psql_ok(pg, &db, &format!("delete from ai._vectorizer_q_{id}"))?;
    assert_eq!(if_needed(pg, &db, id)?, "f", "queue empty, but 0 of 3 rows");
    add_chunks(pg, &db, "docs", 1, 2)?;
    assert_eq!(if_needed(pg, &db, id)?, "f", "2 of 3 rows");
    add_chunks(pg, &db, "docs", 3, 1)?;
    assert_eq!(if_needed(pg, &db, id)?, "t", "3 of 3 rows and the queue is empty");
    assert_eq!(
        vector_indexes(pg, &db, "docs")?,
        "CREATE INDEX docs_embedding_store_embedding_idx ON public.docs_embedding_store USING hnsw (embedding vector_l2_ops) WITH (m='8', ef_construction='20')"
    );
    assert_eq!(if_needed(pg, &db, id)?, "f", "idempotent");
    assert_eq!(vector_indexes(pg, &db, "docs")?.lines().count(), 1);
    assert_eq!(
        psql_ok(pg, &db, &format!("select ai._vectorizer_vector_index_exists('public', 'docs_embedding_store', config->'indexing'), ai._vectorizer_vector_index_exists('public', 'docs_embedding_store', ai.indexing_diskann()), ai._vectorizer_should_create_vector_index(v) from ai.vectorizer v where id = {id}"))?,
        "t|f|f"
    );
    psql_err(
        pg,
        &db,
        "postgres",
        "select ai._vectorizer_vector_index_exists('public', 'docs_embedding_store', ai.indexing_none())",
        "unrecognized index implementation: nones",
    )?;
    Ok(())
}

#[tokio::test]
async fn options_min_rows_zero_and_create_when_queue_empty_false() -> Result<()> {
    testkit::require_suite!("VECTORIZER");
    let pg = PgCluster::shared();
    let db = db_with_ai(pg, "idx_opts").await?;
    let id = vectorizer(pg, &db, "docs", 3)?;
    add_chunks(pg, &db, "docs", 1, 1)?;
    // an index of another kind on the column does not count
    psql_ok(pg, &db, "create index on docs_embedding_store using ivfflat (embedding vector_l2_ops) with (lists = 1)")?;
    set_indexing(pg, &db, id, "ai.indexing_hnsw(min_rows => 0, create_when_queue_empty => false)")?;
    assert_eq!(if_needed(pg, &db, id)?, "t", "queue not empty, but create_when_queue_empty => false");
    let indexes = vector_indexes(pg, &db, "docs")?;
    assert!(
        indexes.contains("USING hnsw (embedding vector_cosine_ops)\n")
            || indexes.ends_with("USING hnsw (embedding vector_cosine_ops)"),
        "defaults: cosine, no options: {indexes}"
    );
    assert!(indexes.contains("USING ivfflat"), "{indexes}");
    Ok(())
}

#[tokio::test]
async fn diskann_without_vectorscale_and_bad_input_are_clear_errors() -> Result<()> {
    testkit::require_suite!("VECTORIZER");
    let pg = PgCluster::shared();
    let db = db_with_ai(pg, "idx_diskann").await?;
    let id = vectorizer(pg, &db, "docs", 1)?;
    set_indexing(pg, &db, id, "ai.indexing_diskann(min_rows => 0, create_when_queue_empty => false)")?;
    psql_err(
        pg,
        &db,
        "postgres",
        &format!("select ai_extra._vectorizer_create_vector_index_if_needed({id})"),
        "indexing_diskann needs the vectorscale extension (pgvectorscale), which is not installed",
    )?;
    psql_err(
        pg,
        &db,
        "postgres",
        "select ai._vectorizer_create_vector_index('public', 'docs_embedding_store', ai.indexing_none())",
        "unrecognized index implementation: nones",
    )?;
    psql_err(
        pg,
        &db,
        "postgres",
        "select ai_extra._vectorizer_create_vector_index_if_needed(9999)",
        "vectorizer 9999 does not exist",
    )?;
    assert_eq!(vector_indexes(pg, &db, "docs")?, "");
    Ok(())
}

#[tokio::test]
async fn concurrent_callers_build_one_index_and_never_wait() -> Result<()> {
    testkit::require_suite!("VECTORIZER");
    let pg = PgCluster::shared();
    let db = db_with_ai(pg, "idx_race").await?;
    let id = vectorizer(pg, &db, "docs", 4)?;
    psql_ok(pg, &db, &format!("delete from ai._vectorizer_q_{id}"))?;
    add_chunks(pg, &db, "docs", 1, 4)?;
    set_indexing(pg, &db, id, "ai.indexing_hnsw(min_rows => 4)")?;
    let pool = pg.pool(&db).await?;
    let call = format!("select ai_extra._vectorizer_create_vector_index_if_needed({id})");

    // A builds the index in a transaction it keeps open; B returns false at once, without waiting
    let mut a = pool.begin().await?;
    let created: bool = sqlx::query_scalar(&call).fetch_one(&mut *a).await?;
    assert!(created);
    let mut b = pool.acquire().await?;
    sqlx::query("set statement_timeout = '20s'").execute(&mut *b).await?;
    let started = Instant::now();
    let created_b: bool = sqlx::query_scalar(&call).fetch_one(&mut *b).await?;
    assert!(!created_b);
    assert!(started.elapsed() < Duration::from_secs(5), "B waited {:?}", started.elapsed());
    a.commit().await?;
    let created_b: bool = sqlx::query_scalar(&call).fetch_one(&mut *b).await?;
    assert!(!created_b, "the index exists now");
    drop(b);
    assert_eq!(vector_indexes(pg, &db, "docs")?.lines().count(), 1);

    // eight sessions at once, each in its own transaction: exactly one builds it
    psql_ok(pg, &db, "drop index docs_embedding_store_embedding_idx")?;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let pool = pool.clone();
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = pool.begin().await?;
            let created: bool = sqlx::query_scalar(&call).fetch_one(&mut *tx).await?;
            tokio::time::sleep(Duration::from_millis(100)).await;
            tx.commit().await?;
            anyhow::Ok(created)
        }));
    }
    let mut created = 0;
    for t in tasks {
        if t.await?? {
            created += 1;
        }
    }
    assert_eq!(created, 1);
    assert_eq!(vector_indexes(pg, &db, "docs")?.lines().count(), 1);

    // pgai's own race, one level down: while A builds in its open transaction, B's
    // ai._vectorizer_create_vector_index warns and returns at once; one index in the end
    psql_ok(pg, &db, "drop index docs_embedding_store_embedding_idx")?;
    let build = "select ai._vectorizer_create_vector_index('public', 'docs_embedding_store', ai.indexing_hnsw())";
    let mut a = pool.begin().await?;
    sqlx::query(build).execute(&mut *a).await?;
    let started = Instant::now();
    let out = psql(pg, &db, "postgres", &format!("set statement_timeout = '20s'; {build}"))?;
    assert!(
        out.ok
            && out.stderr.contains(
                "WARNING:  another process is already building a vector index on public.docs_embedding_store"
            ),
        "{}",
        out.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(5), "B waited {:?}", started.elapsed());
    a.commit().await?;
    let out = psql(pg, &db, "postgres", build)?;
    assert!(
        out.ok && out.stderr.contains("NOTICE:  the vector index on public.docs_embedding_store already exists"),
        "{}",
        out.stderr
    );
    assert_eq!(vector_indexes(pg, &db, "docs")?.lines().count(), 1);
    Ok(())
}

#[tokio::test]
async fn a_worker_that_does_not_own_the_target_gets_a_clear_error_once_the_index_is_due() -> Result<()> {
    testkit::require_suite!("VECTORIZER");
    let pg = PgCluster::shared();
    let db = db_with_ai(pg, "idx_owner").await?;
    let worker = format!("idx_worker_{}", std::process::id());
    psql_ok(pg, &db, &format!("do $$ begin if not exists (select from pg_roles where rolname = '{worker}') then create role {worker} login; end if; end $$; select ai.grant_ai_usage('{worker}')"))?;
    psql_ok(pg, &db, "create table docs(id int primary key, body text); insert into docs values (1, 'x')")?;
    let id: i32 = psql_ok(pg, &db, &format!("select ai.create_vectorizer('docs'::regclass, embedding => {EMBED4}, chunking => ai.chunking_character_text_splitter('body'), grant_to => ai.grant_to('{worker}'))"))?.parse()?;
    set_indexing(pg, &db, id, "ai.indexing_hnsw(min_rows => 1)")?;
    let call = format!("select ai_extra._vectorizer_create_vector_index_if_needed({id})");
    assert_eq!(psql(pg, &db, &worker, &call)?.stdout.trim(), "f", "not due yet: no error");
    psql_ok(pg, &db, &format!("delete from ai._vectorizer_q_{id}"))?;
    add_chunks(pg, &db, "docs", 1, 1)?;
    psql_err(pg, &db, &worker, &call, &format!("the vector index of vectorizer {id} is due, but role {worker} does not own its target table public.docs_embedding_store"))?;
    psql_ok(pg, &db, &format!("call ai._vectorizer_job(null, '{{\"vectorizer_id\": {id}}}')"))?;
    assert_eq!(vector_indexes(pg, &db, "docs")?.lines().count(), 1, "the owner's job built it");
    assert_eq!(psql(pg, &db, &worker, &call)?.stdout.trim(), "f", "exists: no error");
    Ok(())
}

#[tokio::test]
async fn execute_vectorizer_signals_the_executor_and_the_job_indexes_then_signals() -> Result<()> {
    testkit::require_suite!("VECTORIZER");
    let pg = PgCluster::shared();
    let db = db_with_ai(pg, "idx_execute").await?;
    // pgai's test executor: 200 with the id; a vectorizer named "fail" gets a 500
    let exec = FakeServer::start(|r| {
        let body = r.json();
        if r.method != "POST" || r.path_only() != "/api/v1/events" {
            Reply::text(404, "not here")
        } else if body["source_table"] == "fail" {
            Reply::json(500, serde_json::json!({"error": "cannot"}))
        } else {
            Reply::ok(serde_json::json!({"id": body["id"]}))
        }
    });
    psql_ok(pg, &db, &format!("alter database {db} set ai.external_functions_executor_url = '{}'", exec.url()))?;
    let a = vectorizer(pg, &db, "a", 120)?;
    psql_ok(pg, &db, &format!("select ai.execute_vectorizer({a})"))?;
    let sent = exec.last_request().unwrap();
    let body = sent.json();
    let row: serde_json::Value =
        serde_json::from_str(&psql_ok(pg, &db, &format!("select to_jsonb(v) from ai.vectorizer v where id = {a}"))?)?;
    let mut expected = row.clone();
    expected["secrets"] = serde_json::json!(["OPENAI_API_KEY"]);
    assert_eq!(body, expected, "the catalog row and the names of its secrets");
    assert_eq!(body["source_pk"][0]["typname"], "int4");
    // the events path setting; a failed status is pgai's error with the body as the detail
    psql_ok(pg, &db, &format!("select ai.execute_vectorizer({a})"))?;
    assert_eq!(exec.hits(), 2);
    let out = psql(
        pg,
        &db,
        "postgres",
        &format!("set ai.external_functions_executor_events_path = '/elsewhere'; select ai.execute_vectorizer({a})"),
    )?;
    assert!(
        !out.ok
            && out.stderr.contains("plpy.Error: failed to signal vectorizer execution: 404")
            && out.stderr.contains("DETAIL:  not here"),
        "{}",
        out.stderr
    );
    let f = vectorizer(pg, &db, "fail", 1)?;
    psql_err(
        pg,
        &db,
        "postgres",
        &format!("select ai.execute_vectorizer({f})"),
        "plpy.Error: failed to signal vectorizer execution: 500",
    )?;
    psql_err(pg, &db, "postgres", "select ai.execute_vectorizer(9999)", "plpy.Error: vectorizer 9999 not found")?;

    // the job: the indexing step when due, then one signal per 50 queued rows (at most 10)
    exec.clear();
    psql_ok(pg, &db, &format!("call ai._vectorizer_job(null, '{{\"vectorizer_id\": {a}}}')"))?;
    assert_eq!(exec.hits(), 3, "120 queued rows: 3 signals");
    psql_ok(pg, &db, "insert into a select g, 'x' from generate_series(121, 600) g")?;
    exec.clear();
    psql_ok(pg, &db, &format!("call ai._vectorizer_job(null, '{{\"vectorizer_id\": {a}}}')"))?;
    assert_eq!(exec.hits(), 10, "600 queued rows: at most 10 signals");
    let b = vectorizer(pg, &db, "b", 1)?;
    psql_ok(pg, &db, &format!("delete from ai._vectorizer_q_{b}"))?;
    add_chunks(pg, &db, "b", 1, 1)?;
    set_indexing(pg, &db, b, "ai.indexing_hnsw(min_rows => 1)")?;
    exec.clear();
    psql_ok(pg, &db, &format!("call ai._vectorizer_job(null, '{{\"vectorizer_id\": {b}}}')"))?;
    assert_eq!(vector_indexes(pg, &db, "b")?.lines().count(), 1, "the indexing step");
    assert_eq!(exec.hits(), 0, "an empty queue: no signal");

    psql_err(
        pg,
        &db,
        "postgres",
        "call ai._vectorizer_job(42, '{\"vectorizer_id\": 9999}')",
        "query returned no rows",
    )?;
    psql_err(pg, &db, "postgres", "call ai._vectorizer_job()", "config is null")?;
    Ok(())
}
