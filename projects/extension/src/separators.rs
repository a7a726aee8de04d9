//! Separator regexes are checked at configuration time with the engine the worker splits with
//! (Rust `regex`, after the worker's translation of Python's classes), not with PostgreSQL's:
//! PostgreSQL accepts lookaround and backreferences, which the worker would reject on every batch.

use pgrx::prelude::*;

/// Why the worker would reject `pattern` as a separator regex, or null when it accepts it.
#[pg_extern(immutable, parallel_safe, create_or_replace, schema = "ai_extra")]
fn _separator_regex_error(pattern: &str) -> Option<String> {
    for p in [pattern.to_string(), format!("({pattern})")] {
        if let Err(e) = regex::Regex::new(&providers::pyregex::translate_python(&p)) {
            // the regex crate's message spans several lines with a caret; keep its last line
            let msg = e.to_string();
            let last = msg.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(&msg).trim().to_string();
            return Some(last);
        }
    }
    None
}
