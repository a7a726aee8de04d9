//! The model-calling SQL functions, one module per provider. Each resolves its settings (key,
//! base URL or host), calls the providers crate through [`crate::call::call`], and returns what
//! the provider returned: jsonb as returned, `vector` for embeddings, tables for lists. `local`
//! runs sentence-transformers models inside the backend instead of calling an API.

pub mod anthropic;
pub mod cohere;
pub mod local;
pub mod ollama;
pub mod openai;
pub mod voyage;

use pgrx::datum::TimestampWithTimeZone;
use std::str::FromStr;

/// An RFC 3339 timestamp from an API as `timestamptz`; `None` when absent or unreadable.
pub fn timestamptz(s: Option<&str>) -> Option<TimestampWithTimeZone> {
    s.and_then(|s| TimestampWithTimeZone::from_str(s).ok())
}

/// Converts a jsonb argument into a serde value.
pub fn json(v: Option<pgrx::JsonB>) -> Option<serde_json::Value> {
    v.map(|j| j.0)
}
