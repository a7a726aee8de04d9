//! `pgai install`: installs or upgrades the vectorizer catalog (schema `ai`: `ai.vectorizer`,
//! `ai.create_vectorizer`, ...) in any PostgreSQL 15 or later that has pgvector, as plain SQL
//! and PL/pgSQL, with no extension of its own: what managed PostgreSQL services allow.
//!
//! One transaction: the checks, every migration not applied yet, the functions and views. Two
//! installs at once run one after the other; installing the installed version again changes
//! nothing (an error with `strict`); a newer catalog is never downgraded.

pub mod script;

pub use script::CATALOG_VERSION;

use crate::connect;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor, PgConnection};
use std::str::FromStr;
use std::time::{Duration, Instant};

/// The oldest `ai` extension that can live next to the catalog: before 0.10.0 the extension
/// held the catalog itself.
pub const MIN_EXTENSION_VERSION: &str = "0.10.0";

#[derive(Debug, Clone, Default)]
pub struct InstallOptions {
    /// Fail when this version is installed already (default: nothing to do, success).
    pub strict: bool,
    /// Where to create the vector extension when the database lacks it (default: PostgreSQL's
    /// choice, the first schema of the search path).
    pub vector_extension_schema: Option<String>,
}

/// What an install did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The catalog is now at [`CATALOG_VERSION`]; `from`: the version it had, if any.
    Installed { from: Option<String>, elapsed: Duration },
    /// This version was installed already: nothing changed.
    AlreadyInstalled,
}

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("invalid database URL: {0}")]
    Url(String),
    #[error("cannot connect to {target}: {reason}")]
    Connect { target: String, reason: String },
    #[error("postgres {0} is unsupported, pgai requires postgres version 15 or greater")]
    PostgresTooOld(i32),
    #[error("vector extension not installed: {reason}")]
    NoVector { reason: String },
    #[error("The ai extension is outdated and must be upgraded. Installed version: {0}, required version: {MIN_EXTENSION_VERSION}")]
    ExtensionTooOld(String),
    #[error("the pgai library has already been installed/upgraded")]
    AlreadyInstalled,
    #[error("{0}")]
    Sql(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Installs or upgrades the catalog in the database at `url`.
pub async fn install(url: &str, options: &InstallOptions) -> Result<Outcome, InstallError> {
    let connect = PgConnectOptions::from_str(url)
        .map_err(|e| InstallError::Url(e.to_string()))?
        .application_name("pgai install")
        .log_statements(tracing::log::LevelFilter::Trace);
    let target = connect::describe(&connect);
    let mut conn = PgConnection::connect_with(&connect)
        .await
        .map_err(|e| InstallError::Connect { target: target.clone(), reason: connect::failure_reason(&e) })?;
    let started = Instant::now();

    let version: i32 =
        sqlx::query_scalar("select current_setting('server_version_num')::int / 10000").fetch_one(&mut conn).await?;
    if version < 15 {
        return Err(InstallError::PostgresTooOld(version));
    }
    let (mut conn, vector_schema) = ensure_vector(conn, options.vector_extension_schema.as_deref()).await?;
    // as pgai: a session that names an executor for the extension's ai.execute_vectorizer
    // wants the extension too
    let executor: Option<String> =
        sqlx::query_scalar("select pg_catalog.current_setting('ai.external_functions_executor_url', true)")
            .fetch_one(&mut conn)
            .await?;
    if executor.is_some_and(|u| !u.is_empty()) {
        conn.execute("create extension if not exists ai cascade").await?;
    }
    let extension: Option<String> =
        sqlx::query_scalar("select extversion from pg_catalog.pg_extension where extname = 'ai'")
            .fetch_optional(&mut conn)
            .await?;
    if let Some(v) = extension {
        if version_key(&v) < version_key(MIN_EXTENSION_VERSION) {
            return Err(InstallError::ExtensionTooOld(v));
        }
    }
    let has_catalog: bool = sqlx::query_scalar(
        "select exists (select 1 from pg_catalog.pg_class k join pg_catalog.pg_namespace n on n.oid = k.relnamespace \
         where n.nspname = 'ai' and k.relname = 'pgai_lib_version')",
    )
    .fetch_one(&mut conn)
    .await?;
    // (a role that may not read it learns why from the script's owner check)
    let from: Option<String> = if has_catalog {
        sqlx::query_scalar("select v.version from ai.pgai_lib_version v where v.name = 'ai'")
            .fetch_optional(&mut conn)
            .await
            .unwrap_or(None)
    } else {
        None
    };

    let sql = script::build(&vector_schema);
    // one transaction: the script's statements go as one simple query inside it
    conn.execute("begin").await?;
    if let Err(e) = conn.execute(sql.as_str()).await {
        let _ = conn.execute("rollback").await;
        return match e {
            sqlx::Error::Database(db)
                if db.code().as_deref() == Some("42710")
                    && db.message() == "the pgai library has already been installed/upgraded" =>
            {
                if options.strict {
                    Err(InstallError::AlreadyInstalled)
                } else {
                    Ok(Outcome::AlreadyInstalled)
                }
            }
            sqlx::Error::Database(db) => Err(InstallError::Sql(describe_db_error(db.as_ref(), &sql))),
            e => Err(e.into()),
        };
    }
    conn.execute("commit").await?;
    Ok(Outcome::Installed { from, elapsed: started.elapsed() })
}

/// The schema of the vector extension, creating the extension when the database lacks it.
/// (The connection is moved in and out: a `&mut` borrow across these awaits would make the
/// install future lose `Send`.)
async fn ensure_vector(mut conn: PgConnection, schema: Option<&str>) -> Result<(PgConnection, String), InstallError> {
    let find = "select n.nspname::text from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid = e.extnamespace where e.extname = 'vector'";
    if let Some(s) = sqlx::query_scalar::<_, String>(find).fetch_optional(&mut conn).await? {
        return Ok((conn, s));
    }
    let create = match schema {
        Some(s) => format!("create extension if not exists vector with schema {}", script::quote_ident(s)),
        None => "create extension if not exists vector".to_string(),
    };
    if let Err(e) = conn.execute(create.as_str()).await {
        let reason = match &e {
            sqlx::Error::Database(db) => format!(
                "{} (ask a superuser to run `create extension vector` in this database, or to install pgvector on the server)",
                db.message()
            ),
            other => other.to_string(),
        };
        return Err(InstallError::NoVector { reason });
    }
    match sqlx::query_scalar::<_, String>(find).fetch_optional(&mut conn).await? {
        Some(s) => Ok((conn, s)),
        None => Err(InstallError::NoVector { reason: "create extension vector left no extension".into() }),
    }
}

/// A PostgreSQL error of the script, with its detail and hint when it has them, and where in
/// the script it happened when PostgreSQL says.
fn describe_db_error(db: &dyn sqlx::error::DatabaseError, sql: &str) -> String {
    let mut s = db.message().to_string();
    if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        if let Some(d) = pg.detail() {
            s.push_str(&format!(" ({d})"));
        }
        if let Some(h) = pg.hint() {
            s.push_str(&format!("; hint: {h}"));
        }
        if let Some(sqlx::postgres::PgErrorPosition::Original(at)) = pg.position() {
            s.push_str(&format!(" [{}]", script::locate(sql, at)));
        }
        if let Some(w) = pg.r#where() {
            s.push_str(&format!(" [{}]", w.lines().last().unwrap_or(w)));
        }
    }
    s
}

/// `0.10.0` -> (0, 10, 0); a prerelease suffix (`0.10.0-dev`) is ignored.
fn version_key(v: &str) -> (u64, u64, u64) {
    let mut parts = v.split(['.', '-']).map(|p| p.parse::<u64>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::version_key;

    #[test]
    fn versions_compare_by_number() {
        assert!(version_key("0.7.2") < version_key("0.10.0"));
        assert!(version_key("0.10.0-dev") >= version_key("0.10.0"));
        assert!(version_key("0.9.12") < version_key("0.10.0"));
        assert!(version_key("1.0.0") > version_key("0.12.1"));
    }
}
