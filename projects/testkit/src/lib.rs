//! Test harness shared by the workspace's test suites.
//!
//! [`PgCluster`] starts a throwaway PostgreSQL from `PG_CONFIG` (as the unprivileged `postgres`
//! OS user when the tests run as root), on a free port, in a temporary directory, and removes it
//! afterwards, so tests never depend on a server someone else started.

pub mod pg;
pub mod paths;

pub use pg::{PgCluster, PgClusterBuilder};
