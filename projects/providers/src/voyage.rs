//! Voyage AI: embeddings. Auth: `Authorization: Bearer <key>`.

use crate::error::{Error, Result};
use crate::http::{http_settings, join_url, ApiRequest, HttpClient};
use serde::{Deserialize, Serialize};
use std::fmt;

const PROVIDER: &str = "voyageai";
pub const DEFAULT_BASE_URL: &str = "https://api.voyageai.com/v1";

#[derive(Clone)]
pub struct Voyage {
    http: HttpClient,
    api_key: Option<String>,
    base_url: String,
}

impl fmt::Debug for Voyage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Voyage")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

http_settings!(Voyage);

#[derive(Serialize)]
struct EmbedBody<'a> {
    input: &'a [String],
    model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    input_type: Option<String>,
}

#[derive(Deserialize)]
struct EmbedResponse {
    data: Vec<EmbeddingItem>,
}

#[derive(Deserialize)]
struct EmbeddingItem {
    index: usize,
    embedding: Vec<f32>,
}

impl Voyage {
    /// `base_url` defaults to [`DEFAULT_BASE_URL`]. A missing key is a Config error at call time.
    pub fn new(api_key: Option<String>, base_url: Option<String>) -> Self {
        Voyage {
            http: HttpClient::shared(),
            api_key,
            base_url: base_url.unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// POST /embeddings (`input_type`: `query`, `document` or none); `(index, vector)` pairs
    /// sorted by index.
    pub async fn embed(
        &self,
        model: &str,
        inputs: Vec<String>,
        input_type: Option<String>,
    ) -> Result<Vec<(usize, Vec<f32>)>> {
        let key = self.api_key.as_deref().ok_or_else(|| Error::config(PROVIDER, "no API key given for Voyage AI"))?;
        let body = EmbedBody { input: &inputs, model, input_type };
        let req = ApiRequest::post(PROVIDER, join_url(&self.base_url, "embeddings"), &body).bearer(Some(key));
        let resp: EmbedResponse = self.http.json(&req).await?;
        let mut out: Vec<_> = resp.data.into_iter().map(|i| (i.index, i.embedding)).collect();
        out.sort_by_key(|(i, _)| *i);
        Ok(out)
    }
}
