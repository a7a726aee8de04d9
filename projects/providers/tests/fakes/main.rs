//! Every client method against its fake provider: what the client sent (method, path, auth
//! headers, JSON body) and what it parsed.

mod anthropic;
mod cohere;
mod ollama;
mod openai;
mod voyage;

use providers::RetryPolicy;
use std::time::Duration;

/// Retries that keep failing tests fast.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_elapsed: Duration::from_secs(5),
    }
}
