//! Connecting to the database, for every command: where a URL points (for messages, never with
//! its password), and why a connection failed, in one line.

use sqlx::postgres::PgConnectOptions;

/// `database "db" at host:port` (never the password).
pub fn describe(o: &PgConnectOptions) -> String {
    let host = o.get_host();
    let place = match o.get_socket() {
        Some(dir) => format!("socket {}/.s.PGSQL.{}", dir.display(), o.get_port()),
        None if host.starts_with('/') => format!("socket {host}"),
        None => format!("{host}:{}", o.get_port()),
    };
    match o.get_database() {
        Some(db) => format!("database \"{db}\" at {place}"),
        None => format!("the database at {place}"),
    }
}

/// Why a connection attempt failed, without sqlx's wrapping.
pub fn failure_reason(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::Database(db) => db.message().to_string(),
        sqlx::Error::PoolTimedOut => "timed out".to_string(),
        other => other.to_string(),
    }
}
