use crate::{openai, quick, timeouts};
use providers::{EmbedInput, ErrorKind, RetryPolicy};
use serde_json::json;
use std::time::{Duration, Instant};
use testkit::fake::{self, fake_embedding};
use testkit::Reply;

fn text(s: &str) -> EmbedInput {
    EmbedInput::Text(s.into())
}

fn rate_limited() -> Reply {
    Reply::json(
        429,
        json!({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}),
    )
}

#[tokio::test]
async fn retry_after_seconds_is_honoured() {
    let f = fake::openai(crate::KEY);
    f.fail_next(1, rate_limited().header("retry-after", "1"));
    let start = Instant::now();
    let out = openai(&f, quick(3)).embed("text-embedding-3-small", text("a"), None, None).await.unwrap();
    let waited = start.elapsed();
    assert_eq!(out[0].1, fake_embedding("a", 1536));
    assert_eq!(f.hits(), 2);
    assert!(waited >= Duration::from_millis(950), "waited only {waited:?}");
    assert!(waited < Duration::from_millis(2500), "waited {waited:?}");
}

#[tokio::test]
async fn retry_after_ms_is_honoured() {
    let f = fake::openai(crate::KEY);
    f.fail_next(1, rate_limited().header("retry-after-ms", "300").header("retry-after", "30"));
    let start = Instant::now();
    openai(&f, quick(3)).list_models().await.unwrap();
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(290) && waited < Duration::from_secs(2), "{waited:?}");
}

#[tokio::test]
async fn server_errors_then_success() {
    let f = fake::openai(crate::KEY);
    f.fail_next(1, Reply::json(500, json!({"error": {"message": "The server had an error"}})));
    f.fail_next(1, Reply::text(502, "<html>Bad Gateway</html>"));
    assert!(openai(&f, quick(3)).list_models().await.is_ok());
    assert_eq!(f.hits(), 3);
}

#[tokio::test]
async fn reset_then_success() {
    let f = fake::openai(crate::KEY);
    f.fail_next(1, Reply::reset());
    assert!(openai(&f, quick(3)).list_models().await.is_ok());
    assert_eq!(f.hits(), 2);
}

#[tokio::test]
async fn truncated_body_then_success() {
    let f = fake::openai(crate::KEY);
    f.fail_next(
        1,
        Reply::truncated(200, json!({"object": "list", "data": [{"id": "x", "created": 1, "owned_by": "o"}]})),
    );
    assert!(openai(&f, quick(3)).list_models().await.is_ok());
    assert_eq!(f.hits(), 2);
}

#[tokio::test]
async fn gives_up_after_max_retries_keeping_the_last_status() {
    let f = fake::openai(crate::KEY);
    f.fail_next(1, Reply::json(500, json!({"error": {"message": "first"}})));
    f.fail_next(10, Reply::json(503, json!({"error": {"message": "The engine is currently overloaded"}})));
    let err = openai(&f, quick(2)).list_models().await.unwrap_err();
    assert_eq!(f.hits(), 3);
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.message(), "The engine is currently overloaded");
    assert_eq!(err.provider(), "openai");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn no_retry_when_disabled_or_not_retryable() {
    let f = fake::openai(crate::KEY);
    f.fail_next(1, Reply::json(503, json!({"error": {"message": "x"}})));
    assert_eq!(openai(&f, RetryPolicy::none()).list_models().await.unwrap_err().status(), Some(503));
    assert_eq!(f.hits(), 1);
    f.fail_next(5, Reply::json(400, json!({"error": {"message": "bad request"}})));
    assert_eq!(openai(&f, quick(3)).list_models().await.unwrap_err().status(), Some(400));
    assert_eq!(f.hits(), 2);
}

#[tokio::test]
async fn retryable_statuses() {
    for status in [408u16, 409, 429, 500, 504] {
        let f = fake::openai(crate::KEY);
        f.fail_next(1, Reply::json(status, json!({"error": {"message": "try again"}})));
        assert!(openai(&f, quick(1)).list_models().await.is_ok(), "{status}");
        assert_eq!(f.hits(), 2, "{status}");
    }
}

#[tokio::test]
async fn retry_after_past_max_elapsed_gives_up_at_once() {
    let f = fake::openai(crate::KEY);
    f.fail_next(1, rate_limited().header("retry-after", "120"));
    let start = Instant::now();
    let err = openai(&f, quick(3)).list_models().await.unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(f.hits(), 1);
}

#[tokio::test]
async fn request_timeout_is_honoured() {
    let f = fake::openai(crate::KEY);
    f.set_fault(|_| Some(Reply::json(200, json!({})).delay(Duration::from_secs(30))));
    let c = openai(&f, RetryPolicy::none()).with_timeouts(timeouts(300));
    let start = Instant::now();
    let err = c.list_models().await.unwrap_err();
    let took = start.elapsed();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(took >= Duration::from_millis(290) && took < Duration::from_millis(1500), "{took:?}");
    // Timeouts are retried.
    let err = openai(&f, quick(1)).with_timeouts(timeouts(200)).list_models().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(f.hits(), 3);
}

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    let f = fake::openai(crate::KEY);
    f.fail_next(1, Reply::bytes(200, "application/json", b"{\"data\": [".to_vec()));
    let err = openai(&f, quick(3)).list_models().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.message().contains("response began"), "{err}");
    assert_eq!(f.hits(), 1, "a decode error is not retried");

    // Valid JSON of the wrong shape says what was missing.
    f.fail_next(1, Reply::ok(json!({"object": "list"})));
    let err = openai(&f, quick(3)).list_models().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.message().contains("missing field `data`"), "{err}");

    f.fail_next(1, Reply::ok(json!({"data": [{"index": 0, "embedding": "@@not base64"}]})));
    let err = openai(&f, quick(3))
        .embed_with_format("m", text("x"), None, None, providers::EncodingFormat::Base64)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    let f = fake::openai(crate::KEY);
    let base = f.base_url();
    drop(f);
    let c = providers::OpenAi::new(Some(crate::KEY.into()), Some(base)).with_retry(quick(1));
    let err = c.list_models().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect, "{err}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn provider_messages_on_401() {
    let o = fake::ollama();
    o.fail_next(1, Reply::json(401, json!({"error": "unauthorized"})));
    let err = providers::Ollama::new(Some(o.base_url())).list_models().await.unwrap_err();
    assert_eq!((err.status(), err.message()), (Some(401), "unauthorized"));
    assert_eq!(err.to_string(), "ollama: HTTP 401: unauthorized");
}

#[tokio::test]
async fn connections_are_reused() {
    let f = fake::openai(crate::KEY);
    let c = openai(&f, quick(0));
    for _ in 0..3 {
        c.list_models().await.unwrap();
    }
    // Keep-alive: all three rode one pooled connection.
    assert!(f.requests().iter().all(|r| r.connection == 0), "{:?}", f.requests());
    assert_eq!(f.hits(), 3);
}
