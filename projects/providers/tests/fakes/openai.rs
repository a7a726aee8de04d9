use crate::fast_retry;
use providers::{ChatRequest, EmbedInput, EncodingFormat, ErrorKind, OpenAi};
use serde_json::json;
use testkit::fake::{self, fake_embedding, tokens_text, Fake};

const KEY: &str = "sk-test-openai-0123456789";

fn client(f: &Fake) -> OpenAi {
    OpenAi::new(Some(KEY.into()), Some(f.base_url())).with_retry(fast_retry())
}

fn assert_auth(f: &Fake) {
    let req = f.last_request().expect("a request");
    assert_eq!(req.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
}

#[tokio::test]
async fn embed_one_text() {
    let f = fake::openai(KEY);
    let out = client(&f).embed("text-embedding-3-small", EmbedInput::Text("hello".into()), None, None).await.unwrap();
    assert_eq!(out, vec![(0, fake_embedding("hello", 1536))]);
    let req = f.last_request().unwrap();
    assert_eq!((req.method.as_str(), req.path.as_str()), ("POST", "/v1/embeddings"));
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_auth(&f);
    assert_eq!(req.json(), json!({"model": "text-embedding-3-small", "input": "hello"}));
}

#[tokio::test]
async fn embed_many_texts_sorted_with_dimensions_and_user() {
    let f = fake::openai(KEY);
    let texts = vec!["a".to_string(), "b".into(), "c".into()];
    let out = client(&f)
        .embed("text-embedding-3-large", EmbedInput::Texts(texts.clone()), Some(64), Some("u-1".into()))
        .await
        .unwrap();
    // The fake answers in reverse order: the client sorts by index.
    let expected: Vec<_> = texts.iter().enumerate().map(|(i, t)| (i, fake_embedding(t, 64))).collect();
    assert_eq!(out, expected);
    assert_eq!(
        f.last_request().unwrap().json(),
        json!({"model": "text-embedding-3-large", "input": ["a", "b", "c"], "dimensions": 64, "user": "u-1"})
    );
}

#[tokio::test]
async fn embed_tokens() {
    let f = fake::openai(KEY);
    let out = client(&f)
        .embed("text-embedding-3-small", EmbedInput::Tokens(vec![vec![15339, 1917]]), None, None)
        .await
        .unwrap();
    assert_eq!(out, vec![(0, fake_embedding(&tokens_text(&[15339, 1917]), 1536))]);
    assert_eq!(f.last_request().unwrap().json()["input"], json!([[15339, 1917]]));
}

#[tokio::test]
async fn embed_base64() {
    let f = fake::openai(KEY);
    let input = EmbedInput::Texts(vec!["x".into(), "y".into()]);
    let out = client(&f)
        .embed_with_format("text-embedding-3-small", input, Some(256), None, EncodingFormat::Base64)
        .await
        .unwrap();
    assert_eq!(out, vec![(0, fake_embedding("x", 256)), (1, fake_embedding("y", 256))]);
    assert_eq!(f.last_request().unwrap().json()["encoding_format"], "base64");
}

#[tokio::test]
async fn chat_complete_sends_every_parameter() {
    let f = fake::openai(KEY);
    let messages = json!([{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi there"}]);
    let req = ChatRequest {
        frequency_penalty: Some(0.5),
        logit_bias: Some(json!({"50256": -100})),
        logprobs: Some(true),
        top_logprobs: Some(2),
        max_tokens: Some(50),
        n: Some(2),
        presence_penalty: Some(-0.5),
        response_format: Some(json!({"type": "text"})),
        seed: Some(42),
        stop: Some("\n\n".into()),
        temperature: Some(0.25),
        top_p: Some(0.75),
        tools: Some(json!([{"type": "function", "function": {"name": "f", "parameters": {}}}])),
        tool_choice: Some(json!("auto")),
        user: Some("alice".into()),
        ..ChatRequest::new("gpt-4o-mini", messages.clone())
    };
    let out = client(&f).chat_complete(&req).await.unwrap();
    assert_eq!(out["choices"][0]["message"]["content"], "echo: hi there");
    assert_eq!(out["choices"].as_array().unwrap().len(), 2);
    assert_eq!((f.last_request().unwrap().path.as_str()), "/v1/chat/completions");
    assert_auth(&f);
    assert_eq!(
        f.last_request().unwrap().json(),
        json!({
            "model": "gpt-4o-mini", "messages": messages, "frequency_penalty": 0.5,
            "logit_bias": {"50256": -100}, "logprobs": true, "top_logprobs": 2, "max_tokens": 50, "n": 2,
            "presence_penalty": -0.5, "response_format": {"type": "text"}, "seed": 42, "stop": "\n\n",
            "temperature": 0.25, "top_p": 0.75,
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
            "tool_choice": "auto", "user": "alice",
        })
    );
}

#[tokio::test]
async fn chat_complete_raw_json() {
    let f = fake::openai(KEY);
    let body = json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "ping"}]});
    let out = client(&f).chat_complete(body.clone()).await.unwrap();
    assert_eq!(out["choices"][0]["message"]["content"], "echo: ping");
    assert_eq!(out["model"], "gpt-4o");
    assert_eq!(f.last_request().unwrap().json(), body);
}

#[tokio::test]
async fn moderate() {
    let f = fake::openai(KEY);
    let out = client(&f).moderate("omni-moderation-latest", "I will kill the process").await.unwrap();
    assert_eq!(out["results"][0]["flagged"], true);
    assert_eq!(out["results"][0]["categories"]["violence"], true);
    let req = f.last_request().unwrap();
    assert_eq!(req.path, "/v1/moderations");
    assert_eq!(req.json(), json!({"model": "omni-moderation-latest", "input": "I will kill the process"}));
    assert_auth(&f);
}

#[tokio::test]
async fn list_models() {
    let f = fake::openai(KEY);
    let models = client(&f).list_models().await.unwrap();
    let gpt = models.iter().find(|m| m.id == "gpt-4o").unwrap();
    assert_eq!((gpt.created, gpt.owned_by.as_str()), (1_715_367_049, "system"));
    assert!(models.len() >= 5);
    let req = f.last_request().unwrap();
    assert_eq!((req.method.as_str(), req.path.as_str()), ("GET", "/v1/models"));
    assert!(req.body.is_empty());
    assert_auth(&f);
}

#[tokio::test]
async fn wrong_key_surfaces_the_provider_message() {
    let f = fake::openai(KEY);
    let c = OpenAi::new(Some("sk-wrong-key-000000000".into()), Some(f.base_url()));
    let err = c.list_models().await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.kind(), ErrorKind::Http { status: 401 });
    assert!(err.message().starts_with("Incorrect API key provided"), "{err}");
    assert!(!err.to_string().contains("sk-wrong-key-000000000"));
    assert_eq!(f.hits(), 1, "a 401 is not retried");
}

#[tokio::test]
async fn keyless_compatible_server_and_default_url() {
    let f = fake::openai(KEY);
    let c = OpenAi::new(None, Some(format!("{}/", f.base_url())));
    let err = c.list_models().await.unwrap_err();
    assert!(f.last_request().unwrap().header("authorization").is_none());
    assert!(err.message().starts_with("You didn't provide an API key"), "{err}");
    assert_eq!(f.last_request().unwrap().path, "/v1/models", "a trailing slash in base_url is harmless");

    let c = OpenAi::new(None, None);
    assert_eq!(c.base_url(), "https://api.openai.com/v1");
    let err = c.list_models().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
}
