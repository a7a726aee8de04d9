//! Local embedding throughput: texts/s and peak RSS for 2,000 texts of ~800 characters with
//! all-MiniLM-L6-v2, for the ONNX Runtime and candle engines and, when a Python with
//! sentence-transformers is given, sentence-transformers itself (PyTorch CPU, its defaults), all
//! with the same thread count, each in its own process (so each peak RSS is its own).
//!
//!     PGAI_BENCH_ST_PYTHON=/tmp/st-venv/bin/python cargo bench -p providers --bench embed
//!
//! Environment: PGAI_BENCH_ST_PYTHON (a python with sentence-transformers; without it that row
//! is skipped), PGAI_BENCH_THREADS (default: the cores available), PGAI_BENCH_TEXTS (2000),
//! PGAI_BENCH_ROUNDS (1: rounds run the engines interleaved, the best round is kept),
//! PGAI_BENCH_ENGINES (st,onnx,onnx-bf16,candle; onnx is float32, onnx-bf16 the bf16 precision), PGAI_BENCH_BATCH and PGAI_BENCH_BATCH_TOKENS (our
//! engines' batch limits; default: the library's, 32 inputs and 1,024 tokens), PGAI_BENCH_QUIET
//! (a load average: before each run, wait until the machine's is below it; for shared machines),
//! PGAI_BENCH_TEXTS_FILE (a JSON array of your own texts instead of the generated ones). The model comes from the models directory as for the
//! tests (`just ext setup` installs it). Vectors of the first 100 texts are compared with
//! sentence-transformers' (lowest cosine).

use providers::local::{Embedder, EngineKind, Options, Precision, DEFAULT_MODEL};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const COMPARE: usize = 100;

/// `n` English-like texts of about 800 characters, the same every run.
fn texts(n: usize) -> Vec<String> {
    const WORDS: &[&str] = &[
        "the",
        "database",
        "stores",
        "vectors",
        "for",
        "each",
        "document",
        "and",
        "a",
        "query",
        "finds",
        "nearest",
        "neighbours",
        "quickly",
        "while",
        "workers",
        "embed",
        "new",
        "rows",
        "in",
        "batches",
        "of",
        "text",
        "that",
        "users",
        "write",
        "about",
        "products",
        "reviews",
        "support",
        "tickets",
        "with",
        "many",
        "different",
        "topics",
        "including",
        "shipping",
        "delays",
        "refunds",
        "quality",
        "prices",
        "features",
        "performance",
        "memory",
        "latency",
        "throughput",
        "index",
        "search",
        "results",
        "ranking",
        "relevance",
        "semantic",
        "meaning",
        "similar",
        "sentences",
        "paragraphs",
        "chapters",
        "books",
        "articles",
        "news",
        "science",
        "history",
        "music",
        "travel",
        "weather",
        "cooking",
        "recipes",
        "gardening",
        "software",
        "engineering",
        "PostgreSQL",
        "extension",
        "model",
        "tokens",
        "is",
        "was",
        "will",
        "be",
        "are",
        "not",
        "very",
        "often",
        "sometimes",
        "because",
        "however",
        "therefore",
        "2024",
        "42",
        "customers",
        "said",
        "it",
        "works",
        "well",
    ];
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    (0..n)
        .map(|_| {
            let mut s = String::with_capacity(850);
            let mut sentence = 0;
            while s.len() < 800 {
                let w = WORDS[(next() % WORDS.len() as u64) as usize];
                if sentence == 0 {
                    let mut c = w.chars();
                    s.extend(c.next().map(|f| f.to_ascii_uppercase()));
                    s.push_str(c.as_str());
                } else {
                    s.push_str(w);
                }
                sentence += 1;
                if sentence > 8 && next() % 6 == 0 {
                    s.push_str(if next() % 4 == 0 { ", " } else { ". " });
                    sentence = if s.ends_with(". ") { 0 } else { sentence };
                } else {
                    s.push(' ');
                }
            }
            s.trim_end().to_string()
        })
        .collect()
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// The engine and precision of a PGAI_BENCH_ENGINES name.
fn variant(name: &str) -> (EngineKind, Precision) {
    match name {
        "onnx" => (EngineKind::Onnx, Precision::Fp32),
        "onnx-bf16" => (EngineKind::Onnx, Precision::Bf16),
        "candle" => (EngineKind::Candle, Precision::Fp32),
        other => panic!("unknown engine {other} in PGAI_BENCH_ENGINES"),
    }
}

/// In a child process: embed the texts of `file` with engine `name`, print one JSON line.
fn child(name: &str, file: &Path, threads: usize, vectors_out: &Path) {
    let texts: Vec<String> = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    let t = Instant::now();
    let (engine, precision) = variant(name);
    let mut opts =
        Options { engine: Some(engine), precision: Some(precision), threads: Some(threads), ..Options::default() };
    let env_usize = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<usize>().ok());
    opts.batch_size = env_usize("PGAI_BENCH_BATCH").unwrap_or(opts.batch_size);
    opts.max_batch_tokens = env_usize("PGAI_BENCH_BATCH_TOKENS").unwrap_or(opts.max_batch_tokens);
    let e = Embedder::load(DEFAULT_MODEL, &opts).unwrap_or_else(|e| panic!("{e}"));
    let load_s = t.elapsed().as_secs_f64();
    e.embed(&texts[..32]).unwrap(); // warm-up, as for sentence-transformers
    let t = Instant::now();
    let v = e.embed(&texts).unwrap();
    let secs = t.elapsed().as_secs_f64();
    std::fs::write(vectors_out, serde_json::to_vec(&v[..COMPARE.min(v.len())]).unwrap()).unwrap();
    let tokens: usize = texts.iter().map(|t| e.count_tokens(t).unwrap()).sum();
    println!(
        "{}",
        serde_json::json!({"texts_per_s": texts.len() as f64 / secs, "seconds": secs, "peak_rss_mb": peak_rss_mb(),
                           "load_s": load_s, "mean_tokens": tokens as f64 / texts.len() as f64})
    );
}

struct Row {
    name: &'static str,
    texts_per_s: f64,
    peak_rss_mb: f64,
    min_cos: Option<f64>,
    load: (f64, f64),
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let n = |v: &[f32]| v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (n(a) * n(b))
}

fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|l| l.parse().ok()))
        .unwrap_or(f64::NAN)
}

/// With PGAI_BENCH_QUIET=<load>: waits (at most 15 minutes) until the 1-minute load average is
/// below it, so a shared machine's other work does not skew a run.
fn wait_for_quiet() {
    let Some(limit) = std::env::var("PGAI_BENCH_QUIET").ok().and_then(|v| v.parse::<f64>().ok()) else { return };
    let start = Instant::now();
    while load_average() >= limit && start.elapsed().as_secs() < 900 {
        std::thread::sleep(std::time::Duration::from_secs(5));
    }
}

fn run(cmd: &mut Command) -> serde_json::Value {
    wait_for_quiet();
    let load_before = load_average();
    let out = cmd.output().expect("cannot start the benchmark process");
    if !out.status.success() {
        panic!("{:?} failed:\n{}", cmd, String::from_utf8_lossy(&out.stderr));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().rev().find(|l| l.starts_with('{')).expect("no result line");
    let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
    v["load_before"] = load_before.into();
    v["load_after"] = load_average().into();
    v
}

fn main() {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let (Some(engine), Some(file), Some(out)) =
        (env("PGAI_BENCH_CHILD"), env("PGAI_BENCH_FILE"), env("PGAI_BENCH_VECTORS"))
    {
        let threads = env("PGAI_BENCH_THREADS").unwrap().parse().unwrap();
        child(&engine, Path::new(&file), threads, Path::new(&out));
        return;
    }
    let threads: usize = env("PGAI_BENCH_THREADS")
        .map(|t| t.parse().unwrap())
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let n: usize = env("PGAI_BENCH_TEXTS").map(|t| t.parse().unwrap()).unwrap_or(2000);
    let rounds: usize = env("PGAI_BENCH_ROUNDS").map(|t| t.parse().unwrap()).unwrap_or(1);
    let engines = env("PGAI_BENCH_ENGINES").unwrap_or_else(|| "st,onnx,onnx-bf16,candle".into());
    let python = env("PGAI_BENCH_ST_PYTHON");
    let model_dir = Options::default().resolved_models_dir().join(DEFAULT_MODEL);
    assert!(model_dir.is_dir(), "{} is missing: run `just ext setup`", model_dir.display());

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("texts.json");
    let texts = match env("PGAI_BENCH_TEXTS_FILE") {
        // your own texts (a JSON array of strings), repeated to make n
        Some(f) => {
            let own: Vec<String> = serde_json::from_slice(&std::fs::read(&f).expect("PGAI_BENCH_TEXTS_FILE")).unwrap();
            own.iter().cycle().take(n).cloned().collect()
        }
        None => texts(n),
    };
    std::fs::write(&file, serde_json::to_vec(&texts).unwrap()).unwrap();
    let chars = texts.iter().map(|t| t.chars().count()).sum::<usize>() as f64 / n as f64;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/embed_st.py");
    let exe = std::env::current_exe().unwrap();

    let d = Options::default();
    println!(
        "{n} texts of {chars:.0} characters on average, {threads} threads, {rounds} round(s); our engines: batches of at most \
         {} inputs and {} tokens; sentence-transformers: batch 32",
        env("PGAI_BENCH_BATCH").unwrap_or(d.batch_size.to_string()),
        env("PGAI_BENCH_BATCH_TOKENS").unwrap_or(d.max_batch_tokens.to_string()),
    );
    let mut best: Vec<(String, serde_json::Value, PathBuf)> = Vec::new();
    for round in 0..rounds {
        for name in engines.split(',').map(str::trim) {
            let vectors = dir.path().join(format!("{name}.json"));
            let result = match name {
                "st" => match &python {
                    Some(py) => run(Command::new(py)
                        .arg(&script)
                        .arg(&model_dir)
                        .arg(&file)
                        .arg(threads.to_string())
                        .arg(&vectors)),
                    None => {
                        if round == 0 {
                            println!(
                                "sentence-transformers: skipped (set PGAI_BENCH_ST_PYTHON to a python that has it)"
                            );
                        }
                        continue;
                    }
                },
                "onnx" | "onnx-bf16" | "candle" => run(Command::new(&exe)
                    .env("PGAI_BENCH_CHILD", name)
                    .env("PGAI_BENCH_FILE", &file)
                    .env("PGAI_BENCH_VECTORS", &vectors)
                    .env("PGAI_BENCH_THREADS", threads.to_string())),
                other => panic!("unknown engine {other} in PGAI_BENCH_ENGINES"),
            };
            eprintln!("round {}: {name}: {result}", round + 1);
            match best.iter_mut().find(|(n, _, _)| n == name) {
                Some(b) if b.1["texts_per_s"].as_f64() >= result["texts_per_s"].as_f64() => {}
                Some(b) => b.1 = result,
                None => best.push((name.to_string(), result, vectors)),
            }
        }
    }

    let load = |p: &Path| -> Option<Vec<Vec<f32>>> { serde_json::from_slice(&std::fs::read(p).ok()?).ok() };
    let reference = best.iter().find(|(n, _, _)| n == "st").and_then(|(_, _, p)| load(p));
    let rows: Vec<Row> = best
        .iter()
        .map(|(name, r, path)| Row {
            name: match name.as_str() {
                "st" => "sentence-transformers (PyTorch CPU)",
                "onnx" => "ONNX Runtime engine, fp32",
                "onnx-bf16" => "ONNX Runtime engine, bf16",
                _ => "candle engine",
            },
            texts_per_s: r["texts_per_s"].as_f64().unwrap(),
            peak_rss_mb: r["peak_rss_mb"].as_f64().unwrap(),
            load: (r["load_before"].as_f64().unwrap_or(f64::NAN), r["load_after"].as_f64().unwrap_or(f64::NAN)),
            min_cos: reference
                .as_ref()
                .zip(load(path))
                .map(|(want, got)| want.iter().zip(&got).map(|(a, b)| cosine(a, b)).fold(f64::MAX, f64::min)),
        })
        .collect();
    let st = rows.iter().find(|r| r.name.starts_with("sentence")).map(|r| r.texts_per_s);
    if let Some(t) = best.iter().find_map(|(_, r, _)| r["mean_tokens"].as_f64()) {
        println!("mean tokens per text: {t:.0}");
    }
    println!(
        "\n| engine | texts/s | vs sentence-transformers | peak RSS | lowest cosine vs sentence-transformers \
         ({COMPARE} texts) | load average before / after |"
    );
    println!("|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {:.1} | {} | {:.0} MB | {} | {:.2} / {:.2} |",
            r.name,
            r.texts_per_s,
            st.map_or("-".into(), |s| format!("{:.2}x", r.texts_per_s / s)),
            r.peak_rss_mb,
            r.min_cos.map_or("-".into(), |c| if c >= 1.0 { "1".into() } else { format!("1 - {:.0e}", 1.0 - c) }),
            r.load.0,
            r.load.1
        );
    }
}
