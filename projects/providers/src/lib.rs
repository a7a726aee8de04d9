//! The one crate that talks to model APIs.
//!
//! One client per provider ([`OpenAi`], [`Ollama`], [`Anthropic`], [`Cohere`], [`Voyage`]),
//! each with typed requests and answers, sending through a shared, pooled [`HttpClient`] that
//! retries transient failures ([`RetryPolicy`], [`Timeouts`]). Every failure is an [`Error`]
//! that keeps the provider's name, HTTP status and message and never contains an API key.
//!
//! The clients are async. The worker (`pgai`) awaits them on its runtime; the PostgreSQL
//! extension calls them through [`blocking::run`], which keeps a backend responsive to query
//! cancel and `statement_timeout` while it waits. [`tokenize`] counts and encodes OpenAI
//! tokens offline. [`local`] runs sentence-transformers models in this process (ONNX Runtime or
//! candle), with no network. [`pyregex`] reads pgai's Python separator patterns for `regex`.

pub mod anthropic;
pub mod blocking;
pub mod cohere;
pub mod datasets;
pub mod error;
pub mod executor;
pub mod http;
pub mod local;
pub mod ollama;
pub mod openai;
pub mod pyregex;
pub mod ratelimit;
pub mod tokenize;
pub mod voyage;

pub use anthropic::{Anthropic, MessagesRequest};
pub use cohere::{Cohere, CohereModel, RerankRequest};
pub use error::{Error, ErrorKind, Result};
pub use http::{HttpClient, RetryPolicy, Timeouts};
pub use ollama::{GenerateRequest, LocalModel, Ollama, RunningModel};
pub use openai::{ChatRequest, EmbedInput, EncodingFormat, Model, OpenAi};
pub use reqwest::header::HeaderMap;
pub use voyage::Voyage;
