//! `pgai`: the command line of the pgai library (see `pgai --help`).

mod cli;

use clap::Parser;
use cli::{Cli, Command, InstallArgs, VectorizerCommand, WorkerArgs};
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Before anything else runs (it sets environment variables): the command line and the
    // environment win over .env.
    let dotenv = pgai::dotenv::load(Path::new(".env"));
    let cli = Cli::parse();
    match cli.command {
        Command::Vectorizer { command: VectorizerCommand::Worker(args) } => worker(&args, dotenv),
        Command::Install(args) => install(&args),
    }
}

fn install(args: &InstallArgs) -> ExitCode {
    pgai::logging::init(args.log_level, pgai::logging::LogFormat::Text);
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let options = pgai::install::InstallOptions {
        strict: args.strict,
        vector_extension_schema: args.vector_extension_schema.clone(),
    };
    let version = pgai::install::CATALOG_VERSION;
    match runtime.block_on(pgai::install::install(&args.db_url, &options)) {
        Ok(pgai::install::Outcome::Installed { from: Some(from), elapsed }) => {
            tracing::info!(from = %from, to = version, seconds = elapsed.as_secs_f64(), "pgai {version} installed (upgraded from {from})");
            ExitCode::SUCCESS
        }
        Ok(pgai::install::Outcome::Installed { from: None, elapsed }) => {
            tracing::info!(to = version, seconds = elapsed.as_secs_f64(), "pgai {version} installed");
            ExitCode::SUCCESS
        }
        Ok(pgai::install::Outcome::AlreadyInstalled) => {
            tracing::info!(version, "pgai {version} is installed already: nothing to do");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn worker(args: &WorkerArgs, dotenv: std::io::Result<Vec<String>>) -> ExitCode {
    pgai::logging::init(args.log_level, args.log_format);
    match dotenv {
        Ok(names) if !names.is_empty() => tracing::debug!(variables = ?names, "read .env"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot read .env"),
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let shutdown = pgai::worker::shutdown::on_signals();
        pgai::worker::run(args.options(), shutdown).await
    });
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}
