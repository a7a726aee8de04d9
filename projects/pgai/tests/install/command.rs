//! What `pgai install` guarantees: it works as a database owner without superuser, in one
//! transaction, once per version, one install at a time, never downgrading, and only for the
//! catalog's owner; its refusals say what to do.

use crate::common::*;
use pgai::install::{InstallError, InstallOptions, Outcome, CATALOG_VERSION};
use std::process::Command;

#[tokio::test]
async fn installs_as_the_owner_of_a_database_without_superuser() {
    let db = Db::new("inst_owner").await;
    match db.install().await.unwrap() {
        Outcome::Installed { from: None, .. } => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(db.q("select version from ai.pgai_lib_version where name = 'ai'").await, CATALOG_VERSION);
    // every relation and function belongs to the installing role
    assert_eq!(
        db.q("select count(*) from pg_class k join pg_namespace n on n.oid = k.relnamespace \
              where n.nspname = 'ai' and k.relowner <> current_user::regrole")
            .await,
        "0"
    );
    assert_eq!(db.q("select count(*) from pg_proc p where p.pronamespace = 'ai'::regnamespace and p.proowner <> current_user::regrole").await, "0");
    // each migration recorded once, with this version
    let migrations = db.q("select count(*) from ai.pgai_lib_migration where applied_at_version = '0.12.1'").await;
    assert_eq!(migrations, pgai::install::script::MIGRATIONS.len().to_string());
    // and it works: a vectorizer on a table of the owner
    let id = db
        .q("create table docs (id int primary key, body text); insert into docs values (1, 'a'), (2, 'b');
            select ai.create_vectorizer('docs'::regclass, loading => ai.loading_column('body'),
                embedding => ai.embedding_openai('text-embedding-3-small', 768), scheduling => ai.scheduling_none(),
                indexing => ai.indexing_none())")
        .await;
    assert_eq!(id, "1");
    assert_eq!(db.q("select ai.vectorizer_queue_pending(1)").await, "2");
}

#[tokio::test]
async fn installing_again_changes_nothing_and_strict_refuses() {
    let db = Db::new("inst_again").await;
    db.installed().await;
    db.q("create table t (id int primary key, body text)").await;
    db.q("select ai.create_vectorizer('t'::regclass, loading => ai.loading_column('body'), embedding => ai.embedding_openai('m', 4), scheduling => ai.scheduling_none(), indexing => ai.indexing_none())").await;
    let before =
        db.q("select string_agg(name || applied_at::text, ',' order by name) from ai.pgai_lib_migration").await;
    assert_eq!(db.install().await.unwrap(), Outcome::AlreadyInstalled);
    let strict = InstallOptions { strict: true, ..Default::default() };
    match pgai::install::install(&db.url(), &strict).await {
        Err(InstallError::AlreadyInstalled) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(
        db.q("select string_agg(name || applied_at::text, ',' order by name) from ai.pgai_lib_migration").await,
        before
    );
    assert_eq!(db.q("select count(*) from ai.vectorizer").await, "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn installs_at_once_run_one_after_the_other() {
    let db = Db::new("inst_race").await;
    let url = db.url();
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { pgai::install::install(&url, &InstallOptions::default()).await })
        })
        .collect();
    let mut installed = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(Outcome::Installed { .. }) => installed += 1,
            Ok(Outcome::AlreadyInstalled) => {}
            Err(e) => panic!("a concurrent install failed: {e}"),
        }
    }
    assert_eq!(installed, 1);
    assert_eq!(db.q("select count(*) = count(distinct name) from ai.pgai_lib_migration").await, "t");
}

#[tokio::test]
async fn a_newer_catalog_is_never_downgraded() {
    let db = Db::new("inst_newer").await;
    db.installed().await;
    db.q("update ai.pgai_lib_version set version = '0.13.0' where name = 'ai'").await;
    let e = db.install().await.unwrap_err().to_string();
    assert!(e.contains("the pgai catalog in this database is version 0.13.0, newer than this pgai's 0.12.1"), "{e}");
    assert!(e.contains("upgrade pgai to 0.13.0 or later"), "{e}");
    assert_eq!(db.q("select version from ai.pgai_lib_version").await, "0.13.0");
}

#[tokio::test]
async fn only_the_catalogs_owner_may_upgrade_it() {
    let db = Db::new("inst_other").await;
    db.installed().await;
    db.q("update ai.pgai_lib_version set version = '0.12.0'").await;
    let other = role("inst_intruder").await;
    let e = pgai::install::install(&db.url_as(&other), &InstallOptions::default()).await.unwrap_err().to_string();
    assert!(e.contains("only the owner of the ai.pgai_lib_migration table can run database migrations"), "{e}");
    assert!(e.contains(&format!("connect as {} to install or upgrade", db.owner)), "{e}");
    assert_eq!(db.q("select version from ai.pgai_lib_version").await, "0.12.0", "rolled back");
}

#[tokio::test]
async fn without_pgvector_the_error_says_who_can_fix_it_and_nothing_is_left() {
    let db = Db::bare("inst_novec").await;
    let e = db.install().await.unwrap_err().to_string();
    assert!(e.starts_with("vector extension not installed: permission denied to create extension \"vector\""), "{e}");
    assert!(e.contains("ask a superuser to run `create extension vector`"), "{e}");
    assert_eq!(db.q("select count(*) from pg_namespace where nspname = 'ai'").await, "0");
    // a role that may create it (here the superuser) gets it created, in the schema asked for
    db.superuser("create schema vec").await;
    let opts = InstallOptions { vector_extension_schema: Some("vec".into()), ..Default::default() };
    pgai::install::install(&db.url_as("postgres"), &opts).await.unwrap();
    assert_eq!(db.q("select extnamespace::regnamespace::text from pg_extension where extname = 'vector'").await, "vec");
    assert_eq!(
        db.superuser("select pg_get_function_result('ai.vectorizer_embed(int4, text, text)'::regprocedure)").await,
        "vec.vector"
    );
}

#[tokio::test]
async fn an_ai_extension_older_than_0_10_is_refused() {
    let db = Db::new("inst_oldext").await;
    db.superuser("create extension ai version '0.7.2'").await;
    let version = db.q("select extversion from pg_extension where extname = 'ai'").await;
    let e = db.install().await.unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "The ai extension is outdated and must be upgraded. Installed version: {version}, required version: 0.10.0"
        )
    );
}

#[tokio::test]
async fn a_failed_install_leaves_the_database_as_it_was() {
    let db = Db::new("inst_fail").await;
    // an object in the way of a migration (020 creates this table)
    db.q("create schema ai; create table ai.vectorizer_worker_process (x int)").await;
    let e = db.install().await.unwrap_err().to_string();
    assert!(e.contains("relation \"vectorizer_worker_process\" already exists"), "{e}");
    assert!(e.contains("020-add-worker-tracking-table.sql"), "the error says where: {e}");
    assert_eq!(
        db.q("select count(*) from pg_class where relnamespace = 'ai'::regnamespace").await,
        "1",
        "only the table we made"
    );
}

#[tokio::test]
async fn a_dump_restores_into_a_database_where_it_keeps_working() {
    let db = Db::new("inst_dump").await;
    db.installed().await;
    db.q("create table docs (id int primary key, body text); insert into docs values (1, 'one');
          select ai.create_vectorizer('docs'::regclass, loading => ai.loading_column('body'),
              embedding => ai.embedding_openai('m', 4), scheduling => ai.scheduling_none(), indexing => ai.indexing_none())")
        .await;
    let cluster = testkit::PgCluster::shared();
    let port = port().to_string();
    let dump = cluster
        .command("pg_dump")
        .args(["-h", "127.0.0.1", "-p", &port, "-U", &db.owner, "--no-owner", "--no-comments", &db.name])
        .output()
        .unwrap();
    assert!(dump.status.success(), "{}", String::from_utf8_lossy(&dump.stderr));
    let restored = Db::new("inst_restored").await;
    // the vector extension exists there already (only a superuser may create it)
    let sql =
        String::from_utf8(dump.stdout).unwrap().replace("CREATE EXTENSION IF NOT EXISTS vector", "-- vector exists:");
    let out = cluster.psql_script(&restored.name, &restored.owner, &sql).unwrap();
    assert!(out.status.success(), "restoring the dump: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(restored.q("select version from ai.pgai_lib_version").await, CATALOG_VERSION);
    assert_eq!(restored.install().await.unwrap(), Outcome::AlreadyInstalled);
    assert_eq!(restored.q("select ai.vectorizer_queue_pending(1)").await, "1");
    restored.q("insert into docs values (2, 'two')").await;
    assert_eq!(restored.q("select ai.vectorizer_queue_pending(1)").await, "2", "the trigger came back");
    let id = restored
        .q("create table more (id int primary key, body text);
            select ai.create_vectorizer('more'::regclass, loading => ai.loading_column('body'),
                embedding => ai.embedding_openai('m', 4), scheduling => ai.scheduling_none(), indexing => ai.indexing_none())")
        .await;
    assert_eq!(id, "2", "the id sequence came back");
}

#[test]
fn the_command_line_explains_and_exits_with_meaning() {
    let help = Command::new(env!("CARGO_BIN_EXE_pgai")).args(["install", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(help.status.success());
    for want in ["managed PostgreSQL", "--strict", "--vector-extension-schema", "--db-url", "Exit status"] {
        assert!(text.contains(want), "{want}: {text}");
    }
    let bad = Command::new(env!("CARGO_BIN_EXE_pgai"))
        .args(["install", "-d", "postgres://nobody@127.0.0.1:1/x"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("cannot connect to database \"x\" at 127.0.0.1:1"), "{err}");
    let usage = Command::new(env!("CARGO_BIN_EXE_pgai")).args(["install", "--no-such-flag"]).output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
}

#[tokio::test]
async fn the_command_installs_and_reports_the_version() {
    let db = Db::new("inst_cli").await;
    let out = Command::new(env!("CARGO_BIN_EXE_pgai")).args(["install", "-d", &db.url()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pgai 0.12.1 installed"));
    let again =
        Command::new(env!("CARGO_BIN_EXE_pgai")).args(["install", "--strict", "-d", &db.url()]).output().unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("the pgai library has already been installed/upgraded"));
}
