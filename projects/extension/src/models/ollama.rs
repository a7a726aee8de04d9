//! ai.ollama_*: local models served by Ollama. The host is the argument, else the setting
//! `ai.ollama_host`, else http://localhost:11434.

use super::{json, timestamptz};
use crate::call::{call, required, setting};
use crate::vector::Vector;
use pgrx::datum::TimestampWithTimeZone;
use pgrx::prelude::*;
use pgrx::JsonB;
use providers::ollama::{GenerateRequest, Ollama};

fn client(host: Option<&str>) -> Ollama {
    Ollama::new(host.map(str::to_string).or_else(|| setting("ai.ollama_host")))
}

fn families(f: Option<Vec<String>>) -> Option<JsonB> {
    f.map(|f| JsonB(serde_json::json!(f)))
}

// pgrx reads the column names from the signature: no type alias
#[allow(clippy::type_complexity)]
#[pg_extern(volatile, parallel_safe, create_or_replace)]
fn ollama_list_models(
    host: default!(Option<&str>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(name, String),
        name!(model, String),
        name!(size, i64),
        name!(digest, String),
        name!(family, String),
        name!(format, String),
        name!(families, Option<JsonB>),
        name!(parent_model, String),
        name!(parameter_size, String),
        name!(quantization_level, String),
        name!(modified_at, Option<TimestampWithTimeZone>),
    ),
> {
    let models = call(client(host).list_models());
    TableIterator::new(models.into_iter().map(|m| {
        let d = m.details;
        let modified = timestamptz(m.modified_at.as_deref());
        (
            m.name,
            m.model,
            m.size,
            m.digest,
            d.family,
            d.format,
            families(d.families),
            d.parent_model,
            d.parameter_size,
            d.quantization_level,
            modified,
        )
    }))
}

// pgrx reads the column names from the signature: no type alias
#[allow(clippy::type_complexity)]
#[pg_extern(volatile, parallel_safe, create_or_replace)]
fn ollama_ps(
    host: default!(Option<&str>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(name, String),
        name!(model, String),
        name!(size, i64),
        name!(digest, String),
        name!(parent_model, String),
        name!(format, String),
        name!(family, String),
        name!(families, Option<JsonB>),
        name!(parameter_size, String),
        name!(quantization_level, String),
        name!(expires_at, Option<TimestampWithTimeZone>),
        name!(size_vram, i64),
    ),
> {
    let models = call(client(host).ps());
    TableIterator::new(models.into_iter().map(|m| {
        let d = m.details;
        let expires = timestamptz(m.expires_at.as_deref());
        (
            m.name,
            m.model,
            m.size,
            m.digest,
            d.parent_model,
            d.format,
            d.family,
            families(d.families),
            d.parameter_size,
            d.quantization_level,
            expires,
            m.size_vram,
        )
    }))
}

#[pg_extern(immutable, parallel_safe, create_or_replace)]
fn ollama_embed(
    model: Option<&str>,
    input_text: Option<&str>,
    host: default!(Option<&str>, "NULL"),
    keep_alive: default!(Option<&str>, "NULL"),
    embedding_options: default!(Option<JsonB>, "NULL"),
) -> Option<Vector> {
    let model = required(model, "model");
    // a NULL text embeds to NULL, without a request
    let input_text = input_text?;
    Some(Vector(call(client(host).embed(model, input_text, keep_alive.map(str::to_string), json(embedding_options)))))
}

#[allow(clippy::too_many_arguments)]
#[pg_extern(volatile, parallel_safe, create_or_replace)]
fn ollama_generate(
    model: Option<&str>,
    prompt: Option<&str>,
    host: default!(Option<&str>, "NULL"),
    images: default!(Option<Array<&[u8]>>, "NULL"),
    keep_alive: default!(Option<&str>, "NULL"),
    embedding_options: default!(Option<JsonB>, "NULL"),
    system_prompt: default!(Option<&str>, "NULL"),
    template: default!(Option<&str>, "NULL"),
    context: default!(Option<Vec<i32>>, "NULL"),
) -> JsonB {
    let model = required(model, "model");
    let prompt = required(prompt, "prompt");
    let mut req = GenerateRequest::new(model, prompt);
    req.images = images.map(|a| a.iter().flatten().map(<[u8]>::to_vec).collect()).unwrap_or_default();
    req.keep_alive = keep_alive.map(str::to_string);
    req.options = json(embedding_options);
    req.system = system_prompt.map(str::to_string);
    req.template = template.map(str::to_string);
    req.context = context;
    JsonB(call(client(host).generate(&req)))
}

#[pg_extern(volatile, parallel_safe, create_or_replace)]
fn ollama_chat_complete(
    model: Option<&str>,
    messages: Option<JsonB>,
    host: default!(Option<&str>, "NULL"),
    keep_alive: default!(Option<&str>, "NULL"),
    chat_options: default!(Option<JsonB>, "NULL"),
) -> JsonB {
    let model = required(model, "model");
    let messages = required(messages, "messages");
    JsonB(call(client(host).chat(model, messages.0, keep_alive.map(str::to_string), json(chat_options))))
}
