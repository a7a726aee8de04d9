//! The vectorizer worker: polls the vectorizer catalog, and for each vectorizer processes
//! its queue in batches ([`batch`]: queue -> source rows -> chunks -> embeddings -> target)
//! with `concurrency` tasks, until the queue is empty; then sleeps for the poll interval
//! (or, with `once`, stops).
//!
//! Modules, in the order data flows: [`catalog`] and [`config`] (what to process),
//! [`job`] (a vectorizer made ready: [`queries`], chunker, template, [`embed`]),
//! [`vectorizer`] (its tasks), [`batch`] (one transaction; [`reuse`]: what changed),
//! [`copy`] (the binary COPY encoder); around them [`throttle`] (requests in flight and rate
//! limits), [`secrets`], [`errors`], [`indexing`], [`stats`], [`shutdown`].

pub mod batch;
pub mod catalog;
pub mod config;
pub mod copy;
pub mod embed;
pub mod errors;
pub mod heartbeat;
pub mod indexing;
pub mod job;
pub mod loading;
pub mod queries;
pub mod reconnect;
pub mod reuse;
pub mod secrets;
pub mod shutdown;
pub mod stats;
pub mod throttle;
pub mod vectorizer;

use catalog::Vectorizer;
use config::EmbeddingConfig;
use embed::Embedder;
use errors::ErrorRecord;
use heartbeat::Heartbeat;
use job::Job;
pub use secrets::Env;
pub use shutdown::Shutdown;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
use stats::Report;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// The default `--name`.
pub const DEFAULT_NAME: &str = "pgai vectorizer worker";

/// The default `--db-url`.
pub const DEFAULT_DB_URL: &str = "postgres://postgres@localhost:5432/postgres";

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    pub db_url: String,
    /// Vectorizers to process; empty: all.
    pub vectorizer_ids: Vec<i32>,
    /// Tasks per vectorizer (each with its own connection); `None`: the vectorizer's
    /// `processing.concurrency`, else 1. Also how many embedding requests of one batch may be
    /// in flight at once.
    pub concurrency: Option<usize>,
    /// Sleep between polls of the catalog (when not `once`).
    pub poll_interval: Duration,
    /// Process everything queued, then stop; the first error stops the worker.
    pub once: bool,
    /// Stop at the first error (a failed batch, an unusable vectorizer).
    pub exit_on_error: bool,
    /// Where API keys are looked up first.
    pub env: Env,
    /// The HTTP client for model APIs (connection pool, retries, timeouts); `None`: the
    /// providers crate's shared client with its defaults.
    pub http: Option<providers::HttpClient>,
    /// How often a running vectorizer logs its progress.
    pub progress_interval: Duration,
    /// The connections' application_name and the heartbeat's worker name.
    pub name: String,
    /// Keep the embeddings of chunks whose text did not change (default); off: every queued
    /// row is embedded again whole.
    pub reuse_embeddings: bool,
    /// Budgets of the provider's requests and tokens a minute, shared through the database by
    /// every worker that uses the same provider endpoint and key name (a vectorizer's
    /// processing config may set lower ones).
    pub limits: throttle::Limits,
    /// Run by the extension's in-database worker (with the server's environment): no API key
    /// goes to a `base_url` that a row of `pgai install`'s catalog names (see [`prepare`]).
    pub in_database: bool,
}

impl WorkerOptions {
    pub fn new(db_url: impl Into<String>) -> WorkerOptions {
        WorkerOptions {
            db_url: db_url.into(),
            vectorizer_ids: Vec::new(),
            concurrency: None,
            poll_interval: Duration::from_secs(300),
            once: false,
            exit_on_error: false,
            env: Env::process(),
            http: None,
            progress_interval: Duration::from_secs(5),
            name: DEFAULT_NAME.to_string(),
            reuse_embeddings: true,
            limits: throttle::Limits::default(),
            in_database: false,
        }
    }
}

/// Why the worker stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("invalid database URL: {0}")]
    Url(String),
    #[error("cannot connect to {target}: {reason}")]
    Connect { target: String, reason: String },
    #[error("the ai extension is not installed in {0} (create extension ai cascade)")]
    NotInstalled(String),
    #[error("vectorizer {id}: {message}")]
    Vectorizer { id: i32, message: String },
    #[error("vectorizer {id}: lost the database connection, its batches stay queued: {message}")]
    Disconnected { id: i32, message: String },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl WorkerError {
    /// The database connection was lost (or the server went away): worth reconnecting.
    pub fn is_connection_lost(&self) -> bool {
        match self {
            WorkerError::Disconnected { .. } => true,
            WorkerError::Database(e) => reconnect::is_connection_lost(e),
            _ => false,
        }
    }
}

/// What the worker did.
#[derive(Debug, Default)]
pub struct Summary {
    /// One report per vectorizer run.
    pub runs: Vec<Report>,
}

impl Summary {
    pub fn items(&self) -> u64 {
        self.runs.iter().map(|r| r.items).sum()
    }

    pub fn chunks(&self) -> u64 {
        self.runs.iter().map(|r| r.chunks).sum()
    }
}

/// Runs the worker until `shutdown` (or, with `once`, until the queues are empty).
pub async fn run(opts: WorkerOptions, shutdown: Shutdown) -> Result<Summary, WorkerError> {
    let connect = PgConnectOptions::from_str(&opts.db_url)
        .map_err(|e| WorkerError::Url(e.to_string()))?
        .application_name(&opts.name)
        .disable_statement_logging();
    let target = crate::connect::describe(&connect);
    // One connection first, for its error: the pool would retry a refused connection until
    // its acquire timeout and then only say that it timed out.
    let first = PgConnection::connect_with(&connect).await.map_err(|e| connect_error(&target, e))?;
    let pool = PgPoolOptions::new()
        .max_connections(64)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(60))
        .test_before_acquire(false)
        .connect_lazy_with(connect);
    let _ = first.close().await;
    tracing::info!(database = %target, once = opts.once, "vectorizer worker started");
    let mut summary = Summary::default();
    let heartbeat = Heartbeat::new(pool.clone(), &opts.name, opts.poll_interval);
    let mut backoff = reconnect::Backoff::default();
    let mut last_failure: Option<String> = None;
    loop {
        let wait = match poll(&pool, &opts, &shutdown, &mut summary, &target, &heartbeat).await {
            Ok(()) => {
                backoff.reset();
                last_failure = None;
                opts.poll_interval
            }
            Err(e) if opts.once || opts.exit_on_error => return Err(e),
            Err(e) if e.is_connection_lost() => {
                reconnect::drop_idle(&pool).await;
                let wait = backoff.next_wait();
                tracing::warn!(error = %e, retry_in = ?wait, "lost the database connection; reconnecting");
                wait
            }
            // the same failure at every poll is logged once (an in-database worker polls often)
            Err(e) if last_failure.as_deref() == Some(e.to_string().as_str()) => {
                tracing::debug!(error = %e, "processing failed again");
                opts.poll_interval
            }
            Err(e) => {
                tracing::error!(error = %e, "processing failed; trying again after the poll interval");
                last_failure = Some(e.to_string());
                opts.poll_interval
            }
        };
        if opts.once || shutdown.is_requested() || shutdown.sleep(wait).await {
            break;
        }
    }
    pool.close().await;
    let peak = stats::peak_rss_kib().map(|k| format!("{:.1} MiB", k as f64 / 1024.0)).unwrap_or_default();
    tracing::info!(
        items = summary.items(),
        chunks = summary.chunks(),
        peak_rss = %peak,
        "vectorizer worker stopped: {} items, {} chunks",
        summary.items(),
        summary.chunks()
    );
    Ok(summary)
}

/// One pass over the catalog: every requested vectorizer, one after the other.
async fn poll(
    pool: &PgPool,
    opts: &WorkerOptions,
    shutdown: &Shutdown,
    summary: &mut Summary,
    target: &str,
    heartbeat: &Heartbeat,
) -> Result<(), WorkerError> {
    let mut conn = pool.acquire().await?;
    if !catalog::is_installed(&mut conn).await? {
        return Err(WorkerError::NotInstalled(target.to_string()));
    }
    let catalog = catalog::load(&mut conn, &opts.vectorizer_ids).await?;
    let watched: Vec<i32> =
        catalog.vectorizers.iter().map(|v| v.id).chain(catalog.unusable.iter().map(|u| u.id)).collect();
    heartbeat.beat(&watched).await;
    for id in &catalog.missing {
        tracing::warn!(vectorizer_id = id, "vectorizer {id} does not exist");
    }
    let mut failure = None;
    for u in &catalog.unusable {
        let message = format!("cannot process vectorizer {}: {}", u.id, u.reason);
        tracing::error!(vectorizer_id = u.id, "{message}");
        let _ = errors::record(&mut conn, u.id, &ErrorRecord::other(&message), None).await;
        failure.get_or_insert(WorkerError::Vectorizer { id: u.id, message: u.reason.clone() });
    }
    if catalog.vectorizers.is_empty() && catalog.unusable.is_empty() {
        tracing::info!("no vectorizer to process");
    }
    for v in catalog.vectorizers {
        if (failure.is_some() && opts.exit_on_error) || shutdown.is_requested() {
            break;
        }
        let id = v.id;
        let tasks = opts.concurrency.or(v.config.processing.concurrency()).unwrap_or(1);
        let job = match prepare(&mut conn, pool, v, opts, tasks).await {
            Ok(job) => Arc::new(job),
            Err(message) => {
                tracing::error!(vectorizer_id = id, "cannot process vectorizer {id}: {message}");
                let _ = errors::record(&mut conn, id, &ErrorRecord::other(&message), None).await;
                failure.get_or_insert(WorkerError::Vectorizer { id, message });
                continue;
            }
        };
        let _beating = heartbeat.keep_beating(id);
        let result = vectorizer::run(pool, job, tasks, opts.progress_interval, shutdown).await?;
        heartbeat.progress(id, result.report.items, result.error.as_ref().map(|f| f.message.as_str())).await;
        summary.runs.push(result.report);
        if let Some(f) = result.error {
            let message = f.message;
            failure.get_or_insert(if f.connection_lost {
                WorkerError::Disconnected { id, message }
            } else {
                WorkerError::Vectorizer { id, message }
            });
        }
    }
    failure.map_or(Ok(()), Err)
}

/// The job of vectorizer `v`: its API key, embedder (with the provider's throttle), chunker,
/// template and statements.
async fn prepare(
    conn: &mut PgConnection,
    pool: &PgPool,
    v: Vectorizer,
    opts: &WorkerOptions,
    tasks: usize,
) -> Result<Job, String> {
    let embedding = &v.config.embedding;
    // The server's keys are the in-database worker's environment. The extension's catalog
    // checks, when a row is written, that its writer may read the key it names
    // (ai_extra._vectorizer_check_secret); pgai install's catalog cannot tell who wrote a row,
    // so a key never goes from the server to an endpoint a row chose.
    if opts.in_database && v.lib_layout && embedding.api_key_name().is_some() && embedding.base_url().is_some() {
        return Err(format!(
            "the in-database worker sends no API key to a base_url that a vectorizer names ({}): run `pgai vectorizer worker` outside the server for this vectorizer",
            embedding.base_url().unwrap_or_default()
        ));
    }
    let secret = match embedding.api_key_name() {
        Some(name) => secrets::lookup(conn, &opts.env, name).await,
        None => None,
    };
    if secret.is_none() && needs_key(embedding) {
        let name = embedding.api_key_name().unwrap_or_default();
        return Err(format!(
            "no API key: set the environment variable {name} for the worker (or the secret {name} in the database)"
        ));
    }
    let http = opts.http.clone().unwrap_or_else(providers::HttpClient::shared);
    let limits = opts.limits.min(v.config.processing.limits());
    // the database shares the budgets when this extension version has the function for it
    let shared = if limits.is_none() {
        None
    } else {
        let has: bool = sqlx::query_scalar(
            "select pg_catalog.to_regprocedure('ai_extra.rate_limit_reserve(text, float8, float8, float8)') is not null",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap_or(false);
        if !has {
            tracing::warn!(
                vectorizer_id = v.id,
                "the ai extension has no shared rate budget (ai_extra.rate_limit_reserve): this worker budgets alone"
            );
        }
        has.then_some(pool)
    };
    let throttle = throttle::Throttle::get(&throttle_name(embedding), limits, shared);
    let embedder = Embedder::new(embedding, secret.clone(), http, Some(throttle), tasks);
    Job::new(v, embedder, secret, opts.reuse_embeddings)
}

/// The throttle of a provider endpoint and key name (their names only: never the key).
fn throttle_name(config: &EmbeddingConfig) -> String {
    match config {
        EmbeddingConfig::OpenAi { base_url, api_key_name, .. } => format!(
            "openai {} {}",
            base_url.as_deref().unwrap_or(providers::openai::DEFAULT_BASE_URL).trim_end_matches('/'),
            api_key_name.as_deref().unwrap_or("OPENAI_API_KEY")
        ),
        EmbeddingConfig::VoyageAi { base_url, api_key_name, .. } => format!(
            "voyageai {} {}",
            base_url.as_deref().unwrap_or("https://api.voyageai.com/v1").trim_end_matches('/'),
            api_key_name.as_deref().unwrap_or("VOYAGE_API_KEY")
        ),
        EmbeddingConfig::Ollama { base_url, .. } => {
            format!("ollama {}", base_url.as_deref().unwrap_or("http://localhost:11434").trim_end_matches('/'))
        }
        EmbeddingConfig::SentenceTransformers { model, .. } => format!("local {model}"),
    }
}

/// Whether the provider refuses requests without a key (OpenAI's own API, Voyage AI);
/// OpenAI-compatible servers at another `base_url` may need none.
fn needs_key(config: &EmbeddingConfig) -> bool {
    match config {
        EmbeddingConfig::OpenAi { base_url, .. } => {
            base_url.as_deref().is_none_or(|u| u.trim_end_matches('/') == providers::openai::DEFAULT_BASE_URL)
        }
        EmbeddingConfig::VoyageAi { .. } => true,
        EmbeddingConfig::Ollama { .. } | EmbeddingConfig::SentenceTransformers { .. } => false,
    }
}

fn connect_error(target: &str, e: sqlx::Error) -> WorkerError {
    WorkerError::Connect { target: target.to_string(), reason: crate::connect::failure_reason(&e) }
}
