//! Re-embedding only what changed: a row's new chunks are matched, by the SHA-256 of their
//! text (what is embedded, and what the target's `chunk` column holds), against the chunks the
//! target has for the row. A match keeps its target row and its embedding (moved to its new
//! `chunk_seq` if needed); only the chunks without a match are sent to the provider, and the
//! old rows without a match are deleted. An UPDATE that changes no embedded text costs no
//! request at all; an edit of one paragraph re-embeds the chunks it touched.
//!
//! Nothing is stored for it: the hashes of the old chunks are computed by the claim query from
//! the target table, which keeps exactly pgai's columns.

use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// A chunk the target has for a row of the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OldChunk {
    pub uuid: [u8; 16],
    pub hash: [u8; 32],
}

/// What to do with a batch's chunks.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Indices of the new chunks to embed and insert.
    pub embed: Vec<usize>,
    /// Old rows kept for a new chunk of the same text: (uuid, their `chunk_seq` now, the new one).
    pub keep: Vec<([u8; 16], i32, i32)>,
    /// Old rows no new chunk matched.
    pub delete: Vec<[u8; 16]>,
}

impl Plan {
    /// Kept rows whose `chunk_seq` changes.
    pub fn moves(&self) -> impl Iterator<Item = &([u8; 16], i32, i32)> {
        self.keep.iter().filter(|(_, old, new)| old != new)
    }
}

pub fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// Plans a batch: `old[r]` the chunks the target has for row `r` (in `chunk_seq` order),
/// `texts` the new chunks with `origin[i] = (row, chunk_seq)`. With `reuse` off every old row
/// is deleted and every new chunk embedded.
pub fn plan(old: &[&[OldChunk]], texts: &[String], origin: &[(usize, i32)], reuse: bool) -> Plan {
    let mut plan = Plan::default();
    // per row: hash -> the old chunks (their position) not matched yet, in order
    let mut unmatched: Vec<HashMap<[u8; 32], Vec<usize>>> = old
        .iter()
        .map(|chunks| {
            let mut by_hash: HashMap<[u8; 32], Vec<usize>> = HashMap::new();
            if reuse {
                for (seq, c) in chunks.iter().enumerate().rev() {
                    by_hash.entry(c.hash).or_default().push(seq);
                }
            }
            by_hash
        })
        .collect();
    let mut kept: Vec<Vec<bool>> = old.iter().map(|c| vec![false; c.len()]).collect();
    for (i, (text, &(row, seq))) in texts.iter().zip(origin).enumerate() {
        let found =
            if reuse && !old[row].is_empty() { unmatched[row].get_mut(&sha256(text)).and_then(Vec::pop) } else { None };
        match found {
            Some(old_seq) => {
                kept[row][old_seq] = true;
                plan.keep.push((old[row][old_seq].uuid, old_seq as i32, seq));
            }
            None => plan.embed.push(i),
        }
    }
    for (row, chunks) in old.iter().enumerate() {
        for (seq, c) in chunks.iter().enumerate() {
            if !kept[row][seq] {
                plan.delete.push(c.uuid);
            }
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn old(texts: &[&str], first_uuid: u8) -> Vec<OldChunk> {
        texts.iter().enumerate().map(|(i, t)| OldChunk { uuid: [first_uuid + i as u8; 16], hash: sha256(t) }).collect()
    }

    fn new(rows: &[&[&str]]) -> (Vec<String>, Vec<(usize, i32)>) {
        let mut texts = Vec::new();
        let mut origin = Vec::new();
        for (r, chunks) in rows.iter().enumerate() {
            for (seq, t) in chunks.iter().enumerate() {
                texts.push(t.to_string());
                origin.push((r, seq as i32));
            }
        }
        (texts, origin)
    }

    #[test]
    fn unchanged_text_keeps_every_row_and_embeds_nothing() {
        let o = old(&["a", "b", "c"], 1);
        let (texts, origin) = new(&[&["a", "b", "c"]]);
        let p = plan(&[&o], &texts, &origin, true);
        assert!(p.embed.is_empty() && p.delete.is_empty());
        assert_eq!(p.keep.len(), 3);
        assert_eq!(p.moves().count(), 0);
    }

    #[test]
    fn an_edit_embeds_the_changed_chunk_and_moves_shifted_ones() {
        // "b" edited into "B"; a chunk "x" inserted before "c"
        let o = old(&["a", "b", "c", "d"], 1);
        let (texts, origin) = new(&[&["a", "B", "x", "c", "d"]]);
        let p = plan(&[&o], &texts, &origin, true);
        assert_eq!(p.embed, [1, 2]);
        assert_eq!(p.delete, [[2u8; 16]]);
        let moved: Vec<_> = p.moves().map(|(u, from, to)| (u[0], *from, *to)).collect();
        assert_eq!(moved, [(3, 2, 3), (4, 3, 4)]);
    }

    #[test]
    fn duplicates_match_once_each_and_rows_do_not_mix() {
        let o0 = old(&["same", "same"], 10);
        let o1 = old(&["same"], 20);
        let (texts, origin) = new(&[&["same", "same", "same"], &["other"]]);
        let p = plan(&[&o0, &o1], &texts, &origin, true);
        assert_eq!(p.embed, [2, 3], "the third 'same' and row 1's new text");
        assert_eq!(p.delete, [[20u8; 16]], "row 1's old chunk is not row 0's");
        assert_eq!(p.keep.iter().map(|k| (k.0[0], k.1, k.2)).collect::<Vec<_>>(), [(10, 0, 0), (11, 1, 1)]);
    }

    #[test]
    fn reuse_off_replaces_everything() {
        let o = old(&["a"], 1);
        let (texts, origin) = new(&[&["a"]]);
        let p = plan(&[&o], &texts, &origin, false);
        assert_eq!((p.embed, p.keep.len(), p.delete.len()), (vec![0], 0, 1));
    }
}
