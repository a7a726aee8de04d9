//! pg_depend entries: a vectorizer's target and queue depend on its source (and the queue on the
//! target), so dropping the source needs `cascade`, which takes the whole vectorizer with it.

mod common;

use anyhow::Result;
use common::*;
use testkit::PgCluster;

#[tokio::test]
async fn dropping_the_source_needs_cascade_which_takes_the_vectorizer_with_it() -> Result<()> {
    testkit::require_suite!("VECTORIZER");
    let pg = PgCluster::shared();
    let db = db_with_ai(pg, "deps_drop").await?;
    psql_ok(pg, &db, "create table docs(id int primary key, body text); insert into docs values (1, 'a')")?;
    let id: i32 = psql_ok(pg, &db, &format!("select ai.create_vectorizer('docs'::regclass, embedding => {EMBED4}, chunking => ai.chunking_character_text_splitter('body'))"))?.parse()?;
    assert_eq!(
        psql_ok(pg, &db, "select string_agg(format('%s -> %s', objid::regclass, refobjid::regclass), ', ' order by objid::regclass::text, refobjid::regclass::text) from pg_depend where classid = 'pg_class'::regclass and refclassid = 'pg_class'::regclass and deptype = 'n' and objsubid = 0 and refobjsubid = 0")?,
        format!("ai._vectorizer_q_{id} -> docs, ai._vectorizer_q_{id} -> docs_embedding_store, docs_embedding_store -> docs")
    );

    let out = psql(pg, &db, "postgres", "drop table docs")?;
    assert!(!out.ok, "refused without cascade");
    for expected in [
        "cannot drop table docs because other objects depend on it".to_string(),
        "table docs_embedding_store depends on table docs".to_string(),
        "view docs_embedding depends on table docs".to_string(),
        format!("table ai._vectorizer_q_{id} depends on table docs"),
        "Use DROP ... CASCADE".to_string(),
    ] {
        assert!(out.stderr.contains(&expected), "missing {expected:?} in {}", out.stderr);
    }
    let out = psql(pg, &db, "postgres", "drop table docs_embedding_store")?;
    assert!(
        !out.ok && out.stderr.contains(&format!("table ai._vectorizer_q_{id} depends on table docs_embedding_store")),
        "{}",
        out.stderr
    );

    let out = psql(pg, &db, "postgres", "drop table docs cascade")?;
    assert!(
        out.ok
            && out
                .stderr
                .contains(&format!("NOTICE:  associated table for vectorizer {id} dropped. dropping vectorizer")),
        "{}",
        out.stderr
    );
    assert_eq!(
        psql_ok(pg, &db, &format!("select to_regclass('docs_embedding_store') is null, to_regclass('docs_embedding') is null, to_regclass('ai._vectorizer_q_{id}') is null, to_regprocedure('ai._vectorizer_src_trg_{id}()') is null, (select count(*) from ai.vectorizer)"))?,
        "t|t|t|t|0",
        "the event trigger drops the trigger function and the catalog row"
    );

    // pgai's test_drop_source_no_row: without its catalog row, the cascade takes the tables and
    // the view (pg_depend) and leaves the trigger function, which nothing ties to the source
    psql_ok(pg, &db, "create table norow(id int primary key, body text)")?;
    let id3: i32 = psql_ok(pg, &db, &format!("select ai.create_vectorizer('norow'::regclass, embedding => {EMBED4}, chunking => ai.chunking_character_text_splitter('body'))"))?.parse()?;
    psql_ok(pg, &db, &format!("delete from ai.vectorizer where id = {id3}; drop table norow cascade"))?;
    assert_eq!(
        psql_ok(pg, &db, &format!("select to_regclass('norow_embedding_store') is null, to_regclass('ai._vectorizer_q_{id3}') is null, (select count(*) from pg_proc where proname = '_vectorizer_src_trg_{id3}')"))?,
        "t|t|1"
    );

    // drop_vectorizer(drop_all => true) still works with the entries in place
    psql_ok(pg, &db, "create table d2(id int primary key, body text)")?;
    let id2: i32 = psql_ok(pg, &db, &format!("select ai.create_vectorizer('d2'::regclass, embedding => {EMBED4}, chunking => ai.chunking_character_text_splitter('body'))"))?.parse()?;
    let out = psql(pg, &db, "postgres", &format!("select ai.drop_vectorizer({id2}, drop_all => true)"))?;
    assert!(out.ok && !out.stderr.contains("NOTICE"), "quietly: {}", out.stderr);
    psql_ok(pg, &db, "drop table d2")?;
    Ok(())
}

#[tokio::test]
async fn dependencies_cannot_be_forged_onto_tables_of_another_owner() -> Result<()> {
    testkit::require_suite!("VECTORIZER");
    let pg = PgCluster::shared();
    let db = db_with_ai(pg, "deps_forge").await?;
    let mallory = format!("mallory_{}", std::process::id());
    psql_ok(pg, &db, &format!("do $$ begin if not exists (select from pg_roles where rolname = '{mallory}') then create role {mallory} login; end if; end $$; create schema s_m authorization {mallory}; select ai.grant_ai_usage('{mallory}'); create table victim(id int primary key)"))?;
    psql_ok(
        pg,
        &db,
        &format!("set role {mallory}; create table s_m.src(id int primary key); create table s_m.q(id int)"),
    )?;

    // a forged catalog row: mallory's source, the victim as target
    let out = psql(pg, &db, &mallory, "insert into ai.vectorizer (source_schema, source_table, source_pk, target_schema, target_table, view_schema, view_name, trigger_name, queue_schema, queue_table, config) values ('s_m', 'src', '[]', 'public', 'victim', 's_m', 'v', 't', 's_m', 'q', '{}') returning id")?;
    assert!(out.ok, "{}", out.stderr);
    assert!(
        out.stderr.contains("WARNING:  vectorizer")
            && out
                .stderr
                .contains("dependencies on its source table not recorded: only the owner of public.victim may record"),
        "{}",
        out.stderr
    );
    let forged = out.stdout.trim();
    psql_err(
        pg,
        &db,
        &mallory,
        &format!("select ai._vectorizer_create_dependencies({forged})"),
        "only the owner of public.victim may record the dependencies",
    )?;
    assert_eq!(psql_ok(pg, &db, "select count(*) from pg_depend where objid = 'victim'::regclass and refclassid = 'pg_class'::regclass and deptype = 'n'")?, "0");
    let out = psql(pg, &db, &mallory, "drop table s_m.src cascade")?;
    assert!(out.ok, "{}", out.stderr);
    assert_eq!(psql_ok(pg, &db, "select to_regclass('victim') is not null")?, "t");

    // nor can a forged row make the drop event trigger (a superuser's function) drop what
    // mallory could not drop: here a queue table and a trigger function of the superuser
    psql_ok(
        pg,
        &db,
        "create table victim_q(id int); create function victim_fn() returns trigger language plpgsql as 'begin return null; end'",
    )?;
    psql_ok(pg, &db, &format!("set role {mallory}; create table s_m.src2(id int primary key)"))?;
    let out = psql(pg, &db, &mallory, "insert into ai.vectorizer (source_schema, source_table, source_pk, target_schema, target_table, view_schema, view_name, trigger_name, queue_schema, queue_table, config) values ('s_m', 'src2', '[]', 's_m', 't2', 's_m', 'v2', 'victim_fn', 'public', 'victim_q', '{\"scheduling\": {\"job_id\": 1}}')")?;
    assert!(out.ok, "{}", out.stderr);
    let out = psql(pg, &db, &mallory, "drop table s_m.src2")?;
    assert!(out.ok, "{}", out.stderr);
    assert!(out.stderr.contains("public.victim_q was not dropped: it belongs to postgres"), "{}", out.stderr);
    assert!(
        out.stderr.contains("function public.victim_fn() was not dropped: it belongs to postgres"),
        "{}",
        out.stderr
    );
    assert_eq!(
        psql_ok(pg, &db, "select to_regclass('victim_q') is not null, to_regprocedure('victim_fn()') is not null, (select count(*) from ai.vectorizer where source_table = 'src2')")?,
        "t|t|0"
    );

    // roles without ai usage may not call it at all
    let nobody = format!("nobody_{}", std::process::id());
    psql_ok(pg, &db, &format!("do $$ begin if not exists (select from pg_roles where rolname = '{nobody}') then create role {nobody} login; end if; end $$; grant usage on schema ai to {nobody}"))?;
    psql_err(
        pg,
        &db,
        &nobody,
        "select ai._vectorizer_create_dependencies(1)",
        "permission denied for function _vectorizer_create_dependencies",
    )?;
    Ok(())
}
