//! The launcher: a background worker that keeps one `pgai vectorizer worker` child running per
//! database of `ai.worker_databases`, re-reading the settings on SIGHUP.

use super::children::{Children, Spec};
use super::settings::{self, WorkerSettings};
use pgrx::bgworkers::{BackgroundWorker, BackgroundWorkerBuilder, BgWorkerStartTime, SignalWakeFlags};
use pgrx::prelude::*;
use std::ffi::CStr;
use std::path::PathBuf;
use std::time::Duration;

/// The `backend_type` of the launcher in `pg_stat_activity`.
pub const NAME: &str = "ai worker launcher";
/// The children's `application_name`, and their name in `ai.vectorizer_status`.
const CHILD_NAME: &str = "ai in-database worker";

/// Registers the launcher with the postmaster (only possible while preloading).
pub fn register() {
    BackgroundWorkerBuilder::new(NAME)
        .set_type(NAME)
        .set_library("ai")
        .set_function("ai_worker_launcher_main")
        .enable_spi_access()
        .set_start_time(BgWorkerStartTime::RecoveryFinished)
        .set_restart_time(Some(Duration::from_secs(5)))
        .load();
}

#[pg_guard]
#[no_mangle]
pub extern "C-unwind" fn ai_worker_launcher_main(_arg: pg_sys::Datum) {
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGHUP | SignalWakeFlags::SIGTERM);
    // Connected to no database, like PostgreSQL's own launchers: it shows in pg_stat_activity.
    BackgroundWorker::connect_worker_to_spi(None, None);
    log!("{NAME} started");
    let mut children = Children::default();
    let mut wanted = Vec::new();
    let mut reload = true;
    loop {
        if std::mem::take(&mut reload) {
            match wanted_children() {
                Ok(w) => wanted = w,
                // a mistake in a reloaded setting keeps the workers as they were
                Err(e) => warning!("{NAME}: {e}; the in-database workers keep running as before"),
            }
        }
        children.reconcile(&wanted);
        if !BackgroundWorker::wait_latch(Some(Duration::from_secs(1))) {
            break;
        }
        if BackgroundWorker::sighup_received() {
            // SAFETY: the documented way for a background worker to reload postgresql.conf.
            unsafe { pg_sys::ProcessConfigFile(pg_sys::GucContext::PGC_SIGHUP) };
            reload = true;
        }
    }
    log!("{NAME} stopping its workers: {:?}", children.pids());
    children.stop_all();
}

/// One child per database of the settings.
fn wanted_children() -> Result<Vec<Spec>, String> {
    let s = settings::current().map_err(|e| format!("ai.worker_databases: {e}"))?;
    let program = s.command.as_ref().map(PathBuf::from).unwrap_or_else(|| bindir().join("pgai"));
    let env = crate::models::local::worker_env();
    Ok(s.databases
        .iter()
        .map(|db| Spec { database: db.clone(), program: program.clone(), args: args(&s, db), env: env.clone() })
        .collect())
}

fn args(s: &WorkerSettings, db: &str) -> Vec<String> {
    let mut args = vec![
        "vectorizer".to_string(),
        "worker".into(),
        "--db-url".into(),
        db_url(s.role.clone().unwrap_or_else(os_user), db),
        "--poll-interval".into(),
        format!("{}s", s.poll_interval_s),
        "--name".into(),
        CHILD_NAME.into(),
        // the server's environment holds its keys: none goes where a catalog row says
        "--in-database".into(),
    ];
    if let Some(c) = s.concurrency {
        args.extend(["--concurrency".into(), c.to_string()]);
    }
    args
}

/// The URL of database `db` on this server: its first Unix socket directory, else localhost.
fn db_url(user: String, db: &str) -> String {
    // SAFETY: plain reads of the postmaster's settings, inherited by this process.
    let (port, sockets) = unsafe {
        let dirs = pg_sys::Unix_socket_directories;
        let dirs = if dirs.is_null() { String::new() } else { CStr::from_ptr(dirs).to_string_lossy().into_owned() };
        (pg_sys::PostPortNumber, dirs)
    };
    let socket = sockets.split(',').map(|d| d.trim().trim_matches('"')).find(|d| d.starts_with('/'));
    let host = socket.map(|d| format!("?host={}", encode(d))).unwrap_or_default();
    format!("postgres://{}@localhost:{port}/{}{host}", encode(&user), encode(db))
}

/// Percent-encodes everything but unreserved characters.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The directory of the postgres executable: where `just ext install` puts `pgai`.
fn bindir() -> PathBuf {
    // SAFETY: my_exec_path is a NUL-terminated path set at startup.
    let exe = unsafe { CStr::from_ptr(std::ptr::addr_of!(pg_sys::my_exec_path).cast()) };
    PathBuf::from(exe.to_string_lossy().into_owned()).parent().map(PathBuf::from).unwrap_or_default()
}

/// The name of the operating-system user running the server (the usual bootstrap superuser).
fn os_user() -> String {
    // SAFETY: getpwuid returns a pointer into static storage, read at once; this process has
    // one thread.
    unsafe {
        let pw = libc::getpwuid(libc::geteuid());
        if pw.is_null() {
            return "postgres".to_string();
        }
        CStr::from_ptr((*pw).pw_name).to_string_lossy().into_owned()
    }
}
