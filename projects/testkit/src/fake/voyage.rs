//! A fake Voyage AI API (`base_url()` is `<url>/v1`).

use super::{bearer, fake_embedding, token_count, Fake};
use crate::http::Reply;
use serde_json::{json, Value};

/// Models and their default dimensions.
const MODELS: &[(&str, usize)] = &[
    ("voyage-3", 1024),
    ("voyage-3-lite", 512),
    ("voyage-3-large", 1024),
    ("voyage-code-3", 1024),
    ("voyage-finance-2", 1024),
];

/// A fake Voyage AI expecting `Authorization: Bearer <expected_key>`. Embeddings are
/// [`fake_embedding`] of each input with the model's dimensions (or `output_dimension`);
/// `input_type` must be absent, `null`, `"query"` or `"document"`.
pub fn voyage(expected_key: &str) -> Fake {
    crate::evidence::secret(expected_key);
    let key = expected_key.to_string();
    Fake::start("/v1", move |req| {
        if bearer(req) != Some(key.as_str()) {
            return error(401, "Provided API key is invalid.");
        }
        match (req.method.as_str(), req.path_only()) {
            ("POST", "/v1/embeddings") => embeddings(&req.json()),
            _ => error(404, "Not Found"),
        }
    })
}

fn error(status: u16, detail: &str) -> Reply {
    Reply::json(status, json!({ "detail": detail }))
}

fn embeddings(body: &Value) -> Reply {
    let model = body.get("model").and_then(Value::as_str).unwrap_or("");
    let Some(&(_, default_dims)) = MODELS.iter().find(|m| m.0 == model) else {
        return error(400, &format!("Model {model} is not supported."));
    };
    let inputs: Vec<String> = match body.get("input") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) if !a.is_empty() && a.iter().all(Value::is_string) => {
            a.iter().filter_map(Value::as_str).map(str::to_string).collect()
        }
        _ => return error(400, "Input cannot be empty and must be a string or a list of strings."),
    };
    match body.get("input_type") {
        None | Some(Value::Null) => {}
        Some(Value::String(t)) if t == "query" || t == "document" => {}
        Some(other) => {
            return error(400, &format!("Value {other} is not a valid input_type; use 'query', 'document' or null."))
        }
    }
    let dims = body.get("output_dimension").and_then(Value::as_u64).map_or(default_dims, |d| d as usize);
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(index, text)| json!({"object": "embedding", "embedding": fake_embedding(text, dims), "index": index}))
        .collect();
    let tokens: usize = inputs.iter().map(|t| token_count(t)).sum();
    Reply::ok(json!({"object": "list", "data": data, "model": model, "usage": {"total_tokens": tokens}}))
}
