//! Cohere (v1 API): models, tokenize/detokenize, embed, classify, rerank, chat.
//! Auth: `Authorization: Bearer <key>`.

use crate::error::{Error, Result};
use crate::http::{http_settings, join_url, ApiRequest, HttpClient};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::fmt;

const PROVIDER: &str = "cohere";
pub const DEFAULT_BASE_URL: &str = "https://api.cohere.com";

#[derive(Clone)]
pub struct Cohere {
    http: HttpClient,
    api_key: Option<String>,
    base_url: String,
}

impl fmt::Debug for Cohere {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cohere")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

http_settings!(Cohere);

/// A model in GET /v1/models.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct CohereModel {
    pub name: String,
    pub endpoints: Vec<String>,
    pub finetuned: bool,
    /// Cohere sends a JSON number (sometimes written as a float); kept as an integer.
    #[serde(deserialize_with = "int_or_float")]
    pub context_length: Option<i64>,
    pub tokenizer_url: Option<String>,
    pub default_endpoints: Vec<String>,
}

fn int_or_float<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<i64>, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.map(|v| v as i64))
}

#[derive(Deserialize)]
struct ModelPage {
    #[serde(default)]
    models: Vec<CohereModel>,
    next_page_token: Option<String>,
}

/// The body of POST /v1/rerank (the arguments of `ai.cohere_rerank`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RerankRequest {
    pub model: String,
    pub query: String,
    /// Strings, or objects whose `rank_fields` are ranked.
    pub documents: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_n: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank_fields: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_documents: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_chunks_per_doc: Option<i32>,
}

impl RerankRequest {
    pub fn new(model: impl Into<String>, query: impl Into<String>, documents: Value) -> Self {
        RerankRequest { model: model.into(), query: query.into(), documents, ..Default::default() }
    }
}

/// The body of POST /v1/chat (the arguments of `ai.cohere_chat_complete`). `None` fields are
/// left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChatRequest {
    pub model: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preamble: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_history: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_truncation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connectors: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search_queries_only: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documents: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub citation_quality: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_input_tokens: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub k: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_sequences: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_results: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub force_single_step: Option<bool>,
}

impl ChatRequest {
    pub fn new(model: impl Into<String>, message: impl Into<String>) -> Self {
        ChatRequest { model: model.into(), message: message.into(), ..Default::default() }
    }
}

#[derive(Serialize)]
struct EmbedBody<'a> {
    texts: [&'a str; 1],
    model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    input_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    truncate: Option<String>,
}

#[derive(Serialize)]
struct ClassifyBody<'a> {
    inputs: &'a [String],
    model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    examples: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    truncate: Option<String>,
}

impl Cohere {
    /// `base_url` defaults to [`DEFAULT_BASE_URL`]. A missing key is a Config error at call time.
    pub fn new(api_key: Option<String>, base_url: Option<String>) -> Self {
        Cohere {
            http: HttpClient::shared(),
            api_key,
            base_url: base_url.unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn key(&self) -> Result<&str> {
        self.api_key.as_deref().ok_or_else(|| Error::config(PROVIDER, "no API key given for Cohere"))
    }

    async fn post<T: serde::de::DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> Result<T> {
        let req = ApiRequest::post(PROVIDER, join_url(&self.base_url, path), body).bearer(Some(self.key()?));
        self.http.json(&req).await
    }

    /// GET /v1/models (every page), optionally only those of one `endpoint` and/or only the
    /// endpoints' default models.
    pub async fn list_models(&self, endpoint: Option<String>, default_only: Option<bool>) -> Result<Vec<CohereModel>> {
        let key = self.key()?;
        let mut models = Vec::new();
        let mut page_token: Option<String> = None;
        loop {
            let mut req = ApiRequest::get(PROVIDER, join_url(&self.base_url, "v1/models")).bearer(Some(key));
            req = req.query("page_size", 1000);
            if let Some(e) = &endpoint {
                req = req.query("endpoint", e);
            }
            if let Some(d) = default_only {
                req = req.query("default_only", d);
            }
            if let Some(t) = &page_token {
                req = req.query("page_token", t);
            }
            let page: ModelPage = self.http.json(&req).await?;
            models.extend(page.models);
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) if page_token.as_ref() != Some(&t) => page_token = Some(t),
                _ => return Ok(models),
            }
        }
    }

    /// POST /v1/tokenize; the token ids.
    pub async fn tokenize(&self, model: &str, text: &str) -> Result<Vec<i32>> {
        #[derive(Deserialize)]
        struct Resp {
            tokens: Vec<i32>,
        }
        let resp: Resp = self.post("v1/tokenize", &serde_json::json!({ "text": text, "model": model })).await?;
        Ok(resp.tokens)
    }

    /// POST /v1/detokenize; the text.
    pub async fn detokenize(&self, model: &str, tokens: &[i32]) -> Result<String> {
        #[derive(Deserialize)]
        struct Resp {
            text: String,
        }
        let resp: Resp = self.post("v1/detokenize", &serde_json::json!({ "tokens": tokens, "model": model })).await?;
        Ok(resp.text)
    }

    /// POST /v1/embed for one text (`truncate`: NONE, START or END); its vector.
    pub async fn embed(
        &self,
        model: &str,
        input_text: &str,
        input_type: Option<String>,
        truncate: Option<String>,
    ) -> Result<Vec<f32>> {
        #[derive(Deserialize)]
        struct Resp {
            embeddings: Vec<Vec<f32>>,
        }
        let body = EmbedBody { texts: [input_text], model, input_type, truncate };
        let resp: Resp = self.post("v1/embed", &body).await?;
        resp.embeddings.into_iter().next().ok_or_else(|| Error::decode(PROVIDER, "the answer has no embeddings"))
    }

    /// POST /v1/classify; the raw answer.
    pub async fn classify(
        &self,
        model: &str,
        inputs: &[String],
        examples: Option<Value>,
        truncate: Option<String>,
    ) -> Result<Value> {
        self.post("v1/classify", &ClassifyBody { inputs, model, examples, truncate }).await
    }

    /// POST /v1/rerank; the raw answer.
    pub async fn rerank(&self, req: &RerankRequest) -> Result<Value> {
        self.post("v1/rerank", req).await
    }

    /// POST /v1/chat with `body` (a [`ChatRequest`] or any JSON); the raw answer.
    pub async fn chat(&self, body: impl Serialize) -> Result<Value> {
        self.post("v1/chat", &body).await
    }
}
