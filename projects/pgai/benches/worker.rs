//! Worker throughput: `cargo bench -p pgai --bench worker -- [--rows N] [--concurrency C]`
//! (`just pgai bench`).
//!
//! Starts a throwaway PostgreSQL (testkit), the fast fake OpenAI embeddings server, loads N
//! rows of deterministic English-like prose (200 to 5,000 characters each), creates a
//! vectorizer (recursive character splitter 800/400, text-embedding-3-small at 1,536
//! dimensions), runs the real `pgai vectorizer worker --once` binary and reports rows/s,
//! chunks/s, the worker's CPU time and its peak resident memory (getrusage of the child: the
//! same figure as VmHWM in /proc/<pid>/status).

use std::process::Command;
use std::time::Instant;
use testkit::fast_openai::FastOpenAi;
use testkit::PgCluster;

struct Args {
    rows: usize,
    concurrency: usize,
    batch_size: Option<usize>,
}

fn args() -> Args {
    let mut a = Args { rows: 20_000, concurrency: 1, batch_size: None };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| -> usize {
            it.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{name} needs a number"))
        };
        match arg.as_str() {
            "--rows" => a.rows = value("--rows"),
            "--concurrency" | "-c" => a.concurrency = value("--concurrency"),
            "--batch-size" => a.batch_size = Some(value("--batch-size")),
            "--bench" => {} // added by `cargo bench`
            other => panic!("unknown argument {other}; use --rows N, --concurrency C, --batch-size B"),
        }
    }
    a
}

/// A small xorshift generator: the same text on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "a",
    "in",
    "is",
    "that",
    "for",
    "it",
    "as",
    "with",
    "on",
    "by",
    "this",
    "be",
    "are",
    "from",
    "or",
    "an",
    "which",
    "can",
    "file",
    "option",
    "command",
    "default",
    "value",
    "when",
    "if",
    "not",
    "all",
    "system",
    "user",
    "data",
    "output",
    "input",
    "each",
    "used",
    "may",
    "see",
    "also",
    "specified",
    "program",
    "directory",
    "process",
    "string",
    "number",
    "name",
    "time",
    "error",
    "set",
    "new",
    "only",
    "other",
    "must",
    "following",
    "line",
    "will",
    "use",
    "such",
    "any",
    "first",
    "given",
    "these",
    "more",
    "standard",
    "without",
    "otherwise",
    "environment",
    "variable",
    "argument",
    "returns",
    "function",
    "memory",
    "network",
    "server",
    "client",
    "connection",
    "database",
    "table",
    "index",
    "query",
    "result",
    "record",
    "field",
    "format",
    "text",
    "character",
    "encoding",
    "buffer",
    "stream",
    "signal",
    "thread",
    "lock",
    "queue",
    "batch",
    "model",
    "vector",
];

/// Prose of about `len` characters: sentences of 5 to 25 words, paragraphs of 2 to 6.
fn prose(rng: &mut Rng, len: usize) -> String {
    let mut out = String::with_capacity(len + 64);
    'outer: loop {
        for _ in 0..2 + rng.below(5) {
            let words = 5 + rng.below(21);
            for w in 0..words {
                let word = WORDS[rng.below(WORDS.len())];
                if w == 0 {
                    let mut c = word.chars();
                    out.extend(c.next().map(|f| f.to_ascii_uppercase()));
                    out.push_str(c.as_str());
                } else {
                    out.push(' ');
                    out.push_str(word);
                }
            }
            out.push_str(if rng.below(8) == 0 { "?" } else { "." });
            if out.len() >= len {
                break 'outer;
            }
            out.push(' ');
        }
        out.pop();
        out.push_str("\n\n");
    }
    out
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    format!("{cores} cores, {cpu}")
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let a = args();
    eprintln!("starting PostgreSQL and the fake embedding server ...");
    let cluster = PgCluster::builder().start().expect("starting PostgreSQL");
    let db = cluster.create_db("bench").await.unwrap();
    let pool = cluster.pool(&db).await.unwrap();
    sqlx::query("create extension ai cascade")
        .execute(&pool)
        .await
        .expect("create extension ai (`just ext install` first)");
    sqlx::query("create table docs (id int primary key, title text not null, body text not null)")
        .execute(&pool)
        .await
        .unwrap();

    eprintln!("loading {} rows ...", a.rows);
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let mut chars = 0usize;
    for start in (0..a.rows).step_by(2000) {
        let ids: Vec<i32> = (start..(start + 2000).min(a.rows)).map(|i| i as i32 + 1).collect();
        let titles: Vec<String> = ids.iter().map(|i| format!("Document {i}")).collect();
        let bodies: Vec<String> = ids
            .iter()
            .map(|_| {
                let len = 200 + rng.below(4801);
                prose(&mut rng, len)
            })
            .collect();
        chars += bodies.iter().map(|b| b.chars().count()).sum::<usize>();
        sqlx::query("insert into docs select * from unnest($1::int[], $2::text[], $3::text[])")
            .bind(&ids)
            .bind(&titles)
            .bind(&bodies)
            .execute(&pool)
            .await
            .unwrap();
    }
    let fake = FastOpenAi::start();
    let processing =
        a.batch_size.map(|b| format!(", processing => ai.processing_default(batch_size => {b})")).unwrap_or_default();
    let id: i32 = sqlx::query_scalar(&format!(
        "select ai.create_vectorizer('docs'::regclass, \
         embedding => ai.embedding_openai('text-embedding-3-small', 1536, base_url => '{}'), \
         chunking => ai.chunking_recursive_character_text_splitter('body', chunk_size => 800, chunk_overlap => 400){processing})",
        fake.base_url()
    ))
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query("vacuum analyze").execute(&pool).await.unwrap();

    eprintln!("running the worker (-c {}) ...", a.concurrency);
    let started = Instant::now();
    #[allow(clippy::zombie_processes, reason = "reaped by wait4 in wait_with_usage")]
    let child = Command::new(env!("CARGO_BIN_EXE_pgai"))
        .args(["vectorizer", "worker", "--once", "-d", &cluster.url(&db), "-c", &a.concurrency.to_string()])
        .env("OPENAI_API_KEY", "sk-bench")
        .env_remove("RUST_LOG")
        .spawn()
        .expect("starting the worker");
    let (status, usage) = wait_with_usage(child.id() as i32);
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(status, 0, "the worker failed");

    let pending: i64 =
        sqlx::query_scalar(&format!("select ai.vectorizer_queue_pending({id}, true)")).fetch_one(&pool).await.unwrap();
    let chunks: i64 = sqlx::query_scalar("select count(*) from docs_embedding_store").fetch_one(&pool).await.unwrap();
    assert_eq!(pending, 0);
    let cpu = usage.ru_utime.tv_sec as f64
        + usage.ru_utime.tv_usec as f64 / 1e6
        + usage.ru_stime.tv_sec as f64
        + usage.ru_stime.tv_usec as f64 / 1e6;
    println!("machine:      {}", machine());
    println!("rows:         {} ({:.0} characters on average)", a.rows, chars as f64 / a.rows as f64);
    println!("chunks:       {chunks} ({:.1} per row)", chunks as f64 / a.rows as f64);
    println!("requests:     {} to the fake embeddings server", fake.requests());
    println!("wall time:    {seconds:.2} s (the worker process, start to exit)");
    println!("rows/s:       {:.0}", a.rows as f64 / seconds);
    println!("chunks/s:     {:.0}", chunks as f64 / seconds);
    println!("worker CPU:   {cpu:.2} s ({:.1} µs per chunk)", cpu * 1e6 / chunks as f64);
    println!("peak RSS:     {:.1} MiB", usage.ru_maxrss as f64 / 1024.0);
}

/// Waits for the child `pid`; its exit status and resource usage.
fn wait_with_usage(pid: i32) -> (i32, libc::rusage) {
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4 failed");
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
    (code, usage)
}
