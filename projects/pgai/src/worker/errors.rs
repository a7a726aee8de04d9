//! Recording what a worker could not do in `ai.vectorizer_errors` (`ai._vectorizer_errors` since
//! pgai 0.10), in its own transaction
//! (the failed batch has been rolled back), with any secret scrubbed out.

use serde_json::{json, Value};
use sqlx::PgConnection;

/// The message of a batch that the embedding provider failed (pgai's wording).
pub const PROVIDER_FAILED: &str = "embedding provider failed";
/// The message of a row that could not be loaded.
pub const LOADING_FAILED: &str = "loading failed";
/// The message of any other failure.
pub const VECTORIZER_FAILED: &str = "vectorizer failed with unexpected error";

/// One error to record.
#[derive(Debug, Clone)]
pub struct ErrorRecord {
    pub message: &'static str,
    pub details: Value,
}

impl ErrorRecord {
    pub fn provider(provider: &str, reason: &str, status: Option<u16>, items: usize) -> ErrorRecord {
        let mut details = json!({ "provider": provider, "error_reason": reason, "items": items });
        if let Some(status) = status {
            details["status"] = json!(status);
        }
        ErrorRecord { message: PROVIDER_FAILED, details }
    }

    /// A row the target table refused; its key went back to the queue.
    pub fn rejected(reason: &str) -> ErrorRecord {
        ErrorRecord {
            message: VECTORIZER_FAILED,
            details: json!({ "error_reason": format!("the target table refused a row, which stays queued: {reason}") }),
        }
    }

    /// A row that could not be loaded (pgai's wording and details).
    pub fn loading(loader: &str, reason: &str, retryable: bool) -> ErrorRecord {
        ErrorRecord {
            message: LOADING_FAILED,
            details: json!({ "loader": loader, "error_reason": reason, "is_retryable": retryable }),
        }
    }

    pub fn other(reason: &str) -> ErrorRecord {
        ErrorRecord { message: VECTORIZER_FAILED, details: json!({ "error_reason": reason }) }
    }
}

/// Inserts `record` for vectorizer `id`, replacing `secret` wherever it appears.
pub async fn record(
    conn: &mut PgConnection,
    id: i32,
    record: &ErrorRecord,
    secret: Option<&str>,
) -> Result<(), sqlx::Error> {
    let details = redact(&record.details, secret);
    let details = serde_json::from_str::<Value>(&details).unwrap_or(Value::Null);
    // since pgai 0.10 the table is ai._vectorizer_errors, and ai.vectorizer_errors a view over it
    let lib: bool = sqlx::query_scalar("select pg_catalog.to_regclass('ai._vectorizer_errors') is not null")
        .fetch_one(&mut *conn)
        .await?;
    let table = if lib { "ai._vectorizer_errors" } else { "ai.vectorizer_errors" };
    sqlx::query(&format!("insert into {table} (id, message, details) values ($1, $2, $3)"))
        .bind(id)
        .bind(record.message)
        .bind(details)
        .execute(conn)
        .await?;
    Ok(())
}

/// `value` as JSON text with every occurrence of `secret` (and of its JSON-escaped form)
/// replaced by `[REDACTED]`.
pub fn redact(value: &Value, secret: Option<&str>) -> String {
    let text = value.to_string();
    match secret.filter(|s| !s.is_empty()) {
        Some(secret) => {
            let escaped = serde_json::to_string(secret).unwrap_or_default();
            let escaped = escaped.trim_matches('"');
            text.replace(secret, "[REDACTED]").replace(escaped, "[REDACTED]")
        }
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_scrubbed() {
        let r = ErrorRecord::provider("openai", "HTTP 401: bad key sk-123", Some(401), 3);
        let text = redact(&r.details, Some("sk-123"));
        assert!(!text.contains("sk-123"), "{text}");
        assert!(text.contains("[REDACTED]") && text.contains("\"status\":401"), "{text}");
        let quoted = redact(&json!({"e": "k\"ey"}), Some("k\"ey"));
        assert!(!quoted.contains("ey"), "{quoted}");
    }
}
