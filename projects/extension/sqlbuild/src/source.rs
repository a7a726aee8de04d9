//! The SQL sources: `head.sql`, `incremental/NNN-*.sql`, `idempotent/NNN-*.sql`, read and checked.

use crate::version::Version;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// Files numbered in this range are feature-flagged: built only into prerelease versions.
pub const GATED: std::ops::RangeInclusive<u32> = 900..=998;
const FLAG_PREFIX: &str = "--FEATURE-FLAG:";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlFile {
    /// File name, e.g. `001-catalog.sql`: the key recorded in `ai.migration`.
    pub name: String,
    pub number: u32,
    pub body: String,
    pub feature_flag: Option<String>,
}

#[derive(Debug)]
pub struct Sources {
    pub dir: PathBuf,
    pub head: String,
    pub incremental: Vec<SqlFile>,
    pub idempotent: Vec<SqlFile>,
    /// Released incremental scripts that versions from the given one on no longer run
    /// (`retired.txt`): they stay on disk, frozen, for the releases that ran them.
    pub retired: Vec<(String, Version)>,
}

/// The list of retired incremental scripts: `incremental/<file>.sql  <version>` per line.
pub const RETIRED_FILE: &str = "retired.txt";

impl Sources {
    pub fn load(dir: &Path) -> Result<Sources> {
        let head_path = dir.join("head.sql");
        let head = std::fs::read_to_string(&head_path).with_context(|| format!("reading {}", head_path.display()))?;
        let incremental = load_numbered(&dir.join("incremental"))?;
        let retired = read_retired(dir)?;
        for (name, _) in &retired {
            if !incremental.iter().any(|f| &f.name == name) {
                bail!("{RETIRED_FILE} retires incremental/{name}, which does not exist");
            }
        }
        Ok(Sources {
            dir: dir.to_path_buf(),
            head,
            incremental,
            idempotent: load_numbered(&dir.join("idempotent"))?,
            retired,
        })
    }

    /// Whether `file` is retired in `version` (by its number: a prerelease of the retiring
    /// version already leaves it out).
    pub fn is_retired(&self, file: &SqlFile, version: &Version) -> bool {
        self.retired.iter().any(|(name, from)| {
            name == &file.name && (version.major, version.minor, version.patch) >= (from.major, from.minor, from.patch)
        })
    }
}

fn read_retired(dir: &Path) -> Result<Vec<(String, Version)>> {
    let path = dir.join(RETIRED_FILE);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let (Some(name), Some(version), None) = (words.next(), words.next(), words.next()) else {
            bail!("{}:{}: expected `incremental/<file>.sql  <version>`", path.display(), i + 1);
        };
        out.push((name.trim_start_matches("incremental/").to_string(), Version::parse(version)?));
    }
    Ok(out)
}

fn load_numbered(dir: &Path) -> Result<Vec<SqlFile>> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading directory {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_string) else {
            continue;
        };
        if !name.ends_with(".sql") {
            continue;
        }
        let body = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        files.push(parse_file(&name, body).with_context(|| format!("in {}", path.display()))?);
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    for pair in files.windows(2) {
        if pair[0].number == pair[1].number {
            bail!("{} and {} in {} share the number {:03}", pair[0].name, pair[1].name, dir.display(), pair[0].number);
        }
    }
    Ok(files)
}

/// Checks a file's name (`NNN-lower-case-words.sql`) and its feature-flag header.
pub fn parse_file(name: &str, body: String) -> Result<SqlFile> {
    let stem = name.strip_suffix(".sql").unwrap_or(name);
    let (num, rest) = stem.split_once('-').unwrap_or((stem, ""));
    let valid_rest =
        !rest.is_empty() && rest.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if num.len() != 3 || !num.chars().all(|c| c.is_ascii_digit()) || !valid_rest {
        bail!("file name {name:?} must look like NNN-some-name.sql (three digits, lower-case words)");
    }
    let number: u32 = num.parse()?;
    let first_line = body.lines().next().unwrap_or("").trim();
    let flag = first_line.strip_prefix(FLAG_PREFIX).map(|f| f.trim().to_string());
    match (&flag, GATED.contains(&number)) {
        (None, true) => {
            bail!("{name} is numbered {number} (900-998: feature-flagged) and must start with `{FLAG_PREFIX} <name>`")
        }
        (Some(_), false) => {
            bail!("{name} has a feature-flag header but is numbered {number}; gated files are numbered 900-998")
        }
        (Some(f), true)
            if f.is_empty() || !f.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') =>
        {
            bail!("{name}: feature flag name {f:?} must be lower-case letters, digits and underscores")
        }
        _ => {}
    }
    Ok(SqlFile { name: name.to_string(), number, body, feature_flag: flag })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_flags() {
        assert!(parse_file("001-catalog.sql", "create table x();".into()).is_ok());
        assert!(parse_file("1-catalog.sql", String::new()).is_err());
        assert!(parse_file("001-Catalog.sql", String::new()).is_err());
        assert!(parse_file("001.sql", String::new()).is_err());
        let gated = parse_file("900-thing.sql", "--FEATURE-FLAG: my_flag\nselect 1;".into()).unwrap();
        assert_eq!(gated.feature_flag.as_deref(), Some("my_flag"));
        assert!(parse_file("900-thing.sql", "select 1;".into()).is_err(), "gated without header");
        assert!(parse_file("100-thing.sql", "--FEATURE-FLAG: x\n".into()).is_err(), "header below 900");
        assert!(parse_file("999-privileges.sql", "select 1;".into()).unwrap().feature_flag.is_none());
        assert!(parse_file("901-x.sql", "--FEATURE-FLAG: Bad-Name\n".into()).is_err());
    }
}
