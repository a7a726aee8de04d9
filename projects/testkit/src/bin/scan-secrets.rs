//! The secrets scan, run by `just test` after every suite: no API key value the tests used
//! (`target/test-evidence/secrets.txt`) may appear in anything they left behind (server logs,
//! the data of every database's `ai` schema, what clients and workers were told; see
//! `testkit::evidence`). Exit status 1 names each place a key was found (the key redacted).

use std::time::{Duration, Instant};
use testkit::evidence;

fn main() {
    let dir = evidence::dir();
    wait_for_clusters(&dir, Duration::from_secs(180));
    let report = evidence::scan(&dir);
    println!(
        "secrets scan: {} secrets, {} files ({:.1} MB) of logs, ai-schema data and client messages: {} found",
        report.secrets,
        report.files,
        report.bytes as f64 / 1e6,
        report.hits.len()
    );
    if !report.hits.is_empty() {
        for h in &report.hits {
            eprintln!("  {h}");
        }
        std::process::exit(1);
    }
}

/// Clusters save their evidence when they stop (some in a watchdog after their test process
/// exits): wait until every started cluster is done.
fn wait_for_clusters(dir: &std::path::Path, limit: Duration) {
    let start = Instant::now();
    loop {
        let pending: Vec<String> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.flatten()
                    .filter_map(|e| e.file_name().to_string_lossy().strip_suffix(".started").map(str::to_string))
                    .filter(|tag| !dir.join(format!("{tag}.done")).exists())
                    .collect()
            })
            .unwrap_or_default();
        if pending.is_empty() {
            return;
        }
        if start.elapsed() > limit {
            eprintln!(
                "secrets scan: clusters still running after {limit:?} (their evidence is incomplete): {pending:?}"
            );
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}
