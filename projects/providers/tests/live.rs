//! Tests against the real APIs. Each runs only when its key (or host) is set in the
//! environment or in the workspace's `.env`; otherwise it prints why it skipped and passes.
//! Model names can be overridden with the `*_MODEL` variables named below.

use providers::ollama::GenerateRequest;
use providers::{Anthropic, ChatRequest, Cohere, EmbedInput, EncodingFormat, MessagesRequest, Ollama, OpenAi, Voyage};
use serde_json::json;
use testkit::dotenv;

fn setting(name: &str) -> Option<String> {
    let v = dotenv::var(name);
    if v.is_none() {
        println!("skipped: {name} not set");
    }
    v
}

fn model(var: &str, default: &str) -> String {
    dotenv::var(var).unwrap_or_else(|| default.to_string())
}

#[tokio::test]
async fn openai_live() {
    let Some(key) = setting("OPENAI_API_KEY") else {
        return;
    };
    let c = OpenAi::new(Some(key), dotenv::var("OPENAI_BASE_URL"));
    let embed_model = model("OPENAI_EMBED_MODEL", "text-embedding-3-small");
    let one = c.embed(&embed_model, EmbedInput::Text("hello world".into()), Some(256), None).await.unwrap();
    assert_eq!(one[0].1.len(), 256);
    let texts = EmbedInput::Texts(vec!["a".into(), "b".into()]);
    let b64 = c.embed_with_format(&embed_model, texts, Some(64), None, EncodingFormat::Base64).await.unwrap();
    assert_eq!(b64.iter().map(|(i, v)| (*i, v.len())).collect::<Vec<_>>(), [(0, 64), (1, 64)]);
    let tokens = providers::tokenize::encode(&embed_model, "hello world").unwrap();
    let by_tokens = c.embed(&embed_model, EmbedInput::Tokens(vec![tokens]), Some(256), None).await.unwrap();
    let dot: f32 = one[0].1.iter().zip(&by_tokens[0].1).map(|(a, b)| a * b).sum();
    assert!(dot > 0.99, "text and its tokens embed alike: {dot}");

    let mut req = ChatRequest::new(
        model("OPENAI_CHAT_MODEL", "gpt-4o-mini"),
        json!([{"role": "user", "content": "Say just: ok"}]),
    );
    req.max_tokens = Some(5);
    req.seed = Some(1);
    let out = c.chat_complete(&req).await.unwrap();
    assert!(out["choices"][0]["message"]["content"].is_string(), "{out}");
    let out = c.moderate("omni-moderation-latest", "I like cake").await.unwrap();
    assert_eq!(out["results"][0]["flagged"], false);
    assert!(!c.list_models().await.unwrap().is_empty());
    let bad = OpenAi::new(Some("sk-not-a-real-key".into()), None).list_models().await.unwrap_err();
    assert_eq!(bad.status(), Some(401));
}

#[tokio::test]
async fn ollama_live() {
    let Some(host) = setting("OLLAMA_HOST") else {
        return;
    };
    let c = Ollama::new(Some(host));
    let models = c.list_models().await.unwrap();
    println!("ollama models: {:?}", models.iter().map(|m| &m.name).collect::<Vec<_>>());
    c.ps().await.unwrap();
    let embed_model = model("OLLAMA_EMBED_MODEL", "nomic-embed-text");
    let v = c.embed(&embed_model, "hello world", None, None).await.unwrap();
    assert!(!v.is_empty());
    let chat_model = model("OLLAMA_CHAT_MODEL", "llama3");
    let mut req = GenerateRequest::new(&chat_model, "Say just: ok");
    req.options = Some(json!({"num_predict": 5}));
    let out = c.generate(&req).await.unwrap();
    assert!(out["response"].is_string(), "{out}");
    let out = c
        .chat(&chat_model, json!([{"role": "user", "content": "Say just: ok"}]), None, Some(json!({"num_predict": 5})))
        .await
        .unwrap();
    assert!(out["message"]["content"].is_string(), "{out}");
}

#[tokio::test]
async fn anthropic_live() {
    let Some(key) = setting("ANTHROPIC_API_KEY") else {
        return;
    };
    let c = Anthropic::new(Some(key), None);
    let req = MessagesRequest::new(
        model("ANTHROPIC_MODEL", "claude-3-5-haiku-latest"),
        json!([{"role": "user", "content": "Say just: ok"}]),
        10,
    );
    let out = c.messages(&req).await.unwrap();
    assert_eq!(out["type"], "message", "{out}");
}

#[tokio::test]
async fn cohere_live() {
    let Some(key) = setting("COHERE_API_KEY") else {
        return;
    };
    let c = Cohere::new(Some(key), None);
    assert!(!c.list_models(Some("embed".into()), None).await.unwrap().is_empty());
    let tokens = c.tokenize("command-r", "hello world").await.unwrap();
    assert_eq!(c.detokenize("command-r", &tokens).await.unwrap(), "hello world");
    let v = c.embed("embed-english-v3.0", "hello", Some("search_document".into()), None).await.unwrap();
    assert_eq!(v.len(), 1024);
    let docs = json!(["cats purr", "dogs bark"]);
    let out = c.rerank(&providers::RerankRequest::new("rerank-english-v3.0", "barking", docs)).await.unwrap();
    assert_eq!(out["results"][0]["index"], 1, "{out}");
    let mut chat = providers::cohere::ChatRequest::new(model("COHERE_CHAT_MODEL", "command-r"), "Say just: ok");
    chat.max_tokens = Some(5);
    let out = c.chat(&chat).await.unwrap();
    assert!(out["text"].is_string(), "{out}");
}

#[tokio::test]
async fn voyage_live() {
    let Some(key) = setting("VOYAGE_API_KEY") else {
        return;
    };
    let c = Voyage::new(Some(key), None);
    let out = c
        .embed(&model("VOYAGE_MODEL", "voyage-3-lite"), vec!["a".into(), "b".into()], Some("document".into()))
        .await
        .unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(out[1].0, 1);
}
