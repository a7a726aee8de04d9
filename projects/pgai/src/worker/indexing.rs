//! The indexing step after batches: `ai_extra._vectorizer_create_vector_index_if_needed(id)`
//! decides whether the target needs its vector index and creates it. The worker calls it
//! when the function exists (it belongs to the extension), at most every
//! [`INDEXING_EVERY`] during a run, and once more when the run ends.

use sqlx::{PgConnection, PgPool};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const INDEXING_EVERY: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct Indexing {
    vectorizer_id: i32,
    available: bool,
    last: Mutex<Instant>,
}

impl Indexing {
    /// Looks for the function once per run.
    pub async fn detect(conn: &mut PgConnection, vectorizer_id: i32) -> Result<Indexing, sqlx::Error> {
        let available: bool = sqlx::query_scalar(
            "select pg_catalog.to_regprocedure('ai_extra._vectorizer_create_vector_index_if_needed(integer)') is not null",
        )
        .fetch_one(conn)
        .await?;
        Ok(Indexing { vectorizer_id, available, last: Mutex::new(Instant::now()) })
    }

    /// Calls the function (on a connection of `pool`) if it exists and `force` or
    /// [`INDEXING_EVERY`] has passed since the last call. A failure is logged, not fatal: the
    /// next call tries again.
    pub async fn maybe_run(&self, pool: &PgPool, force: bool) {
        if !self.available {
            return;
        }
        {
            let mut last = self.last.lock().unwrap();
            if !force && last.elapsed() < INDEXING_EVERY {
                return;
            }
            *last = Instant::now();
        }
        let sql = "select ai_extra._vectorizer_create_vector_index_if_needed($1)";
        if let Err(e) = sqlx::query(sql).bind(self.vectorizer_id).execute(pool).await {
            tracing::warn!(vectorizer_id = self.vectorizer_id, error = %e, "the indexing step failed");
        }
    }
}
