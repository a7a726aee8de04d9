//! Installing and upgrading the extension on a real PostgreSQL.

mod common;

use ai_sqlbuild::source::Sources;
use anyhow::Result;
use common::*;
use testkit::PgCluster;

#[tokio::test]
async fn fresh_install_records_every_migration_and_has_no_vectorizer_catalog() -> Result<()> {
    let pg = PgCluster::shared();
    let db = pg.create_db("fresh").await?;
    let pool = pg.pool(&db).await?;
    sqlx::query("create extension ai cascade").execute(&pool).await?;

    let (version, lib): (String, String) =
        sqlx::query_as("select extversion, ai_extra._library_version() from pg_extension where extname = 'ai'")
            .fetch_one(&pool)
            .await?;
    let cargo =
        ai_sqlbuild::Version::from_cargo_toml(&testkit::paths::workspace_root().join("projects/extension/Cargo.toml"))?;
    assert_eq!(version, cargo.to_string(), "installed the version Cargo.toml defines");
    assert_eq!(version, lib, "SQL and library versions agree");

    let sources = Sources::load(&repo_sql_dir())?;
    let expected: Vec<String> = sources
        .incremental
        .iter()
        .filter(|f| f.feature_flag.is_none() && !sources.is_retired(f, &cargo))
        .map(|f| f.name.clone())
        .collect();
    let applied: Vec<String> =
        sqlx::query_scalar("select name from ai.migration order by name").fetch_all(&pool).await?;
    assert_eq!(applied, expected);
    let owner: String = sqlx::query_scalar("select nspowner::regrole::text from pg_namespace where nspname = 'ai'")
        .fetch_one(&pool)
        .await?;
    assert_eq!(owner, "postgres");
    let flags: i64 = sqlx::query_scalar("select count(*) from ai.feature_flag").fetch_one(&pool).await?;
    assert_eq!(flags, 0);
    // since 0.10 the vectorizer catalog is `pgai install`'s (projects/pgai/tests/install/extension.rs)
    let catalog: bool = sqlx::query_scalar("select to_regclass('ai.vectorizer') is null and to_regprocedure('ai.create_vectorizer(regclass, name, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, name, name, name, name, name, name, name[], bool)') is null")
        .fetch_one(&pool)
        .await?;
    assert!(catalog, "no vectorizer catalog in the extension");
    Ok(())
}

/// A test SQL tree with a feature-flagged idempotent function and a flagged incremental table.
fn flagged_tree(dir: &std::path::Path) -> Result<()> {
    copy_sql_tree(dir)?;
    std::fs::write(
        dir.join("idempotent/900-flagged-function.sql"),
        "--FEATURE-FLAG: test_flag\ncreate or replace function ai.flagged_fn() returns int language sql as $$select 42$$;\n",
    )?;
    std::fs::write(
        dir.join("incremental/900-flagged-table.sql"),
        "--FEATURE-FLAG: test_flag\ncreate table ai.flagged_table(id int);\n",
    )?;
    Ok(())
}

#[tokio::test]
async fn feature_flagged_code_runs_only_when_its_flag_is_on() -> Result<()> {
    let pg = PgCluster::shared();
    let tmp = tempfile::tempdir()?;
    flagged_tree(&tmp.path().join("sql"))?;
    let version = unique_version(900, 0, Some("fftest"));
    let script = build_version(&tmp.path().join("sql"), &tmp.path().join("out"), &version)?;
    assert!(std::fs::read_to_string(script)?.contains("flagged_fn"));
    let _installed = install_scripts(&tmp.path().join("out"))?;

    // flag off: the gated objects are absent and nothing is recorded
    let off = pg.create_db("ff_off").await?;
    let out = psql(pg, &off, "postgres", &format!("create extension ai version '{version}' cascade"))?;
    assert!(out.ok, "{}", out.stderr);
    assert!(!out.stderr.contains("pre-release"), "no warning without the flag: {}", out.stderr);
    assert_eq!(
        psql_ok(
            pg,
            &off,
            "select to_regprocedure('ai.flagged_fn()') is null, to_regclass('ai.flagged_table') is null"
        )?,
        "t|t"
    );
    assert_eq!(psql_ok(pg, &off, "select count(*) from ai.feature_flag")?, "0");

    // flag on: present, recorded, and a warning says pre-release software was installed
    let on = pg.create_db("ff_on").await?;
    let out = psql(
        pg,
        &on,
        "postgres",
        &format!("set ai.enable_feature_flag_test_flag = 'true'; create extension ai version '{version}' cascade"),
    )?;
    assert!(out.ok, "{}", out.stderr);
    assert!(out.stderr.contains("WARNING") && out.stderr.contains("pre-release"), "{}", out.stderr);
    assert_eq!(psql_ok(pg, &on, "select ai.flagged_fn(), to_regclass('ai.flagged_table') is not null")?, "42|t");
    assert_eq!(
        psql_ok(pg, &on, "select name, applied_at_version from ai.feature_flag")?,
        format!("test_flag|{version}")
    );
    assert_eq!(psql_ok(pg, &on, "select count(*) from ai.migration where name = '900-flagged-table.sql'")?, "1");
    Ok(())
}

#[tokio::test]
async fn a_production_build_contains_no_gated_code() -> Result<()> {
    let pg = PgCluster::shared();
    let tmp = tempfile::tempdir()?;
    flagged_tree(&tmp.path().join("sql"))?;
    let version = unique_version(901, 0, None);
    let script = std::fs::read_to_string(build_version(&tmp.path().join("sql"), &tmp.path().join("out"), &version)?)?;
    assert!(
        !script.contains("flagged_fn") && !script.contains("flagged_table") && !script.contains("enable_feature_flag")
    );
    let _installed = install_scripts(&tmp.path().join("out"))?;
    let db = pg.create_db("prod").await?;
    let out = psql(
        pg,
        &db,
        "postgres",
        &format!("set ai.enable_feature_flag_test_flag = 'true'; create extension ai version '{version}' cascade"),
    )?;
    assert!(out.ok && !out.stderr.contains("pre-release"), "{}", out.stderr);
    assert_eq!(psql_ok(pg, &db, "select to_regprocedure('ai.flagged_fn()') is null")?, "t");
    Ok(())
}

#[tokio::test]
async fn an_upgrade_applies_each_migration_once_and_refuses_a_changed_one() -> Result<()> {
    let pg = PgCluster::shared();
    let tmp = tempfile::tempdir()?;
    let sql = tmp.path().join("sql");
    let out_dir = tmp.path().join("out");
    copy_sql_tree(&sql)?;
    let counter = "create table ai.test_counter(n int);\ninsert into ai.test_counter values (1);\n";
    std::fs::write(sql.join("incremental/800-counter.sql"), counter)?;
    let v1 = unique_version(902, 0, None);
    build_version(&sql, &out_dir, &v1)?;
    std::fs::write(sql.join("incremental/801-more.sql"), "insert into ai.test_counter values (2);\n")?;
    let v2 = unique_version(902, 1, None);
    build_version(&sql, &out_dir, &v2)?;
    assert!(out_dir.join(format!("ai--{v1}--{v2}.sql")).exists(), "upgrade path from the released {v1}");
    let _installed = install_scripts(&out_dir)?;

    let db = pg.create_db("upgrade").await?;
    psql_ok(pg, &db, &format!("create extension ai version '{v1}' cascade"))?;
    psql_ok(pg, &db, &format!("alter extension ai update to '{v2}'"))?;
    assert_eq!(
        psql_ok(pg, &db, "select string_agg(n::text, ',' order by n) from ai.test_counter")?,
        "1,2",
        "800 ran once, 801 once"
    );
    assert_eq!(
        psql_ok(pg, &db, "select string_agg(name || '@' || applied_at_version, ' ' order by name) from ai.migration where name like '80%'")?,
        format!("800-counter.sql@{v1} 801-more.sql@{v2}")
    );

    // a changed body of an applied script: the upgrade fails and changes nothing
    std::fs::write(sql.join("incremental/800-counter.sql"), counter.replace("values (1)", "values (100)"))?;
    let v3 = unique_version(902, 2, None);
    build_version(&sql, &out_dir, &v3)?;
    let _installed3 = install_scripts(&out_dir)?;
    let out = psql(pg, &db, "postgres", &format!("alter extension ai update to '{v3}'"))?;
    assert!(
        !out.ok && out.stderr.contains("800-counter.sql") && out.stderr.contains("different contents"),
        "{}",
        out.stderr
    );
    assert_eq!(psql_ok(pg, &db, "select extversion from pg_extension where extname = 'ai'")?, v2);
    assert_eq!(psql_ok(pg, &db, "select string_agg(n::text, ',' order by n) from ai.test_counter")?, "1,2");
    Ok(())
}

#[tokio::test]
async fn only_the_owner_of_the_ai_schema_may_install() -> Result<()> {
    let pg = PgCluster::shared();
    let db = pg.create_db("owner").await?;
    let role = format!("not_owner_{}", std::process::id());
    psql_ok(pg, &db, &format!("create role {role} login; grant create on database {db} to {role}; create schema ai; create extension vector"))?;
    let out = psql(pg, &db, &role, "create extension ai")?;
    assert!(!out.ok && out.stderr.contains("only the owner of the ai schema"), "{}", out.stderr);
    assert_eq!(psql_ok(pg, &db, "select count(*) from pg_extension where extname = 'ai'")?, "0");
    Ok(())
}
