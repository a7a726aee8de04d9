//! The worker's heartbeat in `ai_extra.vectorizer_worker_progress`, which `ai.vectorizer_status`
//! shows: which worker last watched each vectorizer, and when. A worker beats for every
//! vectorizer it polls, and every [`EVERY`] while it processes one.
//!
//! A heartbeat is information, not work: one that cannot be written (a role without the
//! privilege) is logged once and the worker goes on.

use sqlx::PgPool;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How often a vectorizer being processed gets a heartbeat.
pub const EVERY: Duration = Duration::from_secs(10);

/// Writes heartbeats under one worker's name.
#[derive(Clone)]
pub struct Heartbeat {
    pool: PgPool,
    worker: Arc<str>,
    warned: Arc<AtomicBool>,
}

impl Heartbeat {
    /// `name (pid N on host)`: enough to find the process.
    pub fn new(pool: PgPool, name: &str) -> Heartbeat {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let worker = format!("{name} (pid {} on {})", std::process::id(), host.trim());
        Heartbeat { pool, worker: worker.into(), warned: Arc::new(AtomicBool::new(false)) }
    }

    /// Records that this worker is watching vectorizers `ids` now.
    pub async fn beat(&self, ids: &[i32]) {
        if ids.is_empty() {
            return;
        }
        let result = sqlx::query(
            "insert into ai_extra.vectorizer_worker_progress (vectorizer_id, worker, last_heartbeat) \
             select id, $2, pg_catalog.now() from pg_catalog.unnest($1::pg_catalog.int4[]) as id \
             where exists (select 1 from ai.vectorizer v where v.id operator(pg_catalog.=) id) \
             on conflict (vectorizer_id) do update \
             set worker = excluded.worker, last_heartbeat = excluded.last_heartbeat",
        )
        .bind(ids)
        .bind(&*self.worker)
        .execute(&self.pool)
        .await;
        if let Err(e) = result {
            if !self.warned.swap(true, Ordering::Relaxed) {
                tracing::warn!(error = %e, "cannot record the worker's heartbeat (ai.vectorizer_status will not show it)");
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
