//! Anthropic: the Messages API. Auth: `x-api-key`, plus `anthropic-version: 2023-06-01`.

use crate::error::{Error, Result};
use crate::http::{http_settings, join_url, ApiRequest, HttpClient};
use serde::Serialize;
use serde_json::Value;
use std::fmt;

const PROVIDER: &str = "anthropic";
pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
pub const API_VERSION: &str = "2023-06-01";

#[derive(Clone)]
pub struct Anthropic {
    http: HttpClient,
    api_key: Option<String>,
    base_url: String,
}

impl fmt::Debug for Anthropic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Anthropic")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

http_settings!(Anthropic);

/// `metadata` of a request.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Metadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// The body of POST /v1/messages, with every parameter of `ai.anthropic_generate`.
/// `None` fields are left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MessagesRequest {
    pub model: String,
    pub messages: Value,
    pub max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_sequences: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
}

impl MessagesRequest {
    pub fn new(model: impl Into<String>, messages: Value, max_tokens: u32) -> Self {
        MessagesRequest { model: model.into(), messages, max_tokens, ..Default::default() }
    }

    /// Sets `metadata.user_id` (or clears `metadata` for `None`).
    pub fn user_id(mut self, user_id: Option<String>) -> Self {
        self.metadata = user_id.map(|u| Metadata { user_id: Some(u) });
        self
    }
}

impl Anthropic {
    /// `base_url` defaults to [`DEFAULT_BASE_URL`]. A missing key is a Config error at call time.
    pub fn new(api_key: Option<String>, base_url: Option<String>) -> Self {
        Anthropic {
            http: HttpClient::shared(),
            api_key,
            base_url: base_url.unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// POST /v1/messages with `body` (a [`MessagesRequest`] or any JSON); the raw answer.
    pub async fn messages(&self, body: impl Serialize) -> Result<Value> {
        let key = self.api_key.as_deref().ok_or_else(|| Error::config(PROVIDER, "no API key given for Anthropic"))?;
        let req = ApiRequest::post(PROVIDER, join_url(&self.base_url, "v1/messages"), &body)
            .secret_header("x-api-key", Some(key))
            .header("anthropic-version", API_VERSION);
        self.http.json(&req).await
    }
}
