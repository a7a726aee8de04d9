//! A fake Cohere v1 API (`base_url()` is the server URL; paths start with `/v1`).

use super::{bearer, fake_embedding, overlap, token_count, Fake};
use crate::http::{Reply, Request};
use serde_json::{json, Value};

struct ModelInfo {
    name: &'static str,
    endpoints: &'static [&'static str],
    default_endpoints: &'static [&'static str],
    context_length: u32,
    /// Embedding dimensions (0: not an embedding model).
    dims: usize,
}

const fn model(
    name: &'static str,
    endpoints: &'static [&'static str],
    default_endpoints: &'static [&'static str],
    context_length: u32,
    dims: usize,
) -> ModelInfo {
    ModelInfo { name, endpoints, default_endpoints, context_length, dims }
}

const MODELS: &[ModelInfo] = &[
    model("command-r", &["generate", "chat", "summarize"], &["chat"], 128_000, 0),
    model("command-r-plus", &["generate", "chat", "summarize"], &[], 128_000, 0),
    model("embed-english-v3.0", &["embed", "classify"], &["embed", "classify"], 512, 1024),
    model("embed-english-light-v3.0", &["embed", "classify"], &[], 512, 384),
    model("embed-multilingual-v3.0", &["embed", "classify"], &[], 512, 1024),
    model("rerank-english-v3.0", &["rerank"], &["rerank"], 4096, 0),
];

/// The fake returns model lists in pages of at most this many (Cohere allows 1000), so that
/// clients' paging is exercised.
pub const MODEL_PAGE_SIZE: usize = 2;

const META: &str = r#"{"api_version":{"version":"1"},"billed_units":{"input_tokens":1}}"#;

/// A fake Cohere expecting `Authorization: Bearer <expected_key>`.
///
/// Tokens are the UTF-8 bytes of the text (so detokenize inverts tokenize); embeddings are
/// [`fake_embedding`] of the text with the model's dimensions (`-v3.0` models require
/// `input_type`); classify predicts the label of the example sharing most words with the
/// input; rerank scores by the share of the query's words found in each document; chat
/// answers `"echo: <message>"`.
pub fn cohere(expected_key: &str) -> Fake {
    crate::evidence::secret(expected_key);
    let key = expected_key.to_string();
    Fake::start("", move |req| {
        match bearer(req) {
            None => return error(401, "no api key supplied"),
            Some(k) if k != key => return error(401, "invalid api token"),
            Some(_) => {}
        }
        let body = req.json();
        match (req.method.as_str(), req.path_only()) {
            ("GET", "/v1/models") => models(req),
            ("POST", "/v1/tokenize") => tokenize(&body),
            ("POST", "/v1/detokenize") => detokenize(&body),
            ("POST", "/v1/embed") => embed(&body),
            ("POST", "/v1/classify") => classify(&body),
            ("POST", "/v1/rerank") => rerank(&body),
            ("POST", "/v1/chat") => chat(&body),
            _ => error(404, "not found"),
        }
    })
}

fn error(status: u16, message: &str) -> Reply {
    Reply::json(status, json!({ "message": message }))
}

fn meta() -> Value {
    serde_json::from_str(META).expect("meta")
}

fn models(req: &Request) -> Reply {
    let endpoint = req.query_param("endpoint");
    let default_only = req.query_param("default_only").is_some_and(|v| v == "true");
    let selected: Vec<Value> = MODELS
        .iter()
        .filter(|m| match &endpoint {
            Some(e) if default_only => m.default_endpoints.contains(&e.as_str()),
            Some(e) => m.endpoints.contains(&e.as_str()),
            None => !default_only || !m.default_endpoints.is_empty(),
        })
        .map(|m| {
            json!({
                "name": m.name,
                "endpoints": m.endpoints,
                "finetuned": false,
                "context_length": m.context_length as f64,
                "tokenizer_url": format!("https://storage.googleapis.com/cohere-public/tokenizers/{}.json", m.name),
                "default_endpoints": m.default_endpoints,
            })
        })
        .collect();
    let page_size =
        req.query_param("page_size").and_then(|v| v.parse().ok()).unwrap_or(20usize).clamp(1, MODEL_PAGE_SIZE);
    let start: usize = req.query_param("page_token").and_then(|v| v.parse().ok()).unwrap_or(0);
    let end = (start + page_size).min(selected.len());
    let page = selected.get(start..end).unwrap_or_default().to_vec();
    let mut out = json!({ "models": page });
    if end < selected.len() {
        out["next_page_token"] = json!(end.to_string());
    }
    Reply::ok(out)
}

fn model_of(body: &Value) -> Result<&'static ModelInfo, Reply> {
    let name = body.get("model").and_then(Value::as_str).unwrap_or("");
    MODELS.iter().find(|m| m.name == name).ok_or_else(|| error(404, &format!("model '{name}' not found, make sure the correct model ID was used and that you have access to the model.")))
}

fn tokenize(body: &Value) -> Reply {
    if let Err(r) = model_of(body) {
        return r;
    }
    let Some(text) = body.get("text").and_then(Value::as_str).filter(|t| !t.is_empty()) else {
        return error(400, "invalid request: text must be a non-empty string");
    };
    let tokens: Vec<u8> = text.bytes().collect();
    let strings: Vec<String> = text.bytes().map(|b| String::from_utf8_lossy(&[b]).into_owned()).collect();
    Reply::ok(json!({"tokens": tokens, "token_strings": strings, "meta": meta()}))
}

fn detokenize(body: &Value) -> Reply {
    if let Err(r) = model_of(body) {
        return r;
    }
    let tokens = body.get("tokens").and_then(Value::as_array).cloned().unwrap_or_default();
    let bytes: Option<Vec<u8>> = tokens.iter().map(|t| t.as_u64().and_then(|t| u8::try_from(t).ok())).collect();
    match bytes {
        Some(b) => Reply::ok(json!({"text": String::from_utf8_lossy(&b), "meta": meta()})),
        None => error(400, "invalid request: unknown token id"),
    }
}

fn embed(body: &Value) -> Reply {
    let model = match model_of(body) {
        Ok(m) if m.dims > 0 => m,
        Ok(m) => return error(400, &format!("invalid request: model '{}' does not support embed", m.name)),
        Err(r) => return r,
    };
    let input_type = body.get("input_type").and_then(Value::as_str);
    if model.name.ends_with("-v3.0") && input_type.is_none() {
        return error(400, "invalid request: valid input_type must be provided with the provided model");
    }
    if let Some(t) =
        input_type.filter(|t| !["search_document", "search_query", "classification", "clustering"].contains(t))
    {
        return error(400, &format!("invalid request: input_type '{t}' is not supported"));
    }
    let Some(texts) = body.get("texts").and_then(Value::as_array) else {
        return error(400, "invalid request: texts must be an array of strings");
    };
    let texts: Vec<&str> = texts.iter().filter_map(Value::as_str).collect();
    let embeddings: Vec<Vec<f32>> = texts.iter().map(|t| fake_embedding(t, model.dims)).collect();
    Reply::ok(json!({
        "id": "embed-fake",
        "texts": texts,
        "embeddings": embeddings,
        "meta": meta(),
        "response_type": "embeddings_floats",
    }))
}

fn classify(body: &Value) -> Reply {
    if let Err(r) = model_of(body) {
        return r;
    }
    let inputs: Vec<&str> =
        body.get("inputs").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    let examples: Vec<(&str, &str)> = body
        .get("examples")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| Some((e.get("text")?.as_str()?, e.get("label")?.as_str()?)))
        .collect();
    if examples.len() < 2 {
        return error(400, "invalid request: at least 2 examples are required when no fine-tuned model is used");
    }
    if inputs.is_empty() {
        return error(400, "invalid request: inputs cannot be empty");
    }
    let classifications: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let (score, label) = examples
                .iter()
                .map(|(text, label)| (overlap(text, input), *label))
                .fold((-1.0, ""), |best, cur| if cur.0 > best.0 { cur } else { best });
            let confidence = 0.5 + score / 2.0;
            json!({
                "id": format!("classify-fake-{i}"),
                "input": input,
                "prediction": label,
                "predictions": [label],
                "confidence": confidence,
                "confidences": [confidence],
                "labels": { label: {"confidence": confidence} },
                "classification_type": "single-label",
            })
        })
        .collect();
    Reply::ok(json!({"id": "classify-fake", "classifications": classifications, "meta": meta()}))
}

fn rerank(body: &Value) -> Reply {
    if let Err(r) = model_of(body) {
        return r;
    }
    let query = body.get("query").and_then(Value::as_str).unwrap_or_default();
    let Some(docs) = body.get("documents").and_then(Value::as_array) else {
        return error(400, "invalid request: documents must be an array");
    };
    let fields: Vec<String> = body
        .get("rank_fields")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_else(|| vec!["text".to_string()]);
    let text_of = |d: &Value| match d {
        Value::String(s) => s.clone(),
        other => fields.iter().filter_map(|f| other.get(f).and_then(Value::as_str)).collect::<Vec<_>>().join(" "),
    };
    let mut scored: Vec<(usize, f64)> =
        docs.iter().enumerate().map(|(i, d)| (i, overlap(query, &text_of(d)))).collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    if let Some(n) = body.get("top_n").and_then(Value::as_u64) {
        scored.truncate(n as usize);
    }
    let return_documents = body.get("return_documents").and_then(Value::as_bool).unwrap_or(false);
    let results: Vec<Value> = scored
        .iter()
        .map(|(i, score)| {
            let mut r = json!({"index": i, "relevance_score": score});
            if return_documents {
                r["document"] = match &docs[*i] {
                    Value::String(s) => json!({ "text": s }),
                    other => other.clone(),
                };
            }
            r
        })
        .collect();
    Reply::ok(json!({"id": "rerank-fake", "results": results, "meta": meta()}))
}

fn chat(body: &Value) -> Reply {
    let Some(message) = body.get("message").and_then(Value::as_str) else {
        return error(400, "invalid request: message must be a string");
    };
    let model = body.get("model").and_then(Value::as_str).unwrap_or("command-r");
    if !MODELS.iter().any(|m| m.name == model) {
        return error(404, &format!("model '{model}' not found, make sure the correct model ID was used and that you have access to the model."));
    }
    let text = format!("echo: {message}");
    let mut history: Vec<Value> = body.get("chat_history").and_then(Value::as_array).cloned().unwrap_or_default();
    history.push(json!({"role": "USER", "message": message}));
    history.push(json!({"role": "CHATBOT", "message": text}));
    Reply::ok(json!({
        "response_id": "chat-fake",
        "text": text,
        "generation_id": "gen-fake",
        "chat_history": history,
        "finish_reason": "COMPLETE",
        "meta": {
            "api_version": {"version": "1"},
            "billed_units": {"input_tokens": token_count(message), "output_tokens": token_count(&text)},
        },
    }))
}
