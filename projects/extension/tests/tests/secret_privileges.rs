//! Secrets and privileges (issue 11): a role without ai.grant_secret reads a secret of the
//! server's environment by no path: function, view, table, settings, model errors, a vectorizer
//! the in-database worker would embed with the server's key, a security definer function.
//! (secrets.rs and privileges.rs cover the basic grant / revoke / reveal cells.)

mod common;

use anyhow::Result;
use common::*;
use testkit::http::{FakeServer, Reply};
use testkit::PgCluster;

const SERVER_KEY: &str = "sk-server-env-secret-8d3f1b";
const OTHER_SECRET: &str = "other-env-secret-44a0e7";

#[tokio::test]
async fn a_role_without_grant_secret_reads_no_secret_by_any_path() -> Result<()> {
    testkit::require_suite!("SECRETS");
    testkit::evidence::secret(SERVER_KEY);
    testkit::evidence::secret(OTHER_SECRET);
    let pg = PgCluster::builder().env("OPENAI_API_KEY", SERVER_KEY).env("OTHER_SECRET", OTHER_SECRET).start()?;
    let db = pg.create_db("secret_paths").await?;
    let pid = std::process::id();
    let (user, nobody) = (format!("sp_user_{pid}"), format!("sp_nobody_{pid}"));
    psql_ok(&pg, &db, &format!("create extension ai version '{LAYOUT_07}' cascade; create role {user} login; create role {nobody} login; select ai.grant_ai_usage('{user}'); create schema s_{user} authorization {user}"))?;
    // a server that echoes what it was sent, key included, in every error body
    let echo = FakeServer::start(|r| {
        let auth = r.header("authorization").unwrap_or("").to_string();
        match r.path.as_str() {
            p if p.contains("401") => {
                Reply::json(401, serde_json::json!({"error": {"message": format!("bad key {auth}")}}))
            }
            p if p.contains("text") => Reply::text(400, format!("you sent {auth}")),
            _ => Reply::text(200, format!("not json, {auth}")),
        }
    });
    let mut tried = 0;
    let mut check = |who: &str, sql: &str, out: common::PsqlOutput| {
        tried += 1;
        for secret in [SERVER_KEY, OTHER_SECRET] {
            assert!(
                !out.stdout.contains(secret) && !out.stderr.contains(secret),
                "{who}: {sql} showed a secret: {} {}",
                out.stdout,
                out.stderr
            );
        }
    };
    for role in [user.as_str(), nobody.as_str()] {
        for sql in [
            "select ai.reveal_secret('OPENAI_API_KEY')",
            "select ai.reveal_secret('OTHER_SECRET', use_cache => false)",
            "select * from ai.secret_permissions",
            "select * from ai._secret_permissions",
            "select current_setting('ai.openai_api_key', true), current_setting('ai.other_secret', true)",
            "select string_agg(name || '=' || setting, ',') from pg_settings where name like 'ai.%'",
            "select ai.openai_embed('m', 'x')",
            "select ai.openai_embed('m', 'x', api_key_name => 'OTHER_SECRET')",
            "select ai.vectorizer_embed(ai.embedding_openai('text-embedding-3-small', 4, api_key_name => 'OTHER_SECRET'), 'x')",
            "select ai_extra._secret_env_forbidden('OPENAI_API_KEY')",
            "select ai.grant_secret('OPENAI_API_KEY', current_user)",
            "insert into ai._secret_permissions values ('*', current_user)",
            "insert into ai.secret_permissions values ('*', current_user)",
            "update ai.secret_permissions set role = current_user",
        ] {
            let out = psql(&pg, &db, role, sql)?;
            check(role, sql, out);
        }
    }
    // the model function at another base URL (a server that may need no key) goes on without
    // the key it may not read: the request carries no Authorization header
    let out = psql(&pg, &db, &user, &format!("select ai.openai_embed('m', 'x', base_url => '{}')", echo.url()))?;
    assert!(!out.ok, "the echo server answers no embedding");
    assert_eq!(echo.hits(), 1);
    assert_eq!(echo.last_request().unwrap().header("authorization"), None, "no key was sent");
    echo.clear();
    // at the public API (which needs one) it is pgai's permission error, before any request
    psql_err(
        &pg,
        &db,
        &user,
        "select ai.openai_embed('m', 'x')",
        "user does not have access to secret 'OPENAI_API_KEY'",
    )?;
    psql_err(
        &pg,
        &db,
        &user,
        "select ai.reveal_secret('OPENAI_API_KEY')",
        "user does not have access to secret 'OPENAI_API_KEY'",
    )?;
    assert_eq!(psql(&pg, &db, &user, "select count(*) from ai.secret_permissions")?.stdout.trim(), "0");

    // a role's own settings are not another role's: ALTER ROLE ... SET is visible to everyone in
    // pg_roles.rolconfig (PostgreSQL's rule; docs/secrets.md warns), a session's SET to nobody else
    psql_ok(&pg, &db, "set ai.openai_api_key = 'session-only-key-3b9c'; select 1")?;
    assert_eq!(
        psql(&pg, &db, &user, "select coalesce(current_setting('ai.openai_api_key', true), '')")?.stdout.trim(),
        ""
    );

    // error bodies that echo the key: the owner's calls fail without showing it
    for path in ["401", "text", "ok"] {
        let out = psql(
            &pg,
            &db,
            "postgres",
            &format!("select ai.openai_embed('m', 'x', base_url => '{}/{path}')", echo.url()),
        )?;
        assert!(!out.ok, "{path}");
        check("owner", path, out);
    }

    // a vectorizer names the server's secret: the in-database worker would send it to the
    // vectorizer's base_url, so only a role that may read the secret may make or change one
    psql_ok(
        &pg,
        &db,
        &format!("create table s_{user}.t(id int primary key, body text); alter table s_{user}.t owner to {user}"),
    )?;
    let make = |secret: &str, base: &str| {
        format!("select ai.create_vectorizer('s_{user}.t'::regclass, embedding => ai.embedding_openai('text-embedding-3-small', 4, api_key_name => '{secret}', base_url => '{base}'), chunking => ai.chunking_character_text_splitter('body'))")
    };
    let attacker = "http://127.0.0.1:9/attacker";
    for secret in ["OPENAI_API_KEY", "OTHER_SECRET"] {
        tried += 1;
        psql_err(&pg, &db, &user, &make(secret, attacker), &format!("permission denied for secret {secret}"))?;
    }
    // a secret the server does not have is the external worker's business: allowed
    let own = psql_ok_as(&pg, &db, &user, &make("MY_OWN_KEY", attacker))?;
    // the owner's vectorizer on the server key; the user may not point it elsewhere, nor
    // switch its own to the server key
    psql_ok(&pg, &db, "create table shared(id int primary key, body text)")?;
    let theirs = psql_ok(&pg, &db, &format!("select ai.create_vectorizer('shared'::regclass, embedding => ai.embedding_openai('text-embedding-3-small', 4), chunking => ai.chunking_character_text_splitter('body'), grant_to => ai.grant_to('{user}'))"))?;
    for sql in [
        format!("update ai.vectorizer set config = jsonb_set(config, '{{embedding,base_url}}', '\"{attacker}\"') where id = {theirs}"),
        format!("update ai.vectorizer set config = jsonb_set(config, '{{embedding,api_key_name}}', '\"OPENAI_API_KEY\"') where id = {own}"),
        format!("insert into ai.vectorizer select {own} + 1000, source_schema, source_table, source_pk, target_schema, target_table, view_schema, view_name, trigger_name, queue_schema, queue_table || 'x', config from ai.vectorizer where id = {theirs}"),
    ] {
        tried += 1;
        psql_err(&pg, &db, &user, &sql, "permission denied for secret OPENAI_API_KEY")?;
    }
    assert_eq!(
        psql_ok(
            &pg,
            &db,
            &format!("select config->'embedding'->>'base_url' is null from ai.vectorizer where id = {theirs}")
        )?,
        "t"
    );
    // other changes to the row stay possible; once granted, so is the secret
    psql_ok_as(
        &pg,
        &db,
        &user,
        &format!(
            "update ai.vectorizer set config = jsonb_set(config, '{{processing,batch_size}}', '7') where id = {theirs}"
        ),
    )?;
    psql_ok(&pg, &db, &format!("select ai.grant_secret('OPENAI_API_KEY', '{user}')"))?;
    psql_ok_as(&pg, &db, &user, &format!("update ai.vectorizer set config = jsonb_set(config, '{{embedding,api_key_name}}', '\"OPENAI_API_KEY\"') where id = {own}"))?;
    psql_ok(&pg, &db, &format!("select ai.revoke_secret('OPENAI_API_KEY', '{user}')"))?;

    // no security definer function of the extension reads a secret or runs a caller's code
    let definers = psql_ok(&pg, &db, "select string_agg(p.proname, ',' order by p.proname) from pg_proc p join pg_depend d on d.objid = p.oid and d.classid = 'pg_proc'::regclass and d.deptype = 'e' join pg_extension e on e.oid = d.refobjid and e.extname = 'ai' where p.prosecdef")?;
    assert_eq!(definers, "_vectorizer_create_dependencies,_vectorizer_handle_drops");
    assert_eq!(
        psql_ok(&pg, &db, "select count(*) from pg_proc where prosecdef and prosrc ~* 'secret|reveal|_embed|api_key'")?,
        "0"
    );
    // a security definer function of the user's runs as the user, even when the owner calls it
    psql_ok_as(&pg, &db, &user, &format!("create function s_{user}.peek() returns text security definer language sql as $$select coalesce(ai.reveal_secret('OPENAI_API_KEY'), 'null')$$"))?;
    psql_ok(&pg, &db, &format!("grant usage on schema s_{user} to postgres"))?;
    psql_err(
        &pg,
        &db,
        "postgres",
        &format!("select s_{user}.peek()"),
        "user does not have access to secret 'OPENAI_API_KEY'",
    )?;
    tried += 2;

    // nothing of it reached the server's log
    let log = std::fs::read_to_string(pg.log_path())?;
    for secret in [SERVER_KEY, OTHER_SECRET] {
        assert!(!log.contains(secret), "{secret} in the server log");
    }
    println!("secrets: {tried} attempts to read a secret without grant_secret, none succeeded");
    Ok(())
}

fn psql_ok_as(pg: &PgCluster, db: &str, role: &str, sql: &str) -> Result<String> {
    let out = psql(pg, db, role, sql)?;
    anyhow::ensure!(out.ok, "as {role}: {sql}: {}", out.stderr);
    Ok(out.stdout.trim().to_string())
}
