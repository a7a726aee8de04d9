//! Ollama: model list, running models, embeddings, generate, chat. No authentication.
//! Every generation request is sent with `"stream": false` (one JSON answer).

use crate::error::{Error, Result};
use crate::http::{http_settings, join_url, ApiRequest, HttpClient};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

const PROVIDER: &str = "ollama";
pub const DEFAULT_HOST: &str = "http://localhost:11434";

#[derive(Debug, Clone)]
pub struct Ollama {
    http: HttpClient,
    host: String,
}

http_settings!(Ollama);

/// `details` of a model.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ModelDetails {
    pub parent_model: String,
    pub format: String,
    pub family: String,
    /// `None` when Ollama sends `null`.
    pub families: Option<Vec<String>>,
    pub parameter_size: String,
    pub quantization_level: String,
}

/// A model in `/api/tags`. Timestamps are kept as Ollama's RFC 3339 strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct LocalModel {
    pub name: String,
    pub model: String,
    pub size: i64,
    pub digest: String,
    pub details: ModelDetails,
    pub modified_at: Option<String>,
}

/// A loaded model in `/api/ps`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RunningModel {
    pub name: String,
    pub model: String,
    pub size: i64,
    pub digest: String,
    pub details: ModelDetails,
    pub expires_at: Option<String>,
    pub size_vram: i64,
}

#[derive(Deserialize)]
struct ModelList<T> {
    #[serde(default = "Vec::new")]
    models: Vec<T>,
}

#[derive(Serialize)]
struct EmbedRequest<'a> {
    model: &'a str,
    input: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    keep_alive: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    options: Option<Value>,
}

#[derive(Deserialize)]
struct EmbedResponse {
    embeddings: Vec<Vec<f32>>,
}

/// The arguments of `ai.ollama_generate` (POST /api/generate).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GenerateRequest {
    pub model: String,
    pub prompt: String,
    /// Raw image bytes; sent base64-encoded.
    pub images: Vec<Vec<u8>>,
    pub keep_alive: Option<String>,
    pub options: Option<Value>,
    pub system: Option<String>,
    pub template: Option<String>,
    pub context: Option<Vec<i32>>,
}

impl GenerateRequest {
    pub fn new(model: impl Into<String>, prompt: impl Into<String>) -> Self {
        GenerateRequest { model: model.into(), prompt: prompt.into(), ..Default::default() }
    }
}

#[derive(Serialize)]
struct GenerateBody<'a> {
    model: &'a str,
    prompt: &'a str,
    stream: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    images: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keep_alive: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    options: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    template: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<&'a [i32]>,
}

#[derive(Serialize)]
struct ChatBody<'a> {
    model: &'a str,
    messages: &'a Value,
    stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    keep_alive: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    options: Option<Value>,
}

impl Ollama {
    /// `host` defaults to [`DEFAULT_HOST`].
    pub fn new(host: Option<String>) -> Self {
        Ollama { http: HttpClient::shared(), host: host.unwrap_or_else(|| DEFAULT_HOST.to_string()) }
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    fn url(&self, path: &str) -> String {
        join_url(&self.host, path)
    }

    /// GET /api/tags: the models available locally.
    pub async fn list_models(&self) -> Result<Vec<LocalModel>> {
        let list: ModelList<LocalModel> = self.http.json(&ApiRequest::get(PROVIDER, self.url("api/tags"))).await?;
        Ok(list.models)
    }

    /// GET /api/ps: the models loaded in memory.
    pub async fn ps(&self) -> Result<Vec<RunningModel>> {
        let list: ModelList<RunningModel> = self.http.json(&ApiRequest::get(PROVIDER, self.url("api/ps"))).await?;
        Ok(list.models)
    }

    /// POST /api/embed for one text; its vector.
    pub async fn embed(
        &self,
        model: &str,
        input_text: &str,
        keep_alive: Option<String>,
        options: Option<Value>,
    ) -> Result<Vec<f32>> {
        let body = EmbedRequest { model, input: input_text, keep_alive, options };
        let resp: EmbedResponse = self.http.json(&ApiRequest::post(PROVIDER, self.url("api/embed"), &body)).await?;
        resp.embeddings.into_iter().next().ok_or_else(|| Error::decode(PROVIDER, "the answer has no embeddings"))
    }

    /// POST /api/generate (`stream: false`); the raw answer.
    pub async fn generate(&self, req: &GenerateRequest) -> Result<Value> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let body = GenerateBody {
            model: &req.model,
            prompt: &req.prompt,
            stream: false,
            images: req.images.iter().map(|i| b64.encode(i)).collect(),
            keep_alive: req.keep_alive.as_deref(),
            options: req.options.as_ref(),
            system: req.system.as_deref(),
            template: req.template.as_deref(),
            context: req.context.as_deref(),
        };
        self.http.json(&ApiRequest::post(PROVIDER, self.url("api/generate"), &body)).await
    }

    /// POST /api/chat (`stream: false`); the raw answer.
    pub async fn chat(
        &self,
        model: &str,
        messages: Value,
        keep_alive: Option<String>,
        options: Option<Value>,
    ) -> Result<Value> {
        let body = ChatBody { model, messages: &messages, stream: false, keep_alive, options };
        self.http.json(&ApiRequest::post(PROVIDER, self.url("api/chat"), &body)).await
    }
}
