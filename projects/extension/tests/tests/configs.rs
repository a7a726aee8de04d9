//! The configuration functions: the jsonb they return (golden) and the values they reject.

mod common;

use anyhow::Result;
use common::*;
use testkit::PgCluster;

async fn db_with_ai(prefix: &str) -> Result<String> {
    let pg = PgCluster::shared();
    let db = pg.create_db(prefix).await?;
    psql_ok(pg, &db, "create extension ai cascade")?;
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
async fn bad_config_values_are_rejected_with_the_parameter_and_range() -> Result<()> {
    let pg = PgCluster::shared();
    let db = db_with_ai("badconfigs").await?;
    let cases = [
        ("ai.chunking_character_text_splitter('body', chunk_size => 0)", "chunk_size must be greater than 0"),
        ("ai.chunking_character_text_splitter('body', chunk_size => 10, chunk_overlap => 10)", "chunk_overlap must be at least 0 and less than chunk_size"),
        ("ai.chunking_recursive_character_text_splitter('body', chunk_overlap => -1)", "chunk_overlap must be at least 0"),
        ("ai.chunking_character_text_splitter(null)", "chunk_column"),
        ("ai.chunking_character_text_splitter('body', separator => '(', is_separator_regex => true)", "not a valid regular expression"),
        ("ai.chunking_recursive_character_text_splitter('body', separators => array['[a-'], is_separator_regex => true)", "not a valid regular expression"),
        ("ai.embedding_openai('m', 0)", "dimensions must be between 1 and 16000"),
        ("ai.embedding_openai('m', null)", "dimensions must be between 1 and 16000"),
        ("ai.embedding_openai(null, 10)", "model is required"),
        ("ai.embedding_openai('m', 10, api_key_name => 'x; drop table y')", "api_key_name"),
        ("ai.embedding_ollama('m', 10, options => '[1]')", "options must be a json object"),
        ("ai.embedding_voyageai('m', 10, input_type => 'other')", "input_type must be"),
        ("ai.indexing_hnsw(opclass => 'nope')", "opclass must be one of"),
        ("ai.indexing_hnsw(m => 1)", "m must be between 2 and 100"),
        ("ai.indexing_hnsw(ef_construction => 2000)", "ef_construction must be between 4 and 1000"),
        ("ai.indexing_hnsw(m => 40, ef_construction => 50)", "at least twice m"),
        ("ai.indexing_hnsw(min_rows => -1)", "min_rows must be 0 or more"),
        ("ai.indexing_diskann(storage_layout => 'x')", "storage_layout must be"),
        ("ai.indexing_diskann(num_bits_per_dimension => 9)", "num_bits_per_dimension must be between 1 and 8"),
        ("ai.indexing_diskann(max_alpha => 0.5)", "max_alpha must be 1.0 or more"),
        ("ai.scheduling_timescaledb(interval '0')", "schedule_interval must be a positive interval"),
        ("ai.processing_default(batch_size => 0)", "batch_size must be between 1 and 2048"),
        ("ai.processing_default(batch_size => 5000)", "batch_size must be between 1 and 2048"),
        ("ai.processing_default(concurrency => 51)", "concurrency must be between 1 and 50"),
    ];
    for (call, expected) in cases {
        let out = psql(pg, &db, "postgres", &format!("select {call}"))?;
        assert!(!out.ok, "{call} should fail");
        assert!(out.stderr.contains(expected), "{call}: expected {expected:?} in {:?}", out.stderr);
    }
    Ok(())
}

#[tokio::test]
async fn template_placeholders_follow_python_string_template() -> Result<()> {
    let pg = PgCluster::shared();
    let db = db_with_ai("templates").await?;
    let q =
        |t: &str| psql(pg, &db, "postgres", &format!("select ai_extra._python_template_placeholders({})", sql_literal(t)));
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
