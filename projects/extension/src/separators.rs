//! Separator regexes are checked at configuration time with the engine the worker splits with
//! (Rust `regex`, after the worker's translation of Python's classes), not with PostgreSQL's:
//! PostgreSQL accepts lookaround and backreferences, which the worker would reject on every batch.

use pgrx::prelude::*;

/// The worker's translation of Python `re` classes (pgai/src/chunking/separator.rs): `\s`, `\S`,
/// `\w`, `\W` become bracket classes and `\Z` becomes `\z`.
fn translate_python(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('s') => out.push_str(r"[\s\x1C-\x1F]"),
            Some('S') => out.push_str(r"[^\s\x1C-\x1F]"),
            Some('w') => out.push_str(r"[\p{L}\p{N}_]"),
            Some('W') => out.push_str(r"[^\p{L}\p{N}_]"),
            Some('Z') => out.push_str(r"\z"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Why the worker would reject `pattern` as a separator regex, or null when it accepts it.
#[pg_extern(immutable, parallel_safe, create_or_replace)]
fn _separator_regex_error(pattern: &str) -> Option<String> {
    for p in [pattern.to_string(), format!("({pattern})")] {
        if let Err(e) = regex::Regex::new(&translate_python(&p)) {
            // the regex crate's message spans several lines with a caret; keep its last line
            let msg = e.to_string();
            let last = msg.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(&msg).trim().to_string();
            return Some(last);
        }
    }
    None
}
