//! The `ai` PostgreSQL extension: thin pgrx glue over the `providers` crate. The SQL objects
//! (catalog, config functions, vectorizer machinery) live in `sql/`; see `sql/README.md`.

use pgrx::prelude::*;

mod call;
mod datasets;
mod executor;
mod models;
mod secrets;
mod separators;
mod vector;
mod worker;

::pgrx::pg_module_magic!(name, version);

/// This project's additions to pgai's interface live in schema `ai_extra` (created by
/// sql/incremental/003-extra.sql; declared here so pgrx can place functions in it).
#[pg_schema]
mod ai_extra {}

/// Runs when a backend loads the library: defines the extension's settings.
#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    models::local::define_settings();
    worker::init();
}

/// The version of the loaded library, to compare with `pg_extension.extversion` after an upgrade.
#[pg_extern(immutable, parallel_safe, create_or_replace, schema = "ai_extra")]
fn _library_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
