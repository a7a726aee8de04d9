//! Local embedding models (providers::local), both engines (ONNX Runtime in both precisions),
//! against the vectors sentence-transformers computes (tests/local/reference.json, made by make_reference.py).
//! Needs the default model and ONNX Runtime installed by `just ext setup` (into <repo>/.models);
//! the tests fail, never skip, without them.

use providers::local::{self, Embedder, EngineKind, Options, Precision};
use providers::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

const MODEL: &str = local::DEFAULT_MODEL;

struct Reference {
    texts: Vec<String>,
    tokens: Vec<usize>,
    vectors: Vec<Vec<f32>>,
}

fn reference() -> &'static Reference {
    static R: OnceLock<Reference> = OnceLock::new();
    R.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/local/reference.json");
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let texts: Vec<String> = serde_json::from_value(v["texts"].clone()).unwrap();
        let tokens: Vec<usize> = serde_json::from_value(v["tokens"].clone()).unwrap();
        let vectors: Vec<Vec<f32>> = serde_json::from_value(v["vectors"].clone()).unwrap();
        assert_eq!(texts.len(), 50);
        assert!(vectors.iter().all(|v| v.len() == 384));
        Reference { texts, tokens, vectors }
    })
}

fn model_dir() -> PathBuf {
    let dir = Options::default().resolved_models_dir().join(MODEL);
    assert!(
        ["onnx/model.onnx", "model.safetensors"].iter().all(|f| dir.join(f).is_file()),
        "{} is not installed: run `just ext setup` (projects/providers/scripts/install-models.sh)",
        dir.display()
    );
    dir
}

/// `engine` in float32.
fn opts(engine: EngineKind) -> Options {
    opts_with(engine, Precision::Fp32)
}

fn opts_with(engine: EngineKind, precision: Precision) -> Options {
    model_dir();
    Options { engine: Some(engine), precision: Some(precision), ..Options::default() }
}

fn embedder(engine: EngineKind) -> Arc<Embedder> {
    embedder_with(engine, Precision::Fp32)
}

fn embedder_with(engine: EngineKind, precision: Precision) -> Arc<Embedder> {
    let e = Embedder::cached(MODEL, &opts_with(engine, precision)).unwrap();
    assert_eq!((e.engine(), e.precision()), (engine, precision));
    e
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

fn parity(engine: EngineKind, precision: Precision) {
    let r = reference();
    let e = embedder_with(engine, precision);
    assert_eq!(e.dimensions(), 384);
    assert_eq!(e.max_seq_length(), 256);
    let got = e.embed(&r.texts).unwrap();
    let mut worst = (f64::MAX, 0);
    for (i, (g, want)) in got.iter().zip(&r.vectors).enumerate() {
        assert_eq!(e.count_tokens(&r.texts[i]).unwrap(), r.tokens[i], "token count of text {i} {:?}", r.texts[i]);
        let c = cosine(g, want);
        if c < worst.0 {
            worst = (c, i);
        }
        let norm: f32 = g.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "vectors are normalised (text {i}: {norm})");
    }
    eprintln!(
        "{engine} {precision}: lowest cosine vs sentence-transformers: 1 - {:.1e} (text {})",
        1.0 - worst.0,
        worst.1
    );
    assert!(worst.0 >= 0.9999, "{engine} {precision}: text {} {:?}: cosine {}", worst.1, r.texts[worst.1], worst.0);
    if precision == Precision::Fp32 {
        // float32 engines compute what sentence-transformers computes, to rounding
        assert!(worst.0 >= 1.0 - 1e-9, "{engine}: {}", worst.0);
    }
}

#[test]
fn parity_onnx() {
    parity(EngineKind::Onnx, Precision::Fp32);
}

/// bfloat16 products: AVX512-BF16 where the CPU has it, the portable kernel elsewhere.
#[test]
fn parity_onnx_bf16() {
    parity(EngineKind::Onnx, Precision::Bf16);
}

#[test]
fn parity_candle() {
    parity(EngineKind::Candle, Precision::Fp32);
}

#[test]
fn automatic_choice_is_onnx_and_cache_shares() {
    model_dir();
    let a = Embedder::cached(MODEL, &Options::default()).unwrap();
    assert_eq!(a.engine(), EngineKind::Onnx, "the model has a graph and the runtime loads");
    let fast = local::bf16::faster_than_fp32() && std::env::var_os("PGAI_LOCAL_PRECISION").is_none();
    assert_eq!(a.precision() == Precision::Bf16, fast, "bf16 by default exactly where it is faster than fp32");
    let b = Embedder::cached(MODEL, &Options::default()).unwrap();
    assert!(Arc::ptr_eq(&a, &b), "a process loads a model once");
    // by absolute path and by Hugging Face id: the same directory
    let c = Embedder::cached(model_dir().to_str().unwrap(), &Options::default()).unwrap();
    assert!(Arc::ptr_eq(&a, &c));
    let d = Embedder::cached(&format!("sentence-transformers/{MODEL}"), &Options::default()).unwrap();
    assert!(Arc::ptr_eq(&a, &d));
}

/// 1,000 different short texts of varied length (4 to ~30 tokens).
fn many_texts() -> Vec<String> {
    let words = reference().texts[5..10].join(" ");
    let words: Vec<&str> = words.split_whitespace().collect();
    (0..1000)
        .map(|i| {
            let n = 1 + (i * 7919) % 20;
            let start = (i * 31) % words.len();
            let t: Vec<&str> = (0..n).map(|j| words[(start + j) % words.len()]).collect();
            format!("{i}: {}", t.join(" "))
        })
        .collect()
}

fn batching(engine: EngineKind, precision: Precision) {
    let e = embedder_with(engine, precision);
    let texts = many_texts();
    let one_batch = e.embed_batched(&texts, 1000).unwrap();
    let singles = e.embed_batched(&texts, 1).unwrap();
    let sevens = e.embed_batched(&texts, 7).unwrap();
    assert_eq!(one_batch.len(), 1000);
    let mut worst = f64::MAX;
    for i in 0..texts.len() {
        worst = worst.min(cosine(&one_batch[i], &singles[i])).min(cosine(&sevens[i], &singles[i]));
    }
    eprintln!("{engine} {precision}: lowest cosine between batch sizes 1, 7 and 1000: 1 - {:.1e}", 1.0 - worst);
    assert!(worst > 0.99999, "{engine}: {worst}");
    // the caller's order: every text differs, and batch size 1 embeds each alone, so agreeing
    // with it row by row means no batch size reordered anything; different texts differ
    assert!(cosine(&one_batch[0], &one_batch[1]) < 0.999);
    assert!(e.embed(&Vec::<String>::new()).unwrap().is_empty());
}

#[test]
fn batching_onnx() {
    batching(EngineKind::Onnx, Precision::Fp32);
}

#[test]
fn batching_onnx_bf16() {
    batching(EngineKind::Onnx, Precision::Bf16);
}

#[test]
fn batching_candle() {
    batching(EngineKind::Candle, Precision::Fp32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_and_concurrent_use() {
    let e = embedder(EngineKind::Onnx);
    let r = reference();
    let tasks: Vec<_> = (0..4).map(|i| e.clone().embed_async(vec![r.texts[i + 5].clone()])).collect();
    for (i, t) in tasks.into_iter().enumerate() {
        let v = t.await.unwrap();
        assert!(cosine(&v[0], &r.vectors[i + 5]) >= 0.9999);
    }
}

/// A copy of the model directory (links to the large files) to break in one place.
fn model_copy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let src = model_dir();
    for rel in [
        "config.json",
        "modules.json",
        "sentence_bert_config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "1_Pooling/config.json",
        "model.safetensors",
        "onnx/model.onnx",
    ] {
        let dest = tmp.path().join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(src.join(rel), dest).unwrap();
    }
    tmp
}

fn replace(dir: &Path, rel: &str, content: &[u8]) {
    let p = dir.join(rel);
    let _ = std::fs::remove_file(&p);
    std::fs::write(p, content).unwrap();
}

#[track_caller]
fn load_err(model: &str, opts: &Options, expected: &[&str]) {
    let e = Embedder::load(model, opts).expect_err("load should fail");
    assert_eq!(e.kind(), ErrorKind::Config);
    let msg = e.to_string();
    for part in expected {
        assert!(msg.contains(part), "{msg:?} should mention {part:?}");
    }
}

#[test]
fn missing_and_unknown_models() {
    let models = model_dir().parent().unwrap().to_path_buf();
    let o = Options::default();
    load_err("no-such-model", &o, &["unknown model \"no-such-model\"", models.to_str().unwrap(), MODEL]);
    load_err("/nonexistent/model", &o, &["model directory /nonexistent/model does not exist"]);
    load_err("../etc", &o, &["invalid model name"]);
    load_err("", &o, &["empty"]);
    let elsewhere = Options { models_dir: Some("/nonexistent-models".into()), ..Options::default() };
    load_err(MODEL, &elsewhere, &["the models directory /nonexistent-models does not exist"]);
    assert!(EngineKind::parse_choice("tensorflow").unwrap_err().to_string().contains("unknown engine"));
    assert_eq!(EngineKind::parse_choice("AUTO").unwrap(), None);
    assert_eq!(EngineKind::parse_choice("candle").unwrap(), Some(EngineKind::Candle));

    // a directory without a file the engine needs
    let tmp = model_copy();
    let dir = tmp.path().to_str().unwrap();
    std::fs::remove_file(tmp.path().join("onnx/model.onnx")).unwrap();
    load_err(dir, &opts(EngineKind::Onnx), &[dir, "no ONNX graph"]);
    assert_eq!(Embedder::load(dir, &Options::default()).unwrap().engine(), EngineKind::Candle);
    std::fs::remove_file(tmp.path().join("model.safetensors")).unwrap();
    load_err(dir, &Options::default(), &[dir, "no weights"]);
    let tmp = model_copy();
    let dir = tmp.path().to_str().unwrap();
    std::fs::remove_file(tmp.path().join("tokenizer.json")).unwrap();
    load_err(dir, &Options::default(), &[dir, "tokenizer.json"]);
    let tmp = model_copy();
    let dir = tmp.path().to_str().unwrap();
    std::fs::remove_file(tmp.path().join("1_Pooling/config.json")).unwrap();
    load_err(dir, &Options::default(), &[dir, "1_Pooling/config.json"]);
}

#[test]
fn corrupt_files() {
    let cases: [(&str, &[u8], EngineKind, &str); 6] = [
        (
            "model.safetensors",
            b"\x10\x00\x00\x00\x00\x00\x00\x00{not json",
            EngineKind::Candle,
            "not a valid safetensors file",
        ),
        ("model.safetensors", b"", EngineKind::Candle, "not a valid safetensors file"),
        ("onnx/model.onnx", b"garbage, not protobuf", EngineKind::Onnx, "cannot load the ONNX graph"),
        ("tokenizer.json", b"{\"version\": ", EngineKind::Onnx, "not a valid tokenizer.json"),
        ("modules.json", b"[{\"type\": 3}]", EngineKind::Onnx, "modules.json is not a valid model file"),
        (
            "1_Pooling/config.json",
            b"{\"pooling_mode_mean_tokens\": false}",
            EngineKind::Candle,
            "enables no pooling mode",
        ),
    ];
    for (file, content, engine, expected) in cases {
        let tmp = model_copy();
        replace(tmp.path(), file, content);
        let dir = tmp.path().to_str().unwrap().to_string();
        load_err(&dir, &opts(engine), &[expected]);
    }
    // a config.json that does not match the weights
    let tmp = model_copy();
    let cfg = std::fs::read_to_string(model_dir().join("config.json"))
        .unwrap()
        .replace("\"hidden_size\": 384", "\"hidden_size\": 768");
    replace(tmp.path(), "config.json", cfg.as_bytes());
    load_err(tmp.path().to_str().unwrap(), &opts(EngineKind::Candle), &["hidden_size 768"]);
    // an unsupported module
    let tmp = model_copy();
    replace(tmp.path(), "modules.json", br#"[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},{"idx":1,"name":"1","path":"2_Dense","type":"sentence_transformers.models.Dense"}]"#);
    load_err(tmp.path().to_str().unwrap(), &Options::default(), &["Dense", "not supported"]);
}

#[test]
fn precision_choices_and_errors() {
    assert!(Precision::parse_choice("fp16").unwrap_err().to_string().contains("unknown precision \"fp16\""));
    assert_eq!(Precision::parse_choice(" AUTO ").unwrap(), None);
    assert_eq!(Precision::parse_choice("BF16").unwrap(), Some(Precision::Bf16));
    assert_eq!(Precision::parse_choice("fp32").unwrap(), Some(Precision::Fp32));
    load_err(MODEL, &opts_with(EngineKind::Candle, Precision::Bf16), &["bf16 precision needs the ONNX engine"]);

    // the model's graph: each of its 6 layers has 6 linear layers, all rewritten for bf16
    let graph = std::fs::read(model_dir().join("onnx/model.onnx")).unwrap();
    assert_eq!(local::onnx_rewrite::linear_layers_to_bf16(&graph).unwrap().layers, 36);

    // a graph the rewrite cannot read: asked for bf16, an error naming it; automatic, ONNX
    // Runtime's own error, naming it too
    let tmp = model_copy();
    let dir = tmp.path().to_str().unwrap();
    replace(tmp.path(), "onnx/model.onnx", b"not a graph");
    load_err(
        dir,
        &opts_with(EngineKind::Onnx, Precision::Bf16),
        &["cannot read the ONNX graph", "onnx/model.onnx", "fp32"],
    );
    let auto = Options { precision: None, ..opts(EngineKind::Onnx) };
    load_err(dir, &auto, &["onnx/model.onnx"]);
}

#[test]
fn failed_load_leaves_the_cache_usable() {
    let tmp = model_copy();
    let dir = tmp.path().to_str().unwrap().to_string();
    let o = opts(EngineKind::Candle);
    replace(tmp.path(), "model.safetensors", b"broken");
    assert!(Embedder::cached(&dir, &o).is_err());
    // fixed on disk: the next call loads it (the failure was not cached)
    std::fs::remove_file(tmp.path().join("model.safetensors")).unwrap();
    std::os::unix::fs::symlink(model_dir().join("model.safetensors"), tmp.path().join("model.safetensors")).unwrap();
    let e = Embedder::cached(&dir, &o).unwrap();
    assert_eq!(e.dimensions(), 384);
    assert!(Embedder::cached(&dir, &o).is_ok());
}

#[test]
fn wrong_dimensions() {
    let e = embedder(EngineKind::Onnx);
    assert!(e.check_dimensions(384).is_ok());
    let err = e.check_dimensions(768).unwrap_err().to_string();
    assert!(err.contains("returns 384 dimensions, but 768 were asked for"), "{err}");
}

#[test]
fn settings() {
    let o = Options { threads: Some(0), ..Options::default() };
    assert!(o.resolved_threads().unwrap_err().to_string().contains("between 1 and 1024"));
    let o = Options { threads: Some(1), engine: Some(EngineKind::Candle), ..Options::default() };
    let e = Embedder::load(MODEL, &o).unwrap();
    assert_eq!(e.threads(), 1);
    let r = reference();
    assert!(cosine(&e.embed_one(&r.texts[1]).unwrap(), &r.vectors[1]) >= 0.9999);
    assert!(Options::default().resolved_onnxruntime_library().ends_with(local::ONNXRUNTIME_LIBRARY));
}
