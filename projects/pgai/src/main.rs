//! `pgai`: the command line of the pgai library (see `pgai --help`).

mod cli;

use clap::Parser;
use cli::{Cli, Command, VectorizerCommand, WorkerArgs};
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Before anything else runs (it sets environment variables): the command line and the
    // environment win over .env.
    let dotenv = pgai::dotenv::load(Path::new(".env"));
    let cli = Cli::parse();
    match cli.command {
        Command::Vectorizer { command: VectorizerCommand::Worker(args) } => worker(&args, dotenv),
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
