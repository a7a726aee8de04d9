//! A vectorizer's `config` jsonb (what the `ai.*` config functions build), as the worker
//! reads it. Unknown keys are ignored; unknown implementations are errors.

use serde::Deserialize;
use serde_json::Value;

/// The parts of `ai.vectorizer.config` the worker uses. Two layouts: pgai 0.7's (the text
/// column in `chunking.chunk_column`, the target table in the catalog row) and pgai 0.10's and
/// later (`loading`, `parsing`, `destination`).
#[derive(Debug, Clone, Deserialize)]
pub struct VectorizerConfig {
    pub embedding: EmbeddingConfig,
    pub chunking: ChunkingConfig,
    #[serde(default)]
    pub formatting: FormattingConfig,
    #[serde(default)]
    pub processing: ProcessingConfig,
    #[serde(default)]
    pub loading: Option<LoadingConfig>,
    #[serde(default)]
    pub parsing: Option<ParsingConfig>,
    #[serde(default)]
    pub destination: Option<DestinationConfig>,
}

/// What the worker embeds from a row: a column's text or bytes, or the document at the URI a
/// column holds. `retries`: failed loadings of a row before it moves to the failed queue.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "implementation")]
pub enum LoadingConfig {
    #[serde(rename = "column")]
    Column {
        column_name: String,
        #[serde(default)]
        retries: Option<i64>,
    },
    #[serde(rename = "uri")]
    Uri {
        column_name: String,
        #[serde(default)]
        retries: Option<i64>,
    },
}

/// pgai's default number of loading attempts.
pub const DEFAULT_LOADING_RETRIES: i64 = 6;

impl LoadingConfig {
    pub fn column(&self) -> &str {
        match self {
            LoadingConfig::Column { column_name, .. } | LoadingConfig::Uri { column_name, .. } => column_name,
        }
    }

    pub fn retries(&self) -> i64 {
        match self {
            LoadingConfig::Column { retries, .. } | LoadingConfig::Uri { retries, .. } => {
                retries.filter(|r| *r >= 0).unwrap_or(DEFAULT_LOADING_RETRIES)
            }
        }
    }

    /// `column` or `uri`, as `ai.vectorizer_errors` names the loader.
    pub fn kind(&self) -> &'static str {
        match self {
            LoadingConfig::Column { .. } => "column",
            LoadingConfig::Uri { .. } => "uri",
        }
    }
}

/// How loaded bytes become text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(tag = "implementation")]
pub enum ParsingConfig {
    #[serde(rename = "auto")]
    Auto,
    #[serde(rename = "none")]
    None,
    #[serde(rename = "pymupdf")]
    Pymupdf,
    #[serde(rename = "docling")]
    Docling,
}

/// Where the embeddings go (0.10 and later; 0.7's target is in the catalog row).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "implementation")]
pub enum DestinationConfig {
    #[serde(rename = "table")]
    Table { target_schema: String, target_table: String },
    #[serde(rename = "column")]
    Column { embedding_column: String },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "implementation")]
pub enum EmbeddingConfig {
    #[serde(rename = "openai")]
    OpenAi {
        model: String,
        dimensions: u32,
        #[serde(default)]
        user: Option<String>,
        #[serde(default)]
        api_key_name: Option<String>,
        #[serde(default)]
        base_url: Option<String>,
    },
    #[serde(rename = "ollama")]
    Ollama {
        model: String,
        dimensions: u32,
        #[serde(default)]
        base_url: Option<String>,
        #[serde(default)]
        options: Option<Value>,
        #[serde(default)]
        keep_alive: Option<String>,
    },
    #[serde(rename = "voyageai")]
    VoyageAi {
        model: String,
        dimensions: u32,
        #[serde(default)]
        input_type: Option<String>,
        #[serde(default)]
        api_key_name: Option<String>,
        /// Not set by `ai.embedding_voyageai`; honoured when present (a proxy, a test server).
        #[serde(default)]
        base_url: Option<String>,
    },
    /// A sentence-transformers model run in this process (`ai_extra.embedding_sentence_transformers`).
    #[serde(rename = "sentence_transformers")]
    SentenceTransformers {
        model: String,
        dimensions: u32,
        /// `onnx`, `candle` or absent (automatic).
        #[serde(default)]
        engine: Option<String>,
    },
}

impl EmbeddingConfig {
    pub fn implementation(&self) -> &'static str {
        match self {
            EmbeddingConfig::OpenAi { .. } => "openai",
            EmbeddingConfig::Ollama { .. } => "ollama",
            EmbeddingConfig::VoyageAi { .. } => "voyageai",
            EmbeddingConfig::SentenceTransformers { .. } => "sentence_transformers",
        }
    }

    pub fn dimensions(&self) -> u32 {
        match self {
            EmbeddingConfig::OpenAi { dimensions, .. }
            | EmbeddingConfig::Ollama { dimensions, .. }
            | EmbeddingConfig::VoyageAi { dimensions, .. }
            | EmbeddingConfig::SentenceTransformers { dimensions, .. } => *dimensions,
        }
    }

    /// The endpoint a config names instead of the provider's own.
    pub fn base_url(&self) -> Option<&str> {
        match self {
            EmbeddingConfig::OpenAi { base_url, .. }
            | EmbeddingConfig::Ollama { base_url, .. }
            | EmbeddingConfig::VoyageAi { base_url, .. } => base_url.as_deref(),
            EmbeddingConfig::SentenceTransformers { .. } => None,
        }
    }

    /// The name of the secret holding the API key, for providers that take one.
    pub fn api_key_name(&self) -> Option<&str> {
        match self {
            EmbeddingConfig::OpenAi { api_key_name, .. } => Some(api_key_name.as_deref().unwrap_or("OPENAI_API_KEY")),
            EmbeddingConfig::VoyageAi { api_key_name, .. } => Some(api_key_name.as_deref().unwrap_or("VOYAGE_API_KEY")),
            EmbeddingConfig::Ollama { .. } | EmbeddingConfig::SentenceTransformers { .. } => None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "implementation")]
pub enum ChunkingConfig {
    #[serde(rename = "character_text_splitter")]
    Character {
        /// pgai 0.7's: the text column (0.10 and later: `loading`).
        #[serde(default)]
        chunk_column: Option<String>,
        #[serde(default = "default_chunk_size")]
        chunk_size: i64,
        #[serde(default = "default_chunk_overlap")]
        chunk_overlap: i64,
        #[serde(default = "default_separator")]
        separator: String,
        #[serde(default)]
        is_separator_regex: bool,
    },
    #[serde(rename = "recursive_character_text_splitter")]
    Recursive {
        #[serde(default)]
        chunk_column: Option<String>,
        #[serde(default = "default_chunk_size")]
        chunk_size: i64,
        #[serde(default = "default_chunk_overlap")]
        chunk_overlap: i64,
        /// `None` (or empty): LangChain's default separators.
        #[serde(default)]
        separators: Option<Vec<String>>,
        #[serde(default)]
        is_separator_regex: bool,
    },
    /// The loaded text is one chunk.
    #[serde(rename = "none")]
    None,
}

fn default_chunk_size() -> i64 {
    800
}

fn default_chunk_overlap() -> i64 {
    400
}

fn default_separator() -> String {
    "\n\n".to_string()
}

impl ChunkingConfig {
    /// pgai 0.7's text column, when the config names one.
    pub fn chunk_column(&self) -> Option<&str> {
        match self {
            ChunkingConfig::Character { chunk_column, .. } | ChunkingConfig::Recursive { chunk_column, .. } => {
                chunk_column.as_deref()
            }
            ChunkingConfig::None => None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "implementation")]
pub enum FormattingConfig {
    #[serde(rename = "python_template")]
    PythonTemplate {
        #[serde(default = "default_template")]
        template: String,
    },
}

fn default_template() -> String {
    crate::formatting::DEFAULT_TEMPLATE.to_string()
}

impl Default for FormattingConfig {
    fn default() -> Self {
        FormattingConfig::PythonTemplate { template: default_template() }
    }
}

impl FormattingConfig {
    pub fn template(&self) -> &str {
        match self {
            FormattingConfig::PythonTemplate { template } => template,
        }
    }
}

/// `ai.processing_default(batch_size, concurrency)`; absent values take pgai's defaults.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProcessingConfig {
    #[serde(default)]
    pub batch_size: Option<i64>,
    #[serde(default)]
    pub concurrency: Option<i64>,
    /// This project's: budgets of the provider's requests and tokens a minute (written into
    /// the processing config by hand; the worker's own options may lower them).
    #[serde(default)]
    pub requests_per_minute: Option<f64>,
    #[serde(default)]
    pub tokens_per_minute: Option<f64>,
}

/// pgai's default number of queue keys per batch (documents from URIs: one at a time).
pub const DEFAULT_BATCH_SIZE: usize = 50;
pub const DEFAULT_URI_BATCH_SIZE: usize = 1;
pub const MAX_BATCH_SIZE: usize = 2048;

impl ProcessingConfig {
    /// `uri`: the vectorizer loads documents from URIs.
    pub fn batch_size(&self, uri: bool) -> usize {
        let default = if uri { DEFAULT_URI_BATCH_SIZE } else { DEFAULT_BATCH_SIZE };
        self.batch_size.filter(|b| *b > 0).map_or(default, |b| (b as usize).min(MAX_BATCH_SIZE))
    }

    pub fn concurrency(&self) -> Option<usize> {
        self.concurrency.filter(|c| *c > 0).map(|c| c as usize)
    }

    /// The budgets this config asks for.
    pub fn limits(&self) -> super::throttle::Limits {
        super::throttle::Limits {
            requests_per_minute: self.requests_per_minute.filter(|r| *r > 0.0),
            tokens_per_minute: self.tokens_per_minute.filter(|t| *t > 0.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_what_the_config_functions_build() {
        let config: VectorizerConfig = serde_json::from_value(json!({
            "version": "0.1.0",
            "embedding": {"implementation": "openai", "config_type": "embedding", "model": "text-embedding-3-small",
                          "dimensions": 1536, "api_key_name": "OPENAI_API_KEY"},
            "chunking": {"implementation": "recursive_character_text_splitter", "config_type": "chunking",
                         "chunk_column": "body", "chunk_size": 800, "chunk_overlap": 400,
                         "separators": ["\n\n", "\n"], "is_separator_regex": false},
            "indexing": {"implementation": "none", "config_type": "indexing"},
            "formatting": {"implementation": "python_template", "config_type": "formatting", "template": "$title: $chunk"},
            "scheduling": {"implementation": "none", "config_type": "scheduling"},
            "processing": {"implementation": "default", "config_type": "processing", "batch_size": 10}
        }))
        .unwrap();
        assert_eq!(config.embedding.dimensions(), 1536);
        assert_eq!(config.embedding.api_key_name(), Some("OPENAI_API_KEY"));
        assert_eq!(config.chunking.chunk_column(), Some("body"));
        assert_eq!(config.formatting.template(), "$title: $chunk");
        assert_eq!(config.processing.batch_size(false), 10);
        assert_eq!(config.processing.concurrency(), None);
    }

    #[test]
    fn defaults_and_unknown_implementations() {
        let config: VectorizerConfig = serde_json::from_value(json!({
            "embedding": {"implementation": "voyageai", "model": "voyage-3", "dimensions": 1024},
            "chunking": {"implementation": "character_text_splitter", "chunk_column": "t"},
        }))
        .unwrap();
        assert_eq!(config.embedding.api_key_name(), Some("VOYAGE_API_KEY"));
        assert_eq!(config.processing.batch_size(false), DEFAULT_BATCH_SIZE);
        assert_eq!(config.processing.batch_size(true), 1);
        assert_eq!(config.formatting.template(), "$chunk");
        let bad = serde_json::from_value::<VectorizerConfig>(json!({
            "embedding": {"implementation": "bedrock", "model": "x", "dimensions": 3},
            "chunking": {"implementation": "character_text_splitter", "chunk_column": "t"},
        }));
        assert!(bad.unwrap_err().to_string().contains("bedrock"));
    }

    #[test]
    fn reads_the_layout_of_pgai_0_10_and_later() {
        let config: VectorizerConfig = serde_json::from_value(json!({
            "version": "0.12.1",
            "loading": {"implementation": "column", "config_type": "loading", "column_name": "doc", "retries": 2},
            "parsing": {"implementation": "auto", "config_type": "parsing"},
            "embedding": {"implementation": "openai", "model": "m", "dimensions": 4},
            "chunking": {"implementation": "none", "config_type": "chunking"},
            "destination": {"implementation": "column", "config_type": "destination", "embedding_column": "e"},
            "processing": {"implementation": "default", "config_type": "processing", "batch_size": 5000}
        }))
        .unwrap();
        let loading = config.loading.as_ref().unwrap();
        assert_eq!((loading.column(), loading.retries(), loading.kind()), ("doc", 2, "column"));
        assert_eq!(config.parsing, Some(ParsingConfig::Auto));
        assert!(matches!(config.chunking, ChunkingConfig::None));
        assert!(
            matches!(&config.destination, Some(DestinationConfig::Column { embedding_column }) if embedding_column == "e")
        );
        assert_eq!(config.processing.batch_size(false), MAX_BATCH_SIZE);
        let uri: LoadingConfig =
            serde_json::from_value(json!({"implementation": "uri", "column_name": "url"})).unwrap();
        assert_eq!((uri.retries(), uri.kind()), (DEFAULT_LOADING_RETRIES, "uri"));
    }
}
