//! The configuration functions: the jsonb they return (golden) and the values they reject.

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

#[tokio::test]
async fn config_objects_match_their_golden_files() -> Result<()> {
    let pg = PgCluster::shared();
    let db = db_with_ai("configs").await?;
    let calls = [
        "ai.chunking_character_text_splitter('body')",
        "ai.chunking_character_text_splitter('body', 128, 10, E'\\n', false)",
        "ai.chunking_recursive_character_text_splitter('body')",
        "ai.chunking_recursive_character_text_splitter('body', chunk_size => 500, chunk_overlap => 50, separators => array['\\n+', '\\s+'], is_separator_regex => true)",
        "ai.formatting_python_template()",
        "ai.formatting_python_template('$title: $chunk')",
        "ai.embedding_openai('text-embedding-3-small', 768)",
        "ai.embedding_openai('text-embedding-3-small', 768, chat_user => 'bob', api_key_name => 'MY_KEY', base_url => 'http://localhost:1/v1')",
        "ai.embedding_ollama('nomic-embed-text', 768)",
        "ai.embedding_ollama('nomic-embed-text', 768, base_url => 'http://ollama:11434', options => '{\"num_ctx\": 1024, \"x\": null}', keep_alive => '5m')",
        "ai.embedding_voyageai('voyage-3', 1024)",
        "ai.indexing_none()",
        "ai.indexing_default()",
        "ai.indexing_diskann()",
        "ai.indexing_diskann(min_rows => 10, storage_layout => 'plain', num_neighbors => 50, search_list_size => 100, max_alpha => 1.2, num_dimensions => 768, num_bits_per_dimension => 2, create_when_queue_empty => false)",
        "ai.indexing_hnsw()",
        "ai.indexing_hnsw(min_rows => 5, opclass => 'vector_l2_ops', m => 16, ef_construction => 64)",
        "ai.scheduling_none()",
        "ai.scheduling_default()",
        "ai.scheduling_timescaledb()",
        "ai.scheduling_timescaledb(interval '10m', '2026-01-01 00:00:00+00', true, 'UTC')",
        "ai.processing_default()",
        "ai.processing_default(batch_size => 100, concurrency => 4)",
    ];
    let mut golden = String::new();
    for call in calls {
        let json = psql_ok(pg, &db, &format!("set timezone = 'UTC'; select jsonb_pretty({call})"))?;
        golden.push_str(&format!("-- {call}\n{json}\n\n"));
    }
    insta::assert_snapshot!("config_objects", golden);
    Ok(())
}

#[tokio::test]
async fn builders_check_nothing_and_leave_out_null_arguments() -> Result<()> {
    let pg = PgCluster::shared();
    let db = db_with_ai("builders").await?;
    // as in pgai: a builder builds whatever it is given; create_vectorizer's validators check
    let cases = [
        (
            "ai.chunking_character_text_splitter('body', chunk_size => 0)",
            r#"{"separator": "\n\n", "chunk_size": 0, "chunk_column": "body", "chunk_overlap": 400, "is_separator_regex": false}"#,
        ),
        ("ai.chunking_character_text_splitter(null, null, null, null, null)", "{}"),
        ("ai.embedding_openai(null, null, api_key_name => null)", "{}"),
        (
            "ai.embedding_openai('m', 0, api_key_name => 'x; drop table y')",
            r#"{"model": "m", "dimensions": 0, "api_key_name": "x; drop table y"}"#,
        ),
        ("ai.embedding_ollama('m', 10, options => '[1]')", r#"{"model": "m", "options": [1], "dimensions": 10}"#),
        (
            "ai.embedding_voyageai('m', 10, input_type => null)",
            r#"{"model": "m", "dimensions": 10, "api_key_name": "VOYAGE_API_KEY"}"#,
        ),
        (
            "ai.indexing_hnsw(opclass => null, m => 1)",
            r#"{"m": 1, "min_rows": 100000, "create_when_queue_empty": true}"#,
        ),
        (
            "ai.indexing_diskann(storage_layout => 'x', min_rows => null)",
            r#"{"storage_layout": "x", "create_when_queue_empty": true}"#,
        ),
        ("ai.scheduling_timescaledb(null)", "{}"),
        ("ai.processing_default(batch_size => 5000)", r#"{"batch_size": 5000}"#),
        ("ai.formatting_python_template(null)", "{}"),
    ];
    for (call, expected) in cases {
        // the keys besides implementation and config_type
        let got = psql_ok(pg, &db, &format!("select ({call}) - 'implementation' - 'config_type'"))?;
        assert_eq!(got, expected, "{call}");
    }
    // pgai's one check at build time
    psql_err(
        pg,
        &db,
        "postgres",
        "select ai.embedding_voyageai('m', 10, input_type => 'other')",
        r#"invalid input_type for voyage ai "other""#,
    )?;
    Ok(())
}

#[tokio::test]
async fn validators_refuse_bad_values_with_pgais_messages_then_this_projects() -> Result<()> {
    let pg = PgCluster::shared();
    let db = db_with_ai("validators").await?;
    psql_ok(pg, &db, "create table thing (id int primary key, body text, n int, chunk_no int)")?;
    let chunking = |c: &str| format!("ai._validate_chunking({c}, 'public', 'thing')");
    let formatting = |c: &str| format!("ai._validate_formatting({c}, 'public', 'thing')");
    let cases = [
        // pgai 0.7's checks and messages (the message must start the error)
        (chunking("ai.chunking_character_text_splitter('nope')"), "chunk column in config does not exist in the table: nope"),
        (chunking("ai.chunking_character_text_splitter('n')"), "chunk column in config does not exist in the table: n"),
        (chunking("ai.scheduling_none()"), "invalid config_type for chunking config"),
        (chunking("'[1]'"), "chunking config is not a jsonb object"),
        (chunking("'{\"config_type\": \"chunking\"}'"), "invalid chunking config implementation"),
        (formatting("ai.scheduling_none()"), "invalid config_type for formatting config"),
        (formatting("'{\"config_type\": \"formatting\"}'"), "unrecognized formatting implementation"),
        (formatting("ai.formatting_python_template('$body')"), "template must contain $chunk placeholder"),
        ("ai._validate_embedding(null)".into(), "invalid config_type for embedding config"),
        ("ai._validate_embedding('{\"config_type\": \"embedding\"}')".into(), "embedding implementation not specified"),
        ("ai._validate_embedding('{\"config_type\": \"embedding\", \"implementation\": \"x\"}')".into(), r#"invalid embedding implementation: "x""#),
        ("ai._validate_indexing(ai.indexing_hnsw(opclass => 'vector_l2_ops'))".into(), "invalid opclass"),
        ("ai._validate_indexing(ai.indexing_diskann(storage_layout => 'x'))".into(), "invalid storage_layout"),
        ("ai._validate_indexing(ai.indexing_default())".into(), r#"invalid indexing implementation: "default""#),
        ("ai._validate_indexing('{\"config_type\": \"indexing\"}')".into(), "indexing implementation not specified"),
        ("ai._validate_scheduling(ai.indexing_hnsw(opclass => 'peter'))".into(), "invalid config_type for scheduling config"),
        ("ai._validate_scheduling('{\"config_type\": \"scheduling\", \"implementation\": \"x\"}')".into(), r#"unrecognized scheduling implementation: "x""#),
        ("ai._validate_processing(ai.processing_default(batch_size => 2049))".into(), "batch_size must be less than or equal to 2048"),
        ("ai._validate_processing(ai.processing_default(batch_size => 0))".into(), "batch_size must be greater than 0"),
        ("ai._validate_processing(ai.processing_default(concurrency => 51))".into(), "concurrency must be less than or equal to 50"),
        ("ai._validate_processing(ai.processing_default(concurrency => 0))".into(), "concurrency must be greater than 0"),
        ("ai._validate_processing('{\"config_type\": \"processing\", \"implementation\": \"default\", \"batch_size\": \"9\"}')".into(), "batch_size must be a number"),
        ("ai._validate_processing('{\"config_type\": \"processing\", \"implementation\": \"x\"}')".into(), r#"unrecognized processing implementation: "x""#),
        // this project's further checks, after pgai's
        (chunking("ai.chunking_character_text_splitter('body', chunk_size => 0)"), "chunk_size must be greater than 0"),
        (chunking("ai.chunking_character_text_splitter('body', chunk_size => 10, chunk_overlap => 10)"), "chunk_overlap must be at least 0 and less than chunk_size"),
        (chunking("ai.chunking_character_text_splitter('body', separator => '(', is_separator_regex => true)"), "separator '(' is not a valid regular expression"),
        (chunking("ai.chunking_recursive_character_text_splitter('body', separators => array['[a-'], is_separator_regex => true)"), "separator '[a-' is not a valid regular expression"),
        (formatting("ai.formatting_python_template('$nope $chunk')"), "formatting template refers to $nope, which is not a column of public.thing"),
        (formatting("ai.formatting_python_template('costs $5 $chunk')"), "invalid placeholder in formatting template"),
        ("ai._validate_embedding(ai.embedding_openai(null, 10))".into(), "embedding config has no model"),
        ("ai._validate_embedding(ai.embedding_sentence_transformers(engine => 'gpu'))".replace("ai.embedding_sentence", "ai_extra.embedding_sentence"), "engine must be null, 'onnx', 'candle' or 'auto'"),
        ("ai._validate_indexing(ai.indexing_hnsw(m => 1))".into(), "m must be between 2 and 100 (got 1)"),
        ("ai._validate_indexing(ai.indexing_hnsw(ef_construction => 2000))".into(), "ef_construction must be between 4 and 1000"),
        ("ai._validate_indexing(ai.indexing_hnsw(min_rows => -1))".into(), "min_rows must be 0 or more"),
        ("ai._validate_indexing(ai.indexing_diskann(num_bits_per_dimension => 9))".into(), "num_bits_per_dimension must be between 1 and 8"),
        ("ai._validate_indexing(ai.indexing_diskann(max_alpha => 0.5))".into(), "max_alpha must be 1.0 or more"),
        ("ai_extra._validate_model_dimensions(ai.embedding_openai('text-embedding-3-small', 2000))".into(), "model 'text-embedding-3-small' returns at most 1536 dimensions"),
    ];
    for (call, expected) in &cases {
        let out = psql(pg, &db, "postgres", &format!("select {call}"))?;
        let message = out.stderr.trim_start().strip_prefix("ERROR:").unwrap_or("").trim_start();
        assert!(
            !out.ok && message.starts_with(expected),
            "{call}: expected an error starting {expected:?}, got {:?}",
            out.stderr
        );
    }
    // and what pgai accepts, they accept
    for ok in [
        chunking("ai.chunking_character_text_splitter('body', 128, 10)"),
        formatting("ai.formatting_python_template('n: $n $chunk')"),
        "ai._validate_indexing(ai.indexing_hnsw(opclass => null))".into(),
        "ai._validate_indexing(ai.indexing_diskann(storage_layout => null))".into(),
        "ai._validate_processing(ai.processing_default(batch_size => 2048, concurrency => 50))".into(),
        "ai._validate_scheduling(ai.scheduling_timescaledb())".into(),
    ] {
        psql_ok(pg, &db, &format!("select {ok}"))?;
    }
    println!("{} bad configurations refused", cases.len());
    Ok(())
}

#[tokio::test]
async fn template_placeholders_follow_python_string_template() -> Result<()> {
    let pg = PgCluster::shared();
    let db = db_with_ai("templates").await?;
    let q = |t: &str| {
        psql(pg, &db, "postgres", &format!("select ai_extra._python_template_placeholders({})", sql_literal(t)))
    };
    assert_eq!(q("$chunk")?.stdout.trim(), "{chunk}");
    assert_eq!(q("${title} - $chunk $$5 $$$body")?.stdout.trim(), "{title,chunk,body}");
    assert_eq!(q("no placeholders")?.stdout.trim(), "{}");
    for bad in ["costs $5", "trailing $", "${unclosed", "${}", "$-x"] {
        let out = q(bad)?;
        assert!(!out.ok && out.stderr.contains("invalid placeholder"), "{bad}: {}", out.stderr);
    }
    Ok(())
}

#[tokio::test]
async fn grant_to_merges_the_default_setting() -> Result<()> {
    let pg = PgCluster::shared();
    let db = db_with_ai("grantto").await?;
    assert_eq!(psql_ok(pg, &db, "select ai.grant_to()")?, "{}");
    assert_eq!(psql_ok(pg, &db, "select ai.grant_to('bob', 'alice')")?, "{alice,bob}");
    assert_eq!(
        psql_ok(pg, &db, "set ai.grant_to_default = 'carol, bob'; select ai.grant_to('bob', 'alice')")?,
        "{alice,bob,carol}"
    );
    Ok(())
}
