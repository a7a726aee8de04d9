//! A fake Anthropic Messages API (`base_url()` is the server URL; the path is `/v1/messages`).

use super::{last_message, token_count, Fake};
use crate::http::{Reply, Request};
use serde_json::{json, Value};

/// A fake Anthropic expecting `x-api-key: <expected_key>` and an `anthropic-version` header.
/// Answers `"echo: <last message>"`; `max_tokens` caps the answer's length in characters
/// (with `stop_reason: "max_tokens"`).
pub fn anthropic(expected_key: &str) -> Fake {
    crate::evidence::secret(expected_key);
    let key = expected_key.to_string();
    Fake::start("", move |req| {
        if let Some(reply) = check_headers(req, &key) {
            return reply;
        }
        match (req.method.as_str(), req.path_only()) {
            ("POST", "/v1/messages") => messages(&req.json()),
            _ => error(404, "not_found_error", "Not found"),
        }
    })
}

fn error(status: u16, kind: &str, message: &str) -> Reply {
    Reply::json(status, json!({"type": "error", "error": {"type": kind, "message": message}}))
}

fn check_headers(req: &Request, key: &str) -> Option<Reply> {
    match req.header("x-api-key") {
        None => return Some(error(401, "authentication_error", "x-api-key header is required")),
        Some(k) if k != key => return Some(error(401, "authentication_error", "invalid x-api-key")),
        Some(_) => {}
    }
    if req.header("anthropic-version").is_none() {
        return Some(error(400, "invalid_request_error", "anthropic-version: header is required"));
    }
    None
}

fn messages(body: &Value) -> Reply {
    let invalid = |m: &str| error(400, "invalid_request_error", m);
    let Some(model) = body.get("model").and_then(Value::as_str) else {
        return invalid("model: Field required");
    };
    let Some(max_tokens) = body.get("max_tokens").and_then(Value::as_u64) else {
        return invalid("max_tokens: Field required");
    };
    let Some(messages) = body.get("messages").filter(|m| m.as_array().is_some_and(|a| !a.is_empty())) else {
        return invalid("messages: at least one message is required");
    };
    let mut text = format!("echo: {}", last_message(messages));
    let mut stop_reason = "end_turn";
    if text.chars().count() > max_tokens as usize {
        text = text.chars().take(max_tokens as usize).collect();
        stop_reason = "max_tokens";
    }
    let input_tokens: usize =
        messages.as_array().into_iter().flatten().map(|m| token_count(&super::content_text(&m["content"]))).sum();
    Reply::ok(json!({
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": {"input_tokens": input_tokens, "output_tokens": token_count(&text)},
    }))
}
