//! Embedding a batch's texts through the configured provider: requests sized by the
//! provider's limits, several in flight at once (as many as the provider's [`Throttle`]
//! allows), retried as the provider asks (a 429 waits its `Retry-After` and is tried again for
//! up to [`RATE_LIMIT_PATIENCE`]; other transient failures as the HTTP client's retry policy says),
//! inputs over the model's context truncated, and every answer checked (one vector per input,
//! of the configured dimensions).

use super::config::EmbeddingConfig;
use super::throttle::{Outcome, Permit, Throttle, Turn};
use providers::tokenize::Encoding;
use providers::{local, EmbedInput, EncodingFormat, HttpClient, Ollama, OpenAi, RetryPolicy, Voyage};
use serde_json::Value;
use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// How long a request keeps being tried while the provider answers 429 (rate limited): a
/// rate limit delays a batch, it does not fail it.
pub const RATE_LIMIT_PATIENCE: Duration = Duration::from_secs(15 * 60);

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

    /// One request; the vectors in input order, and the tokens the provider counted.
    async fn embed(&self, inputs: Vec<String>) -> Result<(Vec<Vec<f32>>, Option<u64>), EmbedError> {
        let sent = inputs.len();
        let mut counted = None;
        let indexed = match self {
            Provider::OpenAi { client, model, dimensions, user } => {
                let input = EmbedInput::Texts(inputs);
                let (out, usage) =
                    client.embed_with_usage(model, input, *dimensions, user.clone(), EncodingFormat::Base64).await?;
                counted = usage;
                out
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
        Ok((indexed.into_iter().map(|(_, v)| v).collect(), counted))
    }
}

/// A request's tokens, estimated before it is sent (OpenAI counts about four bytes of English
/// a token); the provider's count corrects the budget afterwards.
pub fn estimate_tokens<S: AsRef<str>>(inputs: &[S]) -> f64 {
    inputs.iter().map(|t| (t.as_ref().len() / 4 + 1) as f64).sum()
}

/// A configured embedding model.
#[derive(Debug, Clone)]
pub struct Embedder {
    provider: Provider,
    dimensions: usize,
    limits: Limits,
    /// Requests of one batch in flight at once, for a local model (no throttle).
    max_in_flight: usize,
    /// The provider's throttle; `None` for local models (no network, no rate limit).
    throttle: Option<Arc<Throttle>>,
    /// The retries of transient failures (the given HTTP client's policy, applied here).
    retry: RetryPolicy,
}

impl Embedder {
    /// The embedder of `config`. `api_key`: the resolved secret (for providers that take
    /// one); `http`: the HTTP client (pool, timeouts) to send through; `throttle`: the
    /// provider's (ignored for local models); `max_in_flight`: how many requests of one batch
    /// may run at once for a local model.
    pub fn new(
        config: &EmbeddingConfig,
        api_key: Option<String>,
        http: HttpClient,
        throttle: Option<Arc<Throttle>>,
        max_in_flight: usize,
    ) -> Self {
        // retries are this module's (it knows the throttle); the throttle hears every answer
        let retry = http.retry_policy();
        let http = match &throttle {
            Some(t) => http.with_retry(RetryPolicy::none()).with_observer(t.clone()),
            None => http,
        };
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
        let throttle = match provider {
            Provider::Local { .. } => None,
            _ => throttle,
        };
        Embedder {
            provider,
            dimensions: config.dimensions() as usize,
            limits,
            max_in_flight: max_in_flight.max(1),
            throttle,
            retry,
        }
    }

    /// The provider's throttle (`None` for a local model).
    pub fn throttle(&self) -> Option<&Arc<Throttle>> {
        self.throttle.as_ref()
    }

    pub fn provider_name(&self) -> &'static str {
        self.provider.name()
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Embeds `texts`; one vector per text, in order. `permit` (and `turn`): a place in the
    /// throttle (and the turn on its budgets) taken before the batch was claimed, for its first
    /// request. Any failure fails the whole call (the requests still running are cancelled).
    pub async fn embed(
        &self,
        texts: &[String],
        mut permit: Option<Permit>,
        mut turn: Option<Turn>,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let inputs: Vec<Cow<str>> = texts.iter().map(|t| truncate(t, self.limits.context)).collect();
        let sizes: Vec<usize> = inputs.iter().map(|t| t.len()).collect();
        let plan = plan_requests(&sizes, &self.limits);
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        let mut running = JoinSet::new();
        let mut next = 0;
        // with a throttle every request is spawned and waits for its place there
        let max_in_flight = if self.throttle.is_some() { usize::MAX } else { self.max_in_flight };
        while next < plan.len() || !running.is_empty() {
            while next < plan.len() && running.len() < max_in_flight {
                let range = plan[next].clone();
                let batch: Vec<String> = inputs[range.clone()].iter().map(|t| t.to_string()).collect();
                let (provider, throttle, retry) = (self.provider.clone(), self.throttle.clone(), self.retry);
                // the first request waits for the batch's turn on the budgets here, before
                // the others take theirs
                let mut permit = permit.take();
                if let Some(p) = permit.as_mut() {
                    p.wait_for_budget(estimate_tokens(&batch), turn.take()).await;
                }
                running.spawn(async move { (range, send(&provider, throttle.as_ref(), permit, retry, batch).await) });
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
        if let Some(unused) = permit {
            unused.cancel().await;
        }
        drop(turn);
        Ok(out)
    }
}

/// One request through the throttle, tried again as the provider asks: a 429 after the wait
/// it asked for, until [`RATE_LIMIT_PATIENCE`]; other transient failures as `retry` says.
async fn send(
    provider: &Provider,
    throttle: Option<&Arc<Throttle>>,
    mut permit: Option<Permit>,
    retry: RetryPolicy,
    inputs: Vec<String>,
) -> Result<Vec<Vec<f32>>, EmbedError> {
    let Some(throttle) = throttle else { return Ok(provider.embed(inputs).await?.0) };
    let tokens = estimate_tokens(&inputs);
    let first = Instant::now();
    let patience = first + RATE_LIMIT_PATIENCE;
    let mut transient = 0;
    loop {
        let place = match permit.take() {
            Some(p) => p,
            None => throttle.acquire(tokens).await,
        };
        let started = Instant::now();
        let result = provider.embed(inputs.clone()).await;
        let error = match result {
            Ok((vectors, counted)) => {
                place.done(Outcome::Ok(started.elapsed(), counted)).await;
                return Ok(vectors);
            }
            Err(EmbedError::Provider(e)) => e,
            Err(other) => {
                place.done(Outcome::Failed).await;
                return Err(other);
            }
        };
        if error.status() == Some(429) {
            place.done(Outcome::RateLimited(error.retry_after())).await;
            if Instant::now() < patience {
                tracing::debug!(throttle = throttle.name(), "rate limited (429): trying again");
                continue;
            }
        } else {
            let timed_out = error.kind() == providers::ErrorKind::Timeout;
            place.done(if timed_out { Outcome::TimedOut } else { Outcome::Failed }).await;
            let wait = error.retry_after().unwrap_or_else(|| retry.backoff(transient));
            if error.is_retryable() && transient < retry.max_retries && first.elapsed() + wait <= retry.max_elapsed {
                transient += 1;
                tracing::debug!(throttle = throttle.name(), error = %error, ?wait, "retrying");
                tokio::time::sleep(wait).await;
                continue;
            }
        }
        return Err(error.into());
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
