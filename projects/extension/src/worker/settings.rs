//! The in-database worker's settings. All take effect on a reload (`select pg_reload_conf()`):
//! the launcher then restarts the children whose command changed.

use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use std::ffi::CString;

static DATABASES: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
static CONCURRENCY: GucSetting<i32> = GucSetting::<i32>::new(0);
static POLL_INTERVAL: GucSetting<i32> = GucSetting::<i32>::new(10);
static ROLE: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
static COMMAND: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);

pub fn define() {
    GucRegistry::define_string_guc(
        c"ai.worker_databases",
        c"Databases the in-database vectorizer worker processes (comma-separated; \"quoted\" names keep case and commas).",
        c"Needs shared_preload_libraries = 'ai'. Empty: the in-database worker runs no worker process.",
        &DATABASES,
        GucContext::Sighup,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"ai.worker_concurrency",
        c"Concurrent batches per vectorizer in the in-database worker; 0: each vectorizer's processing.concurrency.",
        c"",
        &CONCURRENCY,
        0,
        1024,
        GucContext::Sighup,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"ai.worker_poll_interval",
        c"How long the in-database worker sleeps between polls of an empty queue.",
        c"",
        &POLL_INTERVAL,
        1,
        24 * 3600,
        GucContext::Sighup,
        GucFlags::UNIT_S,
    );
    GucRegistry::define_string_guc(
        c"ai.worker_role",
        c"Role the in-database worker connects as; empty: the operating-system user running the server.",
        c"It connects over the server's Unix socket (else localhost); pg_hba.conf must let it in, e.g. with peer or trust for local connections.",
        &ROLE,
        GucContext::Sighup,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"ai.worker_command",
        c"The pgai executable the in-database worker runs; empty: pgai in the server's bin directory.",
        c"",
        &COMMAND,
        GucContext::Sighup,
        GucFlags::SUPERUSER_ONLY,
    );
}

/// The settings as the launcher reads them.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerSettings {
    pub databases: Vec<String>,
    pub concurrency: Option<u32>,
    pub poll_interval_s: u32,
    pub role: Option<String>,
    pub command: Option<String>,
}

pub fn current() -> Result<WorkerSettings, String> {
    let concurrency = CONCURRENCY.get();
    Ok(WorkerSettings {
        databases: databases()?,
        concurrency: (concurrency > 0).then_some(concurrency as u32),
        poll_interval_s: POLL_INTERVAL.get().max(1) as u32,
        role: string(&ROLE),
        command: string(&COMMAND),
    })
}

pub fn databases() -> Result<Vec<String>, String> {
    parse_list(&string(&DATABASES).unwrap_or_default())
}

fn string(s: &GucSetting<Option<CString>>) -> Option<String> {
    s.get().map(|c| c.to_string_lossy().trim().to_string()).filter(|v| !v.is_empty())
}

/// `a, "My DB", b` -> `[a, My DB, b]`: names separated by commas, surrounding blanks dropped;
/// a double-quoted name is taken as written (`""` is a quote). Duplicates are dropped.
pub fn parse_list(text: &str) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut name = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    Some('"') if chars.next_if_eq(&'"').is_some() => name.push('"'),
                    Some('"') => break,
                    Some(c) => name.push(c),
                    None => return Err(format!("unterminated quoted name \"{name}")),
                }
            }
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
        } else {
            while let Some(c) = chars.next_if(|c| *c != ',') {
                name.push(c);
            }
            name.truncate(name.trim_end().len());
        }
        match chars.next() {
            None | Some(',') => {}
            Some(c) => return Err(format!("unexpected {c:?} after the name {name:?}: separate names with commas")),
        }
        if name.is_empty() {
            if chars.peek().is_none() && names.is_empty() {
                return Ok(names);
            }
            return Err("empty database name in the list".to_string());
        }
        if !names.contains(&name) {
            names.push(name);
        }
        if chars.peek().is_none() {
            return Ok(names);
        }
    }
}
