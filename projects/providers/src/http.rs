//! The shared HTTP client: connection pooling, timeouts, retries with backoff.
//!
//! Every provider sends its requests through an [`HttpClient`]. By default that is
//! [`HttpClient::shared`], one `reqwest::Client` per process, so connections to a provider are
//! kept alive and reused across calls. Failed attempts are retried according to a
//! [`RetryPolicy`]: on 408, 409, 429, 5xx, connection errors and timeouts, with exponential
//! backoff and jitter, honouring the provider's `Retry-After` / `retry-after-ms` headers, and
//! never starting a wait that would end past [`RetryPolicy::max_elapsed`].

use crate::error::{redact_str, Error, Result};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

/// When and how often a failed request is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: no retry).
    pub max_retries: u32,
    /// The first backoff; each further retry doubles it.
    pub base_delay: Duration,
    /// The longest computed backoff (a `Retry-After` from the provider may ask for more).
    pub max_delay: Duration,
    /// No wait that would end later than this after the first attempt began is started.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
            max_elapsed: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retry.
    pub fn none() -> Self {
        RetryPolicy { max_retries: 0, ..Default::default() }
    }

    /// The backoff before retry number `retry` (0-based), with jitter: between 75% and 100% of
    /// `min(max_delay, base_delay * 2^retry)`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = self.base_delay.saturating_mul(2u32.saturating_pow(retry.min(30)));
        exp.min(self.max_delay).mul_f64(1.0 - 0.25 * fastrand::f64())
    }
}

/// Connect and whole-request timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the TCP (and TLS) connection.
    pub connect: Duration,
    /// One attempt, from sending the request until the whole response body is read.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts { connect: Duration::from_secs(10), request: Duration::from_secs(60) }
    }
}

/// Told of every answer a client gets (each attempt's, retried or not): for callers that adapt
/// to a provider's load and rate limits (see [`crate::ratelimit`]).
pub trait Observer: Send + Sync + std::fmt::Debug {
    fn answered(&self, status: u16, headers: &HeaderMap);
}

/// A pooled HTTP client with its retry policy and timeouts. Cheap to clone.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    retry: RetryPolicy,
    timeouts: Timeouts,
    observer: Option<std::sync::Arc<dyn Observer>>,
}

static SHARED: OnceLock<reqwest::Client> = OnceLock::new();

fn build_client(connect: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(connect)
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_keepalive(Duration::from_secs(60))
        .user_agent(concat!("pgai-rs/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("building the HTTP client (rustls) failed")
}

impl HttpClient {
    /// The process-wide client (one connection pool), with the default policy and timeouts.
    pub fn shared() -> HttpClient {
        let client = SHARED.get_or_init(|| build_client(Timeouts::default().connect)).clone();
        HttpClient { client, retry: RetryPolicy::default(), timeouts: Timeouts::default(), observer: None }
    }

    /// A client with a connection pool of its own.
    pub fn new(timeouts: Timeouts, retry: RetryPolicy) -> HttpClient {
        HttpClient { client: build_client(timeouts.connect), retry, timeouts, observer: None }
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Changes the timeouts. The connect timeout belongs to the connection pool, so a different
    /// one gives this client a pool of its own.
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        if timeouts.connect != self.timeouts.connect {
            self.client = build_client(timeouts.connect);
        }
        self.timeouts = timeouts;
        self
    }

    /// Tells `observer` of every answer.
    pub fn with_observer(mut self, observer: std::sync::Arc<dyn Observer>) -> Self {
        self.observer = Some(observer);
        self
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// The underlying reqwest client, for callers with needs this crate does not cover.
    pub fn reqwest(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends `req` (retrying as the policy says) and parses the JSON answer.
    pub(crate) async fn json<T: DeserializeOwned>(&self, req: &ApiRequest<'_>) -> Result<T> {
        let body = self.send(req).await?;
        decode_json(req.provider, &body, req.secret)
    }

    /// Sends `req`, retrying as the policy says; the body of the first success.
    pub(crate) async fn send(&self, req: &ApiRequest<'_>) -> Result<Vec<u8>> {
        if let Some(err) = &req.error {
            return Err(err.clone());
        }
        let start = Instant::now();
        let mut retries = 0;
        loop {
            let err = match self.attempt(req).await {
                Ok(body) => return Ok(body),
                Err(err) => err,
            };
            if !err.is_retryable() || retries >= self.retry.max_retries {
                return Err(err);
            }
            let wait = err.retry_after().unwrap_or_else(|| self.retry.backoff(retries));
            if start.elapsed() + wait > self.retry.max_elapsed {
                tracing::debug!(provider = req.provider, ?wait, "not retrying: the wait would pass max_elapsed");
                return Err(err);
            }
            tracing::debug!(provider = req.provider, error = %err, ?wait, retry = retries + 1, "retrying");
            tokio::time::sleep(wait).await;
            retries += 1;
        }
    }

    async fn attempt(&self, req: &ApiRequest<'_>) -> Result<Vec<u8>> {
        let provider = req.provider;
        let mut builder = self
            .client
            .request(req.method.clone(), &req.url)
            .timeout(self.timeouts.request)
            .headers(req.headers.clone());
        if !req.query.is_empty() {
            builder = builder.query(&req.query);
        }
        if let Some(body) = &req.body {
            builder = builder.header(CONTENT_TYPE, "application/json").body(body.clone());
        }
        let resp = builder.send().await.map_err(|e| transport_error(provider, e, req.secret))?;
        let status = resp.status();
        if let Some(observer) = &self.observer {
            observer.answered(status.as_u16(), resp.headers());
        }
        let retry_after = parse_retry_after(resp.headers(), SystemTime::now());
        let body: Vec<u8> = resp.bytes().await.map_err(|e| transport_error(provider, e, req.secret))?.into();
        if status.is_success() {
            Ok(body)
        } else {
            Err(Error::http_redacted(provider, status.as_u16(), &body, req.secret).with_retry_after(retry_after))
        }
    }
}

/// One API call, rebuilt into a reqwest request for each attempt.
pub(crate) struct ApiRequest<'a> {
    provider: &'static str,
    method: Method,
    url: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Option<Vec<u8>>,
    /// The key this request carries, scrubbed from every error message.
    secret: Option<&'a str>,
    /// A problem found while building the request, reported by `send`.
    error: Option<Error>,
}

impl<'a> ApiRequest<'a> {
    pub(crate) fn get(provider: &'static str, url: String) -> Self {
        ApiRequest {
            provider,
            method: Method::GET,
            url,
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: None,
            secret: None,
            error: None,
        }
    }

    pub(crate) fn post(provider: &'static str, url: String, body: &impl Serialize) -> Self {
        let mut req = ApiRequest::get(provider, url);
        req.method = Method::POST;
        match serde_json::to_vec(body) {
            Ok(bytes) => req.body = Some(bytes),
            Err(e) => req.error = Some(Error::config(provider, format!("cannot serialize the request body: {e}"))),
        }
        req
    }

    pub(crate) fn query(mut self, name: &str, value: impl ToString) -> Self {
        self.query.push((name.to_string(), value.to_string()));
        self
    }

    /// Adds a header whose value is a secret (marked sensitive, scrubbed from errors).
    pub(crate) fn secret_header(mut self, name: &'static str, value: Option<&'a str>) -> Self {
        if let Some(value) = value {
            self.secret = Some(value);
            let full = if name == "authorization" { format!("Bearer {value}") } else { value.to_string() };
            match HeaderValue::from_str(&full) {
                Ok(mut v) => {
                    v.set_sensitive(true);
                    self.headers.insert(HeaderName::from_static(name), v);
                }
                Err(_) => {
                    let msg = "the API key contains characters not allowed in an HTTP header";
                    self.error.get_or_insert(Error::config(self.provider, msg));
                }
            }
        }
        self
    }

    /// `Authorization: Bearer <key>` when a key is given.
    pub(crate) fn bearer(self, key: Option<&'a str>) -> Self {
        self.secret_header("authorization", key)
    }

    pub(crate) fn header(mut self, name: &'static str, value: &'static str) -> Self {
        self.headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
        self
    }
}

/// Parses a JSON answer; a Decode error says what was wrong and how the body began.
pub(crate) fn decode_json<T: DeserializeOwned>(provider: &'static str, body: &[u8], secret: Option<&str>) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| {
        let start = redact_str(&String::from_utf8_lossy(&body[..body.len().min(4096)]), secret);
        let start = crate::error::truncate(start, 200);
        Error::decode(provider, redact_str(&format!("{e} (response began: {start:?})"), secret))
    })
}

pub(crate) fn transport_error(provider: &'static str, e: reqwest::Error, secret: Option<&str>) -> Error {
    let timeout = e.is_timeout();
    let builder = e.is_builder();
    // The URL is left out: it may carry credentials (http://user:pass@host).
    let e = e.without_url();
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    let message = redact_str(&message, secret);
    if timeout {
        Error::timeout(provider, message)
    } else if builder {
        Error::config(provider, format!("invalid request: {message}"))
    } else {
        Error::connect(provider, message)
    }
}

/// The wait a provider asks for: `retry-after-ms` (milliseconds), else `Retry-After` in seconds
/// or as an HTTP date (relative to `now`).
pub fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let number = |s: &str| s.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0);
    if let Some(ms) = get("retry-after-ms").and_then(number) {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let value = get(RETRY_AFTER.as_str())?;
    if let Some(secs) = number(value) {
        return Some(Duration::from_secs_f64(secs.min(1e9)));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `base` and `path` joined with exactly one slash.
pub(crate) fn join_url(base: &str, path: &str) -> String {
    format!("{}/{}", base.trim_end_matches('/'), path.trim_start_matches('/'))
}

/// Implements the HTTP settings (`with_http`, `with_retry`, `with_timeouts`, `http`) on a
/// provider struct with an `http: HttpClient` field.
macro_rules! http_settings {
    ($t:ty) => {
        impl $t {
            /// Uses this HTTP client (its pool, retry policy and timeouts).
            pub fn with_http(mut self, http: $crate::http::HttpClient) -> Self {
                self.http = http;
                self
            }

            pub fn with_retry(mut self, retry: $crate::http::RetryPolicy) -> Self {
                self.http = self.http.with_retry(retry);
                self
            }

            pub fn with_timeouts(mut self, timeouts: $crate::http::Timeouts) -> Self {
                self.http = self.http.with_timeouts(timeouts);
                self
            }

            pub fn http(&self) -> &$crate::http::HttpClient {
                &self.http
            }
        }
    };
}
pub(crate) use http_settings;

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(HeaderName::from_static(k), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after(&headers(&[("retry-after", "3")]), now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(&headers(&[("retry-after", "1.5")]), now), Some(Duration::from_millis(1500)));
        assert_eq!(
            parse_retry_after(&headers(&[("retry-after", "2"), ("retry-after-ms", "250")]), now),
            Some(Duration::from_millis(250))
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(parse_retry_after(&headers(&[("retry-after", &date)]), now), Some(Duration::from_secs(7)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(7));
        assert_eq!(parse_retry_after(&headers(&[("retry-after", &past)]), now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after(&headers(&[("retry-after", "soon")]), now), None);
        assert_eq!(parse_retry_after(&headers(&[("retry-after", "-1")]), now), None);
        assert_eq!(parse_retry_after(&headers(&[]), now), None);
    }

    #[test]
    fn backoff_grows_with_jitter_and_cap() {
        let p = RetryPolicy::default();
        for retry in 0..10 {
            let d = p.backoff(retry);
            let full = (p.base_delay * 2u32.pow(retry)).min(p.max_delay);
            assert!(d <= full && d >= full.mul_f64(0.75), "retry {retry}: {d:?} vs {full:?}");
        }
        assert!(p.backoff(100) <= p.max_delay);
    }

    #[test]
    fn urls_join() {
        assert_eq!(join_url("http://h:1/v1/", "/embeddings"), "http://h:1/v1/embeddings");
        assert_eq!(join_url("http://h:1", "api/tags"), "http://h:1/api/tags");
    }
}
