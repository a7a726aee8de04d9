//! Calling the async clients from synchronous code: the entry point of the PostgreSQL extension.
//!
//! A backend runs one query at a time on one thread. It must still obey `statement_timeout`
//! and query cancel (`pg_cancel_backend`, Ctrl-C in psql) while it waits for a model API,
//! which may take minutes. A blocking HTTP call (reqwest's `blocking` client, `ureq`) sleeps in
//! the kernel until the answer comes and never looks at PostgreSQL's interrupt flags, so the
//! backend would ignore cancels and timeouts for as long as the provider takes.
//!
//! [`run`] instead drives the request on the calling thread with a per-process,
//! current-thread tokio runtime, and every ~20 ms calls the caller's `interrupted` closure
//! (the extension passes one that reads `InterruptPending`). When it returns `true` the
//! request future is dropped, which closes its connection, and [`Error::Cancelled`] comes
//! back; the extension then lets PostgreSQL raise its own cancel or timeout error.
//!
//! The runtime is created lazily, on first use, so a postmaster never owns one and every
//! forked backend builds its own. The few helper threads tokio may start (for DNS lookups)
//! block every signal, so PostgreSQL's signal handlers keep running on the backend thread.

use crate::error::{Error, Result};
use crate::http::HttpClient;
use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::runtime::Runtime;

/// How often [`run`] checks `interrupted`.
pub const POLL_INTERVAL: Duration = Duration::from_millis(20);

static RUNTIME: OnceLock<std::io::Result<Runtime>> = OnceLock::new();

/// The per-process current-thread runtime (created on first use).
pub fn runtime() -> Result<&'static Runtime> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .max_blocking_threads(4)
                .thread_keep_alive(Duration::from_secs(10))
                .on_thread_start(block_all_signals)
                .build()
        })
        .as_ref()
        .map_err(|e| Error::config("", format!("cannot start the async runtime: {e}")))
}

/// The shared HTTP client (one connection pool per process).
pub fn client() -> HttpClient {
    HttpClient::shared()
}

/// Runs `fut` to completion on the calling thread, unless `interrupted()` returns `true`
/// first: then the request is abandoned and [`Error::Cancelled`] returned. `interrupted` is
/// called before starting and then every [`POLL_INTERVAL`].
///
/// Must not be called from inside a tokio runtime (tokio forbids nested `block_on`).
pub fn run<T>(fut: impl Future<Output = Result<T>>, mut interrupted: impl FnMut() -> bool) -> Result<T> {
    if interrupted() {
        return Err(Error::cancelled(""));
    }
    runtime()?.block_on(async move {
        tokio::pin!(fut);
        // Not `interval()`: its first tick waits for the timer wheel's next millisecond, which
        // cost every call ~1 ms; `interval_at` starts one poll interval from now.
        let start = tokio::time::Instant::now() + POLL_INTERVAL;
        let mut tick = tokio::time::interval_at(start, POLL_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                out = &mut fut => return out,
                _ = tick.tick() => {
                    if interrupted() {
                        return Err(Error::cancelled(""));
                    }
                }
            }
        }
    })
}

fn block_all_signals() {
    // SAFETY: sigfillset initialises the set; pthread_sigmask only changes this thread's mask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}
