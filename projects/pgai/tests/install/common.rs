//! A fresh database per test, owned by a role of its own (as on a managed service, where the
//! installing user is no superuser), and ways to run SQL as that role or as the superuser.

use pgai::install::{InstallError, InstallOptions, Outcome};
use sqlx::{ConnectOptions, PgConnection};
use std::sync::atomic::{AtomicUsize, Ordering};
use testkit::PgCluster;

static ROLE: AtomicUsize = AtomicUsize::new(0);

pub struct Db {
    pub name: String,
    /// The database's owner: a login role without superuser.
    pub owner: String,
}

impl Db {
    /// A database owned by a new non-superuser role, with pgvector (which only a superuser may
    /// create) but no catalog.
    pub async fn new(prefix: &str) -> Db {
        let db = Db::bare(prefix).await;
        db.superuser("create extension vector").await;
        db
    }

    /// The same without pgvector.
    pub async fn bare(prefix: &str) -> Db {
        let cluster = PgCluster::shared();
        let owner = format!("{prefix}_owner_{}_{}", std::process::id(), ROLE.fetch_add(1, Ordering::SeqCst));
        let name = cluster.create_db(prefix).await.expect("creating a database");
        let mut admin = admin("postgres").await;
        sqlx::raw_sql(&format!("create role \"{owner}\" login; alter database \"{name}\" owner to \"{owner}\""))
            .execute(&mut admin)
            .await
            .unwrap();
        Db { name, owner }
    }

    pub fn url_as(&self, role: &str) -> String {
        format!("postgres://{role}@127.0.0.1:{}/{}", port(), self.name)
    }

    pub fn url(&self) -> String {
        self.url_as(&self.owner)
    }

    pub async fn install(&self) -> Result<Outcome, InstallError> {
        pgai::install::install(&self.url(), &InstallOptions::default()).await
    }

    pub async fn installed(&self) -> &Self {
        self.install().await.expect("pgai install");
        self
    }

    /// A connection as `role`.
    pub async fn conn_as(&self, role: &str) -> PgConnection {
        PgCluster::shared()
            .connect_options(&self.name)
            .username(role)
            .connect()
            .await
            .unwrap_or_else(|e| panic!("connecting as {role}: {e}"))
    }

    /// Runs `sql` as the owner; the first column of the first row as text ("" when none).
    pub async fn q(&self, sql: &str) -> String {
        self.q_as(&self.owner, sql).await
    }

    pub async fn q_as(&self, role: &str, sql: &str) -> String {
        match self.try_as(role, sql).await {
            Ok(v) => v,
            Err(e) => panic!("{sql}\nas {role}: {e}"),
        }
    }

    /// Runs `sql` as the owner and returns its error message; panics if it succeeds.
    pub async fn err(&self, sql: &str) -> String {
        self.err_as(&self.owner, sql).await
    }

    pub async fn err_as(&self, role: &str, sql: &str) -> String {
        match self.try_as(role, sql).await {
            Ok(v) => panic!("{sql}\nas {role} succeeded ({v:?}); an error was expected"),
            Err(e) => e,
        }
    }

    pub async fn try_as(&self, role: &str, sql: &str) -> Result<String, String> {
        let mut c = self.conn_as(role).await;
        text_of(&mut c, sql).await
    }

    pub async fn superuser(&self, sql: &str) -> String {
        let mut c = admin(&self.name).await;
        text_of(&mut c, sql).await.unwrap_or_else(|e| panic!("{sql}\nas the superuser: {e}"))
    }
}

/// Runs the statements of `sql` (simple protocol: values come as text) and returns the first
/// column of the first row any of them returned, as text ("" for none or NULL).
pub async fn text_of(c: &mut PgConnection, sql: &str) -> Result<String, String> {
    use sqlx::Row;
    match sqlx::raw_sql(sql).fetch_all(&mut *c).await {
        Ok(rows) => Ok(rows
            .first()
            .and_then(|r| r.try_get_unchecked::<Option<String>, _>(0).ok().flatten())
            .unwrap_or_default()),
        Err(sqlx::Error::Database(db)) => Err(db.message().to_string()),
        Err(e) => Err(e.to_string()),
    }
}

pub async fn admin(db: &str) -> PgConnection {
    PgCluster::shared().connect_options(db).connect().await.expect("connecting as the superuser")
}

pub fn port() -> u16 {
    PgCluster::shared().connect_options("postgres").get_port()
}

/// A new login role (no superuser), with a unique name.
pub async fn role(prefix: &str) -> String {
    let name = format!("{prefix}_{}_{}", std::process::id(), ROLE.fetch_add(1, Ordering::SeqCst));
    let mut admin = admin("postgres").await;
    sqlx::raw_sql(&format!("create role \"{name}\" login")).execute(&mut admin).await.unwrap();
    name
}
