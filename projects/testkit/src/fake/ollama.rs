//! A fake Ollama server (`base_url()` is the host URL; no authentication).

use super::{fake_embedding, last_message, token_count, Fake};
use crate::http::Reply;
use base64::Engine;
use serde_json::{json, Value};

/// Installed models: name, embedding dimensions, family, parameter size, size in bytes.
const MODELS: &[(&str, usize, &str, &str, i64)] = &[
    ("llama3:latest", 4096, "llama", "8.0B", 4_661_224_676),
    ("nomic-embed-text:latest", 768, "nomic-bert", "137M", 274_302_450),
    ("all-minilm:latest", 384, "bert", "23M", 45_960_996),
];

const MODIFIED_AT: &str = "2024-05-13T09:22:29.123456789-07:00";
const EXPIRES_AT: &str = "2024-06-04T14:38:31.83753-07:00";

/// A fake Ollama with three models: `llama3` (4096-dimension embeddings), `nomic-embed-text`
/// (768) and `all-minilm` (384); a name without a tag means `:latest`. The first model is
/// listed as loaded by `/api/ps`. `generate` and `chat` require `"stream": false`.
pub fn ollama() -> Fake {
    Fake::start("", |req| {
        let body = req.json();
        match (req.method.as_str(), req.path_only()) {
            ("GET", "/api/tags") => tags(),
            ("GET", "/api/ps") => ps(),
            ("POST", "/api/embed") => with_model(&body, |m| embed(&body, m)),
            ("POST", "/api/generate") => with_model(&body, |m| generate(&body, m)),
            ("POST", "/api/chat") => with_model(&body, |m| chat(&body, m)),
            _ => Reply::text(404, "404 page not found"),
        }
    })
}

fn error(status: u16, message: &str) -> Reply {
    Reply::json(status, json!({ "error": message }))
}

type ModelRow = (&'static str, usize, &'static str, &'static str, i64);

fn find_model(name: &str) -> Option<&'static ModelRow> {
    let full = if name.contains(':') { name.to_string() } else { format!("{name}:latest") };
    MODELS.iter().find(|m| m.0 == full)
}

fn with_model(body: &Value, f: impl FnOnce(&'static ModelRow) -> Reply) -> Reply {
    let Some(name) = body.get("model").and_then(Value::as_str) else {
        return error(400, "model is required");
    };
    match find_model(name) {
        Some(m) => f(m),
        None => error(404, &format!("model \"{name}\" not found, try pulling it first")),
    }
}

fn digest(name: &str) -> String {
    let v = fake_embedding(name, 8);
    v.iter().map(|x| format!("{:08x}", x.to_bits())).collect()
}

fn model_json((name, _, family, params, size): &ModelRow) -> Value {
    json!({
        "name": name,
        "model": name,
        "modified_at": MODIFIED_AT,
        "size": size,
        "digest": digest(name),
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": family,
            "families": [family],
            "parameter_size": params,
            "quantization_level": "Q4_0",
        },
    })
}

fn tags() -> Reply {
    Reply::ok(json!({ "models": MODELS.iter().map(model_json).collect::<Vec<_>>() }))
}

fn ps() -> Reply {
    let mut m = model_json(&MODELS[0]);
    let obj = m.as_object_mut().expect("object");
    obj.remove("modified_at");
    obj.insert("expires_at".into(), json!(EXPIRES_AT));
    obj.insert("size_vram".into(), json!(MODELS[0].4));
    Reply::ok(json!({ "models": [m] }))
}

fn stream_off(body: &Value) -> Option<Reply> {
    (body.get("stream") != Some(&Value::Bool(false)))
        .then(|| error(400, "the fake Ollama only answers \"stream\": false requests"))
}

fn embed(body: &Value, model: &ModelRow) -> Reply {
    let inputs: Vec<String> = match body.get("input") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => return error(400, "invalid input type"),
    };
    let embeddings: Vec<Vec<f32>> = inputs.iter().map(|t| fake_embedding(t, model.1)).collect();
    let tokens: usize = inputs.iter().map(|t| token_count(t)).sum();
    Reply::ok(json!({
        "model": model.0,
        "embeddings": embeddings,
        "total_duration": 14_143_917,
        "load_duration": 1_019_500,
        "prompt_eval_count": tokens,
    }))
}

fn generate(body: &Value, model: &ModelRow) -> Reply {
    if let Some(reply) = stream_off(body) {
        return reply;
    }
    let prompt = body.get("prompt").and_then(Value::as_str).unwrap_or_default();
    let images = body.get("images").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let b64 = base64::engine::general_purpose::STANDARD;
    if images.iter().any(|i| i.as_str().is_none_or(|s| b64.decode(s).is_err())) {
        return error(400, "illegal base64 data in images");
    }
    let mut response = format!("echo: {prompt}");
    if !images.is_empty() {
        response.push_str(&format!(" [{} images]", images.len()));
    }
    let mut context: Vec<i64> =
        body.get("context").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_i64).collect();
    context.push(prompt.len() as i64);
    Reply::ok(json!({
        "model": model.0,
        "created_at": "2024-06-04T12:00:00.000000Z",
        "response": response,
        "done": true,
        "done_reason": "stop",
        "context": context,
        "total_duration": 5_043_500_667u64,
        "load_duration": 5_025_959,
        "prompt_eval_count": token_count(prompt),
        "eval_count": token_count(&response),
    }))
}

fn chat(body: &Value, model: &ModelRow) -> Reply {
    if let Some(reply) = stream_off(body) {
        return reply;
    }
    let Some(messages) = body.get("messages").filter(|m| m.is_array()) else {
        return error(400, "messages must be an array");
    };
    let content = format!("echo: {}", last_message(messages));
    Reply::ok(json!({
        "model": model.0,
        "created_at": "2024-06-04T12:00:00.000000Z",
        "message": {"role": "assistant", "content": content},
        "done": true,
        "done_reason": "stop",
        "total_duration": 5_191_566_416u64,
        "prompt_eval_count": 26,
        "eval_count": token_count(&content),
    }))
}
