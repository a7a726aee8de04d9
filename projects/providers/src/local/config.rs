//! A sentence-transformers model directory: which files it has and what its configs say.
//!
//! Read here: `modules.json` (the module pipeline: Transformer, Pooling, Normalize),
//! `<pooling path>/config.json` (the pooling modes), `sentence_bert_config.json`
//! (`max_seq_length`, `do_lower_case`), `config.json` (the transformer's shape), and which
//! weights exist (`model.onnx` or `onnx/model.onnx`, `model.safetensors`). A directory without
//! `modules.json` is a plain Hugging Face model: mean pooling, no normalisation, as
//! sentence-transformers treats it.

use super::local_err;
use crate::error::Result;
use serde::Deserialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// How token embeddings become one vector (sentence-transformers' `Pooling`); several modes
/// are concatenated in this order, as sentence-transformers does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolingMode {
    Cls,
    Max,
    Mean,
    MeanSqrtLen,
    WeightedMean,
    LastToken,
}

/// What the model directory says.
#[derive(Debug, Clone)]
pub struct ModelConfig {
    pub dir: PathBuf,
    pub tokenizer: PathBuf,
    pub onnx: Option<PathBuf>,
    pub safetensors: Option<PathBuf>,
    /// Tokens per input, special tokens included; longer inputs are truncated.
    pub max_seq_length: usize,
    pub do_lower_case: bool,
    pub pooling: Vec<PoolingMode>,
    /// Whether modules.json has a Normalize module: vectors are scaled to unit length.
    pub normalize: bool,
    /// `config.json` as read, when present (the candle engine needs it).
    pub transformer: Option<Value>,
    /// `word_embedding_dimension` of the pooling config, when given.
    pub word_embedding_dimension: Option<usize>,
}

#[derive(Deserialize)]
struct Module {
    #[serde(default)]
    path: String,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize, Default)]
struct PoolingConfig {
    word_embedding_dimension: Option<usize>,
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
    #[serde(default)]
    pooling_mode_mean_sqrt_len_tokens: bool,
    #[serde(default)]
    pooling_mode_weightedmean_tokens: bool,
    #[serde(default)]
    pooling_mode_lasttoken: bool,
    /// Newer configs: "mean", "cls", "max", ... instead of the booleans.
    pooling_mode: Option<String>,
}

#[derive(Deserialize, Default)]
struct SbertConfig {
    max_seq_length: Option<usize>,
    #[serde(default)]
    do_lower_case: bool,
}

/// Reads `path` as JSON; `None` when it does not exist; an error naming the file when it is
/// unreadable or not the expected JSON.
fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(local_err(format!("cannot read {}: {e}", path.display()))),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| local_err(format!("{} is not a valid model file: {e}", path.display())))
}

fn existing(path: PathBuf) -> Option<PathBuf> {
    path.is_file().then_some(path)
}

impl ModelConfig {
    /// Reads the model directory `dir`. Errors name the directory and the missing or bad file.
    pub fn load(dir: &Path) -> Result<ModelConfig> {
        if !dir.is_dir() {
            return Err(local_err(format!("model directory {} does not exist", dir.display())));
        }
        let tokenizer = existing(dir.join("tokenizer.json")).ok_or_else(|| {
            local_err(format!(
                "model directory {} has no tokenizer.json (a Hugging Face fast tokenizer)",
                dir.display()
            ))
        })?;
        let onnx = existing(dir.join("model.onnx")).or_else(|| existing(dir.join("onnx/model.onnx")));
        let safetensors = existing(dir.join("model.safetensors"));
        if onnx.is_none() && safetensors.is_none() {
            return Err(local_err(format!(
                "model directory {} has no weights: neither model.onnx, onnx/model.onnx nor model.safetensors",
                dir.display()
            )));
        }
        let transformer: Option<Value> = read_json(&dir.join("config.json"))?;

        let modules: Option<Vec<Module>> = read_json(&dir.join("modules.json"))?;
        let (pooling_cfg, normalize) = match modules {
            None => (PoolingConfig { pooling_mode_mean_tokens: true, ..Default::default() }, false),
            Some(modules) => {
                let mut pooling = None;
                let mut normalize = false;
                for (i, m) in modules.iter().enumerate() {
                    let kind = m.kind.rsplit('.').next().unwrap_or(&m.kind);
                    match kind {
                        "Transformer" if i == 0 => {}
                        "Pooling" => {
                            let path = dir.join(&m.path).join("config.json");
                            pooling = Some(read_json::<PoolingConfig>(&path)?.ok_or_else(|| {
                                local_err(format!(
                                    "model directory {} lists a Pooling module but has no {}",
                                    dir.display(),
                                    Path::new(&m.path).join("config.json").display()
                                ))
                            })?);
                        }
                        "Normalize" => normalize = true,
                        _ => {
                            return Err(local_err(format!(
                                "model directory {}: module {} ({}) in modules.json is not supported \
                                 (supported: Transformer, Pooling, Normalize)",
                                dir.display(),
                                i,
                                m.kind
                            )))
                        }
                    }
                }
                let pooling = pooling.unwrap_or(PoolingConfig { pooling_mode_mean_tokens: true, ..Default::default() });
                (pooling, normalize)
            }
        };
        let pooling = pooling_modes(&pooling_cfg).map_err(|m| local_err(format!("{}: {m}", dir.display())))?;

        let sbert: SbertConfig = read_json(&dir.join("sentence_bert_config.json"))?.unwrap_or_default();
        let max_seq_length = match sbert.max_seq_length {
            Some(n) => n,
            None => {
                // sentence-transformers: the tokenizer's model_max_length, capped by the model's positions
                let tok_cfg: Option<Value> = read_json(&dir.join("tokenizer_config.json"))?;
                let from_tokenizer = tok_cfg.as_ref().and_then(|c| c.get("model_max_length")?.as_u64());
                let from_model = transformer.as_ref().and_then(|c| c.get("max_position_embeddings")?.as_u64());
                [from_tokenizer, from_model].into_iter().flatten().min().unwrap_or(512) as usize
            }
        };
        if max_seq_length < 2 {
            return Err(local_err(format!("{}: max_seq_length {max_seq_length} is too small", dir.display())));
        }
        Ok(ModelConfig {
            dir: dir.to_path_buf(),
            tokenizer,
            onnx,
            safetensors,
            max_seq_length,
            do_lower_case: sbert.do_lower_case,
            pooling,
            normalize,
            transformer,
            word_embedding_dimension: pooling_cfg.word_embedding_dimension,
        })
    }

    /// The transformer's hidden size from config.json, when known.
    pub fn hidden_size(&self) -> Option<usize> {
        self.transformer.as_ref()?.get("hidden_size")?.as_u64().map(|n| n as usize)
    }
}

fn pooling_modes(c: &PoolingConfig) -> std::result::Result<Vec<PoolingMode>, String> {
    if let Some(mode) = &c.pooling_mode {
        let m = match mode.as_str() {
            "cls" => PoolingMode::Cls,
            "max" => PoolingMode::Max,
            "mean" => PoolingMode::Mean,
            "mean_sqrt_len_tokens" => PoolingMode::MeanSqrtLen,
            "weightedmean" => PoolingMode::WeightedMean,
            "lasttoken" => PoolingMode::LastToken,
            other => return Err(format!("pooling_mode {other:?} is not supported")),
        };
        return Ok(vec![m]);
    }
    let modes: Vec<PoolingMode> = [
        (c.pooling_mode_cls_token, PoolingMode::Cls),
        (c.pooling_mode_max_tokens, PoolingMode::Max),
        (c.pooling_mode_mean_tokens, PoolingMode::Mean),
        (c.pooling_mode_mean_sqrt_len_tokens, PoolingMode::MeanSqrtLen),
        (c.pooling_mode_weightedmean_tokens, PoolingMode::WeightedMean),
        (c.pooling_mode_lasttoken, PoolingMode::LastToken),
    ]
    .into_iter()
    .filter_map(|(on, m)| on.then_some(m))
    .collect();
    if modes.is_empty() {
        return Err("the pooling config enables no pooling mode".into());
    }
    Ok(modes)
}
