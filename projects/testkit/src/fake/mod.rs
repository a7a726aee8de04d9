//! Fake model providers on [`FakeServer`]: each speaks its provider's real HTTP protocol
//! (paths, auth headers, JSON shapes, error bodies) with deterministic answers.
//!
//! - [`openai`] serves `/v1/embeddings`, `/v1/chat/completions`, `/v1/moderations`, `/v1/models`
//! - [`ollama`] serves `/api/tags`, `/api/ps`, `/api/embed`, `/api/generate`, `/api/chat`
//! - [`anthropic`] serves `/v1/messages`
//! - [`cohere`] serves `/v1/models`, `/v1/tokenize`, `/v1/detokenize`, `/v1/embed`,
//!   `/v1/classify`, `/v1/rerank`, `/v1/chat`
//! - [`voyage`] serves `/v1/embeddings`
//!
//! Embeddings are [`fake_embedding`] of the input text; chat-like endpoints answer
//! `"echo: <last user message>"`. Faults are injected with [`Fake::fail_next`] (the next n
//! requests get a given reply) or [`Fake::set_fault`] (a closure that may replace any answer).

mod anthropic;
mod cohere;
mod ollama;
mod openai;
mod voyage;

pub use anthropic::anthropic;
pub use cohere::{cohere, MODEL_PAGE_SIZE as COHERE_MODEL_PAGE_SIZE};
pub use ollama::ollama;
pub use openai::{embeddings as openai_embeddings, openai, tokens_text};
pub use voyage::voyage;

use crate::http::{FakeServer, Reply, Request};
use serde_json::Value;
use std::collections::VecDeque;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

type FaultFn = dyn FnMut(&Request) -> Option<Reply> + Send;

#[derive(Default)]
struct Faults {
    queue: Mutex<VecDeque<Reply>>,
    hook: Mutex<Option<Box<FaultFn>>>,
}

/// A running fake provider. Derefs to its [`FakeServer`] (`requests()`, `hits()`, `url()`...).
pub struct Fake {
    server: FakeServer,
    faults: Arc<Faults>,
    base_path: &'static str,
}

impl Fake {
    /// Starts a fake whose API lives under `base_path` (e.g. `/v1`), answering with `handler`
    /// unless a fault says otherwise.
    pub fn start(base_path: &'static str, handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Fake {
        let faults = Arc::new(Faults::default());
        let f = faults.clone();
        let server = FakeServer::start(move |req| {
            if let Some(reply) = f.queue.lock().unwrap().pop_front() {
                return reply;
            }
            if let Some(hook) = f.hook.lock().unwrap().as_mut() {
                if let Some(reply) = hook(req) {
                    return reply;
                }
            }
            handler(req)
        });
        Fake { server, faults, base_path }
    }

    /// The URL to give a client as its base URL (or Ollama host): the server URL plus the
    /// provider's API prefix (`/v1` for OpenAI and Voyage AI, nothing for the others).
    pub fn base_url(&self) -> String {
        format!("{}{}", self.server.url(), self.base_path)
    }

    /// The next `n` requests are answered with `reply` (after any faults already queued).
    pub fn fail_next(&self, n: usize, reply: Reply) -> &Self {
        let mut q = self.faults.queue.lock().unwrap();
        q.extend(std::iter::repeat_n(reply, n));
        self
    }

    /// Consults `fault` for every request (after queued faults): `Some(reply)` replaces the
    /// normal answer.
    pub fn set_fault(&self, fault: impl FnMut(&Request) -> Option<Reply> + Send + 'static) -> &Self {
        *self.faults.hook.lock().unwrap() = Some(Box::new(fault));
        self
    }

    /// Answers 429 past `per_minute` requests a minute (a bucket of a minute's worth, refilled
    /// continuously, starting with `burst` requests), with a `Retry-After` in whole seconds
    /// and `body` as the answer: how Voyage AI and others rate-limit. Replaces the fault closure.
    pub fn limit_requests_per_minute(&self, per_minute: f64, burst: f64, body: Value) -> &Self {
        let mut bucket = (burst, std::time::Instant::now());
        self.set_fault(move |_| {
            let now = std::time::Instant::now();
            bucket.0 = (bucket.0 + now.duration_since(bucket.1).as_secs_f64() * per_minute / 60.0).min(per_minute);
            bucket.1 = now;
            if bucket.0 >= 1.0 {
                bucket.0 -= 1.0;
                return None;
            }
            let wait = ((1.0 - bucket.0) * 60.0 / per_minute).ceil().max(1.0);
            Some(Reply::json(429, body.clone()).header("retry-after", format!("{wait}")))
        })
    }

    /// Removes queued faults and the fault closure.
    pub fn clear_faults(&self) {
        self.faults.queue.lock().unwrap().clear();
        *self.faults.hook.lock().unwrap() = None;
    }
}

impl Deref for Fake {
    type Target = FakeServer;
    fn deref(&self) -> &FakeServer {
        &self.server
    }
}

/// The deterministic embedding the fakes return for `text`: `dims` values seeded by a hash
/// of the text, normalised to unit length (as OpenAI's are). A pure function, so tests can
/// compute the expected vectors.
pub fn fake_embedding(text: &str, dims: usize) -> Vec<f32> {
    // FNV-1a of the text seeds a splitmix64 sequence.
    let mut state = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut v: Vec<f32> = (0..dims).map(|_| (next() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0).collect();
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

/// The bearer token of `Authorization: Bearer <token>`.
fn bearer(req: &Request) -> Option<&str> {
    req.header("authorization").and_then(|v| v.strip_prefix("Bearer "))
}

/// The text of a chat message's `content`: a string, or the `text` of its parts.
fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => {
            parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join(" ")
        }
        _ => String::new(),
    }
}

/// The content of the last message of a `messages` array.
fn last_message(messages: &Value) -> String {
    messages.as_array().and_then(|m| m.last()).and_then(|m| m.get("content")).map(content_text).unwrap_or_default()
}

/// Lower-cased words, for the fakes' similarity scores.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// The share of `query`'s words found in `text` (0..=1).
fn overlap(query: &str, text: &str) -> f64 {
    let q = words(query);
    if q.is_empty() {
        return 0.0;
    }
    let t = words(text);
    q.iter().filter(|w| t.contains(w)).count() as f64 / q.len() as f64
}

/// A rough token count: the number of words (at least 1 for non-empty text).
fn token_count(s: &str) -> usize {
    words(s).len().max(usize::from(!s.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeddings_are_deterministic_unit_vectors() {
        let a = fake_embedding("hello", 8);
        assert_eq!(a, fake_embedding("hello", 8));
        assert_ne!(a, fake_embedding("hellp", 8));
        let norm: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5);
        assert!(a.iter().all(|x| x.abs() <= 1.0));
        assert_eq!(fake_embedding("x", 1536).len(), 1536);
        assert!(fake_embedding("", 0).is_empty());
    }

    #[test]
    fn text_helpers() {
        assert_eq!(words("Hello, World!"), ["hello", "world"]);
        assert_eq!(overlap("red apple", "an apple"), 0.5);
        let parts =
            serde_json::json!([{"type": "text", "text": "a"}, {"type": "image"}, {"type": "text", "text": "b"}]);
        assert_eq!(content_text(&parts), "a b");
    }
}
