//! Property tests of the chunker and the template formatter: random texts (unicode, Python's
//! extra whitespace, separators), sizes and overlaps; they never panic, and the chunks give
//! the input back. What "give back" means, exactly (LangChain's splitters strip every chunk
//! and drop the blank ones, so whitespace is all they may lose):
//!
//! - recursive splitter (literal or group-free regex separators, kept at the start of the
//!   next piece): the chunks, whitespace removed, tile the text, whitespace removed, in order,
//!   each starting inside or right after the one before; with no overlap they concatenate to
//!   it exactly. With `""` as the last separator no chunk is longer than `chunk_size`.
//! - character splitter (the separator dropped, then re-inserted between merged pieces): the
//!   chunks, split again on the separator, give the text's non-blank pieces, whitespace
//!   removed, tiled the same way.
//!
//! Iterations are bounded (`PROPTEST_CASES` overrides the count).

use pgai::chunking::Chunker;
use pgai::formatting::{Template, TemplateError};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Python's `str.isspace`.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

fn ws_free(s: &str) -> String {
    s.chars().filter(|c| !py_space(*c)).collect()
}

/// Whether `parts`, in order, tile `whole`: the first starts at 0, each next one starts within
/// (or right after) the one before, the last ends at the end. Searched over every occurrence,
/// so repeated text cannot fool it. `exact`: no overlap allowed.
fn tiles<T: PartialEq>(whole: &[T], parts: &[Vec<T>], exact: bool) -> bool {
    if parts.is_empty() {
        return whole.is_empty();
    }
    let starts = |p: &[T]| -> Vec<usize> {
        (0..=whole.len().saturating_sub(p.len()))
            .filter(|&s| s + p.len() <= whole.len() && whole[s..s + p.len()] == *p)
            .collect()
    };
    let mut reach: Vec<(usize, usize)> =
        starts(&parts[0]).into_iter().filter(|&s| s == 0).map(|s| (s, s + parts[0].len())).collect();
    for p in &parts[1..] {
        reach = starts(p)
            .into_iter()
            .filter(|&s| reach.iter().any(|&(a, b)| if exact { s == b } else { a <= s && s <= b }))
            .map(|s| (s, s + p.len()))
            .collect();
        reach.dedup();
    }
    reach.iter().any(|&(_, b)| b == whole.len())
}

/// Text from a small alphabet rich in separators, whitespace (Python's included) and
/// multi-byte characters.
fn text() -> impl Strategy<Value = String> {
    let atoms = prop_oneof![
        4 => "[a-e]{1,6}",
        1 => Just(" ".to_string()),
        1 => Just("\n".to_string()),
        1 => Just("\n\n".to_string()),
        1 => Just(".".to_string()),
        1 => Just("!".to_string()),
        1 => Just("\t".to_string()),
        1 => Just("\u{1c}".to_string()),
        1 => Just("\u{a0}".to_string()),
        1 => Just("日本語".to_string()),
        1 => Just("é".to_string()),
        1 => Just("👍🏽".to_string()),
        1 => Just("e\u{301}".to_string()),
        1 => Just("|".to_string()),
    ];
    prop::collection::vec(atoms, 0..80).prop_map(|v| v.concat())
}

/// `(chunk_size, chunk_overlap)`, overlap from 0 up to the size itself (LangChain accepts it).
fn sizes() -> impl Strategy<Value = (i64, i64)> {
    (1i64..40).prop_flat_map(|size| (Just(size), prop_oneof![2 => Just(0i64), 3 => 0..=size]))
}

const LITERALS: &[&str] = &["\n\n", "\n", " ", ".", "!", "|", "日本", "ab", "\u{1c}"];
/// Regexes without groups or empty matches: Python's `re.split` and `regex`'s `split` agree on them.
const REGEXES: &[&str] = &[r"\s+", r"[.!]", r"\n+", r"\|", r"\d", r"[^\w\s]"];

fn config() -> Config {
    Config { cases: 400, failure_persistence: None, ..Config::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn recursive_chunks_tile_the_text(
        text in text(),
        (size, overlap) in sizes(),
        picks in prop::collection::vec(0usize..LITERALS.len(), 0..4),
        regex in any::<bool>(),
        last_empty in any::<bool>(),
    ) {
        let mut seps: Vec<String> = if regex {
            picks.iter().map(|&i| REGEXES[i % REGEXES.len()].to_string()).collect()
        } else {
            picks.iter().map(|&i| LITERALS[i].to_string()).collect()
        };
        if last_empty {
            seps.push(String::new());
        }
        let chunker = Chunker::recursive(&seps, size, overlap, regex).unwrap();
        let chunks = chunker.split(&text);
        let whole: Vec<char> = ws_free(&text).chars().collect();
        let parts: Vec<Vec<char>> = chunks.iter().map(|c| ws_free(c).chars().collect()).collect();
        let parts: Vec<Vec<char>> = parts.into_iter().filter(|p| !p.is_empty()).collect();
        prop_assert!(tiles(&whole, &parts, overlap == 0), "{seps:?} {size}/{overlap} {text:?} -> {chunks:?}");
        if last_empty || seps.is_empty() {
            for c in &chunks {
                prop_assert!(c.chars().count() <= size as usize, "{c:?} is longer than {size}");
            }
        }
        for c in &chunks {
            prop_assert!(!c.is_empty());
        }
    }

    #[test]
    fn character_chunks_give_back_the_pieces(
        text in text(),
        (size, overlap) in sizes(),
        pick in 0usize..(LITERALS.len() + REGEXES.len()),
    ) {
        let (sep, regex) = match LITERALS.get(pick) {
            Some(s) => (s.to_string(), false),
            None => (REGEXES[pick - LITERALS.len()].to_string(), true),
        };
        let chunker = Chunker::character(&sep, size, overlap, regex).unwrap();
        let chunks = chunker.split(&text);
        let pieces = |s: &str| -> Vec<String> {
            let split: Vec<&str> = if regex {
                python_regex(&sep).split(s).collect()
            } else {
                s.split(sep.as_str()).collect()
            };
            split.into_iter().map(ws_free).filter(|p| !p.is_empty()).collect()
        };
        let whole = pieces(&text);
        // Merged pieces are joined with the separator as written (for a regex: its pattern text).
        let parts: Vec<Vec<String>> = chunks
            .iter()
            .map(|c| c.split(sep.as_str()).map(ws_free).filter(|p| !p.is_empty()).collect::<Vec<_>>())
            .filter(|p| !p.is_empty())
            .collect();
        prop_assert!(tiles(&whole, &parts, overlap == 0), "{sep:?} {size}/{overlap} {text:?} -> {chunks:?}");
        for c in &chunks {
            prop_assert!(!c.is_empty() && c.trim_matches(py_space) == c, "{c:?} is blank or unstripped");
        }
    }

    #[test]
    fn any_separator_pattern_is_accepted_or_rejected_cleanly(pattern in ".{0,8}", text in text()) {
        match Chunker::recursive(&[pattern.as_str(), ""], 10, 2, true) {
            Ok(c) => {
                let _ = c.split(&text);
            }
            Err(e) => prop_assert!(e.to_string().contains("invalid separator regex"), "{e}"),
        }
        if let Ok(c) = Chunker::character(&pattern, 10, 2, true) {
            let _ = c.split(&text);
        }
    }

    #[test]
    fn any_template_parses_or_names_the_spot(template in "[a-z${}_ \n\\r\u{2028}é0-9]{0,24}") {
        match Template::parse(&template) {
            Ok(t) => {
                let rendered = t.render("CHUNK", |name| (name != "chunk").then_some("V"));
                prop_assert!(rendered.is_ok(), "{template:?}: {rendered:?}");
            }
            Err(TemplateError::InvalidPlaceholder { line, col }) => {
                prop_assert!(line >= 1 && line <= template.len() + 1 && col >= 1, "{template:?}: {line}:{col}");
            }
            Err(e) => prop_assert!(false, "{template:?}: unexpected {e}"),
        }
    }

    #[test]
    fn templates_render_what_they_are_made_of(segments in prop::collection::vec((0u8..5, "[^$]{0,6}", "[a-z_][a-z0-9_]{0,5}"), 0..8), chunk in ".{0,20}") {
        let mut template = String::new();
        let mut expected = String::new();
        for (kind, literal, name) in &segments {
            let name = if name == "chunk" { "chunk_" } else { name.as_str() };
            match kind {
                0 => {
                    template.push_str(literal);
                    expected.push_str(literal);
                }
                1 => {
                    template.push_str("$$");
                    expected.push('$');
                }
                2 => {
                    template.push_str("${chunk}");
                    expected.push_str(&chunk);
                }
                3 => {
                    template.push_str(&format!("${{{name}}}"));
                    expected.push_str(&name.to_uppercase());
                }
                _ => {
                    // A bare `$name` swallows identifier characters after it: end it with a space.
                    template.push_str(&format!("${name} "));
                    expected.push_str(&format!("{} ", name.to_uppercase()));
                }
            }
        }
        let t = Template::parse(&template).unwrap();
        let out = t.render(&chunk, |name| (name != "chunk").then(|| name.to_uppercase())).unwrap();
        prop_assert_eq!(out, expected);
    }

    #[test]
    fn escaped_text_renders_as_itself(s in ".{0,40}") {
        let t = Template::parse(&s.replace('$', "$$")).unwrap();
        prop_assert!(t.placeholders().is_empty());
        prop_assert_eq!(t.render("x", |_| None::<&str>).unwrap(), s);
    }
}

/// `pattern` as Python reads `\s` and `\w` (the chunker translates them the same way).
fn python_regex(pattern: &str) -> regex::Regex {
    let translated = pattern.replace(r"\s", r"[\s\x1C-\x1F]").replace(r"\w", r"[\p{L}\p{N}_]");
    regex::Regex::new(&translated).unwrap()
}

#[test]
fn bad_sizes_and_patterns_are_clear_errors() {
    let cases: &[(i64, i64, &str, &str)] = &[
        (0, 0, "\n", "chunk_size must be > 0, got 0"),
        (-5, 0, "\n", "chunk_size must be > 0, got -5"),
        (10, -1, "\n", "chunk_overlap must be >= 0, got -1"),
        (10, 11, "\n", "Got a larger chunk overlap (11) than chunk size (10), should be smaller."),
        (10, 0, "(", "invalid separator regex \"(\""),
        (10, 0, "[a-", "invalid separator regex \"[a-\""),
        (10, 0, "(?<=x)", "no lookaround"),
        (10, 0, r"(a)\1", "invalid separator regex"),
    ];
    for &(size, overlap, sep, want) in cases {
        for err in [
            Chunker::character(sep, size, overlap, true).unwrap_err(),
            Chunker::recursive(&[sep], size, overlap, true).unwrap_err(),
        ] {
            assert!(err.to_string().contains(want), "{size}/{overlap} {sep:?}: {err}");
        }
    }
    // Huge sizes are fine (no allocation by size).
    let c = Chunker::recursive(&["\n"], i64::MAX, i64::MAX - 1, false).unwrap();
    assert_eq!(c.split("a\nb"), ["a\nb"]);
}
