//! Worker throughput: `cargo bench -p pgai --bench worker -- [OPTIONS]` (`just pgai bench`).
//!
//! Starts a throwaway PostgreSQL (testkit), the fast fake OpenAI embeddings server, loads N
//! rows of deterministic English-like prose (200 to 5,000 characters each), creates a
//! vectorizer (recursive character splitter 800/400, text-embedding-3-small at 1,536
//! dimensions), runs the real `pgai vectorizer worker --once` binary (W of them at once) and
//! reports rows/s, chunks/s, the workers' CPU time and peak resident memory (getrusage of the
//! children: the same figure as VmHWM in /proc/<pid>/status).
//!
//! Options: `--rows N` (20,000), `--concurrency C` (the workers' `-c`, default theirs),
//! `--batch-size B`, `--workers W` (1), `--latency-ms L` (the fake answers after L ms),
//! `--provider-rpm R --provider-tpm T` (the fake's per-key limits, answering 429 past them),
//! `--limit-rpm R --limit-tpm T` (the workers' shared budgets), `--edits` (then an UPDATE of a
//! column that is not embedded, and a one-paragraph edit of rows of about 20 chunks: the
//! requests and tokens they cost).

use std::process::Command;
use std::time::Instant;
use testkit::fast_openai::FastOpenAi;
use testkit::PgCluster;

#[derive(Clone)]
struct Args {
    rows: usize,
    concurrency: Option<usize>,
    batch_size: Option<usize>,
    workers: usize,
    latency_ms: u64,
    provider_rpm: Option<usize>,
    provider_tpm: Option<usize>,
    limit_rpm: Option<usize>,
    limit_tpm: Option<usize>,
    edits: bool,
}

fn args() -> Args {
    let mut a = Args {
        rows: 20_000,
        concurrency: None,
        batch_size: None,
        workers: 1,
        latency_ms: 0,
        provider_rpm: None,
        provider_tpm: None,
        limit_rpm: None,
        limit_tpm: None,
        edits: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| -> usize {
            it.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{name} needs a number"))
        };
        match arg.as_str() {
            "--rows" => a.rows = value("--rows"),
            "--concurrency" | "-c" => a.concurrency = Some(value("--concurrency")),
            "--batch-size" => a.batch_size = Some(value("--batch-size")),
            "--workers" => a.workers = value("--workers"),
            "--latency-ms" => a.latency_ms = value("--latency-ms") as u64,
            "--provider-rpm" => a.provider_rpm = Some(value("--provider-rpm")),
            "--provider-tpm" => a.provider_tpm = Some(value("--provider-tpm")),
            "--limit-rpm" => a.limit_rpm = Some(value("--limit-rpm")),
            "--limit-tpm" => a.limit_tpm = Some(value("--limit-tpm")),
            "--edits" => a.edits = true,
            "--bench" => {} // added by `cargo bench`
            other => panic!("unknown argument {other}; see the module documentation for the options"),
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
    sqlx::query("create extension ai version '0.7.2' cascade")
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
    fake.set_delay(std::time::Duration::from_millis(a.latency_ms));
    if a.provider_rpm.is_some() || a.provider_tpm.is_some() {
        let (r, t) = (a.provider_rpm.unwrap_or(1 << 40), a.provider_tpm.unwrap_or(1 << 40));
        fake.set_rate_limits(r as u64, t as u64, std::time::Duration::from_secs(60));
    }
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

    let c = a.concurrency.map(|c| format!(" -c {c}")).unwrap_or_default();
    eprintln!("running {} worker(s){c}, {} ms latency ...", a.workers, a.latency_ms);
    let (seconds, usages) = run_workers(&a, &cluster.url(&db));
    let pending: i64 =
        sqlx::query_scalar(&format!("select ai.vectorizer_queue_pending({id}, true)")).fetch_one(&pool).await.unwrap();
    let chunks: i64 = sqlx::query_scalar("select count(*) from docs_embedding_store").fetch_one(&pool).await.unwrap();
    assert_eq!(pending, 0);
    let errors: i64 = sqlx::query_scalar("select count(*) from ai.vectorizer_errors").fetch_one(&pool).await.unwrap();
    let cpu: f64 = usages.iter().map(|u| secs(&u.ru_utime) + secs(&u.ru_stime)).sum();
    let rss = usages.iter().map(|u| u.ru_maxrss).max().unwrap_or(0);
    println!("machine:      {}", machine());
    println!("rows:         {} ({:.0} characters on average)", a.rows, chars as f64 / a.rows as f64);
    println!("chunks:       {chunks} ({:.1} per row)", chunks as f64 / a.rows as f64);
    println!("workers:      {}{c}, fake latency {} ms", a.workers, a.latency_ms);
    println!(
        "requests:     {} answered, {} answered 429 ({:.2}%)",
        fake.requests(),
        fake.rate_limited(),
        100.0 * fake.rate_limited() as f64 / (fake.requests() + fake.rate_limited()).max(1) as f64
    );
    println!("wall time:    {seconds:.2} s (the worker processes, start to exit)");
    println!("rows/s:       {:.0}", a.rows as f64 / seconds);
    println!("chunks/s:     {:.0}", chunks as f64 / seconds);
    println!("worker CPU:   {cpu:.2} s ({:.1} µs per chunk)", cpu * 1e6 / chunks as f64);
    println!("peak RSS:     {:.1} MiB (the largest worker)", rss as f64 / 1024.0);
    println!("errors:       {errors} recorded");
    let minutes = seconds / 60.0;
    if let Some(rpm) = a.provider_rpm {
        println!(
            "requests/min: {:.0} of the provider's {rpm} ({:.1}%)",
            fake.requests() as f64 / minutes,
            100.0 * fake.requests() as f64 / minutes / rpm as f64
        );
    }
    if let Some(tpm) = a.provider_tpm {
        println!(
            "tokens/min:   {:.0} of the provider's {tpm} ({:.1}%)",
            fake.tokens() as f64 / minutes,
            100.0 * fake.tokens() as f64 / minutes / tpm as f64
        );
    }

    if a.edits {
        edits(&a, &pool, &cluster.url(&db), &fake).await;
    }
}

fn secs(t: &libc::timeval) -> f64 {
    t.tv_sec as f64 + t.tv_usec as f64 / 1e6
}

/// Runs `a.workers` worker processes at once until the queue is empty; the wall time and each
/// one's resource usage.
fn run_workers(a: &Args, url: &str) -> (f64, Vec<libc::rusage>) {
    let started = Instant::now();
    let mut pids = Vec::new();
    for _ in 0..a.workers {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgai"));
        cmd.args(["vectorizer", "worker", "--once", "-d", url]);
        if let Some(c) = a.concurrency {
            cmd.args(["-c", &c.to_string()]);
        }
        if let Some(r) = a.limit_rpm {
            cmd.args(["--requests-per-minute", &r.to_string()]);
        }
        if let Some(t) = a.limit_tpm {
            cmd.args(["--tokens-per-minute", &t.to_string()]);
        }
        #[allow(clippy::zombie_processes, reason = "reaped by wait4 in wait_with_usage")]
        let child = cmd.env("OPENAI_API_KEY", "sk-bench").env_remove("RUST_LOG").spawn().expect("starting a worker");
        pids.push(child.id() as i32);
    }
    let usages = pids
        .into_iter()
        .map(|pid| {
            let (status, usage) = wait_with_usage(pid);
            assert_eq!(status, 0, "a worker failed");
            usage
        })
        .collect();
    (started.elapsed().as_secs_f64(), usages)
}

/// What an UPDATE of a column that is not embedded, and a one-paragraph edit of long rows, cost.
async fn edits(a: &Args, pool: &sqlx::PgPool, url: &str, fake: &FastOpenAi) {
    let once = |what: &str| {
        let (r0, t0) = (fake.requests(), fake.tokens());
        let (seconds, _) = run_workers(&Args { workers: 1, edits: false, ..a.clone() }, url);
        println!("{what}: {} requests, {} tokens, {seconds:.2} s", fake.requests() - r0, fake.tokens() - t0);
    };
    sqlx::query("update docs set title = title || ' (revised)' where id <= 1000").execute(pool).await.unwrap();
    once("UPDATE of title (not embedded), 1,000 rows");
    // rows of about twenty 800-character chunks: paragraphs of ~790 characters
    let mut rng = Rng(0xed17);
    let paragraphs: Vec<String> = (0..20).map(|_| prose(&mut rng, 760).trim_end().replace("\n\n", " ")).collect();
    sqlx::query("update docs set body = $1 where id <= 100").bind(paragraphs.join("\n\n")).execute(pool).await.unwrap();
    let (r0, t0) = (fake.requests(), fake.tokens());
    run_workers(&Args { workers: 1, edits: false, ..a.clone() }, url);
    let chunks: i64 =
        sqlx::query_scalar("select count(*) from docs_embedding_store where id = 1").fetch_one(pool).await.unwrap();
    println!(
        "100 rows rewritten to {chunks} chunks each: {} requests, {} tokens",
        fake.requests() - r0,
        fake.tokens() - t0
    );
    let mut edited = paragraphs.clone();
    edited[10] = prose(&mut rng, 760).trim_end().replace("\n\n", " ");
    sqlx::query("update docs set body = $1 where id <= 100").bind(edited.join("\n\n")).execute(pool).await.unwrap();
    let inputs0 = fake.inputs();
    once("one paragraph of each of those 100 rows edited");
    println!("  chunks re-embedded: {:.1} per row", (fake.inputs() - inputs0) as f64 / 100.0);
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
