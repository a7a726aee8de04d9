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

/// What a finished batch did: `items` keys processed, `chunks` rows written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Done {
    pub items: usize,
    pub chunks: usize,
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
    if let Err(e) = write(&mut tx, job, &claimed.rows, &chunks, &embeddings, copy).await {
        let _ = tx.rollback().await;
        return Err(e.into());
    }
    // 5. commit
    tx.commit().await?;
    Ok(Done { items: claimed.items, chunks: chunks.texts.len() })
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

/// Step 4: writes the chunks and their embeddings into the target table (binary COPY).
pub async fn write(
    tx: &mut PgConnection,
    job: &Job,
    rows: &[SourceRow],
    chunks: &Chunks,
    embeddings: &[Vec<f32>],
    copy: &mut CopyWriter,
) -> Result<(), sqlx::Error> {
    if chunks.texts.is_empty() {
        return Ok(());
    }
    let mut sink = tx.copy_in_raw(&job.queries.copy).await?;
    copy.begin();
    for ((text, &(row, seq)), embedding) in chunks.texts.iter().zip(&chunks.origin).zip(embeddings) {
        copy.row(&rows[row].key, job.queries.key_columns, seq, text, embedding);
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
