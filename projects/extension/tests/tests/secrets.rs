//! Secrets: the session setting, the environment gated by ai.secret_permissions, grant and revoke.

mod common;

use anyhow::Result;
use common::*;
use testkit::PgCluster;

const ENV_SECRET: &str = "env-secret-value-7c1e";

fn cluster() -> Result<PgCluster> {
    PgCluster::builder().env("TEST_ENV_KEY", ENV_SECRET).start()
}

#[tokio::test]
async fn secrets_come_from_settings_then_the_permitted_environment() -> Result<()> {
    testkit::require_suite!("SECRETS");
    let pg = cluster()?;
    let db = pg.create_db("secrets").await?;
    let alice = format!("alice_{}", std::process::id());
    psql_ok(
        &pg,
        &db,
        &format!("create extension ai cascade; create role {alice} login; grant usage on schema ai to {alice}"),
    )?;

    // the session setting ai.<lower-case name> comes first
    assert_eq!(
        psql_ok(&pg, &db, "set ai.openai_api_key = 'from-setting'; select ai.reveal_secret('OPENAI_API_KEY')")?,
        "from-setting"
    );
    assert_eq!(psql_ok(&pg, &db, "select ai.reveal_secret('OPENAI_API_KEY') is null")?, "t", "unset: null");

    // the environment, for the installing user ('*' row) ...
    assert_eq!(psql_ok(&pg, &db, "select ai.reveal_secret('TEST_ENV_KEY')")?, ENV_SECRET);
    assert_eq!(
        psql_ok(&pg, &db, "set ai.secret_env_enabled = false; select ai.reveal_secret('TEST_ENV_KEY') is null")?,
        "t"
    );
    // ... but not for another role until granted
    let as_alice = |sql: &str| psql(&pg, &db, &alice, sql);
    assert_eq!(as_alice("select ai.reveal_secret('TEST_ENV_KEY') is null")?.stdout.trim(), "t");
    assert_eq!(as_alice("select count(*) from ai.secret_permissions")?.stdout.trim(), "0");
    psql_err(&pg, &db, &alice, "select * from ai._secret_permissions", "permission denied")?;
    psql_err(&pg, &db, &alice, &format!("select ai.grant_secret('TEST_ENV_KEY', '{alice}')"), "permission denied")?;

    psql_ok(&pg, &db, &format!("select ai.grant_secret('TEST_ENV_KEY', '{alice}')"))?;
    assert_eq!(as_alice("select ai.reveal_secret('TEST_ENV_KEY')")?.stdout.trim(), ENV_SECRET);
    assert_eq!(as_alice("select name from ai.secret_permissions")?.stdout.trim(), "TEST_ENV_KEY");
    psql_ok(&pg, &db, &format!("select ai.revoke_secret('TEST_ENV_KEY', '{alice}')"))?;
    assert_eq!(as_alice("select ai.reveal_secret('TEST_ENV_KEY') is null")?.stdout.trim(), "t");

    psql_err(&pg, &db, "postgres", "select ai.reveal_secret('BAD NAME; --')", "invalid secret name")?;
    psql_err(&pg, &db, "postgres", "select ai.grant_secret('X', 'no_such_role')", "does not exist")?;
    psql_err(&pg, &db, "postgres", "select ai.grant_secret('bad name', 'postgres')", "check constraint")?;

    // the default rows: pg_database_owner and the installing user, for every secret
    assert_eq!(
        psql_ok(&pg, &db, "select string_agg(role || ':' || name, ' ' order by role) from ai._secret_permissions")?,
        "pg_database_owner:* postgres:*"
    );
    Ok(())
}
