//! The steps both engines share: tokenize, truncate at `max_seq_length`, sort by token length,
//! batch, pad to the longest input of each batch; then pool the token embeddings and normalise.

use super::config::{ModelConfig, PoolingMode};
use super::local_err;
use crate::error::Result;
use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

/// A tokenizer set up as sentence-transformers uses it.
pub struct TextEncoder {
    tokenizer: Tokenizer,
    lower: bool,
    pad_id: u32,
}

/// One text as token ids (special tokens included, truncated).
pub struct Encoded {
    pub ids: Vec<u32>,
    pub type_ids: Vec<u32>,
}

/// A padded batch: `rows` inputs of `seq` tokens each, row-major.
pub struct Batch {
    pub rows: usize,
    pub seq: usize,
    pub ids: Vec<i64>,
    pub mask: Vec<i64>,
    pub type_ids: Vec<i64>,
}

impl TextEncoder {
    pub fn load(cfg: &ModelConfig) -> Result<TextEncoder> {
        let mut tokenizer = Tokenizer::from_file(&cfg.tokenizer)
            .map_err(|e| local_err(format!("{} is not a valid tokenizer.json: {e}", cfg.tokenizer.display())))?;
        let pad_id = tokenizer
            .get_padding()
            .map(|p| p.pad_id)
            .or_else(|| tokenizer.token_to_id("[PAD]"))
            .or_else(|| tokenizer.token_to_id("<pad>"))
            .unwrap_or(0);
        // tokenizer.json may carry its own truncation and fixed padding (all-MiniLM-L6-v2's: 128
        // and 128); sentence-transformers overrides both: truncate at max_seq_length, pad each
        // batch to its longest input (we pad ourselves, after sorting)
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: cfg.max_seq_length,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
                direction: TruncationDirection::Right,
            }))
            .map_err(|e| local_err(format!("{}: cannot set truncation: {e}", cfg.tokenizer.display())))?;
        tokenizer.with_padding(None);
        Ok(TextEncoder { tokenizer, lower: cfg.do_lower_case, pad_id })
    }

    /// Tokenizes one text as sentence-transformers does: surrounding whitespace stripped (Python's
    /// `str.strip()`), lowercased when the model says so, special tokens added, truncated.
    pub fn encode(&self, text: &str) -> Result<Encoded> {
        let text = text.trim_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c));
        let owned;
        let text = if self.lower {
            owned = text.to_lowercase();
            owned.as_str()
        } else {
            text
        };
        let enc = self.tokenizer.encode_fast(text, true).map_err(|e| local_err(format!("tokenizing failed: {e}")))?;
        Ok(Encoded { ids: enc.get_ids().to_vec(), type_ids: enc.get_type_ids().to_vec() })
    }

    /// Groups `encoded` into batches of similar token length (longest first), each padded to its
    /// longest input: at most `batch_size` inputs, and no more than `max_tokens` tokens (padding
    /// included) unless one input alone is longer. Returns each batch with the indices of its
    /// rows in `encoded`.
    pub fn batches(&self, encoded: &[Encoded], batch_size: usize, max_tokens: usize) -> Vec<(Vec<usize>, Batch)> {
        batches(encoded, batch_size, max_tokens, self.pad_id)
    }
}

/// [`TextEncoder::batches`], padding with `pad_id`.
pub fn batches(encoded: &[Encoded], batch_size: usize, max_tokens: usize, pad_id: u32) -> Vec<(Vec<usize>, Batch)> {
    let mut order: Vec<usize> = (0..encoded.len()).collect();
    // stable: equal lengths keep the caller's order, so results never depend on sorting ties
    order.sort_by_key(|&i| std::cmp::Reverse(encoded[i].ids.len()));
    let mut groups: Vec<&[usize]> = Vec::new();
    let mut rest = &order[..];
    while !rest.is_empty() {
        let longest = encoded[rest[0]].ids.len().max(1);
        let n = (max_tokens / longest).clamp(1, batch_size.max(1)).min(rest.len());
        let (group, tail) = rest.split_at(n);
        groups.push(group);
        rest = tail;
    }
    groups
        .into_iter()
        .map(|rows| {
            let seq = rows.iter().map(|&i| encoded[i].ids.len()).max().unwrap_or(0).max(1);
            let n = rows.len() * seq;
            let mut batch =
                Batch { rows: rows.len(), seq, ids: vec![pad_id as i64; n], mask: vec![0; n], type_ids: vec![0; n] };
            for (r, &i) in rows.iter().enumerate() {
                let e = &encoded[i];
                let row = r * seq;
                for (j, (&id, &t)) in e.ids.iter().zip(&e.type_ids).enumerate() {
                    batch.ids[row + j] = id as i64;
                    batch.type_ids[row + j] = t as i64;
                    batch.mask[row + j] = 1;
                }
            }
            (rows.to_vec(), batch)
        })
        .collect()
}

/// Pools the token embeddings `tokens` ([rows, seq, hidden], row-major) of `batch` into one
/// vector per row (the modes concatenated in order), normalised to unit length if `normalize`.
pub fn pool(tokens: &[f32], batch: &Batch, hidden: usize, modes: &[PoolingMode], normalize: bool) -> Vec<Vec<f32>> {
    let seq = batch.seq;
    (0..batch.rows)
        .map(|r| {
            let mask = &batch.mask[r * seq..(r + 1) * seq];
            let tok = |j: usize| &tokens[(r * seq + j) * hidden..(r * seq + j + 1) * hidden];
            let count = mask.iter().filter(|&&m| m != 0).count();
            let mut out = Vec::with_capacity(hidden * modes.len());
            for mode in modes {
                match mode {
                    PoolingMode::Cls => out.extend_from_slice(tok(0)),
                    PoolingMode::LastToken => out.extend_from_slice(tok(count.max(1) - 1)),
                    PoolingMode::Max => {
                        let mut m = vec![f32::NEG_INFINITY; hidden];
                        for j in (0..seq).filter(|&j| mask[j] != 0) {
                            for (a, &x) in m.iter_mut().zip(tok(j)) {
                                *a = a.max(x);
                            }
                        }
                        out.extend(m.into_iter().map(|x| if x == f32::NEG_INFINITY { -1e9 } else { x }));
                    }
                    PoolingMode::Mean | PoolingMode::MeanSqrtLen | PoolingMode::WeightedMean => {
                        let mut sum = vec![0f32; hidden];
                        let mut weight = 0f32;
                        for j in (0..seq).filter(|&j| mask[j] != 0) {
                            let w = if *mode == PoolingMode::WeightedMean { (j + 1) as f32 } else { 1.0 };
                            weight += w;
                            for (a, &x) in sum.iter_mut().zip(tok(j)) {
                                *a += w * x;
                            }
                        }
                        let div = match mode {
                            PoolingMode::MeanSqrtLen => (count as f32).sqrt().max(1e-9),
                            _ => weight.max(1e-9),
                        };
                        out.extend(sum.into_iter().map(|x| x / div));
                    }
                }
            }
            if normalize {
                normalize_in_place(&mut out);
            }
            out
        })
        .collect()
}

/// Scales `v` to unit length (torch.nn.functional.normalize: divides by max(norm, 1e-12)).
pub fn normalize_in_place(v: &mut [f32]) {
    let norm = v.iter().map(|x| (*x as f64) * (*x as f64)).sum::<f64>().sqrt().max(1e-12) as f32;
    v.iter_mut().for_each(|x| *x /= norm);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(rows: usize, seq: usize, lens: &[usize]) -> Batch {
        let mut mask = vec![0; rows * seq];
        for (r, &l) in lens.iter().enumerate() {
            mask[r * seq..r * seq + l].iter_mut().for_each(|m| *m = 1);
        }
        Batch { rows, seq, ids: vec![0; rows * seq], mask, type_ids: vec![0; rows * seq] }
    }

    #[test]
    fn batching_by_length_and_tokens() {
        let enc = |n: usize| Encoded { ids: vec![7; n], type_ids: vec![0; n] };
        let encoded = vec![enc(10), enc(300), enc(5), enc(5), enc(600), enc(2)];
        let plan = |size, tokens| {
            batches(&encoded, size, tokens, 0).into_iter().map(|(rows, b)| (rows, b.seq)).collect::<Vec<_>>()
        };
        // longest first, ties in input order; each batch padded to its first (longest) input
        assert_eq!(plan(32, usize::MAX), vec![(vec![4, 1, 0, 2, 3, 5], 600)]);
        assert_eq!(plan(4, usize::MAX), vec![(vec![4, 1, 0, 2], 600), (vec![3, 5], 5)]);
        // a token budget: 600 alone (over budget, still runs), then 1024 / 300 = 3 rows...
        assert_eq!(plan(32, 1024), vec![(vec![4], 600), (vec![1, 0, 2], 300), (vec![3, 5], 5)]);
        let (rows, b) = batches(&encoded, 32, 1024, 9).remove(2);
        assert_eq!(rows, vec![3, 5]);
        assert_eq!(b.ids, vec![7, 7, 7, 7, 7, 7, 7, 9, 9, 9]);
        assert_eq!(b.mask, vec![1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
    }

    #[test]
    fn pooling_modes() {
        // two rows of three tokens (hidden 2); the second row has one padding token
        let tokens = [1.0, 2.0, 3.0, 4.0, 5.0, 0.0, /* row 2 */ 2.0, 2.0, 4.0, -4.0, 100.0, 100.0];
        let b = batch(2, 3, &[3, 2]);
        let p = |m| pool(&tokens, &b, 2, &[m], false);
        assert_eq!(p(PoolingMode::Mean), vec![vec![3.0, 2.0], vec![3.0, -1.0]]);
        assert_eq!(p(PoolingMode::Cls), vec![vec![1.0, 2.0], vec![2.0, 2.0]]);
        assert_eq!(p(PoolingMode::Max), vec![vec![5.0, 4.0], vec![4.0, 2.0]]);
        assert_eq!(p(PoolingMode::LastToken), vec![vec![5.0, 0.0], vec![4.0, -4.0]]);
        let s = p(PoolingMode::MeanSqrtLen);
        assert!((s[1][0] - 6.0 / 2f32.sqrt()).abs() < 1e-6);
        assert_eq!(p(PoolingMode::WeightedMean)[1], vec![(2.0 + 8.0) / 3.0, (2.0 - 8.0) / 3.0]);
        // modes concatenate; normalisation gives unit length
        let both = pool(&tokens, &b, 2, &[PoolingMode::Cls, PoolingMode::Mean], true);
        assert_eq!(both[0].len(), 4);
        assert!((both[0].iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-6);
        let mut zero = vec![0.0; 3];
        normalize_in_place(&mut zero);
        assert_eq!(zero, vec![0.0; 3]);
    }
}
