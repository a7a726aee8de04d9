//! A fake OpenAI API (`base_url()` is `<url>/v1`).

use super::{bearer, fake_embedding, last_message, token_count, Fake};
use crate::http::{Reply, Request};
use base64::Engine;
use serde_json::{json, Value};

/// The models `GET /v1/models` lists.
const MODELS: &[(&str, i64, &str)] = &[
    ("gpt-4o", 1_715_367_049, "system"),
    ("gpt-4o-mini", 1_721_172_741, "system"),
    ("text-embedding-3-small", 1_705_948_997, "system"),
    ("text-embedding-3-large", 1_705_953_180, "system"),
    ("text-embedding-ada-002", 1_671_217_299, "openai-internal"),
    ("omni-moderation-latest", 1_731_689_265, "system"),
];

/// Words that make the fake moderation flag its input (as `violence`).
const FLAGGED_WORDS: &[&str] = &["kill", "murder", "attack"];

/// A fake OpenAI expecting `Authorization: Bearer <expected_key>`.
///
/// Embeddings: each text's vector is [`fake_embedding`]`(text, dims)`, where `dims` is the
/// request's `dimensions`, else 3072 for `text-embedding-3-large` and 1536 otherwise; a token
/// array embeds as [`tokens_text`] of it. `encoding_format: "base64"` is honoured. The `data`
/// array is returned in reverse index order, so clients must sort by `index`.
pub fn openai(expected_key: &str) -> Fake {
    crate::evidence::secret(expected_key);
    let key = expected_key.to_string();
    Fake::start("/v1", move |req| {
        if let Some(reply) = check_auth(req, &key) {
            return reply;
        }
        match (req.method.as_str(), req.path_only()) {
            ("POST", "/v1/embeddings") => embeddings(&req.json()),
            ("POST", "/v1/chat/completions") => chat(&req.json()),
            ("POST", "/v1/moderations") => moderations(&req.json()),
            ("GET", "/v1/models") => models(),
            (m, p) => error(404, &format!("Invalid URL ({m} {p})"), "invalid_request_error", None),
        }
    })
}

/// The text a token-array input is embedded as: the ids joined by commas, e.g. `"15339,1917"`.
pub fn tokens_text<T: ToString>(tokens: &[T]) -> String {
    tokens.iter().map(T::to_string).collect::<Vec<_>>().join(",")
}

fn error(status: u16, message: &str, kind: &str, code: Option<&str>) -> Reply {
    Reply::json(status, json!({"error": {"message": message, "type": kind, "param": null, "code": code}}))
}

fn check_auth(req: &Request, key: &str) -> Option<Reply> {
    match bearer(req) {
        Some(k) if k == key => None,
        Some(k) => Some(error(
            401,
            &format!(
                "Incorrect API key provided: {}. You can find your API key at https://platform.openai.com/account/api-keys.",
                mask(k)
            ),
            "invalid_request_error",
            Some("invalid_api_key"),
        )),
        None => Some(error(
            401,
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            "invalid_request_error",
            None,
        )),
    }
}

/// Masks a key as OpenAI does: a few leading characters, stars, the last four.
fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// The texts to embed, or an error reply.
fn embedding_inputs(input: &Value) -> Result<Vec<String>, Reply> {
    let invalid = || {
        error(
            400,
            "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
            "invalid_request_error",
            None,
        )
    };
    let token_list = |v: &Value| v.as_array().and_then(|a| a.iter().map(Value::as_u64).collect::<Option<Vec<_>>>());
    let texts = match input {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) if items.is_empty() => return Err(invalid()),
        Value::Array(items) if items.iter().all(Value::is_string) => {
            items.iter().map(|s| s.as_str().unwrap_or_default().to_string()).collect()
        }
        Value::Array(items) if items.iter().all(Value::is_u64) => {
            vec![tokens_text(&token_list(input).ok_or_else(invalid)?)]
        }
        Value::Array(items) => items
            .iter()
            .map(|t| token_list(t).filter(|t| !t.is_empty()).map(|t| tokens_text(&t)))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(invalid)?,
        _ => return Err(invalid()),
    };
    if texts.iter().any(String::is_empty) {
        return Err(invalid());
    }
    Ok(texts)
}

/// The fake's answer to an embeddings request body (public so that a fault can answer a
/// subtly wrong variant of it).
pub fn embeddings(body: &Value) -> Reply {
    let Some(model) = body.get("model").and_then(Value::as_str) else {
        return error(400, "you must provide a model parameter", "invalid_request_error", None);
    };
    let texts = match embedding_inputs(body.get("input").unwrap_or(&Value::Null)) {
        Ok(t) => t,
        Err(reply) => return reply,
    };
    let dims = match body.get("dimensions").and_then(Value::as_u64) {
        Some(_) if model == "text-embedding-ada-002" => {
            return error(400, "This model does not support specifying dimensions.", "invalid_request_error", None)
        }
        Some(0) => {
            return error(400, "Invalid 'dimensions': integer below minimum value.", "invalid_request_error", None)
        }
        Some(d) => d as usize,
        None if model == "text-embedding-3-large" => 3072,
        None => 1536,
    };
    let base64 = body.get("encoding_format").and_then(Value::as_str) == Some("base64");
    let tokens: usize = texts.iter().map(|t| token_count(t)).sum();
    let data: Vec<Value> = texts
        .iter()
        .enumerate()
        .rev()
        .map(|(index, text)| {
            let v = fake_embedding(text, dims);
            let embedding = if base64 {
                let bytes: Vec<u8> = v.iter().flat_map(|f| f.to_le_bytes()).collect();
                json!(base64::engine::general_purpose::STANDARD.encode(bytes))
            } else {
                json!(v)
            };
            json!({"object": "embedding", "index": index, "embedding": embedding})
        })
        .collect();
    Reply::ok(json!({
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }))
}

fn chat(body: &Value) -> Reply {
    let Some(model) = body.get("model").and_then(Value::as_str) else {
        return error(400, "you must provide a model parameter", "invalid_request_error", None);
    };
    let Some(messages) = body.get("messages").filter(|m| m.as_array().is_some_and(|a| !a.is_empty())) else {
        return error(
            400,
            "Invalid 'messages': empty array. Expected an array with minimum length 1.",
            "invalid_request_error",
            None,
        );
    };
    let content = format!("echo: {}", last_message(messages));
    let n = body.get("n").and_then(Value::as_u64).unwrap_or(1);
    let choices: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "index": i,
                "message": {"role": "assistant", "content": content, "refusal": null},
                "logprobs": null,
                "finish_reason": "stop",
            })
        })
        .collect();
    let prompt_tokens: usize =
        messages.as_array().into_iter().flatten().map(|m| token_count(&super::content_text(&m["content"]))).sum();
    let completion_tokens = token_count(&content) * n as usize;
    Reply::ok(json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "system_fingerprint": "fp_fake",
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }))
}

fn moderations(body: &Value) -> Reply {
    let inputs: Vec<String> = match body.get("input") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => return error(400, "'$.input' is invalid.", "invalid_request_error", None),
    };
    let model = body.get("model").and_then(Value::as_str).unwrap_or("omni-moderation-latest");
    let results: Vec<Value> = inputs
        .iter()
        .map(|text| {
            let violent = super::words(text).iter().any(|w| FLAGGED_WORDS.contains(&w.as_str()));
            let score = if violent { 0.98 } else { 0.0001 };
            json!({
                "flagged": violent,
                "categories": {"harassment": false, "hate": false, "self-harm": false, "sexual": false, "violence": violent},
                "category_scores": {"harassment": 0.0001, "hate": 0.0001, "self-harm": 0.0001, "sexual": 0.0001, "violence": score},
            })
        })
        .collect();
    Reply::ok(json!({"id": "modr-fake", "model": model, "results": results}))
}

fn models() -> Reply {
    let data: Vec<Value> = MODELS
        .iter()
        .map(|(id, created, owner)| json!({"id": id, "object": "model", "created": created, "owned_by": owner}))
        .collect();
    Reply::ok(json!({"object": "list", "data": data}))
}
