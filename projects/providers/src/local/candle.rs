//! The candle engine: BERT-family encoders (`model_type` "bert") from `model.safetensors`, in
//! pure Rust. The forward pass is transformers' eager BertModel written against candle-core and
//! candle-nn's fused CPU kernels (layer norm, softmax), rather than candle-transformers' BERT,
//! for speed: the query, key and value projections are one matrix product over all tokens of the
//! batch (weights transposed once at load), and every linear layer multiplies a 2-D
//! [tokens, hidden] matrix (one large product instead of one per input).
//!
//! Work runs on a rayon pool of the configured size, created with signals blocked so its
//! threads never run PostgreSQL's signal handlers. Loading the engine raises glibc's mmap and
//! trim thresholds for the process ([`tune_malloc`]) and sizes candle's own element-wise thread
//! pool ([`size_elementwise_pool`]).

use super::pipeline::Batch;
use super::{local_err, SignalsBlocked};
use crate::error::Result;
use candle_core::{DType, Device, Tensor};
use candle_nn::ops::{layer_norm, softmax_last_dim};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

#[derive(Clone, Copy)]
enum Activation {
    GeluErf,
    GeluTanh,
    Relu,
}

struct Norm {
    weight: Tensor,
    bias: Tensor,
}

struct Linear {
    /// [in, out], contiguous: x @ w
    wt: Tensor,
    bias: Tensor,
}

struct Layer {
    qkv: Linear,
    attn_out: Linear,
    attn_norm: Norm,
    intermediate: Linear,
    output: Linear,
    out_norm: Norm,
}

pub struct CandleEngine {
    word: Tensor,
    position: Tensor,
    token_type: Option<Tensor>,
    emb_norm: Norm,
    layers: Vec<Layer>,
    heads: usize,
    hidden: usize,
    eps: f32,
    act: Activation,
    pool: rayon::ThreadPool,
}

fn cerr(e: candle_core::Error) -> crate::error::Error {
    local_err(format!("candle: {e}"))
}

struct Weights<'a> {
    map: HashMap<String, Tensor>,
    prefix: &'static str,
    file: &'a Path,
}

impl Weights<'_> {
    fn get(&self, name: &str) -> Result<Tensor> {
        let full = format!("{}{name}", self.prefix);
        let t = self
            .map
            .get(&full)
            .or_else(|| {
                // checkpoints from before transformers 3 call LayerNorm's parameters gamma and beta
                let old =
                    full.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta");
                self.map.get(&old)
            })
            .ok_or_else(|| local_err(format!("{} has no tensor {full}", self.file.display())))?;
        t.to_dtype(DType::F32).map_err(cerr)
    }

    fn linear(&self, prefix: &str) -> Result<Linear> {
        let wt = self.get(&format!("{prefix}.weight"))?.t().and_then(|t| t.contiguous()).map_err(cerr)?;
        Ok(Linear { wt, bias: self.get(&format!("{prefix}.bias"))? })
    }

    fn norm(&self, prefix: &str) -> Result<Norm> {
        Ok(Norm { weight: self.get(&format!("{prefix}.weight"))?, bias: self.get(&format!("{prefix}.bias"))? })
    }
}

fn cfg_usize(cfg: &Value, key: &str, dir: &Path) -> Result<usize> {
    cfg.get(key)
        .and_then(Value::as_u64)
        .map(|n| n as usize)
        .ok_or_else(|| local_err(format!("{}/config.json has no {key}", dir.display())))
}

impl CandleEngine {
    pub fn load(dir: &Path, weights: &Path, cfg: Option<&Value>, threads: usize) -> Result<CandleEngine> {
        let cfg = cfg.ok_or_else(|| {
            local_err(format!("model directory {} has no config.json (the candle engine needs it)", dir.display()))
        })?;
        let model_type = cfg.get("model_type").and_then(Value::as_str).unwrap_or("bert");
        if model_type != "bert" {
            return Err(local_err(format!(
                "the candle engine runs BERT models only; {} is {model_type:?} (give it an ONNX graph and use the onnx engine)",
                dir.display()
            )));
        }
        let pos_type = cfg.get("position_embedding_type").and_then(Value::as_str).unwrap_or("absolute");
        if pos_type != "absolute" {
            return Err(local_err(format!("{}: position_embedding_type {pos_type:?} is not supported", dir.display())));
        }
        let act = match cfg.get("hidden_act").and_then(Value::as_str).unwrap_or("gelu") {
            "gelu" => Activation::GeluErf,
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Activation::GeluTanh,
            "relu" => Activation::Relu,
            other => return Err(local_err(format!("{}: hidden_act {other:?} is not supported", dir.display()))),
        };
        let hidden = cfg_usize(cfg, "hidden_size", dir)?;
        let heads = cfg_usize(cfg, "num_attention_heads", dir)?;
        let n_layers = cfg_usize(cfg, "num_hidden_layers", dir)?;
        if heads == 0 || hidden % heads != 0 {
            return Err(local_err(format!(
                "{}: hidden_size {hidden} is not a multiple of num_attention_heads {heads}",
                dir.display()
            )));
        }
        let eps = cfg.get("layer_norm_eps").and_then(Value::as_f64).unwrap_or(1e-12) as f32;

        let map = candle_core::safetensors::load(weights, &Device::Cpu)
            .map_err(|e| local_err(format!("{} is not a valid safetensors file: {e}", weights.display())))?;
        let prefix = ["", "bert.", "model."]
            .into_iter()
            .find(|p| map.contains_key(&format!("{p}embeddings.word_embeddings.weight")))
            .ok_or_else(|| {
                local_err(format!("{} has no embeddings.word_embeddings.weight: not a BERT model", weights.display()))
            })?;
        let w = Weights { map, prefix, file: weights };
        let mut layers = Vec::with_capacity(n_layers);
        for i in 0..n_layers {
            let p = format!("encoder.layer.{i}");
            let (q, k, v) = (
                w.linear(&format!("{p}.attention.self.query"))?,
                w.linear(&format!("{p}.attention.self.key"))?,
                w.linear(&format!("{p}.attention.self.value"))?,
            );
            let qkv = Linear {
                wt: Tensor::cat(&[&q.wt, &k.wt, &v.wt], 1).map_err(cerr)?,
                bias: Tensor::cat(&[&q.bias, &k.bias, &v.bias], 0).map_err(cerr)?,
            };
            layers.push(Layer {
                qkv,
                attn_out: w.linear(&format!("{p}.attention.output.dense"))?,
                attn_norm: w.norm(&format!("{p}.attention.output.LayerNorm"))?,
                intermediate: w.linear(&format!("{p}.intermediate.dense"))?,
                output: w.linear(&format!("{p}.output.dense"))?,
                out_norm: w.norm(&format!("{p}.output.LayerNorm"))?,
            });
        }
        let word = w.get("embeddings.word_embeddings.weight")?;
        if word.dim(1).map_err(cerr)? != hidden {
            return Err(local_err(format!(
                "{}: the word embeddings do not have hidden_size {hidden} columns",
                weights.display()
            )));
        }
        tune_malloc();
        size_elementwise_pool(threads);
        let pool = {
            let _signals = SignalsBlocked::new();
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|i| format!("pgai-candle-{i}"))
                .build()
                .map_err(|e| local_err(format!("cannot start {threads} threads: {e}")))?
        };
        Ok(CandleEngine {
            word,
            position: w.get("embeddings.position_embeddings.weight")?,
            token_type: w.get("embeddings.token_type_embeddings.weight").ok(),
            emb_norm: w.norm("embeddings.LayerNorm")?,
            layers,
            heads,
            hidden,
            eps,
            act,
            pool,
        })
    }

    pub fn hidden_size(&self) -> usize {
        self.hidden
    }

    /// Token embeddings of `batch`: [rows, seq, hidden] row-major.
    pub fn run(&self, batch: &Batch) -> Result<Vec<f32>> {
        let max_pos = self.position.dim(0).map_err(cerr)?;
        if batch.seq > max_pos {
            return Err(local_err(format!(
                "inputs of {} tokens exceed the model's {max_pos} positions; lower max_seq_length",
                batch.seq
            )));
        }
        self.pool.install(|| self.forward(batch)).map_err(cerr)
    }

    fn forward(&self, batch: &Batch) -> candle_core::Result<Vec<f32>> {
        let (b, s, h) = (batch.rows, batch.seq, self.hidden);
        let (nh, hd) = (self.heads, self.hidden / self.heads);
        let dev = Device::Cpu;
        let ids: Vec<u32> = batch.ids.iter().map(|&i| i as u32).collect();
        let ids = Tensor::from_vec(ids, b * s, &dev)?;
        let mut x = self.word.index_select(&ids, 0)?; // [b*s, h]
        if let Some(tt) = &self.token_type {
            let types: Vec<u32> = batch.type_ids.iter().map(|&i| i as u32).collect();
            x = (x + tt.index_select(&Tensor::from_vec(types, b * s, &dev)?, 0)?)?;
        }
        let x = x.reshape((b, s, h))?.broadcast_add(&self.position.narrow(0, 0, s)?)?;
        let mut x = layer_norm(&x.reshape((b * s, h))?, &self.emb_norm.weight, &self.emb_norm.bias, self.eps)?;

        // additive mask [b, 1, 1, s]: 0 where attended, float32's minimum where padded
        let bias: Vec<f32> = batch.mask.iter().map(|&m| if m != 0 { 0.0 } else { f32::MIN }).collect();
        let bias = Tensor::from_vec(bias, (b, 1, 1, s), &dev)?;
        let scale = 1.0 / (hd as f64).sqrt();

        for layer in &self.layers {
            let qkv = linear(&x, &layer.qkv)?.reshape((b, s, 3, nh, hd))?;
            let part = |i: usize| qkv.narrow(2, i, 1)?.squeeze(2)?.transpose(1, 2)?.contiguous(); // [b, nh, s, hd]
            let (q, k, v) = (part(0)?, part(1)?, part(2)?);
            let scores = (q.matmul(&k.t()?)? * scale)?.broadcast_add(&bias)?;
            let probs = softmax_last_dim(&scores)?;
            let ctx = probs.matmul(&v)?.transpose(1, 2)?.contiguous()?.reshape((b * s, h))?;
            let attn = layer_norm(
                &(linear(&ctx, &layer.attn_out)? + &x)?,
                &layer.attn_norm.weight,
                &layer.attn_norm.bias,
                self.eps,
            )?;
            let inter = linear(&attn, &layer.intermediate)?;
            let inter = match self.act {
                Activation::GeluErf => inter.gelu_erf()?,
                Activation::GeluTanh => inter.gelu()?,
                Activation::Relu => inter.relu()?,
            };
            x = layer_norm(
                &(linear(&inter, &layer.output)? + &attn)?,
                &layer.out_norm.weight,
                &layer.out_norm.bias,
                self.eps,
            )?;
        }
        debug_assert_eq!(x.dims(), &[b * s, h]);
        x.flatten_all()?.to_vec1::<f32>()
    }
}

/// candle allocates a new buffer of several megabytes for every operation. glibc serves such
/// blocks with mmap and unmaps them when freed, and trims the heap eagerly, so every forward pass
/// would fault its memory in again from the kernel (measured: candle ran at 60% of this speed).
/// Raising both thresholds (process-wide, once; glibc only) keeps the memory for reuse.
fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        // SAFETY: mallopt only changes allocator parameters; valid at any time.
        ONCE.call_once(|| unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 128 << 20);
        });
    }
}

/// candle runs large element-wise operations (softmax, layer norm, GELU, additions) on its own
/// process-wide pool, created at first use with `CANDLE_NUM_THREADS` (else the physical cores)
/// threads, whatever rayon pool the caller installs. Unless the environment says otherwise, size
/// it like this engine's pool: the first candle model loaded in a process decides.
fn size_elementwise_pool(threads: usize) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
            // Edition 2021: set_var is safe. No other thread of ours reads the environment here;
            // a process's first model load runs before its engines start threads.
            std::env::set_var("CANDLE_NUM_THREADS", threads.to_string());
        }
    });
}

fn linear(x: &Tensor, l: &Linear) -> candle_core::Result<Tensor> {
    x.matmul(&l.wt)?.broadcast_add(&l.bias)
}
