//! Where things are: the workspace root and the PostgreSQL install to test against.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn workspace_root() -> PathBuf {
    // testkit lives at <root>/projects/testkit
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).expect("workspace root").to_path_buf()
}

/// `PG_CONFIG` from the environment, else the project-local install of `just ext setup`.
pub fn pg_config() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("PG_CONFIG") {
        return Ok(PathBuf::from(p));
    }
    let local = workspace_root().join(".pg/pgserver/pginstall/bin/pg_config");
    if local.exists() {
        return Ok(local);
    }
    bail!("no PostgreSQL found: set PG_CONFIG to a pg_config, or run `just ext setup` to install one into .pg/")
}

/// Asks pg_config for one setting (`--bindir`, `--sharedir`, `--pkglibdir`, ...).
pub fn pg_config_value(flag: &str) -> Result<PathBuf> {
    let pg_config = pg_config()?;
    let out =
        Command::new(&pg_config).arg(flag).output().with_context(|| format!("running {}", pg_config.display()))?;
    if !out.status.success() {
        bail!("{} {flag} failed: {}", pg_config.display(), String::from_utf8_lossy(&out.stderr));
    }
    Ok(PathBuf::from(String::from_utf8(out.stdout)?.trim()))
}

/// The directory extension control and script files are installed into.
pub fn extension_dir() -> Result<PathBuf> {
    Ok(pg_config_value("--sharedir")?.join("extension"))
}
