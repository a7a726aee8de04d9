//! The data path: rows to chunks to embeddings to the target table, with templates, edge-case
//! texts, composite and non-native keys, secrets from the database and the indexing hook.

use crate::common::*;
use pgai::chunking::Chunker;
use testkit::{fake, fake_embedding};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_become_formatted_chunks_with_their_embeddings() {
    let db = Db::new("pipeline").await;
    let fake = fake::openai(KEY);
    db.exec("create table docs (id int primary key, title text, body text)").await;
    let long = prose(1, 400);
    let unicode = "Ünïcödé: 日本語のテキスト、絵文字 👍🏽 and Ελληνικά. ".repeat(12);
    let rows: Vec<(i32, Option<&str>, Option<&str>)> = vec![
        (1, Some("Long"), Some(&long)),
        (2, Some("Null body"), None),
        (3, Some("Empty body"), Some("")),
        (4, Some("Unicode"), Some(&unicode)),
        (5, None, Some("A row whose title is NULL.")),
        (6, Some("Blank"), Some(" \n\n  ")),
    ];
    for (id, title, body) in &rows {
        sqlx::query("insert into docs values ($1, $2, $3)")
            .bind(id)
            .bind(title)
            .bind(body)
            .execute(&db.pool)
            .await
            .unwrap();
    }
    let chunking = "ai.chunking_recursive_character_text_splitter('body', chunk_size => 200, chunk_overlap => 50)";
    let id = vectorizer(
        &db,
        "docs",
        &fake.base_url(),
        16,
        chunking,
        ", formatting => ai.formatting_python_template('$title: $chunk')",
    )
    .await;
    assert_eq!(db.queued(id).await, 6);

    let summary = run(once(&db)).await.expect("the worker succeeds");
    assert_eq!((summary.items(), db.queued(id).await), (6, 0));

    let chunker = Chunker::recursive(&["\n\n", "\n", ".", "?", "!", " ", ""], 200, 50, false).unwrap();
    let target = db.target("docs_embedding_store", "id").await;
    let mut expected = Vec::new();
    for (id, title, body) in &rows {
        let title = title.unwrap_or("None");
        for (seq, chunk) in
            expected_chunks(&chunker, "$title: $chunk", *body, &[("title", title)]).into_iter().enumerate()
        {
            expected.push((id.to_string(), seq as i32, chunk));
        }
    }
    let got: Vec<_> = target.iter().map(|(k, s, c, _)| (k.clone(), *s, c.clone())).collect();
    assert_eq!(got, expected);
    assert!(expected.iter().filter(|(k, _, _)| k == "1").count() > 5, "the long text has several chunks");
    assert!(expected.iter().any(|(_, _, c)| c == "None: A row whose title is NULL."));
    for (_, _, chunk, embedding) in &target {
        assert_eq!(embedding, &fake_embedding(chunk, 16), "{chunk}");
    }
    // base64 vectors were asked for, with the configured dimensions.
    let body = fake.last_request().unwrap().json();
    assert_eq!((body["encoding_format"].as_str(), body["dimensions"].as_u64()), (Some("base64"), Some(16)));
    assert_eq!(fake.last_request().unwrap().header("authorization"), Some(format!("Bearer {KEY}").as_str()));

    // Updates replace a row's chunks; deletes remove them; unchanged rows stay.
    db.exec("update docs set body = 'Now short.' where id = 1; delete from docs where id = 4").await;
    run(once(&db)).await.unwrap();
    let target = db.target("docs_embedding_store", "id").await;
    let of = |k: &str| target.iter().filter(|(key, ..)| key == k).map(|(_, _, c, _)| c.clone()).collect::<Vec<_>>();
    assert_eq!(of("1"), ["Long: Now short."]);
    assert!(of("4").is_empty());
    assert_eq!(of("5"), ["None: A row whose title is NULL."]);
    assert!(db.errors().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_megabyte_text_is_stored_whole_and_embedded_truncated() {
    let db = Db::new("big").await;
    let fake = fake::openai(KEY);
    db.exec("create table big (id int primary key, body text)").await;
    let mut text = prose(7, 200_000).replace("\n\n", " ");
    text.truncate(text.floor_char_boundary(1 << 20));
    assert!(text.len() > 1_000_000);
    sqlx::query("insert into big values (1, $1)").bind(&text).execute(&db.pool).await.unwrap();
    // No "\n\n" in the text: the character splitter keeps it as one chunk.
    let id = vectorizer(&db, "big", &fake.base_url(), 8, "ai.chunking_character_text_splitter('body')", "").await;
    run(once(&db)).await.unwrap();
    assert_eq!(db.queued(id).await, 0);
    let target = db.target("big_embedding_store", "id").await;
    assert_eq!(target.len(), 1);
    assert_eq!(target[0].2, text, "the stored chunk is the whole text");
    let sent = fake.last_request().unwrap().json()["input"][0].as_str().unwrap().to_string();
    assert!(text.starts_with(&sent) && sent.len() < text.len() / 10, "sent {} bytes", sent.len());
    assert_eq!(providers::tokenize::count("text-embedding-3-small", &sent).unwrap(), 8191);
    assert_eq!(target[0].3, fake_embedding(&sent, 8));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn composite_and_non_native_keys() {
    let db = Db::new("keys").await;
    let fake = fake::openai(KEY);
    db.exec(
        "create table comp (a text, b bigint, c date, body text, primary key (a, b, c));
         insert into comp values ('x', 1, '2024-01-01', 'first'), ('x', 2, '2024-01-01', 'second'),
                                 ('y''s \"q\"', -9000000000, '1999-12-31', 'third');
         create table money (k numeric(12, 2), u uuid, tag varchar(10), s smallint, body text, primary key (k, u, tag, s));
         insert into money values (12.5, gen_random_uuid(), 'a', 1, 'twelve and a half'), (-0.01, gen_random_uuid(), 'b', -2, 'minus a cent');",
    )
    .await;
    let chunking = "ai.chunking_character_text_splitter('body')";
    let v1 = vectorizer(
        &db,
        "comp",
        &fake.base_url(),
        4,
        chunking,
        ", formatting => ai.formatting_python_template('$a/$b/$c: $chunk')",
    )
    .await;
    let v2 = vectorizer(
        &db,
        "money",
        &fake.base_url(),
        4,
        chunking,
        ", formatting => ai.formatting_python_template('$u $chunk')",
    )
    .await;
    run(once(&db)).await.unwrap();
    assert_eq!((db.queued(v1).await, db.queued(v2).await), (0, 0));
    let comp = db.target("comp_embedding_store", "a || '|' || b || '|' || c").await;
    let got: Vec<_> = comp.iter().map(|(k, _, c, _)| (k.as_str(), c.as_str())).collect();
    assert_eq!(
        got,
        [
            ("x|1|2024-01-01", "x/1/2024-01-01: first"),
            ("x|2|2024-01-01", "x/2/2024-01-01: second"),
            ("y's \"q\"|-9000000000|1999-12-31", "y's \"q\"/-9000000000/1999-12-31: third"),
        ]
    );
    // The view joins every chunk back to its source row.
    let joined = db
        .scalar_i64("select count(*) from money_embedding where body is not null and chunk like u::text || ' %'")
        .await;
    assert_eq!(joined, 2);
    let keys = db
        .scalar_i64("select count(*) from money_embedding_store e join money m using (k, u, tag, s) where e.chunk like m.u || ' %'")
        .await;
    assert_eq!(keys, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_key_comes_from_the_database_when_the_environment_lacks_it() {
    let db = Db::new("secret").await;
    let fake = fake::openai(KEY);
    db.exec("create table s (id int primary key, body text); insert into s values (1, 'hello')").await;
    let id = vectorizer(&db, "s", &fake.base_url(), 4, "ai.chunking_character_text_splitter('body')", "").await;

    // No key anywhere: the OpenAI-compatible server at base_url is asked without one, refuses,
    // and the batch is recorded as failed.
    let mut opts = once(&db);
    opts.env = pgai::worker::Env::fixed::<[(&str, &str); 0], &str, &str>([]);
    let err = run(opts.clone()).await.unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
    assert_eq!(db.queued(id).await, 1);

    // The secret set for the database's sessions (what ai.reveal_secret reads) is used.
    db.exec(&format!("alter database \"{}\" set ai.openai_api_key = '{KEY}'", db.name)).await;
    run(opts).await.expect("the key from ai.reveal_secret works");
    assert_eq!(db.queued(id).await, 0);
    let errors = db.errors().await;
    assert_eq!(errors.len(), 1);
    assert!(!errors[0].1.contains(KEY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_indexing_step_runs_when_the_function_exists() {
    let db = Db::new("indexing").await;
    let fake = fake::openai(KEY);
    db.exec("create table ix (id int primary key, body text); insert into ix select g, 'row ' || g from generate_series(1, 10) g").await;
    vectorizer(&db, "ix", &fake.base_url(), 4, "ai.chunking_character_text_splitter('body')", "").await;
    let exists =
        "select (to_regprocedure('ai_extra._vectorizer_create_vector_index_if_needed(integer)') is not null)::int::int8";
    if db.scalar_i64(exists).await == 0 {
        // An extension without the function: a stand-in (the worker only needs the signature).
        db.exec(
            "create function ai_extra._vectorizer_create_vector_index_if_needed(vectorizer_id int) returns bool
             language plpgsql as $$ begin return false; end $$",
        )
        .await;
    }
    // Count the calls the worker's sessions make.
    db.exec(&format!("alter database \"{}\" set track_functions = 'all'", db.name)).await;
    run(once(&db)).await.unwrap();
    let calls = "select coalesce(sum(calls), 0)::int8 from pg_stat_user_functions \
                 where schemaname = 'ai_extra' and funcname = '_vectorizer_create_vector_index_if_needed'";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while db.scalar_i64(calls).await == 0 {
        assert!(std::time::Instant::now() < deadline, "the indexing function was never called");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ollama_and_voyage_ai_embed_too() {
    let db = Db::new("providers").await;
    let ollama = fake::ollama();
    let voyage = fake::voyage("voyage-key");
    db.exec(
        "create table p (id int primary key, body text);
         insert into p select g, 'provider row ' || g from generate_series(1, 7) g",
    )
    .await;
    let chunking = "ai.chunking_character_text_splitter('body')";
    let o: i32 = sqlx::query_scalar(&format!(
        "select ai.create_vectorizer('p'::regclass, destination => 'p_ollama', \
         embedding => ai.embedding_ollama('all-minilm', 384, base_url => '{}'), chunking => {chunking})",
        ollama.base_url()
    ))
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let v: i32 = sqlx::query_scalar(&format!(
        "select ai.create_vectorizer('p'::regclass, destination => 'p_voyage', \
         embedding => ai.embedding_voyageai('voyage-3-lite', 512), chunking => {chunking})"
    ))
    .fetch_one(&db.pool)
    .await
    .unwrap();
    // ai.embedding_voyageai has no base_url: point the config at the fake.
    db.exec(&format!(
        "update ai.vectorizer set config = jsonb_set(config, '{{embedding,base_url}}', to_jsonb('{}'::text)) where id = {v}",
        voyage.base_url()
    ))
    .await;
    let mut opts = once(&db);
    opts.env = pgai::worker::Env::fixed([("VOYAGE_API_KEY", "voyage-key")]);
    opts.concurrency = Some(3);
    run(opts).await.unwrap();
    assert_eq!((db.queued(o).await, db.queued(v).await), (0, 0));
    for (table, dims) in [("p_ollama_store", 384), ("p_voyage_store", 512)] {
        let rows = db.target(table, "id").await;
        assert_eq!(rows.len(), 7, "{table}");
        assert!(rows.iter().all(|(_, _, c, e)| *e == fake_embedding(c, dims)), "{table}");
    }
    assert_eq!(ollama.hits(), 7, "Ollama embeds one text per request");
    assert_eq!(voyage.requests()[0].json()["input_type"], "document");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_batches_are_split_by_the_providers_limits() {
    let db = Db::new("split").await;
    let fake = fake::openai(KEY);
    db.exec("create table l (id int primary key, body text); insert into l select g, 'a' || g || E'\\n\\n' || 'b' || g from generate_series(1, 1100) g")
        .await;
    let chunking = "ai.chunking_character_text_splitter('body', chunk_size => 5, chunk_overlap => 0)";
    let id = vectorizer(
        &db,
        "l",
        &fake.base_url(),
        2,
        chunking,
        ", processing => ai.processing_default(batch_size => 1100)",
    )
    .await;
    let mut opts = once(&db);
    opts.concurrency = Some(2);
    run(opts).await.unwrap();
    assert_eq!(db.queued(id).await, 0);
    let mut sizes: Vec<usize> =
        fake.requests().iter().map(|r| r.json()["input"].as_array().map_or(0, Vec::len)).collect();
    sizes.sort();
    assert_eq!(sizes, [152, 2048], "one batch of 2,200 chunks, two requests (2,048 inputs at most)");
    assert_eq!(db.scalar_i64("select count(*) from l_embedding_store").await, 2200);
}
