//! OpenAI tokenization, offline: the BPE tables are compiled into the binary (tiktoken-rs
//! embeds them), nothing is downloaded. The encoding is chosen from the model name, as
//! Python's `tiktoken.encoding_for_model` does: `o200k_base` for the gpt-4o, gpt-4.1, gpt-5,
//! o1, o3, o4 families, `cl100k_base` for gpt-4, gpt-3.5 and `text-embedding-*`, the older
//! encodings for older models. Special-token text (`<|endoftext|>`) is encoded as plain text.

use crate::error::{Error, Result};
use tiktoken_rs::tokenizer::{get_tokenizer, Tokenizer};
use tiktoken_rs::CoreBPE;

const PROVIDER: &str = "openai";

/// The tiktoken encoding a model uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    O200kBase,
    O200kHarmony,
    Cl100kBase,
    P50kBase,
    P50kEdit,
    R50kBase,
}

impl Encoding {
    /// The encoding of `model`; an unknown model is a Config error naming it.
    pub fn for_model(model: &str) -> Result<Encoding> {
        let by_family = || {
            let starts = |p: &str| model.starts_with(p);
            if ["o1", "o3", "o4", "gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "chatgpt-4o"].iter().any(|p| starts(p)) {
                Some(Encoding::O200kBase)
            } else if ["gpt-4", "gpt-3.5", "gpt-35", "text-embedding-"].iter().any(|p| starts(p)) {
                Some(Encoding::Cl100kBase)
            } else {
                None
            }
        };
        let found = match get_tokenizer(model) {
            Some(Tokenizer::O200kBase) => Some(Encoding::O200kBase),
            Some(Tokenizer::O200kHarmony) => Some(Encoding::O200kHarmony),
            Some(Tokenizer::Cl100kBase) => Some(Encoding::Cl100kBase),
            Some(Tokenizer::P50kBase) => Some(Encoding::P50kBase),
            Some(Tokenizer::P50kEdit) => Some(Encoding::P50kEdit),
            Some(Tokenizer::R50kBase | Tokenizer::Gpt2) => Some(Encoding::R50kBase),
            None => by_family(),
        };
        found.ok_or_else(|| Error::config(PROVIDER, format!("no tokenizer known for model \"{model}\"")))
    }

    /// The encoding's name as tiktoken spells it.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::O200kBase => "o200k_base",
            Encoding::O200kHarmony => "o200k_harmony",
            Encoding::Cl100kBase => "cl100k_base",
            Encoding::P50kBase => "p50k_base",
            Encoding::P50kEdit => "p50k_edit",
            Encoding::R50kBase => "r50k_base",
        }
    }

    /// The tables, loaded once per process on first use.
    fn bpe(self) -> &'static CoreBPE {
        match self {
            Encoding::O200kBase => tiktoken_rs::o200k_base_singleton(),
            Encoding::O200kHarmony => tiktoken_rs::o200k_harmony_singleton(),
            Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
            Encoding::P50kBase => tiktoken_rs::p50k_base_singleton(),
            Encoding::P50kEdit => tiktoken_rs::p50k_edit_singleton(),
            Encoding::R50kBase => tiktoken_rs::r50k_base_singleton(),
        }
    }

    pub fn encode(self, text: &str) -> Vec<u32> {
        self.bpe().encode_ordinary(text)
    }

    /// Invalid UTF-8 from partial tokens is replaced by U+FFFD (as tiktoken's Python does);
    /// an id the encoding does not have is a Config error.
    pub fn decode(self, tokens: &[u32]) -> Result<String> {
        let bytes = self
            .bpe()
            .decode_bytes(tokens)
            .map_err(|e| Error::config(PROVIDER, format!("token {} is not in {}", e.token, self.name())))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// The token ids of `text` for `model`.
pub fn encode(model: &str, text: &str) -> Result<Vec<u32>> {
    Ok(Encoding::for_model(model)?.encode(text))
}

/// The text of `tokens` for `model`.
pub fn decode(model: &str, tokens: &[u32]) -> Result<String> {
    Encoding::for_model(model)?.decode(tokens)
}

/// How many tokens `text` is for `model`.
pub fn count(model: &str, text: &str) -> Result<usize> {
    Ok(encode(model, text)?.len())
}
