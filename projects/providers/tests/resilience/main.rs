//! Retries, timeouts, malformed answers, cancellation, and keys kept out of errors.

mod blocking;
mod no_key_in_errors;
mod retry;

use providers::{OpenAi, RetryPolicy, Timeouts};
use std::time::Duration;
use testkit::Fake;

pub const KEY: &str = "sk-test-resilience-5f3a9c1e7b";

/// Short backoffs so that tests measure Retry-After, not our own delays.
pub fn quick(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_elapsed: Duration::from_secs(10),
    }
}

pub fn openai(f: &Fake, retry: RetryPolicy) -> OpenAi {
    OpenAi::new(Some(KEY.into()), Some(f.base_url())).with_retry(retry)
}

pub fn timeouts(request_ms: u64) -> Timeouts {
    Timeouts { connect: Duration::from_secs(2), request: Duration::from_millis(request_ms) }
}
