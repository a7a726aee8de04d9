//! Python `re` patterns for Rust's `regex`: pgai configs carry separators written for Python,
//! which the worker splits with and the extension validates with the same translation.

/// Rewrites the Python `re` classes whose Unicode meaning differs in `regex`:
/// Python's `\s` is `str.isspace` (adds U+001C..U+001F), its `\w` is
/// `str.isalnum` or `_` (no marks, no joiners), and its `\Z` is `regex`'s `\z`.
/// The replacements are bracket classes, which `regex` also accepts nested
/// inside a class.
pub fn translate_python(pattern: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_classes_get_their_python_meaning() {
        assert_eq!(translate_python(r"\s+"), r"[\s\x1C-\x1F]+");
        assert_eq!(translate_python(r"[\w.]\Z"), r"[[\p{L}\p{N}_].]\z");
        assert_eq!(translate_python(r"\n\n|\.\\"), r"\n\n|\.\\");
        let re = regex::Regex::new(&translate_python(r"\s")).unwrap();
        assert!(re.is_match("\u{1C}") && !re.is_match("a"));
    }
}
