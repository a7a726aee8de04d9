//! The one error type of this crate.
//!
//! An [`Error`] keeps the provider's name, the HTTP status when there was one, and the
//! provider's own error message (parsed from its error body). It never holds an API key:
//! messages built from a request that carried a key are scrubbed with [`Error::redact`]
//! before they are stored, so `Display` and `Debug` are safe to log and to show in SQL errors.

use std::fmt;
use std::time::Duration;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The provider answered with a non-success HTTP status.
    Http { status: u16 },
    /// No connection, or the connection broke before a full answer arrived.
    Connect,
    /// The connect or request timeout elapsed.
    Timeout,
    /// The answer was not the JSON we expected (malformed, or of the wrong shape).
    Decode,
    /// The caller cancelled the request (see [`crate::blocking::run`]).
    Cancelled,
    /// A bad argument: a missing key, an unknown model, an invalid URL...
    Config,
}

/// An error from a model provider or from our use of it.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub struct Error {
    provider: &'static str,
    kind: ErrorKind,
    message: String,
    /// How long the provider asked us to wait (Retry-After), for callers that retry themselves.
    retry_after: Option<Duration>,
}

/// The longest provider message (or body excerpt) kept in an error.
const MAX_MESSAGE: usize = 1000;

impl Error {
    pub fn new(provider: &'static str, kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { provider, kind, message: truncate(message.into(), MAX_MESSAGE), retry_after: None }
    }

    /// An HTTP error whose message is taken from the provider's error body.
    pub fn http(provider: &'static str, status: u16, body: &[u8]) -> Self {
        Error::new(provider, ErrorKind::Http { status }, provider_message(body))
    }

    /// [`Error::http`] for a request that carried `secret`: the body is scrubbed before the
    /// message is cut to length, so not even part of the key can remain.
    pub fn http_redacted(provider: &'static str, status: u16, body: &[u8], secret: Option<&str>) -> Self {
        let body = redact_str(&String::from_utf8_lossy(body), secret);
        Error::http(provider, status, body.as_bytes())
    }

    pub fn connect(provider: &'static str, message: impl Into<String>) -> Self {
        Error::new(provider, ErrorKind::Connect, message)
    }

    pub fn timeout(provider: &'static str, message: impl Into<String>) -> Self {
        Error::new(provider, ErrorKind::Timeout, message)
    }

    pub fn decode(provider: &'static str, message: impl Into<String>) -> Self {
        Error::new(provider, ErrorKind::Decode, message)
    }

    pub fn cancelled(provider: &'static str) -> Self {
        Error::new(provider, ErrorKind::Cancelled, "request cancelled")
    }

    pub fn config(provider: &'static str, message: impl Into<String>) -> Self {
        Error::new(provider, ErrorKind::Config, message)
    }

    /// Replaces every occurrence of `secret` in the message (no-op for empty secrets). The
    /// message may already have been cut to length: build errors from text scrubbed with
    /// [`redact_str`] where a secret could be in it.
    pub fn redact(mut self, secret: Option<&str>) -> Self {
        self.message = redact_str(&self.message, secret);
        self
    }

    pub(crate) fn with_retry_after(mut self, wait: Option<Duration>) -> Self {
        self.retry_after = wait;
        self
    }

    /// The provider's name: `openai`, `ollama`, `anthropic`, `cohere`, `voyageai` (or `""`).
    pub fn provider(&self) -> &'static str {
        self.provider
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The HTTP status, for [`ErrorKind::Http`].
    pub fn status(&self) -> Option<u16> {
        match self.kind {
            ErrorKind::Http { status } => Some(status),
            _ => None,
        }
    }

    /// The provider's error message (or what went wrong on our side).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The wait the provider asked for in its last answer (`Retry-After`), if any.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Whether trying again later may succeed: 408, 409, 429, 5xx, connection errors, timeouts.
    pub fn is_retryable(&self) -> bool {
        match self.kind {
            ErrorKind::Http { status } => is_retryable_status(status),
            ErrorKind::Connect | ErrorKind::Timeout => true,
            ErrorKind::Decode | ErrorKind::Cancelled | ErrorKind::Config => false,
        }
    }

    /// Whether no answer arrived at all (no connection, a broken one, a timeout).
    pub fn is_transport(&self) -> bool {
        matches!(self.kind, ErrorKind::Connect | ErrorKind::Timeout)
    }

    pub fn is_cancelled(&self) -> bool {
        self.kind == ErrorKind::Cancelled
    }
}

pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || status >= 500
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.provider.is_empty() {
            write!(f, "{}: ", self.provider)?;
        }
        match self.kind {
            ErrorKind::Http { status } => write!(f, "HTTP {status}: {}", self.message),
            ErrorKind::Connect => write!(f, "connection failed: {}", self.message),
            ErrorKind::Timeout => write!(f, "timed out: {}", self.message),
            ErrorKind::Decode => write!(f, "unexpected response: {}", self.message),
            ErrorKind::Cancelled | ErrorKind::Config => f.write_str(&self.message),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("provider", &self.provider)
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("retry_after", &self.retry_after)
            .finish()
    }
}

/// Extracts the human-readable message from a provider's error body. Known shapes:
/// `{"error":{"message":..}}` (OpenAI, Anthropic), `{"message":..}` (Cohere),
/// `{"error":".."}` (Ollama), `{"detail":..}` (Voyage AI); otherwise the body, truncated.
pub fn provider_message(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        let found = v
            .pointer("/error/message")
            .or_else(|| v.get("message"))
            .or_else(|| v.get("error"))
            .or_else(|| v.get("detail"));
        match found {
            Some(serde_json::Value::String(s)) => return truncate(s.clone(), MAX_MESSAGE),
            Some(serde_json::Value::Null) | None => {}
            Some(other) => return truncate(other.to_string(), MAX_MESSAGE),
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        "(empty response body)".to_string()
    } else {
        truncate(text.to_string(), 300)
    }
}

/// `text` with every occurrence of `secret` replaced by `[REDACTED]`.
pub fn redact_str(text: &str, secret: Option<&str>) -> String {
    match secret.filter(|s| !s.is_empty()) {
        Some(secret) if text.contains(secret) => text.replace(secret, "[REDACTED]"),
        _ => text.to_string(),
    }
}

/// Cuts `s` to at most `max` bytes on a character boundary, marking the cut.
pub(crate) fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_shapes() {
        assert_eq!(provider_message(br#"{"error":{"message":"bad key","type":"x"}}"#), "bad key");
        assert_eq!(
            provider_message(
                br#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#
            ),
            "invalid x-api-key"
        );
        assert_eq!(provider_message(br#"{"message":"invalid api token"}"#), "invalid api token");
        assert_eq!(provider_message(br#"{"error":"model not found"}"#), "model not found");
        assert_eq!(provider_message(br#"{"detail":"Provided API key is invalid."}"#), "Provided API key is invalid.");
        assert_eq!(provider_message(b"<html>Bad Gateway</html>"), "<html>Bad Gateway</html>");
        assert_eq!(provider_message(b""), "(empty response body)");
        let long = "é".repeat(1000);
        let m = provider_message(long.as_bytes());
        assert!(m.len() <= 304 && m.ends_with('…'));
    }

    #[test]
    fn display_and_redaction() {
        let e = Error::http("openai", 401, br#"{"error":{"message":"Incorrect API key provided: sk-secret-1"}}"#)
            .redact(Some("sk-secret-1"));
        assert_eq!(e.to_string(), "openai: HTTP 401: Incorrect API key provided: [REDACTED]");
        assert_eq!(e.status(), Some(401));
        assert!(!format!("{e:?}").contains("sk-secret-1"));
        assert!(!e.is_retryable());
        assert!(Error::http("x", 503, b"").is_retryable());
        assert!(Error::http("x", 429, b"").is_retryable());
        assert_eq!(Error::cancelled("").to_string(), "request cancelled");

        // A key cut by the length limit is scrubbed before the cut.
        let key = "sk-0123456789abcdef";
        let body = format!("{}{key}", "x".repeat(MAX_MESSAGE - 5));
        let e = Error::http_redacted("openai", 400, body.as_bytes(), Some(key));
        assert!(!e.message().contains("sk-01"), "{e}");
    }
}
