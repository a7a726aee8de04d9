//! Running a provider request inside a backend: cancellable, with errors Postgres users can read.
//!
//! The request runs on this thread (providers::blocking), which checks every 20 ms whether
//! Postgres wants the query cancelled (`statement_timeout`, `pg_cancel_backend`) or the backend
//! terminated; then the request is dropped and Postgres raises its own error.

use pgrx::pg_sys;
use pgrx::prelude::*;
use providers::Result;
use std::future::Future;

fn cancel_requested() -> bool {
    // SAFETY: plain reads of sig_atomic_t flags that signal handlers set on this thread.
    unsafe { pg_sys::QueryCancelPending != 0 || pg_sys::ProcDiePending != 0 }
}

/// Runs `fut` to completion, or raises the error Postgres (or the provider) gave.
pub fn call<T>(fut: impl Future<Output = Result<T>>) -> T {
    match providers::blocking::run(fut, cancel_requested) {
        Ok(v) => v,
        Err(e) if e.is_cancelled() => {
            check_for_interrupts!();
            error!("canceling statement: interrupted while waiting for the model API")
        }
        Err(e) => error!("{e}"),
    }
}

/// A setting's value, or `None` when it is unset or empty.
pub fn setting(name: &str) -> Option<String> {
    Spi::get_one_with_args::<String>("select pg_catalog.current_setting($1, true)", &[name.into()])
        .ok()
        .flatten()
        .filter(|v| !v.is_empty())
}

/// A required argument of a function that also takes optional ones (so PostgreSQL calls it
/// with NULLs): a NULL is an error that names the argument.
pub fn required<T>(value: Option<T>, name: &str) -> T {
    value.unwrap_or_else(|| error!("{name} must not be null"))
}
