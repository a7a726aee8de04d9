//! The `ai` extension next to the catalog of `pgai install` (pgai 0.10's layout): a fresh
//! extension has no catalog, either can come first, and `alter extension ai update` from the
//! 0.7 layout hands an existing catalog over, which `pgai install` then brings to 0.12's shape
//! with every vectorizer, queued key and embedding kept.

use crate::common::*;
use pgai::install::Outcome;

#[tokio::test]
async fn the_extension_and_the_catalog_in_either_order() {
    // the extension first
    let a = Db::new("ext_first").await;
    a.q("create extension ai").await;
    assert_eq!(a.q("select to_regclass('ai.vectorizer') is null").await, "t", "no catalog in the extension");
    a.install().await.expect("pgai install after the extension");
    assert_eq!(
        a.superuser("select count(*) from ai.pgai_lib_migration").await,
        pgai::install::script::MIGRATIONS.len().to_string()
    );
    // the catalog first
    let b = Db::new("lib_first").await;
    b.installed().await;
    b.q("create extension ai").await;
    assert_eq!(b.install().await.unwrap(), Outcome::AlreadyInstalled);
    // both work side by side: the model functions and the catalog
    for db in [&a, &b] {
        assert_eq!(
            db.q("select count(*) from pg_proc where proname = 'openai_embed' and pronamespace = 'ai'::regnamespace")
                .await,
            "3"
        );
        db.q("create table t (id int primary key, body text); insert into t values (1, 'x');
                      select ai.create_vectorizer('t'::regclass, loading => ai.loading_column('body'),
                          embedding => ai.embedding_openai('m', 3), scheduling => ai.scheduling_none(), indexing => ai.indexing_none())").await;
        assert_eq!(db.q("select ai.vectorizer_queue_pending(1)").await, "1");
    }
}

#[tokio::test]
async fn an_upgrade_from_the_0_7_layout_hands_the_catalog_over_intact() {
    // as on a managed service: the database owner, no superuser, does everything
    let db = Db::new("ext_upgrade").await;
    db.q("create extension ai version '0.7.2';
         create table docs (id int primary key, title text, body text);
         insert into docs values (1, 'a', 'first'), (2, 'b', 'second');
         select ai.create_vectorizer('docs'::regclass, embedding => ai.embedding_openai('text-embedding-3-small', 3),
             chunking => ai.chunking_character_text_splitter('body'), scheduling => ai.scheduling_none(),
             indexing => ai.indexing_none(), grant_to => ai.grant_to('public'));
         insert into docs_embedding_store (id, chunk_seq, chunk, embedding) values (1, 0, 'first', '[1,2,3]');
         delete from ai._vectorizer_q_1 where id = 1;
         insert into ai.vectorizer_errors (id, message) values (1, 'an old error')")
        .await;
    db.q("alter extension ai update").await;
    assert_eq!(
        db.superuser("select string_agg(name || '@' || applied_at_version, ' ' order by name) from ai.pgai_lib_migration").await,
        "001-vectorizer.sql@unpackaged 003-vec-storage.sql@unpackaged 005-vectorizer-queue-pending.sql@unpackaged 006-drop-vectorizer.sql@unpackaged"
    );
    assert_eq!(
        db.superuser("select count(*) from pg_depend d join pg_extension e on e.oid = d.refobjid where e.extname = 'ai' and d.deptype = 'e'
                      and d.classid = 'pg_class'::regclass and d.objid in ('ai.vectorizer'::regclass, 'ai.vectorizer_errors'::regclass)").await,
        "0",
        "the catalog left the extension"
    );
    assert_eq!(db.superuser("select to_regprocedure('ai.create_vectorizer(regclass, name, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, name, name, name, name, name, name, name[], bool)') is null").await, "t");
    // the database owner converts it
    match db.install().await.expect("pgai install as the database owner") {
        Outcome::Installed { from: None, .. } => {}
        other => panic!("{other:?}"),
    }
    let row: serde_json::Value =
        serde_json::from_str(&db.superuser("select to_jsonb(v)::text from ai.vectorizer v").await).unwrap();
    assert_eq!(row["name"], "public_docs_embedding_store");
    assert_eq!(row["config"]["loading"]["column_name"], "body");
    assert_eq!(row["config"]["destination"]["target_table"], "docs_embedding_store");
    assert_eq!(row["queue_failed_table"], "_vectorizer_q_failed_1");
    assert_eq!(row["source_pk"][0]["typname"], "integer", "format_type's names");
    assert!(row["config"]["chunking"].get("chunk_column").is_none());
    assert_eq!(db.superuser("select count(*) from docs_embedding_store").await, "1", "the embedding is kept");
    assert_eq!(
        db.superuser("select string_agg(id::text || ':' || loading_retries, ',') from ai._vectorizer_q_1").await,
        "2:0",
        "the queue too"
    );
    assert_eq!(db.superuser("select name from ai.vectorizer_errors").await, "public_docs_embedding_store");
    assert_eq!(
        db.superuser(
            "select count(*) from pg_constraint where conrelid = 'docs_embedding_store'::regclass and contype = 'f'"
        )
        .await,
        "0",
        "no foreign key to the source any more"
    );
    // the new trigger: a delete removes the chunks, an update queues
    db.superuser("delete from docs where id = 1; update docs set title = 'c' where id = 2").await;
    assert_eq!(db.superuser("select count(*) from docs_embedding_store").await, "0");
    assert_eq!(db.superuser("select ai.vectorizer_queue_pending(1)").await, "2");
    assert_eq!(
        db.superuser("select pending_items || ' ' || name from ai.vectorizer_status").await,
        "2 public_docs_embedding_store"
    );
}

#[tokio::test]
async fn a_database_with_both_dumps_and_restores_into_an_empty_one() {
    let db = Db::new("both_dump").await;
    db.q("create extension ai").await;
    db.installed().await;
    db.q("create table docs (id int primary key, body text); insert into docs values (1, 'one');
          select ai.create_vectorizer('docs'::regclass, loading => ai.loading_column('body'),
              embedding => ai.embedding_openai('m', 3), scheduling => ai.scheduling_none(), indexing => ai.indexing_none());
          insert into docs_embedding_store (id, chunk_seq, chunk, embedding) values (1, 0, 'one', '[1,2,3]')")
        .await;
    let cluster = testkit::PgCluster::shared();
    let port = port().to_string();
    let dump = cluster
        .command("pg_dump")
        .args(["-Fc", "-h", "127.0.0.1", "-p", &port, "-U", "postgres", &db.name])
        .output()
        .unwrap();
    assert!(dump.status.success(), "{}", String::from_utf8_lossy(&dump.stderr));
    let target = Db::new("both_restored").await; // pgvector is a superuser's to create
    let mut restore = cluster
        .command("pg_restore")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            "postgres",
            "-d",
            &target.name,
            "--no-owner",
            "--no-comments",
            "--role",
            &target.owner,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    restore.stdin.take().unwrap().write_all(&dump.stdout).unwrap();
    let out = restore.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(target.q("select extversion >= '0.10' from pg_extension where extname = 'ai'").await, "t");
    assert_eq!(target.install().await.unwrap(), Outcome::AlreadyInstalled);
    assert_eq!(target.q("select count(*) from docs_embedding_store").await, "1");
    assert_eq!(target.q("select ai.vectorizer_queue_pending(1)").await, "1", "the queue came back");
    target.q("insert into docs values (2, 'two')").await;
    assert_eq!(target.q("select ai.vectorizer_queue_pending(1)").await, "2", "the trigger came back");
}

#[tokio::test]
async fn an_executor_url_brings_the_extension_along() {
    let db = Db::new("ext_executor").await;
    db.superuser(&format!(
        "alter database \"{}\" set ai.external_functions_executor_url = 'http://127.0.0.1:1/executor'",
        db.name
    ))
    .await;
    db.installed().await;
    assert_eq!(db.q("select extversion >= '0.10' from pg_extension where extname = 'ai'").await, "t");
}
