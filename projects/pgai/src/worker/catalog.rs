//! Reading the vectorizer catalog (`ai.vectorizer`): what to process, where, and how.

use super::config::{DestinationConfig, VectorizerConfig};
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

/// Where a vectorizer's embeddings go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A table of chunks (pgai 0.7's only kind).
    Table(Table),
    /// A vector column of the source table itself: one embedding per row.
    Column(String),
}

/// One vectorizer, as the worker needs it: pgai 0.7's catalog row (the extension's) or 0.10's
/// and later (`pgai install`'s), made alike.
#[derive(Debug, Clone)]
pub struct Vectorizer {
    pub id: i32,
    pub source: Table,
    pub destination: Destination,
    pub queue: Table,
    /// The failed queue, where keys go whose loading failed too often (0.10 and later).
    pub queue_failed: Option<Table>,
    /// The key columns in key order.
    pub source_pk: Vec<PkColumn>,
    /// The queue table's oid: the first half of the advisory lock key of every queued key.
    pub queue_oid: u32,
    pub config: VectorizerConfig,
    /// The source column the worker loads: text, bytes, or a document's URI.
    pub source_column: String,
    /// That column is bytea (anything else is read as text).
    pub source_is_bytea: bool,
    /// A column destination's type (`vector(768)`, schema-qualified where needed).
    pub embedding_type: Option<String>,
    /// The catalog is 0.10's or later: queue rows count loading retries, and vectorizers can
    /// be disabled.
    pub lib_layout: bool,
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
    // the whole row as json: the two layouts have different columns
    let rows = sqlx::query(
        "select v.id, pg_catalog.to_jsonb(v), \
                pg_catalog.to_regclass(pg_catalog.format('%I.%I', v.queue_schema, v.queue_table))::oid::int8, \
                (select a.atttypid operator(pg_catalog.=) 'pg_catalog.bytea'::pg_catalog.regtype from pg_catalog.pg_attribute a \
                 where a.attrelid operator(pg_catalog.=) pg_catalog.to_regclass(pg_catalog.format('%I.%I', v.source_schema, v.source_table)) \
                   and a.attname operator(pg_catalog.=) coalesce(v.config operator(pg_catalog.#>>) '{loading,column_name}', v.config operator(pg_catalog.#>>) '{chunking,chunk_column}')), \
                (select pg_catalog.format_type(a.atttypid, a.atttypmod) from pg_catalog.pg_attribute a \
                 where a.attrelid operator(pg_catalog.=) pg_catalog.to_regclass(pg_catalog.format('%I.%I', v.source_schema, v.source_table)) \
                   and a.attname operator(pg_catalog.=) (v.config operator(pg_catalog.#>>) '{destination,embedding_column}')) \
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
        let json: serde_json::Value = row.try_get(1)?;
        let queue_oid: Option<i64> = row.try_get(2)?;
        let bytea: Option<bool> = row.try_get(3)?;
        let embedding_type: Option<String> = row.try_get(4)?;
        match parse_row(id, json, queue_oid) {
            Ok(mut v) => {
                v.source_is_bytea = bytea.unwrap_or(false);
                v.embedding_type = embedding_type;
                catalog.vectorizers.push(v)
            }
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

/// A catalog row (`to_jsonb(ai.vectorizer)`) as the worker needs it.
pub fn parse_row(id: i32, row: serde_json::Value, queue_oid: Option<i64>) -> Result<Vectorizer, String> {
    let text = |key: &str| row.get(key).and_then(|v| v.as_str()).map(String::from);
    let table = |schema: &str, name: &str, what: &str| -> Result<Table, String> {
        match (text(schema), text(name)) {
            (Some(schema), Some(name)) => Ok(Table { schema, name }),
            _ => Err(format!("the catalog row has no {what} table")),
        }
    };
    let source = table("source_schema", "source_table", "source")?;
    let pk = row.get("source_pk").cloned().unwrap_or_default();
    let mut source_pk: Vec<PkColumn> =
        serde_json::from_value(pk).map_err(|e| format!("source_pk is not a list of key columns: {e}"))?;
    source_pk.sort_by_key(|c| c.pknum);
    if source_pk.is_empty() {
        return Err("source_pk lists no key column".into());
    }
    let queue = table("queue_schema", "queue_table", "queue")?;
    let config = row.get("config").cloned().unwrap_or_default();
    let config: VectorizerConfig =
        serde_json::from_value(config).map_err(|e| format!("the vectorizer's config is not usable: {e}"))?;
    let destination = match &config.destination {
        Some(DestinationConfig::Table { target_schema, target_table }) => {
            Destination::Table(Table { schema: target_schema.clone(), name: target_table.clone() })
        }
        Some(DestinationConfig::Column { embedding_column }) => Destination::Column(embedding_column.clone()),
        None => Destination::Table(table("target_schema", "target_table", "target")?),
    };
    let source_column = match (&config.loading, config.chunking.chunk_column()) {
        (Some(loading), _) => loading.column().to_string(),
        (None, Some(column)) => column.to_string(),
        (None, None) => return Err("the config names no column to embed (no loading, no chunking.chunk_column)".into()),
    };
    let queue_failed = text("queue_failed_table").map(|name| Table { schema: queue.schema.clone(), name });
    let queue_oid = queue_oid.ok_or_else(|| format!("the queue table {queue} does not exist"))? as u32;
    let lib_layout = row.get("disabled").is_some();
    Ok(Vectorizer {
        id,
        source,
        destination,
        queue,
        queue_failed,
        source_pk,
        queue_oid,
        config,
        source_column,
        source_is_bytea: false,
        embedding_type: None,
        lib_layout,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_layouts_of_the_catalog_row() {
        let v07 = serde_json::json!({
            "id": 1, "source_schema": "public", "source_table": "docs", "target_schema": "public",
            "target_table": "docs_embedding_store", "view_schema": "public", "view_name": "docs_embedding",
            "queue_schema": "ai", "queue_table": "_vectorizer_q_1", "trigger_name": "_vectorizer_src_trg_1",
            "source_pk": [{"attnum": 1, "pknum": 1, "attname": "id", "typname": "int4"}],
            "config": {"embedding": {"implementation": "openai", "model": "m", "dimensions": 3},
                       "chunking": {"implementation": "character_text_splitter", "chunk_column": "body"}}
        });
        let v = parse_row(1, v07, Some(42)).unwrap();
        assert_eq!(
            v.destination,
            Destination::Table(Table { schema: "public".into(), name: "docs_embedding_store".into() })
        );
        assert_eq!((v.source_column.as_str(), v.lib_layout, v.queue_failed.is_none()), ("body", false, true));
        let v012 = serde_json::json!({
            "id": 2, "name": "notes_e", "source_schema": "public", "source_table": "notes", "disabled": false,
            "queue_schema": "ai", "queue_table": "_vectorizer_q_2", "queue_failed_table": "_vectorizer_q_failed_2",
            "trigger_name": "_vectorizer_src_trg_2",
            "source_pk": [{"attnum": 1, "pknum": 1, "attname": "id", "typname": "integer"}],
            "config": {"embedding": {"implementation": "openai", "model": "m", "dimensions": 3},
                       "loading": {"implementation": "column", "column_name": "doc", "retries": 6},
                       "chunking": {"implementation": "none"},
                       "destination": {"implementation": "column", "embedding_column": "e"}}
        });
        let v = parse_row(2, v012, Some(43)).unwrap();
        assert_eq!(v.destination, Destination::Column("e".into()));
        assert_eq!((v.source_column.as_str(), v.lib_layout), ("doc", true));
        assert_eq!(v.queue_failed.unwrap().sql(), "\"ai\".\"_vectorizer_q_failed_2\"");
        assert!(parse_row(3, serde_json::json!({"source_schema": "s"}), Some(1)).is_err());
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("a"), "\"a\"");
        assert_eq!(quote_ident("we\"ird"), "\"we\"\"ird\"");
        let t = Table { schema: "ai".into(), name: "_vectorizer_q_1".into() };
        assert_eq!(t.sql(), "\"ai\".\"_vectorizer_q_1\"");
    }
}
