//! Test harness shared by the workspace's test suites.
//!
//! [`PgCluster`] starts a throwaway PostgreSQL from `PG_CONFIG` (as the unprivileged `postgres`
//! OS user when the tests run as root), on a free port, in a temporary directory, and removes it
//! afterwards, so tests never depend on a server someone else started.
//!
//! [`http::FakeServer`] is a scripted HTTP/1.1 server, and [`fake`] builds fake model
//! providers (OpenAI, Ollama, Anthropic, Cohere, Voyage AI) on it, with fault injection.
//! [`fast_openai::FastOpenAi`] is a much faster OpenAI embeddings fake for benchmarks.
//! [`dotenv::var`] reads settings (API keys for live tests) from the environment or `.env`;
//! [`suites`] are the `ENABLE_*_TESTS` switches read from them.

#[cfg(feature = "docker")]
pub mod docker;
pub mod dotenv;
pub mod evidence;
pub mod fake;
pub mod fast_openai;
pub mod http;
pub mod paths;
pub mod pg;
pub mod suites;

pub use fake::{fake_embedding, Fake};
pub use http::{FakeServer, Reply, Request};
pub use pg::{PgCluster, PgClusterBuilder};
