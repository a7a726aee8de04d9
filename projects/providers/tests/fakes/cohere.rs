use crate::fast_retry;
use providers::cohere::ChatRequest;
use providers::{Cohere, RerankRequest};
use serde_json::json;
use testkit::fake::{self, fake_embedding, Fake};

const KEY: &str = "co-test-0123456789";

fn client(f: &Fake) -> Cohere {
    Cohere::new(Some(KEY.into()), Some(f.base_url())).with_retry(fast_retry())
}

fn assert_auth(f: &Fake) {
    assert_eq!(f.last_request().unwrap().header("authorization"), Some(format!("Bearer {KEY}").as_str()));
}

#[tokio::test]
async fn list_models_follows_pages_and_filters() {
    let f = fake::cohere(KEY);
    let all = client(&f).list_models(None, None).await.unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(f.hits(), 3, "pages of {}", fake::COHERE_MODEL_PAGE_SIZE);
    let reqs = f.requests();
    assert_eq!(reqs[0].path, "/v1/models?page_size=1000");
    assert_eq!(reqs[1].query_param("page_token").as_deref(), Some("2"));
    let e = all.iter().find(|m| m.name == "embed-english-v3.0").unwrap();
    assert_eq!(e.endpoints, ["embed", "classify"]);
    assert_eq!(e.default_endpoints, ["embed", "classify"]);
    assert_eq!(e.context_length, Some(512));
    assert!(!e.finetuned);
    assert!(e.tokenizer_url.as_deref().unwrap().ends_with("embed-english-v3.0.json"));
    assert_auth(&f);

    f.clear();
    let defaults = client(&f).list_models(Some("embed".into()), Some(true)).await.unwrap();
    assert_eq!(defaults.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["embed-english-v3.0"]);
    let req = f.last_request().unwrap();
    assert_eq!(req.query_param("endpoint").as_deref(), Some("embed"));
    assert_eq!(req.query_param("default_only").as_deref(), Some("true"));
}

#[tokio::test]
async fn tokenize_and_detokenize() {
    let f = fake::cohere(KEY);
    let c = client(&f);
    let tokens = c.tokenize("command-r", "hi!").await.unwrap();
    assert_eq!(tokens, [104, 105, 33]);
    let req = f.last_request().unwrap();
    assert_eq!((req.method.as_str(), req.path.as_str()), ("POST", "/v1/tokenize"));
    assert_eq!(req.json(), json!({"text": "hi!", "model": "command-r"}));
    assert_auth(&f);
    assert_eq!(c.detokenize("command-r", &tokens).await.unwrap(), "hi!");
    assert_eq!(f.last_request().unwrap().json(), json!({"tokens": [104, 105, 33], "model": "command-r"}));
}

#[tokio::test]
async fn embed() {
    let f = fake::cohere(KEY);
    let v = client(&f)
        .embed("embed-english-v3.0", "a text", Some("search_document".into()), Some("END".into()))
        .await
        .unwrap();
    assert_eq!(v, fake_embedding("a text", 1024));
    let req = f.last_request().unwrap();
    assert_eq!(req.path, "/v1/embed");
    assert_eq!(
        req.json(),
        json!({"texts": ["a text"], "model": "embed-english-v3.0", "input_type": "search_document", "truncate": "END"})
    );
    let err = client(&f).embed("embed-english-v3.0", "a", None, None).await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.message(), "invalid request: valid input_type must be provided with the provided model");
}

#[tokio::test]
async fn classify() {
    let f = fake::cohere(KEY);
    let examples = json!([
        {"text": "the food was great", "label": "positive"},
        {"text": "the service was terrible", "label": "negative"},
    ]);
    let inputs = vec!["great food".to_string(), "terrible service".to_string()];
    let out =
        client(&f).classify("embed-english-v3.0", &inputs, Some(examples.clone()), Some("NONE".into())).await.unwrap();
    assert_eq!(out["classifications"][0]["prediction"], "positive");
    assert_eq!(out["classifications"][1]["prediction"], "negative");
    assert_eq!(
        f.last_request().unwrap().json(),
        json!({"inputs": inputs, "model": "embed-english-v3.0", "examples": examples, "truncate": "NONE"})
    );
    assert_eq!(f.last_request().unwrap().path, "/v1/classify");
}

#[tokio::test]
async fn rerank() {
    let f = fake::cohere(KEY);
    let docs = json!([{"title": "cats", "body": "about cats"}, {"title": "dogs and cats", "body": "x"}, {"title": "fish", "body": "y"}]);
    let req = RerankRequest {
        top_n: Some(2),
        rank_fields: Some(vec!["title".into()]),
        return_documents: Some(true),
        max_chunks_per_doc: Some(10),
        ..RerankRequest::new("rerank-english-v3.0", "dogs", docs.clone())
    };
    let out = client(&f).rerank(&req).await.unwrap();
    let results = out["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["index"], 1);
    assert_eq!(results[0]["document"], docs[1]);
    let sent = f.last_request().unwrap();
    assert_eq!(sent.path, "/v1/rerank");
    assert_eq!(
        sent.json(),
        json!({
            "model": "rerank-english-v3.0", "query": "dogs", "documents": docs, "top_n": 2,
            "rank_fields": ["title"], "return_documents": true, "max_chunks_per_doc": 10,
        })
    );
}

#[tokio::test]
async fn chat_sends_every_parameter() {
    let f = fake::cohere(KEY);
    let req = ChatRequest {
        preamble: Some("pre".into()),
        chat_history: Some(json!([{"role": "USER", "message": "earlier"}])),
        conversation_id: Some("conv".into()),
        prompt_truncation: Some("AUTO".into()),
        connectors: Some(json!([{"id": "web-search"}])),
        search_queries_only: Some(false),
        documents: Some(json!([{"title": "t", "snippet": "s"}])),
        citation_quality: Some("accurate".into()),
        temperature: Some(0.3),
        max_tokens: Some(100),
        max_input_tokens: Some(1000),
        k: Some(10),
        p: Some(0.5),
        seed: Some(9),
        stop_sequences: Some(vec!["END".into()]),
        frequency_penalty: Some(0.1),
        presence_penalty: Some(0.2),
        tools: Some(json!([{"name": "t", "description": "d"}])),
        tool_results: Some(json!([])),
        force_single_step: Some(true),
        ..ChatRequest::new("command-r", "hello")
    };
    let out = client(&f).chat(&req).await.unwrap();
    assert_eq!(out["text"], "echo: hello");
    assert_eq!(out["finish_reason"], "COMPLETE");
    let sent = f.last_request().unwrap();
    assert_eq!(sent.path, "/v1/chat");
    assert_eq!(
        sent.json(),
        json!({
            "model": "command-r", "message": "hello", "preamble": "pre",
            "chat_history": [{"role": "USER", "message": "earlier"}], "conversation_id": "conv",
            "prompt_truncation": "AUTO", "connectors": [{"id": "web-search"}], "search_queries_only": false,
            "documents": [{"title": "t", "snippet": "s"}], "citation_quality": "accurate", "temperature": 0.3,
            "max_tokens": 100, "max_input_tokens": 1000, "k": 10, "p": 0.5, "seed": 9, "stop_sequences": ["END"],
            "frequency_penalty": 0.1, "presence_penalty": 0.2, "tools": [{"name": "t", "description": "d"}],
            "tool_results": [], "force_single_step": true,
        })
    );
    client(&f).chat(&ChatRequest::new("command-r", "x")).await.unwrap();
    assert_eq!(f.last_request().unwrap().json(), json!({"model": "command-r", "message": "x"}));
}

#[tokio::test]
async fn wrong_key() {
    let f = fake::cohere(KEY);
    let err =
        Cohere::new(Some("co-wrong-1234567".into()), Some(f.base_url())).tokenize("command-r", "x").await.unwrap_err();
    assert_eq!((err.status(), err.message()), (Some(401), "invalid api token"));
    assert_eq!(Cohere::new(None, None).base_url(), "https://api.cohere.com");
}
