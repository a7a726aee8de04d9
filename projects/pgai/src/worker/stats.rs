//! Counters of one vectorizer's run, the progress line logged during long runs, and the
//! summary logged at the end.

use super::throttle::Throttle;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a vectorizer's tasks have done so far (shared by its tasks).
#[derive(Debug)]
pub struct Stats {
    pub vectorizer_id: i32,
    started: Instant,
    items: AtomicU64,
    chunks: AtomicU64,
    reused: AtomicU64,
    batches: AtomicU64,
    errors: AtomicU64,
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Report {
    pub vectorizer_id: i32,
    /// Queue keys processed (rows embedded, or removed because their source row is gone).
    pub items: u64,
    /// Chunks written to the target table.
    pub chunks: u64,
    /// Chunks whose text did not change: kept with their embedding, not sent to the provider.
    pub reused: u64,
    pub batches: u64,
    /// Batches that failed.
    pub errors: u64,
    pub elapsed: Duration,
}

impl Report {
    pub fn chunks_per_second(&self) -> f64 {
        self.chunks as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn items_per_second(&self) -> f64 {
        self.items as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl Stats {
    pub fn new(vectorizer_id: i32) -> Stats {
        Stats {
            vectorizer_id,
            started: Instant::now(),
            items: AtomicU64::new(0),
            chunks: AtomicU64::new(0),
            reused: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            errors: AtomicU64::new(0),
        }
    }

    pub fn add_batch(&self, items: usize, chunks: usize, reused: usize) {
        self.items.fetch_add(items as u64, Ordering::Relaxed);
        self.chunks.fetch_add(chunks as u64, Ordering::Relaxed);
        self.reused.fetch_add(reused as u64, Ordering::Relaxed);
        self.batches.fetch_add(1, Ordering::Relaxed);
    }

    pub fn add_error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    pub fn report(&self) -> Report {
        Report {
            vectorizer_id: self.vectorizer_id,
            items: self.items.load(Ordering::Relaxed),
            chunks: self.chunks.load(Ordering::Relaxed),
            reused: self.reused.load(Ordering::Relaxed),
            batches: self.batches.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            elapsed: self.started.elapsed(),
        }
    }
}

/// Logs a progress line every `every` while the returned guard lives; with the `throttle` of
/// the vectorizer's provider, its requests in flight and 429s (the endpoint's, all vectorizers
/// that send there counted).
pub fn progress(stats: Arc<Stats>, every: Duration, throttle: Option<Arc<Throttle>>) -> ProgressGuard {
    let handle = tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        let mut last = stats.report();
        loop {
            tick.tick().await;
            let now = stats.report();
            let window = (now.elapsed - last.elapsed).as_secs_f64().max(1e-9);
            let rate = (now.chunks - last.chunks) as f64 / window;
            let (in_flight_limit, rate_limited) = throttle.as_ref().map_or((0, 0), |t| (t.limit(), t.rate_limited()));
            tracing::info!(
                vectorizer_id = now.vectorizer_id,
                items = now.items,
                chunks = now.chunks,
                reused = now.reused,
                chunks_per_second = rate.round(),
                errors = now.errors,
                in_flight_limit,
                rate_limited,
                "vectorizer {}: {} items, {} chunks so far ({:.0} chunks/s), {} unchanged kept, {} errors{}",
                now.vectorizer_id,
                now.items,
                now.chunks,
                rate,
                now.reused,
                now.errors,
                match &throttle {
                    Some(_) =>
                        format!("; up to {in_flight_limit} requests in flight, {rate_limited} rate limited (429)"),
                    None => String::new(),
                },
            );
            last = now;
        }
    });
    ProgressGuard(handle)
}

/// Stops the progress line when dropped.
pub struct ProgressGuard(tokio::task::JoinHandle<()>);

impl Drop for ProgressGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Logs the summary of a finished run.
pub fn log_summary(r: &Report) {
    // an idle pass (nothing queued) is not news: a worker polling every second would repeat it
    if r.items == 0 && r.errors == 0 {
        tracing::debug!(vectorizer_id = r.vectorizer_id, "vectorizer {}: nothing queued", r.vectorizer_id);
        return;
    }
    tracing::info!(
        vectorizer_id = r.vectorizer_id,
        items = r.items,
        chunks = r.chunks,
        reused = r.reused,
        batches = r.batches,
        errors = r.errors,
        seconds = r.elapsed.as_secs_f64(),
        chunks_per_second = r.chunks_per_second().round(),
        "vectorizer {}: {} items, {} chunks in {:.2} s ({:.0} items/s, {:.0} chunks/s), {} unchanged chunks kept, {} errors",
        r.vectorizer_id,
        r.items,
        r.chunks,
        r.elapsed.as_secs_f64(),
        r.items_per_second(),
        r.chunks_per_second(),
        r.reused,
        r.errors,
    );
}

/// This process's peak resident memory (`VmHWM` of `/proc/self/status`), in KiB (Linux).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
