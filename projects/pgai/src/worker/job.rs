//! One vectorizer made ready to process: its statements, chunker, template and embedder,
//! built once per run from its catalog row.

use super::catalog::{Destination, Vectorizer};
use super::config::{ChunkingConfig, LoadingConfig};
use super::embed::Embedder;
use super::queries::Queries;
use super::stats::Stats;
use crate::chunking::Chunker;
use crate::formatting::Template;
use std::sync::Arc;

/// Everything a batch of one vectorizer needs (shared by the vectorizer's tasks).
#[derive(Debug)]
pub struct Job {
    pub vectorizer: Vectorizer,
    pub queries: Queries,
    pub chunker: Chunker,
    pub template: Template,
    /// The template is `$chunk`: the chunk is embedded as it is.
    pub template_is_chunk: bool,
    pub embedder: Embedder,
    /// Queue rows taken per batch.
    pub batch_size: usize,
    /// The first half of the advisory-lock key: the queue table's oid, as int4.
    pub lock_namespace: i32,
    /// The API key, to scrub from anything recorded.
    pub secret: Option<String>,
    /// Keep the rows (and embeddings) of chunks whose text did not change ([`super::reuse`]).
    pub reuse: bool,
    /// Set by the first batch of the run that fails, before its transaction is rolled back: no
    /// batch claims rows after it (its rows would be taken again at once).
    pub failed: std::sync::atomic::AtomicBool,
    /// Held by a batch while its claim statement runs: two claims of one process running at
    /// once could each lock queue rows of a key the other takes, and leave them queued to be
    /// processed again (across processes that still happens, rarely, as with pgai's worker).
    pub claiming: tokio::sync::Mutex<()>,
    pub stats: Arc<Stats>,
}

impl Job {
    /// Builds the job; an error says what in the configuration is unusable.
    pub fn new(vectorizer: Vectorizer, embedder: Embedder, secret: Option<String>, reuse: bool) -> Result<Job, String> {
        let config = &vectorizer.config;
        let chunker = match &config.chunking {
            ChunkingConfig::Character { separator, chunk_size, chunk_overlap, is_separator_regex, .. } => {
                Chunker::character(separator, *chunk_size, *chunk_overlap, *is_separator_regex)
            }
            ChunkingConfig::Recursive { separators, chunk_size, chunk_overlap, is_separator_regex, .. } => {
                Chunker::recursive(
                    separators.as_deref().unwrap_or(&[]),
                    *chunk_size,
                    *chunk_overlap,
                    *is_separator_regex,
                )
            }
            ChunkingConfig::None => Ok(Chunker::Whole),
        }
        .map_err(|e| format!("invalid chunking configuration: {e}"))?;
        let text = config.formatting.template();
        let template = Template::parse(text).map_err(|e| format!("invalid formatting template {text:?}: {e}"))?;
        let columns: Vec<String> = template.placeholders().iter().filter(|p| *p != "chunk").cloned().collect();
        let queries = Queries::new(&vectorizer, columns);
        if matches!(vectorizer.destination, Destination::Column(_)) && !matches!(config.chunking, ChunkingConfig::None)
        {
            return Err(
                "a column destination holds one embedding per row: its chunking must be ai.chunking_none()".into()
            );
        }
        let uri = matches!(config.loading, Some(LoadingConfig::Uri { .. }));
        let batch_size = config.processing.batch_size(uri);
        let lock_namespace = vectorizer.queue_oid as i32;
        let stats = Arc::new(Stats::new(vectorizer.id));
        Ok(Job {
            template_is_chunk: matches!(text, "$chunk" | "${chunk}"),
            vectorizer,
            queries,
            chunker,
            template,
            embedder,
            batch_size,
            lock_namespace,
            secret,
            reuse,
            failed: Default::default(),
            claiming: Default::default(),
            stats,
        })
    }

    pub fn id(&self) -> i32 {
        self.vectorizer.id
    }
}
