//! Embedding a batch's texts through the configured provider: requests sized by the
//! provider's limits, several in flight at once, inputs over the model's context truncated,
//! and every answer checked (one vector per input, of the configured dimensions).

use super::config::EmbeddingConfig;
use providers::tokenize::Encoding;
use providers::{local, EmbedInput, EncodingFormat, HttpClient, Ollama, OpenAi, Voyage};
use serde_json::Value;
use std::borrow::Cow;
use std::ops::Range;
use tokio::task::JoinSet;

/// How much one request may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Inputs per request.
    pub max_inputs: usize,
    /// Tokens per request, counted by an upper bound: an input's UTF-8 length in bytes (a
    /// token is at least one byte), so no text is tokenized just to pack requests.
    pub max_tokens: usize,
    /// The model's context: longer inputs are cut to this many tokens (OpenAI models whose
    /// tokenizer and context are known).
    pub context: Option<(Encoding, usize)>,
}

/// OpenAI's limits per embeddings request.
pub const OPENAI_MAX_INPUTS: usize = 2048;
pub const OPENAI_MAX_TOKENS: usize = 300_000;
/// Voyage AI's limits per request (voyage-3 and voyage-3-large allow 120k tokens).
pub const VOYAGE_MAX_INPUTS: usize = 128;
pub const VOYAGE_MAX_TOKENS: usize = 120_000;

/// The context length of OpenAI's embedding models.
fn openai_context(model: &str) -> Option<usize> {
    matches!(model, "text-embedding-ada-002" | "text-embedding-3-small" | "text-embedding-3-large").then_some(8191)
}

/// Why a batch could not be embedded.
#[derive(Debug, Clone, thiserror::Error)]
pub enum EmbedError {
    #[error(transparent)]
    Provider(#[from] providers::Error),
    #[error("{provider}: the model returned {got} embeddings for {sent} inputs")]
    Count { provider: &'static str, sent: usize, got: usize },
    #[error(
        "{provider}: the model returned a vector of {got} dimensions, but the vectorizer's embedding.dimensions is {expected}"
    )]
    Dimensions { provider: &'static str, expected: usize, got: usize },
}

impl EmbedError {
    /// Whether this is a provider answer (an HTTP status, a timeout...) rather than a wrong
    /// answer; both keep the batch's items queued.
    pub fn status(&self) -> Option<u16> {
        match self {
            EmbedError::Provider(e) => e.status(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
enum Provider {
    OpenAi {
        client: OpenAi,
        model: String,
        dimensions: Option<u32>,
        user: Option<String>,
    },
    Ollama {
        client: Ollama,
        model: String,
        options: Option<Value>,
        keep_alive: Option<String>,
    },
    Voyage {
        client: Voyage,
        model: String,
        input_type: Option<String>,
    },
    /// Loaded on first use (a cached load per process), then run on the blocking pool.
    Local {
        model: String,
        options: local::Options,
    },
}

impl Provider {
    fn name(&self) -> &'static str {
        match self {
            Provider::OpenAi { .. } => "openai",
            Provider::Ollama { .. } => "ollama",
            Provider::Voyage { .. } => "voyageai",
            Provider::Local { .. } => "sentence_transformers",
        }
    }

    /// One request; the vectors in input order.
    async fn embed(&self, inputs: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        let sent = inputs.len();
        let indexed = match self {
            Provider::OpenAi { client, model, dimensions, user } => {
                let input = EmbedInput::Texts(inputs);
                client.embed_with_format(model, input, *dimensions, user.clone(), EncodingFormat::Base64).await?
            }
            Provider::Ollama { client, model, options, keep_alive } => {
                let mut out = Vec::with_capacity(sent);
                for (i, text) in inputs.iter().enumerate() {
                    out.push((i, client.embed(model, text, keep_alive.clone(), options.clone()).await?));
                }
                out
            }
            Provider::Voyage { client, model, input_type } => client.embed(model, inputs, input_type.clone()).await?,
            Provider::Local { model, options } => {
                let (model, options) = (model.clone(), options.clone());
                let embedder = tokio::task::spawn_blocking(move || local::Embedder::cached(&model, &options))
                    .await
                    .expect("loading a local model panicked")?;
                embedder.embed_async(inputs).await?.into_iter().enumerate().collect()
            }
        };
        let in_order = indexed.iter().enumerate().all(|(i, (index, _))| i == *index);
        if indexed.len() != sent || !in_order {
            return Err(EmbedError::Count { provider: self.name(), sent, got: indexed.len() });
        }
        Ok(indexed.into_iter().map(|(_, v)| v).collect())
    }
}

/// A configured embedding model.
#[derive(Debug, Clone)]
pub struct Embedder {
    provider: Provider,
    dimensions: usize,
    limits: Limits,
    max_in_flight: usize,
}

impl Embedder {
    /// The embedder of `config`. `api_key`: the resolved secret (for providers that take
    /// one); `http`: the HTTP client (pool, retries, timeouts) to send through;
    /// `max_in_flight`: how many requests of one batch may run at once.
    pub fn new(config: &EmbeddingConfig, api_key: Option<String>, http: HttpClient, max_in_flight: usize) -> Self {
        let (provider, limits) = match config {
            EmbeddingConfig::OpenAi { model, dimensions, user, base_url, .. } => {
                let client = OpenAi::new(api_key, base_url.clone()).with_http(http);
                // text-embedding-ada-002 has a fixed size and rejects the parameter.
                let dims = (model != "text-embedding-ada-002").then_some(*dimensions);
                let context = openai_context(model).and_then(|ctx| Encoding::for_model(model).ok().map(|e| (e, ctx)));
                let provider = Provider::OpenAi { client, model: model.clone(), dimensions: dims, user: user.clone() };
                (provider, Limits { max_inputs: OPENAI_MAX_INPUTS, max_tokens: OPENAI_MAX_TOKENS, context })
            }
            EmbeddingConfig::Ollama { model, base_url, options, keep_alive, .. } => {
                let client = Ollama::new(base_url.clone()).with_http(http);
                let provider = Provider::Ollama {
                    client,
                    model: model.clone(),
                    options: options.clone(),
                    keep_alive: keep_alive.clone(),
                };
                (provider, Limits { max_inputs: 1, max_tokens: usize::MAX, context: None })
            }
            EmbeddingConfig::VoyageAi { model, input_type, base_url, .. } => {
                let client = Voyage::new(api_key, base_url.clone()).with_http(http);
                let provider = Provider::Voyage { client, model: model.clone(), input_type: input_type.clone() };
                (provider, Limits { max_inputs: VOYAGE_MAX_INPUTS, max_tokens: VOYAGE_MAX_TOKENS, context: None })
            }
            EmbeddingConfig::SentenceTransformers { model, engine, .. } => {
                // an unknown engine name falls back to automatic; the SQL config validates it
                let engine = engine.as_deref().and_then(|e| local::EngineKind::parse_choice(e).ok().flatten());
                let options = local::Options { engine, ..local::Options::default() };
                // the model batches internally; a request is one batch's texts
                (
                    Provider::Local { model: model.clone(), options },
                    Limits { max_inputs: 256, max_tokens: usize::MAX, context: None },
                )
            }
        };
        Embedder { provider, dimensions: config.dimensions() as usize, limits, max_in_flight: max_in_flight.max(1) }
    }

    pub fn provider_name(&self) -> &'static str {
        self.provider.name()
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Embeds `texts`; one vector per text, in order. Any failure fails the whole call (the
    /// requests still running are cancelled).
    pub async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let inputs: Vec<Cow<str>> = texts.iter().map(|t| truncate(t, self.limits.context)).collect();
        let sizes: Vec<usize> = inputs.iter().map(|t| t.len()).collect();
        let plan = plan_requests(&sizes, &self.limits);
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        let mut running = JoinSet::new();
        let mut next = 0;
        while next < plan.len() || !running.is_empty() {
            while next < plan.len() && running.len() < self.max_in_flight {
                let range = plan[next].clone();
                let batch: Vec<String> = inputs[range.clone()].iter().map(|t| t.to_string()).collect();
                let provider = self.provider.clone();
                running.spawn(async move { (range, provider.embed(batch).await) });
                next += 1;
            }
            let Some(done) = running.join_next().await else { break };
            let (range, vectors) = done.expect("an embedding request task panicked");
            for (slot, v) in out[range].iter_mut().zip(vectors?) {
                if v.len() != self.dimensions {
                    let provider = self.provider.name();
                    return Err(EmbedError::Dimensions { provider, expected: self.dimensions, got: v.len() });
                }
                *slot = v;
            }
        }
        Ok(out)
    }
}

/// Splits inputs of these sizes (token upper bounds) into consecutive requests within
/// `limits`; an input larger than a whole request goes alone.
pub fn plan_requests(sizes: &[usize], limits: &Limits) -> Vec<Range<usize>> {
    let mut plan = Vec::new();
    let (mut start, mut tokens) = (0, 0usize);
    for (i, &size) in sizes.iter().enumerate() {
        let full = i - start >= limits.max_inputs || tokens.saturating_add(size) > limits.max_tokens;
        if i > start && full {
            plan.push(start..i);
            (start, tokens) = (i, 0);
        }
        tokens = tokens.saturating_add(size);
    }
    if start < sizes.len() {
        plan.push(start..sizes.len());
    }
    plan
}

/// `text` cut to the model's context, as pgai does: tokenized, the first `context` tokens
/// decoded back to text. Only texts longer than `context` bytes are tokenized at all.
pub fn truncate(text: &str, context: Option<(Encoding, usize)>) -> Cow<'_, str> {
    let Some((encoding, context)) = context else { return Cow::Borrowed(text) };
    if text.len() <= context {
        return Cow::Borrowed(text);
    }
    let tokens = encoding.encode(text);
    if tokens.len() <= context {
        return Cow::Borrowed(text);
    }
    // Decoding a prefix and encoding it again can merge tokens differently: cut until it fits.
    let mut keep = context;
    loop {
        let cut = encoding.decode(&tokens[..keep]).unwrap_or_default();
        let n = encoding.encode(&cut).len();
        if n <= context || keep == 0 {
            tracing::warn!(from = tokens.len(), to = n, "an input exceeds the model's context: truncated");
            return Cow::Owned(cut);
        }
        keep = keep.saturating_sub(n - context);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_inputs: usize, max_tokens: usize) -> Limits {
        Limits { max_inputs, max_tokens, context: None }
    }

    #[test]
    fn requests_respect_input_and_token_limits() {
        assert_eq!(plan_requests(&[1, 1, 1, 1, 1], &limits(2, 100)), [0..2, 2..4, 4..5]);
        assert_eq!(plan_requests(&[40, 40, 40], &limits(10, 100)), [0..2, 2..3]);
        assert_eq!(plan_requests(&[500, 1, 1], &limits(10, 100)), [0..1, 1..3]);
        assert_eq!(plan_requests(&[1, 500, 1], &limits(10, 100)), [0..1, 1..2, 2..3]);
        assert_eq!(plan_requests(&[], &limits(10, 100)), Vec::<Range<usize>>::new());
        let many = vec![10; 5000];
        let plan = plan_requests(&many, &limits(OPENAI_MAX_INPUTS, OPENAI_MAX_TOKENS));
        assert_eq!(plan, [0..2048, 2048..4096, 4096..5000]);
    }

    #[test]
    fn long_inputs_are_cut_to_the_context() {
        let context = Some((Encoding::Cl100kBase, 10));
        assert!(matches!(truncate("short", context), Cow::Borrowed("short")));
        let long = "The quick brown fox jumps over the lazy dog. ".repeat(10);
        let cut = truncate(&long, context);
        assert_eq!(Encoding::Cl100kBase.encode(&cut).len(), 10);
        assert!(long.starts_with(cut.as_ref()));
        assert!(matches!(truncate(&long, None), Cow::Borrowed(_)));
    }
}
