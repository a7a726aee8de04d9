//! One batch, top to bottom, in one transaction:
//!
//! queue -> source rows -> chunks -> embeddings -> target table -> commit
//!
//! [`prepare`] (steps 1 to 3, the transaction left open), then [`finish`] (4 and 5):
//!
//! 1. [`claim`]: take up to `batch_size` queue rows, lock their distinct keys, dequeue them,
//!    delete the keys' old chunks and read their current source rows (one statement);
//! 2. [`chunk`]: split each row's chunk column and format every chunk with the template;
//! 3. embed the formatted chunks ([`Embedder::embed`](super::embed::Embedder::embed));
//! 4. [`write`]: binary `COPY` of the new rows into the target table;
//! 5. commit.
//!
//! Any failure rolls the transaction back: the keys return to the queue, their old chunks
//! are back, nothing half-written remains. A crash does the same (the server rolls back).
//! The split lets a worker [`prepare`] its next batch while the previous one is written.

use super::copy::{encode_field, CopyWriter};
use super::embed::EmbedError;
use super::errors::{self, ErrorRecord};
use super::job::Job;
use crate::formatting::TemplateError;
use sqlx::postgres::PgValueFormat;
use sqlx::{PgConnection, PgPool, Postgres, Row, Transaction, ValueRef};

/// What [`prepare`] found.
#[derive(Debug)]
pub enum Claim {
    /// The queue had no row this worker could take.
    Empty,
    /// Rows were queued, but other workers hold all their keys.
    Busy,
    /// A batch claimed and embedded, ready to [`finish`].
    Ready(Prepared),
}

/// A batch claimed and embedded; its transaction is open (its keys are locked).
#[derive(Debug)]
pub struct Prepared {
    tx: Transaction<'static, Postgres>,
    claimed: Claimed,
    chunks: Chunks,
    embeddings: Vec<Vec<f32>>,
}

impl Prepared {
    /// Gives the batch up: its keys return to the queue.
    pub async fn rollback(self) {
        let _ = self.tx.rollback().await;
    }
}

/// What a finished batch did: `items` keys processed, `chunks` rows written, and the keys the
/// target table refused (back in the queue, recorded in `ai.vectorizer_errors`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub items: usize,
    pub chunks: usize,
    pub rejected: Vec<Rejected>,
}

/// A row whose chunks the target table refused (a constraint, a value out of range): the
/// rest of its batch is written, and its key goes back to the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Index into the batch's rows.
    pub row: usize,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("{error}")]
    Embed { error: EmbedError, items: usize },
    #[error("formatting a chunk failed: {0}")]
    Format(#[from] TemplateError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Steps 1 to 3 on a connection of `pool`: claim, chunk, embed. On an error the transaction
/// is rolled back.
pub async fn prepare(pool: &PgPool, job: &Job) -> Result<Claim, BatchError> {
    let mut tx = pool.begin().await?;
    match claim_chunk_embed(&mut tx, job).await {
        Ok(Stage::Ready { claimed, chunks, embeddings }) => {
            Ok(Claim::Ready(Prepared { tx, claimed, chunks, embeddings }))
        }
        Ok(Stage::Empty) => {
            tx.commit().await?;
            Ok(Claim::Empty)
        }
        Ok(Stage::Busy) => {
            tx.commit().await?;
            Ok(Claim::Busy)
        }
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

enum Stage {
    Empty,
    Busy,
    Ready { claimed: Claimed, chunks: Chunks, embeddings: Vec<Vec<f32>> },
}

async fn claim_chunk_embed(tx: &mut PgConnection, job: &Job) -> Result<Stage, BatchError> {
    // 1. queue -> source rows
    let claimed = claim(tx, job).await?;
    if claimed.items == 0 {
        return Ok(if claimed.selected == 0 { Stage::Empty } else { Stage::Busy });
    }
    // 2. source rows -> chunks
    let chunks = chunk(job, &claimed.rows)?;
    // 3. chunks -> embeddings
    let embeddings =
        job.embedder.embed(&chunks.texts).await.map_err(|error| BatchError::Embed { error, items: claimed.items })?;
    Ok(Stage::Ready { claimed, chunks, embeddings })
}

/// Steps 4 and 5: writes the batch's rows and commits. On an error the transaction is
/// rolled back. `copy` is a reusable buffer.
pub async fn finish(batch: Prepared, job: &Job, copy: &mut CopyWriter) -> Result<Done, BatchError> {
    let Prepared { mut tx, claimed, chunks, embeddings } = batch;
    // 4. embeddings -> target table
    let out = Output { job, rows: &claimed.rows, chunks: &chunks, embeddings: &embeddings };
    let rejected = match write(&mut tx, &out, copy).await {
        Ok(rejected) => rejected,
        Err(e) => {
            let _ = tx.rollback().await;
            return Err(e.into());
        }
    };
    for r in &rejected {
        let record = ErrorRecord::rejected(&r.reason);
        if let Err(e) = errors::record(&mut tx, job.id(), &record, job.secret.as_deref()).await {
            let _ = tx.rollback().await;
            return Err(e.into());
        }
    }
    // 5. commit
    tx.commit().await?;
    let written = chunks.origin.iter().filter(|(row, _)| !rejected.iter().any(|r| r.row == *row)).count();
    Ok(Done { items: claimed.items, chunks: written, rejected })
}

/// A source row of the batch.
#[derive(Debug)]
pub struct SourceRow {
    /// The key columns, encoded as binary COPY fields.
    pub key: Vec<u8>,
    /// The chunk column as text (`None`: NULL).
    pub text: Option<String>,
    /// The template's other columns as text, in [`Queries::columns`](super::queries::Queries::columns) order.
    pub columns: Vec<Option<String>>,
}

/// What the claim statement returned.
#[derive(Debug)]
pub struct Claimed {
    /// Queue rows selected (locked or not).
    pub selected: i64,
    /// Distinct keys this batch locked and dequeued.
    pub items: usize,
    /// Their source rows (keys whose row is gone have none).
    pub rows: Vec<SourceRow>,
}

/// Step 1: claims keys and reads their rows (see [`Queries::claim`](super::queries::Queries::claim)).
pub async fn claim(tx: &mut PgConnection, job: &Job) -> Result<Claimed, sqlx::Error> {
    let q = &job.queries;
    let result = sqlx::query(&q.claim).bind(job.batch_size as i64).bind(job.lock_namespace).fetch_all(&mut *tx).await?;
    let selected = result.first().map(|r| r.try_get::<i64, _>(0)).transpose()?.unwrap_or(0);
    let found_at = 1 + q.key_columns;
    let mut claimed = Claimed { selected, items: 0, rows: Vec::with_capacity(result.len()) };
    for r in &result {
        if r.try_get_raw(1)?.is_null() {
            continue; // no key locked: the single row that only reports `selected`
        }
        claimed.items += 1;
        if r.try_get::<Option<bool>, _>(found_at)?.is_none() {
            continue; // deleted since it was queued: dequeued, nothing to write
        }
        let mut key = Vec::new();
        for i in 1..found_at {
            let value = r.try_get_raw(i)?;
            debug_assert_eq!(value.format(), PgValueFormat::Binary);
            let bytes = value.as_bytes().map_err(sqlx::Error::Decode)?;
            encode_field(&mut key, Some(bytes));
        }
        let text = r.try_get::<Option<String>, _>(found_at + 1)?;
        let columns =
            (0..q.columns.len()).map(|i| r.try_get::<Option<String>, _>(found_at + 2 + i)).collect::<Result<_, _>>()?;
        claimed.rows.push(SourceRow { key, text, columns });
    }
    Ok(claimed)
}

/// The formatted chunks of a batch, in row order.
#[derive(Debug, Default)]
pub struct Chunks {
    /// What is embedded and stored in the `chunk` column.
    pub texts: Vec<String>,
    /// For each text: its row (index into the batch's rows) and `chunk_seq` (from 0).
    pub origin: Vec<(usize, i32)>,
}

/// Step 2: chunks every row's text and formats each chunk. A NULL or blank text has no
/// chunks (its old chunks are simply gone). A NULL template column renders as `None`, as
/// Python's `str(None)` does in pgai.
pub fn chunk(job: &Job, rows: &[SourceRow]) -> Result<Chunks, TemplateError> {
    let mut out = Chunks::default();
    for (r, row) in rows.iter().enumerate() {
        let Some(text) = &row.text else { continue };
        for (seq, piece) in job.chunker.split(text).into_iter().enumerate() {
            let formatted = if job.template_is_chunk {
                piece
            } else {
                job.template.render(&piece, |name| {
                    let i = job.queries.columns.iter().position(|c| c == name)?;
                    Some(row.columns[i].as_deref().unwrap_or("None"))
                })?
            };
            out.texts.push(formatted);
            out.origin.push((r, seq as i32));
        }
    }
    Ok(out)
}

/// COPY data is sent to the server in pieces of about this size.
const COPY_PIECE: usize = 1 << 20;

/// What step 4 writes: the batch's rows, their chunks and the chunks' embeddings.
pub struct Output<'a> {
    pub job: &'a Job,
    pub rows: &'a [SourceRow],
    pub chunks: &'a Chunks,
    pub embeddings: &'a [Vec<f32>],
}

/// Step 4: writes the chunks and their embeddings into the target table (binary COPY).
///
/// When the table refuses the batch's data (a constraint, a value out of range: SQLSTATE
/// classes 22 and 23), the batch is written again row by row, each under a savepoint, so that
/// one row that can never be written does not hold back the others: the refused rows' keys go
/// back to the queue and are returned.
pub async fn write(
    tx: &mut PgConnection,
    out: &Output<'_>,
    copy: &mut CopyWriter,
) -> Result<Vec<Rejected>, sqlx::Error> {
    let origin = &out.chunks.origin;
    let Some(&(first_row, _)) = origin.first() else { return Ok(Vec::new()) };
    if origin.iter().all(|(row, _)| *row == first_row) {
        return copy_chunks(tx, out, copy, 0..origin.len()).await.map(|()| Vec::new());
    }
    execute(tx, "savepoint pgai_batch").await?;
    match copy_chunks(tx, out, copy, 0..origin.len()).await {
        Ok(()) => Ok(Vec::new()),
        Err(e) if refused_data(&e) => {
            execute(tx, "rollback to savepoint pgai_batch").await?;
            write_row_by_row(tx, out, copy).await
        }
        Err(e) => Err(e),
    }
}

/// [`write`]'s slow path: each row's chunks under their own savepoint.
async fn write_row_by_row(
    tx: &mut PgConnection,
    out: &Output<'_>,
    copy: &mut CopyWriter,
) -> Result<Vec<Rejected>, sqlx::Error> {
    let origin = &out.chunks.origin;
    let mut rejected = Vec::new();
    let mut start = 0;
    while start < origin.len() {
        let row = origin[start].0;
        let end = start + origin[start..].iter().take_while(|(r, _)| *r == row).count();
        execute(tx, "savepoint pgai_row").await?;
        match copy_chunks(tx, out, copy, start..end).await {
            Ok(()) => execute(tx, "release savepoint pgai_row").await?,
            Err(e) if refused_data(&e) => {
                execute(tx, "rollback to savepoint pgai_row").await?;
                requeue(tx, out.job, &out.rows[row].key, copy).await?;
                let reason = match &e {
                    sqlx::Error::Database(db) => db.message().to_string(),
                    other => other.to_string(),
                };
                rejected.push(Rejected { row, reason });
            }
            Err(e) => return Err(e),
        }
        start = end;
    }
    Ok(rejected)
}

async fn execute(tx: &mut PgConnection, sql: &str) -> Result<(), sqlx::Error> {
    sqlx::query(sql).execute(&mut *tx).await.map(|_| ())
}

/// Whether the server refused the data itself (classes 22 data exception, 23 integrity
/// constraint violation), not the connection or the statement.
fn refused_data(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().is_some_and(|c| c.starts_with("22") || c.starts_with("23")))
}

/// Puts `key` back into the queue (`queued_at` now).
async fn requeue(tx: &mut PgConnection, job: &Job, key: &[u8], copy: &mut CopyWriter) -> Result<(), sqlx::Error> {
    let mut sink = tx.copy_in_raw(&job.queries.requeue).await?;
    copy.begin();
    copy.key_row(key, job.queries.key_columns);
    copy.end();
    sink.send(copy.as_bytes()).await?;
    copy.take_pending();
    sink.finish().await.map(|_| ())
}

/// COPYs the chunks `range` (with their embeddings) into the target table.
async fn copy_chunks(
    tx: &mut PgConnection,
    out: &Output<'_>,
    copy: &mut CopyWriter,
    range: std::ops::Range<usize>,
) -> Result<(), sqlx::Error> {
    let key_columns = out.job.queries.key_columns;
    let mut sink = tx.copy_in_raw(&out.job.queries.copy).await?;
    copy.begin();
    let chunks = out.chunks.texts[range.clone()].iter().zip(&out.chunks.origin[range.clone()]);
    for ((text, &(row, seq)), embedding) in chunks.zip(&out.embeddings[range]) {
        copy.row(&out.rows[row].key, key_columns, seq, text, embedding);
        if copy.len() >= COPY_PIECE {
            sink.send(copy.as_bytes()).await?;
            copy.take_pending();
        }
    }
    copy.end();
    sink.send(copy.as_bytes()).await?;
    copy.take_pending();
    sink.finish().await?;
    Ok(())
}
