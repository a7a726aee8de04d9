//! No error built from a request that carried a key may show that key.

use crate::{quick, timeouts, KEY};
use providers::{Anthropic, Cohere, EmbedInput, Error, OpenAi, RetryPolicy, Voyage};
use serde_json::json;
use std::time::Duration;
use testkit::fake;
use testkit::Reply;

fn assert_clean(err: &Error) {
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(KEY), "key leaked: {shown}");
}

/// Faults whose bodies echo the key, as a careless proxy might.
fn echoing_faults() -> Vec<Reply> {
    vec![
        Reply::json(401, json!({"error": {"message": format!("Incorrect API key provided: {KEY}")}})),
        Reply::json(403, json!({"message": format!("key {KEY} is not allowed")})),
        Reply::json(400, json!({"error": format!("bad key {KEY}")})),
        Reply::json(422, json!({"detail": format!("bad key {KEY}")})),
        Reply::text(500, format!("stack trace ... Authorization: Bearer {KEY}")),
        Reply::bytes(200, "application/json", format!("{{\"oops {KEY}").into_bytes()),
        Reply::ok(json!({"unexpected": KEY})),
        Reply::truncated(200, json!({"data": KEY})),
        Reply::reset(),
    ]
}

#[tokio::test]
async fn openai_errors_hide_the_key() {
    let f = fake::openai(KEY);
    let c = OpenAi::new(Some(KEY.into()), Some(f.base_url())).with_retry(RetryPolicy::none());
    for fault in echoing_faults() {
        f.fail_next(1, fault);
        let err = c.embed("m", EmbedInput::Text("x".into()), None, None).await.unwrap_err();
        assert_clean(&err);
    }
    f.set_fault(|_| Some(Reply::ok(json!({})).delay(Duration::from_secs(10))));
    assert_clean(&c.clone().with_timeouts(timeouts(100)).list_models().await.unwrap_err());
}

#[tokio::test]
async fn other_providers_hide_the_key() {
    let a = fake::anthropic(KEY);
    let ca = Anthropic::new(Some(KEY.into()), Some(a.base_url())).with_retry(RetryPolicy::none());
    let c = fake::cohere(KEY);
    let cc = Cohere::new(Some(KEY.into()), Some(c.base_url())).with_retry(RetryPolicy::none());
    let v = fake::voyage(KEY);
    let cv = Voyage::new(Some(KEY.into()), Some(v.base_url())).with_retry(RetryPolicy::none());
    for fault in echoing_faults() {
        a.fail_next(1, fault.clone());
        // Any JSON is a valid answer here (the raw body is returned), so some faults succeed.
        if let Err(e) = ca.messages(json!({"model": "m", "max_tokens": 1, "messages": []})).await {
            assert_clean(&e);
        }
        c.fail_next(1, fault.clone());
        assert_clean(&cc.tokenize("command-r", "x").await.unwrap_err());
        v.fail_next(1, fault);
        assert_clean(&cv.embed("voyage-3", vec!["x".into()], None).await.unwrap_err());
    }
}

#[tokio::test]
async fn wrong_and_unusable_keys() {
    // The fakes' own 401 bodies (OpenAI masks all but a few characters).
    let f = fake::openai("another-key-entirely");
    let err = OpenAi::new(Some(KEY.into()), Some(f.base_url())).list_models().await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_clean(&err);
    // A key that cannot be a header value is a Config error that does not quote it.
    let bad = format!("{KEY}\n");
    let err = OpenAi::new(Some(bad), Some(f.base_url())).with_retry(quick(0)).list_models().await.unwrap_err();
    assert_eq!(err.kind(), providers::ErrorKind::Config);
    assert_clean(&err);
    assert_eq!(f.hits(), 1);
}

#[test]
fn clients_debug_without_keys() {
    let shown = format!(
        "{:?} {:?} {:?} {:?}",
        OpenAi::new(Some(KEY.into()), None),
        Anthropic::new(Some(KEY.into()), None),
        Cohere::new(Some(KEY.into()), None),
        Voyage::new(Some(KEY.into()), None)
    );
    assert!(!shown.contains(KEY), "{shown}");
    assert!(shown.contains("[REDACTED]"));
}
