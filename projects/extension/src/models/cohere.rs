//! ai.cohere_*: Cohere's v1 API (base URL from the setting `ai.cohere_base_url`).

use super::json;
use crate::call::{call, required, setting};
use crate::secrets::resolve_key;
use crate::vector::Vector;
use pgrx::prelude::*;
use pgrx::JsonB;
use providers::cohere::{ChatRequest, Cohere, RerankRequest};
use serde_json::Value;

fn client(api_key: Option<&str>, api_key_name: Option<&str>) -> Cohere {
    Cohere::new(Some(resolve_key("cohere", api_key, api_key_name, "COHERE_API_KEY")), setting("ai.cohere_base_url"))
}

fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_string)
}

// pgrx reads the column names from the signature: no type alias
#[allow(clippy::type_complexity)]
#[pg_extern(volatile, parallel_safe, create_or_replace)]
fn cohere_list_models(
    api_key: default!(Option<&str>, "NULL"),
    api_key_name: default!(Option<&str>, "NULL"),
    endpoint: default!(Option<&str>, "NULL"),
    default_only: default!(Option<bool>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(name, String),
        name!(endpoints, Vec<String>),
        name!(finetuned, bool),
        name!(context_length, Option<i32>),
        name!(tokenizer_url, Option<String>),
        name!(default_endpoints, Vec<String>),
    ),
> {
    let models = call(client(api_key, api_key_name).list_models(owned(endpoint), default_only));
    TableIterator::new(models.into_iter().map(|m| {
        let ctx = m.context_length.map(|c| i32::try_from(c).unwrap_or(i32::MAX));
        (m.name, m.endpoints, m.finetuned, ctx, m.tokenizer_url, m.default_endpoints)
    }))
}

#[pg_extern(immutable, parallel_safe, create_or_replace)]
fn cohere_tokenize(
    model: Option<&str>,
    text_input: Option<&str>,
    api_key: default!(Option<&str>, "NULL"),
    api_key_name: default!(Option<&str>, "NULL"),
) -> Vec<i32> {
    let model = required(model, "model");
    let text_input = required(text_input, "text_input");
    call(client(api_key, api_key_name).tokenize(model, text_input))
}

#[pg_extern(immutable, parallel_safe, create_or_replace)]
fn cohere_detokenize(
    model: Option<&str>,
    tokens: Option<Vec<i32>>,
    api_key: default!(Option<&str>, "NULL"),
    api_key_name: default!(Option<&str>, "NULL"),
) -> String {
    let model = required(model, "model");
    let tokens = required(tokens, "tokens");
    call(client(api_key, api_key_name).detokenize(model, &tokens))
}

#[pg_extern(immutable, parallel_safe, create_or_replace)]
fn cohere_embed(
    model: Option<&str>,
    input_text: Option<&str>,
    api_key: default!(Option<&str>, "NULL"),
    api_key_name: default!(Option<&str>, "NULL"),
    input_type: default!(Option<&str>, "NULL"),
    truncate_long_inputs: default!(Option<&str>, "NULL"),
) -> Option<Vector> {
    let model = required(model, "model");
    // a NULL text embeds to NULL (as in a query over rows with NULL texts), without a request
    let input_text = input_text?;
    Some(Vector(call(client(api_key, api_key_name).embed(
        model,
        input_text,
        owned(input_type),
        owned(truncate_long_inputs),
    ))))
}

fn classify(
    model: &str,
    inputs: &[String],
    api_key: Option<&str>,
    api_key_name: Option<&str>,
    examples: Option<JsonB>,
    truncate: Option<&str>,
) -> Value {
    call(client(api_key, api_key_name).classify(model, inputs, json(examples), owned(truncate)))
}

#[pg_extern(immutable, parallel_safe, create_or_replace)]
fn cohere_classify(
    model: Option<&str>,
    inputs: Option<Vec<String>>,
    api_key: default!(Option<&str>, "NULL"),
    api_key_name: default!(Option<&str>, "NULL"),
    examples: default!(Option<JsonB>, "NULL"),
    truncate_long_inputs: default!(Option<&str>, "NULL"),
) -> JsonB {
    let model = required(model, "model");
    let inputs = required(inputs, "inputs");
    JsonB(classify(model, &inputs, api_key, api_key_name, examples, truncate_long_inputs))
}

#[pg_extern(immutable, parallel_safe, create_or_replace)]
fn cohere_classify_simple(
    model: Option<&str>,
    inputs: Option<Vec<String>>,
    api_key: default!(Option<&str>, "NULL"),
    api_key_name: default!(Option<&str>, "NULL"),
    examples: default!(Option<JsonB>, "NULL"),
    truncate_long_inputs: default!(Option<&str>, "NULL"),
) -> TableIterator<
    'static,
    (name!(input, Option<String>), name!(prediction, Option<String>), name!(confidence, Option<f64>)),
> {
    let model = required(model, "model");
    let inputs = required(inputs, "inputs");
    let out = classify(model, &inputs, api_key, api_key_name, examples, truncate_long_inputs);
    let rows: Vec<_> = out
        .get("classifications")
        .and_then(Value::as_array)
        .map(|c| {
            c.iter()
                .map(|c| {
                    let s = |k: &str| c.get(k).and_then(Value::as_str).map(str::to_string);
                    (s("input"), s("prediction"), c.get("confidence").and_then(Value::as_f64))
                })
                .collect()
        })
        .unwrap_or_else(|| error!("Cohere's classify answer has no classifications"));
    TableIterator::new(rows)
}

#[allow(clippy::too_many_arguments)]
#[pg_extern(immutable, parallel_safe, create_or_replace)]
fn cohere_rerank(
    model: Option<&str>,
    query: Option<&str>,
    documents: Option<JsonB>,
    api_key: default!(Option<&str>, "NULL"),
    api_key_name: default!(Option<&str>, "NULL"),
    top_n: default!(Option<i32>, "NULL"),
    rank_fields: default!(Option<Vec<String>>, "NULL"),
    return_documents: default!(Option<bool>, "NULL"),
    max_chunks_per_doc: default!(Option<i32>, "NULL"),
) -> JsonB {
    let model = required(model, "model");
    let query = required(query, "query");
    let documents = required(documents, "documents");
    let mut req = RerankRequest::new(model, query, documents.0);
    req.top_n = top_n;
    req.rank_fields = rank_fields;
    req.return_documents = return_documents;
    req.max_chunks_per_doc = max_chunks_per_doc;
    JsonB(call(client(api_key, api_key_name).rerank(&req)))
}

/// The ranking as rows, each with the document it ranks (taken from `documents`).
#[allow(clippy::too_many_arguments)]
#[pg_extern(immutable, parallel_safe, create_or_replace)]
fn cohere_rerank_simple(
    model: Option<&str>,
    query: Option<&str>,
    documents: Option<JsonB>,
    api_key: default!(Option<&str>, "NULL"),
    api_key_name: default!(Option<&str>, "NULL"),
    top_n: default!(Option<i32>, "NULL"),
    max_chunks_per_doc: default!(Option<i32>, "NULL"),
) -> TableIterator<'static, (name!(index, i32), name!(document, Option<JsonB>), name!(relevance_score, Option<f64>))> {
    let model = required(model, "model");
    let query = required(query, "query");
    let documents = required(documents, "documents");
    let docs = documents.0.clone();
    let mut req = RerankRequest::new(model, query, documents.0);
    req.top_n = top_n;
    req.max_chunks_per_doc = max_chunks_per_doc;
    req.return_documents = Some(false);
    let out = call(client(api_key, api_key_name).rerank(&req));
    let rows: Vec<_> = out
        .get("results")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .map(|r| {
                    let index = r
                        .get("index")
                        .and_then(Value::as_i64)
                        .unwrap_or_else(|| error!("a rerank result has no index"));
                    let doc = docs.get(index as usize).cloned().map(JsonB);
                    (index as i32, doc, r.get("relevance_score").and_then(Value::as_f64))
                })
                .collect()
        })
        .unwrap_or_else(|| error!("Cohere's rerank answer has no results"));
    TableIterator::new(rows)
}

#[allow(clippy::too_many_arguments)]
#[pg_extern(volatile, parallel_safe, create_or_replace)]
fn cohere_chat_complete(
    model: Option<&str>,
    message: Option<&str>,
    api_key: default!(Option<&str>, "NULL"),
    api_key_name: default!(Option<&str>, "NULL"),
    preamble: default!(Option<&str>, "NULL"),
    chat_history: default!(Option<JsonB>, "NULL"),
    conversation_id: default!(Option<&str>, "NULL"),
    prompt_truncation: default!(Option<&str>, "NULL"),
    connectors: default!(Option<JsonB>, "NULL"),
    search_queries_only: default!(Option<bool>, "NULL"),
    documents: default!(Option<JsonB>, "NULL"),
    citation_quality: default!(Option<&str>, "NULL"),
    temperature: default!(Option<f64>, "NULL"),
    max_tokens: default!(Option<i32>, "NULL"),
    max_input_tokens: default!(Option<i32>, "NULL"),
    k: default!(Option<i32>, "NULL"),
    p: default!(Option<f64>, "NULL"),
    seed: default!(Option<i32>, "NULL"),
    stop_sequences: default!(Option<Vec<String>>, "NULL"),
    frequency_penalty: default!(Option<f64>, "NULL"),
    presence_penalty: default!(Option<f64>, "NULL"),
    tools: default!(Option<JsonB>, "NULL"),
    tool_results: default!(Option<JsonB>, "NULL"),
    force_single_step: default!(Option<bool>, "NULL"),
) -> JsonB {
    let model = required(model, "model");
    let message = required(message, "message");
    let mut req = ChatRequest::new(model, message);
    req.preamble = owned(preamble);
    req.chat_history = json(chat_history);
    req.conversation_id = owned(conversation_id);
    req.prompt_truncation = owned(prompt_truncation);
    req.connectors = json(connectors);
    req.search_queries_only = search_queries_only;
    req.documents = json(documents);
    req.citation_quality = owned(citation_quality);
    req.temperature = temperature;
    req.max_tokens = max_tokens;
    req.max_input_tokens = max_input_tokens;
    req.k = k;
    req.p = p;
    req.seed = seed.map(i64::from);
    req.stop_sequences = stop_sequences;
    req.frequency_penalty = frequency_penalty;
    req.presence_penalty = presence_penalty;
    req.tools = json(tools);
    req.tool_results = json(tool_results);
    req.force_single_step = force_single_step;
    JsonB(call(client(api_key, api_key_name).chat(&req)))
}
