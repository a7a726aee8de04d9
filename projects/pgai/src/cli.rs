//! The command line: `pgai vectorizer worker [OPTIONS]`. Every option can also be set with
//! an environment variable `PGAI_VECTORIZER_WORKER_<NAME>` (or in a `.env` file in the
//! working directory); the command line wins.

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Parser, Subcommand};
use pgai::logging::{LogFormat, LogLevel};
use std::time::Duration;

/// pgai: embeds the rows of your PostgreSQL tables and keeps the embeddings in sync.
#[derive(Debug, Parser)]
#[command(name = "pgai", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Install or upgrade the vectorizer catalog (schema ai) in a database that has pgvector
    #[command(long_about = INSTALL_ABOUT)]
    Install(InstallArgs),
    /// Work with vectorizers (created in the database with ai.create_vectorizer)
    Vectorizer {
        #[command(subcommand)]
        command: VectorizerCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum VectorizerCommand {
    /// Run a vectorizer worker: embed the rows queued by the vectorizers of a database
    #[command(long_about = WORKER_ABOUT)]
    Worker(WorkerArgs),
}

const INSTALL_ABOUT: &str = "\
Install or upgrade the vectorizer catalog in a database: schema ai with ai.create_vectorizer and
everything around it (pgai 0.12's interface), as plain SQL and PL/pgSQL. It needs PostgreSQL 15
or later with pgvector, and no extension of its own: it works on managed PostgreSQL services
(RDS, Cloud SQL, Azure, Supabase, Neon) that only allow their own list of extensions. Then run
`pgai vectorizer worker` anywhere to embed what the vectorizers queue.

Run it as the database's owner (or the role that installed the catalog): the catalog belongs to
that role. The vector extension is created when missing and the role may create it.

Everything happens in one transaction. Installing the same version again changes nothing
(exit 0; with --strict, exit 1); an older pgai never downgrades a newer catalog; two installs at
once run one after the other.

Exit status: 0 when the catalog is at this version, 1 on an error, 2 on a usage error.";

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// PostgreSQL connection URL of the database to install into
    #[arg(short = 'd', long, env = "PGAI_DB_URL", default_value = pgai::worker::DEFAULT_DB_URL,
          hide_env_values = true, value_name = "URL")]
    pub db_url: String,

    /// Fail (exit 1) when this version is installed already
    #[arg(long)]
    pub strict: bool,

    /// The schema to create the vector extension in, when the database lacks it
    #[arg(long, value_name = "SCHEMA")]
    pub vector_extension_schema: Option<String>,

    /// Log level
    #[arg(long, env = "PGAI_LOG_LEVEL", value_enum, ignore_case = true, default_value = "info")]
    pub log_level: LogLevel,
}

const WORKER_ABOUT: &str = "\
Run a vectorizer worker: embed the rows queued by the vectorizers of a database.

For each vectorizer (all, or those given with -i), the worker takes batches of keys from its
queue, reads the rows, splits them into chunks, formats and embeds the chunks through the
configured model API, and writes them to the vectorizer's target table, one transaction per
batch. Any number of workers may share a database: a key is never processed by two workers at
once, and a worker that stops or crashes loses nothing (its batch returns to the queue).

API keys are read from the worker's environment (the variable named by the embedding's
api_key_name, e.g. OPENAI_API_KEY), else from the database (ai.reveal_secret).

Every option can also be set by an environment variable PGAI_VECTORIZER_WORKER_<OPTION>
(e.g. PGAI_VECTORIZER_WORKER_DB_URL); a .env file in the working directory is read too.

Exit status: 0 when done (or stopped by SIGINT/SIGTERM after finishing the batches in
flight), 1 on an error, 2 on a usage error.";

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// PostgreSQL connection URL of the database holding the vectorizers
    #[arg(
        short = 'd',
        long,
        env = "PGAI_VECTORIZER_WORKER_DB_URL",
        default_value = pgai::worker::DEFAULT_DB_URL,
        hide_env_values = true,
        value_name = "URL"
    )]
    pub db_url: String,

    /// Process only this vectorizer (repeat for several; default: all). The environment
    /// variable takes a comma-separated list
    #[arg(
        short = 'i',
        long = "vectorizer-id",
        env = "PGAI_VECTORIZER_WORKER_VECTORIZER_ID",
        value_delimiter = ',',
        value_name = "ID"
    )]
    pub vectorizer_ids: Vec<i32>,

    /// Concurrent batch loops per vectorizer (default: the vectorizer's processing.concurrency,
    /// else 1). Each loop already keeps several batches in flight, as many as the provider keeps
    /// up with: the default needs no tuning
    #[arg(short = 'c', long, env = "PGAI_VECTORIZER_WORKER_CONCURRENCY", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub concurrency: Option<u32>,

    /// Log level
    #[arg(long, env = "PGAI_VECTORIZER_WORKER_LOG_LEVEL", value_enum, ignore_case = true, default_value = "info")]
    pub log_level: LogLevel,

    /// Log format: text, or one JSON object per line
    #[arg(long, env = "PGAI_VECTORIZER_WORKER_LOG_FORMAT", value_enum, ignore_case = true, default_value = "text")]
    pub log_format: LogFormat,

    /// How long to sleep between polls when the queues are empty: 30s, 5m, 1h, or seconds
    #[arg(long, env = "PGAI_VECTORIZER_WORKER_POLL_INTERVAL", default_value = "5m", value_name = "DURATION",
          value_parser = parse_duration)]
    pub poll_interval: Duration,

    /// Process everything queued, then exit (implies --exit-on-error)
    #[arg(long, env = "PGAI_VECTORIZER_WORKER_ONCE", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub once: bool,

    /// Exit with status 1 at the first error instead of logging it and trying again later
    #[arg(long, env = "PGAI_VECTORIZER_WORKER_EXIT_ON_ERROR", action = ArgAction::SetTrue,
          value_parser = BoolishValueParser::new())]
    pub exit_on_error: bool,

    /// The worker's name: its connections' application_name, and who is named in
    /// ai_extra.vectorizer_worker_status's heartbeat
    #[arg(long, env = "PGAI_VECTORIZER_WORKER_NAME", default_value = pgai::worker::DEFAULT_NAME, value_name = "NAME")]
    pub name: String,

    /// At most this many requests a minute to each provider endpoint and key, shared with
    /// every worker on every host that uses the same database (a vectorizer's
    /// processing.requests_per_minute may set a lower one)
    #[arg(long, env = "PGAI_VECTORIZER_WORKER_REQUESTS_PER_MINUTE", value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub requests_per_minute: Option<u64>,

    /// At most this many tokens a minute to each provider endpoint and key, shared likewise
    #[arg(long, env = "PGAI_VECTORIZER_WORKER_TOKENS_PER_MINUTE", value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub tokens_per_minute: Option<u64>,

    /// Set by the extension's in-database worker: it runs with the server's environment, so no
    /// API key goes to a base_url named by a vectorizer of pgai install's catalog
    #[arg(long, env = "PGAI_VECTORIZER_WORKER_IN_DATABASE", hide = true, action = ArgAction::SetTrue,
          value_parser = BoolishValueParser::new())]
    pub in_database: bool,

    /// Keep the embedding of a chunk whose text did not change (default: true); false embeds
    /// every queued row again whole
    #[arg(long, env = "PGAI_VECTORIZER_WORKER_REUSE_EMBEDDINGS", default_value = "true", value_name = "BOOL",
          value_parser = BoolishValueParser::new(), action = ArgAction::Set)]
    pub reuse_embeddings: bool,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    pgai::duration::parse(s)
}

impl WorkerArgs {
    pub fn options(&self) -> pgai::worker::WorkerOptions {
        let mut o = pgai::worker::WorkerOptions::new(self.db_url.clone());
        o.vectorizer_ids = self.vectorizer_ids.clone();
        o.concurrency = self.concurrency.map(|c| c as usize);
        o.reuse_embeddings = self.reuse_embeddings;
        o.in_database = self.in_database;
        o.limits = pgai::worker::throttle::Limits {
            requests_per_minute: self.requests_per_minute.map(|r| r as f64),
            tokens_per_minute: self.tokens_per_minute.map(|t| t as f64),
        };
        o.poll_interval = self.poll_interval;
        o.once = self.once;
        o.exit_on_error = self.exit_on_error || self.once;
        o.name = self.name.clone();
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_worker_options() {
        let cli = Cli::try_parse_from([
            "pgai",
            "vectorizer",
            "worker",
            "-d",
            "postgres://x@h/db",
            "-i",
            "1",
            "-i",
            "3",
            "-c",
            "4",
            "--once",
            "--poll-interval",
            "30s",
            "--log-level",
            "DEBUG",
            "--log-format",
            "json",
        ])
        .unwrap();
        let Command::Vectorizer { command: VectorizerCommand::Worker(args) } = cli.command else {
            panic!("not worker")
        };
        let o = args.options();
        assert_eq!(o.db_url, "postgres://x@h/db");
        assert_eq!(o.vectorizer_ids, [1, 3]);
        assert_eq!(o.concurrency, Some(4));
        assert!(o.once && o.exit_on_error);
        assert_eq!(o.poll_interval, Duration::from_secs(30));
        assert_eq!(args.log_level, LogLevel::Debug);
        assert_eq!(args.log_format, LogFormat::Json);
    }

    #[test]
    fn rejects_bad_values() {
        for bad in [
            &["pgai", "vectorizer", "worker", "-c", "0"][..],
            &["pgai", "vectorizer", "worker", "--poll-interval", "soon"],
            &["pgai", "vectorizer", "worker", "-i", "x"],
            &["pgai", "vectorizer", "worker", "--log-format", "xml"],
            &["pgai", "vectorizer", "worker", "--bogus"],
        ] {
            let err = Cli::try_parse_from(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad:?}");
        }
    }
}
