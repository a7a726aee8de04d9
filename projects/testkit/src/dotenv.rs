//! Settings for live tests: the environment first, then a `.env` file at the workspace root.

use crate::paths::workspace_root;
use std::path::Path;

/// `name` from the environment, else from `<workspace root>/.env`; empty values count as unset.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().or_else(|| from_file(&workspace_root().join(".env"), name)).filter(|v| !v.is_empty())
}

/// `name` from a dotenv file: `NAME=value` lines, optional `export `, `#` comments, values
/// optionally in single or double quotes. A missing file means no value.
pub fn from_file(path: &Path, name: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    parse(&text).into_iter().rev().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// The `(name, value)` pairs of a dotenv text, in order.
pub fn parse(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                return None;
            }
            let line = line.strip_prefix("export ").unwrap_or(line);
            let (k, v) = line.split_once('=')?;
            let v = v.trim();
            let v = if v.len() >= 2
                && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')))
            {
                &v[1..v.len() - 1]
            } else {
                v.split(" #").next().unwrap_or(v).trim()
            };
            Some((k.trim().to_string(), v.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dotenv() {
        let text = "# keys\nA=1\nexport B = \"two words\"\nC='x#y'\nD=plain # note\n\nbad line\nA=3\n";
        let pairs = parse(text);
        assert_eq!(
            pairs,
            [("A", "1"), ("B", "two words"), ("C", "x#y"), ("D", "plain"), ("A", "3")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
        );
    }
}
