//! What the test suite leaves behind for the secrets scan (`cargo run -p testkit --bin
//! scan-secrets`, the last step of `just test`): every API key value the tests use, and
//! everything a key could leak into, collected in `target/test-evidence/`:
//!
//! - `secrets.txt`: the key values, one per line ([`secret`]; the fake providers register the
//!   keys they expect);
//! - `<cluster>.server.log`: each test cluster's server log, and `<cluster>.ai-data.sql`: the data
//!   of the `ai` schema (catalog, errors, queues, heartbeats) of each of its databases, saved when
//!   the cluster stops ([`crate::PgCluster`]);
//! - `*.client.log`: what clients were told (NOTICE, WARNING, ERROR texts; [`client_log`]) and
//!   what workers logged.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `target/test-evidence` (created on first use).
pub fn dir() -> PathBuf {
    let dir = crate::paths::workspace_root().join("target/test-evidence");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Records `value` as a secret the tests use: the scan fails if it appears in any evidence.
pub fn secret(value: &str) {
    if value.len() >= 6 {
        append("secrets.txt", &format!("{value}\n"));
    }
}

/// Appends `text` to this test process's client log.
pub fn client_log(text: &str) {
    if !text.trim().is_empty() {
        append(&format!("{}.client.log", process_tag()), text);
    }
}

/// This test process's client log, opened for appending: for a worker process's stderr, or a
/// log subscriber's writer.
pub fn client_log_file() -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir().join(format!("{}.client.log", process_tag())))
        .expect("opening the client log in target/test-evidence")
}

/// A name for this test process: its executable and pid.
pub fn process_tag() -> String {
    let exe = std::env::current_exe().ok();
    let name = exe.as_ref().and_then(|p| p.file_stem()).map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    format!("{name}-{}", std::process::id())
}

fn append(file: &str, text: &str) {
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(dir().join(file)) {
        let _ = f.write_all(text.as_bytes());
    }
}

/// What [`scan`] found.
#[derive(Debug, Default)]
pub struct ScanReport {
    pub secrets: usize,
    pub files: usize,
    pub bytes: usize,
    /// `file:line: text`, the secret replaced by `[SECRET]`.
    pub hits: Vec<String>,
}

/// Looks for every secret of `dir/secrets.txt` in the `.log` and `.sql` files of `dir`.
///
/// Two kinds of lines are the user's own SQL quoted back, not leaks, and are skipped: a server
/// log's `STATEMENT:` entries (PostgreSQL logs a failed statement's text, api_key literals
/// included: docs/models.md says so) and psql's `LINE n:` excerpts of a syntax error.
pub fn scan(dir: &Path) -> ScanReport {
    let secrets: BTreeSet<String> = std::fs::read_to_string(dir.join("secrets.txt"))
        .unwrap_or_default()
        .lines()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let mut report = ScanReport { secrets: secrets.len(), ..ScanReport::default() };
    let mut paths: Vec<PathBuf> =
        std::fs::read_dir(dir).map(|rd| rd.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    paths.sort();
    for path in paths {
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        if !(name.ends_with(".log") || name.ends_with(".sql")) {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()).into_owned();
        report.files += 1;
        report.bytes += text.len();
        let mut in_statement = false;
        for (n, line) in text.lines().enumerate() {
            if starts_log_entry(line) {
                in_statement = line.contains(" STATEMENT:  ");
            }
            if in_statement || line.starts_with("LINE ") {
                continue;
            }
            for s in secrets.iter().filter(|s| line.contains(s.as_str())) {
                report.hits.push(format!("{name}:{}: {}", n + 1, line.replace(s.as_str(), "[SECRET]")));
            }
        }
    }
    report
}

/// `2026-11-28 15:58:01.317 UTC [22656] ...`: the server log's line prefix.
fn starts_log_entry(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 24
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b' '
        && b[13] == b':'
        && b[..4].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scan_finds_a_planted_secret_and_skips_quoted_sql() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("secrets.txt"), "sk-planted-123456\n").unwrap();
        let log = "2026-11-28 15:58:01.317 UTC [1] ERROR:  bad request\n\
                   2026-11-28 15:58:01.317 UTC [1] STATEMENT:  select ai.openai_embed('m', 'x',\n\
                   \t  api_key => 'sk-planted-123456')\n\
                   2026-11-28 15:58:01.318 UTC [1] LOG:  the key is sk-planted-123456\n";
        std::fs::write(dir.path().join("c.server.log"), log).unwrap();
        std::fs::write(dir.path().join("c.client.log"), "LINE 1: select 'sk-planted-123456'\n").unwrap();
        std::fs::write(
            dir.path().join("c.ai-data.sql"),
            "COPY ai.vectorizer_errors\n1\t{\"k\": \"sk-planted-123456\"}\n",
        )
        .unwrap();
        let report = scan(dir.path());
        assert_eq!((report.secrets, report.files), (1, 3));
        assert_eq!(report.hits.len(), 2, "{:?}", report.hits);
        assert!(report.hits[0].starts_with("c.ai-data.sql:2:") && report.hits[1].starts_with("c.server.log:4:"));
        assert!(report.hits.iter().all(|h| !h.contains("sk-planted") && h.contains("[SECRET]")));
    }
}
