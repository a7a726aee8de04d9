//! Bad input to the extension (issue 11): identifiers of every awkward kind, bad configurations,
//! NULL / empty / 10 MB texts, garbage from a provider. Each input either works completely or
//! fails with an error naming what to fix, and a failure changes nothing (a snapshot of the
//! catalog before and after). Each test prints how many bad inputs it tried.

mod common;

use anyhow::{ensure, Result};
use common::*;
use testkit::fake;
use testkit::http::Reply;
use testkit::PgCluster;

const EMBED: &str = "ai.embedding_openai('text-embedding-3-small', 4)";

/// Relations, triggers, schemas, the extension's functions and vectorizers: what a failed call must
/// leave as it found it, and what drop_vectorizer(drop_all => true) must restore.
fn snapshot(pg: &PgCluster, db: &str) -> Result<String> {
    psql_ok(
        pg,
        db,
        r#"select string_agg(x, E'\n' order by x) from (
             select 'class ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) || ' ' || c.relkind::text as x
             from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp)'
             union all select 'trigger ' || tgrelid::regclass || ' ' || quote_ident(tgname) from pg_trigger where not tgisinternal
             union all select 'schema ' || quote_ident(nspname) from pg_namespace
             union all select 'function ' || p.oid::regprocedure from pg_proc p join pg_namespace n on n.oid = p.pronamespace
               where n.nspname not in ('pg_catalog', 'information_schema')
             union all select 'vectorizer ' || id from ai.vectorizer
             union all select 'depend ' || count(*) from pg_depend) s"#,
    )
}

/// Runs `sql`, which must fail mentioning `expected`, and checks that it changed nothing.
fn refused(pg: &PgCluster, db: &str, sql: &str, expected: &str) -> Result<()> {
    let before = snapshot(pg, db)?;
    let out = psql(pg, db, "postgres", sql)?;
    ensure!(
        !out.ok && out.stderr.contains(expected),
        "{sql}: expected an error mentioning {expected:?}, got ok={} {}",
        out.ok,
        out.stderr
    );
    ensure!(!out.stderr.contains("panicked"), "{sql}: a panic: {}", out.stderr);
    let after = snapshot(pg, db)?;
    ensure!(before == after, "{sql} failed but changed the catalog:\nbefore:\n{before}\nafter:\n{after}");
    Ok(())
}

/// At most `n` bytes of `s`, cut at a character boundary.
fn prefix(s: &str, n: usize) -> &str {
    let mut end = s.len().min(n);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The names tried for schemas, tables, columns and the derived objects.
fn awkward_names() -> Vec<String> {
    let mut names: Vec<String> = [
        "Mixed Case",
        "with space",
        "dq\"uote",
        "sq'uote",
        "dot.ted",
        "semi;colon",
        "dollar$",
        "$$",
        "$1",
        "%s %I",
        "back\\slash",
        "ünïcödé名前",
        "emoji😀",
        "x\"; drop table canary; --",
        "x'); drop table canary; --",
        "select",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    names.push("a".repeat(47)); // <t>_embedding_store is exactly 63 bytes
    names.push("é".repeat(23) + "a"); // 47 bytes, multibyte
    names
}

#[tokio::test]
async fn identifiers_work_completely_or_are_refused_untouched() -> Result<()> {
    testkit::require_suite!("VECTORIZER");
    let pg = PgCluster::shared();
    let db = db_with_ai(pg, "bad_idents").await?;
    psql_ok(pg, &db, "create table canary(x int)")?;
    let mut tried = 0;
    let mut worked = 0;
    for (i, name) in awkward_names().iter().enumerate() {
        let (s, t) = (ident(name), ident(name));
        // a schema, table, key column and text column all named after `name`
        let text_col = if name.len() <= 58 { format!("txt {name}") } else { "body".to_string() };
        let setup = format!(
            "create schema {s}; create table {s}.{t}({pk} int primary key, {tc} text)",
            pk = ident(name),
            tc = ident(&text_col)
        );
        psql_ok(pg, &db, &setup)?;
        let src = format!("{s}.{t}");
        // default names, then every derived object named explicitly (in the awkward schema)
        let variants = [
            String::new(),
            format!(
                ", destination => {d}, target_schema => {n}, view_schema => {n}, queue_schema => {n}",
                d = sql_literal(&format!("{}d", prefix(name, 40))),
                n = sql_literal(name)
            ),
            format!(
                ", target_table => {}, view_name => {}, queue_table => {}",
                sql_literal(&format!("t{}", prefix(name, 50))),
                sql_literal(&format!("v{}", prefix(name, 50))),
                sql_literal(&format!("q{}", prefix(name, 50)))
            ),
        ];
        for v in &variants {
            tried += 1;
            let before = snapshot(pg, &db)?;
            let call = format!(
                "select ai.create_vectorizer({lit}::regclass, embedding => {EMBED}, chunking => ai.chunking_character_text_splitter({col}){v})",
                lit = sql_literal(&src),
                col = sql_literal(&text_col)
            );
            let id: i32 = psql_ok(pg, &db, &call).map_err(|e| anyhow::anyhow!("{name:?} {v}: {e}"))?.parse()?;
            worked += 1;
            // a row is queued; the view joins the source; names in the catalog are the real ones
            psql_ok(pg, &db, &format!("insert into {src} values ({}, 'hello')", i * 10 + tried))?;
            assert_eq!(psql_ok(pg, &db, &format!("select ai.vectorizer_queue_pending({id})"))?, "1", "{name:?}");
            let (target, view) = psql_ok(
                pg,
                &db,
                &format!("select format('%I.%I', target_schema, target_table) || '|' || format('%I.%I', view_schema, view_name) from ai.vectorizer where id = {id}"),
            )?
            .split_once('|')
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .unwrap();
            psql_ok(
                pg,
                &db,
                &format!("insert into {target} ({pk}, chunk_seq, chunk, embedding) select {pk}, 0, 'c', '[1,2,3,4]' from {src}", pk = ident(name)),
            )?;
            assert_eq!(
                psql_ok(pg, &db, &format!("select count(*) from {view} where {} = 'hello'", ident(&text_col)))?,
                "1",
                "{name:?}: the view"
            );
            assert_eq!(
                psql_ok(
                    pg,
                    &db,
                    &format!(
                        "select source_table::regclass = {}::regclass from ai.vectorizer_status where id = {id}",
                        sql_literal(&src)
                    )
                )?,
                "t",
                "{name:?}: vectorizer_status names the source as written"
            );
            psql_ok(pg, &db, &format!("delete from {src}"))?;
            psql_ok(pg, &db, &format!("select ai.drop_vectorizer({id}, drop_all => true)"))?;
            let after = snapshot(pg, &db)?;
            assert_eq!(before, after, "{name:?} {v}: drop_vectorizer left something behind or took something");
        }
        // the trigger of a dropped vectorizer is gone: inserts still work, nothing queued anywhere
        psql_ok(pg, &db, &format!("insert into {src} values (-1, 'x')"))?;
    }
    assert_eq!(psql_ok(pg, &db, "select to_regclass('canary') is not null")?, "t", "an injection went through");

    // names that cannot work: refused, nothing changed
    let long48 = "b".repeat(48); // <t>_embedding_store would be 64 bytes
    let long54 = "c".repeat(54); // <t>_embedding would be 64 bytes
    let long63 = "d".repeat(63);
    psql_ok(pg, &db, &format!("create table {long48}(id int primary key, body text); create table {long54}(id int primary key, body text); create table {long63}(id int primary key, body text); create table plain(id int primary key, body text); create table plain_taken(x int)"))?;
    let ok = "embedding => ai.embedding_openai('text-embedding-3-small', 4), chunking => ai.chunking_character_text_splitter('body')";
    // names PostgreSQL cuts to 63 bytes: it works, a notice says so, the objects get the cut name
    tried += 1;
    let out = psql(pg, &db, "postgres", &format!("select ai.create_vectorizer('{long48}'::regclass, {ok})"))?;
    assert!(
        out.ok && out.stderr.contains("is longer than 63 bytes: PostgreSQL names the object"),
        "{long48}: {}",
        out.stderr
    );
    worked += 1;
    assert_eq!(
        psql_ok(pg, &db, &format!("select string_agg(octet_length(target_table)::text || '/' || octet_length(view_name)::text, ',' order by id) from ai.vectorizer where source_table in ('{long48}', '{long54}')"))?,
        "63/58"
    );
    let bad = [
        // the cut names of the target and the view are the same
        (format!("'{long54}'::regclass, {ok}"), "the target table and the view would both be named".into()),
        // the cut name is the source's own: pgai's collision messages
        (format!("'{long63}'::regclass, {ok}"), format!("an object named public.{long63} already exists. specify an alternate destination explicitly")),
        (format!("'{long63}'::regclass, {ok}, view_name => 'ok_v'"), format!("an object named public.{long63} already exists. specify an alternate destination or target_table explicitly")),
        (format!("'plain'::regclass, {ok}, destination => ''"), "view_name must not be empty".into()),
        (format!("'plain'::regclass, {ok}, target_table => ''"), "target_table must not be empty".into()),
        (format!("'plain'::regclass, {ok}, view_name => ''"), "view_name must not be empty".into()),
        (format!("'plain'::regclass, {ok}, queue_table => ''"), "queue_table must not be empty".into()),
        (format!("'plain'::regclass, {ok}, target_schema => ''"), "target_schema must not be empty".into()),
        (format!("'plain'::regclass, {ok}, view_schema => 'no such schema'"), "schema \"no such schema\" does not exist".into()),
        (format!("'plain'::regclass, {ok}, queue_schema => 'y\"; drop table canary; --'"), "does not exist".into()),
        (format!("'plain'::regclass, {ok}, target_table => 'same', view_name => 'same'"), "would both be named public.same".into()),
        (format!("'plain'::regclass, {ok}, queue_schema => 'public', queue_table => 'plain_embedding_store'"), "queue table would be named".into()),
        (format!("'plain'::regclass, {ok}, view_name => 'plain_taken'"), "an object named public.plain_taken already exists. specify an alternate destination explicitly".into()),
        (format!("'plain'::regclass, {ok}, target_table => 'plain_taken'"), "an object named public.plain_taken already exists. specify an alternate destination or target_table explicitly".into()),
        (format!("'plain'::regclass, {ok}, queue_schema => 'public', queue_table => 'plain_taken'"), "an object named public.plain_taken already exists. specify an alternate queue_table explicitly".into()),
        (format!("'plain'::regclass, {ok}, target_schema => 'pg_catalog'"), "permission denied".into()),
        (format!("'\"x\"\"; drop table canary; --\"'::regclass, {ok}"), "does not exist".into()),
        (format!("'plain'::regclass, embedding => {EMBED}, chunking => ai.chunking_character_text_splitter('x\"; drop table canary; --')"), "chunk column in config does not exist in the table: x\"; drop table canary; --".into()),
    ];
    for (args, expected) in &bad {
        tried += 1;
        refused(pg, &db, &format!("select ai.create_vectorizer({args})"), expected)?;
    }
    // a name argument of more than 63 bytes is cut by PostgreSQL before the call: a notice says so
    tried += 1;
    let out = psql(
        pg,
        &db,
        "postgres",
        &format!("select ai.create_vectorizer('plain'::regclass, {ok}, target_table => '{}')", "t".repeat(70)),
    )?;
    assert!(out.ok && out.stderr.contains("is 63 bytes long, the most PostgreSQL allows"), "{}", out.stderr);
    assert_eq!(
        psql_ok(pg, &db, "select octet_length(target_table) from ai.vectorizer where source_table = 'plain'")?,
        "63"
    );
    // drop_vectorizer of nothing
    for (sql, expected) in [
        ("select ai.drop_vectorizer(null)", "vectorizer null does not exist"),
        ("select ai.drop_vectorizer(-1)", "vectorizer -1 does not exist"),
    ] {
        tried += 1;
        refused(pg, &db, sql, expected)?;
    }
    assert_eq!(psql_ok(pg, &db, "select to_regclass('canary') is not null")?, "t");
    println!(
        "identifiers: {tried} inputs tried, {worked} vectorizers created, queued, read and dropped, {} refused",
        tried - worked - 1
    );
    Ok(())
}

#[tokio::test]
async fn bad_configurations_are_refused_untouched() -> Result<()> {
    testkit::require_suite!("VECTORIZER");
    let pg = PgCluster::shared();
    let db = db_with_ai(pg, "bad_configs").await?;
    psql_ok(
        pg,
        &db,
        "create table src(id int primary key, body text, title text, \"Mixed\" text); create table nopk(body text); \
         create view v as select * from src; create materialized view mv as select * from src; create sequence seq",
    )?;
    let chunk = "ai.chunking_character_text_splitter('body')";
    let create = |args: &str| format!("select ai.create_vectorizer('src'::regclass, {args})");
    let raw_chunking = |extra: &str| {
        format!(
            r#"chunking => '{{"config_type": "chunking", "implementation": "recursive_character_text_splitter", "chunk_column": "body", {extra}}}'"#
        )
    };
    let mut cases: Vec<(String, &str)> = Vec::new();
    // formatting templates
    for (template, expected) in [
        // pgai's check first: the template must contain $chunk
        ("$", "template must contain $chunk placeholder"),
        ("${chunk", "template must contain $chunk placeholder"),
        ("${chunk}", "template must contain $chunk placeholder"),
        ("$ chunk", "template must contain $chunk placeholder"),
        ("$é", "template must contain $chunk placeholder"),
        // then this project's: placeholders Python's Template accepts, naming columns
        ("$chunk ${x", "invalid placeholder"),
        ("$chunk ${}", "invalid placeholder"),
        ("$chunk ${ chunk}", "invalid placeholder"),
        ("$chunk$", "invalid placeholder"),
        ("$chunk costs $9.99", "invalid placeholder"),
        ("$chunk $-", "invalid placeholder"),
        ("$chunk $é", "invalid placeholder"),
        ("$nope $chunk", "$nope, which is not a column"),
        ("${nope} $chunk", "$nope, which is not a column"),
        ("$mixed $chunk", "$mixed, which is not a column"),
        ("$Title $chunk", "$Title, which is not a column"),
    ] {
        cases.push((
            create(&format!(
                "embedding => {EMBED}, chunking => {chunk}, formatting => ai.formatting_python_template({})",
                sql_literal(template)
            )),
            expected,
        ));
    }
    cases.push((
        create(&format!(
            "embedding => {EMBED}, chunking => {chunk}, formatting => ai.formatting_python_template(null)"
        )),
        "template must contain $chunk placeholder",
    ));
    // separators that are not regexes the worker can use
    for sep in ["(", "[a-", "*", "a{2,1}", "(?<=x)", "(?=x)", "(?!x)", r"(a)\1", r"\m", "(?P<n>a)(?P<n>b)"] {
        for chunking in [
            format!("ai.chunking_character_text_splitter('body', separator => {}, is_separator_regex => true)", sql_literal(sep)),
            format!("ai.chunking_recursive_character_text_splitter('body', separators => array['\\n', {}], is_separator_regex => true)", sql_literal(sep)),
        ] {
            cases.push((create(&format!("embedding => {EMBED}, chunking => {chunking}")), "is not a valid regular expression"));
        }
        // a hand-written config skips ai.chunking_*: create_vectorizer checks again
        let json_sep = serde_json::to_string(sep)?.replace('\'', "''");
        cases.push((
            create(&format!(
                "embedding => {EMBED}, {}",
                raw_chunking(&format!(
                    r#""chunk_size": 10, "chunk_overlap": 0, "separators": [{json_sep}], "is_separator_regex": true"#
                ))
            )),
            "is not a valid regular expression",
        ));
    }
    // chunk sizes, through the functions and hand-written
    for (size, overlap, expected) in [
        ("0", "0", "chunk_size must be greater than 0"),
        ("-1", "0", "chunk_size must be greater than 0"),
        ("-2147483648", "0", "chunk_size must be greater than 0"),
        ("10", "10", "chunk_overlap must be at least 0 and less than chunk_size"),
        ("10", "11", "chunk_overlap must be at least 0 and less than chunk_size"),
        ("10", "-1", "chunk_overlap must be at least 0"),
        // left out: the worker's defaults, 800 and 400
        (
            "null",
            "800",
            "chunk_overlap must be at least 0 and less than chunk_size (got chunk_overlap 800, chunk_size 800)",
        ),
        (
            "10",
            "null",
            "chunk_overlap must be at least 0 and less than chunk_size (got chunk_overlap 400, chunk_size 10)",
        ),
    ] {
        cases.push((
            create(&format!("embedding => {EMBED}, chunking => ai.chunking_recursive_character_text_splitter('body', chunk_size => {size}, chunk_overlap => {overlap})")),
            expected,
        ));
        cases.push((
            create(&format!(
                "embedding => {EMBED}, {}",
                raw_chunking(&format!(r#""chunk_size": {size}, "chunk_overlap": {overlap}"#))
            )),
            expected,
        ));
    }
    // dimensions that the model cannot return
    for (embedding, expected) in [
        ("ai.embedding_openai('text-embedding-ada-002', 768)", "returns 1536 dimensions, but the embedding config asks for 768"),
        ("ai.embedding_openai('text-embedding-3-small', 3072)", "returns at most 1536 dimensions"),
        ("ai.embedding_openai('text-embedding-3-large', 4000)", "returns at most 3072 dimensions"),
        ("ai_extra.embedding_sentence_transformers('all-MiniLM-L6-v2', 768)", "returns 384 dimensions"),
        ("ai_extra.embedding_sentence_transformers('sentence-transformers/all-MiniLM-L6-v2', 1536)", "returns 384 dimensions"),
        ("ai.embedding_ollama('nomic-embed-text', 384)", "returns 768 dimensions"),
        ("ai.embedding_ollama('all-minilm:latest', 768)", "returns 384 dimensions"),
        ("ai.embedding_voyageai('voyage-3', 512)", "returns 1024 dimensions"),
        ("ai.embedding_openai('m', 16001)", "dimensions for type vector cannot exceed 16000"),
        ("ai.embedding_openai('m', -4)", "dimensions for type vector must be at least 1"),
        ("'{\"config_type\": \"embedding\", \"implementation\": \"openai\", \"model\": \"text-embedding-ada-002\", \"dimensions\": 4}'", "returns 1536 dimensions"),
        ("'{\"config_type\": \"embedding\", \"implementation\": \"nope\", \"model\": \"m\", \"dimensions\": 4}'", "invalid embedding implementation: \"nope\""),
        ("'{\"dimensions\": 4}'", "invalid config_type for embedding config"),
        ("'[]'", "dimensions argument is required"),
        ("'null'", "dimensions argument is required"),
        ("'{}'", "dimensions argument is required"),
    ] {
        cases.push((create(&format!("embedding => {embedding}, chunking => {chunk}")), expected));
    }
    // sources and NULL / empty arguments
    let ok = format!("embedding => {EMBED}, chunking => {chunk}");
    cases.extend([
        (
            format!("select ai.create_vectorizer('nopk'::regclass, {ok})"),
            "source table must have a primary key constraint",
        ),
        (
            format!("select ai.create_vectorizer('v'::regclass, {ok})"),
            "public.v is not a table: a vectorizer reads an ordinary or partitioned table",
        ),
        (format!("select ai.create_vectorizer('mv'::regclass, {ok})"), "public.mv is not a table"),
        (format!("select ai.create_vectorizer('seq'::regclass, {ok})"), "public.seq is not a table"),
        (
            format!("select ai.create_vectorizer('no_such_table'::regclass, {ok})"),
            "relation \"no_such_table\" does not exist",
        ),
        (
            format!("select ai.create_vectorizer(null, {ok})"),
            "source null is not a relation: pass the table to vectorize",
        ),
        (format!("select ai.create_vectorizer(0::regclass, {ok})"), "source 0 is not a relation"),
        (create(&format!("embedding => null, chunking => {chunk}")), "embedding configuration is required"),
        (create(&format!("embedding => {EMBED}, chunking => null")), "chunking configuration is required"),
        (
            create(&format!("embedding => {EMBED}, chunking => ai.chunking_character_text_splitter('')")),
            "chunk column in config does not exist in the table: ",
        ),
        (
            create(&format!("embedding => {EMBED}, chunking => ai.chunking_character_text_splitter('id')")),
            "chunk column in config does not exist in the table: id",
        ),
        (create(&format!("{ok}, formatting => null")), "invalid config_type for formatting config"),
        (create(&format!("{ok}, indexing => null")), "invalid config_type for indexing config"),
        (create(&format!("{ok}, scheduling => null")), "invalid config_type for scheduling config"),
        (create(&format!("{ok}, processing => null")), "invalid config_type for processing config"),
        (
            create(&format!("{ok}, processing => ai.formatting_python_template()")),
            "invalid config_type for processing config",
        ),
        (
            create(&format!("embedding => {EMBED}, chunking => ai.embedding_openai('m', 4)")),
            "invalid config_type for chunking config",
        ),
        (
            create(&format!("embedding => ai.embedding_openai(null, 4), chunking => {chunk}")),
            "embedding config has no model",
        ),
        (
            create(&format!("embedding => {EMBED}, {}", raw_chunking(r#""chunk_size": "ten", "chunk_overlap": 0"#))),
            "chunk_size and chunk_overlap must be numbers",
        ),
    ]);
    let before = snapshot(pg, &db)?;
    for (sql, expected) in &cases {
        refused(pg, &db, sql, expected)?;
    }
    assert_eq!(before, snapshot(pg, &db)?);
    // and what is near the edge works
    for args in [
        format!("embedding => ai.embedding_openai('text-embedding-3-small', 1536), chunking => {chunk}, formatting => ai.formatting_python_template('$$ $chunk}}}} $$$title $Mixed ${{chunk}}')"),
        "embedding => ai.embedding_openai('text-embedding-ada-002', 1536), chunking => ai.chunking_recursive_character_text_splitter('body', 1, 0, array['\\s+', '(?i)x'], is_separator_regex => true), destination => 'edge2'".to_string(),
        "embedding => ai_extra.embedding_sentence_transformers('sentence-transformers/all-MiniLM-L6-v2', 384), chunking => ai.chunking_character_text_splitter('body', 2147483647, 2147483646), destination => 'edge3'".to_string(),
    ] {
        let id = psql_ok(pg, &db, &create(&args))?;
        psql_ok(pg, &db, &format!("select ai.drop_vectorizer({id}, drop_all => true)"))?;
    }
    println!("configurations: {} bad inputs tried, each refused with nothing changed", cases.len());
    Ok(())
}

const KEY: &str = "sk-bad-input-key-5e0c2a";

#[tokio::test]
async fn null_empty_and_10mb_texts() -> Result<()> {
    testkit::require_suite!("VECTORIZER");
    let pg = PgCluster::shared();
    let db = db_with_ai(pg, "bad_texts").await?;
    let f = fake::openai(KEY);
    let base = f.base_url();
    psql_ok(pg, &db, "create table docs(id int primary key, body text)")?;
    let id = psql_ok(pg, &db, &format!("select ai.create_vectorizer('docs'::regclass, embedding => ai.embedding_openai('text-embedding-3-small', 4, base_url => '{base}', api_key_name => 'BAD_INPUT_KEY'), chunking => ai.chunking_character_text_splitter('body'))"))?;
    let big = "select string_agg(md5(g::text), ' ') from generate_series(1, 317750) g"; // ~10.5 MB
    psql_ok(pg, &db, &format!("insert into docs values (1, null), (2, ''), (3, ({big}))"))?;
    assert_eq!(psql_ok(pg, &db, "select octet_length(body) > 10000000 from docs where id = 3")?, "t");
    psql_ok(pg, &db, &format!("update docs set body = ({big}) where id = 1; update docs set body = null where id = 3; update docs set body = '' where id = 2"))?;
    assert_eq!(
        psql_ok(
            pg,
            &db,
            &format!("select string_agg(id::text, ',' order by id, queued_at) from ai._vectorizer_q_{id}")
        )?,
        "1,1,2,2,3,3"
    );
    let mut tried = 3;

    // the model functions: NULL is NULL without a request, '' and 10 MB go to the provider
    let set = format!("set ai.bad_input_key = '{KEY}';");
    let hits = f.requests().len();
    for call in [
        format!("select ai.vectorizer_embed({id}, null) is null"),
        format!("select ai.openai_embed('text-embedding-3-small', null, base_url => '{base}') is null"),
        "select ai.ollama_embed('all-minilm', null, host => 'http://127.0.0.1:9') is null".to_string(),
        "select ai.voyageai_embed('voyage-3', null) is null".to_string(),
        "select ai.cohere_embed('embed-english-v3.0', null) is null".to_string(),
    ] {
        tried += 1;
        assert_eq!(psql_ok(pg, &db, &format!("{set} {call}"))?, "t", "{call}");
    }
    assert_eq!(f.requests().len(), hits, "a NULL text makes no request");
    tried += 2;
    // OpenAI refuses an empty input (the fake answers as it does): its message, clearly
    psql_err(
        pg,
        &db,
        "postgres",
        &format!("{set} select ai.vectorizer_embed({id}, '')"),
        "openai: HTTP 400: '$.input' is invalid",
    )?;
    assert_eq!(
        psql_ok(pg, &db, &format!("{set} select vector_dims(ai.vectorizer_embed({id}, body)) from docs where id = 1"))?,
        "4",
        "10 MB"
    );
    assert!(f.last_request().unwrap().body.len() > 10_000_000);

    // garbage from the provider: a clear error, and the backend goes on
    let garbage: Vec<(Reply, &str)> = vec![
        (Reply::bytes(200, "application/json", vec![0xff, 0xfe, 0x00, 0xc3, 0x28]), "openai"),
        (
            Reply::bytes(
                200,
                "application/json",
                b"{\"data\": [{\"embedding\": \"\xff\xfe\xfd\", \"index\": 0}]}".to_vec(),
            ),
            "openai",
        ),
        (Reply::text(200, "<html><body>502 Bad Gateway</body></html>"), "openai"),
        (Reply::text(200, ""), "openai"),
        (Reply::text(200, "null"), "openai"),
        (Reply::json(200, serde_json::json!({"data": "nope"})), "openai"),
        (Reply::json(200, serde_json::json!({"data": [{"embedding": "!!!not base64", "index": 0}]})), "openai"),
        (Reply::json(200, serde_json::json!({"data": [{"embedding": "AAA=", "index": 0}]})), "openai"),
        (Reply::json(200, serde_json::json!({"data": []})), "openai"),
        (Reply::bytes(400, "text/plain", vec![0xc0, 0xaf, 0xed, 0xa0, 0x80]), "400"),
        (Reply::text(422, "\u{0}\u{1}\u{2}"), "422"),
    ];
    let pool = pg.pool(&db).await?;
    let mut conn = pool.acquire().await?;
    for (reply, expected) in garbage {
        tried += 1;
        f.fail_next(1, reply);
        let err = sqlx::query(&format!("select ai.openai_embed('text-embedding-3-small', 'x', api_key => '{KEY}', base_url => '{base}', dimensions => 4)::text"))
            .execute(&mut *conn)
            .await
            .expect_err("garbage must fail")
            .to_string();
        assert!(err.to_lowercase().contains(expected) && !err.contains("panicked") && !err.contains(KEY), "{err}");
        let one: i32 = sqlx::query_scalar("select 1").fetch_one(&mut *conn).await?;
        assert_eq!(one, 1, "the backend stays usable after {err}");
    }
    f.clear_faults();
    let ok: i32 = sqlx::query_scalar(&format!("select vector_dims(ai.openai_embed('text-embedding-3-small', 'x', api_key => '{KEY}', base_url => '{base}', dimensions => 4))"))
        .fetch_one(&mut *conn)
        .await?;
    assert_eq!(ok, 4);
    println!("texts and provider garbage: {tried} bad inputs tried");
    Ok(())
}

/// A NULL where a model function needs a value: an error naming the argument, no backtrace,
/// no request, and the backend goes on.
#[tokio::test]
async fn null_required_arguments_are_named() -> Result<()> {
    testkit::require_suite!("VECTORIZER");
    let pg = PgCluster::shared();
    let db = db_with_ai(pg, "bad_nulls").await?;
    let calls = [
        ("select ai.openai_embed(null, 'x')", "model"),
        ("select ai.openai_embed('m', null::text[])", "input_texts"),
        ("select ai.openai_embed('m', null::int[])", "input_tokens"),
        ("select ai.openai_chat_complete(null, '[]')", "model"),
        ("select ai.openai_chat_complete('m', null)", "messages"),
        ("select ai.openai_chat_complete_simple(null)", "message"),
        ("select ai.openai_moderate('m', null)", "input_text"),
        ("select ai.ollama_embed(null, 'x')", "model"),
        ("select ai.ollama_generate('m', null)", "prompt"),
        ("select ai.ollama_chat_complete('m', null)", "messages"),
        ("select ai.anthropic_generate('m', '[]', max_tokens => null)", "max_tokens"),
        ("select ai.cohere_tokenize(null, 'x')", "model"),
        ("select ai.cohere_rerank('m', null, '[\"a\"]')", "query"),
        ("select ai.cohere_classify('m', null)", "inputs"),
        ("select ai.cohere_chat_complete('m', null)", "message"),
        ("select ai.voyageai_embed(null, 'x')", "model"),
        ("select ai_extra.sentence_transformers_embed(null, 'x')", "model"),
    ];
    for (sql, arg) in calls {
        let out = psql(pg, &db, "postgres", sql)?;
        let want = format!("ERROR:  {arg} must not be null");
        ensure!(!out.ok && out.stderr.contains(&want), "{sql}: expected {want:?}, got {}", out.stderr);
        ensure!(!out.stderr.contains("DETAIL") && !out.stderr.contains("pgrx"), "{sql}: {}", out.stderr);
    }
    println!("bad input: {} NULL arguments named", calls.len());
    Ok(())
}
