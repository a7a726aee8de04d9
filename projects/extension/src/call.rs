//! Running a provider request inside a backend: cancellable, with errors Postgres users can read.
//!
//! The request runs on this thread (providers::blocking), which checks every 20 ms whether
//! Postgres wants the query cancelled (`statement_timeout`, `pg_cancel_backend`) or the backend
//! terminated; then the request is dropped and Postgres raises its own error.

use pgrx::pg_sys;
use pgrx::prelude::*;
use providers::Result;
use std::future::Future;
use std::time::{Duration, Instant};

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

/// Runs the request `attempt` makes, retrying transport failures (no answer at all) with
/// exponential backoff and jitter, as pgai's calls to its executor do: at most `max_tries`
/// attempts, no wait past `max_time` from the first one; `on_retry(tries, elapsed, wait)` is
/// told of each retry. HTTP answers of any status are the caller's to handle.
pub fn call_with_transport_retries<T, Fut>(
    max_tries: u32,
    max_time: Duration,
    mut on_retry: impl FnMut(u32, Duration, Duration),
    mut attempt: impl FnMut() -> Fut,
) -> T
where
    Fut: Future<Output = Result<T>>,
{
    let start = Instant::now();
    let mut tries = 0;
    loop {
        tries += 1;
        let err = match providers::blocking::run(attempt(), cancel_requested) {
            Ok(v) => return v,
            Err(e) => e,
        };
        let elapsed = start.elapsed();
        if err.is_cancelled() || !err.is_transport() || tries >= max_tries || elapsed >= max_time {
            return call(async { Err::<T, _>(err) });
        }
        let wait = providers::executor::backoff(tries).min(max_time.saturating_sub(elapsed));
        on_retry(tries, elapsed, wait);
        call(providers::executor::sleep(wait));
    }
}

/// An error pgai 0.7 raised from PL/Python with `plpy.error`, which PostgreSQL shows as
/// `plpy.Error: <message>`: the same text here, for code that matches pgai's messages.
pub fn plpy_error(message: &str, detail: Option<String>) -> ! {
    let message = format!("plpy.Error: {message}");
    match detail {
        Some(detail) => {
            ereport!(ERROR, PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, message, detail);
        }
        None => {
            ereport!(ERROR, PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, message);
        }
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
