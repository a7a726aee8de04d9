//! One vectorizer made ready to process: its statements, chunker, template and embedder,
//! built once per run from its catalog row.

use super::catalog::Vectorizer;
use super::config::ChunkingConfig;
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
    pub stats: Arc<Stats>,
}

impl Job {
    /// Builds the job; an error says what in the configuration is unusable.
    pub fn new(vectorizer: Vectorizer, embedder: Embedder, secret: Option<String>) -> Result<Job, String> {
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
        }
        .map_err(|e| format!("invalid chunking configuration: {e}"))?;
        let text = config.formatting.template();
        let template = Template::parse(text).map_err(|e| format!("invalid formatting template {text:?}: {e}"))?;
        let columns: Vec<String> = template.placeholders().iter().filter(|p| *p != "chunk").cloned().collect();
        let queries = Queries::new(&vectorizer, columns);
        let batch_size = config.processing.batch_size();
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
            stats,
        })
    }

    pub fn id(&self) -> i32 {
        self.vectorizer.id
    }
}
