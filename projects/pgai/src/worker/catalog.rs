//! Reading the vectorizer catalog (`ai.vectorizer`): what to process, where, and how.

use super::config::VectorizerConfig;
use serde::Deserialize;
use sqlx::{PgConnection, Row};

/// A schema-qualified table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub schema: String,
    pub name: String,
}

impl Table {
    /// `"schema"."name"`, quoted for SQL.
    pub fn sql(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.sql())
    }
}

/// A primary-key column of the source (and of the queue and target tables).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PkColumn {
    pub attname: String,
    pub pknum: i32,
    pub typname: String,
}

/// One vectorizer, as the worker needs it.
#[derive(Debug, Clone)]
pub struct Vectorizer {
    pub id: i32,
    pub source: Table,
    pub target: Table,
    pub queue: Table,
    /// The key columns in key order.
    pub source_pk: Vec<PkColumn>,
    /// The queue table's oid: the first half of the advisory lock key of every queued key.
    pub queue_oid: u32,
    pub config: VectorizerConfig,
}

/// A catalog row the worker cannot use, and why.
#[derive(Debug, Clone)]
pub struct Unusable {
    pub id: i32,
    pub reason: String,
}

/// What the catalog holds for the requested ids.
#[derive(Debug, Default)]
pub struct Catalog {
    pub vectorizers: Vec<Vectorizer>,
    pub unusable: Vec<Unusable>,
    /// Requested ids that do not exist.
    pub missing: Vec<i32>,
}

/// `"ident"` with embedded quotes doubled.
pub fn quote_ident(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Whether the `ai` extension's catalog exists in this database.
pub async fn is_installed(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select pg_catalog.to_regclass('ai.vectorizer') is not null").fetch_one(conn).await
}

/// The vectorizers with these ids (all when `ids` is empty), in id order.
pub async fn load(conn: &mut PgConnection, ids: &[i32]) -> Result<Catalog, sqlx::Error> {
    let filter: Option<Vec<i32>> = (!ids.is_empty()).then(|| ids.to_vec());
    let rows = sqlx::query(
        "select v.id, v.source_schema::text, v.source_table::text, v.source_pk, \
                v.target_schema::text, v.target_table::text, v.queue_schema::text, v.queue_table::text, v.config, \
                pg_catalog.to_regclass(pg_catalog.format('%I.%I', v.queue_schema, v.queue_table))::oid::int8 \
         from ai.vectorizer v \
         where $1::int4[] is null or v.id operator(pg_catalog.=) any($1) \
         order by v.id",
    )
    .bind(filter)
    .fetch_all(conn)
    .await?;
    let mut catalog = Catalog::default();
    for row in rows {
        let id: i32 = row.try_get(0)?;
        match parse_row(&row) {
            Ok(v) => catalog.vectorizers.push(v),
            Err(reason) => catalog.unusable.push(Unusable { id, reason }),
        }
    }
    catalog.missing = ids
        .iter()
        .copied()
        .filter(|id| !catalog.vectorizers.iter().any(|v| v.id == *id) && !catalog.unusable.iter().any(|u| u.id == *id))
        .collect();
    catalog.missing.dedup();
    Ok(catalog)
}

fn parse_row(row: &sqlx::postgres::PgRow) -> Result<Vectorizer, String> {
    let text = |i: usize| row.try_get::<Option<String>, _>(i).map_err(|e| e.to_string());
    let table = |i: usize, what: &str| -> Result<Table, String> {
        match (text(i)?, text(i + 1)?) {
            (Some(schema), Some(name)) => Ok(Table { schema, name }),
            _ => Err(format!("the catalog row has no {what} table")),
        }
    };
    let id: i32 = row.try_get(0).map_err(|e| e.to_string())?;
    let source = table(1, "source")?;
    let pk: serde_json::Value = row.try_get(3).map_err(|e| e.to_string())?;
    let mut source_pk: Vec<PkColumn> =
        serde_json::from_value(pk).map_err(|e| format!("source_pk is not a list of key columns: {e}"))?;
    source_pk.sort_by_key(|c| c.pknum);
    if source_pk.is_empty() {
        return Err("source_pk lists no key column".into());
    }
    let target = table(4, "target")?;
    let queue = table(6, "queue")?;
    let config: serde_json::Value = row.try_get(8).map_err(|e| e.to_string())?;
    let config: VectorizerConfig =
        serde_json::from_value(config).map_err(|e| format!("the vectorizer's config is not usable: {e}"))?;
    let queue_oid: Option<i64> = row.try_get(9).map_err(|e| e.to_string())?;
    let queue_oid = queue_oid.ok_or_else(|| format!("the queue table {queue} does not exist"))? as u32;
    Ok(Vectorizer { id, source, target, queue, source_pk, queue_oid, config })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("a"), "\"a\"");
        assert_eq!(quote_ident("we\"ird"), "\"we\"\"ird\"");
        let t = Table { schema: "ai".into(), name: "_vectorizer_q_1".into() };
        assert_eq!(t.sql(), "\"ai\".\"_vectorizer_q_1\"");
    }
}
