//! LangChain's `RecursiveCharacterTextSplitter` with `keep_separator=True`
//! (separators stay at the start of the following piece).

use super::merge::{merge_splits, Piece};
use super::separator::Separator;
use super::{ChunkingError, Sizes};

const DEFAULT_SEPARATORS: [&str; 4] = ["\n\n", "\n", " ", ""];

#[derive(Debug, Clone)]
pub struct RecursiveSplitter {
    separators: Vec<Separator>,
    sizes: Sizes,
}

impl RecursiveSplitter {
    pub fn new<S: AsRef<str>>(
        separators: &[S],
        chunk_size: i64,
        chunk_overlap: i64,
        is_separator_regex: bool,
    ) -> Result<Self, ChunkingError> {
        let sizes = Sizes::new(chunk_size, chunk_overlap)?;
        let raw: Vec<&str> = if separators.is_empty() {
            DEFAULT_SEPARATORS.to_vec()
        } else {
            separators.iter().map(AsRef::as_ref).collect()
        };
        let separators = raw.into_iter().map(|s| Separator::new(s, is_separator_regex)).collect::<Result<_, _>>()?;
        Ok(Self { separators, sizes })
    }

    pub fn split(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.split_into(text, &self.separators, &mut out);
        out
    }

    /// `_split_text`: split on the first separator found in `text`, merge the
    /// short pieces and recurse into long ones with the remaining separators.
    fn split_into(&self, text: &str, separators: &[Separator], out: &mut Vec<String>) {
        let Sizes { chunk_size, chunk_overlap } = self.sizes;
        let mut separator = &separators[separators.len() - 1];
        let mut rest: &[Separator] = &[];
        for (i, s) in separators.iter().enumerate() {
            if s.is_empty() {
                separator = s;
                break;
            }
            if s.is_found_in(text) {
                separator = s;
                rest = &separators[i + 1..];
                break;
            }
        }
        // With keep_separator the pieces already carry it: merge with "".
        let mut good: Vec<Piece> = Vec::new();
        for piece in separator.split(text, true).into_iter().map(Piece::new) {
            if piece.len < chunk_size {
                good.push(piece);
                continue;
            }
            if !good.is_empty() {
                merge_splits(&good, "", chunk_size, chunk_overlap, out);
                good.clear();
            }
            if rest.is_empty() {
                out.push(piece.text.into_owned());
            } else {
                self.split_into(&piece.text, rest, out);
            }
        }
        if !good.is_empty() {
            merge_splits(&good, "", chunk_size, chunk_overlap, out);
        }
    }
}
