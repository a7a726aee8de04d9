//! The ONNX Runtime engine, through the `ort` crate with the runtime loaded at run time
//! (`load-dynamic`): nothing is downloaded at build time, and a process without the library
//! still runs (the candle engine serves it).
//!
//! A process loads one ONNX Runtime library, once: the first successful load wins, a failed one
//! can be retried (with another path). The graph must take `input_ids` and `attention_mask`
//! (and `token_type_ids`, when it has that input) as int64 [batch, sequence] and give token
//! embeddings [batch, sequence, hidden] as its `last_hidden_state` (or `token_embeddings`, or
//! first) output: what Hugging Face's `onnx/model.onnx` files and our converter produce.

use super::pipeline::Batch;
use super::{local_err, SignalsBlocked};
use crate::error::Result;
use ort::environment::Environment;
use ort::session::builder::GraphOptimizationLevel;
use ort::session::{Session, SessionInputValue};
use ort::value::Tensor;
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The loaded runtime: its path and the process's ONNX Runtime environment.
static RUNTIME: Mutex<Option<(PathBuf, Environment)>> = Mutex::new(None);

/// Loads ONNX Runtime from `library` unless one is loaded already; returns the environment.
fn environment(library: &Path) -> Result<Environment> {
    let mut rt = RUNTIME.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((loaded, env)) = rt.as_ref() {
        if loaded != library {
            tracing::debug!(loaded = %loaded.display(), requested = %library.display(), "ONNX Runtime already loaded");
        }
        return Ok(env.clone());
    }
    if library.is_absolute() && !library.is_file() {
        return Err(local_err(format!(
            "the ONNX Runtime library {} does not exist (set ai.onnxruntime_library or ORT_DYLIB_PATH; \
             `just ext setup` installs it into .models/onnxruntime/)",
            library.display()
        )));
    }
    let _signals = SignalsBlocked::new();
    let builder = ort::init_from(library)
        .map_err(|e| local_err(format!("cannot load the ONNX Runtime library {}: {e}", library.display())))?;
    let env = builder
        .with_name("pgai")
        .build()
        .map_err(|e| local_err(format!("cannot start ONNX Runtime ({}): {e}", library.display())))?;
    *rt = Some((library.to_path_buf(), env.clone()));
    Ok(env)
}

/// Whether ONNX Runtime is loaded in this process, or loads from `library` now.
pub fn runtime_loads(library: &Path) -> Result<()> {
    environment(library).map(|_| ())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Input {
    Ids,
    Mask,
    TypeIds,
}

pub struct OnnxEngine {
    session: Mutex<Session>,
    inputs: Vec<(String, Input)>,
    output: String,
    hidden: Option<usize>,
}

impl OnnxEngine {
    /// Loads the graph `graph`, or the model bytes `model` when given (a rewrite of `graph`,
    /// which errors still name).
    pub fn load(graph: &Path, model: Option<&[u8]>, library: &Path, threads: usize) -> Result<OnnxEngine> {
        let env = environment(library)?;
        let bad = |e: ort::Error| local_err(format!("cannot load the ONNX graph {}: {e}", graph.display()));
        // the intra-op threads start here and inherit our signal mask: keep PostgreSQL's
        // signal handlers on the backend's own thread
        let _signals = SignalsBlocked::new();
        let mut builder = Session::builder(&env)
            .map_err(bad)?
            .with_optimization_level(GraphOptimizationLevel::All)
            .map_err(|e| bad(e.into()))?
            .with_intra_threads(threads)
            .map_err(|e| bad(e.into()))?
            .with_inter_threads(1)
            .map_err(|e| bad(e.into()))?
            // graphs for the bf16 precision use our operators; others do not mind them
            .with_operators(super::onnx_linear::domain(threads).map_err(bad)?)
            .map_err(|e| bad(e.into()))?;
        let session = match model {
            Some(bytes) => builder.commit_from_memory(bytes),
            None => builder.commit_from_file(graph),
        }
        .map_err(bad)?;
        let mut inputs = Vec::new();
        for i in session.inputs() {
            let kind = match i.name() {
                "input_ids" => Input::Ids,
                "attention_mask" => Input::Mask,
                "token_type_ids" => Input::TypeIds,
                other => {
                    return Err(local_err(format!(
                    "the ONNX graph {} has an input {other:?}; supported: input_ids, attention_mask, token_type_ids",
                    graph.display()
                )))
                }
            };
            inputs.push((i.name().to_string(), kind));
        }
        if !inputs.iter().any(|(_, k)| *k == Input::Ids) {
            return Err(local_err(format!("the ONNX graph {} has no input_ids input", graph.display())));
        }
        let outputs = session.outputs();
        let output = ["last_hidden_state", "token_embeddings"]
            .into_iter()
            .find(|n| outputs.iter().any(|o| o.name() == *n))
            .map(str::to_string)
            .or_else(|| outputs.first().map(|o| o.name().to_string()))
            .ok_or_else(|| local_err(format!("the ONNX graph {} has no outputs", graph.display())))?;
        let hidden = outputs
            .iter()
            .find(|o| o.name() == output)
            .and_then(|o| o.dtype().tensor_shape())
            .and_then(|s| s.last().copied())
            .filter(|&d| d > 0)
            .map(|d| d as usize);
        Ok(OnnxEngine { session: Mutex::new(session), inputs, output, hidden })
    }

    /// The hidden size the graph declares, when it declares one.
    pub fn hidden_size(&self) -> Option<usize> {
        self.hidden
    }

    /// Token embeddings of `batch`: [rows, seq, hidden] row-major, and hidden.
    pub fn run(&self, batch: &Batch) -> Result<(Vec<f32>, usize)> {
        let shape = vec![batch.rows as i64, batch.seq as i64];
        let err = |e: ort::Error| local_err(format!("ONNX Runtime failed: {e}"));
        let mut values: Vec<(Cow<'_, str>, SessionInputValue<'_>)> = Vec::with_capacity(self.inputs.len());
        for (name, kind) in &self.inputs {
            let data = match kind {
                Input::Ids => &batch.ids,
                Input::Mask => &batch.mask,
                Input::TypeIds => &batch.type_ids,
            };
            let t = Tensor::from_array((shape.clone(), data.clone())).map_err(err)?;
            values.push((Cow::Borrowed(name.as_str()), t.into()));
        }
        let mut session = self.session.lock().unwrap_or_else(|e| e.into_inner());
        let outputs = session.run(values).map_err(err)?;
        let value = outputs
            .get(&self.output)
            .ok_or_else(|| local_err(format!("the ONNX graph gave no {} output", self.output)))?;
        let (shape, data) = value.try_extract_tensor::<f32>().map_err(err)?;
        let dims: Vec<i64> = shape.iter().copied().collect();
        match dims[..] {
            [r, s, h] if r as usize == batch.rows && s as usize == batch.seq && h > 0 => {
                Ok((data.to_vec(), h as usize))
            }
            _ => Err(local_err(format!(
                "the ONNX graph's {} output has shape {dims:?}; expected [{}, {}, hidden]",
                self.output, batch.rows, batch.seq
            ))),
        }
    }
}
