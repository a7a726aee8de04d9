//! LangChain's `CharacterTextSplitter` with `keep_separator=False`.

use super::merge::{merge_splits, Piece};
use super::separator::Separator;
use super::{ChunkingError, Sizes};

#[derive(Debug, Clone)]
pub struct CharacterSplitter {
    separator: Separator,
    sizes: Sizes,
}

impl CharacterSplitter {
    pub fn new(
        separator: &str,
        chunk_size: i64,
        chunk_overlap: i64,
        is_separator_regex: bool,
    ) -> Result<Self, ChunkingError> {
        let sizes = Sizes::new(chunk_size, chunk_overlap)?;
        // LangChain re-inserts the separator text unless the regex starts with
        // a lookaround; `regex` rejects lookarounds, so that case never arises.
        let separator = Separator::new(separator, is_separator_regex)?;
        Ok(Self { separator, sizes })
    }

    pub fn split(&self, text: &str) -> Vec<String> {
        let splits: Vec<Piece> = self.separator.split(text, false).into_iter().map(Piece::new).collect();
        let mut out = Vec::new();
        merge_splits(&splits, &self.separator.raw, self.sizes.chunk_size, self.sizes.chunk_overlap, &mut out);
        out
    }
}
