//! `pgai install` and the catalog it installs (pgai 0.12's interface), against a real
//! PostgreSQL with pgvector: the command's guarantees (one transaction, idempotence, owners,
//! versions, concurrency, dump and restore), the catalog's listing against pgai's, and the SQL
//! API's behaviour with pgai's messages.

mod api;
mod catalog;
mod command;
mod common;
mod extension;
mod semantic_catalog;
mod triggers;
