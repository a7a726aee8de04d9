//! Running one vectorizer: `tasks` concurrent loops taking batches until the queue is empty
//! (or a batch fails, or a shutdown is requested).
//!
//! Each loop is a two-stage pipeline: while one batch is written and committed
//! ([`batch::finish`]), the next is claimed, chunked and embedded ([`batch::prepare`]), each
//! in its own transaction on its own connection. The database's work (mostly COPY) thus
//! overlaps the worker's and the model API's, instead of alternating with them.

use super::batch::{self, BatchError, Claim, Prepared};
use super::copy::CopyWriter;
use super::errors::{self, ErrorRecord};
use super::indexing::Indexing;
use super::job::Job;
use super::reconnect;
use super::shutdown::Shutdown;
use super::stats::{self, Report};
use sqlx::PgPool;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;

/// How long a task waits when every queued key it saw is held by another worker.
const BUSY_WAIT: Duration = Duration::from_millis(50);

/// How long a failed task tries to record its error (the database may be what failed).
const RECORD_TIMEOUT: Duration = Duration::from_secs(10);

/// What a run did, and the first failure if a batch failed.
#[derive(Debug)]
pub struct RunResult {
    pub report: Report,
    pub error: Option<Failure>,
}

/// Why a batch failed.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The error, any secret scrubbed out.
    pub message: String,
    /// The database connection was lost (or the server went away): worth reconnecting.
    pub connection_lost: bool,
}

/// Processes `job`'s queue with `tasks` concurrent tasks until it is empty.
pub async fn run(
    pool: &PgPool,
    job: Arc<Job>,
    tasks: usize,
    progress_every: Duration,
    shutdown: &Shutdown,
) -> Result<RunResult, sqlx::Error> {
    let indexing = Arc::new(Indexing::detect(&mut *pool.acquire().await?, job.id()).await?);
    let failed = Arc::new(AtomicBool::new(false));
    let _progress = stats::progress(job.stats.clone(), progress_every);
    let mut running = JoinSet::new();
    for _ in 0..tasks.max(1) {
        let task = Task { pool: pool.clone(), job: job.clone(), failed: failed.clone(), indexing: indexing.clone() };
        let shutdown = shutdown.clone();
        running.spawn(async move { task.run(&shutdown).await });
    }
    let mut first_error = None;
    while let Some(done) = running.join_next().await {
        if let Err(e) = done.expect("a vectorizer task panicked") {
            match &mut first_error {
                None => first_error = Some(e),
                Some(first) => first.connection_lost |= e.connection_lost,
            }
        }
    }
    if first_error.is_none() && !shutdown.is_requested() {
        indexing.maybe_run(pool, true).await;
    }
    let report = job.stats.report();
    stats::log_summary(&report);
    Ok(RunResult { report, error: first_error })
}

/// One batch loop.
struct Task {
    pool: PgPool,
    job: Arc<Job>,
    /// Set by the first failing task: the others stop taking batches (a failing provider is
    /// not hammered).
    failed: Arc<AtomicBool>,
    indexing: Arc<Indexing>,
}

impl Task {
    /// Batches until the queue is empty, a shutdown, or a failure. The batches in flight
    /// when it stops are finished (or rolled back on a failure).
    async fn run(&self, shutdown: &Shutdown) -> Result<(), Failure> {
        let mut copy = CopyWriter::new();
        let mut pending: Option<Prepared> = None;
        let mut refused: Option<Failure> = None;
        loop {
            let stop = shutdown.is_requested() || self.failed.load(Ordering::Relaxed);
            // Prepare the next batch while the pending one is written.
            let (next, written) = tokio::join!(
                async {
                    if stop {
                        None
                    } else {
                        Some(batch::prepare(&self.pool, &self.job).await)
                    }
                },
                async {
                    match pending.take() {
                        Some(p) => Some(batch::finish(p, &self.job, &mut copy).await),
                        None => None,
                    }
                }
            );
            match written {
                Some(Ok(done)) => {
                    self.job.stats.add_batch(done.items - done.rejected.len(), done.chunks);
                    if !done.rejected.is_empty() {
                        let failure = self.refused(&done);
                        // a batch whose every key was refused made no progress: stop, or the
                        // requeued keys would be taken again and again
                        if done.rejected.len() == done.items {
                            self.failed.store(true, Ordering::Relaxed);
                            if let Some(Ok(Claim::Ready(next))) = next {
                                next.rollback().await;
                            }
                            return Err(failure);
                        }
                        refused.get_or_insert(failure);
                    }
                    tracing::debug!(
                        vectorizer_id = self.job.id(),
                        items = done.items,
                        chunks = done.chunks,
                        "batch committed"
                    );
                    self.indexing.maybe_run(&self.pool, false).await;
                }
                Some(Err(e)) => {
                    if let Some(Ok(Claim::Ready(next))) = next {
                        next.rollback().await;
                    }
                    return Err(self.fail(e).await);
                }
                None => {}
            }
            match next {
                None | Some(Ok(Claim::Empty)) => return refused.map_or(Ok(()), Err),
                Some(Ok(Claim::Ready(p))) => pending = Some(p),
                Some(Ok(Claim::Busy)) => {
                    if shutdown.sleep(BUSY_WAIT).await {
                        return refused.map_or(Ok(()), Err);
                    }
                }
                Some(Err(e)) => return Err(self.fail(e).await),
            }
        }
    }

    /// Logs a batch that was written except for rows the target table refused (their keys
    /// are queued again and the refusals recorded in the batch's own transaction).
    fn refused(&self, done: &batch::Done) -> Failure {
        let job = &self.job;
        for _ in &done.rejected {
            job.stats.add_error();
        }
        let first = done.rejected.first().map(|r| r.reason.as_str()).unwrap_or_default();
        let message = format!(
            "the target table refused {} of the {} rows of a batch (their keys stay queued): {first}",
            done.rejected.len(),
            done.items
        );
        let message = providers::error::redact_str(&message, job.secret.as_deref());
        tracing::error!(vectorizer_id = job.id(), error = %message, "rows refused");
        Failure { message, connection_lost: false }
    }

    /// Logs and records a failed batch (its transaction is already rolled back).
    async fn fail(&self, e: BatchError) -> Failure {
        let job = &self.job;
        self.failed.store(true, Ordering::Relaxed);
        job.stats.add_error();
        let message = providers::error::redact_str(&e.to_string(), job.secret.as_deref());
        let connection_lost = matches!(&e, BatchError::Database(db) if reconnect::is_connection_lost(db));
        tracing::error!(vectorizer_id = job.id(), error = %message, "batch failed; its items stay queued");
        let record = match &e {
            BatchError::Embed { error, items } => {
                ErrorRecord::provider(job.embedder.provider_name(), &message, error.status(), *items)
            }
            _ => ErrorRecord::other(&message),
        };
        let recorded = tokio::time::timeout(RECORD_TIMEOUT, async {
            let mut conn = self.pool.acquire().await?;
            errors::record(&mut conn, job.id(), &record, job.secret.as_deref()).await
        })
        .await;
        match recorded {
            Ok(Ok(())) => {}
            Ok(Err(re)) => tracing::warn!(vectorizer_id = job.id(), error = %re, "could not record the error"),
            Err(_) => {
                tracing::warn!(vectorizer_id = job.id(), "could not record the error: the database did not answer")
            }
        }
        Failure { message, connection_lost }
    }
}
