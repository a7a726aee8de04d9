//! The in-database worker (shared_preload_libraries = 'ai'): it processes the databases of
//! ai.worker_databases, follows reloads, shows its heartbeat in ai.vectorizer_status, and
//! survives the kill of its worker process while the server goes on serving.
//!
//! Its own cluster: the library must be preloaded. `just ext install` put pgai into the
//! server's bin directory, where the launcher finds it by default.

mod common;

use anyhow::{bail, Result};
use common::*;
use sqlx::{Connection, Executor, Row};
use std::time::{Duration, Instant};
use testkit::fake;
use testkit::PgCluster;

/// A name that needs quoting in the setting, in SQL and in a URL.
const DB: &str = "Idw Test,1";

fn server() -> Result<PgCluster> {
    PgCluster::builder().conf("shared_preload_libraries = 'ai'").conf("ai.worker_poll_interval = 1").start()
}

/// Polls `check` every 200 ms until it returns `Some`, or fails after `limit`.
fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Result<Option<T>>) -> Result<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = check()? {
            return Ok(v);
        }
        if start.elapsed() > limit {
            bail!("timed out after {limit:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The worker processes the launcher runs: (pid, command line).
fn children(pg: &PgCluster) -> Result<Vec<(u32, String)>> {
    let launcher: String =
        psql_ok(pg, "postgres", "select coalesce(string_agg(pid::text, ','), '') from pg_stat_activity where backend_type = 'ai worker launcher'")?;
    let Ok(launcher) = launcher.parse::<u32>() else { bail!("no single launcher in pg_stat_activity: {launcher:?}") };
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc")? {
        let Ok(pid) = entry?.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // the parent pid is the second field after the parenthesised command name
        let ppid = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok());
        if ppid == Some(launcher) {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            found.push((pid, String::from_utf8_lossy(&cmdline).replace('\0', " ")));
        }
    }
    Ok(found)
}

fn reload(pg: &PgCluster, setting: &str, value: &str) -> Result<()> {
    psql_script(
        pg,
        "postgres",
        &format!("alter system set {setting} = {};\nselect pg_reload_conf();", sql_literal(value)),
    )?;
    Ok(())
}

fn embedded(pg: &PgCluster) -> Result<(i64, i64)> {
    let out = psql_ok(
        pg,
        DB,
        "select (select count(distinct id) from docs_embedding_store) || ',' || (select count(*) from docs)",
    )?;
    let (a, b) = out.split_once(',').unwrap();
    Ok((a.parse()?, b.parse()?))
}

#[tokio::test]
async fn in_database_worker_processes_follows_reloads_and_survives_kills() -> Result<()> {
    let mut pg = server()?;
    let ollama = fake::ollama();
    let admin = pg.pool("postgres").await?;
    admin.execute(format!("create database \"{}\"", DB.replace('"', "\"\"")).as_str()).await?;
    psql_ok(&pg, DB, &format!("create extension ai version '{LAYOUT_07}' cascade"))?;

    // Not listed yet: no worker process, and the default scheduling is none.
    assert_eq!(psql_ok(&pg, DB, "select ai_extra._worker_serves_this_database()")?, "f");
    assert!(children(&pg)?.is_empty());

    // A bad list is refused with the reason, and the launcher keeps going.
    reload(&pg, "ai.worker_databases", "\"unterminated")?;
    std::thread::sleep(Duration::from_millis(300));
    psql_err(&pg, DB, "postgres", "select ai_extra.worker_databases()", "unterminated quoted name")?;

    reload(&pg, "ai.worker_databases", &format!("\"{DB}\", postgres"))?;
    assert_eq!(psql_ok(&pg, DB, "select ai_extra.worker_databases()")?, format!("{{\"{DB}\",postgres}}"));
    assert_eq!(psql_ok(&pg, DB, "select ai_extra._worker_serves_this_database()")?, "t");
    let first = wait_for("two worker processes", Duration::from_secs(30), || {
        let c = children(&pg)?;
        Ok((c.len() == 2).then_some(c))
    })?;
    assert!(
        first.iter().all(|(_, cmd)| cmd.contains("vectorizer worker") && cmd.contains("--poll-interval 1s")),
        "{first:?}"
    );
    assert!(first.iter().any(|(_, cmd)| cmd.contains("/Idw%20Test%2C1?host=%2F")), "the database's URL: {first:?}");

    // A vectorizer made now is scheduled on the in-database worker (the database's default,
    // through the settings) and processed by it.
    psql_ok(&pg, DB, &format!("alter database \"{DB}\" set ai.scheduling_default = 'scheduling_worker'"))?;
    psql_ok(&pg, DB, "create table docs (id int primary key, body text not null)")?;
    psql_ok(&pg, DB, "insert into docs select g, 'document number ' || g from generate_series(1, 40) g")?;
    let id = psql_ok(
        &pg,
        DB,
        &format!(
            "select ai.create_vectorizer('docs'::regclass, \
               embedding => ai.embedding_ollama('all-minilm', 384, base_url => {}), \
               chunking => ai.chunking_character_text_splitter('body', 30, 0), \
               processing => ai.processing_default(batch_size => 5))",
            sql_literal(&ollama.base_url())
        ),
    )?;
    assert_eq!(
        psql_ok(
            &pg,
            DB,
            &format!("select config #>> '{{scheduling,implementation}}' from ai.vectorizer where id = {id}")
        )?,
        "worker"
    );
    wait_for("the first 40 rows embedded", Duration::from_secs(60), || Ok((embedded(&pg)? == (40, 40)).then_some(())))?;
    let status = psql_ok(
        &pg,
        DB,
        &format!("select w.worker like 'ai in-database worker (pid %', now() - w.last_heartbeat < interval '1 minute', s.pending_items from ai.vectorizer_status s join ai_extra.vectorizer_worker_status w using (id) where id = {id}"),
    )?;
    assert_eq!(status, "t|t|0");

    // Kill the database's worker process while clients keep working: the server keeps
    // serving (no crash restart: the same connection goes on), and the launcher restarts it.
    let started: String = sqlx::query("select pg_postmaster_start_time()::text").fetch_one(&admin).await?.get(0);
    let mut client = sqlx::PgConnection::connect_with(&pg.connect_options(DB)).await?;
    let writer = tokio::spawn(async move {
        for i in 41..=140 {
            client.execute(format!("insert into docs values ({i}, 'later document {i}')").as_str()).await?;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        anyhow::Ok(client)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let victim =
        children(&pg)?.into_iter().find(|(_, cmd)| cmd.contains("Idw%20Test")).expect("the worker of the database").0;
    assert!(std::process::Command::new("kill").args(["-9", &victim.to_string()]).status()?.success());
    let mut client = writer.await??;
    client.execute("select 1").await?;
    let replacement = wait_for("a restarted worker", Duration::from_secs(30), || {
        Ok(children(&pg)?.into_iter().find(|(pid, cmd)| *pid != victim && cmd.contains("Idw%20Test")))
    })?;
    wait_for("all 140 rows embedded", Duration::from_secs(90), || Ok((embedded(&pg)? == (140, 140)).then_some(())))?;
    let restarted: String = sqlx::query("select pg_postmaster_start_time()::text").fetch_one(&admin).await?.get(0);
    assert_eq!(started, restarted, "the server restarted");
    let log = std::fs::read_to_string(pg.log_path())?;
    assert!(log.contains(&format!("(pid {victim}) was killed by signal 9; restarting it in")), "{log}");
    assert!(log.contains("WARNING:  ai worker launcher: ai.worker_databases: unterminated quoted name"), "{log}");
    assert_eq!(
        psql_ok(&pg, DB, "select count(*) from docs_embedding_store group by id having count(*) > 1 limit 1")?,
        ""
    );

    // A failing provider: the error shows in the status, the items stay queued.
    ollama.set_fault(|_| Some(testkit::http::Reply::json(500, serde_json::json!({"error": "model crashed"}))));
    psql_ok(&pg, DB, "insert into docs values (1000, 'one more')")?;
    let last_error = wait_for("the error in the status", Duration::from_secs(60), || {
        let e = psql_ok(
            &pg,
            DB,
            &format!("select coalesce(last_error, '') from ai_extra.vectorizer_worker_status where id = {id}"),
        )?;
        Ok((!e.is_empty()).then_some(e))
    })?;
    assert!(last_error.contains("embedding provider failed"), "{last_error}");
    ollama.clear_faults();
    wait_for("the queued item embedded", Duration::from_secs(60), || Ok((embedded(&pg)? == (141, 141)).then_some(())))?;

    // A reload with another poll interval restarts the workers with it.
    reload(&pg, "ai.worker_poll_interval", "2")?;
    wait_for("workers with the new interval", Duration::from_secs(30), || {
        let c = children(&pg)?;
        Ok((c.len() == 2 && c.iter().all(|(_, cmd)| cmd.contains("--poll-interval 2s"))).then_some(()))
    })?;
    assert!(children(&pg)?.iter().all(|(pid, _)| *pid != replacement.0));

    // The local-model settings reach the workers' environment (a reload restarts them with it).
    reload(&pg, "ai.local_precision", "fp32")?;
    wait_for("workers with PGAI_LOCAL_PRECISION=fp32", Duration::from_secs(30), || {
        let c = children(&pg)?;
        let has = |pid: u32| {
            let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            env.split(|b| *b == 0).any(|v| v == b"PGAI_LOCAL_PRECISION=fp32")
        };
        Ok((c.len() == 2 && c.iter().all(|(pid, _)| has(*pid))).then_some(()))
    })?;

    // Unlisted: the workers stop; a stopped server leaves no worker behind.
    reload(&pg, "ai.worker_databases", "postgres")?;
    wait_for("one worker", Duration::from_secs(30), || Ok((children(&pg)?.len() == 1).then_some(())))?;
    let last = children(&pg)?;
    admin.close().await;
    drop(client);
    pg.stop()?;
    for (pid, _) in last {
        wait_for("the last worker to exit", Duration::from_secs(15), || {
            Ok((!std::path::Path::new(&format!("/proc/{pid}")).exists()).then_some(()))
        })?;
    }
    Ok(())
}
