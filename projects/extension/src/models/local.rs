//! ai_extra.sentence_transformers_embed: sentence-transformers models run inside the backend
//! (providers::local), no network, no key. A backend loads a model once and keeps it; a failed
//! load raises an error and leaves the backend as it was.
//!
//! Settings (defined when the library loads):
//! - `ai.models_dir` (superuser): where models are found by name; else the server's
//!   `PGAI_MODELS_DIR`, else the `.models` folder of the repository the extension was built from;
//! - `ai.onnxruntime_library` (superuser): the ONNX Runtime shared library; else the server's
//!   `ORT_DYLIB_PATH`, else `<models dir>/onnxruntime/libonnxruntime.so.1.32.0`;
//! - `ai.local_engine`: `auto` (default), `onnx` or `candle`;
//! - `ai.local_precision`: `auto` (default: bf16 where it is faster, with AMX or AMD's
//!   AVX512-BF16, and the model's graph has linear layers), `fp32` or `bf16`, the arithmetic of the ONNX engine's linear layers;
//! - `ai.local_threads`: threads per model, 0 (default) for the cores available.
//!
//! The two path settings are superuser-only because they choose files the server loads and runs
//! (a shared library, model graphs). For the same reason only superusers may name a model by
//! absolute path; others name models inside the models directory.

use crate::call::required;
use crate::vector::Vector;
use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use pgrx::prelude::*;
use providers::local::{Embedder, EngineKind, Options, Precision};
use std::ffi::CString;
use std::path::PathBuf;
use std::sync::Arc;

static MODELS_DIR: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
static ONNXRUNTIME_LIBRARY: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
static ENGINE: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(Some(c"auto"));
static PRECISION: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(Some(c"auto"));
static THREADS: GucSetting<i32> = GucSetting::<i32>::new(0);

/// Defines the settings; called from _PG_init.
pub fn define_settings() {
    GucRegistry::define_string_guc(
        c"ai.models_dir",
        c"Directory of local embedding models (sentence-transformers directories), found by name.",
        c"Unset: the server's PGAI_MODELS_DIR, else the .models folder of the source tree the extension was built from.",
        &MODELS_DIR,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"ai.onnxruntime_library",
        c"Path of the ONNX Runtime shared library (libonnxruntime.so) for local embedding models.",
        c"Unset: the server's ORT_DYLIB_PATH, else <models dir>/onnxruntime/libonnxruntime.so.1.32.0. A backend loads it once.",
        &ONNXRUNTIME_LIBRARY,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"ai.local_engine",
        c"Engine for local embedding models: auto, onnx or candle.",
        c"auto: ONNX Runtime when the model has an ONNX graph and the runtime loads, else candle.",
        &ENGINE,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"ai.local_precision",
        c"Arithmetic of the ONNX engine's linear layers for local embedding models: auto, fp32 or bf16.",
        c"bf16: bfloat16 products and float32 sums, about twice as fast on CPUs with AMX (Intel Xeon since Sapphire Rapids) or AVX512-BF16 (AMD Zen 4 and later), vectors within 1e-4 cosine of fp32's. auto: bf16 where it is faster and the model's ONNX graph has linear layers (MatMul + Add).",
        &PRECISION,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"ai.local_threads",
        c"Threads a local embedding model uses in a backend; 0: the cores available.",
        c"",
        &THREADS,
        0,
        1024,
        GucContext::Userset,
        GucFlags::default(),
    );
}

/// The local-model settings as the environment the in-database worker's children read.
pub fn worker_env() -> Vec<(String, String)> {
    let mut env = Vec::new();
    let mut add = |name: &str, value: Option<String>| {
        if let Some(v) = value {
            env.push((name.to_string(), v));
        }
    };
    add("PGAI_MODELS_DIR", string_setting(&MODELS_DIR));
    add("ORT_DYLIB_PATH", string_setting(&ONNXRUNTIME_LIBRARY));
    add("PGAI_LOCAL_ENGINE", string_setting(&ENGINE).filter(|e| e != "auto"));
    add("PGAI_LOCAL_PRECISION", string_setting(&PRECISION).filter(|p| p != "auto"));
    add("PGAI_LOCAL_THREADS", (THREADS.get() > 0).then(|| THREADS.get().to_string()));
    env
}

fn string_setting(s: &GucSetting<Option<CString>>) -> Option<String> {
    s.get().map(|c| c.to_string_lossy().trim().to_string()).filter(|v| !v.is_empty())
}

/// The loaded model, from the arguments and settings.
fn embedder(model: &str, engine: Option<&str>) -> Arc<Embedder> {
    // SAFETY: superuser() reads the current user's catalog entry; it is callable in any transaction.
    if PathBuf::from(model.trim()).is_absolute() && !unsafe { pg_sys::superuser() } {
        error!(
            "only superusers may load a model by path ({model}); name a model in the models directory (ai.models_dir) instead"
        );
    }
    let engine = engine.map(str::to_string).or_else(|| string_setting(&ENGINE));
    let engine = choice(engine, EngineKind::parse_choice, "");
    let precision = choice(string_setting(&PRECISION), Precision::parse_choice, "invalid ai.local_precision: ");
    let threads = THREADS.get();
    let opts = Options {
        engine,
        precision,
        threads: (threads > 0).then_some(threads as usize),
        models_dir: string_setting(&MODELS_DIR).map(PathBuf::from),
        onnxruntime_library: string_setting(&ONNXRUNTIME_LIBRARY).map(PathBuf::from),
        ..Options::default()
    };
    Embedder::cached(model, &opts).unwrap_or_else(|e| error!("{e}"))
}

/// `value` parsed with `parse` (unset or `auto`: `None`); an error raises `context` + the message.
fn choice<T>(value: Option<String>, parse: fn(&str) -> providers::Result<Option<T>>, context: &str) -> Option<T> {
    value.and_then(|v| parse(&v).unwrap_or_else(|e| error!("{context}{e}")))
}

fn check_dimensions(e: &Embedder, dimensions: Option<i32>) {
    if let Some(d) = dimensions {
        if let Err(err) = e.check_dimensions(d.max(0) as usize) {
            error!("{err}");
        }
    }
}

/// Embeds `input_text` with the local sentence-transformers model `model` (a name in
/// `ai.models_dir`); `engine` overrides `ai.local_engine`; `dimensions`, when given, must be the
/// model's (an error otherwise). A null text gives null.
#[pg_extern(immutable, parallel_safe, create_or_replace, schema = "ai_extra")]
fn sentence_transformers_embed(
    model: default!(Option<&str>, "'all-MiniLM-L6-v2'"),
    input_text: default!(Option<&str>, "NULL"),
    engine: default!(Option<&str>, "NULL"),
    dimensions: default!(Option<i32>, "NULL"),
) -> Option<Vector> {
    let model = required(model, "model");
    let e = embedder(model, engine);
    check_dimensions(&e, dimensions);
    let text = input_text?;
    Some(Vector(e.embed_one(text).unwrap_or_else(|err| error!("{err}"))))
}

/// The array form: one row per input text, `index` counting from 0 in input order. Long arrays
/// run in slices of 256 texts and can be cancelled between slices.
#[pg_extern(immutable, parallel_safe, create_or_replace, schema = "ai_extra", name = "sentence_transformers_embed")]
fn sentence_transformers_embed_array(
    model: Option<&str>,
    input_texts: Vec<Option<String>>,
    engine: default!(Option<&str>, "NULL"),
    dimensions: default!(Option<i32>, "NULL"),
) -> TableIterator<'static, (name!(index, i32), name!(embedding, Vector))> {
    let model = required(model, "model");
    if let Some(i) = input_texts.iter().position(Option::is_none) {
        error!("input_texts[{}] is null", i + 1);
    }
    let texts: Vec<String> = input_texts.into_iter().flatten().collect();
    let e = embedder(model, engine);
    check_dimensions(&e, dimensions);
    let mut vectors = Vec::with_capacity(texts.len());
    for slice in texts.chunks(256) {
        check_for_interrupts!();
        vectors.extend(e.embed(slice).unwrap_or_else(|err| error!("{err}")));
    }
    TableIterator::new(vectors.into_iter().enumerate().map(|(i, v)| (i as i32, Vector(v))))
}
