//! Shared helpers: a fresh database per test, vectorizers on fake servers, worker options
//! with short timeouts, and readers of the target table.

use pgai::chunking::Chunker;
use pgai::formatting::Template;
use pgai::worker::{Env, Shutdown, Summary, WorkerError, WorkerOptions};
use providers::{HttpClient, RetryPolicy, Timeouts};
use sqlx::{PgPool, Row};
use std::time::Duration;
use testkit::PgCluster;

pub const KEY: &str = "sk-test-0123456789abcdef";

/// Counts the worker's sessions in the current database (other tests' workers share the server).
pub const WORKER_SESSIONS: &str = "select count(*) from pg_stat_activity \
    where application_name = 'pgai vectorizer worker' and datname = current_database()";

pub struct Db {
    pub name: String,
    pub url: String,
    pub pool: PgPool,
}

impl Db {
    /// A new database with the `ai` extension.
    pub async fn new(prefix: &str) -> Db {
        capture_logs();
        let cluster = PgCluster::shared();
        let name = cluster.create_db(prefix).await.expect("creating a database");
        let pool = cluster.pool(&name).await.expect("connecting");
        sqlx::query("create extension ai version '0.7.2' cascade")
            .execute(&pool)
            .await
            .expect("create extension ai (run `just ext install`)");
        Db { url: cluster.url(&name), name, pool }
    }

    /// A new database with the catalog of `pgai install` (pgai 0.12's layout) and no `ai`
    /// extension, as on a managed PostgreSQL.
    pub async fn library(prefix: &str) -> Db {
        capture_logs();
        let cluster = PgCluster::shared();
        let name = cluster.create_db(prefix).await.expect("creating a database");
        let pool = cluster.pool(&name).await.expect("connecting");
        let url = cluster.url(&name);
        pgai::install::install(&url, &Default::default()).await.expect("pgai install");
        Db { url, name, pool }
    }

    pub async fn exec(&self, sql: &str) {
        sqlx::raw_sql(sql).execute(&self.pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    pub async fn scalar_i64(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub async fn queued(&self, vectorizer: i32) -> i64 {
        self.scalar_i64(&format!("select ai.vectorizer_queue_pending({vectorizer}, exact_count => true)")).await
    }

    /// `(message, details as text)` of the recorded errors, oldest first.
    pub async fn errors(&self) -> Vec<(String, String)> {
        sqlx::query("select message, details::text from ai.vectorizer_errors order by recorded")
            .fetch_all(&self.pool)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    }

    /// The target rows: `(key as text, chunk_seq, chunk, embedding)` in key and sequence order.
    pub async fn target(&self, table: &str, key_expr: &str) -> Vec<(String, i32, String, Vec<f32>)> {
        let sql = format!("select ({key_expr})::text, chunk_seq, chunk, embedding::real[] from {table} order by 1, 2");
        sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect()
    }
}

/// An HTTP client with short timeouts and quick retries.
pub fn http() -> HttpClient {
    HttpClient::new(
        Timeouts { connect: Duration::from_secs(2), request: Duration::from_secs(5) },
        RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
            max_elapsed: Duration::from_secs(10),
        },
    )
}

/// `--once` options for `db`, the API key in the worker's environment.
pub fn once(db: &Db) -> WorkerOptions {
    let mut o = WorkerOptions::new(db.url.clone());
    o.once = true;
    o.exit_on_error = true;
    o.env = Env::fixed([("OPENAI_API_KEY", KEY)]);
    o.http = Some(http());
    o.progress_interval = Duration::from_secs(1);
    o
}

pub async fn run(opts: WorkerOptions) -> Result<Summary, WorkerError> {
    pgai::worker::run(opts, Shutdown::never()).await
}

/// `ai.create_vectorizer` on `table` with OpenAI's text-embedding-3-small at `base_url`;
/// `rest` adds arguments (`, formatting => ...`).
pub async fn vectorizer(db: &Db, table: &str, base_url: &str, dims: u32, chunking: &str, rest: &str) -> i32 {
    let sql = format!(
        "select ai.create_vectorizer('{table}'::regclass, \
         embedding => ai.embedding_openai('text-embedding-3-small', {dims}, base_url => '{base_url}'), \
         chunking => {chunking}{rest})"
    );
    sqlx::query_scalar(&sql).fetch_one(&db.pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The chunks the worker must produce for `text` (formatted with `template`, the other
/// placeholders taken from `columns`).
pub fn expected_chunks(chunker: &Chunker, template: &str, text: Option<&str>, columns: &[(&str, &str)]) -> Vec<String> {
    let t = Template::parse(template).unwrap();
    let Some(text) = text else { return Vec::new() };
    chunker
        .split(text)
        .iter()
        .map(|c| t.render(c, |name| columns.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)).unwrap())
        .collect()
}

/// Deterministic prose: `words` words from a small vocabulary, in sentences and paragraphs.
pub fn prose(seed: u64, words: usize) -> String {
    const VOCAB: &[&str] = &[
        "the",
        "worker",
        "embeds",
        "rows",
        "of",
        "a",
        "table",
        "into",
        "vectors",
        "and",
        "keeps",
        "them",
        "in",
        "sync",
        "with",
        "their",
        "source",
        "when",
        "it",
        "changes",
        "queue",
        "batch",
        "chunk",
        "model",
        "database",
        "index",
        "search",
        "meaning",
        "text",
        "every",
        "night",
        "river",
        "mountain",
        "café",
        "naïve",
        "日本語",
    ];
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = String::new();
    for i in 0..words {
        if i > 0 {
            let r = next() % 40;
            out.push_str(if r == 0 {
                ".\n\n"
            } else if r < 4 {
                ". "
            } else {
                " "
            });
        }
        out.push_str(VOCAB[(next() % VOCAB.len() as u64) as usize]);
    }
    out.push('.');
    out
}

/// The `pgai` binary, run in an empty directory (no `.env`) with no `PGAI_*` or `RUST_LOG`
/// variables inherited.
pub fn pgai_command(dir: &std::path::Path) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_pgai"));
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if k.starts_with("PGAI_") || k == "RUST_LOG" || k == "OPENAI_API_KEY" {
            c.env_remove(k.as_ref());
        }
    }
    c.current_dir(dir);
    c
}

/// A new empty directory.
pub fn scratch_dir(name: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "pgai-test-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A tiny xorshift generator for the fault and crash loops: reproducible from its seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// Keeps the in-process workers' logs (debug level) for the secrets scan of `just test`.
pub fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("warn,pgai=debug,providers=debug")
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(testkit::evidence::client_log_file()))
            .try_init();
    });
}

/// A worker process's stderr: the test process's client log, for the secrets scan.
pub fn worker_stderr() -> std::process::Stdio {
    testkit::evidence::client_log_file().into()
}
