use crate::fast_retry;
use providers::{GenerateRequest, Ollama};
use serde_json::json;
use testkit::fake::{self, fake_embedding, Fake};

fn client(f: &Fake) -> Ollama {
    Ollama::new(Some(f.base_url())).with_retry(fast_retry())
}

#[tokio::test]
async fn list_models() {
    let f = fake::ollama();
    let models = client(&f).list_models().await.unwrap();
    assert_eq!(models.len(), 3);
    let m = &models[0];
    assert_eq!((m.name.as_str(), m.model.as_str(), m.size), ("llama3:latest", "llama3:latest", 4_661_224_676));
    assert_eq!(m.digest.len(), 64);
    assert_eq!(m.modified_at.as_deref(), Some("2024-05-13T09:22:29.123456789-07:00"));
    assert_eq!(m.details.family, "llama");
    assert_eq!(m.details.families.as_deref(), Some(&["llama".to_string()][..]));
    assert_eq!((m.details.format.as_str(), m.details.parent_model.as_str()), ("gguf", ""));
    assert_eq!((m.details.parameter_size.as_str(), m.details.quantization_level.as_str()), ("8.0B", "Q4_0"));
    let req = f.last_request().unwrap();
    assert_eq!((req.method.as_str(), req.path.as_str()), ("GET", "/api/tags"));
    assert!(req.header("authorization").is_none());
}

#[tokio::test]
async fn ps() {
    let f = fake::ollama();
    let running = client(&f).ps().await.unwrap();
    assert_eq!(running.len(), 1);
    let r = &running[0];
    assert_eq!(r.name, "llama3:latest");
    assert_eq!(r.expires_at.as_deref(), Some("2024-06-04T14:38:31.83753-07:00"));
    assert_eq!(r.size_vram, 4_661_224_676);
    assert_eq!(r.details.family, "llama");
    assert_eq!(f.last_request().unwrap().path, "/api/ps");
}

#[tokio::test]
async fn embed() {
    let f = fake::ollama();
    let v = client(&f)
        .embed("nomic-embed-text", "some text", Some("5m".into()), Some(json!({"num_ctx": 2048})))
        .await
        .unwrap();
    assert_eq!(v, fake_embedding("some text", 768));
    let req = f.last_request().unwrap();
    assert_eq!(req.path, "/api/embed");
    assert_eq!(
        req.json(),
        json!({"model": "nomic-embed-text", "input": "some text", "keep_alive": "5m", "options": {"num_ctx": 2048}})
    );
    client(&f).embed("all-minilm", "x", None, None).await.unwrap();
    assert_eq!(f.last_request().unwrap().json(), json!({"model": "all-minilm", "input": "x"}));
}

#[tokio::test]
async fn generate_sends_images_base64() {
    let f = fake::ollama();
    let req = GenerateRequest {
        images: vec![b"\x89PNG fake".to_vec()],
        keep_alive: Some("1m".into()),
        options: Some(json!({"temperature": 0})),
        system: Some("sys".into()),
        template: Some("{{ .Prompt }}".into()),
        context: Some(vec![1, 2, 3]),
        ..GenerateRequest::new("llama3", "describe")
    };
    let out = client(&f).generate(&req).await.unwrap();
    assert_eq!(out["response"], "echo: describe [1 images]");
    assert_eq!(out["context"], json!([1, 2, 3, 8]));
    assert_eq!(out["done"], true);
    let sent = f.last_request().unwrap();
    assert_eq!(sent.path, "/api/generate");
    assert_eq!(
        sent.json(),
        json!({
            "model": "llama3", "prompt": "describe", "stream": false, "images": ["iVBORyBmYWtl"],
            "keep_alive": "1m", "options": {"temperature": 0}, "system": "sys",
            "template": "{{ .Prompt }}", "context": [1, 2, 3],
        })
    );
    // Only the required fields when nothing else is set.
    client(&f).generate(&GenerateRequest::new("llama3", "p")).await.unwrap();
    assert_eq!(f.last_request().unwrap().json(), json!({"model": "llama3", "prompt": "p", "stream": false}));
}

#[tokio::test]
async fn chat() {
    let f = fake::ollama();
    let messages = json!([{"role": "user", "content": "hello"}]);
    let out = client(&f).chat("llama3", messages.clone(), Some("10m".into()), Some(json!({"seed": 1}))).await.unwrap();
    assert_eq!(out["message"]["content"], "echo: hello");
    let req = f.last_request().unwrap();
    assert_eq!(req.path, "/api/chat");
    assert_eq!(
        req.json(),
        json!({"model": "llama3", "messages": messages, "stream": false, "keep_alive": "10m", "options": {"seed": 1}})
    );
}

#[tokio::test]
async fn unknown_model_message() {
    let f = fake::ollama();
    let err = client(&f).embed("nope", "x", None, None).await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.message(), "model \"nope\" not found, try pulling it first");
    assert_eq!(f.hits(), 1);
}

#[test]
fn default_host() {
    assert_eq!(Ollama::new(None).host(), "http://localhost:11434");
}
