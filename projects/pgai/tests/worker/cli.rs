//! The `pgai` binary: help, usage errors, exit codes, configuration from the environment and
//! `.env`, signals.

use crate::common::*;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};
use testkit::fast_openai::FastOpenAi;

fn output(cmd: &mut std::process::Command) -> (Option<i32>, String, String) {
    let Output { status, stdout, stderr } = cmd.output().unwrap();
    let (stdout, stderr) =
        (String::from_utf8_lossy(&stdout).into_owned(), String::from_utf8_lossy(&stderr).into_owned());
    testkit::evidence::client_log(&stderr);
    (status.code(), stdout, stderr)
}

#[test]
fn help_explains_the_worker() {
    let dir = scratch_dir("help");
    let (code, out, _) = output(pgai_command(&dir).arg("--help"));
    assert_eq!(code, Some(0));
    assert!(out.contains("vectorizer"), "{out}");
    let (code, out, _) = output(pgai_command(&dir).args(["vectorizer", "worker", "--help"]));
    assert_eq!(code, Some(0));
    for needle in [
        "--db-url",
        "--vectorizer-id",
        "--concurrency",
        "--log-level",
        "--log-format",
        "--poll-interval",
        "--once",
        "--exit-on-error",
        "PGAI_VECTORIZER_WORKER_DB_URL",
        "Exit status",
    ] {
        assert!(out.contains(needle), "{needle} missing from:\n{out}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let dir = scratch_dir("usage");
    for args in [
        &["vectorizer", "worker", "--bogus"][..],
        &["vectorizer", "worker", "--poll-interval", "soon"],
        &["vectorizer", "worker", "-c", "0"],
        &["vectorizer", "worker", "-i", "one"],
        &["vectorizer"],
        &[],
    ] {
        let (code, _, err) = output(pgai_command(&dir).args(args));
        assert_eq!(code, Some(2), "{args:?}: {err}");
    }
}

#[test]
fn an_unreachable_database_is_one_clear_line_and_exit_1() {
    let dir = scratch_dir("unreachable");
    let (code, _, err) = output(pgai_command(&dir).args([
        "vectorizer",
        "worker",
        "--once",
        "-d",
        "postgres://postgres:pw@127.0.0.1:1/nowhere",
    ]));
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("cannot connect to database \"nowhere\" at 127.0.0.1:1"), "{err}");
    assert!(err.to_lowercase().contains("refused"), "{err}");
    assert!(!err.contains("pw") && !err.contains("panicked") && !err.contains("backtrace"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_exits_0_when_done_and_1_on_a_failure() {
    let db = Db::new("cli_once").await;
    let fast = FastOpenAi::start();
    db.exec("create table o (id int primary key, body text); insert into o select g, 'row ' || g from generate_series(1, 30) g").await;
    let id = vectorizer(&db, "o", &fast.base_url(), 4, "ai.chunking_character_text_splitter('body')", "").await;
    let dir = scratch_dir("once");
    let (code, _, err) =
        output(pgai_command(&dir).args(["vectorizer", "worker", "--once", "-d", &db.url]).env("OPENAI_API_KEY", KEY));
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains(&format!("vectorizer {id}: 30 items, 30 chunks")), "{err}");
    assert_eq!(db.queued(id).await, 0);

    // A provider that refuses: exit 1, the items stay queued.
    db.exec("update o set body = body || '!'").await;
    let broken = "http://127.0.0.1:1/v1";
    db.exec(&format!(
        "update ai.vectorizer set config = jsonb_set(config, '{{embedding,base_url}}', '\"{broken}\"') where id = {id}"
    ))
    .await;
    let (code, _, err) = output(
        pgai_command(&dir)
            .args(["vectorizer", "worker", "--once", "-d", &db.url, "--log-format", "json"])
            .env("OPENAI_API_KEY", KEY),
    );
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(db.queued(id).await, 30);
    for line in err.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v["level"].is_string(), "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_come_from_the_environment_and_dot_env() {
    let db = Db::new("cli_env").await;
    let fast = FastOpenAi::start();
    db.exec("create table e (id int primary key, body text); insert into e values (1, 'one')").await;
    let id = vectorizer(&db, "e", &fast.base_url(), 4, "ai.chunking_character_text_splitter('body')", "").await;
    let dir = scratch_dir("env");
    let (code, _, err) = output(
        pgai_command(&dir)
            .args(["vectorizer", "worker"])
            .env("PGAI_VECTORIZER_WORKER_DB_URL", &db.url)
            .env("PGAI_VECTORIZER_WORKER_ONCE", "true")
            .env("PGAI_VECTORIZER_WORKER_VECTORIZER_ID", format!("{id},999"))
            .env("OPENAI_API_KEY", KEY),
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("vectorizer 999 does not exist"), "{err}");
    assert_eq!(db.queued(id).await, 0);

    db.exec("update e set body = 'two'").await;
    std::fs::write(
        dir.join(".env"),
        format!("# worker settings\nPGAI_VECTORIZER_WORKER_DB_URL='{}'\nexport OPENAI_API_KEY={KEY}\nPGAI_VECTORIZER_WORKER_ONCE=1\n", db.url),
    )
    .unwrap();
    let (code, _, err) = output(pgai_command(&dir).args(["vectorizer", "worker"]));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(db.queued(id).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_worker_with_status_0() {
    let db = Db::new("cli_term").await;
    let dir = scratch_dir("term");
    let child = pgai_command(&dir)
        .args(["vectorizer", "worker", "-d", &db.url, "--poll-interval", "1h"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while db.scalar_i64(WORKER_SESSIONS).await == 0 {
        assert!(Instant::now() < deadline, "the worker did not connect");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(err.contains("shutting down"), "{err}");
}
