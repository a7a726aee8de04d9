use crate::fast_retry;
use providers::{Anthropic, ErrorKind, MessagesRequest};
use serde_json::json;
use testkit::fake::{self, Fake};

const KEY: &str = "sk-ant-test-0123456789";

fn client(f: &Fake) -> Anthropic {
    Anthropic::new(Some(KEY.into()), Some(f.base_url())).with_retry(fast_retry())
}

#[tokio::test]
async fn messages_sends_every_parameter() {
    let f = fake::anthropic(KEY);
    let messages = json!([{"role": "user", "content": "name a colour"}]);
    let req = MessagesRequest {
        system: Some("be brief".into()),
        stop_sequences: Some(vec!["STOP".into()]),
        temperature: Some(0.5),
        tool_choice: Some(json!({"type": "auto"})),
        tools: Some(json!([{"name": "t", "input_schema": {"type": "object"}}])),
        top_k: Some(5),
        top_p: Some(0.9),
        ..MessagesRequest::new("claude-3-5-haiku-latest", messages.clone(), 1024)
    }
    .user_id(Some("user-7".into()));
    let out = client(&f).messages(&req).await.unwrap();
    assert_eq!(out["content"][0]["text"], "echo: name a colour");
    assert_eq!(out["stop_reason"], "end_turn");
    let sent = f.last_request().unwrap();
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", "/v1/messages"));
    assert_eq!(sent.header("x-api-key"), Some(KEY));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert!(sent.header("authorization").is_none());
    assert_eq!(
        sent.json(),
        json!({
            "model": "claude-3-5-haiku-latest", "messages": messages, "max_tokens": 1024,
            "system": "be brief", "metadata": {"user_id": "user-7"}, "stop_sequences": ["STOP"],
            "temperature": 0.5, "tool_choice": {"type": "auto"},
            "tools": [{"name": "t", "input_schema": {"type": "object"}}], "top_k": 5, "top_p": 0.9,
        })
    );
}

#[tokio::test]
async fn raw_body_and_minimal_request() {
    let f = fake::anthropic(KEY);
    let req = MessagesRequest::new("m", json!([{"role": "user", "content": "abcdefghijkl"}]), 5);
    let out = client(&f).messages(&req).await.unwrap();
    assert_eq!(out["stop_reason"], "max_tokens");
    assert_eq!(f.last_request().unwrap().json(), json!({"model": "m", "messages": req.messages, "max_tokens": 5}));
    let out = client(&f)
        .messages(json!({"model": "m", "max_tokens": 9, "messages": [{"role": "user", "content": "x"}]}))
        .await;
    assert_eq!(out.unwrap()["content"][0]["text"], "echo: x");
}

#[tokio::test]
async fn errors() {
    let f = fake::anthropic(KEY);
    let err = Anthropic::new(Some("sk-ant-wrong-999999".into()), Some(f.base_url()))
        .messages(json!({"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": "x"}]}))
        .await
        .unwrap_err();
    assert_eq!((err.status(), err.message()), (Some(401), "invalid x-api-key"));
    let err = client(&f).messages(json!({"model": "m", "messages": []})).await.unwrap_err();
    assert_eq!((err.status(), err.message()), (Some(400), "max_tokens: Field required"));
    let err = Anthropic::new(None, Some(f.base_url())).messages(json!({})).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert_eq!(f.hits(), 2);
}
