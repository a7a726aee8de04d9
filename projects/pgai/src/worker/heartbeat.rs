//! The worker's heartbeat, in whichever catalog the database has:
//!
//! - pgai 0.10's and later (`pgai install`): the process registers with `ai._worker_start`,
//!   beats with `ai._worker_heartbeat` (successes and errors since the last beat), and reports
//!   each vectorizer's runs with `ai._worker_progress`, as pgai's worker does;
//! - this project's extension: `ai_extra.vectorizer_worker_progress`, which
//!   `ai_extra.vectorizer_worker_status` shows (which worker last watched each vectorizer).
//!
//! A worker beats for every vectorizer it polls, and every [`EVERY`] while it processes one.
//! A heartbeat is information, not work: one that cannot be written (a role without the
//! privilege) is logged once and the worker goes on.

use sqlx::types::Uuid;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// How often a vectorizer being processed gets a heartbeat.
pub const EVERY: Duration = Duration::from_secs(10);

/// Writes heartbeats under one worker's name.
#[derive(Clone)]
pub struct Heartbeat {
    pool: PgPool,
    worker: Arc<str>,
    poll_interval: Duration,
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    /// What the database has, looked up at the first beat.
    found: Option<Found>,
    /// pgai's process id of this worker (`ai._worker_start`).
    process: Option<Uuid>,
    successes: i64,
    errors: i64,
    last_error: Option<String>,
    warned: bool,
}

#[derive(Clone, Copy)]
struct Found {
    extension_table: bool,
    pgai_tracking: bool,
}

impl Heartbeat {
    /// `name (pid N on host)`: enough to find the process. `poll_interval`: the heartbeat
    /// interval pgai's tracking expects.
    pub fn new(pool: PgPool, name: &str, poll_interval: Duration) -> Heartbeat {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let worker = format!("{name} (pid {} on {})", std::process::id(), host.trim());
        Heartbeat { pool, worker: worker.into(), poll_interval, state: Default::default() }
    }

    /// Records that this worker is watching vectorizers `ids` now.
    pub async fn beat(&self, ids: &[i32]) {
        let mut state = self.state.lock().await;
        let result = self.beat_locked(&mut state, ids).await;
        self.warn_once(&mut state, result);
    }

    async fn beat_locked(&self, state: &mut State, ids: &[i32]) -> Result<(), sqlx::Error> {
        let found = match state.found {
            Some(f) => f,
            None => {
                let (extension_table, pgai_tracking): (bool, bool) = sqlx::query_as(
                    "select pg_catalog.to_regclass('ai_extra.vectorizer_worker_progress') is not null, \
                            pg_catalog.to_regprocedure('ai._worker_start(text, interval)') is not null",
                )
                .fetch_one(&self.pool)
                .await?;
                *state.found.insert(Found { extension_table, pgai_tracking })
            }
        };
        if found.pgai_tracking {
            let process = match state.process {
                Some(p) => p,
                None => {
                    let p: Uuid = sqlx::query_scalar("select ai._worker_start($1, $2)")
                        .bind(crate::install::CATALOG_VERSION)
                        .bind(self.poll_interval)
                        .fetch_one(&self.pool)
                        .await?;
                    *state.process.insert(p)
                }
            };
            sqlx::query("select ai._worker_heartbeat($1, $2, $3, $4)")
                .bind(process)
                .bind(state.successes as i32)
                .bind(state.errors as i32)
                .bind(state.last_error.as_deref())
                .execute(&self.pool)
                .await?;
            (state.successes, state.errors, state.last_error) = (0, 0, None);
        }
        if found.extension_table && !ids.is_empty() {
            sqlx::query(
                "insert into ai_extra.vectorizer_worker_progress (vectorizer_id, worker, last_heartbeat) \
                 select id, $2, pg_catalog.now() from pg_catalog.unnest($1::pg_catalog.int4[]) as id \
                 where exists (select 1 from ai.vectorizer v where v.id operator(pg_catalog.=) id) \
                 on conflict (vectorizer_id) do update \
                 set worker = excluded.worker, last_heartbeat = excluded.last_heartbeat",
            )
            .bind(ids)
            .bind(&*self.worker)
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    /// Reports a vectorizer's run: `successes` items processed, and its error if it failed
    /// (pgai's `ai._worker_progress`; counted for the next heartbeat either way).
    pub async fn progress(&self, id: i32, successes: u64, error: Option<&str>) {
        let mut state = self.state.lock().await;
        state.successes += successes as i64;
        if let Some(e) = error {
            state.errors += 1;
            state.last_error = Some(e.to_string());
        }
        let Some(process) = state.process else { return };
        let result = sqlx::query("select ai._worker_progress($1, $2, $3, $4)")
            .bind(process)
            .bind(id)
            .bind(successes.min(i32::MAX as u64) as i32)
            .bind(error)
            .execute(&self.pool)
            .await
            .map(|_| ());
        self.warn_once(&mut state, result);
    }

    fn warn_once(&self, state: &mut State, result: Result<(), sqlx::Error>) {
        if let Err(e) = result {
            if !std::mem::replace(&mut state.warned, true) {
                tracing::warn!(error = %e, "cannot record the worker's heartbeat (the catalog's worker status will not show it)");
            }
        }
    }

    /// Beats for vectorizer `id` every [`EVERY`] until the guard is dropped.
    pub fn keep_beating(&self, id: i32) -> BeatingGuard {
        let me = self.clone();
        BeatingGuard(tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + EVERY, EVERY);
            loop {
                tick.tick().await;
                me.beat(&[id]).await;
            }
        }))
    }
}

/// Stops the heartbeat when dropped.
pub struct BeatingGuard(tokio::task::JoinHandle<()>);

impl Drop for BeatingGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}
