//! Extension versions: `MAJOR.MINOR.PATCH` with an optional prerelease tag (`0.2.0-dev`).

use anyhow::{bail, Context, Result};
use std::{cmp::Ordering, fmt, path::Path};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: Option<String>,
}

impl Version {
    pub fn parse(s: &str) -> Result<Version> {
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) => (c, Some(p.to_string())),
            None => (s, None),
        };
        let parts: Vec<&str> = core.split('.').collect();
        if parts.len() != 3 {
            bail!("version {s:?} is not MAJOR.MINOR.PATCH[-PRERELEASE]");
        }
        let num = |p: &str| p.parse::<u64>().with_context(|| format!("version {s:?}: {p:?} is not a number"));
        if let Some(p) = &pre {
            if p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric() || c == '.') {
                bail!("version {s:?}: the prerelease tag may hold only letters, digits and dots");
            }
        }
        Ok(Version { major: num(parts[0])?, minor: num(parts[1])?, patch: num(parts[2])?, pre })
    }

    /// Prerelease versions carry feature-flagged code and are never the start of an upgrade path.
    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some()
    }

    /// The version defined in the extension crate's Cargo.toml (`[package] version`): the one place it lives.
    pub fn from_cargo_toml(path: &Path) -> Result<Version> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut in_package = false;
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                in_package = line == "[package]";
            } else if in_package {
                if let Some(rest) = line.strip_prefix("version") {
                    let value = rest.trim_start().strip_prefix('=').map(str::trim).unwrap_or("");
                    return Version::parse(value.trim_matches('"'));
                }
            }
        }
        bail!("{} has no [package] version", path.display())
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some(p) = &self.pre {
            write!(f, "-{p}")?;
        }
        Ok(())
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            // a release sorts after its prereleases
            .then_with(|| match (&self.pre, &other.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.cmp(b),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders() {
        let dev = Version::parse("0.2.0-dev").unwrap();
        let rel = Version::parse("0.2.0").unwrap();
        assert!(dev.is_prerelease() && !rel.is_prerelease());
        assert!(dev < rel);
        assert!(Version::parse("0.1.9").unwrap() < dev);
        assert_eq!(dev.to_string(), "0.2.0-dev");
    }

    #[test]
    fn rejects_bad_versions() {
        for bad in ["1.0", "1.0.x", "1.0.0-", "1.0.0-a--b", "1.0.0-a b"] {
            assert!(Version::parse(bad).is_err(), "{bad} should be rejected");
        }
    }
}
