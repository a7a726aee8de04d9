//! Helpers for the extension's tests: build other versions of the SQL, install them, run psql.
#![allow(dead_code)]

pub mod hub;

use ai_sqlbuild::{build, BuildOptions, Version};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use testkit::{paths, PgCluster};

/// The pgrx-generated SQL that `just ext build` wrote.
pub fn pgrx_sql() -> PathBuf {
    std::env::var_os("AI_PGRX_SQL")
        .map(PathBuf::from)
        .unwrap_or_else(|| paths::workspace_root().join("target/ai-pgrx-schema.sql"))
}

pub fn repo_sql_dir() -> PathBuf {
    paths::workspace_root().join("projects/extension/sql")
}

/// A copy of the repository's SQL sources to add test scripts to.
pub fn copy_sql_tree(dest: &Path) -> Result<()> {
    let src = repo_sql_dir();
    for sub in ["", "incremental", "idempotent"] {
        std::fs::create_dir_all(dest.join(sub))?;
        for entry in std::fs::read_dir(src.join(sub))? {
            let path = entry?.path();
            if path.is_file() {
                std::fs::copy(&path, dest.join(sub).join(path.file_name().unwrap()))?;
            }
        }
    }
    Ok(())
}

/// Builds `version` from `sql_dir` into `out_dir` (no control file written).
pub fn build_version(sql_dir: &Path, out_dir: &Path, version: &str) -> Result<PathBuf> {
    let report = build(&BuildOptions {
        sql_dir: sql_dir.to_path_buf(),
        pgrx_sql: pgrx_sql(),
        version: Version::parse(version)?,
        out_dir: out_dir.to_path_buf(),
        control: None,
    })
    .context("building test version (did `just ext build` run?)")?;
    Ok(report.script)
}

/// Scripts copied into PostgreSQL's extension directory; removed again on drop.
pub struct InstalledScripts(Vec<PathBuf>);

pub fn install_scripts(out_dir: &Path) -> Result<InstalledScripts> {
    let dest = paths::extension_dir()?;
    let mut installed = Vec::new();
    for entry in std::fs::read_dir(out_dir)? {
        let path = entry?.path();
        let target = dest.join(path.file_name().unwrap());
        std::fs::copy(&path, &target).with_context(|| format!("copying into {}", dest.display()))?;
        installed.push(target);
    }
    Ok(InstalledScripts(installed))
}

impl Drop for InstalledScripts {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

pub struct PsqlOutput {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs SQL through psql (which shows WARNINGs and NOTICEs on stderr), as `user`.
pub fn psql(cluster: &PgCluster, db: &str, user: &str, sql: &str) -> Result<PsqlOutput> {
    let out = cluster
        .command("psql")
        .args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"])
        .args(["-p", &cluster.port.to_string(), "-U", user, "-d", db, "-c", sql])
        .stdin(Stdio::null())
        .output()?;
    testkit::evidence::client_log(&String::from_utf8_lossy(&out.stderr));
    Ok(PsqlOutput {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

pub fn psql_ok(cluster: &PgCluster, db: &str, sql: &str) -> Result<String> {
    let out = psql(cluster, db, "postgres", sql)?;
    if !out.ok {
        bail!("psql failed: {}", out.stderr);
    }
    Ok(out.stdout.trim().to_string())
}

/// A version string unique to this test process, so parallel runs never share script files.
pub fn unique_version(major: u32, patch: u32, pre: Option<&str>) -> String {
    let v = format!("{major}.{}.{patch}", std::process::id());
    match pre {
        Some(p) => format!("{v}-{p}"),
        None => v,
    }
}

/// A SQL string literal (for building test statements; production code never does this).
pub fn sql_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Runs SQL that must fail, and checks that its error mentions `expected`.
pub fn psql_err(cluster: &PgCluster, db: &str, user: &str, sql: &str, expected: &str) -> Result<()> {
    let out = psql(cluster, db, user, sql)?;
    if out.ok || !out.stderr.contains(expected) {
        bail!("{sql}: expected an error mentioning {expected:?}, got ok={} stderr={:?}", out.ok, out.stderr);
    }
    Ok(())
}

/// A small embedding config for tests (4 dimensions: vectors are easy to write by hand).
pub const EMBED4: &str = "ai.embedding_openai('text-embedding-3-small', 4)";

/// The last release of pgai 0.7's layout (the vectorizer catalog inside the extension), which
/// the tests of that layout install by version: the default version (0.10 and later) has no
/// catalog (`pgai install` brings it).
pub const LAYOUT_07: &str = "0.7.2";

/// A new database on `pg` with the extension of pgai 0.7's layout ([`LAYOUT_07`]) in it.
pub async fn db_with_ai(pg: &PgCluster, prefix: &str) -> Result<String> {
    let db = pg.create_db(prefix).await?;
    psql_ok(pg, &db, &format!("create extension ai version '{LAYOUT_07}' cascade"))?;
    Ok(db)
}

/// The output of a server program (`pg_dump`, `pg_restore`) run against `pg` as the server's OS user.
pub struct ToolOutput {
    pub ok: bool,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// Runs `program` with the cluster's host, port and user, then `args`; `stdin` is piped in.
pub fn run_tool(pg: &PgCluster, program: &str, args: &[&str], stdin: Option<&[u8]>) -> Result<ToolOutput> {
    use std::io::Write;
    let mut child = pg
        .command(program)
        .args(["-h", "127.0.0.1", "-p", &pg.port.to_string(), "-U", "postgres"])
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {program}"))?;
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let input = input.to_vec();
        // written from a thread so a full stdout pipe cannot deadlock us
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    let out = child.wait_with_output()?;
    testkit::evidence::client_log(&String::from_utf8_lossy(&out.stderr));
    Ok(ToolOutput {
        ok: out.status.success(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Runs a script through psql's standard input: each statement is its own transaction (as
/// when a user pastes it), so procedures that commit work.
pub fn psql_script(cluster: &PgCluster, db: &str, sql: &str) -> Result<PsqlOutput> {
    use std::io::Write;
    let mut child = cluster
        .command("psql")
        .args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"])
        .args(["-p", &cluster.port.to_string(), "-U", "postgres", "-d", db, "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    child.stdin.take().expect("stdin").write_all(sql.as_bytes())?;
    let out = child.wait_with_output()?;
    testkit::evidence::client_log(&String::from_utf8_lossy(&out.stderr));
    Ok(PsqlOutput {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}
