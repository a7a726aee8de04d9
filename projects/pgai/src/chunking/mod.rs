//! Text chunking: exact ports of LangChain's `CharacterTextSplitter` and
//! `RecursiveCharacterTextSplitter` (langchain-text-splitters 0.3, as pgai 0.7
//! configures them). Lengths are Python `len`, i.e. Unicode code points.

mod character;
mod merge;
mod recursive;
mod separator;

pub use character::CharacterSplitter;
pub use recursive::RecursiveSplitter;

/// Why a chunker configuration is rejected.
#[derive(Debug, thiserror::Error)]
pub enum ChunkingError {
    #[error("chunk_size must be > 0, got {0}")]
    ChunkSize(i64),
    #[error("chunk_overlap must be >= 0, got {0}")]
    NegativeOverlap(i64),
    #[error("Got a larger chunk overlap ({overlap}) than chunk size ({size}), should be smaller.")]
    OverlapTooLarge { overlap: i64, size: i64 },
    #[error("invalid separator regex {pattern:?} (Rust `regex` syntax; no lookaround or backreferences): {source}")]
    Regex {
        pattern: String,
        #[source]
        source: Box<regex::Error>,
    },
}

/// Sizes shared by both splitters, validated like LangChain's `TextSplitter.__init__`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sizes {
    pub chunk_size: usize,
    pub chunk_overlap: usize,
}

impl Sizes {
    pub(crate) fn new(chunk_size: i64, chunk_overlap: i64) -> Result<Self, ChunkingError> {
        if chunk_size <= 0 {
            return Err(ChunkingError::ChunkSize(chunk_size));
        }
        if chunk_overlap < 0 {
            return Err(ChunkingError::NegativeOverlap(chunk_overlap));
        }
        if chunk_overlap > chunk_size {
            return Err(ChunkingError::OverlapTooLarge { overlap: chunk_overlap, size: chunk_size });
        }
        Ok(Self { chunk_size: chunk_size as usize, chunk_overlap: chunk_overlap as usize })
    }
}

/// A configured chunker, built once per vectorizer and reused for every row.
#[derive(Debug, Clone)]
pub enum Chunker {
    Character(CharacterSplitter),
    Recursive(RecursiveSplitter),
    /// pgai's `chunking_none`: the text is one chunk (none when it is blank).
    Whole,
}

impl Chunker {
    /// pgai's `character_text_splitter`.
    pub fn character(
        separator: &str,
        chunk_size: i64,
        chunk_overlap: i64,
        is_separator_regex: bool,
    ) -> Result<Self, ChunkingError> {
        CharacterSplitter::new(separator, chunk_size, chunk_overlap, is_separator_regex).map(Self::Character)
    }

    /// pgai's `recursive_character_text_splitter`. An empty list means
    /// LangChain's default `["\n\n", "\n", " ", ""]`.
    pub fn recursive<S: AsRef<str>>(
        separators: &[S],
        chunk_size: i64,
        chunk_overlap: i64,
        is_separator_regex: bool,
    ) -> Result<Self, ChunkingError> {
        RecursiveSplitter::new(separators, chunk_size, chunk_overlap, is_separator_regex).map(Self::Recursive)
    }

    /// Splits `text` into chunks, exactly as LangChain's `split_text`.
    pub fn split(&self, text: &str) -> Vec<String> {
        match self {
            Self::Character(c) => c.split(text),
            Self::Recursive(r) => r.split(text),
            Self::Whole if text.trim().is_empty() => Vec::new(),
            Self::Whole => vec![text.to_string()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_keeps_the_text_as_one_chunk() {
        assert_eq!(Chunker::Whole.split("a\n\nb"), vec!["a\n\nb".to_string()]);
        assert!(Chunker::Whole.split(" \n").is_empty());
    }

    const PGAI_SEPARATORS: [&str; 7] = ["\n\n", "\n", ".", "?", "!", " ", ""];

    #[test]
    fn rejects_invalid_sizes_like_langchain() {
        let err = |size, overlap| Chunker::character("\n\n", size, overlap, false).unwrap_err();
        assert_eq!(err(0, 0).to_string(), "chunk_size must be > 0, got 0");
        assert_eq!(err(5, -1).to_string(), "chunk_overlap must be >= 0, got -1");
        assert_eq!(err(10, 11).to_string(), "Got a larger chunk overlap (11) than chunk size (10), should be smaller.");
    }

    #[test]
    fn unsupported_regex_names_the_pattern() {
        let err = Chunker::recursive(&["\n", "(?<=\\.) "], 10, 0, true).unwrap_err();
        assert!(matches!(&err, ChunkingError::Regex { pattern, .. } if pattern == "(?<=\\.) "));
        assert!(err.to_string().contains("(?<=\\\\.) "), "{err}");
    }

    #[test]
    fn lengths_are_code_points() {
        let c = Chunker::character("", 3, 0, false).unwrap();
        assert_eq!(c.split("日本語👍🏽x"), ["日本語", "👍🏽x"]);
    }

    #[test]
    fn oversized_pieces_are_kept_whole() {
        let c = Chunker::character(" ", 4, 0, false).unwrap();
        assert_eq!(c.split("ab abcdefg cd"), ["ab", "abcdefg", "cd"]);
        let r = Chunker::recursive(&[" "], 4, 0, false).unwrap();
        assert_eq!(r.split("ab abcdefg cd"), ["ab", " abcdefg", "cd"]);
    }

    #[test]
    fn recursive_falls_back_to_later_separators() {
        let r = Chunker::recursive(&PGAI_SEPARATORS, 10, 0, false).unwrap();
        assert_eq!(r.split("One two.\n\nThree four five six"), ["One two.", "Three", "four five", "six"]);
        assert_eq!(r.split(""), Vec::<String>::new());
        assert_eq!(r.split(" \n\n \x1c"), Vec::<String>::new());
    }

    #[test]
    fn regex_separator_text_is_reinserted_by_the_character_splitter() {
        // LangChain joins with the raw pattern text, not the matched text.
        let c = Chunker::character(r"\s+", 100, 0, true).unwrap();
        assert_eq!(c.split("a  b\nc"), [r"a\s+b\s+c"]);
    }
}
