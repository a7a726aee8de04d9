//! Throwaway PostgreSQL clusters for tests.

use crate::paths::pg_config_value;
use anyhow::{bail, Context, Result};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// The OS user that runs the server when the tests run as root (PostgreSQL refuses root).
const SERVER_OS_USER: &str = "postgres";

pub struct PgClusterBuilder {
    conf: Vec<String>,
    env: Vec<(String, String)>,
}

impl PgClusterBuilder {
    /// Adds a `postgresql.conf` line, e.g. `shared_preload_libraries = 'ai'`.
    pub fn conf(mut self, line: impl Into<String>) -> Self {
        self.conf.push(line.into());
        self
    }

    /// Sets an environment variable of the server process (backends inherit it).
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn start(self) -> Result<PgCluster> {
        PgCluster::start_with(&self.conf, &self.env)
    }
}

pub struct PgCluster {
    pub port: u16,
    pub bindir: PathBuf,
    dir: tempfile::TempDir,
    as_root: bool,
    stopped: bool,
    #[cfg(feature = "docker")]
    container: Option<crate::docker::DockerPg>,
}

static SHARED: OnceLock<PgCluster> = OnceLock::new();
static DB_COUNTER: AtomicU32 = AtomicU32::new(0);

impl PgCluster {
    pub fn builder() -> PgClusterBuilder {
        PgClusterBuilder { conf: Vec::new(), env: Vec::new() }
    }

    /// One cluster for the whole test binary, started on first use. A watchdog process stops
    /// it and removes its directory when the test process exits, however it exits.
    pub fn shared() -> &'static PgCluster {
        SHARED.get_or_init(|| {
            let cluster = PgCluster::builder().start().expect("starting the test PostgreSQL cluster");
            cluster.spawn_watchdog().expect("starting the cluster watchdog");
            cluster
        })
    }

    fn start_with(conf: &[String], env: &[(String, String)]) -> Result<PgCluster> {
        let bindir = pg_config_value("--bindir")?;
        let as_root = is_root();
        let dir = tempfile::Builder::new().prefix("pgai-test-pg-").tempdir()?;
        if std::env::var("PGAI_TEST_DOCKER").is_ok_and(|v| v == "1") {
            #[cfg(feature = "docker")]
            {
                let container = crate::docker::start(conf, env)?;
                return Ok(PgCluster {
                    port: container.port,
                    bindir,
                    dir,
                    as_root,
                    stopped: true,
                    container: Some(container),
                });
            }
            #[cfg(not(feature = "docker"))]
            bail!("PGAI_TEST_DOCKER=1 needs the test harness built with `--features testkit/docker`");
        }
        let data = dir.path().join("data");
        std::fs::create_dir(&data)?;
        if as_root {
            chown_to_server_user(dir.path())?;
            chown_to_server_user(&data)?;
        }
        let mut cluster = PgCluster {
            port: 0,
            bindir,
            dir,
            as_root,
            stopped: true,
            #[cfg(feature = "docker")]
            container: None,
        };
        cluster.run(
            "initdb",
            &[
                "-D",
                path_str(&data)?,
                "--locale=C.UTF-8",
                "--encoding=UTF8",
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        )?;
        let mut lines = vec![
            "listen_addresses = '127.0.0.1'".to_string(),
            format!("unix_socket_directories = '{}'", path_str(cluster.dir.path())?),
            "fsync = off".into(),
            "synchronous_commit = off".into(),
            "full_page_writes = off".into(),
            "max_connections = 200".into(),
            "log_min_messages = warning".into(),
            "log_line_prefix = '%m [%p] %q%u@%d '".into(),
        ];
        lines.extend(conf.iter().cloned());
        let conf_path = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf_path)?;
        text.push_str("\n# added by the test harness\n");
        text.push_str(&lines.join("\n"));
        text.push('\n');
        std::fs::write(&conf_path, text)?;

        // A port can be taken between our probe and the server's bind: retry a few times.
        let mut last_err = None;
        for _ in 0..5 {
            cluster.port = free_port()?;
            let log = cluster.log_path();
            let opts = format!("-p {}", cluster.port);
            let args = ["-D", path_str(&data)?, "-l", path_str(&log)?, "-o", &opts, "-w", "-t", "60", "start"];
            match cluster.run_with_env("pg_ctl", &args, env) {
                Ok(()) => {
                    cluster.stopped = false;
                    let _ =
                        std::fs::write(crate::evidence::dir().join(format!("{}.started", cluster.evidence_tag())), "");
                    return Ok(cluster);
                }
                Err(e) => last_err = Some(e),
            }
        }
        let log = std::fs::read_to_string(cluster.log_path()).unwrap_or_default();
        bail!("PostgreSQL did not start: {:?}\nserver log:\n{log}", last_err)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The server's log file (what it printed: errors, notices sent to the log).
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    pub fn connect_options(&self, db: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .host("127.0.0.1")
            .port(self.port)
            .username("postgres")
            .database(db)
            .disable_statement_logging()
    }

    pub async fn pool(&self, db: &str) -> Result<PgPool> {
        Ok(PgPoolOptions::new().max_connections(8).connect_with(self.connect_options(db)).await?)
    }

    /// Creates a new, empty database with a unique name and returns that name.
    pub async fn create_db(&self, prefix: &str) -> Result<String> {
        let name = format!("{prefix}_{}_{}", std::process::id(), DB_COUNTER.fetch_add(1, Ordering::SeqCst));
        let admin = self.pool("postgres").await?;
        sqlx::query(&format!("create database \"{name}\"")).execute(&admin).await?;
        admin.close().await;
        Ok(name)
    }

    /// Runs a server program (`pg_ctl`, `psql`, `pg_dump`, ...) of this install as the server's OS user.
    pub fn command(&self, program: &str) -> Command {
        let exe = self.bindir.join(program);
        if self.as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", SERVER_OS_USER, "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    /// Runs a psql script (fed on stdin, stopping at the first error) in `db` as `user`.
    pub fn psql_script(&self, db: &str, user: &str, script: &str) -> std::io::Result<std::process::Output> {
        use std::io::Write;
        let mut child = self
            .command("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", user, "-d", db, "-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        child.stdin.take().expect("piped stdin").write_all(script.as_bytes())?;
        child.wait_with_output()
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<()> {
        self.run_with_env(program, args, &[])
    }

    fn run_with_env(&self, program: &str, args: &[&str], env: &[(String, String)]) -> Result<()> {
        let mut cmd = self.command(program);
        cmd.args(args).stdin(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().with_context(|| format!("running {program}"))?;
        if !out.status.success() {
            bail!(
                "{program} failed ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(())
    }

    /// Stops the server at once (no checkpoint); used to simulate crashes too.
    pub fn stop(&mut self) -> Result<()> {
        self.stop_with("immediate")
    }

    /// Stops the server with `pg_ctl stop -m <mode>`: `fast` (clients get an admin-shutdown
    /// error), `immediate` (connections just drop) or `smart`.
    pub fn stop_with(&mut self, mode: &str) -> Result<()> {
        if !self.stopped {
            let data = self.data_dir();
            self.run("pg_ctl", &["-D", path_str(&data)?, "-m", mode, "-w", "stop"])?;
            self.stopped = true;
        }
        Ok(())
    }

    /// Starts a stopped server again on the same port (a restart is [`stop_with`](Self::stop_with)
    /// then this).
    pub fn start_again(&mut self) -> Result<()> {
        #[cfg(feature = "docker")]
        if self.container.is_some() {
            bail!("restarting a Docker test server is not supported");
        }
        if self.stopped {
            let (data, log) = (self.data_dir(), self.log_path());
            let opts = format!("-p {}", self.port);
            self.run(
                "pg_ctl",
                &["-D", path_str(&data)?, "-l", path_str(&log)?, "-o", &opts, "-w", "-t", "60", "start"],
            )?;
            self.stopped = false;
        }
        Ok(())
    }

    fn spawn_watchdog(&self) -> Result<()> {
        let pg_ctl = self.bindir.join("pg_ctl");
        let runas = if self.as_root { format!("runuser -u {SERVER_OS_USER} -- ") } else { String::new() };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {evidence}; {runas}'{pg_ctl}' -D '{data}' -m immediate -w stop >/dev/null 2>&1; {log}; rm -rf '{dir}'",
            pid = std::process::id(),
            evidence = self.evidence_dump_script(),
            log = self.evidence_log_script(),
            pg_ctl = pg_ctl.display(),
            data = self.data_dir().display(),
            dir = self.dir.path().display(),
        );
        Command::new("setsid")
            .args(["sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("spawning the watchdog")?;
        Ok(())
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = Command::new("sh").args(["-c", &self.evidence_dump_script()]).status();
        let _ = self.stop();
        let _ = Command::new("sh").args(["-c", &self.evidence_log_script()]).status();
    }
}

/// What a cluster leaves for the secrets scan ([`crate::evidence`]).
impl PgCluster {
    fn evidence_tag(&self) -> String {
        format!("{}-{}", crate::evidence::process_tag(), self.port)
    }

    /// Shell commands that dump the `ai` schema's data of every database (when running).
    fn evidence_dump_script(&self) -> String {
        if self.stopped || self.port == 0 {
            return "true".into();
        }
        let runas = if self.as_root { format!("runuser -u {SERVER_OS_USER} -- ") } else { String::new() };
        let (psql, pg_dump) = (self.bindir.join("psql"), self.bindir.join("pg_dump"));
        let conn = format!("-h 127.0.0.1 -p {} -U postgres", self.port);
        format!(
            "{runas}'{psql}' {conn} -X -At -d postgres -c 'select datname from pg_database where datallowconn' 2>/dev/null \
             | while IFS= read -r db; do {runas}'{pg_dump}' {conn} --data-only --schema=ai -d \"$db\" 2>/dev/null; done \
             > '{out}'",
            psql = psql.display(),
            pg_dump = pg_dump.display(),
            out = crate::evidence::dir().join(format!("{}.ai-data.sql", self.evidence_tag())).display(),
        )
    }

    /// Shell commands that keep the server log, then mark this cluster's evidence complete.
    fn evidence_log_script(&self) -> String {
        let base = crate::evidence::dir().join(self.evidence_tag());
        format!(
            "cp '{log}' '{base}.server.log' 2>/dev/null; touch '{base}.done'",
            log = self.log_path().display(),
            base = base.display()
        )
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

fn chown_to_server_user(path: &Path) -> Result<()> {
    let status = Command::new("chown").arg(format!("{SERVER_OS_USER}:")).arg(path).status()?;
    if !status.success() {
        bail!(
            "chown {SERVER_OS_USER} {} failed: does the OS user {SERVER_OS_USER} exist? (`just ext setup` creates it)",
            path.display()
        );
    }
    Ok(())
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn path_str(p: &Path) -> Result<&str> {
    p.to_str().with_context(|| format!("path {} is not UTF-8", p.display()))
}
