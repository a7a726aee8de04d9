//! The vectorizer worker against a real PostgreSQL (the extension installed in PG_CONFIG's
//! server: `just ext install`) and fake embedding servers.

mod cli;
mod common;
mod concurrency;
mod crash;
mod crash_loop;
mod failures;
mod library;
mod local;
mod pg_faults;
mod pipeline;
mod provider_faults;
mod throttling;
