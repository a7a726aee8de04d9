//! Log output: `tracing` to stderr, as text or one JSON object per line.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogLevel {
    Error,
    Warn,
    #[default]
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// Installs the global subscriber: `level` for this project's crates, warnings for the
/// libraries underneath (`RUST_LOG`, when set, replaces this filter).
pub fn init(level: LogLevel, format: LogFormat) {
    let filter = std::env::var("RUST_LOG").ok().filter(|v| !v.is_empty()).unwrap_or_else(|| {
        let l = level.as_str();
        let libs = if matches!(level, LogLevel::Error) { "error" } else { "warn" };
        format!("{libs},pgai={l},providers={l}")
    });
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::stderr().is_terminal();
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let _ = match format {
        LogFormat::Text => builder.with_target(false).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).try_init(),
    };
}
