//! The `ai` PostgreSQL extension: thin pgrx glue over the `providers` crate. The SQL objects
//! (catalog, config functions, vectorizer machinery) live in `sql/`; see `sql/README.md`.

use pgrx::prelude::*;

mod call;
mod datasets;
mod models;
mod secrets;
mod separators;
mod vector;
mod worker;

::pgrx::pg_module_magic!(name, version);

/// Runs when a backend loads the library: defines the extension's settings.
#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    models::local::define_settings();
    worker::init();
}

/// The version of the loaded library, to compare with `pg_extension.extversion` after an upgrade.
#[pg_extern(immutable, parallel_safe, create_or_replace)]
fn _library_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
