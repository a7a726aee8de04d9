//! One batch, top to bottom, in one transaction:
//!
//! queue -> source rows -> chunks -> embeddings -> target table -> commit
//!
//! [`prepare`] (steps 1 to 4, the transaction left open), then [`finish`] (5 and 6):
//!
//! 1. [`claim`]: take up to `batch_size` queue rows, lock their distinct keys, dequeue them,
//!    and read their current source rows and the chunks the target has for them (one
//!    statement);
//! 2. [`chunk`]: split each row's chunk column and format every chunk with the template;
//! 3. [`reuse::plan`]: match the new chunks with the old ones by their text's hash: a match
//!    keeps its row and embedding;
//! 4. embed the chunks without a match ([`Embedder::embed`](super::embed::Embedder::embed));
//! 5. [`finish`]: delete the old rows without a match, move the kept ones to their new
//!    `chunk_seq`, and `COPY` the new rows into the target table (binary);
//! 6. commit.
//!
//! Any failure rolls the transaction back: the keys return to the queue, their old chunks
//! are back, nothing half-written remains. A crash does the same (the server rolls back).
//! The split lets a worker [`prepare`] more batches while others are written.

use super::catalog::Destination;
use super::copy::{encode_field, CopyWriter};
use super::embed::EmbedError;
use super::errors::{self, ErrorRecord};
use super::job::Job;
use super::loading::{self, Content};
use super::reuse::{self, OldChunk, Plan};
use super::throttle::{Permit, Turn};
use crate::formatting::TemplateError;
use sqlx::postgres::PgValueFormat;
use sqlx::types::Uuid;
use sqlx::{PgConnection, PgPool, Postgres, Row, Transaction, ValueRef};
use std::sync::atomic::Ordering;

/// What [`prepare`] found.
#[derive(Debug)]
pub enum Claim {
    /// The queue had no row this worker could take.
    Empty,
    /// Rows were queued, but other workers hold all their keys.
    Busy,
    /// A batch claimed and embedded, ready to [`finish`].
    Ready(Box<Prepared>),
}

/// A batch claimed and embedded; its transaction is open (its keys are locked).
#[derive(Debug)]
pub struct Prepared {
    tx: Transaction<'static, Postgres>,
    claimed: Claimed,
    chunks: Chunks,
    plan: Plan,
    /// The embeddings of `plan.embed`'s chunks, in that order.
    embeddings: Vec<Vec<f32>>,
}

impl Prepared {
    /// Gives the batch up: its keys return to the queue.
    pub async fn rollback(self) {
        let _ = self.tx.rollback().await;
    }
}

/// What a finished batch did: `items` keys processed, `chunks` new rows written, `reused`
/// rows kept with their embedding (their text did not change), and the keys the target table
/// refused (back in the queue, recorded in `ai.vectorizer_errors`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub items: usize,
    pub chunks: usize,
    pub reused: usize,
    pub rejected: Vec<Rejected>,
    /// Rows that could not be loaded (queued again for later, or moved to the failed queue;
    /// recorded in `ai.vectorizer_errors`), with why.
    pub load_failures: Vec<String>,
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
    /// Another worker wrote chunks of a key of this batch after the claim read them (it held
    /// the key until it committed): the batch is rolled back and its keys processed again.
    #[error("another worker wrote these keys meanwhile; they stay queued")]
    Concurrent,
}

/// Steps 1 to 4 on a connection of `pool`: claim, chunk, plan, embed. `permit` and `turn`:
/// the batch's place in the provider's throttle and its turn on the budgets, taken before the
/// claim (given back if nothing is sent).
/// On an error the transaction is rolled back.
pub async fn prepare(
    pool: &PgPool,
    job: &Job,
    permit: Option<Permit>,
    turn: Option<Turn>,
) -> Result<Claim, BatchError> {
    if job.failed.load(Ordering::SeqCst) {
        if let Some(p) = permit {
            p.cancel().await;
        }
        return Ok(Claim::Empty);
    }
    let mut tx = pool.begin().await?;
    match claim_chunk_embed(&mut tx, job, permit, turn).await {
        Ok(Stage::Ready(ready)) => {
            let Ready { claimed, chunks, plan, embeddings } = *ready;
            Ok(Claim::Ready(Box::new(Prepared { tx, claimed, chunks, plan, embeddings })))
        }
        Ok(Stage::Empty) => {
            tx.commit().await?;
            Ok(Claim::Empty)
        }
        Ok(Stage::Busy) => {
            tx.commit().await?;
            Ok(Claim::Busy)
        }
        Ok(Stage::Abandoned) => {
            let _ = tx.rollback().await;
            Ok(Claim::Empty)
        }
        Err(e) => {
            job.failed.store(true, Ordering::SeqCst);
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

enum Stage {
    Empty,
    Busy,
    /// Another batch of the run failed: these rows may be the ones it gave back.
    Abandoned,
    Ready(Box<Ready>),
}

struct Ready {
    claimed: Claimed,
    chunks: Chunks,
    plan: Plan,
    embeddings: Vec<Vec<f32>>,
}

async fn claim_chunk_embed(
    tx: &mut PgConnection,
    job: &Job,
    permit: Option<Permit>,
    turn: Option<Turn>,
) -> Result<Stage, BatchError> {
    // a vectorizer disabled (or dropped) meanwhile is left alone from its next batch on, as
    // pgai's worker does
    if job.vectorizer.lib_layout {
        let disabled: Option<bool> =
            sqlx::query_scalar("select v.disabled from ai.vectorizer v where v.id operator(pg_catalog.=) $1")
                .bind(job.id())
                .fetch_optional(&mut *tx)
                .await?;
        if disabled != Some(false) {
            if let Some(p) = permit {
                p.cancel().await;
            }
            tracing::info!(vectorizer_id = job.id(), "the vectorizer is disabled or gone: not processed");
            return Ok(Stage::Empty);
        }
    }
    // 1. queue -> source rows (and the chunks the target has for them)
    let claimed = claim(tx, job).await?;
    // a failed batch sets the flag before it rolls back: a claim that got its rows sees it
    let abandoned = job.failed.load(Ordering::SeqCst);
    if claimed.items == 0 || abandoned {
        if let Some(p) = permit {
            p.cancel().await;
        }
        return Ok(if abandoned {
            Stage::Abandoned
        } else if claimed.selected == 0 {
            Stage::Empty
        } else {
            Stage::Busy
        });
    }
    // 2. source rows -> chunks
    let chunks = chunk(job, &claimed.rows)?;
    // 3. what changed
    // a row that could not be loaded keeps what it has: its old chunks stay
    let old: Vec<&[OldChunk]> = claimed
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| if chunks.failures.iter().any(|(f, _)| *f == i) { &[][..] } else { r.old.as_slice() })
        .collect();
    let plan = reuse::plan(&old, &chunks.texts, &chunks.origin, job.reuse);
    // 4. chunks -> embeddings
    let texts: Vec<String> = plan.embed.iter().map(|&i| chunks.texts[i].clone()).collect();
    let embeddings = if texts.is_empty() {
        if let Some(p) = permit {
            p.cancel().await;
        }
        Vec::new()
    } else {
        job.embedder
            .embed(&texts, permit, turn)
            .await
            .map_err(|error| BatchError::Embed { error, items: claimed.items })?
    };
    Ok(Stage::Ready(Box::new(Ready { claimed, chunks, plan, embeddings })))
}

/// Steps 5 and 6: writes the batch and commits. On an error the transaction is rolled back.
/// `copy` is a reusable buffer.
pub async fn finish(batch: Prepared, job: &Job, copy: &mut CopyWriter) -> Result<Done, BatchError> {
    let Prepared { mut tx, claimed, chunks, plan, embeddings } = batch;
    let out = Output { job, rows: &claimed.rows, chunks: &chunks, new: &plan.embed, embeddings: &embeddings };
    let written = match &job.vectorizer.destination {
        Destination::Table(_) => write_all(&mut tx, &plan, &out, copy).await,
        Destination::Column(_) => write_column(&mut tx, &out).await.map(|()| Some(Vec::new())),
    };
    let written = match written {
        Ok(w) => match load_failures(&mut tx, job, &claimed.rows, &chunks.failures).await {
            Ok(()) => Ok(w),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    let rejected = match written {
        Ok(rejected) => rejected,
        Err(e) => {
            let e = match e {
                sqlx::Error::Database(db) if db.code().as_deref() == Some(UNIQUE_VIOLATION) => BatchError::Concurrent,
                e => {
                    job.failed.store(true, Ordering::SeqCst);
                    e.into()
                }
            };
            let _ = tx.rollback().await;
            return Err(e);
        }
    };
    if rejected.is_none() {
        let _ = tx.rollback().await;
        return Err(BatchError::Concurrent);
    }
    let rejected = rejected.unwrap_or_default();
    for r in &rejected {
        let record = ErrorRecord::rejected(&r.reason);
        if let Err(e) = errors::record(&mut tx, job.id(), &record, job.secret.as_deref()).await {
            job.failed.store(true, Ordering::SeqCst);
            let _ = tx.rollback().await;
            return Err(e.into());
        }
    }
    // 6. commit
    if let Err(e) = tx.commit().await {
        job.failed.store(true, Ordering::SeqCst);
        return Err(e.into());
    }
    let written = plan.embed.iter().filter(|&&i| !rejected.iter().any(|r| r.row == chunks.origin[i].0)).count();
    let load_failures = chunks.failures.into_iter().map(|(_, reason)| reason).collect();
    Ok(Done { items: claimed.items, chunks: written, reused: plan.keep.len(), rejected, load_failures })
}

/// Step 5 for a column destination: each row's embedding (its one chunk's; NULL for a row
/// without text) goes into the source row, in one statement. Rows that could not be loaded keep
/// theirs. The update does not queue the rows again: the vectorizer's trigger ignores changes
/// of embedding columns.
async fn write_column(tx: &mut PgConnection, out: &Output<'_>) -> Result<(), sqlx::Error> {
    let Some(sql) = &out.job.queries.update_column else { return Ok(()) };
    let failed = |r: usize| out.chunks.failures.iter().any(|(f, _)| *f == r);
    let rows: Vec<usize> = (0..out.rows.len()).filter(|&r| !failed(r)).collect();
    if rows.is_empty() {
        return Ok(());
    }
    let mut vectors: Vec<Option<String>> = vec![None; out.rows.len()];
    for (n, embedding) in out.embeddings.iter().enumerate() {
        let row = out.row_of(n);
        if vectors[row].is_none() {
            vectors[row] = Some(vector_text(embedding));
        }
    }
    let mut query = sqlx::query(sql);
    for k in 0..out.job.queries.key_columns {
        query = query.bind(rows.iter().map(|&r| out.rows[r].key_text[k].clone()).collect::<Vec<String>>());
    }
    query = query.bind(rows.iter().map(|&r| vectors[r].take()).collect::<Vec<Option<String>>>());
    query.execute(&mut *tx).await.map(|_| ())
}

/// pgvector's text form: `[1,2.5,-3]`.
fn vector_text(v: &[f32]) -> String {
    let mut s = String::with_capacity(v.len() * 10 + 2);
    s.push('[');
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&x.to_string());
    }
    s.push(']');
    s
}

/// Rows that could not be loaded: each goes back to the queue with one more attempt and a
/// retry time 3 minutes per attempt away, or, after `loading.retries` attempts, to the failed
/// queue; each failure is recorded (`loading failed`, as pgai's worker does), in the batch's
/// transaction.
async fn load_failures(
    tx: &mut PgConnection,
    job: &Job,
    rows: &[SourceRow],
    failures: &[(usize, String)],
) -> Result<(), sqlx::Error> {
    if failures.is_empty() {
        return Ok(());
    }
    let q = &job.queries;
    let loading = job.vectorizer.config.loading.as_ref();
    let max = loading.map_or(super::config::DEFAULT_LOADING_RETRIES, |l| l.retries());
    type Failures<'a> = Vec<&'a (usize, String)>;
    let (give_up, again): (Failures, Failures) =
        failures.iter().partition(|(r, _)| i64::from(rows[*r].retries) >= max && q.fail.is_some());
    let keys = |which: &[&(usize, String)], k: usize| {
        which.iter().map(|(r, _)| rows[*r].key_text[k].clone()).collect::<Vec<String>>()
    };
    if let (Some(sql), false) = (&q.retry, again.is_empty()) {
        let mut query = sqlx::query(sql);
        for k in 0..q.key_columns {
            query = query.bind(keys(&again, k));
        }
        query = query.bind(again.iter().map(|(r, _)| rows[*r].retries + 1).collect::<Vec<i32>>());
        query.execute(&mut *tx).await?;
    }
    if let (Some(sql), false) = (&q.fail, give_up.is_empty()) {
        let mut query = sqlx::query(sql);
        for k in 0..q.key_columns {
            query = query.bind(keys(&give_up, k));
        }
        query.execute(&mut *tx).await?;
    }
    let loader = loading.map_or("column", |l| l.kind());
    for (r, reason) in failures {
        let retryable = !give_up.iter().any(|(g, _)| g == r);
        let record = ErrorRecord::loading(loader, reason, retryable);
        errors::record(tx, job.id(), &record, job.secret.as_deref()).await?;
    }
    Ok(())
}

/// SQLSTATE of a unique violation: in the target, only another worker's rows for the same key
/// can cause one (see [`BatchError::Concurrent`]).
const UNIQUE_VIOLATION: &str = "23505";

/// Step 5: the old rows without a match go, the kept ones move to their new `chunk_seq`, the
/// new ones are copied in. `None`: a kept row is gone (another worker replaced the key's
/// chunks after the claim read them).
async fn write_all(
    tx: &mut PgConnection,
    plan: &Plan,
    out: &Output<'_>,
    copy: &mut CopyWriter,
) -> Result<Option<Vec<Rejected>>, sqlx::Error> {
    let q = &out.job.queries;
    if !plan.delete.is_empty() {
        let ids: Vec<Uuid> = plan.delete.iter().map(|u| Uuid::from_bytes(*u)).collect();
        sqlx::query(&q.delete_chunks).bind(ids).execute(&mut *tx).await?;
    }
    if !plan.keep.is_empty() {
        // a fresh statement sees what committed before this batch got its keys
        let ids: Vec<Uuid> = plan.keep.iter().map(|k| Uuid::from_bytes(k.0)).collect();
        let there: i64 = sqlx::query_scalar(&q.count_chunks).bind(&ids).fetch_one(&mut *tx).await?;
        if there != ids.len() as i64 {
            return Ok(None);
        }
        let (moved, seqs): (Vec<Uuid>, Vec<i32>) = plan.moves().map(|(u, _, new)| (Uuid::from_bytes(*u), *new)).unzip();
        if !moved.is_empty() {
            sqlx::query(&q.move_chunks[0]).bind(&moved).execute(&mut *tx).await?;
            sqlx::query(&q.move_chunks[1]).bind(&moved).bind(&seqs).execute(&mut *tx).await?;
        }
    }
    write(tx, out, copy).await.map(Some)
}

/// A source row of the batch.
#[derive(Debug)]
pub struct SourceRow {
    /// The key columns, encoded as binary COPY fields.
    pub key: Vec<u8>,
    /// The loaded column (`None`: NULL).
    pub content: Option<Content>,
    /// The template's other columns as text, in [`Queries::columns`](super::queries::Queries::columns) order.
    pub columns: Vec<Option<String>>,
    /// The chunks the target has for the key, in `chunk_seq` order.
    pub old: Vec<OldChunk>,
    /// Failed loadings of the key so far (0.10's queues).
    pub retries: i32,
    /// The key columns as text, for the statements that take keys as text arrays.
    pub key_text: Vec<String>,
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
    let claiming = job.claiming.lock().await;
    let result = sqlx::query(&q.claim).bind(job.batch_size as i64).bind(job.lock_namespace).fetch_all(&mut *tx).await?;
    drop(claiming);
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
        let content = if job.vectorizer.source_is_bytea {
            r.try_get::<Option<Vec<u8>>, _>(found_at + 1)?.map(Content::Bytes)
        } else {
            r.try_get::<Option<String>, _>(found_at + 1)?.map(Content::Text)
        };
        let columns =
            (0..q.columns.len()).map(|i| r.try_get::<Option<String>, _>(found_at + 2 + i)).collect::<Result<_, _>>()?;
        let old_at = found_at + 2 + q.columns.len();
        let uuids = r.try_get::<Option<Vec<Uuid>>, _>(old_at)?.unwrap_or_default();
        let hashes = r.try_get::<Option<Vec<Vec<u8>>>, _>(old_at + 1)?.unwrap_or_default();
        let old = uuids
            .into_iter()
            .zip(hashes)
            .map(|(u, h)| OldChunk { uuid: u.into_bytes(), hash: h.try_into().unwrap_or([0; 32]) })
            .collect();
        let retries = r.try_get::<Option<i32>, _>(old_at + 2)?.unwrap_or(0);
        let key_text = r.try_get::<Vec<String>, _>(old_at + 3)?;
        claimed.rows.push(SourceRow { key, content, columns, old, retries, key_text });
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
    /// Rows that could not be loaded, and why.
    pub failures: Vec<(usize, String)>,
}

/// Step 2: loads every row's text ([`loading::load`]), chunks it and formats each chunk. A
/// NULL or blank text has no chunks (its old chunks are simply gone). A NULL template column
/// renders as `None`, as Python's `str(None)` does in pgai.
pub fn chunk(job: &Job, rows: &[SourceRow]) -> Result<Chunks, TemplateError> {
    let mut out = Chunks::default();
    let config = &job.vectorizer.config;
    for (r, row) in rows.iter().enumerate() {
        let text = match loading::load(row.content.as_ref(), config.loading.as_ref(), config.parsing) {
            Ok(Some(text)) => text,
            Ok(None) => continue,
            Err(reason) => {
                out.failures.push((r, reason));
                continue;
            }
        };
        for (seq, piece) in job.chunker.split(&text).into_iter().enumerate() {
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
const COPY_PIECE: usize = 1 << 18;

/// What step 5 copies: the batch's rows, their chunks, which of them are new, and the new
/// ones' embeddings.
pub struct Output<'a> {
    pub job: &'a Job,
    pub rows: &'a [SourceRow],
    pub chunks: &'a Chunks,
    /// Indices of the chunks to write, in `chunks`.
    pub new: &'a [usize],
    /// Their embeddings, in the same order.
    pub embeddings: &'a [Vec<f32>],
}

impl Output<'_> {
    /// The row of the `n`th new chunk.
    fn row_of(&self, n: usize) -> usize {
        self.chunks.origin[self.new[n]].0
    }
}

/// Writes the new chunks and their embeddings into the target table (binary COPY).
///
/// When the table refuses the batch's data (a constraint, a value out of range: SQLSTATE
/// classes 22 and 23, but for the unique violation of [`BatchError::Concurrent`]), the batch
/// is written again row by row, each under a savepoint, so that one row that can never be
/// written does not hold back the others: the refused rows' keys go back to the queue and are
/// returned.
pub async fn write(
    tx: &mut PgConnection,
    out: &Output<'_>,
    copy: &mut CopyWriter,
) -> Result<Vec<Rejected>, sqlx::Error> {
    let n = out.new.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    let first_row = out.row_of(0);
    if (0..n).all(|i| out.row_of(i) == first_row) {
        return copy_chunks(tx, out, copy, 0..n).await.map(|()| Vec::new());
    }
    execute(tx, "savepoint pgai_batch").await?;
    match copy_chunks(tx, out, copy, 0..n).await {
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
    let n = out.new.len();
    let mut rejected = Vec::new();
    let mut start = 0;
    while start < n {
        let row = out.row_of(start);
        let end = start + (start..n).take_while(|&i| out.row_of(i) == row).count();
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
    matches!(e, sqlx::Error::Database(db) if db.code().is_some_and(|c| (c.starts_with("22") || c.starts_with("23")) && c != UNIQUE_VIOLATION))
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

/// COPYs the new chunks `range` (with their embeddings) into the target table.
async fn copy_chunks(
    tx: &mut PgConnection,
    out: &Output<'_>,
    copy: &mut CopyWriter,
    range: std::ops::Range<usize>,
) -> Result<(), sqlx::Error> {
    let key_columns = out.job.queries.key_columns;
    let mut sink = tx.copy_in_raw(&out.job.queries.copy).await?;
    copy.begin();
    for (&i, embedding) in out.new[range.clone()].iter().zip(&out.embeddings[range]) {
        let (row, seq) = out.chunks.origin[i];
        copy.row(&out.rows[row].key, key_columns, seq, &out.chunks.texts[i], embedding);
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
