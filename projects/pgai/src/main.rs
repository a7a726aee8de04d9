use clap::Parser;

/// pgai: embeds the rows of your PostgreSQL tables, kept in sync by vectorizer workers.
#[derive(Parser)]
#[command(version, about)]
struct Cli {}

fn main() {
    let _ = Cli::parse();
}
