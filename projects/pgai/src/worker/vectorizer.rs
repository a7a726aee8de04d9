//! Running one vectorizer: `tasks` concurrent loops taking batches until the queue is empty
//! (or a batch fails, or a shutdown is requested).
//!
//! Each loop keeps several batches in flight, each in its own transaction on its own
//! connection: as many as the provider's throttle has room for requests (it grows while the
//! provider keeps up, [`super::throttle`]), at most [`MAX_BATCHES_PER_TASK`]; two for a local
//! model. So the next batches are claimed while earlier ones' requests are out, and the
//! database's work (mostly COPY) overlaps the model API's instead of alternating with it. A
//! batch takes its place in the throttle before it claims its rows: it holds its transaction
//! only while its own requests are out.

use super::batch::{self, BatchError, Claim};
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

/// Batches one task keeps in flight at most (with a throttle; two for a local model).
pub const MAX_BATCHES_PER_TASK: usize = 24;
/// Chunks a vectorizer's tasks keep in flight at most, together: their embeddings and buffers
/// are most of the worker's memory (about 6 KB a chunk at 1,536 dimensions, twice that while
/// an answer is decoded). Enough for 5,000 chunks/s at 500 ms a request.
pub const MAX_CHUNKS_IN_FLIGHT: usize = 4500;

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
    let _progress = stats::progress(job.stats.clone(), progress_every, job.embedder.throttle().cloned());
    let mut running = JoinSet::new();
    for _ in 0..tasks.max(1) {
        let task = Task {
            pool: pool.clone(),
            job: job.clone(),
            failed: failed.clone(),
            indexing: indexing.clone(),
            max_chunks: MAX_CHUNKS_IN_FLIGHT / tasks.max(1),
        };
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
    /// This task's share of [`MAX_CHUNKS_IN_FLIGHT`].
    max_chunks: usize,
}

/// How one batch ended.
enum Ended {
    Done(batch::Done),
    Empty,
    Busy,
}

impl Task {
    /// Batches until the queue is empty, a shutdown, or a failure. The batches in flight
    /// when it stops are finished (or rolled back on a failure).
    async fn run(&self, shutdown: &Shutdown) -> Result<(), Failure> {
        let throttle = self.job.embedder.throttle().cloned();
        let mut running: JoinSet<(Result<Ended, BatchError>, CopyWriter)> = JoinSet::new();
        let mut spare: Vec<CopyWriter> = Vec::new();
        let mut drained = false;
        let mut busy = false;
        let mut refused: Option<Failure> = None;
        let mut failure: Option<Failure> = None;
        // chunks a batch carries lately (a guess at first)
        let mut chunks_per_batch = self.job.batch_size * 4;
        loop {
            let stop = shutdown.is_requested()
                || self.failed.load(Ordering::Relaxed)
                || self.job.failed.load(Ordering::Relaxed)
                || failure.is_some();
            let cap = match &throttle {
                Some(t) => t.limit().min(MAX_BATCHES_PER_TASK).min(self.max_chunks / chunks_per_batch.max(1)).max(1),
                None => 2,
            };
            while !stop && !drained && !busy && running.len() < cap {
                let (pool, job, throttle) = (self.pool.clone(), self.job.clone(), throttle.clone());
                let mut copy = spare.pop().unwrap_or_default();
                running.spawn(async move {
                    // the place in the throttle (and the turn on its budgets) first: no
                    // transaction waits for them
                    let (permit, turn) = match &throttle {
                        Some(t) => {
                            let p = t.place().await;
                            (Some(p), t.turn().await)
                        }
                        None => (None, None),
                    };
                    let ended = match batch::prepare(&pool, &job, permit, turn).await {
                        Ok(Claim::Ready(p)) => batch::finish(*p, &job, &mut copy).await.map(Ended::Done),
                        Ok(Claim::Empty) => Ok(Ended::Empty),
                        Ok(Claim::Busy) => Ok(Ended::Busy),
                        Err(e) => Err(e),
                    };
                    (ended, copy)
                });
            }
            let Some(joined) = running.join_next().await else {
                if busy && !stop {
                    busy = false;
                    if shutdown.sleep(BUSY_WAIT).await {
                        break;
                    }
                    continue;
                }
                break;
            };
            let (ended, copy) = joined.expect("a batch task panicked");
            spare.push(copy);
            match ended {
                Ok(Ended::Done(done)) => {
                    chunks_per_batch = (chunks_per_batch * 3 + done.chunks + done.reused) / 4;
                    self.job.stats.add_batch(
                        done.items - done.rejected.len() - done.load_failures.len(),
                        done.chunks,
                        done.reused,
                    );
                    for reason in &done.load_failures {
                        self.job.stats.add_error();
                        tracing::warn!(vectorizer_id = self.job.id(), reason = %reason, "a row could not be loaded: it is tried again later");
                    }
                    if !done.rejected.is_empty() {
                        let f = self.refused(&done);
                        // a batch whose every key was refused made no progress: stop, or the
                        // requeued keys would be taken again and again
                        if done.rejected.len() == done.items {
                            self.failed.store(true, Ordering::Relaxed);
                            failure.get_or_insert(f);
                        } else {
                            refused.get_or_insert(f);
                        }
                    }
                    tracing::debug!(
                        vectorizer_id = self.job.id(),
                        items = done.items,
                        chunks = done.chunks,
                        reused = done.reused,
                        "batch committed"
                    );
                    self.indexing.maybe_run(&self.pool, false).await;
                }
                Ok(Ended::Empty) => drained = true,
                Ok(Ended::Busy) => busy = true,
                Err(BatchError::Concurrent) => {
                    tracing::debug!(
                        vectorizer_id = self.job.id(),
                        "another worker wrote keys of a batch meanwhile: they stay queued"
                    );
                }
                Err(e) => {
                    let f = self.fail(e).await;
                    failure.get_or_insert(f);
                }
            }
        }
        match failure {
            Some(f) => Err(f),
            None => refused.map_or(Ok(()), Err),
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
