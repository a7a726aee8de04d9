//! ai.anthropic_generate: Anthropic's Messages API.

use super::json;
use crate::call::{call, required, setting};
use crate::secrets::resolve_key;
use pgrx::prelude::*;
use pgrx::JsonB;
use providers::anthropic::{Anthropic, MessagesRequest};
use providers::http::{RetryPolicy, Timeouts};
use std::time::Duration;

#[allow(clippy::too_many_arguments)]
#[pg_extern(volatile, parallel_safe, create_or_replace)]
fn anthropic_generate(
    model: Option<&str>,
    messages: Option<JsonB>,
    max_tokens: default!(Option<i32>, 1024),
    api_key: default!(Option<&str>, "NULL"),
    api_key_name: default!(Option<&str>, "NULL"),
    base_url: default!(Option<&str>, "NULL"),
    timeout: default!(Option<f64>, "NULL"),
    max_retries: default!(Option<i32>, "NULL"),
    system_prompt: default!(Option<&str>, "NULL"),
    user_id: default!(Option<&str>, "NULL"),
    stop_sequences: default!(Option<Vec<String>>, "NULL"),
    temperature: default!(Option<f64>, "NULL"),
    tool_choice: default!(Option<JsonB>, "NULL"),
    tools: default!(Option<JsonB>, "NULL"),
    top_k: default!(Option<i32>, "NULL"),
    top_p: default!(Option<f64>, "NULL"),
) -> JsonB {
    let model = required(model, "model");
    let messages = required(messages, "messages");
    let max_tokens = required(max_tokens, "max_tokens");
    let key = resolve_key("anthropic", api_key, api_key_name, "ANTHROPIC_API_KEY");
    let base = base_url.map(str::to_string).or_else(|| setting("ai.anthropic_base_url"));
    let mut client = Anthropic::new(Some(key), base);
    if let Some(t) = timeout {
        if !(t > 0.0 && t.is_finite()) {
            error!("timeout must be a positive number of seconds (got {t})");
        }
        client = client.with_timeouts(Timeouts { request: Duration::from_secs_f64(t), ..Timeouts::default() });
    }
    if let Some(r) = max_retries {
        let r = u32::try_from(r).unwrap_or_else(|_| error!("max_retries must be 0 or more (got {r})"));
        client = client.with_retry(RetryPolicy { max_retries: r, ..RetryPolicy::default() });
    }
    let max_tokens =
        u32::try_from(max_tokens).unwrap_or_else(|_| error!("max_tokens must be positive (got {max_tokens})"));
    let mut req = MessagesRequest::new(model, messages.0, max_tokens).user_id(user_id.map(str::to_string));
    req.system = system_prompt.map(str::to_string);
    req.stop_sequences = stop_sequences;
    req.temperature = temperature;
    req.tool_choice = json(tool_choice);
    req.tools = json(tools);
    req.top_k = top_k;
    req.top_p = top_p;
    JsonB(call(client.messages(&req)))
}
