//! The SQL API of the catalog: config builders, the validators' messages (pgai's texts where
//! pgai has one), create_vectorizer with its destinations, loadings and names, and the
//! functions around it. Each case runs as the database's owner.

use crate::common::*;

const EMBED: &str = "ai.embedding_openai('text-embedding-3-small', 768)";
const QUIET: &str = "scheduling => ai.scheduling_none(), indexing => ai.indexing_none()";

async fn db(prefix: &str) -> Db {
    let db = Db::new(prefix).await;
    db.installed().await;
    db
}

#[tokio::test]
async fn builders_make_pgais_configs() {
    let db = db("api_builders").await;
    for (sql, want) in [
        ("ai.chunking_none()", r#"{"config_type": "chunking", "implementation": "none"}"#),
        (
            "ai.chunking_character_text_splitter(128, 10)",
            r#"{"separator": "\n\n", "chunk_size": 128, "config_type": "chunking", "chunk_overlap": 10, "implementation": "character_text_splitter", "is_separator_regex": false}"#,
        ),
        (
            "ai.chunking_recursive_character_text_splitter(separators => array['x'])",
            r#"{"chunk_size": 800, "separators": ["x"], "config_type": "chunking", "chunk_overlap": 400, "implementation": "recursive_character_text_splitter", "is_separator_regex": false}"#,
        ),
        (
            "ai.loading_column('body')",
            r#"{"retries": 6, "column_name": "body", "config_type": "loading", "implementation": "column"}"#,
        ),
        (
            "ai.loading_column('body', retries => null)",
            r#"{"retries": null, "column_name": "body", "config_type": "loading", "implementation": "column"}"#,
        ),
        (
            "ai.loading_uri('url', 2, 'arn:aws:iam::1:role/r')",
            r#"{"retries": 2, "column_name": "url", "config_type": "loading", "aws_role_arn": "arn:aws:iam::1:role/r", "implementation": "uri"}"#,
        ),
        ("ai.parsing_auto()", r#"{"config_type": "parsing", "implementation": "auto"}"#),
        ("ai.parsing_docling()", r#"{"config_type": "parsing", "implementation": "docling"}"#),
        (
            "ai.destination_table(target_table => 't')",
            r#"{"config_type": "destination", "target_table": "t", "implementation": "table"}"#,
        ),
        (
            "ai.destination_column('emb')",
            r#"{"config_type": "destination", "implementation": "column", "embedding_column": "emb"}"#,
        ),
        (
            "ai.embedding_sentence_transformers()",
            r#"{"model": "nomic-ai/nomic-embed-text-v1.5", "dimensions": 768, "config_type": "embedding", "implementation": "sentence_transformers"}"#,
        ),
        (
            "ai.embedding_litellm('cohere/embed-english-v3.0', 1024, api_key_name => 'COHERE_API_KEY')",
            r#"{"model": "cohere/embed-english-v3.0", "dimensions": 1024, "config_type": "embedding", "api_key_name": "COHERE_API_KEY", "implementation": "litellm"}"#,
        ),
        (
            "ai.processing_default(batch_size => 10)",
            r#"{"batch_size": 10, "config_type": "processing", "implementation": "default"}"#,
        ),
        (
            "ai.scheduling_timescaledb()",
            r#"{"config_type": "scheduling", "implementation": "timescaledb", "schedule_interval": "00:05:00"}"#,
        ),
    ] {
        assert_eq!(db.q(&format!("select {sql}::text")).await, want, "{sql}");
    }
    assert_eq!(db.err("select ai.loading_column()").await, "function ai.loading_column() does not exist");
    assert_eq!(
        db.err("select ai.embedding_voyageai('m', 4, input_type => 'foo')").await,
        "invalid input_type for voyage ai \"foo\""
    );
}

#[tokio::test]
async fn validators_say_what_is_wrong_in_pgais_words() {
    let db = db("api_validators").await;
    db.q("create table thing (id int primary key, color text, weight float8, body text, document bytea)").await;
    for (sql, want) in [
        ("ai._validate_loading(ai.loading_column('column_does_not_exist'), 'public', 'thing')", "column_name in config does not exist in the table: column_does_not_exist"),
        ("ai._validate_loading(ai.loading_column('weight'), 'public', 'thing')", "column_name weight in config is of invalid type float8. Supported types are: text, varchar, char, bpchar, bytea"),
        ("ai._validate_loading(ai.loading_uri('document'), 'public', 'thing')", "the type of the column `document` in config is not compatible with `uri` loading implementation (type should be either text, varchar, char, bpchar, or bytea)"),
        ("ai._validate_loading(ai.scheduling_none(), 'public', 'thing')", "invalid config_type for loading config"),
        ("ai._validate_loading(ai.loading_column('body', -1), 'public', 'thing')", "invalid loading config, retries must be a non-negative integer"),
        ("ai._validate_loading(ai.loading_uri('body', aws_role_arn => 'nope'), 'public', 'thing')", "invalid loading config, aws_role_arn must match arn:aws:iam::*:role/*"),
        ("ai._validate_parsing(ai.parsing_docling(), ai.loading_column('body'), 'public', 'thing')", "parsing_docling must be used with a bytea column"),
        ("ai._validate_parsing(ai.parsing_pymupdf(), ai.loading_column('color'), 'public', 'thing')", "parsing_pymupdf must be used with a bytea column"),
        ("ai._validate_parsing(ai.parsing_none(), ai.loading_column('document'), 'public', 'thing')", "cannot use parsing_none with bytea columns"),
        ("ai._validate_destination(ai.destination_column('e'), ai.chunking_character_text_splitter())", "chunking must be none for column destination"),
        ("ai._validate_destination(ai.chunking_none(), ai.chunking_none())", "invalid config_type for destination config"),
        ("ai._validate_chunking(ai.scheduling_none())", "invalid config_type for chunking config"),
        ("ai._validate_chunking(ai.chunking_character_text_splitter(100, 100))", "chunk_overlap must be at least 0 and less than chunk_size (got chunk_overlap 100, chunk_size 100)"),
        ("ai._validate_chunking(ai.chunking_recursive_character_text_splitter(separators => array['(?=x)'], is_separator_regex => true))", "separator '(?=x)' is not a valid regular expression: lookaround and backreferences are not supported"),
        ("ai._validate_embedding(ai.chunking_none())", "invalid config_type for embedding config"),
        ("ai._validate_embedding('{\"config_type\": \"embedding\"}')", "embedding implementation not specified"),
        ("ai._validate_embedding('{\"config_type\": \"embedding\", \"implementation\": \"bob\"}')", "invalid embedding implementation: \"bob\""),
        ("ai._validate_embedding(ai.embedding_openai('text-embedding-3-small', 2048))", "model 'text-embedding-3-small' returns at most 1536 dimensions, but the embedding config asks for 2048"),
        ("ai._validate_formatting(ai.formatting_python_template('no chunk'), 'public', 'thing')", "template must contain $chunk placeholder"),
        ("ai._validate_formatting(ai.formatting_python_template('$chunk $nope'), 'public', 'thing')", "formatting template refers to $nope, which is not a column of public.thing"),
        ("ai._validate_formatting(ai.chunking_none(), 'public', 'thing')", "invalid config_type for formatting config"),
        ("ai._validate_processing(ai.processing_default(batch_size => 2049))", "batch_size must be less than or equal to 2048"),
        ("ai._validate_processing(ai.processing_default(batch_size => 0))", "batch_size must be greater than 0"),
        ("ai._validate_processing(ai.processing_default(concurrency => 51))", "concurrency must be less than or equal to 50"),
        ("ai._validate_processing('{\"config_type\": \"processing\"}')", "processing implementation not specified"),
        ("ai._validate_processing('{\"config_type\": \"processing\", \"implementation\": \"grandfather clock\"}')", "unrecognized processing implementation: \"grandfather clock\""),
        ("ai._validate_scheduling('{\"config_type\": \"scheduling\", \"implementation\": \"grandfather clock\"}')", "unrecognized scheduling implementation: \"grandfather clock\""),
        ("ai._validate_indexing(ai.indexing_hnsw(opclass => 'x'))", "invalid opclass"),
        ("ai._validate_indexing(ai.indexing_diskann(storage_layout => 'x'))", "invalid storage_layout"),
        ("ai._validate_indexing(ai.indexing_hnsw(m => 1))", "m must be between 2 and 100 (got 1)"),
    ] {
        assert_eq!(db.err(&format!("select {sql}")).await, want, "{sql}");
    }
    // what passes
    for sql in [
        "ai._validate_parsing(ai.parsing_docling(), ai.loading_column('no_such_column'), 'public', 'thing')",
        "ai._validate_parsing(ai.parsing_none(), ai.loading_uri('body'), 'public', 'thing')",
        "ai._validate_destination(ai.destination_column('e'), ai.chunking_none())",
        "ai._validate_loading(ai.loading_column('document'), 'public', 'thing')",
    ] {
        db.q(&format!("select {sql}")).await;
    }
    db.q("create table chunky (id int primary key, chunk text)").await;
    assert_eq!(
        db.err("select ai._validate_formatting(ai.formatting_python_template(), 'public', 'chunky')").await,
        "formatting_python_template may not be used when source table has a column named \"chunk\""
    );
}

#[tokio::test]
async fn create_vectorizer_checks_in_pgais_order() {
    let db = db("api_create_checks").await;
    db.q("create table blog (id int primary key, body text, doc bytea); create table nokey (body text)").await;
    for (sql, want) in [
        ("select ai.create_vectorizer('blog'::regclass, loading => ai.loading_column('body'))".to_string(), "embedding configuration is required"),
        (format!("select ai.create_vectorizer('blog'::regclass, embedding => {EMBED})"), "loading configuration is required"),
        (format!("select ai.create_vectorizer('nokey'::regclass, loading => ai.loading_column('body'), embedding => {EMBED})"), "source table must have a primary key constraint"),
        (format!("select ai.create_vectorizer('blog'::regclass, loading => ai.loading_column('doc'), parsing => ai.parsing_none(), embedding => {EMBED}, {QUIET})"), "cannot use parsing_none with bytea columns"),
        (format!("select ai.create_vectorizer('blog'::regclass, loading => ai.loading_column('body'), embedding => {EMBED}, destination => ai.destination_column('e'), {QUIET})"), "chunking must be none for column destination"),
        (format!("select ai.create_vectorizer('blog'::regclass, loading => ai.loading_column('body'), embedding => {EMBED}, scheduling => ai.scheduling_none(), indexing => ai.indexing_hnsw())"), "automatic indexing is not supported without scheduling. set indexing=>ai.indexing_none() when scheduling=>ai.scheduling_none()"),
        (format!("select ai.create_vectorizer('blog'::regclass, name => 'Bad Name', loading => ai.loading_column('body'), embedding => {EMBED}, {QUIET})"), "invalid vectorizer name 'Bad Name': a name is lower-case letters, digits and underscores, starting with a letter (63 bytes at most)"),
        (format!("select ai.create_vectorizer('blog'::regclass, loading => ai.loading_column('body'), embedding => {EMBED}, scheduling => ai.scheduling_timescaledb())"), "ai extension not found but it is needed for timescaledb scheduling."),
    ] {
        assert_eq!(db.err(&sql).await, want, "{sql}");
    }
    // nothing was left behind by the refusals
    assert_eq!(db.q("select count(*) from ai.vectorizer").await, "0");
    assert_eq!(
        db.q("select count(*) from pg_class where relname like '%blog_embedding%' or relname like '_vectorizer_q%'")
            .await,
        "0"
    );
    // another role may not vectorize the owner's table
    let greg = role("api_greg").await;
    db.q(&format!("select ai.grant_vectorizer_usage('{greg}'); grant select on blog to \"{greg}\"")).await;
    assert_eq!(
        db.err_as(&greg, &format!("select ai.create_vectorizer('blog'::regclass, loading => ai.loading_column('body'), embedding => {EMBED}, {QUIET})")).await,
        "only a superuser or the owner of the source table may create a vectorizer on it"
    );
}

#[tokio::test]
async fn a_table_destination_makes_pgais_objects_and_row() {
    let db = db("api_table").await;
    db.q("create schema website; create table website.blog (id int, title text, published timestamptz, body text, dropped int, primary key (title, published));
          alter table website.blog drop column dropped; insert into website.blog values (1, 'a', '2020-01-01', 'x')").await;
    let id = db.q(&format!("select ai.create_vectorizer('website.blog'::regclass, loading => ai.loading_column('body'), embedding => {EMBED}, {QUIET}, grant_to => ai.grant_to('nobody_here'))")).await;
    assert_eq!(id, "1");
    let row = db.q("select (to_jsonb(v) #- '{config,version}')::text from ai.vectorizer v").await;
    let row: serde_json::Value = serde_json::from_str(&row).unwrap();
    assert_eq!(row["name"], "website_blog_embedding_store");
    assert_eq!(row["queue_schema"], "ai");
    assert_eq!(row["queue_table"], "_vectorizer_q_1");
    assert_eq!(row["queue_failed_table"], "_vectorizer_q_failed_1");
    assert_eq!(row["trigger_name"], "_vectorizer_src_trg_1");
    assert_eq!(row["disabled"], false);
    assert_eq!(
        row["source_pk"],
        serde_json::json!([{"pknum": 1, "attnum": 2, "attname": "title", "typname": "text"}, {"pknum": 2, "attnum": 3, "attname": "published", "typname": "timestamp with time zone"}])
    );
    assert_eq!(
        row["config"]["destination"],
        serde_json::json!({"implementation": "table", "config_type": "destination", "target_schema": "website", "target_table": "blog_embedding_store", "view_schema": "website", "view_name": "blog_embedding"})
    );
    assert_eq!(row["config"]["parsing"], serde_json::json!({"implementation": "auto", "config_type": "parsing"}));
    let keys: Vec<&String> = row.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 11, "{keys:?}");
    // the objects, shaped as pgai's
    assert_eq!(
        db.q("select string_agg(attname || ' ' || format_type(atttypid, atttypmod) || case when attnotnull then ' not null' else '' end, ', ' order by attnum) from pg_attribute where attrelid = 'website.blog_embedding_store'::regclass and attnum > 0").await,
        "embedding_uuid uuid not null, title text not null, published timestamp with time zone not null, chunk_seq integer not null, chunk text not null, embedding vector(768) not null"
    );
    assert_eq!(db.q("select attstorage from pg_attribute where attrelid = 'website.blog_embedding_store'::regclass and attname = 'embedding'").await, "m");
    assert_eq!(
        db.q("select string_agg(conname, ',' order by conname) from pg_constraint where conrelid = 'website.blog_embedding_store'::regclass and contype in ('p', 'u', 'f')").await,
        "blog_embedding_store_pkey,blog_embedding_store_title_published_chunk_seq_key"
    );
    assert_eq!(
        db.q("select string_agg(attname || ' ' || format_type(atttypid, atttypmod) || case when attnotnull then ' not null' else '' end || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), ''), ', ' order by attnum) from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum where attrelid = 'ai._vectorizer_q_1'::regclass and attnum > 0").await,
        "title text not null, published timestamp with time zone not null, queued_at timestamp with time zone not null default now(), loading_retries integer not null default 0, loading_retry_after timestamp with time zone"
    );
    assert_eq!(db.q("select string_agg(indexrelid::regclass::text, ',') from pg_index where indrelid = 'ai._vectorizer_q_1'::regclass").await, "ai._vectorizer_q_1_title_published_idx");
    assert_eq!(
        db.q("select string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' order by attnum) from pg_attribute where attrelid = 'ai._vectorizer_q_failed_1'::regclass and attnum > 0").await,
        "title text, published timestamp with time zone, created_at timestamp with time zone, failure_step text"
    );
    assert_eq!(
        db.q("select pg_get_viewdef('website.blog_embedding'::regclass)").await.split_whitespace().collect::<Vec<_>>().join(" "),
        "SELECT t.embedding_uuid, t.chunk_seq, t.chunk, t.embedding, s.id, t.title, t.published, s.body FROM (website.blog_embedding_store t LEFT JOIN website.blog s ON (((t.title = s.title) AND (t.published = s.published))));"
    );
    assert_eq!(
        db.q("select string_agg(tgname || ':' || pg_get_triggerdef(oid), ' | ' order by tgname) from pg_trigger where tgrelid = 'website.blog'::regclass").await,
        "_vectorizer_src_trg_1:CREATE TRIGGER _vectorizer_src_trg_1 AFTER INSERT OR DELETE OR UPDATE ON website.blog FOR EACH ROW EXECUTE FUNCTION ai._vectorizer_src_trg_1() | \
         _vectorizer_src_trg_1_truncate:CREATE TRIGGER _vectorizer_src_trg_1_truncate AFTER TRUNCATE ON website.blog FOR EACH STATEMENT EXECUTE FUNCTION ai._vectorizer_src_trg_1()"
    );
    assert_eq!(
        db.q("select format('%s %s %s %s', prosecdef, proparallel, provolatile, proacl) from pg_proc where oid = 'ai._vectorizer_src_trg_1()'::regprocedure").await,
        format!("t s v {{{}=X/{}}}", db.owner, db.owner)
    );
    assert_eq!(db.q("select ai.vectorizer_queue_pending(1)").await, "1");
    // the status view, with name, embedding column and disabled
    assert_eq!(
        db.q("select format('%s|%s|%s|%s|%s|%s|%s|%s', id, name, source_table, target_table, view, embedding_column, pending_items, disabled) from ai.vectorizer_status").await,
        "1|website_blog_embedding_store|website.blog|website.blog_embedding_store|website.blog_embedding|embedding|1|f"
    );
}

#[tokio::test]
async fn names_default_and_collide_as_in_pgai() {
    let db = db("api_names").await;
    db.q("create schema website; create table website.blog (id int primary key, body text)").await;
    let make = |extra: &str| {
        format!("select ai.create_vectorizer('website.blog'::regclass, loading => ai.loading_column('body'), embedding => {EMBED}, {QUIET}{extra})")
    };
    assert_eq!(
        db.q(&make(", destination => ai.destination_column('embedding1'), chunking => ai.chunking_none()")).await,
        "1"
    );
    assert_eq!(db.q("select name from ai.vectorizer where id = 1").await, "website_blog_embedding1");
    assert_eq!(db.q(&make(", name => 'blog_vectorizer'")).await, "2");
    assert_eq!(db.q(&make(", name => 'blog_vectorizer', if_not_exists => true")).await, "2", "the existing one");
    assert_eq!(
        db.err(&make(", name => 'blog_vectorizer'")).await,
        "a vectorizer named blog_vectorizer already exists."
    );
    // the same destination again: pgai's collision messages
    assert_eq!(
        db.err(&make(", name => 'other'")).await,
        "an object named website.blog_embedding already exists. specify an alternate destination or view_name explicitly"
    );
    assert_eq!(
        db.err(&make(", name => 'other', destination => ai.destination_table(view_name => 'v2')")).await,
        "an object named website.blog_embedding_store already exists. specify an alternate destination or target_table explicitly"
    );
    assert_eq!(
        db.err(&make(", name => 'other', queue_table => '_vectorizer_q_2'")).await,
        "an object named ai._vectorizer_q_2 already exists. specify an alternate queue_table explicitly"
    );
    let id = db.q(&make(", destination => ai.destination_table(destination => 'fernando')")).await;
    assert_eq!(
        db.q(&format!("select format('%s %s %s', name, config->'destination'->>'target_table', config->'destination'->>'view_name') from ai.vectorizer where id = {id}")).await,
        "website_fernando_store fernando_store fernando"
    );
    // by name: pending, status, disable and enable, drop; an unknown name is no error
    assert_eq!(db.q("select ai.vectorizer_queue_pending('blog_vectorizer')").await, "0");
    assert_eq!(db.q("select coalesce(ai.vectorizer_queue_pending('nope')::text, 'null')").await, "null");
    db.q("select ai.disable_vectorizer_schedule('blog_vectorizer')").await;
    assert_eq!(db.q("select disabled from ai.vectorizer_status where name = 'blog_vectorizer'").await, "t");
    db.q("select ai.enable_vectorizer_schedule('blog_vectorizer')").await;
    assert_eq!(db.q("select disabled from ai.vectorizer where name = 'blog_vectorizer'").await, "f");
    db.q("select ai.disable_vectorizer_schedule('website.blog_embedding_store'); select ai.drop_vectorizer('no such name', drop_all => true)").await;
    assert_eq!(db.err("select ai.drop_vectorizer(999)").await, "query returned no rows");
    db.q("insert into ai._vectorizer_errors (id, message) values (2, 'boom')").await;
    assert_eq!(db.q("select name from ai.vectorizer_errors where message = 'boom'").await, "blog_vectorizer");
    db.q("select ai.drop_vectorizer('blog_vectorizer', drop_all => true)").await;
    assert_eq!(db.q("select count(*) from ai.vectorizer where name = 'blog_vectorizer'").await, "0");
    assert_eq!(db.q("select count(*) from ai._vectorizer_errors").await, "0", "its errors went with it");
}

#[tokio::test]
async fn a_column_destination_adds_a_vector_column_and_keeps_it_on_drop() {
    let db = db("api_column").await;
    db.q("create table notes (id int primary key, body text); insert into notes values (1, 'a'), (2, 'b')").await;
    let sql = format!("select ai.create_vectorizer('notes'::regclass, loading => ai.loading_column('body'), embedding => {EMBED}, destination => ai.destination_column('body_embedding'), chunking => ai.chunking_none(), {QUIET})");
    assert_eq!(db.q(&sql).await, "1");
    assert_eq!(db.q("select format_type(atttypid, atttypmod) || ' ' || attstorage::text from pg_attribute where attrelid = 'notes'::regclass and attname = 'body_embedding'").await, "vector(768) m");
    assert_eq!(
        db.q("select format('%s|%s|%s', target_table, view, embedding_column) from ai.vectorizer_status").await,
        "||body_embedding"
    );
    assert_eq!(db.q("select ai.vectorizer_queue_pending(1)").await, "2");
    // an existing column of another type cannot hold the embeddings
    db.q("alter table notes add column other int").await;
    assert_eq!(
        db.err(&format!("select ai.create_vectorizer('notes'::regclass, loading => ai.loading_column('body'), embedding => {EMBED}, destination => ai.destination_column('other'), chunking => ai.chunking_none(), {QUIET})")).await,
        "column other of public.notes is of type integer, not vector(768): it cannot hold the embeddings"
    );
    db.q("select ai.drop_vectorizer(1, drop_all => true)").await;
    assert_eq!(
        db.q("select count(*) from pg_attribute where attrelid = 'notes'::regclass and attname = 'body_embedding'")
            .await,
        "1"
    );
    assert_eq!(db.q("select count(*) from pg_trigger where tgrelid = 'notes'::regclass").await, "0");
    assert_eq!(db.q("select count(*) from pg_class where relname like '_vectorizer_q%'").await, "0");
}

#[tokio::test]
async fn identifiers_from_callers_are_quoted() {
    let db = db("api_quote").await;
    db.q(r#"create schema "we ird"; create table "we ird"."Ta""ble" ("I d" int primary key, "bo;dy" text); insert into "we ird"."Ta""ble" values (1, 'x')"#).await;
    let sql = format!(
        r#"select ai.create_vectorizer('"we ird"."Ta""ble"'::regclass, name => 'weird', loading => ai.loading_column('bo;dy'), embedding => {EMBED}, {QUIET},
            destination => ai.destination_table(target_table => 'x"; drop table canary; --', view_name => 'v; drop table canary'))"#
    );
    db.q("create table canary (x int)").await;
    assert_eq!(db.q(&sql).await, "1");
    assert_eq!(db.q("select to_regclass('canary') is not null").await, "t", "an injection went through");
    assert_eq!(db.q(r#"select count(*) from "we ird"."x""; drop table canary; --""#).await, "0");
    assert_eq!(db.q("select ai.vectorizer_queue_pending('weird')").await, "1");
    db.q(r#"update "we ird"."Ta""ble" set "bo;dy" = 'y'"#).await;
    assert_eq!(db.q("select ai.vectorizer_queue_pending('weird')").await, "2");
}

#[tokio::test]
async fn grant_vectorizer_usage_lets_a_role_create_and_watch_vectorizers() {
    let db = db("api_grant").await;
    let jill = role("api_jill").await;
    db.q(&format!("select ai.grant_vectorizer_usage('{jill}')")).await;
    db.superuser(&format!("grant create on schema public to \"{jill}\"")).await;
    let id = db
        .q_as(&jill, &format!("create table mine (id int primary key, body text); select ai.create_vectorizer('mine'::regclass, loading => ai.loading_column('body'), embedding => {EMBED}, {QUIET})"))
        .await;
    assert_eq!(id, "1");
    assert_eq!(db.q_as(&jill, "select pending_items from ai.vectorizer_status").await, "0");
    assert_eq!(db.q_as(&jill, "select count(*) from ai.vectorizer_errors").await, "0");
    // without the grant
    let bob = role("api_bob").await;
    assert_eq!(db.err_as(&bob, "select count(*) from ai.vectorizer").await, "permission denied for schema ai");
    // admin: everything on the catalog, the bookkeeping included
    let admin = role("api_admin").await;
    db.q(&format!("select ai.grant_vectorizer_usage('{admin}', admin => true)")).await;
    assert_eq!(
        db.q_as(&admin, "select count(*) from ai.pgai_lib_migration").await,
        pgai::install::script::MIGRATIONS.len().to_string()
    );
    assert_eq!(
        db.err_as(&jill, "select count(*) from ai.pgai_lib_migration").await,
        "permission denied for table pgai_lib_migration"
    );
}

#[tokio::test]
async fn workers_report_progress_and_heartbeats() {
    let db = db("api_tracking").await;
    db.q(&format!("create table t (id int primary key, body text); select ai.create_vectorizer('t'::regclass, loading => ai.loading_column('body'), embedding => {EMBED})")).await;
    let worker = db.q("select ai._worker_start('0.1.1', interval '2 seconds')").await;
    db.q(&format!(
        "select ai._worker_heartbeat('{worker}', 3, 0, null); select ai._worker_heartbeat('{worker}', 1, 2, 'boom')"
    ))
    .await;
    assert_eq!(
        db.q(&format!("select format('%s %s %s %s %s', heartbeat_count, success_count, error_count, last_error_message, last_error_at = last_heartbeat) from ai.vectorizer_worker_process where id = '{worker}'")).await,
        "2 4 2 boom t"
    );
    db.q(&format!(
        "select ai._worker_progress('{worker}', 1, 5, null); select ai._worker_progress('{worker}', 1, 0, 'bad batch')"
    ))
    .await;
    assert_eq!(
        db.q(&format!("select format('%s %s %s %s %s', success_count, error_count, last_error_message, last_success_process_id = '{worker}', last_error_process_id = '{worker}') from ai.vectorizer_worker_progress where vectorizer_id = 1")).await,
        "5 1 bad batch t t"
    );
}

#[tokio::test]
async fn the_settings_pick_the_defaults() {
    let db = db("api_defaults").await;
    assert_eq!(db.q("set ai.scheduling_default = 'scheduling_timescaledb'; select ai._resolve_scheduling_default()->>'implementation'").await, "timescaledb");
    assert_eq!(
        db.q("set ai.scheduling_default = 'garbage'; select ai._resolve_scheduling_default()->>'implementation'").await,
        "none"
    );
    assert_eq!(
        db.q("set ai.indexing_default = 'indexing_hnsw'; select ai._resolve_indexing_default()->>'implementation'")
            .await,
        "hnsw"
    );
    assert_eq!(db.q("set ai.grant_to_default = ' a , b'; select ai.grant_to('c')::text").await, "{a,b,c}");
    // an unset default scheduling resolves to none, and so must indexing
    db.q(&format!("create table t (id int primary key, body text); select ai.create_vectorizer('t'::regclass, loading => ai.loading_column('body'), embedding => {EMBED})")).await;
    assert_eq!(db.q("select config->'scheduling'->>'implementation' || ' ' || (config->'indexing'->>'implementation') from ai.vectorizer").await, "none none");
    assert_eq!(db.q("select config->>'version' from ai.vectorizer").await, "0.12.1");
}

#[tokio::test]
async fn set_scheduling_and_execute_by_name() {
    let db = db("api_sched").await;
    db.q(&format!("create table t (id int primary key, body text); select ai.create_vectorizer('t'::regclass, name => 't_vec', loading => ai.loading_column('body'), embedding => {EMBED}, {QUIET})")).await;
    assert_eq!(
        db.err("select ai.set_scheduling(1, ai.scheduling_none(), ai.indexing_hnsw())").await,
        "automatic indexing is not supported without scheduling. set indexing=>ai.indexing_none() when scheduling=>ai.scheduling_none()"
    );
    assert_eq!(
        db.err("select ai.set_scheduling(1, ai.scheduling_timescaledb(), ai.indexing_none())").await,
        "ai extension not found but it is needed for timescaledb scheduling."
    );
    let config = db.q("select ai.set_scheduling(1, '{\"implementation\": \"worker\", \"config_type\": \"scheduling\"}', ai.indexing_hnsw(min_rows => 10))::text").await;
    assert!(
        config.contains(r#""scheduling": {"config_type": "scheduling", "implementation": "worker"}"#)
            && config.contains(r#""min_rows": 10"#),
        "{config}"
    );
    assert_eq!(db.q("select config->'indexing'->>'implementation' from ai.vectorizer").await, "hnsw");
    assert_eq!(db.err("select ai.set_scheduling(99)").await, "query returned no rows");
    // without the extension nothing can signal an executor
    assert_eq!(
        db.err("select ai.execute_vectorizer('t_vec')").await,
        "ai.execute_vectorizer signals the executor through the ai extension, which is not installed in this database"
    );
    assert_eq!(db.err("select ai.execute_vectorizer('nope')").await, "query returned no rows");
    assert_eq!(
        db.err("select ai.vectorizer_embed('t_vec', 'hello')").await,
        "ai.vectorizer_embed calls the model through the ai extension, which is not installed in this database"
    );
}
