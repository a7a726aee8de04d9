//! ai.openai_*: embeddings, chat completions, moderation, models, and offline tokenization.

use super::json;
use crate::call::{call, required, setting};
use crate::secrets::{optional_key, resolve_key};
use crate::vector::Vector;
use pgrx::datum::TimestampWithTimeZone;
use pgrx::prelude::*;
use pgrx::JsonB;
use providers::openai::{ChatRequest, EmbedInput, EncodingFormat, OpenAi, DEFAULT_BASE_URL};

const KEY_NAME: &str = "OPENAI_API_KEY";

/// The argument, else the setting `ai.openai_base_url`, else the public API; the public API needs
/// a key, an OpenAI-compatible server may not.
fn client(api_key: Option<&str>, api_key_name: Option<&str>, base_url: Option<&str>) -> OpenAi {
    let base = base_url.map(str::to_string).or_else(|| setting("ai.openai_base_url"));
    let public = base.as_deref().is_none_or(|b| b.trim_end_matches('/') == DEFAULT_BASE_URL);
    let key = if public {
        Some(resolve_key("openai", api_key, api_key_name, KEY_NAME))
    } else {
        optional_key("openai", api_key, api_key_name, KEY_NAME)
    };
    OpenAi::new(key, base)
}

fn dims(dimensions: Option<i32>) -> Option<u32> {
    dimensions.map(|d| u32::try_from(d).unwrap_or_else(|_| error!("dimensions must be positive (got {d})")))
}

fn first_vector(mut v: Vec<(usize, Vec<f32>)>) -> Vector {
    match v.pop() {
        Some((_, e)) => Vector(e),
        None => error!("the OpenAI API returned no embedding"),
    }
}

#[pg_extern(immutable, parallel_safe, create_or_replace)]
fn openai_tokenize(model: &str, text_input: &str) -> Vec<i32> {
    let tokens = providers::tokenize::encode(model, text_input).unwrap_or_else(|e| error!("{e}"));
    tokens.into_iter().map(|t| t as i32).collect()
}

#[pg_extern(immutable, parallel_safe, create_or_replace)]
fn openai_detokenize(model: &str, tokens: Vec<i32>) -> String {
    let tokens: Vec<u32> = tokens.into_iter().map(|t| t as u32).collect();
    providers::tokenize::decode(model, &tokens).unwrap_or_else(|e| error!("{e}"))
}

#[pg_extern(volatile, parallel_safe, create_or_replace)]
fn openai_list_models(
    api_key: default!(Option<&str>, "NULL"),
    api_key_name: default!(Option<&str>, "NULL"),
    base_url: default!(Option<&str>, "NULL"),
) -> TableIterator<'static, (name!(id, String), name!(created, Option<TimestampWithTimeZone>), name!(owned_by, String))>
{
    let client = client(api_key, api_key_name, base_url);
    let models = call(client.list_models());
    TableIterator::new(
        models.into_iter().map(|m| (m.id, Some(pgrx::datum::to_timestamp(m.created as f64)), m.owned_by)),
    )
}

#[pg_extern(name = "openai_embed", immutable, parallel_safe, create_or_replace)]
fn openai_embed_text(
    model: Option<&str>,
    input_text: Option<&str>,
    api_key: default!(Option<&str>, "NULL"),
    api_key_name: default!(Option<&str>, "NULL"),
    base_url: default!(Option<&str>, "NULL"),
    dimensions: default!(Option<i32>, "NULL"),
    openai_user: default!(Option<&str>, "NULL"),
) -> Option<Vector> {
    let model = required(model, "model");
    // a NULL text embeds to NULL (as in a query over rows with NULL texts), without a request
    let input_text = input_text?;
    let client = client(api_key, api_key_name, base_url);
    let input = EmbedInput::Text(input_text.to_string());
    Some(first_vector(call(client.embed_with_format(
        model,
        input,
        dims(dimensions),
        openai_user.map(str::to_string),
        EncodingFormat::Base64,
    ))))
}

#[pg_extern(name = "openai_embed", immutable, parallel_safe, create_or_replace)]
fn openai_embed_texts(
    model: Option<&str>,
    input_texts: Option<Vec<String>>,
    api_key: default!(Option<&str>, "NULL"),
    api_key_name: default!(Option<&str>, "NULL"),
    base_url: default!(Option<&str>, "NULL"),
    dimensions: default!(Option<i32>, "NULL"),
    openai_user: default!(Option<&str>, "NULL"),
) -> TableIterator<'static, (name!(index, i32), name!(embedding, Vector))> {
    let model = required(model, "model");
    let input_texts = required(input_texts, "input_texts");
    let client = client(api_key, api_key_name, base_url);
    let input = EmbedInput::Texts(input_texts);
    let out = call(client.embed_with_format(
        model,
        input,
        dims(dimensions),
        openai_user.map(str::to_string),
        EncodingFormat::Base64,
    ));
    TableIterator::new(out.into_iter().map(|(i, e)| (i as i32, Vector(e))))
}

#[pg_extern(name = "openai_embed", immutable, parallel_safe, create_or_replace)]
fn openai_embed_tokens(
    model: Option<&str>,
    input_tokens: Option<Vec<i32>>,
    api_key: default!(Option<&str>, "NULL"),
    api_key_name: default!(Option<&str>, "NULL"),
    base_url: default!(Option<&str>, "NULL"),
    dimensions: default!(Option<i32>, "NULL"),
    openai_user: default!(Option<&str>, "NULL"),
) -> Vector {
    let model = required(model, "model");
    let input_tokens = required(input_tokens, "input_tokens");
    let client = client(api_key, api_key_name, base_url);
    let input = EmbedInput::Tokens(vec![input_tokens.into_iter().map(|t| t as u32).collect()]);
    first_vector(call(client.embed_with_format(
        model,
        input,
        dims(dimensions),
        openai_user.map(str::to_string),
        EncodingFormat::Base64,
    )))
}

#[allow(clippy::too_many_arguments)]
#[pg_extern(volatile, parallel_safe, create_or_replace)]
fn openai_chat_complete(
    model: Option<&str>,
    messages: Option<JsonB>,
    api_key: default!(Option<&str>, "NULL"),
    api_key_name: default!(Option<&str>, "NULL"),
    base_url: default!(Option<&str>, "NULL"),
    frequency_penalty: default!(Option<f64>, "NULL"),
    logit_bias: default!(Option<JsonB>, "NULL"),
    logprobs: default!(Option<bool>, "NULL"),
    top_logprobs: default!(Option<i32>, "NULL"),
    max_tokens: default!(Option<i32>, "NULL"),
    n: default!(Option<i32>, "NULL"),
    presence_penalty: default!(Option<f64>, "NULL"),
    response_format: default!(Option<JsonB>, "NULL"),
    seed: default!(Option<i32>, "NULL"),
    stop: default!(Option<&str>, "NULL"),
    temperature: default!(Option<f64>, "NULL"),
    top_p: default!(Option<f64>, "NULL"),
    tools: default!(Option<JsonB>, "NULL"),
    tool_choice: default!(Option<JsonB>, "NULL"),
    openai_user: default!(Option<&str>, "NULL"),
) -> JsonB {
    let model = required(model, "model");
    let messages = required(messages, "messages");
    let client = client(api_key, api_key_name, base_url);
    let mut req = ChatRequest::new(model, messages.0);
    req.frequency_penalty = frequency_penalty;
    req.logit_bias = json(logit_bias);
    req.logprobs = logprobs;
    req.top_logprobs = top_logprobs;
    req.max_tokens = max_tokens;
    req.n = n;
    req.presence_penalty = presence_penalty;
    req.response_format = json(response_format);
    req.seed = seed.map(i64::from);
    req.stop = stop.map(str::to_string);
    req.temperature = temperature;
    req.top_p = top_p;
    req.tools = json(tools);
    req.tool_choice = json(tool_choice);
    req.user = openai_user.map(str::to_string);
    JsonB(call(client.chat_complete(&req)))
}

/// A one-shot question to gpt-4o (as pgai does); the answer's text.
#[pg_extern(volatile, parallel_safe, create_or_replace)]
fn openai_chat_complete_simple(
    message: Option<&str>,
    api_key: default!(Option<&str>, "NULL"),
    api_key_name: default!(Option<&str>, "NULL"),
) -> Option<String> {
    let message = required(message, "message");
    let client = client(api_key, api_key_name, None);
    let messages = serde_json::json!([
        {"role": "system", "content": "you are a helpful assistant"},
        {"role": "user", "content": message},
    ]);
    let out = call(client.chat_complete(&ChatRequest::new("gpt-4o", messages)));
    out.pointer("/choices/0/message/content").and_then(|c| c.as_str()).map(str::to_string)
}

#[pg_extern(immutable, parallel_safe, create_or_replace)]
fn openai_moderate(
    model: Option<&str>,
    input_text: Option<&str>,
    api_key: default!(Option<&str>, "NULL"),
    api_key_name: default!(Option<&str>, "NULL"),
    base_url: default!(Option<&str>, "NULL"),
) -> JsonB {
    let model = required(model, "model");
    let input_text = required(input_text, "input_text");
    let client = client(api_key, api_key_name, base_url);
    JsonB(call(client.moderate(model, input_text)))
}
