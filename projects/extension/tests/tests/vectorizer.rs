//! create_vectorizer and what it builds: tables, view, queue, triggers; drop; status.

mod common;

use anyhow::Result;
use common::*;
use testkit::PgCluster;

async fn db_with_ai(prefix: &str) -> Result<String> {
    let pg = PgCluster::shared();
    let db = pg.create_db(prefix).await?;
    psql_ok(pg, &db, &format!("create extension ai version '{LAYOUT_07}' cascade"))?;
    Ok(db)
}

const EMBED: &str = "ai.embedding_openai('text-embedding-3-small', 4)";

/// Columns, constraints, indexes, view and trigger definitions of everything a vectorizer made.
fn describe(pg: &PgCluster, db: &str, id: i32) -> Result<String> {
    let q = format!(
        r#"
with v as (select * from ai.vectorizer where id = {id}),
rels as (
  select 'target' as what, format('%I.%I', target_schema, target_table)::regclass as rel from v
  union all select 'queue', format('%I.%I', queue_schema, queue_table)::regclass from v
  union all select 'view', format('%I.%I', view_schema, view_name)::regclass from v)
select string_agg(line, E'\n' order by ord, line) from (
  select 1 as ord, format('%s %s column %s %s %s', r.what, r.rel, a.attname, format_type(a.atttypid, a.atttypmod),
         case when a.attnotnull then 'not null' else '' end) as line
  from rels r join pg_attribute a on a.attrelid = r.rel and a.attnum > 0 and not a.attisdropped
  union all
  select 2, format('%s constraint %s', r.what, pg_get_constraintdef(c.oid)) from rels r join pg_constraint c on c.conrelid = r.rel
  union all
  select 3, format('%s index %s', r.what, regexp_replace(pg_get_indexdef(i.indexrelid), '_vectorizer_q_\d+', '_vectorizer_q_N', 'g'))
  from rels r join pg_index i on i.indrelid = r.rel
  union all
  select 4, format('view %s', pg_get_viewdef(r.rel)) from rels r where r.what = 'view'
  union all
  select 5, format('trigger %s', regexp_replace(pg_get_triggerdef(t.oid), '_\d+', '_N', 'g'))
  from v join pg_trigger t on t.tgrelid = format('%I.%I', v.source_schema, v.source_table)::regclass and not t.tgisinternal
  union all
  select 6, 'catalog ' || jsonb_pretty(jsonb_build_object('source_pk', source_pk, 'names', jsonb_build_array(source_schema, source_table, target_schema, target_table, view_schema, view_name, queue_schema, regexp_replace(queue_table, '\d+', 'N'))) ) from v
) x"#
    );
    let out = psql_ok(pg, db, &q)?;
    Ok(out.replace(&format!("_vectorizer_q_{id}"), "_vectorizer_q_N"))
}

#[tokio::test]
async fn create_vectorizer_builds_target_view_queue_and_trigger() -> Result<()> {
    testkit::require_suite!("VECTORIZER");
    let pg = PgCluster::shared();
    let db = db_with_ai("vec_simple").await?;
    psql_ok(pg, &db, "create table blog(id int primary key, title text not null, body text); insert into blog values (1, 'a', 'one'), (2, 'b', 'two')")?;
    let id: i32 = psql_ok(pg, &db, &format!("select ai.create_vectorizer('blog'::regclass, embedding => {EMBED}, chunking => ai.chunking_recursive_character_text_splitter('body'), formatting => ai.formatting_python_template('$title: $chunk'))"))?.parse()?;
    insta::assert_snapshot!("simple_key", describe(pg, &db, id)?);
    assert_eq!(
        psql_ok(
            pg,
            &db,
            &format!(
                "select ai.vectorizer_queue_pending({id}), ai.vectorizer_queue_pending({id}, exact_count => true)"
            )
        )?,
        "2|2",
        "enqueue_existing"
    );
    let cfg = psql_ok(pg, &db, &format!("select config->'indexing'->>'implementation', config->'scheduling'->>'implementation', config->>'version' = (select extversion from pg_extension where extname = 'ai') from ai.vectorizer where id = {id}"))?;
    assert_eq!(cfg, "none|none|t", "defaults resolve to none without timescaledb");
    assert_eq!(
        psql_ok(pg, &db, "select id, source_table, target_table, view, pending_items from ai.vectorizer_status")?,
        format!("{id}|public.blog|public.blog_embedding_store|public.blog_embedding|2")
    );
    Ok(())
}

#[tokio::test]
async fn composite_and_non_integer_keys_and_names_that_need_quoting() -> Result<()> {
    testkit::require_suite!("VECTORIZER");
    let pg = PgCluster::shared();
    let db = db_with_ai("vec_composite").await?;
    psql_ok(
        pg,
        &db,
        r#"create schema "My Schema"; create table "My Schema"."Weird ""Table""" ("Tenant Id" int, "doc;id" text, "Body" text, primary key ("Tenant Id", "doc;id")); insert into "My Schema"."Weird ""Table""" values (1, 'x', 'hello')"#,
    )?;
    let id: i32 = psql_ok(pg, &db, &format!(r#"select ai.create_vectorizer('"My Schema"."Weird ""Table"""'::regclass, destination => 'Odd "Dest"', embedding => {EMBED}, chunking => ai.chunking_character_text_splitter('Body'), formatting => ai.formatting_python_template('${{Body}} $chunk'))"#))?.parse()?;
    insta::assert_snapshot!("composite_key", describe(pg, &db, id)?);
    for key in ["uuid default gen_random_uuid()", "text"] {
        let t = format!("t_{}", key.split(' ').next().unwrap());
        psql_ok(
            pg,
            &db,
            &format!(
                "create table {t}(id {key} primary key, body text); insert into {t}(id, body) select {}, 'x'",
                if key == "text" { "'k'" } else { "gen_random_uuid()" }
            ),
        )?;
        psql_ok(pg, &db, &format!("select ai.create_vectorizer('{t}'::regclass, embedding => {EMBED}, chunking => ai.chunking_character_text_splitter('body'))"))?;
        psql_ok(pg, &db, &format!("insert into {t}_embedding_store (id, chunk_seq, chunk, embedding) select id, 0, 'x', '[1,2,3,4]' from {t}"))?;
        assert_eq!(psql_ok(pg, &db, &format!("select count(*) from {t}_embedding where body = 'x'"))?, "1");
    }
    Ok(())
}

#[tokio::test]
async fn triggers_enqueue_inserts_and_updates_and_deletes_cascade() -> Result<()> {
    testkit::require_suite!("VECTORIZER");
    let pg = PgCluster::shared();
    let db = db_with_ai("vec_triggers").await?;
    psql_ok(pg, &db, "create table docs(id int primary key, body text)")?;
    let id: i32 = psql_ok(pg, &db, &format!("select ai.create_vectorizer('docs'::regclass, embedding => {EMBED}, chunking => ai.chunking_character_text_splitter('body'))"))?.parse()?;
    let queue = format!("ai._vectorizer_q_{id}");
    psql_ok(pg, &db, "insert into docs values (1, 'a'), (2, 'b')")?;
    psql_ok(pg, &db, "update docs set body = body where id = 1")?; // no change still enqueues
    assert_eq!(psql_ok(pg, &db, &format!("select string_agg(id::text, ',' order by id) from {queue}"))?, "1,1,2");
    psql_ok(pg, &db, "insert into docs_embedding_store (id, chunk_seq, chunk, embedding) values (1, 0, 'a', '[1,1,1,1]'), (2, 0, 'b', '[2,2,2,2]')")?;
    psql_ok(pg, &db, "delete from docs where id = 2")?;
    assert_eq!(
        psql_ok(pg, &db, "select string_agg(id::text, ',') from docs_embedding_store")?,
        "1",
        "delete cascades to the target"
    );
    // as in pgai 0.7, a truncate is not queued: the target empties by its foreign key, and the
    // keys already queued find their rows gone (the worker writes nothing for them)
    psql_ok(pg, &db, "truncate docs cascade")?;
    assert_eq!(
        psql_ok(
            pg,
            &db,
            &format!("select (select count(*) from {queue}), (select count(*) from docs_embedding_store)")
        )?,
        "3|0",
        "truncate empties the target, not the queue"
    );
    assert_eq!(
        psql_ok(pg, &db, "select count(*) from pg_trigger where tgrelid = 'docs'::regclass and not tgisinternal")?,
        "1",
        "one trigger: after insert or update, for each row"
    );
    Ok(())
}

#[tokio::test]
async fn bad_input_is_refused_and_nothing_is_created() -> Result<()> {
    testkit::require_suite!("VECTORIZER");
    let pg = PgCluster::shared();
    let db = db_with_ai("vec_bad").await?;
    let long = "l".repeat(50); // <long>_embedding_store is 66 bytes
    psql_ok(pg, &db, &format!("create table src(id int primary key, body text, n int); create table nopk(body text); create table blog_embedding_store(x int); create table {long}(id int primary key, body text)"))?;
    let ok_chunk = "ai.chunking_character_text_splitter('body')";
    let cases = [
        (format!("'nopk'::regclass, embedding => {EMBED}, chunking => {ok_chunk}"), "source table must have a primary key constraint"),
        (format!("'src'::regclass, chunking => {ok_chunk}"), "embedding configuration is required"),
        (format!("'src'::regclass, embedding => {EMBED}"), "chunking configuration is required"),
        (format!("'src'::regclass, embedding => {EMBED}, chunking => ai.chunking_character_text_splitter('nope')"), "chunk column in config does not exist in the table: nope"),
        (format!("'src'::regclass, embedding => {EMBED}, chunking => ai.chunking_character_text_splitter('n')"), "chunk column in config does not exist in the table: n"),
        (format!("'src'::regclass, embedding => {EMBED}, chunking => {ok_chunk}, formatting => ai.formatting_python_template('$missing $chunk')"), "not a column"),
        (format!("'src'::regclass, embedding => {EMBED}, chunking => {ok_chunk}, formatting => ai.formatting_python_template('$chunk costs $5')"), "invalid placeholder"),
        (format!("'src'::regclass, embedding => {EMBED}, chunking => {ok_chunk}, indexing => ai.indexing_hnsw(), scheduling => ai.scheduling_none()"), "automatic indexing is not supported without scheduling. set indexing=>ai.indexing_none() when scheduling=>ai.scheduling_none()"),
        (format!("'src'::regclass, embedding => {EMBED}, chunking => {ok_chunk}, scheduling => ai.scheduling_timescaledb()"), "timescaledb extension not found"),
        (format!("'src'::regclass, embedding => {EMBED}, chunking => {ok_chunk}, destination => 'blog_embedding'"), "an object named public.blog_embedding_store already exists. specify an alternate destination or target_table explicitly"),
        (format!("'src'::regclass, embedding => {EMBED}, chunking => {ok_chunk}, target_schema => 'nope'"), "schema \"nope\" does not exist"),
        (format!("'src'::regclass, embedding => '{{\"config_type\": \"embedding\", \"implementation\": \"openai\", \"model\": \"m\"}}', chunking => {ok_chunk}"), "dimensions argument is required"),
    ];
    for (args, expected) in &cases {
        let out = psql(pg, &db, "postgres", &format!("select ai.create_vectorizer({args})"))?;
        assert!(!out.ok && out.stderr.contains(expected), "{args}: expected {expected:?}, got {:?}", out.stderr);
    }
    assert_eq!(psql_ok(pg, &db, "select count(*) from ai.vectorizer")?, "0");
    assert_eq!(
        psql_ok(
            pg,
            &db,
            "select count(*) from pg_class where relname like 'src_embedding%' or relname like '_vectorizer_q_%'"
        )?,
        "0"
    );
    // a name PostgreSQL cuts to 63 bytes: said, and the objects get the cut name
    let out = psql(
        pg,
        &db,
        "postgres",
        &format!("select ai.create_vectorizer('{long}'::regclass, embedding => {EMBED}, chunking => {ok_chunk})"),
    )?;
    assert!(out.ok && out.stderr.contains("is longer than 63 bytes: PostgreSQL names the object"), "{}", out.stderr);
    assert_eq!(
        psql_ok(pg, &db, &format!("select target_table = left('{long}_embedding_store', 63) from ai.vectorizer"))?,
        "t"
    );
    assert_eq!(psql_ok(pg, &db, "select count(*) from pg_trigger where tgrelid = 'src'::regclass")?, "0");
    Ok(())
}

#[tokio::test]
async fn names_cannot_inject_sql() -> Result<()> {
    testkit::require_suite!("VECTORIZER");
    let pg = PgCluster::shared();
    let db = db_with_ai("vec_inject").await?;
    psql_ok(
        pg,
        &db,
        r#"create table canary(x int); create table "x; drop table canary; --"(id int primary key, "b'); drop table canary; --" text)"#,
    )?;
    let id: i32 = psql_ok(pg, &db, &format!(
        r#"select ai.create_vectorizer('"x; drop table canary; --"'::regclass, embedding => {EMBED}, chunking => ai.chunking_character_text_splitter($$b'); drop table canary; --$$), destination => $$d"; drop table canary; --$$, queue_table => $$q'); drop table canary; --$$)"#
    ))?.parse()?;
    psql_ok(pg, &db, r#"insert into "x; drop table canary; --" values (1, 'hi')"#)?;
    assert_eq!(psql_ok(pg, &db, "select to_regclass('canary') is not null")?, "t");
    assert_eq!(psql_ok(pg, &db, &format!("select ai.vectorizer_queue_pending({id})"))?, "1");
    psql_ok(pg, &db, &format!("select ai.drop_vectorizer({id}, drop_all => true)"))?;
    assert_eq!(psql_ok(pg, &db, "select to_regclass('canary') is not null")?, "t");
    Ok(())
}

#[tokio::test]
async fn drop_vectorizer_and_dropping_the_source_clean_up() -> Result<()> {
    testkit::require_suite!("VECTORIZER");
    let pg = PgCluster::shared();
    let db = db_with_ai("vec_drop").await?;
    psql_ok(pg, &db, "create table a(id int primary key, body text); create table b(id int primary key, body text)")?;
    let create = |t: &str| {
        psql_ok(pg, &db, &format!("select ai.create_vectorizer('{t}'::regclass, embedding => {EMBED}, chunking => ai.chunking_character_text_splitter('body'))"))
    };
    let ida: i32 = create("a")?.parse()?;
    let idb: i32 = create("b")?.parse()?;

    psql_ok(pg, &db, &format!("select ai.drop_vectorizer({ida})"))?;
    assert_eq!(psql_ok(pg, &db, &format!("select to_regclass('ai._vectorizer_q_{ida}') is null, to_regclass('a_embedding_store') is not null, (select count(*) from pg_trigger where tgrelid = 'a'::regclass and not tgisinternal)"))?, "t|t|0", "drop_all => false keeps the target");
    create("a").expect_err("the kept target blocks a new vectorizer with the same names");

    psql_ok(pg, &db, "drop table b cascade")?;
    assert_eq!(psql_ok(pg, &db, &format!("select count(*) from ai.vectorizer where id = {idb}"))?, "0");
    assert_eq!(psql_ok(pg, &db, &format!("select to_regclass('ai._vectorizer_q_{idb}') is null"))?, "t");
    let out = psql(pg, &db, "postgres", "select ai.drop_vectorizer(9999)")?;
    assert!(!out.ok && out.stderr.contains("vectorizer 9999 does not exist"));
    Ok(())
}
