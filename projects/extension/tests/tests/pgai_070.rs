//! Conformance with pgai 0.7.0, against its own expected listings (tests/conformance/pgai-0.7.0):
//! the privileges of pgai's objects for the roles of its privilege test, byte for byte; every
//! member of its extension and the `\d+` of its relations; and the behaviours of
//! ../shared/conformance/pgai-0.7.0/BEHAVIOUR.md that other test files do not cover (grant_to,
//! the catalog row, the queue's count). Secrets: secrets.rs; validators: configs.rs;
//! create_vectorizer's messages: vectorizer.rs and bad_input.rs; drops: vectorizer_dependencies.rs;
//! indexing and its race: vectorizer_index.rs; scheduling: vectorizer_schedule.rs.

mod common;

use anyhow::{ensure, Result};
use common::*;
use std::collections::BTreeSet;
use std::path::PathBuf;
use testkit::PgCluster;

fn golden(path: &str) -> Result<String> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance/pgai-0.7.0").join(path);
    std::fs::read_to_string(&p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
}

/// Runs a psql script (its `\g` output goes to stdout) as `user`.
fn psql_file(pg: &PgCluster, db: &str, user: &str, script: &str) -> Result<String> {
    let out = pg.psql_script(db, user, script)?;
    ensure!(out.status.success(), "psql as {user}: {}", String::from_utf8_lossy(&out.stderr));
    Ok(String::from_utf8(out.stdout)?)
}

/// The rows of an aligned psql listing (between the dashes line and the `(N rows)` footer), split on `|`.
fn listing_rows(listing: &str) -> Vec<Vec<String>> {
    listing
        .lines()
        .skip(2)
        .take_while(|l| !l.starts_with('('))
        .map(|l| l.split('|').map(|c| c.trim().to_string()).collect())
        .collect()
}

/// The setup of pgai's privilege test (its init0.sql and init1.sql, as its README describes
/// them): roles bob, fred, alice, jill; database privs owned by alice, who installs the
/// extension; schema wiki with table post for jill; a vectorizer granted to fred and jill.
fn privileges_setup(pg: &PgCluster) -> Result<()> {
    psql_ok(pg, "postgres", "create role bob login; create role fred login; create role alice login; create role jill login; grant alice to postgres")?;
    psql_ok(pg, "postgres", "create database privs owner alice")?;
    // pgvector is not a trusted extension: a superuser installs it first
    psql_ok(pg, "privs", "create extension vector")?;
    psql_file(
        pg,
        "privs",
        "alice",
        &format!(
            "create extension ai version '{LAYOUT_07}' cascade;
         create schema wiki;
         grant usage on schema wiki to jill;
         create table wiki.post
         ( id serial not null primary key, title text not null, published timestamptz
         , category text, tags text[], content text not null);
         grant select on wiki.post to jill;
         select ai.grant_ai_usage('jill');
         select ai.create_vectorizer
         ( 'wiki.post'::regclass
         , embedding => ai.embedding_openai('text-embedding-3-small', 768)
         , chunking => ai.chunking_character_text_splitter('content', 128, 10)
         , scheduling => ai.scheduling_none()
         , indexing => ai.indexing_none()
         , grant_to => ai.grant_to('fred', 'jill'));"
        ),
    )?;
    Ok(())
}

/// pgai's listing query for one kind, restricted to the objects its expected file lists.
fn privileges_query(kind: &str, expected: &str) -> String {
    let rows = listing_rows(expected);
    let users = "unnest(array['bob', 'fred', 'alice', 'jill']) u";
    let relation = |relkinds: &str, privileges: &str, column: &str| {
        let names: BTreeSet<String> = rows.iter().map(|r| format!("('{}', '{}')", r[0], r[1])).collect();
        format!(
            "select n.nspname as \"schema\", k.relname as \"{column}\", u as \"user\", p as \"privilege\"
                  , case has_table_privilege(u, k.oid, p) when true then 'YES' else 'no' end as granted
             from {users}
             inner join pg_namespace n on (n.nspname = any(array['ai', 'wiki']))
             inner join pg_class k on (n.oid = k.relnamespace and k.relkind in ({relkinds}))
             cross join unnest(array[{privileges}]) p
             where (n.nspname::text, k.relname::text) in ({})
             order by n.nspname, k.relname, u, p",
            names.into_iter().collect::<Vec<_>>().join(", ")
        )
    };
    match kind {
        "schema" => format!(
            "select n as \"schema\", u as \"user\", p as \"privilege\"
                  , case has_schema_privilege(u, n, p) when true then 'YES' else 'no' end as granted
             from {users}
             cross join unnest(array['ai', 'wiki']) n
             cross join unnest(array['create', 'usage']) p
             order by n, p, u"
        ),
        "table" => relation("'r', 'p'", "'select', 'insert', 'update', 'delete'", "table"),
        "sequence" => relation("'S'", "'select', 'update'", "table"),
        "view" => relation("'v'", "'select'", "view"),
        _ => {
            let names: BTreeSet<String> = rows.iter().map(|r| format!("$q${}$q$", r[5])).collect();
            format!(
                "select f.prokind, u as \"user\", p as \"privilege\"
                      , case has_function_privilege(u, f.oid, p) when true then 'YES' else 'no' end as granted
                      , n.nspname as \"schema\", format('%s(%s)', f.proname, pg_get_function_identity_arguments(f.oid)) as func
                 from {users}
                 inner join pg_namespace n on (n.nspname = any(array['ai']))
                 inner join pg_proc f on (n.oid = f.pronamespace)
                 cross join unnest(array['execute']) p
                 where format('%s(%s)', f.proname, pg_get_function_identity_arguments(f.oid)) = any(array[{}])
                 order by n.nspname, 6, p, u",
                names.into_iter().collect::<Vec<_>>().join(", ")
            )
        }
    }
}

#[tokio::test]
async fn privileges_of_pgais_objects_are_pgais_byte_for_byte() -> Result<()> {
    testkit::require_suite!("PRIVILEGES");
    let pg = PgCluster::builder().start()?;
    privileges_setup(&pg)?;
    for kind in ["schema", "table", "sequence", "view", "function"] {
        let expected = golden(&format!("privileges/{kind}.expected"))?;
        let actual = psql_file(
            &pg,
            "privs",
            "postgres",
            &format!("{}\n\\g (format=aligned)\n", privileges_query(kind, &expected)),
        )?;
        assert_eq!(actual, expected, "{kind}: the listing differs from pgai 0.7.0's");
    }
    // this project's additions follow the same rules: nothing for PUBLIC (bob), usage for jill
    let additions = psql_ok(
        &pg,
        "privs",
        "select string_agg(format('%s %s', u, has_function_privilege(u, p.oid, 'execute')), ',' order by u) from unnest(array['bob', 'jill']) u, pg_proc p where p.oid = 'ai_extra._strip_null_keys(jsonb)'::regprocedure",
    )?;
    assert_eq!(additions, "bob f,jill t");
    assert_eq!(
        psql_ok(&pg, "privs", "select has_schema_privilege('bob', 'ai_extra', 'usage'), has_schema_privilege('jill', 'ai_extra', 'usage'), has_table_privilege('jill', 'ai_extra.vectorizer_worker_progress', 'insert'), has_table_privilege('bob', 'ai_extra.vectorizer_worker_status', 'select')")?,
        "f|t|t|f"
    );
    // pgai's jill.sql: everything jill may do with the vectorizer works, schedule calls included
    let jill = psql_file(
        &pg,
        "privs",
        "jill",
        "select count(*) from wiki.post; select count(*) from wiki.post_embedding; select count(*) from wiki.post_embedding_store;
         select ai.vectorizer_queue_pending(1); select count(*) from ai._vectorizer_q_1; select count(*) from ai.vectorizer_status;
         select count(*) from ai.vectorizer_errors; select ai.disable_vectorizer_schedule(1); select ai.enable_vectorizer_schedule(1);",
    )?;
    assert!(jill.contains("(1 row)"), "{jill}");
    Ok(())
}

/// `\d+` blocks (separated by blank lines) keyed by their title line, with what psql 18 adds
/// (`Not-null constraints:`) and what this project adds (lines naming ai_extra) left out.
fn describe_blocks(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        let mut lines = Vec::new();
        let mut skipping = false;
        for line in block.lines() {
            if line.starts_with("Not-null constraints:") || line.starts_with("Triggers:") {
                skipping = true;
                continue;
            }
            if skipping && line.starts_with("    ") {
                continue;
            }
            skipping = false;
            if line.contains("ai_extra") {
                continue;
            }
            lines.push(line.trim_end().to_string());
        }
        // a "Referenced by:" left with no entries (they were all ours)
        if lines.last().is_some_and(|l| l == "Referenced by:") {
            lines.pop();
        }
        if let Some(title) = lines.iter().find(|l| !l.trim().is_empty()).cloned() {
            out.push((title.trim().to_string(), lines.join("\n").trim_matches('\n').to_string()));
        }
    }
    out
}

#[tokio::test]
async fn every_member_and_relation_of_pgais_extension_is_ours() -> Result<()> {
    testkit::require_suite!("CONTENTS");
    let pg = PgCluster::shared();
    let db = db_with_ai(pg, "contents070").await?;
    let expected = golden("contents/output17.expected")?;
    // the members: `\dx+ ai`'s object descriptions
    let listed = |text: &str| -> BTreeSet<String> {
        text.lines()
            .skip_while(|l| !l.trim_start().starts_with("Object description"))
            .skip(2)
            .take_while(|l| !l.starts_with('('))
            .map(|l| l.trim().to_string())
            .collect()
    };
    let theirs = listed(&expected);
    assert_eq!(theirs.len(), 104, "pgai 0.7.0 has 104 members");
    let ours = listed(&psql_file(pg, &db, "postgres", "\\dx+ ai\n")?);
    let missing: Vec<_> = theirs.difference(&ours).collect();
    assert!(missing.is_empty(), "members of pgai 0.7.0 missing here: {missing:?}");
    let extra: Vec<_> = ours.difference(&theirs).collect();
    assert!(extra.iter().all(|m| m.contains("ai_extra")), "every addition lives in schema ai_extra: {extra:?}");

    // `\d+ ai.*`: each of pgai's relations, index and sequence described the same
    let theirs = describe_blocks(expected.split_once("(104 rows)\n").unwrap().1);
    let ours = describe_blocks(&psql_file(pg, &db, "postgres", "\\d+ ai.*\n")?);
    assert_eq!(theirs.len(), 14, "{:?}", theirs.iter().map(|b| &b.0).collect::<Vec<_>>());
    for (title, block) in &theirs {
        let found = ours.iter().find(|(t, _)| t == title).map(|(_, b)| b);
        assert_eq!(found, Some(block), "{title}");
    }
    Ok(())
}

#[tokio::test]
async fn grant_to_public_missing_roles_and_the_grants_per_object() -> Result<()> {
    testkit::require_suite!("VECTORIZER");
    let pg = PgCluster::shared();
    let db = db_with_ai(pg, "grant_to070").await?;
    let bob = format!("bob_{}", std::process::id());
    psql_ok(
        pg,
        &db,
        &format!("create role {bob}; create schema website; create table website.blog(id int primary key, body text)"),
    )?;
    let out = psql(pg, &db, "postgres", &format!("select ai.create_vectorizer('website.blog'::regclass, embedding => {EMBED4}, chunking => ai.chunking_character_text_splitter('body'), grant_to => ai.grant_to('{bob}', 'fernando', 'public'))"))?;
    assert!(
        out.ok && out.stderr.contains("WARNING:  one or more grant_to roles do not exist: {fernando}"),
        "{}",
        out.stderr
    );
    let id = out.stdout.trim();
    let checks = [
        format!("has_schema_privilege('{bob}', 'website', 'usage')"),
        format!("has_table_privilege('{bob}', 'website.blog', 'select')"),
        format!("not has_table_privilege('{bob}', 'website.blog', 'insert')"),
        format!("has_table_privilege('{bob}', 'website.blog_embedding_store', 'select,insert,update')"),
        format!("not has_table_privilege('{bob}', 'website.blog_embedding_store', 'delete')"),
        format!("has_table_privilege('{bob}', 'ai._vectorizer_q_{id}', 'select,insert,update,delete')"),
        format!("has_table_privilege('{bob}', 'website.blog_embedding', 'select')"),
        format!("has_schema_privilege('{bob}', 'ai', 'usage')"),
        format!("has_table_privilege('{bob}', 'ai.vectorizer', 'select')"),
        format!("not has_table_privilege('{bob}', 'ai.vectorizer_errors', 'select')"),
        format!("not has_function_privilege('{bob}', 'ai._vectorizer_src_trg_{id}()', 'execute')"),
        // `public` is PUBLIC
        format!("has_table_privilege('public', 'ai._vectorizer_q_{id}', 'select')"),
        "has_table_privilege('public', 'website.blog_embedding_store', 'select')".to_string(),
    ];
    for check in &checks {
        assert_eq!(psql_ok(pg, &db, &format!("select {check}"))?, "t", "{check}");
    }
    // an empty grant_to grants nothing
    psql_ok(pg, &db, "create table website.quiet(id int primary key, body text)")?;
    psql_ok(pg, &db, &format!("select ai.create_vectorizer('website.quiet'::regclass, embedding => {EMBED4}, chunking => ai.chunking_character_text_splitter('body'), grant_to => ai.grant_to('nobody_here'))"))?;
    assert_eq!(
        psql_ok(pg, &db, "select relacl is null from pg_class where oid = 'website.quiet_embedding_store'::regclass")?,
        "t"
    );
    Ok(())
}

#[tokio::test]
async fn the_catalog_row_and_the_queue_count_are_pgais() -> Result<()> {
    testkit::require_suite!("VECTORIZER");
    let pg = PgCluster::shared();
    let db = db_with_ai(pg, "catalog070").await?;
    psql_ok(pg, &db, "create schema website; create table website.blog(id int not null generated always as identity, title text not null, published timestamptz, body text not null, drop_me int, primary key (title, published)); alter table website.blog drop column drop_me")?;
    let id = psql_ok(pg, &db, "set timezone = 'UTC'; select ai.create_vectorizer('website.blog'::regclass, embedding => ai.embedding_openai('text-embedding-3-small', 768), chunking => ai.chunking_character_text_splitter('body', 128, 10), formatting => ai.formatting_python_template('title: $title published: $published $chunk'), scheduling => ai.scheduling_none(), indexing => ai.indexing_none())")?;
    let row =
        psql_ok(pg, &db, &format!("select source_pk::text, config - 'version' from ai.vectorizer where id = {id}"))?;
    assert_eq!(
        row,
        r#"[{"pknum": 1, "attnum": 2, "attname": "title", "typname": "text"}, {"pknum": 2, "attnum": 3, "attname": "published", "typname": "timestamptz"}]|{"chunking": {"separator": "\n\n", "chunk_size": 128, "config_type": "chunking", "chunk_column": "body", "chunk_overlap": 10, "implementation": "character_text_splitter", "is_separator_regex": false}, "indexing": {"config_type": "indexing", "implementation": "none"}, "embedding": {"model": "text-embedding-3-small", "dimensions": 768, "config_type": "embedding", "api_key_name": "OPENAI_API_KEY", "implementation": "openai"}, "formatting": {"template": "title: $title published: $published $chunk", "config_type": "formatting", "implementation": "python_template"}, "processing": {"config_type": "processing", "implementation": "default"}, "scheduling": {"config_type": "scheduling", "implementation": "none"}}"#
    );
    assert_eq!(
        psql_ok(pg, &db, &format!("select config->>'version' = extversion from ai.vectorizer, pg_extension where extname = 'ai' and id = {id}"))?,
        "t"
    );
    // the target's and the queue's key columns: table order, catalog type names, not null
    assert_eq!(
        psql_ok(pg, &db, &format!("select string_agg(attname || ' ' || format_type(atttypid, atttypmod) || case when attnotnull then ' not null' else '' end, ', ' order by attnum) from pg_attribute where attrelid = 'ai._vectorizer_q_{id}'::regclass and attnum > 0"))?,
        "title text not null, published timestamp with time zone not null, queued_at timestamp with time zone not null"
    );
    // the view: the target's columns, then the source's live columns, the key ones from the target
    assert_eq!(
        psql_ok(pg, &db, "select regexp_replace(pg_get_viewdef('website.blog_embedding'::regclass), '\\s+', ' ', 'g')")?,
        "SELECT t.embedding_uuid, t.chunk_seq, t.chunk, t.embedding, s.id, t.title, t.published, s.body FROM (website.blog_embedding_store t LEFT JOIN website.blog s ON (((t.title = s.title) AND (t.published = s.published))));"
    );
    // one trigger: after insert or update, for each row; nothing on truncate
    assert_eq!(
        psql_ok(pg, &db, "select string_agg(pg_get_triggerdef(oid), E'\\n') from pg_trigger where tgrelid = 'website.blog'::regclass and not tgisinternal")?,
        format!("CREATE TRIGGER _vectorizer_src_trg_{id} AFTER INSERT OR UPDATE ON website.blog FOR EACH ROW EXECUTE FUNCTION ai._vectorizer_src_trg_{id}()")
    );

    // vectorizer_queue_pending: up to 10,000 counted; past that the largest bigint unless exact
    psql_ok(pg, &db, &format!("insert into ai._vectorizer_q_{id} (title, published) select g::text, now() from generate_series(1, 10000) g"))?;
    assert_eq!(
        psql_ok(
            pg,
            &db,
            &format!(
                "select ai.vectorizer_queue_pending({id}), ai.vectorizer_queue_pending({id}, exact_count => true)"
            )
        )?,
        "10000|10000"
    );
    psql_ok(pg, &db, &format!("insert into ai._vectorizer_q_{id} (title, published) values ('one more', now())"))?;
    assert_eq!(
        psql_ok(pg, &db, &format!("select ai.vectorizer_queue_pending({id}), ai.vectorizer_queue_pending({id}, exact_count => true), (select pending_items from ai.vectorizer_status where id = {id})"))?,
        "9223372036854775807|10001|9223372036854775807"
    );
    psql_err(pg, &db, "postgres", "select ai.vectorizer_queue_pending(9999)", "vectorizer has no queue table")?;
    Ok(())
}
