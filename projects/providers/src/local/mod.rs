//! Local embedding models: sentence-transformers models run in this process, with no network
//! and no Python, giving the vectors sentence-transformers gives.
//!
//! One pipeline ([`pipeline`]: tokenize with the model's `tokenizer.json`, truncate at
//! `max_seq_length`, sort by token length, batch, pad to the longest input of the batch, pool as
//! `1_Pooling/config.json` says, normalise when `modules.json` has a Normalize module, return in
//! the caller's order) and two engines that turn a padded batch into token embeddings:
//! - [`EngineKind::Onnx`]: ONNX Runtime through `ort`, the library loaded at run time (from
//!   [`Options::onnxruntime_library`], else `ORT_DYLIB_PATH`, else the one `just ext setup`
//!   installs into `<models dir>/onnxruntime/`); used when the model directory has
//!   `model.onnx` or `onnx/model.onnx`;
//! - [`EngineKind::Candle`]: BERT models from `model.safetensors`, pure Rust.
//!
//! Without a choice ([`Options::engine`] `None`) ONNX serves a model that has a graph when the
//! runtime loads, candle otherwise. The ONNX engine computes its linear layers in float32 or,
//! with [`Precision::Bf16`], with bfloat16 products (2x or more on CPUs with AMX, or AMD's
//! AVX512-BF16; vectors within 1e-4 cosine; [`bf16`]); by default in bfloat16 where that is
//! faster ([`bf16::faster_than_fp32`]) and the graph has linear layers ([`onnx_rewrite`] finds
//! them when it loads).
//! A model is a directory, named by path or by name in the models directory ([`Options::models_dir`], else `PGAI_MODELS_DIR`, else `<repo>/.models`).
//! [`Embedder::cached`] loads a model once per process; a failed load caches nothing.
//!
//! ```no_run
//! use providers::local::{Embedder, Options};
//! let embedder = Embedder::cached("all-MiniLM-L6-v2", &Options::default())?;
//! let vectors = embedder.embed(&["hello world".to_string()])?;
//! assert_eq!(vectors[0].len(), embedder.dimensions());
//! # Ok::<(), providers::Error>(())
//! ```

pub mod bf16;
mod candle;
pub mod config;
mod onnx;
mod onnx_linear;
pub mod onnx_rewrite;
pub mod pipeline;

use crate::error::{Error, Result};
use config::ModelConfig;
use pipeline::TextEncoder;
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

/// The error of this module: provider "local", kind [`crate::ErrorKind::Config`].
pub(crate) fn local_err(message: impl Into<String>) -> Error {
    Error::config("local", message)
}

/// The ONNX Runtime library file `just ext setup` installs (from the PyPI wheel onnxruntime==1.32.0).
pub const ONNXRUNTIME_LIBRARY: &str = "libonnxruntime.so.1.32.0";

/// The model the SQL functions and configs default to.
pub const DEFAULT_MODEL: &str = "all-MiniLM-L6-v2";

/// Which engine runs the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EngineKind {
    Onnx,
    Candle,
}

/// Parses a setting that may also be `auto` (or empty): `None`, the automatic choice.
fn parse_choice<T: FromStr<Err = Error>>(s: &str) -> Result<Option<T>> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" | "auto" => Ok(None),
        other => other.parse().map(Some),
    }
}

impl EngineKind {
    /// Parses `onnx`, `candle`, or `auto` (`None`: the automatic choice); case-insensitive.
    pub fn parse_choice(s: &str) -> Result<Option<EngineKind>> {
        parse_choice(s)
    }
}

impl FromStr for EngineKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "onnx" => Ok(EngineKind::Onnx),
            "candle" => Ok(EngineKind::Candle),
            _ => Err(local_err(format!("unknown engine {s:?}: expected onnx, candle or auto"))),
        }
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EngineKind::Onnx => "onnx",
            EngineKind::Candle => "candle",
        })
    }
}

/// The arithmetic of the ONNX engine's linear layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Precision {
    /// float32 throughout: sentence-transformers' vectors to 1e-12.
    Fp32,
    /// bfloat16 products, float32 sums in the linear layers; everything else float32.
    Bf16,
}

impl Precision {
    /// Parses `fp32`, `bf16`, or `auto` (`None`: the automatic choice); case-insensitive.
    pub fn parse_choice(s: &str) -> Result<Option<Precision>> {
        parse_choice(s)
    }
}

impl FromStr for Precision {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fp32" | "float32" => Ok(Precision::Fp32),
            "bf16" | "bfloat16" => Ok(Precision::Bf16),
            _ => Err(local_err(format!("unknown precision {s:?}: expected fp32, bf16 or auto"))),
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Precision::Fp32 => "fp32",
            Precision::Bf16 => "bf16",
        })
    }
}

/// How to find and run a model. Every `None` falls back to an environment variable, then to a
/// default: see each field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Options {
    /// `None`: `PGAI_LOCAL_ENGINE` (onnx, candle or auto), else automatic.
    pub engine: Option<EngineKind>,
    /// `None`: `PGAI_LOCAL_PRECISION` (fp32, bf16 or auto), else automatic: bf16 where it is
    /// faster ([`bf16::faster_than_fp32`]) and the model's graph has linear layers ([`onnx_rewrite`]).
    pub precision: Option<Precision>,
    /// Threads for one model's work. `None`: `PGAI_LOCAL_THREADS`, else the cores available.
    pub threads: Option<usize>,
    /// Where models are found by name. `None`: `PGAI_MODELS_DIR`, else `<repo>/.models`.
    pub models_dir: Option<PathBuf>,
    /// The ONNX Runtime shared library. `None`: `ORT_DYLIB_PATH`, else
    /// `<models dir>/onnxruntime/libonnxruntime.so.1.32.0` when it exists, else
    /// `libonnxruntime.so` from the system's library path.
    pub onnxruntime_library: Option<PathBuf>,
    /// Most inputs per forward pass (32, as sentence-transformers).
    pub batch_size: usize,
    /// Most tokens per forward pass, padding included (one longer input still runs alone): small
    /// batches of long inputs keep the activations in the CPU's caches. Default 1,024.
    pub max_batch_tokens: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            engine: None,
            precision: None,
            threads: None,
            models_dir: None,
            onnxruntime_library: None,
            batch_size: 32,
            max_batch_tokens: 1024,
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `<repo>/.models`: where `just ext setup` installs models (the repository this crate was built from).
pub fn repo_models_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .and_then(Path::parent)
        .map(|root| root.join(".models"))
        .unwrap_or_else(|| manifest.join(".models"))
}

impl Options {
    /// The models directory these options resolve to.
    pub fn resolved_models_dir(&self) -> PathBuf {
        self.models_dir.clone().or_else(|| env("PGAI_MODELS_DIR").map(PathBuf::from)).unwrap_or_else(repo_models_dir)
    }

    /// The ONNX Runtime library these options resolve to.
    pub fn resolved_onnxruntime_library(&self) -> PathBuf {
        if let Some(p) = self.onnxruntime_library.clone().or_else(|| env("ORT_DYLIB_PATH").map(PathBuf::from)) {
            return p;
        }
        let installed = self.resolved_models_dir().join("onnxruntime").join(ONNXRUNTIME_LIBRARY);
        if installed.is_file() {
            installed
        } else {
            PathBuf::from("libonnxruntime.so")
        }
    }

    /// The engine choice these options resolve to (`None`: automatic).
    pub fn resolved_engine(&self) -> Result<Option<EngineKind>> {
        match self.engine {
            Some(e) => Ok(Some(e)),
            None => env("PGAI_LOCAL_ENGINE").map_or(Ok(None), |v| EngineKind::parse_choice(&v)),
        }
    }

    /// The precision choice these options resolve to (`None`: automatic).
    pub fn resolved_precision(&self) -> Result<Option<Precision>> {
        match self.precision {
            Some(p) => Ok(Some(p)),
            None => env("PGAI_LOCAL_PRECISION").map_or(Ok(None), |v| Precision::parse_choice(&v)),
        }
    }

    /// The thread count these options resolve to.
    pub fn resolved_threads(&self) -> Result<usize> {
        let n = match self.threads {
            Some(n) => n,
            None => match env("PGAI_LOCAL_THREADS") {
                Some(v) => {
                    v.trim().parse().map_err(|_| local_err(format!("PGAI_LOCAL_THREADS={v:?} is not a number")))?
                }
                None => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            },
        };
        if n == 0 || n > 1024 {
            return Err(local_err(format!("threads must be between 1 and 1024 (got {n})")));
        }
        Ok(n)
    }
}

/// The directory of `model`: an absolute path as given, else a name (`all-MiniLM-L6-v2`, or a
/// Hugging Face id `sentence-transformers/all-MiniLM-L6-v2`) looked up in `models_dir` as
/// `models_dir/<model>`, then `models_dir/<last part of model>`. Names may not contain `..`.
pub fn resolve_model(model: &str, models_dir: &Path) -> Result<PathBuf> {
    let model = model.trim();
    if model.is_empty() {
        return Err(local_err("the model name is empty"));
    }
    let path = Path::new(model);
    if path.is_absolute() {
        if !path.is_dir() {
            return Err(local_err(format!("model directory {} does not exist", path.display())));
        }
        return Ok(path.to_path_buf());
    }
    if path.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(local_err(format!(
            "invalid model name {model:?}: give a name in the models directory or an absolute path"
        )));
    }
    let mut candidates = vec![models_dir.join(path)];
    if let Some(last) = path.file_name().filter(|_| path.components().count() > 1) {
        candidates.push(models_dir.join(last));
    }
    if let Some(found) = candidates.iter().find(|c| c.is_dir()) {
        return Ok(found.clone());
    }
    if !models_dir.is_dir() {
        return Err(local_err(format!(
            "unknown model {model:?}: the models directory {} does not exist (set ai.models_dir or \
             PGAI_MODELS_DIR; `just ext setup` installs all-MiniLM-L6-v2 into <repo>/.models)",
            models_dir.display()
        )));
    }
    let mut have: Vec<String> = std::fs::read_dir(models_dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().join("tokenizer.json").is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    have.sort();
    Err(local_err(format!(
        "unknown model {model:?}: no directory {} (models there: {})",
        candidates[0].display(),
        if have.is_empty() { "none".to_string() } else { have.join(", ") }
    )))
}

/// Blocks every signal on this thread until dropped (then restores the previous mask). Threads
/// started meanwhile inherit the full mask, so PostgreSQL's signal handlers keep running on the
/// backend's own thread.
pub(crate) struct SignalsBlocked(libc::sigset_t);

impl SignalsBlocked {
    pub(crate) fn new() -> Self {
        // SAFETY: sigfillset initialises `all`; pthread_sigmask writes the old mask into `old`
        // and only changes this thread's mask.
        unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut old);
            SignalsBlocked(old)
        }
    }
}

impl Drop for SignalsBlocked {
    fn drop(&mut self) {
        // SAFETY: restores the mask `new` saved (guards live in one scope on one thread).
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &self.0, std::ptr::null_mut());
        }
    }
}

enum Engine {
    Onnx(onnx::OnnxEngine),
    Candle(candle::CandleEngine),
}

/// The ONNX graph `graph` with its linear layers as bfloat16 operators ([`onnx_rewrite`]), or
/// `None` when it has none or cannot be read here (ONNX Runtime then loads it as it is, in
/// float32, and reports what is wrong with it). With `required`, those are errors instead.
fn bf16_graph(graph: &Path, required: bool) -> Result<Option<Vec<u8>>> {
    let rewritten =
        std::fs::read(graph).map_err(|e| e.to_string()).and_then(|bytes| onnx_rewrite::linear_layers_to_bf16(&bytes));
    let fix = "or set the precision to fp32";
    match rewritten {
        Ok(r) if r.layers > 0 => {
            tracing::debug!(graph = %graph.display(), layers = r.layers, "linear layers in bf16");
            Ok(Some(r.model))
        }
        Ok(_) if required => Err(local_err(format!(
            "the ONNX graph {} has no linear layers the bf16 precision can run (MatMul by a constant \
             float32 [K, N] weight, then Add of a constant [N] bias); {fix}",
            graph.display()
        ))),
        Err(e) if required => Err(local_err(format!("cannot read the ONNX graph {}: {e}; {fix}", graph.display()))),
        Ok(_) => Ok(None),
        Err(e) => {
            tracing::debug!(graph = %graph.display(), error = %e, "bf16 rewrite skipped");
            Ok(None)
        }
    }
}

/// A loaded model, ready to embed. `Send + Sync`: share it (`Arc`) between threads.
pub struct Embedder {
    config: ModelConfig,
    encoder: TextEncoder,
    engine: Engine,
    precision: Precision,
    dimensions: usize,
    batch_size: usize,
    max_batch_tokens: usize,
    threads: usize,
}

impl fmt::Debug for Embedder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Embedder")
            .field("dir", &self.config.dir)
            .field("engine", &self.engine())
            .field("precision", &self.precision)
            .field("dimensions", &self.dimensions)
            .field("threads", &self.threads)
            .finish()
    }
}

type CacheKey = (PathBuf, Option<EngineKind>, Option<Precision>, usize, PathBuf, usize, usize);
static CACHE: Mutex<Vec<(CacheKey, Arc<Embedder>)>> = Mutex::new(Vec::new());

impl Embedder {
    /// Loads `model` (a name in the models directory or an absolute path) with `opts`.
    pub fn load(model: &str, opts: &Options) -> Result<Embedder> {
        let dir = resolve_model(model, &opts.resolved_models_dir())?;
        Embedder::load_dir(&dir, opts)
    }

    /// [`Embedder::load`] once per process: later calls with the same model and options share
    /// the loaded one. A failed load is not remembered (the next call tries again).
    pub fn cached(model: &str, opts: &Options) -> Result<Arc<Embedder>> {
        let dir = resolve_model(model, &opts.resolved_models_dir())?;
        let dir = dir.canonicalize().unwrap_or(dir);
        let key = (
            dir.clone(),
            opts.resolved_engine()?,
            opts.resolved_precision()?,
            opts.resolved_threads()?,
            opts.resolved_onnxruntime_library(),
            opts.batch_size,
            opts.max_batch_tokens,
        );
        // held while loading: two threads asking for one model load it once
        let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, e)) = cache.iter().find(|(k, _)| *k == key) {
            return Ok(e.clone());
        }
        let started = std::time::Instant::now();
        let embedder = Arc::new(Embedder::load_dir(&dir, opts)?);
        tracing::info!(
            model = %dir.display(),
            engine = %embedder.engine(),
            precision = %embedder.precision(),
            bf16_kernel = ?(embedder.precision() == Precision::Bf16).then(bf16::default_kernel),
            threads = key.3,
            seconds = started.elapsed().as_secs_f64(),
            "loaded the local model {} ({} engine, {}, {} threads)",
            dir.display(),
            embedder.engine(),
            embedder.precision(),
            key.3
        );
        cache.push((key, embedder.clone()));
        Ok(embedder)
    }

    /// Loads the model in directory `dir`.
    pub fn load_dir(dir: &Path, opts: &Options) -> Result<Embedder> {
        // every thread the engines start while loading (ONNX Runtime's pool, rayon's, candle's
        // element-wise pool at the first forward pass) inherits a mask that blocks all signals
        let _signals = SignalsBlocked::new();
        let config = ModelConfig::load(dir)?;
        let encoder = TextEncoder::load(&config)?;
        let threads = opts.resolved_threads()?;
        let library = opts.resolved_onnxruntime_library();
        let precision = opts.resolved_precision()?;
        let onnx = |graph: &Path| -> Result<(Engine, Precision)> {
            let bf16 = match precision {
                Some(p) => p == Precision::Bf16,
                None => bf16::faster_than_fp32(),
            };
            if bf16 {
                if let Some(model) = bf16_graph(graph, precision == Some(Precision::Bf16))? {
                    let engine = onnx::OnnxEngine::load(graph, Some(&model), &library, threads)?;
                    return Ok((Engine::Onnx(engine), Precision::Bf16));
                }
            }
            Ok((Engine::Onnx(onnx::OnnxEngine::load(graph, None, &library, threads)?), Precision::Fp32))
        };
        let candle = |config: &ModelConfig| -> Result<(Engine, Precision)> {
            if precision == Some(Precision::Bf16) {
                return Err(local_err("the bf16 precision needs the ONNX engine; the candle engine computes in fp32"));
            }
            let weights = config.safetensors.as_ref().ok_or_else(|| {
                local_err(format!(
                    "model directory {} has no model.safetensors (the candle engine needs it)",
                    dir.display()
                ))
            })?;
            let engine = candle::CandleEngine::load(dir, weights, config.transformer.as_ref(), threads)?;
            Ok((Engine::Candle(engine), Precision::Fp32))
        };
        let (engine, precision) = match opts.resolved_engine()? {
            Some(EngineKind::Candle) => candle(&config)?,
            Some(EngineKind::Onnx) => {
                let graph = config.onnx.as_ref().ok_or_else(|| {
                    local_err(format!(
                        "model directory {} has no ONNX graph (model.onnx or onnx/model.onnx)",
                        dir.display()
                    ))
                })?;
                onnx(graph)?
            }
            None => match (&config.onnx, &config.safetensors) {
                (Some(graph), safetensors) => match onnx::runtime_loads(&library) {
                    Ok(()) => onnx(graph)?,
                    Err(e) if safetensors.is_some() => {
                        tracing::warn!(error = %e, "ONNX Runtime is not available; using the candle engine");
                        candle(&config)?
                    }
                    Err(e) => return Err(e),
                },
                (None, _) => candle(&config)?,
            },
        };
        let mut embedder = Embedder {
            config,
            encoder,
            engine,
            precision,
            dimensions: 0,
            batch_size: opts.batch_size.max(1),
            max_batch_tokens: opts.max_batch_tokens,
            threads,
        };
        // one tiny forward pass: a broken graph or weights fail here, not on the first real call
        let probe = embedder.embed(&[""])?;
        embedder.dimensions = probe[0].len();
        let hidden = match &embedder.engine {
            Engine::Onnx(e) => e.hidden_size().or(embedder.config.hidden_size()),
            Engine::Candle(e) => Some(e.hidden_size()),
        };
        if let (Some(want), Some(hidden)) = (embedder.config.word_embedding_dimension, hidden) {
            if want != hidden {
                return Err(local_err(format!(
                    "model directory {}: the pooling config says word_embedding_dimension {want}, the model gives {hidden}",
                    dir.display()
                )));
            }
        }
        Ok(embedder)
    }

    /// One vector per text, in the order of `texts`.
    pub fn embed<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Vec<f32>>> {
        self.embed_with(texts, self.batch_size, self.max_batch_tokens)
    }

    /// [`Embedder::embed`] with exactly `batch_size` inputs per forward pass (the last fewer),
    /// whatever their length.
    pub fn embed_batched<S: AsRef<str>>(&self, texts: &[S], batch_size: usize) -> Result<Vec<Vec<f32>>> {
        self.embed_with(texts, batch_size, usize::MAX)
    }

    fn embed_with<S: AsRef<str>>(&self, texts: &[S], batch_size: usize, max_tokens: usize) -> Result<Vec<Vec<f32>>> {
        let encoded = texts.iter().map(|t| self.encoder.encode(t.as_ref())).collect::<Result<Vec<_>>>()?;
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        for (rows, batch) in self.encoder.batches(&encoded, batch_size, max_tokens) {
            let (tokens, hidden) = match &self.engine {
                Engine::Onnx(e) => e.run(&batch)?,
                Engine::Candle(e) => (e.run(&batch)?, e.hidden_size()),
            };
            let pooled = pipeline::pool(&tokens, &batch, hidden, &self.config.pooling, self.config.normalize);
            for (i, v) in rows.into_iter().zip(pooled) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    /// The vector of one text.
    pub fn embed_one(&self, text: &str) -> Result<Vec<f32>> {
        Ok(self.embed(&[text])?.remove(0))
    }

    /// [`Embedder::embed`] on tokio's blocking pool, for async callers (the worker): the work
    /// is CPU-bound and must not run on the runtime's own threads.
    pub async fn embed_async(self: Arc<Self>, texts: Vec<String>) -> Result<Vec<Vec<f32>>> {
        tokio::task::spawn_blocking(move || self.embed(&texts))
            .await
            .map_err(|e| local_err(format!("embedding task failed: {e}")))?
    }

    /// Errors unless the model's vectors have `expected` dimensions (a config's `dimensions`).
    pub fn check_dimensions(&self, expected: usize) -> Result<()> {
        if expected != self.dimensions {
            return Err(local_err(format!(
                "model {} returns {} dimensions, but {expected} were asked for (set dimensions => {} in the embedding config)",
                self.config.dir.display(),
                self.dimensions,
                self.dimensions
            )));
        }
        Ok(())
    }

    /// Length of the vectors.
    pub fn dimensions(&self) -> usize {
        self.dimensions
    }

    /// The engine that runs the model.
    pub fn engine(&self) -> EngineKind {
        match self.engine {
            Engine::Onnx(_) => EngineKind::Onnx,
            Engine::Candle(_) => EngineKind::Candle,
        }
    }

    /// The arithmetic of the engine's linear layers.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The model's directory.
    pub fn model_dir(&self) -> &Path {
        &self.config.dir
    }

    /// What the model directory says (pooling, normalisation, max_seq_length...).
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// Tokens per input (special tokens included); longer inputs are truncated.
    pub fn max_seq_length(&self) -> usize {
        self.config.max_seq_length
    }

    /// The number of tokens `text` becomes (special tokens included, after truncation).
    pub fn count_tokens(&self, text: &str) -> Result<usize> {
        Ok(self.encoder.encode(text)?.ids.len())
    }

    /// Threads this embedder's engine uses.
    pub fn threads(&self) -> usize {
        self.threads
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bf16_graph_errors_only_when_required() {
        let tmp = tempfile::tempdir().unwrap();
        // protobuf: ModelProto { graph (7) { node (1) { input "x", output "y", op_type "Relu" } } }
        let node = [b"\x0a\x01x\x12\x01y\x22\x04Relu".as_slice()].concat();
        let graph = [&[0x0a, node.len() as u8][..], &node].concat();
        let model = [&[0x3a, graph.len() as u8][..], &graph].concat();
        let plain = tmp.path().join("plain.onnx");
        std::fs::write(&plain, model).unwrap();
        let broken = tmp.path().join("broken.onnx");
        std::fs::write(&broken, b"not a graph").unwrap();
        let missing = tmp.path().join("missing.onnx");
        for (graph, why) in [(&plain, "has no linear layers"), (&broken, "cannot read"), (&missing, "cannot read")] {
            assert!(bf16_graph(graph, false).unwrap().is_none());
            let e = bf16_graph(graph, true).unwrap_err().to_string();
            for part in [why, graph.to_str().unwrap(), "set the precision to fp32"] {
                assert!(e.contains(part), "{e:?} lacks {part:?}");
            }
        }
    }
}
