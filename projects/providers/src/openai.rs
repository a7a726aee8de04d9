//! OpenAI, and any server speaking its API (`base_url`): embeddings, chat completions,
//! moderations, model list. Auth: `Authorization: Bearer <key>`.

use crate::error::{Error, Result};
use crate::http::{http_settings, join_url, ApiRequest, HttpClient};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

const PROVIDER: &str = "openai";
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// A client for one key and base URL.
#[derive(Clone)]
pub struct OpenAi {
    http: HttpClient,
    api_key: Option<String>,
    base_url: String,
}

impl fmt::Debug for OpenAi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAi")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

http_settings!(OpenAi);

/// What to embed: one text, several texts, or pre-tokenized inputs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum EmbedInput {
    Text(String),
    Texts(Vec<String>),
    Tokens(Vec<Vec<u32>>),
}

/// How the API returns vectors: JSON floats, or base64 little-endian f32 (smaller, faster).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EncodingFormat {
    #[default]
    Float,
    Base64,
}

#[derive(Serialize)]
struct EmbedRequest<'a> {
    model: &'a str,
    input: &'a EmbedInput,
    #[serde(skip_serializing_if = "Option::is_none")]
    dimensions: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<String>,
    /// Left out for `Float` (the API's default), which some compatible servers lack.
    #[serde(skip_serializing_if = "EncodingFormat::is_float")]
    encoding_format: EncodingFormat,
}

impl EncodingFormat {
    fn is_float(&self) -> bool {
        *self == EncodingFormat::Float
    }
}

#[derive(Deserialize)]
struct EmbedResponse<T> {
    data: Vec<EmbeddingItem<T>>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Usage {
    prompt_tokens: u64,
}

/// `T` is `Vec<f32>` for the float format, [`Base64F32`] for base64: typed per format so that
/// large answers deserialize without buffering.
#[derive(Deserialize)]
struct EmbeddingItem<T> {
    index: usize,
    embedding: T,
}

/// A base64 embedding, decoded as it is parsed (from the answer's own bytes: no string of it
/// is kept, which matters with thousands of vectors in flight).
struct Base64F32(std::result::Result<Vec<f32>, String>);

impl<'de> Deserialize<'de> for Base64F32 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Base64F32;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a base64 string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> std::result::Result<Base64F32, E> {
                Ok(Base64F32(decode_base64_f32(s).map_err(|e| e.message().to_string())))
            }
        }
        d.deserialize_str(Visitor)
    }
}

/// The body of a chat completion, with every parameter of `ai.openai_chat_complete`.
/// `None` fields are left out of the JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logit_bias: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_logprobs: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

impl ChatRequest {
    /// A request with only the required fields; set the others directly.
    pub fn new(model: impl Into<String>, messages: Value) -> Self {
        ChatRequest { model: model.into(), messages, ..Default::default() }
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("a ChatRequest always serializes")
    }
}

/// One entry of the model list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Model {
    pub id: String,
    /// Unix time, seconds.
    #[serde(default)]
    pub created: i64,
    #[serde(default)]
    pub owned_by: String,
}

#[derive(Deserialize)]
struct ModelList {
    data: Vec<Model>,
}

impl OpenAi {
    /// `base_url` defaults to [`DEFAULT_BASE_URL`]. A key is required for that URL; another
    /// (OpenAI-compatible) server may be used without one: no `Authorization` header is sent.
    pub fn new(api_key: Option<String>, base_url: Option<String>) -> Self {
        OpenAi {
            http: HttpClient::shared(),
            api_key,
            base_url: base_url.unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn key(&self) -> Result<Option<&str>> {
        match self.api_key.as_deref() {
            None if self.base_url.trim_end_matches('/') == DEFAULT_BASE_URL => {
                Err(Error::config(PROVIDER, "no API key given for the OpenAI API"))
            }
            key => Ok(key),
        }
    }

    fn get(&self, path: &str) -> Result<ApiRequest<'_>> {
        Ok(ApiRequest::get(PROVIDER, join_url(&self.base_url, path)).bearer(self.key()?))
    }

    fn post(&self, path: &str, body: &impl Serialize) -> Result<ApiRequest<'_>> {
        Ok(ApiRequest::post(PROVIDER, join_url(&self.base_url, path), body).bearer(self.key()?))
    }

    /// Embeds `input`; `(index, vector)` pairs sorted by index.
    pub async fn embed(
        &self,
        model: &str,
        input: EmbedInput,
        dimensions: Option<u32>,
        user: Option<String>,
    ) -> Result<Vec<(usize, Vec<f32>)>> {
        self.embed_with_format(model, input, dimensions, user, EncodingFormat::Float).await
    }

    /// [`embed`](Self::embed), choosing the wire format (`Base64` is decoded here).
    pub async fn embed_with_format(
        &self,
        model: &str,
        input: EmbedInput,
        dimensions: Option<u32>,
        user: Option<String>,
        format: EncodingFormat,
    ) -> Result<Vec<(usize, Vec<f32>)>> {
        Ok(self.embed_with_usage(model, input, dimensions, user, format).await?.0)
    }

    /// [`embed_with_format`](Self::embed_with_format), with the tokens the API counted
    /// (`usage.prompt_tokens`, when it says).
    pub async fn embed_with_usage(
        &self,
        model: &str,
        input: EmbedInput,
        dimensions: Option<u32>,
        user: Option<String>,
        format: EncodingFormat,
    ) -> Result<(Vec<(usize, Vec<f32>)>, Option<u64>)> {
        let body = EmbedRequest { model, input: &input, dimensions, user, encoding_format: format };
        let req = self.post("embeddings", &body)?;
        let (mut out, usage) = match format {
            EncodingFormat::Float => {
                let resp: EmbedResponse<Vec<f32>> = self.http.json(&req).await?;
                let usage = resp.usage.map(|u| u.prompt_tokens);
                (resp.data.into_iter().map(|item| (item.index, item.embedding)).collect::<Vec<_>>(), usage)
            }
            EncodingFormat::Base64 => {
                let resp: EmbedResponse<Base64F32> = self.http.json(&req).await?;
                let usage = resp.usage.map(|u| u.prompt_tokens);
                let decode = |item: EmbeddingItem<Base64F32>| match item.embedding.0 {
                    Ok(v) => Ok((item.index, v)),
                    Err(message) => Err(Error::decode(PROVIDER, message)),
                };
                (resp.data.into_iter().map(decode).collect::<Result<Vec<_>>>()?, usage)
            }
        };
        out.sort_by_key(|(i, _)| *i);
        Ok((out, usage))
    }

    /// POST /chat/completions with `body` (a [`ChatRequest`] or any JSON); the raw answer.
    pub async fn chat_complete(&self, body: impl Serialize) -> Result<Value> {
        self.http.json(&self.post("chat/completions", &body)?).await
    }

    /// POST /moderations; the raw answer.
    pub async fn moderate(&self, model: &str, input: &str) -> Result<Value> {
        let body = serde_json::json!({ "model": model, "input": input });
        self.http.json(&self.post("moderations", &body)?).await
    }

    /// GET /models.
    pub async fn list_models(&self) -> Result<Vec<Model>> {
        let list: ModelList = self.http.json(&self.get("models")?).await?;
        Ok(list.data)
    }
}

/// Decodes OpenAI's base64 embedding: little-endian f32s.
pub fn decode_base64_f32(s: &str) -> Result<Vec<f32>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| Error::decode(PROVIDER, format!("embedding is not valid base64: {e}")))?;
    if bytes.len() % 4 != 0 {
        return Err(Error::decode(
            PROVIDER,
            format!("base64 embedding has {} bytes, not a multiple of 4", bytes.len()),
        ));
    }
    Ok(bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn base64_roundtrip() {
        let v = [1.5f32, -0.25, 3.0e-7];
        let bytes: Vec<u8> = v.iter().flat_map(|f| f.to_le_bytes()).collect();
        let s = base64::engine::general_purpose::STANDARD.encode(bytes);
        assert_eq!(decode_base64_f32(&s).unwrap(), v);
        assert!(decode_base64_f32("AAA=").is_err());
        assert!(decode_base64_f32("!!").is_err());
    }

    #[test]
    fn chat_request_skips_none() {
        let mut r = ChatRequest::new("gpt-4o", json!([{"role": "user", "content": "hi"}]));
        assert_eq!(r.to_value(), json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}));
        r.seed = Some(7);
        r.stop = Some("\n".into());
        assert_eq!(r.to_value()["seed"], 7);
        assert_eq!(r.to_value().as_object().unwrap().len(), 4);
    }

    #[test]
    fn embed_input_shapes() {
        assert_eq!(serde_json::to_value(EmbedInput::Text("a".into())).unwrap(), json!("a"));
        assert_eq!(serde_json::to_value(EmbedInput::Texts(vec!["a".into()])).unwrap(), json!(["a"]));
        assert_eq!(serde_json::to_value(EmbedInput::Tokens(vec![vec![1, 2]])).unwrap(), json!([[1, 2]]));
    }

    #[test]
    fn debug_hides_key() {
        let c = OpenAi::new(Some("sk-very-secret".into()), None);
        assert!(!format!("{c:?}").contains("sk-very-secret"));
    }
}
