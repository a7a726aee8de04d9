//! A tiny `.env` reader: `NAME=value` lines, optional `export `, `#` comments, values
//! optionally in single or double quotes. Variables already in the environment win, as with
//! python-dotenv's default.

use std::path::Path;

/// The `(name, value)` pairs of a dotenv text, in order; lines that are not assignments are
/// skipped.
pub fn parse(text: &str) -> Vec<(String, String)> {
    text.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<(String, String)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let line = line.strip_prefix("export ").unwrap_or(line);
    let (name, value) = line.split_once('=')?;
    let name = name.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let value = value.trim();
    let quoted = value.len() >= 2
        && ((value.starts_with('"') && value.ends_with('"')) || (value.starts_with('\'') && value.ends_with('\'')));
    let value = if quoted { &value[1..value.len() - 1] } else { value.split(" #").next().unwrap_or(value).trim() };
    Some((name.to_string(), value.to_string()))
}

/// Sets every variable of the dotenv file at `path` that the environment does not already
/// have; returns the names set. A missing file sets nothing.
///
/// Call it before any other thread starts (it changes the process environment).
pub fn load(path: &Path) -> std::io::Result<Vec<String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut set = Vec::new();
    for (name, value) in parse(&text) {
        if std::env::var_os(&name).is_none() {
            std::env::set_var(&name, value);
            set.push(name);
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_assignments_quotes_and_comments() {
        let text = "# keys\nA=1\nexport B = \"two words\"\nC='x#y'\nD=plain # note\n\nbad line\n=x\nA=3\nE=\n";
        let pairs = parse(text);
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(pairs, [("A", "1"), ("B", "two words"), ("C", "x#y"), ("D", "plain"), ("A", "3"), ("E", "")]);
    }
}
