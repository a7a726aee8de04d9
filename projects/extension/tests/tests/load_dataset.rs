//! ai.load_dataset against a local server that speaks the Hub's API, serving Parquet files
//! written by the test.

mod common;

use anyhow::Result;
use common::hub::hub;
use common::*;
use testkit::PgCluster;

#[tokio::test]
async fn loads_every_split_with_types_and_values() -> Result<()> {
    let pg = PgCluster::shared();
    let db = pg.create_db("dataset").await?;
    let h = hub();
    testkit::evidence::secret("hf_token_123");
    let set = format!("set ai.hf_endpoint = '{}'; set ai.huggingface_api_key = 'hf_token_123';", h.url());
    psql_ok(pg, &db, "create extension ai cascade")?;
    assert_eq!(psql_ok(pg, &db, &format!("{set} select ai.load_dataset('test/mini')"))?, "5");
    assert_eq!(h.last_request().unwrap().header("authorization"), Some("Bearer hf_token_123"));
    let types = psql_ok(pg, &db, "select string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' order by attnum) from pg_attribute where attrelid = 'public.mini'::regclass and attnum > 0")?;
    assert_eq!(
        types,
        "id bigint, title text, score double precision, flag boolean, tags integer[], meta jsonb, blob bytea"
    );
    let rows = psql_ok(pg, &db, "select string_agg(concat_ws('|', id, title, score, flag, tags, meta->>'lang', encode(blob, 'hex')), E'\\n' order by id) from mini")?;
    assert_eq!(rows, "1|héllo|0.5|f|{1,2}|fr|dead01\n2|1|t|{}|dead02\n3|three|1.5|f|en|dead03\n10|t1|5|t|{7}|dead0a\n11|t2|5.5|f|dead0b");

    // one split into a named table, in batches, with a type override
    assert_eq!(psql_ok(pg, &db, &format!("{set} select ai.load_dataset('test/mini', split => 'train', table_name => 'Mini Train', batch_size => 2, max_batches => 1, field_types => '{{\"score\": \"numeric\"}}')"))?, "2");
    assert_eq!(psql_ok(pg, &db, "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = '\"Mini Train\"'::regclass and attname = 'score'")?, "numeric");
    assert_eq!(psql_ok(pg, &db, &format!("{set} select ai.load_dataset('test/mini', config_name => 'other', schema_name => 'public', table_name => 'o')"))?, "2");

    // if_table_exists
    psql_err(pg, &db, "postgres", &format!("{set} select ai.load_dataset('test/mini')"), "already exists")?;
    assert_eq!(
        psql_ok(
            pg,
            &db,
            &format!(
                "{set} select ai.load_dataset('test/mini', if_table_exists => 'append'); select count(*) from mini"
            )
        )?,
        "5\n10"
    );
    assert_eq!(
        psql_ok(
            pg,
            &db,
            &format!("{set} select ai.load_dataset('test/mini', if_table_exists => 'drop'); select count(*) from mini")
        )?,
        "5\n5"
    );
    psql_ok(pg, &db, "create table wrong(a int)")?;
    psql_err(
        pg,
        &db,
        "postgres",
        &format!("{set} select ai.load_dataset('test/mini', table_name => 'wrong', if_table_exists => 'append')"),
        "schema mismatch",
    )?;
    psql_err(
        pg,
        &db,
        "postgres",
        &format!("{set} select ai.load_dataset('test/mini', if_table_exists => 'replace')"),
        "must be 'error', 'append' or 'drop'",
    )?;
    Ok(())
}

#[tokio::test]
async fn bad_input_is_a_clear_error_and_loads_nothing() -> Result<()> {
    let pg = PgCluster::shared();
    let db = pg.create_db("dataset_bad").await?;
    let h = hub();
    let set = format!("set ai.hf_endpoint = '{}';", h.url());
    psql_ok(pg, &db, "create extension ai cascade")?;
    psql_err(pg, &db, "postgres", &format!("{set} select ai.load_dataset('test/nope')"), "was not found")?;
    psql_err(
        pg,
        &db,
        "postgres",
        &format!("{set} select ai.load_dataset('test/mini', config_name => 'x')"),
        "no config \"x\"",
    )?;
    psql_err(
        pg,
        &db,
        "postgres",
        &format!("{set} select ai.load_dataset('test/mini', split => 'dev')"),
        "no split \"dev\"",
    )?;
    psql_err(
        pg,
        &db,
        "postgres",
        &format!("{set} select ai.load_dataset('test/mini', field_types => '{{\"score\": \"no_such_type\"}}')"),
        "not a known type",
    )?;
    psql_err(
        pg,
        &db,
        "postgres",
        "set ai.hf_endpoint = 'http://127.0.0.1:9'; select ai.load_dataset('test/mini')",
        "huggingface",
    )?;
    // a corrupt second file: the statement fails and the table is not left half-loaded
    psql_err(
        pg,
        &db,
        "postgres",
        &format!("{set} select ai.load_dataset('test/broken', batch_size => 1)"),
        "not a readable Parquet file",
    )?;
    assert_eq!(psql_ok(pg, &db, "select to_regclass('broken') is null")?, "t");
    Ok(())
}

#[tokio::test]
async fn multi_txn_commits_as_it_goes_and_says_where_it_stopped() -> Result<()> {
    let pg = PgCluster::shared();
    let db = pg.create_db("dataset_txn").await?;
    let h = hub();
    // a CALL that commits must be a statement of its own (no `set ...;` in the same string)
    psql_ok(pg, &db, &format!("create extension ai cascade; alter database {db} set ai.hf_endpoint = '{}'", h.url()))?;
    let out = psql(
        pg,
        &db,
        "postgres",
        "call ai.load_dataset_multi_txn('test/mini', batch_size => 2, commit_every_n_batches => 2)",
    )?;
    assert!(out.ok, "{}", out.stderr);
    assert!(out.stderr.contains("committed batches 1 to 2 (4 rows in all)"), "{}", out.stderr);
    assert_eq!(psql_ok(pg, &db, "select count(*), count(distinct id) from mini")?, "5|5");
    // the broken dataset: the first batches stay committed and the notices say how far it got
    let out = psql(
        pg,
        &db,
        "postgres",
        "call ai.load_dataset_multi_txn('test/broken', batch_size => 1, commit_every_n_batches => 1)",
    )?;
    assert!(!out.ok && out.stderr.contains("committed batches 1 to 2 (2 rows in all)"), "{}", out.stderr);
    assert_eq!(psql_ok(pg, &db, "select count(*) from broken")?, "2");
    Ok(())
}
