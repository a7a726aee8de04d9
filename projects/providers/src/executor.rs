//! pgai's "external functions executor": an HTTP service that serves secrets
//! (`GET /api/v1/projects/secrets` with a `Secret-Name` header) and receives vectorizer execution
//! events (`POST` to the events path). pgai 0.7's `ai.reveal_secret` and `ai.execute_vectorizer`
//! talk to it when the setting `ai.external_functions_executor_url` names one.
//!
//! Each function makes one attempt: the caller retries transport failures
//! ([`Error::is_transport`]) itself, so that it can report every retry where its user sees it.

use crate::error::{Error, Result};
use crate::http::HttpClient;
use reqwest::Url;
use std::time::Duration;

const PROVIDER: &str = "executor";
/// The path pgai fetches secrets from; absolute, so it replaces any path of the executor URL.
pub const SECRETS_PATH: &str = "/api/v1/projects/secrets";
/// pgai's defaults for `ai.external_functions_executor_url` / `..._events_path` in execute_vectorizer.
pub const DEFAULT_URL: &str = "http://localhost:8000";
pub const DEFAULT_EVENTS_PATH: &str = "/api/v1/events";
/// httpx's default timeout, which pgai uses for these calls.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// What the executor said about a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretAnswer {
    /// 200: the member named after the secret of the JSON object answered (absent: `None`).
    Found(Option<String>),
    /// 404: the executor has no such secret.
    NotFound,
    /// Any other status, with the body to show as the error's detail.
    Failed { status: u16, body: String },
}

/// What the executor said to an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventAnswer {
    Accepted,
    Failed { status: u16, body: String },
}

/// The wait before retry `tries` (1-based) of a transport failure: "full jitter" as Python's
/// `backoff.expo`, a random wait of up to 2^(tries - 1) seconds.
pub fn backoff(tries: u32) -> Duration {
    Duration::from_secs_f64(fastrand::f64() * f64::from(1u32 << tries.saturating_sub(1).min(10)))
}

/// Waits `d` (for callers that drive retries from outside an async runtime).
pub async fn sleep(d: Duration) -> Result<()> {
    tokio::time::sleep(d).await;
    Ok(())
}

/// Python's `urljoin(base, path)`: an absolute `path` replaces the path of `base`.
pub fn endpoint(base: &str, path: &str) -> Result<Url> {
    let base = Url::parse(base).map_err(|e| {
        Error::config(PROVIDER, format!("invalid executor URL (ai.external_functions_executor_url): {e}"))
    })?;
    base.join(path).map_err(|e| Error::config(PROVIDER, format!("invalid executor path {path:?}: {e}")))
}

/// Asks the executor at `base` for the secret `name` (one attempt).
pub async fn fetch_secret(http: &HttpClient, base: &str, name: &str) -> Result<SecretAnswer> {
    let url = endpoint(base, SECRETS_PATH)?;
    let resp = http.reqwest().get(url).timeout(TIMEOUT).header("Secret-Name", name).send().await.map_err(transport)?;
    let status = resp.status().as_u16();
    let body = resp.bytes().await.map_err(transport)?;
    match status {
        200 => {
            let value: serde_json::Value = serde_json::from_slice(&body)
                .map_err(|e| Error::decode(PROVIDER, format!("the secret answer is not JSON: {e}")))?;
            Ok(SecretAnswer::Found(match value.get(name) {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(other) => Some(other.to_string()),
            }))
        }
        404 => Ok(SecretAnswer::NotFound),
        _ => Ok(SecretAnswer::Failed { status, body: String::from_utf8_lossy(&body).into_owned() }),
    }
}

/// Posts `body` as JSON to `urljoin(base, path)` (one attempt); 200 is accepted.
pub async fn post_event(http: &HttpClient, base: &str, path: &str, body: &serde_json::Value) -> Result<EventAnswer> {
    let url = endpoint(base, path)?;
    let resp = http.reqwest().post(url).timeout(TIMEOUT).json(body).send().await.map_err(transport)?;
    let status = resp.status().as_u16();
    let text = resp.bytes().await.map_err(transport)?;
    if status == 200 {
        Ok(EventAnswer::Accepted)
    } else {
        Ok(EventAnswer::Failed { status, body: String::from_utf8_lossy(&text).into_owned() })
    }
}

fn transport(e: reqwest::Error) -> Error {
    crate::http::transport_error(PROVIDER, e, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_is_pythons_urljoin() {
        let u = |b: &str, p: &str| endpoint(b, p).unwrap().to_string();
        assert_eq!(u("http://localhost:8000", SECRETS_PATH), "http://localhost:8000/api/v1/projects/secrets");
        assert_eq!(u("http://h:1/some/path", SECRETS_PATH), "http://h:1/api/v1/projects/secrets");
        assert_eq!(u("http://h:1/base/", "events"), "http://h:1/base/events");
        assert!(endpoint("not a url", SECRETS_PATH).is_err());
    }
}
