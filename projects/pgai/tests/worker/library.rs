//! Vectorizers of pgai 0.10's layout and later (the catalog of `pgai install`, no extension):
//! loading from a column (text or bytes), table and column destinations, loading failures with
//! retries and the failed queue, disabled vectorizers, and errors in `ai._vectorizer_errors`.

use crate::common::*;
use testkit::fake;

/// `ai.create_vectorizer` of the 0.12 API on `table`: OpenAI at `base_url`, 4 dimensions, no
/// schedule; `rest` adds arguments.
async fn vectorizer(db: &Db, table: &str, base_url: &str, rest: &str) -> i32 {
    let sql = format!(
        "select ai.create_vectorizer('{table}'::regclass, \
         embedding => ai.embedding_openai('text-embedding-3-small', 4, base_url => '{base_url}'), \
         scheduling => ai.scheduling_none(), indexing => ai.indexing_none(){rest})"
    );
    sqlx::query_scalar(&sql).fetch_one(&db.pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_destination_fills_and_follows_its_source() {
    let db = Db::library("lib_table").await;
    let fake = fake::openai(KEY);
    db.exec("create table docs (id int primary key, title text, body text); insert into docs select g, 't' || g, 'body of row ' || g from generate_series(1, 30) g").await;
    let id = vectorizer(
        &db,
        "docs",
        &fake.base_url(),
        ", loading => ai.loading_column('body'), chunking => ai.chunking_character_text_splitter(5, 0, ' ')",
    )
    .await;
    assert_eq!(db.queued(id).await, 30);
    let summary = run(once(&db)).await.expect("the worker succeeds");
    assert_eq!((summary.items(), db.queued(id).await), (30, 0));
    assert_eq!(db.scalar_i64("select count(distinct id) from docs_embedding_store").await, 30);
    assert_eq!(
        db.scalar_i64("select count(*) from docs_embedding where body is not null").await,
        db.scalar_i64("select count(*) from docs_embedding_store").await
    );
    assert_eq!(db.scalar_i64("select pending_items from ai.vectorizer_status").await, 0);
    // the worker registered and reported as pgai's workers do
    assert_eq!(
        db.scalar_i64(
            "select count(*) from ai.vectorizer_worker_process where heartbeat_count >= 1 and version = '0.12.1'"
        )
        .await,
        1
    );
    assert_eq!(db.scalar_i64(&format!("select success_count::int8 from ai.vectorizer_worker_progress where vectorizer_id = {id} and last_success_process_id is not null")).await, 30);
    // a title change costs nothing (the text is the same), a deleted row's chunks go at once
    let requests = fake.requests().len();
    db.exec("update docs set title = 'new' where id <= 10; delete from docs where id = 30").await;
    run(once(&db)).await.unwrap();
    assert_eq!(fake.requests().len(), requests, "unchanged text is not embedded again");
    assert_eq!(db.scalar_i64("select count(*) from docs_embedding_store where id = 30").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_column_destination_writes_into_the_source_rows() {
    let db = Db::library("lib_column").await;
    let fake = fake::openai(KEY);
    db.exec("create table notes (id int primary key, body text); insert into notes values (1, 'first note'), (2, 'second note'), (3, null)").await;
    let id = vectorizer(&db, "notes", &fake.base_url(), ", loading => ai.loading_column('body'), destination => ai.destination_column('body_embedding'), chunking => ai.chunking_none()").await;
    run(once(&db)).await.expect("the worker succeeds");
    assert_eq!(db.queued(id).await, 0, "writing the embeddings queues nothing");
    let rows: Vec<(i32, Option<String>)> =
        sqlx::query_as("select id, body_embedding::text from notes order by id").fetch_all(&db.pool).await.unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows[0].1.as_deref().is_some_and(|v| v.starts_with('[')) && rows[1].1.is_some(), "{rows:?}");
    assert_ne!(rows[0].1, rows[1].1, "each row its own embedding");
    assert_eq!(rows[2].1, None, "a NULL text has no embedding");
    let first = rows[0].1.clone();
    // a new text: embedded again; NULLing it clears the embedding
    db.exec("update notes set body = 'changed note' where id = 1; update notes set body = null where id = 2").await;
    assert_eq!(db.queued(id).await, 2);
    run(once(&db)).await.unwrap();
    let rows: Vec<(i32, Option<String>)> =
        sqlx::query_as("select id, body_embedding::text from notes order by id").fetch_all(&db.pool).await.unwrap();
    assert_ne!(rows[0].1, first);
    assert_eq!(rows[1].1, None);
    assert_eq!(db.queued(id).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_load_as_text_and_documents_fail_loading_until_the_failed_queue() {
    let db = Db::library("lib_bytes").await;
    let fake = fake::openai(KEY);
    db.exec("create table files (id int primary key, content bytea);
             insert into files values (1, convert_to('# Notes\n\nplain markdown', 'UTF8')), (2, '\\x255044462d312e370a'::bytea)").await;
    let id =
        vectorizer(&db, "files", &fake.base_url(), ", loading => ai.loading_column('content', retries => 1)").await;
    let summary = run(once(&db)).await.expect("a loading failure fails no batch");
    assert_eq!(summary.items(), 1);
    assert_eq!(db.scalar_i64("select count(*) from files_embedding_store where id = 1").await, 1);
    // the PDF: back in the queue with one attempt counted, due in 3 minutes, and recorded
    let (retries, wait): (i32, f64) = sqlx::query_as(&format!(
        "select loading_retries, extract(epoch from loading_retry_after - now())::float8 from ai._vectorizer_q_{id}"
    ))
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(retries, 1);
    assert!((170.0..=180.0).contains(&wait), "{wait}");
    let (message, details): (String, serde_json::Value) =
        sqlx::query_as("select message, details from ai.vectorizer_errors where name = 'public_files_embedding_store'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(message, "loading failed");
    assert_eq!(details["loader"], "column");
    assert_eq!(details["is_retryable"], true);
    assert_eq!(details["error_reason"], "parsing PDF documents is not supported by this worker yet");
    // not due yet: a second run leaves it
    run(once(&db)).await.unwrap();
    assert_eq!(db.queued(id).await, 1);
    // due, and out of retries: to the failed queue
    db.exec(&format!("update ai._vectorizer_q_{id} set loading_retry_after = now() - interval '1 second'")).await;
    run(once(&db)).await.unwrap();
    assert_eq!(db.queued(id).await, 0);
    assert_eq!(
        db.scalar_i64(&format!(
            "select count(*) from ai._vectorizer_q_failed_{id} where id = 2 and failure_step = 'loading'"
        ))
        .await,
        1
    );
    assert_eq!(
        db.scalar_i64("select count(*) from ai._vectorizer_errors where details->>'is_retryable' = 'false'").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uri_loading_is_accepted_and_each_row_says_it_is_not_supported_yet() {
    let db = Db::library("lib_uri").await;
    let fake = fake::openai(KEY);
    db.exec("create table links (id int primary key, url text); insert into links values (1, 's3://bucket/a.pdf'), (2, 'https://example.com/b.md')").await;
    let id = vectorizer(&db, "links", &fake.base_url(), ", loading => ai.loading_uri('url')").await;
    run(once(&db)).await.expect("nothing crashes");
    assert_eq!(db.queued(id).await, 2, "no key is lost");
    assert_eq!(
        db.scalar_i64("select count(*) from ai.vectorizer_errors where message = 'loading failed' and details->>'loader' = 'uri' and details->>'error_reason' like '%not supported by this worker yet'").await,
        2
    );
    assert!(fake.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_vectorizer_is_left_alone() {
    let db = Db::library("lib_disabled").await;
    let fake = fake::openai(KEY);
    db.exec("create table docs (id int primary key, body text); insert into docs values (1, 'a'), (2, 'b')").await;
    let id = vectorizer(&db, "docs", &fake.base_url(), ", loading => ai.loading_column('body')").await;
    db.exec(&format!("select ai.disable_vectorizer_schedule({id})")).await;
    run(once(&db)).await.unwrap();
    assert_eq!(db.queued(id).await, 2);
    assert!(fake.requests().is_empty());
    db.exec(&format!("select ai.enable_vectorizer_schedule({id})")).await;
    run(once(&db)).await.unwrap();
    assert_eq!(db.queued(id).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_failures_are_recorded_in_the_errors_table() {
    let db = Db::library("lib_errors").await;
    let fake = fake::openai(KEY);
    fake.fail_next(100, testkit::http::Reply::json(400, serde_json::json!({"error": {"message": "bad input"}})));
    db.exec("create table docs (id int primary key, body text); insert into docs values (1, 'a')").await;
    let id = vectorizer(&db, "docs", &fake.base_url(), ", loading => ai.loading_column('body')").await;
    assert!(run(once(&db)).await.is_err());
    assert_eq!(db.queued(id).await, 1, "the key stays queued");
    let (message, name): (String, String) =
        sqlx::query_as("select message, name from ai.vectorizer_errors").fetch_one(&db.pool).await.unwrap();
    assert_eq!((message.as_str(), name.as_str()), ("embedding provider failed", "public_docs_embedding_store"));
    assert_eq!(db.scalar_i64(&format!("select error_count::int8 from ai.vectorizer_worker_progress where vectorizer_id = {id} and last_error_message like '%bad input%'")).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catalog_handed_over_by_the_extension_keeps_its_embeddings() {
    let db = Db::new("lib_handover").await; // the extension's 0.7 layout
    let fake = fake::openai(KEY);
    db.exec("create table docs (id int primary key, body text); insert into docs select g, 'text of row ' || g from generate_series(1, 20) g").await;
    let id = crate::common::vectorizer(
        &db,
        "docs",
        &fake.base_url(),
        4,
        "ai.chunking_character_text_splitter('body')",
        ", scheduling => ai.scheduling_none(), indexing => ai.indexing_none()",
    )
    .await;
    run(once(&db)).await.unwrap();
    let before = db.target("docs_embedding_store", "id").await;
    let uuids: Vec<String> = sqlx::query_scalar("select embedding_uuid::text from docs_embedding_store order by 1")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(before.len(), 20);
    // the extension hands the catalog over, pgai install converts it
    db.exec("alter extension ai update").await;
    pgai::install::install(&db.url, &Default::default()).await.expect("pgai install");
    let requests = fake.requests().len();
    db.exec("insert into docs values (21, 'a new row'); update docs set body = 'changed' where id = 1").await;
    run(once(&db)).await.expect("the worker goes on with the converted vectorizer");
    assert_eq!(db.queued(id).await, 0);
    assert_eq!(fake.requests().len(), requests + 1, "only the new and the changed row are embedded, in one request");
    let after = db.target("docs_embedding_store", "id").await;
    assert_eq!(after.len(), 21);
    let kept: i64 =
        sqlx::query_scalar("select count(*) from docs_embedding_store where embedding_uuid::text = any($1)")
            .bind(&uuids)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(kept, 19, "every unchanged row keeps its chunk");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_in_database_worker_sends_no_key_where_a_row_of_this_catalog_points() {
    let db = Db::library("lib_indb").await;
    let fake = fake::openai(KEY);
    db.exec("create table docs (id int primary key, body text); insert into docs values (1, 'a')").await;
    let id = vectorizer(&db, "docs", &fake.base_url(), ", loading => ai.loading_column('body')").await;
    let mut opts = once(&db);
    opts.in_database = true;
    let e = run(opts).await.unwrap_err().to_string();
    assert!(e.contains("the in-database worker sends no API key to a base_url that a vectorizer names"), "{e}");
    assert!(fake.requests().is_empty(), "no request, so no key, went out");
    assert_eq!(db.queued(id).await, 1);
}
