//! LangChain's `TextSplitter._merge_splits` and `_join_docs`.

/// A split and its length in code points (Python's `len`).
pub(crate) struct Piece<'a> {
    pub text: std::borrow::Cow<'a, str>,
    pub len: usize,
}

impl<'a> Piece<'a> {
    pub(crate) fn new(text: std::borrow::Cow<'a, str>) -> Self {
        let len = text.chars().count();
        Self { text, len }
    }
}

/// Python's `str.isspace`, which `str.strip()` uses: Rust's `char::is_whitespace`
/// plus the ASCII information separators U+001C..U+001F.
pub(crate) fn py_isspace(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `separator.join(docs).strip() or None`.
fn join_docs(docs: &[Piece], separator: &str) -> Option<String> {
    let size = docs.iter().map(|d| d.text.len()).sum::<usize>() + separator.len() * docs.len().saturating_sub(1);
    let mut joined = String::with_capacity(size);
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            joined.push_str(separator);
        }
        joined.push_str(&d.text);
    }
    let trimmed = joined.trim_matches(py_isspace);
    match trimmed.len() {
        0 => None,
        n if n == joined.len() => Some(joined),
        _ => Some(trimmed.to_owned()),
    }
}

/// Combines splits into chunks of at most `chunk_size` (a single longer split
/// is kept as is), carrying up to `chunk_overlap` of trailing splits over.
///
/// LangChain's `current_doc` is always a window `splits[lo..i]`, so popping
/// from its front is an index bump rather than a list copy.
pub(crate) fn merge_splits(
    splits: &[Piece],
    separator: &str,
    chunk_size: usize,
    chunk_overlap: usize,
    out: &mut Vec<String>,
) {
    let sep_len = separator.chars().count();
    let sep_if = |cond: bool| if cond { sep_len } else { 0 };
    let mut lo = 0;
    let mut total = 0usize;
    for (i, d) in splits.iter().enumerate() {
        if total + d.len + sep_if(i > lo) > chunk_size {
            if total > chunk_size {
                tracing::warn!("Created a chunk of size {total}, which is longer than the specified {chunk_size}");
            }
            if i > lo {
                out.extend(join_docs(&splits[lo..i], separator));
                while total > chunk_overlap || (total + d.len + sep_if(i > lo) > chunk_size && total > 0) {
                    total -= splits[lo].len + sep_if(i - lo > 1);
                    lo += 1;
                }
            }
        }
        total += d.len + sep_if(i + 1 - lo > 1);
    }
    out.extend(join_docs(&splits[lo..], separator));
}
