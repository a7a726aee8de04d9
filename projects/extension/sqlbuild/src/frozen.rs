//! Released incremental scripts are frozen: `sql/frozen.txt` lists each with its SHA-256, and a
//! build refuses to run when one of them changed or disappeared.

use crate::source::Sources;
use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};
use std::path::Path;

pub const FROZEN_FILE: &str = "frozen.txt";

pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// `(hash, name)` pairs in `sha256sum` format; a missing list means nothing is frozen yet.
pub fn read_list(sql_dir: &Path) -> Result<Vec<(String, String)>> {
    let path = sql_dir.join(FROZEN_FILE);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((hash, name)) = line.split_once(char::is_whitespace) else {
            bail!("{}:{}: expected `<sha256>  incremental/<file>.sql`", path.display(), i + 1);
        };
        out.push((hash.to_string(), name.trim().trim_start_matches("incremental/").to_string()));
    }
    Ok(out)
}

/// Fails when a frozen incremental script was modified or removed.
pub fn check(sources: &Sources) -> Result<()> {
    for (hash, name) in read_list(&sources.dir)? {
        let Some(file) = sources.incremental.iter().find(|f| f.name == name) else {
            bail!("incremental/{name} is listed in {FROZEN_FILE} (released) but is missing: released scripts may never be removed");
        };
        let now = sha256_hex(&file.body);
        if now != hash {
            bail!(
                "incremental/{name} was released and is frozen, but its contents changed \
                 (sha256 {hash} in {FROZEN_FILE}, now {now}); restore it and put the change in a new incremental file"
            );
        }
    }
    Ok(())
}

/// Adds every ungated incremental script not yet listed (done when a version is released).
pub fn freeze_all(sources: &Sources) -> Result<usize> {
    let mut list = read_list(&sources.dir)?;
    let mut added = 0;
    for f in sources.incremental.iter().filter(|f| f.feature_flag.is_none()) {
        if !list.iter().any(|(_, n)| n == &f.name) {
            list.push((sha256_hex(&f.body), f.name.clone()));
            added += 1;
        }
    }
    let mut text = String::from(
        "# Released incremental scripts: never edit, rename or remove them. Maintained by `just ext freeze`.\n",
    );
    for (hash, name) in &list {
        text.push_str(&format!("{hash}  incremental/{name}\n"));
    }
    std::fs::write(sources.dir.join(FROZEN_FILE), text)?;
    Ok(added)
}
