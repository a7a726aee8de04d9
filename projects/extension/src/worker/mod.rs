//! The in-database worker: with `shared_preload_libraries = 'ai'`, a background worker (the
//! launcher, [`launcher`]) runs one `pgai vectorizer worker` process per database named in
//! `ai.worker_databases` ([`children`]) and restarts it when it stops.
//!
//! The work runs in child processes, not in the background worker itself: PostgreSQL restarts
//! every backend when one of its own processes crashes, but a crashed child is only restarted
//! by the launcher, and the server goes on serving. The children are the very engine of the
//! CLI, connecting over the server's own socket.

mod children;
mod launcher;
mod settings;

use pgrx::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set in the postmaster when the library is preloaded; backends inherit it through fork.
static PRELOADED: AtomicBool = AtomicBool::new(false);

/// Called by `_PG_init`: defines the settings, and registers the launcher when preloading.
pub fn init() {
    settings::define();
    // SAFETY: a plain read of a flag PostgreSQL sets while it loads preloaded libraries.
    if unsafe { pg_sys::process_shared_preload_libraries_in_progress } {
        PRELOADED.store(true, Ordering::Relaxed);
        launcher::register();
    }
}

/// Whether the in-database worker processes the current database: the library is preloaded
/// and the database is listed in `ai.worker_databases`. `ai.scheduling_default()` resolves to
/// `{"implementation": "worker"}` when it does (and TimescaleDB is absent).
#[pg_extern(volatile, parallel_safe, create_or_replace, schema = "ai_extra")]
fn _worker_serves_this_database() -> bool {
    if !PRELOADED.load(Ordering::Relaxed) {
        return false;
    }
    // SAFETY: MyDatabaseId is set for every backend connected to a database.
    let name = unsafe { pg_sys::get_database_name(pg_sys::MyDatabaseId) };
    if name.is_null() {
        return false;
    }
    // SAFETY: get_database_name returns a palloc'd NUL-terminated string.
    let name = unsafe { std::ffi::CStr::from_ptr(name) }.to_string_lossy().into_owned();
    settings::databases().unwrap_or_default().contains(&name)
}

/// The databases of `ai.worker_databases`, parsed as the launcher parses them (an error names
/// the mistake); lets a user check the setting.
#[pg_extern(volatile, parallel_safe, create_or_replace, schema = "ai_extra")]
fn worker_databases() -> Vec<String> {
    match settings::databases() {
        Ok(list) => list,
        Err(e) => error!("ai.worker_databases: {e}"),
    }
}
