//! A separator and Python's `re.split` semantics over it (LangChain's
//! `_split_text_with_regex`).

use std::borrow::Cow;

use regex::Regex;

use super::ChunkingError;

#[derive(Debug, Clone)]
enum Kind {
    /// `""`: LangChain splits into single characters.
    Empty,
    /// A non-regex separator: `re.escape`d, so a plain substring match.
    Literal,
    /// `plain` is the pattern as given; `wrapped` is `(pattern)`, which
    /// LangChain uses to keep the separator.
    Regex { plain: Regex, wrapped: Regex },
}

#[derive(Debug, Clone)]
pub(crate) struct Separator {
    /// The separator exactly as configured (LangChain re-inserts this text
    /// when merging, even for regexes).
    pub raw: String,
    kind: Kind,
}

/// Compiles a Python pattern, naming the pattern as written when `regex`
/// rejects it (lookarounds, backreferences, ...).
fn compile(pattern: &str) -> Result<Regex, ChunkingError> {
    Regex::new(&providers::pyregex::translate_python(pattern))
        .map_err(|e| ChunkingError::Regex { pattern: pattern.to_owned(), source: Box::new(e) })
}

impl Separator {
    pub(crate) fn new(raw: &str, is_regex: bool) -> Result<Self, ChunkingError> {
        let kind = if raw.is_empty() {
            Kind::Empty
        } else if is_regex {
            Kind::Regex { plain: compile(raw)?, wrapped: compile(&format!("({raw})"))? }
        } else {
            Kind::Literal
        };
        Ok(Self { raw: raw.to_owned(), kind })
    }

    pub(crate) fn is_empty(&self) -> bool {
        matches!(self.kind, Kind::Empty)
    }

    /// `re.search(separator, text)`.
    pub(crate) fn is_found_in(&self, text: &str) -> bool {
        match &self.kind {
            Kind::Empty => true,
            Kind::Literal => text.contains(self.raw.as_str()),
            Kind::Regex { plain, .. } => plain.is_match(text),
        }
    }

    /// `_split_text_with_regex(text, separator, keep_separator)` with
    /// `keep_separator` either False or True (= "start"); empty pieces dropped.
    pub(crate) fn split<'a>(&self, text: &'a str, keep_start: bool) -> Vec<Cow<'a, str>> {
        let mut out: Vec<Cow<'a, str>> = Vec::new();
        match &self.kind {
            Kind::Empty => {
                out.extend(text.char_indices().map(|(i, c)| Cow::Borrowed(&text[i..i + c.len_utf8()])));
                return out;
            }
            // Fast path, same result as the regex path: pieces are contiguous.
            Kind::Literal if keep_start => {
                let mut last = 0;
                for (i, _) in text.match_indices(self.raw.as_str()) {
                    out.push(Cow::Borrowed(&text[last..i]));
                    last = i;
                }
                out.push(Cow::Borrowed(&text[last..]));
            }
            Kind::Literal => out.extend(text.split(self.raw.as_str()).map(Cow::Borrowed)),
            Kind::Regex { plain, wrapped } => {
                let re = if keep_start { wrapped } else { plain };
                let parts = py_re_split(re, text);
                if keep_start {
                    out.extend(pair_keep_start(text, &parts));
                } else {
                    // A non-participating group is Python's None; LangChain 1.x
                    // drops it (0.3 crashes later), so treat it as "".
                    out.extend(parts.iter().map(|p| Cow::Borrowed(p.map_or("", |(s, e)| &text[s..e]))));
                }
            }
        }
        out.retain(|s| !s.is_empty());
        out
    }
}

/// A byte range of the text; None is a capture group that did not participate.
type Span = Option<(usize, usize)>;

/// LangChain's keep-at-start pairing of `re.split("(sep)")`'s list:
/// `[p[0]] + [p[i] + p[i+1] for odd i] (+ [p[-1]] if len is even)`.
fn pair_keep_start<'a>(text: &'a str, parts: &[Span]) -> Vec<Cow<'a, str>> {
    let get = |i: usize| parts.get(i).copied().flatten();
    let slice = |s: Span| s.map_or("", |(s, e)| &text[s..e]);
    let mut out = vec![Cow::Borrowed(slice(get(0)))];
    for i in (1..parts.len()).step_by(2) {
        // Python raises IndexError for i + 1 == len (extra groups in the
        // pattern); treat the missing element as "".
        out.push(match (get(i), get(i + 1)) {
            (Some((a, m)), Some((n, b))) if m == n => Cow::Borrowed(&text[a..b]),
            (a, b) => Cow::Owned([slice(a), slice(b)].concat()),
        });
    }
    if parts.len().is_multiple_of(2) {
        out.push(Cow::Borrowed(slice(get(parts.len() - 1))));
    }
    out
}

/// Python's `re.split(pattern, text)`: the text between matches interleaved
/// with every capture group (None when it did not participate).
///
/// Empty matches follow Python 3.7+: allowed right after a non-empty match,
/// but after an empty match the next match may not be empty at the same spot.
fn py_re_split(re: &Regex, text: &str) -> Vec<Span> {
    let mut parts = Vec::new();
    let mut locs = re.capture_locations();
    let (mut last, mut pos, mut must_advance) = (0, 0, false);
    while pos <= text.len() {
        let Some(m) = re.captures_read_at(&mut locs, text, pos) else {
            break;
        };
        let (start, end) = (m.start(), m.end());
        if must_advance && start == pos && end == pos {
            // Python would backtrack into a non-empty match here; `regex`
            // cannot, so retry from the next character.
            pos += text[pos..].chars().next().map_or(1, char::len_utf8);
            must_advance = false;
            continue;
        }
        parts.push(Some((last, start)));
        for g in 1..locs.len() {
            parts.push(locs.get(g));
        }
        must_advance = start == end;
        last = end;
        pos = end;
    }
    parts.push(Some((last, text.len())));
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(pattern: &str, text: &str) -> Vec<Option<String>> {
        let re = compile(pattern).unwrap();
        py_re_split(&re, text).into_iter().map(|s| s.map(|(a, b)| text[a..b].to_owned())).collect()
    }

    fn some(v: &[&str]) -> Vec<Option<String>> {
        v.iter().map(|s| Some(s.to_string())).collect()
    }

    #[test]
    fn re_split_matches_python_on_empty_matches() {
        // Expected values are Python 3.11's re.split output.
        assert_eq!(split(r"\s*", "a  b"), some(&["", "a", "", "b", ""]));
        assert_eq!(split(r"\W*", "...words..."), some(&["", "", "w", "o", "r", "d", "s", "", ""]));
        assert_eq!(split("x*", "axbxxc"), some(&["", "a", "", "b", "", "c", ""]));
        assert_eq!(split(r"\b", "ab cd"), some(&["", "ab", " ", "cd", ""]));
    }

    #[test]
    fn re_split_includes_groups_and_none() {
        let mut want = some(&["a", "1", "b"]);
        want.insert(2, None);
        assert_eq!(split("(1)|(2)", "a1b"), want);
    }

    #[test]
    fn python_classes_are_translated() {
        assert_eq!(split(r"\s", "a\x1cb"), some(&["a", "b"]));
        assert_eq!(split(r"[\s,]", "a\x1f,b"), some(&["a", "", "b"]));
        // U+0301 (a mark) is not a word character in Python.
        assert_eq!(split(r"\W", "e\u{301}x"), some(&["e", "x"]));
    }

    #[test]
    fn keep_start_puts_the_separator_first() {
        let sep = Separator::new("\n", false).unwrap();
        assert_eq!(sep.split("a\nb\n", true), ["a", "\nb", "\n"]);
        let sep = Separator::new(r"\n+", true).unwrap();
        assert_eq!(sep.split("\n\na\n\nb", true), ["\n\na", "\n\nb"]);
        assert_eq!(sep.split("\n\na\n\nb", false), ["a", "b"]);
    }
}
