//! pg_dump and pg_restore of a database with vectorizers: the catalog rows, queues, triggers,
//! target tables, data, grants and dependencies come back, and the restored vectorizers work.
//!
//! What works (and docs/vectorizer.md says), for the extension's 0.7 layout:
//! * restoring into an empty database does not: the dump's `create extension ai` makes the
//!   server's default version, 0.10 or later, which has no catalog (`pgai install`'s catalog,
//!   plain tables, dumps and restores as any table: projects/pgai/tests/install);
//! * restoring into a database where `create extension ai version '0.7.2'` ran first: pg_restore then
//!   reports one harmless error, `schema "ai" already exists` (PostgreSQL makes the schema from
//!   the control file and does not count it as a member of the extension, so pg_dump writes a
//!   `create schema ai`); leaving that entry out with `pg_restore -l` / `-L` avoids it.

mod common;

use anyhow::{ensure, Result};
use common::*;
use std::os::unix::fs::PermissionsExt;
use testkit::PgCluster;

/// Everything a vectorizer is made of, as text, to compare two databases.
fn fingerprint(pg: &PgCluster, db: &str) -> Result<String> {
    let q = r#"
with v as (select * from ai.vectorizer),
rels as (
  select v.id, 'source' as what, format('%I.%I', source_schema, source_table)::regclass as rel from v
  union all select v.id, 'target', format('%I.%I', target_schema, target_table)::regclass from v
  union all select v.id, 'queue', format('%I.%I', queue_schema, queue_table)::regclass from v
  union all select v.id, 'view', format('%I.%I', view_schema, view_name)::regclass from v)
select string_agg(line, E'\n' order by ord, line) from (
  select 1 as ord, format('vectorizer %s', row_to_json(v)) as line from v
  union all select 2, format('error %s %s %s %s', id, message, details, recorded) from ai.vectorizer_errors
  union all select 3, format('secret permission %s %s', name, role) from ai._secret_permissions
  union all select 4, format('sequence %s %s', last_value, is_called) from ai.vectorizer_id_seq
  union all
  select 5, format('%s %s %s column %s %s %s', r.id, r.what, r.rel, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull)
  from rels r join pg_attribute a on a.attrelid = r.rel and a.attnum > 0 and not a.attisdropped
  union all
  select 6, format('%s %s constraint %s', r.id, r.what, pg_get_constraintdef(c.oid)) from rels r join pg_constraint c on c.conrelid = r.rel
  union all
  select 7, format('%s %s index %s', r.id, r.what, pg_get_indexdef(i.indexrelid)) from rels r join pg_index i on i.indrelid = r.rel
  union all
  select 8, format('%s view %s', r.id, pg_get_viewdef(r.rel)) from rels r where r.what = 'view'
  union all
  select 9, format('%s %s acl %s owner %s', r.id, r.what, k.relacl, k.relowner::regrole) from rels r join pg_class k on k.oid = r.rel
  union all
  select 10, format('%s trigger %s', r.id, pg_get_triggerdef(t.oid)) from rels r join pg_trigger t on t.tgrelid = r.rel and not t.tgisinternal
  union all
  select 11, format('function %s secdef %s config %s acl %s body %s', p.oid::regprocedure, p.prosecdef, p.proconfig, p.proacl, p.prosrc)
  from pg_proc p where p.pronamespace = 'ai'::regnamespace and p.proname like '\_vectorizer\_src\_trg\_%'
  union all
  select 12, format('depends %s -> %s %s', pg_describe_object(d.classid, d.objid, d.objsubid), pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid), d.deptype)
  from pg_depend d join rels r on d.refobjid = r.rel and r.what in ('source', 'target')
  where d.deptype = 'n' and d.refobjsubid = 0 and d.classid in ('pg_class'::regclass, 'pg_proc'::regclass)
) x"#;
    let mut out = psql_ok(pg, db, q)?;
    // the rows of every queue and target
    let tables = psql_ok(pg, db, "select string_agg(format('%I.%I', queue_schema, queue_table) || ' ' || format('%I.%I', target_schema, target_table), ' ' order by id) from ai.vectorizer")?;
    for t in tables.split(' ') {
        out.push_str(&format!("\nrows of {t}: "));
        out.push_str(&psql_ok(
            pg,
            db,
            &format!("select string_agg(row_to_json(t)::text, ' ' order by row_to_json(t)::text) from {t} t"),
        )?);
    }
    Ok(out)
}

fn restore(pg: &PgCluster, db: &str, dump: &[u8], args: &[&str]) -> Result<ToolOutput> {
    let mut all = vec!["-d", db];
    all.extend_from_slice(args);
    run_tool(pg, "pg_restore", &all, Some(dump))
}

/// The restored vectorizers keep working: triggers enqueue, the source keeps its dependents, the
/// id sequence goes on.
fn check_restored_vectorizers_work(pg: &PgCluster, db: &str, blog: &str, docs: &str) -> Result<()> {
    psql_ok(
        pg,
        db,
        r#"insert into blog values (10, 'new'); update "Docs" set body = 'changed' where tenant = 1 and "Doc Id" = 'a'"#,
    )?;
    assert_eq!(psql_ok(pg, db, &format!("select count(*) from ai._vectorizer_q_{blog} where id = 10"))?, "1");
    assert_eq!(
        psql_ok(
            pg,
            db,
            &format!(r#"select count(*) from ai._vectorizer_q_{docs} where tenant = 1 and "Doc Id" = 'a'"#)
        )?,
        "1",
        "the update enqueued it"
    );
    psql_err(pg, db, "postgres", "drop table blog", "other objects depend on it")?;
    let id: i32 = psql_ok(pg, db, &format!("create table more(id int primary key, body text); select ai.create_vectorizer('more'::regclass, embedding => {EMBED4}, chunking => ai.chunking_character_text_splitter('body'))"))?.parse()?;
    assert_eq!(id, docs.parse::<i32>()? + 1);
    psql_ok(pg, db, "drop table blog cascade")?;
    assert_eq!(psql_ok(pg, db, &format!("select count(*) from ai.vectorizer where id = {blog}"))?, "0");
    Ok(())
}

#[tokio::test]
async fn dump_and_restore_keep_vectorizers_working() -> Result<()> {
    testkit::require_suite!("DUMP_RESTORE");
    let pg = PgCluster::shared();
    let src = db_with_ai(pg, "dump_src").await?;
    let reader = format!("dump_reader_{}", std::process::id());
    psql_ok(pg, &src, &format!("do $$ begin if not exists (select from pg_roles where rolname = '{reader}') then create role {reader}; end if; end $$"))?;
    psql_ok(
        pg,
        &src,
        r#"create table blog(id int primary key, title text, body text);
           insert into blog select g, 'title ' || g, 'body ' || g from generate_series(1, 4) g;
           create table "Docs"(tenant int, "Doc Id" text, body text, primary key (tenant, "Doc Id"));
           insert into "Docs" values (1, 'a', 'aa'), (1, 'b', 'bb'), (2, 'a', 'cc')"#,
    )?;
    let blog = psql_ok(pg, &src, &format!("select ai.create_vectorizer('blog'::regclass, embedding => {EMBED4}, chunking => ai.chunking_recursive_character_text_splitter('body'), formatting => ai.formatting_python_template('$title: $chunk'), grant_to => ai.grant_to('{reader}'))"))?;
    let docs = psql_ok(
        pg,
        &src,
        &format!(
            r#"select ai.create_vectorizer('"Docs"'::regclass, destination => 'docs_vectors', embedding => {EMBED4}, chunking => ai.chunking_character_text_splitter('body'), processing => ai.processing_default(batch_size => 10))"#
        ),
    )?;
    // some items processed (target rows written, queue items removed), some still queued
    psql_ok(
        pg,
        &src,
        &format!(
            r#"insert into blog_embedding_store (id, chunk_seq, chunk, embedding) values (1, 0, 'title 1: body 1', '[1,2,3,4]'), (2, 0, 'title 2: body 2', '[0.5,0,0,1]');
               delete from ai._vectorizer_q_{blog} where id in (1, 2);
               insert into docs_vectors_store (tenant, "Doc Id", chunk_seq, chunk, embedding) values (1, 'a', 0, 'aa', '[1,1,1,1]'), (1, 'a', 1, 'aa2', '[2,2,2,2]');
               delete from ai._vectorizer_q_{docs} where tenant = 1 and "Doc Id" = 'a';
               insert into ai.vectorizer_errors (id, message, details) values ({docs}, 'embedding failed', '{{"status": 429}}');
               select ai.grant_secret('SOME_KEY', '{reader}')"#
        ),
    )?;
    let expected = fingerprint(pg, &src)?;
    assert!(expected.contains("secret permission SOME_KEY") && expected.contains("embedding failed"));
    assert_eq!(expected.matches("depends ").count(), 6, "two vectorizers, 3 entries each:\n{expected}");

    let dump = run_tool(pg, "pg_dump", &["-Fc", "-d", &src], None)?;
    ensure!(dump.ok, "pg_dump: {}", dump.stderr);

    // 1. into an empty database: the dump creates the extension at the server's default version
    //    (0.10 and later, without the catalog: pgai 0.10's layout), which cannot take the 0.7
    //    catalog's rows. A dump of the 0.7 layout restores where that version was created first
    //    (2 and 3), or is updated before it is dumped (docs/vectorizer.md).
    let empty = pg.create_db("dump_into_empty").await?;
    let out = restore(pg, &empty, &dump.stdout, &[])?;
    assert!(!out.ok && out.stderr.contains(r#"relation "ai.vectorizer" does not exist"#), "{}", out.stderr);

    // 2. into a database with the extension: one harmless error, the rest restores
    let precreated = db_with_ai(pg, "dump_into_ext").await?;
    let out = restore(pg, &precreated, &dump.stdout, &[])?;
    assert!(!out.ok, "pg_restore reports the existing schema");
    let errors: Vec<&str> = out.stderr.lines().filter(|l| l.contains("ERROR")).collect();
    assert_eq!(
        errors,
        [r#"pg_restore: error: could not execute query: ERROR:  schema "ai" already exists"#],
        "{}",
        out.stderr
    );
    assert_eq!(fingerprint(pg, &precreated)?, expected);
    check_restored_vectorizers_work(pg, &precreated, &blog, &docs)?;

    // 3. the same without the error: leave the schema's entry out of the restore list
    let listed = db_with_ai(pg, "dump_into_ext_list").await?;
    let toc = run_tool(pg, "pg_restore", &["-l"], Some(&dump.stdout))?;
    ensure!(toc.ok, "pg_restore -l: {}", toc.stderr);
    let toc = String::from_utf8(toc.stdout)?;
    let kept: Vec<&str> = toc.lines().filter(|l| !l.contains(" SCHEMA - ai ")).collect();
    assert_eq!(toc.lines().count() - kept.len(), 1, "one entry left out:\n{toc}");
    let dir = tempfile::tempdir()?;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?; // pg_restore runs as the server's OS user
    let list = dir.path().join("restore.list");
    std::fs::write(&list, kept.join("\n"))?;
    std::fs::set_permissions(&list, std::fs::Permissions::from_mode(0o644))?;
    let out = restore(pg, &listed, &dump.stdout, &["-L", list.to_str().unwrap()])?;
    ensure!(out.ok, "pg_restore -L: {}", out.stderr);
    assert_eq!(fingerprint(pg, &listed)?, expected);
    check_restored_vectorizers_work(pg, &listed, &blog, &docs)?;
    Ok(())
}
