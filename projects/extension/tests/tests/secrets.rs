//! Secrets as pgai 0.7 resolves them: the setting, the permission check (an error, before the
//! environment is read), the server's environment (upper-cased, `ai.secret_env_enabled`), the
//! executor at `ai.external_functions_executor_url`, the per-session cache and `use_cache`, and
//! grant / revoke (admins only).

mod common;

use anyhow::Result;
use common::*;
use testkit::http::{FakeServer, Reply};
use testkit::PgCluster;

const ENV_SECRET: &str = "super_secret";

/// pgai's test executor: OPENAI_API_KEY and OPENAI_API_KEY_2 are `test`, ERROR_SECRET answers
/// 500, a request without the header 400, anything else 404.
fn executor() -> FakeServer {
    FakeServer::start(|r| {
        if r.path_only() != "/api/v1/projects/secrets" || r.method != "GET" {
            return Reply::text(405, "no");
        }
        match r.header("secret-name") {
            None => Reply::json(400, serde_json::json!({"error": "no Secret-Name"})),
            Some(n @ ("OPENAI_API_KEY" | "OPENAI_API_KEY_2")) => Reply::ok(serde_json::json!({ n: "test" })),
            Some("ERROR_SECRET") => Reply::json(500, serde_json::json!({"error": "error secret"})),
            Some(n) => Reply::json(404, serde_json::json!({"error": format!("Secret '{n}' not found")})),
        }
    })
}

fn cluster() -> Result<PgCluster> {
    PgCluster::builder().env("TEST_ENV_SECRET", ENV_SECRET).start()
}

#[tokio::test]
async fn reveal_secret_resolves_setting_permission_environment_then_executor() -> Result<()> {
    testkit::require_suite!("SECRETS");
    let pg = cluster()?;
    let exec = executor();
    let db = db_with_ai(&pg, "secrets").await?;
    let url = format!("set ai.external_functions_executor_url = '{}';", exec.url());
    let reveal = |setup: &str, name: &str| -> Result<String> {
        psql_ok(&pg, &db, &format!("{setup} select coalesce(ai.reveal_secret('{name}'), '<null>')"))
    };
    // the table of BEHAVIOUR.md section 1, for the installing user (it has '*')
    assert_eq!(reveal("", "OPENAI_API_KEY")?, "<null>");
    assert_eq!(reveal(&url, "OPENAI_API_KEY")?, "test");
    assert_eq!(reveal("set ai.openai_api_key = 'test_guc';", "OPENAI_API_KEY")?, "test_guc");
    assert_eq!(reveal(&format!("set ai.openai_api_key = 'test_guc'; {url}"), "OPENAI_API_KEY")?, "test_guc");
    assert_eq!(reveal(&format!("set ai.openai_api_key = 'test_guc'; {url}"), "OPENAI_API_KEY_2")?, "test");
    assert_eq!(reveal("", "TEST_ENV_SECRET")?, ENV_SECRET);
    assert_eq!(reveal("", "test_env_secret")?, ENV_SECRET, "the environment variable is the upper-cased name");
    assert_eq!(reveal("set ai.test_env_secret = 'test_guc';", "TEST_ENV_SECRET")?, "test_guc");
    assert_eq!(reveal(&url, "DOES_NOT_EXIST")?, "<null>");
    let out = psql(&pg, &db, "postgres", &format!("{url} select ai.reveal_secret('ERROR_SECRET')"))?;
    assert!(
        !out.ok && out.stderr.contains("plpy.Error: failed to reveal secret 'ERROR_SECRET': 500"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(r#"DETAIL:  {"error":"error secret"}"#), "the body is the detail: {}", out.stderr);
    let hit = exec.requests().into_iter().find(|r| r.header("secret-name") == Some("OPENAI_API_KEY")).unwrap();
    assert_eq!((hit.method.as_str(), hit.path_only()), ("GET", "/api/v1/projects/secrets"));

    // ai.secret_env_enabled: unset or exactly 'true' reads the environment; anything else does not
    for (value, expected) in [("true", ENV_SECRET), ("false", "<null>"), ("on", "<null>"), ("TRUE", "<null>")] {
        assert_eq!(reveal(&format!("set ai.secret_env_enabled = '{value}';"), "TEST_ENV_SECRET")?, expected, "{value}");
    }

    // the executor URL's own path is replaced (Python's urljoin with an absolute path)
    assert_eq!(
        reveal(&format!("set ai.external_functions_executor_url = '{}/some/path';", exec.url()), "OPENAI_API_KEY")?,
        "test"
    );
    // an executor that cannot be reached: three tries, a warning for each retry, then the error
    let out = psql(
        &pg,
        &db,
        "postgres",
        "set ai.external_functions_executor_url = 'http://127.0.0.1:9'; select ai.reveal_secret('NOPE')",
    )?;
    assert!(!out.ok, "{}", out.stdout);
    assert_eq!(out.stderr.matches("WARNING:  reveal secret 'NOPE' retry:").count(), 2, "{}", out.stderr);
    Ok(())
}

#[tokio::test]
async fn values_are_cached_per_session_until_use_cache_is_false() -> Result<()> {
    testkit::require_suite!("SECRETS");
    let pg = cluster()?;
    let exec = executor();
    let db = db_with_ai(&pg, "secret_cache").await?;
    // one session: pgai's cache sequence
    let out = psql_script(
        &pg,
        &db,
        &format!(
            "set ai.external_functions_executor_url = '{}';
             select ai.reveal_secret('OPENAI_API_KEY');
             select ai.reveal_secret('OPENAI_API_KEY_2');
             set ai.external_functions_executor_url = '';
             select ai.reveal_secret('OPENAI_API_KEY');
             select ai.reveal_secret('OPENAI_API_KEY_2');
             select coalesce(ai.reveal_secret('OPENAI_API_KEY', false), '<null>');
             select coalesce(ai.reveal_secret('OPENAI_API_KEY', true), '<null>');
             select ai.reveal_secret('OPENAI_API_KEY_2', true);
             set ai.openai_api_key_2 = 'from_setting';
             select ai.reveal_secret('OPENAI_API_KEY_2');",
            exec.url()
        ),
    )?;
    assert!(out.ok, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines,
        ["test", "test", "test", "test", "<null>", "<null>", "test", "test"],
        "a cached value wins over the setting too"
    );
    assert_eq!(exec.hits(), 2, "only the first two calls reached the executor");
    Ok(())
}

#[tokio::test]
async fn permissions_are_checked_before_the_environment_and_grants_are_for_admins() -> Result<()> {
    testkit::require_suite!("SECRETS");
    let pg = cluster()?;
    let exec = executor();
    let db = pg.create_db("secret_perms").await?;
    let pid = std::process::id();
    let [alice, jill, fred] = ["alice", "jill", "fred"].map(|r| format!("{r}_{pid}"));
    psql_ok(&pg, "postgres", &format!("create role {alice} login; create role {jill} login; create role {fred} login; alter database {db} owner to {alice}"))?;
    psql_ok(&pg, &db, "create extension vector")?;
    let url = format!("set ai.external_functions_executor_url = '{}';", exec.url());
    let run = |role: &str, sql: &str| psql(&pg, &db, role, &format!("{url} {sql}"));
    let ok = |role: &str, sql: &str| -> Result<String> {
        let out = run(role, sql)?;
        anyhow::ensure!(out.ok, "{role}: {sql}: {}", out.stderr);
        Ok(out.stdout.trim().to_string())
    };
    let fails = |role: &str, sql: &str, expected: &str| -> Result<()> {
        let out = run(role, sql)?;
        anyhow::ensure!(
            !out.ok && out.stderr.contains(expected),
            "{role}: {sql}: expected {expected:?}, got {}",
            out.stderr
        );
        Ok(())
    };
    // alice owns the database and installs the extension: an admin
    ok(&alice, &format!("create extension ai version '{LAYOUT_07}'; select ai.grant_ai_usage('{jill}')"))?;
    let denied = "plpy.Error: user does not have access to secret";
    fails(&jill, "select ai.reveal_secret('OPENAI_API_KEY')", &format!("{denied} 'OPENAI_API_KEY'"))?;
    fails(&jill, &format!("select ai.revoke_secret('*', '{alice}')"), "permission denied for function revoke_secret")?;
    fails(&jill, &format!("select ai.grant_secret('*', '{alice}')"), "permission denied for function grant_secret")?;
    fails(&jill, "select * from ai._secret_permissions", "permission denied for table _secret_permissions")?;
    // the check comes before the environment: an error, not the value and not null
    fails(&jill, "select ai.reveal_secret('TEST_ENV_SECRET')", denied)?;
    fails(&jill, "set ai.secret_env_enabled = 'false'; select ai.reveal_secret('TEST_ENV_SECRET')", denied)?;
    // a setting needs no permission
    assert_eq!(ok(&jill, "set ai.openai_api_key = 'mine'; select ai.reveal_secret('OPENAI_API_KEY')")?, "mine");
    assert_eq!(ok(&alice, "select ai.reveal_secret('OPENAI_API_KEY')")?, "test");
    assert_eq!(ok(&alice, "select ai.reveal_secret('TEST_ENV_SECRET')")?, ENV_SECRET);
    // grants need not name an existing role; a repeat is the primary-key violation
    ok(&alice, "select ai.grant_secret('OPENAI_API_KEY', 'joey'); select ai.grant_secret('*', 'joey2')")?;
    fails(&alice, "select ai.grant_secret('OPENAI_API_KEY', 'joey')", "_secret_permissions_pkey")?;
    fails(&alice, "select ai.grant_secret('bad name', 'joey')", "_secret_permissions_name_check")?;
    ok(
        &alice,
        &format!(
            "select ai.grant_secret('OPENAI_API_KEY', '{jill}'); select ai.grant_secret('TEST_ENV_SECRET', '{jill}')"
        ),
    )?;
    assert_eq!(ok(&jill, "select ai.reveal_secret('OPENAI_API_KEY')")?, "test");
    assert_eq!(ok(&jill, "select ai.reveal_secret('TEST_ENV_SECRET')")?, ENV_SECRET);
    fails(&jill, "select ai.reveal_secret('OPENAI_API_KEY_2')", denied)?;
    // the view shows a user its own rows of existing roles: not joey's
    assert_eq!(
        ok(&jill, "select string_agg(name, ',' order by name) from ai.secret_permissions")?,
        "OPENAI_API_KEY,TEST_ENV_SECRET"
    );
    assert_eq!(ok(&alice, "select count(*) from ai.secret_permissions where role like 'joey%'")?, "0");
    // fred has no ai usage at all
    fails(&fred, "select ai.reveal_secret('OPENAI_API_KEY')", "permission denied for")?;
    ok(&alice, &format!("select ai.revoke_secret('OPENAI_API_KEY', '{jill}')"))?;
    fails(&jill, "select ai.reveal_secret('OPENAI_API_KEY')", denied)?;
    ok(&alice, &format!("select ai.grant_secret('*', '{jill}')"))?;
    assert_eq!(ok(&jill, "select ai.reveal_secret('OPENAI_API_KEY_2')")?, "test");
    ok(&alice, &format!("select ai.revoke_secret('*', '{jill}'); select ai.revoke_secret('nothing', 'nobody')"))?;
    fails(&jill, "select ai.reveal_secret('OPENAI_API_KEY_2')", denied)?;

    // model functions: an explicit key wins, a missing one is pgai's message, an empty name too
    fails(
        &alice,
        "select ai.openai_embed('m', 'x', api_key_name => 'NOT_SET_ANYWHERE')",
        "plpy.Error: missing NOT_SET_ANYWHERE secret",
    )?;
    fails(&alice, "select ai.openai_embed('m', 'x', api_key_name => '')", "plpy.Error: secret_name is required")?;
    fails(
        &jill,
        "select ai.anthropic_generate('m', '[]')",
        "plpy.Error: user does not have access to secret 'ANTHROPIC_API_KEY'",
    )?;

    // the default rows: pg_database_owner and the installing user, for every secret
    assert_eq!(
        ok(&alice, "select string_agg(role || ':' || name, ' ' order by role) from ai._secret_permissions where role not like 'joey%'")?,
        format!("{alice}:* {jill}:TEST_ENV_SECRET pg_database_owner:*")
    );
    Ok(())
}
