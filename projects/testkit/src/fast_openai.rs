//! A fast fake of OpenAI's embeddings endpoint, for benchmarks and long tests: answers
//! `POST /v1/embeddings` (any model, `dimensions`, `encoding_format` float or base64) with
//! precomputed vectors, a thread per connection, no recording. The vector of an input is one
//! of [`VARIANTS`] unit vectors ([`crate::fake_embedding`] of `"variant <n>"`), chosen by a
//! hash of the input text: deterministic, cheap, and not all alike.
//!
//! It can also behave like the real API under load: a latency ([`FastOpenAi::set_delay`]) and
//! per-key budgets of requests and tokens a minute ([`FastOpenAi::set_rate_limits`]) that
//! answer 429, with the `x-ratelimit-*` and `retry-after-ms` headers OpenAI sends, when a key
//! spends them.
//!
//! Use [`crate::fake::openai`] when a test needs fault injection or recorded requests.

use base64::Engine;
use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How many distinct vectors the fake hands out.
pub const VARIANTS: usize = 64;

/// The JSON values (base64 strings or float arrays) of every variant at one size.
type Encoded = Arc<Vec<String>>;

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    requests: AtomicU64,
    inputs: AtomicU64,
    tokens: AtomicU64,
    rate_limited: AtomicU64,
    delay: Mutex<Duration>,
    /// (dimensions, base64) -> the encoded vectors.
    vectors: Mutex<HashMap<(usize, bool), Encoded>>,
    /// Requests and tokens a minute per key and the buckets' size in seconds of them (`None`:
    /// unlimited), and each key's buckets.
    limits: Mutex<Option<(f64, f64, f64)>>,
    buckets: Mutex<HashMap<String, Buckets>>,
}

/// A key's budgets: token buckets holding up to a minute's worth, refilled continuously.
struct Buckets {
    requests: f64,
    tokens: f64,
    at: std::time::Instant,
}

/// A running fast fake; stops accepting connections when dropped.
pub struct FastOpenAi {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl FastOpenAi {
    pub fn start() -> FastOpenAi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the fast fake");
        let addr = listener.local_addr().expect("local_addr");
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        std::thread::Builder::new()
            .name("fast-openai-accept".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if s.stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let s = s.clone();
                    let _ =
                        std::thread::Builder::new().name("fast-openai-conn".into()).spawn(move || serve(stream, &s));
                }
            })
            .expect("spawning the fast fake");
        FastOpenAi { addr, shared }
    }

    /// The base URL to configure (`http://127.0.0.1:<port>/v1`).
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Every answer waits this long first (default none).
    pub fn set_delay(&self, delay: Duration) {
        *self.shared.delay.lock().unwrap() = delay;
    }

    /// Embedding requests answered so far.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    /// Inputs embedded so far.
    pub fn inputs(&self) -> u64 {
        self.shared.inputs.load(Ordering::Relaxed)
    }

    /// Tokens counted in the answered requests so far (an input's bytes / 4 + 1).
    pub fn tokens(&self) -> u64 {
        self.shared.tokens.load(Ordering::Relaxed)
    }

    /// Requests answered 429 so far.
    pub fn rate_limited(&self) -> u64 {
        self.shared.rate_limited.load(Ordering::Relaxed)
    }

    /// Each API key (the `Authorization` header) may send `requests` requests and `tokens`
    /// tokens a minute, from buckets holding `burst` of them (a minute: as OpenAI's), full at
    /// first.
    pub fn set_rate_limits(&self, requests: u64, tokens: u64, burst: Duration) {
        *self.shared.limits.lock().unwrap() = Some((requests as f64, tokens as f64, burst.as_secs_f64() / 60.0));
        self.shared.buckets.lock().unwrap().clear();
    }
}

impl Drop for FastOpenAi {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.addr); // wakes the accept loop
    }
}

fn serve(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_nodelay(true);
    let Ok(write_half) = stream.try_clone() else { return };
    let mut writer = std::io::BufWriter::with_capacity(1 << 16, write_half);
    let mut reader = BufReader::with_capacity(1 << 16, stream);
    let mut body = Vec::new();
    loop {
        let Some((path, len, key)) = read_head(&mut reader) else { return };
        body.resize(len, 0);
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let delay = *shared.delay.lock().unwrap();
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        let mut headers = String::new();
        let (status, answer) = if path == "/v1/embeddings" {
            embeddings(&body, shared, &key, &mut headers)
        } else {
            (404, format!(r#"{{"error":{{"message":"Invalid URL (POST {path})","type":"invalid_request_error"}}}}"#))
        };
        let head = format!(
            "HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{headers}connection: keep-alive\r\n\r\n",
            match status {
                200 => "OK",
                429 => "Too Many Requests",
                _ => "Error",
            },
            answer.len()
        );
        if writer
            .write_all(head.as_bytes())
            .and_then(|_| writer.write_all(answer.as_bytes()))
            .and_then(|_| writer.flush())
            .is_err()
        {
            return;
        }
    }
}

/// The request line's path, the Content-Length and the Authorization header; `None` at the
/// end of the connection.
fn read_head(reader: &mut BufReader<TcpStream>) -> Option<(String, usize, String)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let path = line.split_whitespace().nth(1)?.split('?').next()?.to_string();
    let mut len = 0;
    let mut key = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let header = line.trim_end();
        if header.is_empty() {
            return Some((path, len, key));
        }
        if let Some((k, v)) = header.split_once(':') {
            if k.trim().eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().ok()?;
            } else if k.trim().eq_ignore_ascii_case("authorization") {
                key = v.trim().to_string();
            }
        }
    }
}

/// Takes a request of `tokens` tokens from `key`'s budgets, as OpenAI does: `Err` with the
/// wait until it would fit. Writes the `x-ratelimit-*` headers either way.
fn spend(shared: &Shared, key: &str, tokens: f64, headers: &mut String) -> Result<(), Duration> {
    let Some((rpm, tpm, minutes)) = *shared.limits.lock().unwrap() else { return Ok(()) };
    let (cap_r, cap_t) = ((rpm * minutes).max(1.0), (tpm * minutes).max(1.0));
    let mut all = shared.buckets.lock().unwrap();
    let now = std::time::Instant::now();
    let b = all.entry(key.to_string()).or_insert(Buckets { requests: cap_r, tokens: cap_t, at: now });
    let secs = now.duration_since(b.at).as_secs_f64();
    b.requests = (b.requests + secs * rpm / 60.0).min(cap_r);
    b.tokens = (b.tokens + secs * tpm / 60.0).min(cap_t);
    b.at = now;
    let ok = b.requests >= 1.0 && b.tokens >= tokens;
    if ok {
        b.requests -= 1.0;
        b.tokens -= tokens;
    }
    // the time until each bucket is full again, and until this request would fit
    let reset =
        |left: f64, cap: f64, per_minute: f64| Duration::from_secs_f64((cap - left).max(0.0) * 60.0 / per_minute);
    let wait_r = Duration::from_secs_f64(((1.0 - b.requests).max(0.0)) * 60.0 / rpm);
    let wait_t = Duration::from_secs_f64(((tokens - b.tokens).max(0.0)) * 60.0 / tpm);
    let fmt = |d: Duration| format!("{}ms", d.as_millis().max(1));
    headers.push_str(&format!(
        "x-ratelimit-limit-requests: {rpm}\r\nx-ratelimit-remaining-requests: {}\r\nx-ratelimit-reset-requests: {}\r\n\
         x-ratelimit-limit-tokens: {tpm}\r\nx-ratelimit-remaining-tokens: {}\r\nx-ratelimit-reset-tokens: {}\r\n",
        b.requests.floor() as u64,
        fmt(reset(b.requests, cap_r, rpm)),
        b.tokens.floor() as u64,
        fmt(reset(b.tokens, cap_t, tpm)),
    ));
    if ok {
        Ok(())
    } else {
        let wait = wait_r.max(wait_t);
        headers.push_str(&format!("retry-after-ms: {}\r\n", wait.as_millis().max(1)));
        Err(wait)
    }
}

fn embeddings(body: &[u8], shared: &Shared, key: &str, headers: &mut String) -> (u16, String) {
    let bad = |m: &str| (400, format!(r#"{{"error":{{"message":"{m}","type":"invalid_request_error"}}}}"#));
    let Ok(req) = serde_json::from_slice::<Value>(body) else { return bad("We could not parse the JSON body") };
    let model = req.get("model").and_then(Value::as_str).unwrap_or("text-embedding-3-small").to_string();
    let texts: Vec<&str> = match req.get("input") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) if !a.is_empty() && a.iter().all(Value::is_string) => {
            a.iter().filter_map(Value::as_str).collect()
        }
        _ => return bad("'$.input' is invalid."),
    };
    if texts.iter().any(|t| t.is_empty()) {
        return bad("'$.input' is invalid.");
    }
    let counted: u64 = texts.iter().map(|t| (t.len() / 4 + 1) as u64).sum();
    if let Err(wait) = spend(shared, key, counted as f64, headers) {
        shared.rate_limited.fetch_add(1, Ordering::Relaxed);
        let message = format!(
            "Rate limit reached for text-embedding-3-small in organization org-fake on tokens per min (TPM). Please try again in {:.3}s.",
            wait.as_secs_f64()
        );
        return (
            429,
            serde_json::json!({"error": {"message": message, "type": "tokens", "code": "rate_limit_exceeded"}})
                .to_string(),
        );
    }
    let dims = req.get("dimensions").and_then(Value::as_u64).map_or(1536, |d| d as usize);
    let base64 = req.get("encoding_format").and_then(Value::as_str) == Some("base64");
    let vectors =
        shared.vectors.lock().unwrap().entry((dims, base64)).or_insert_with(|| encode_all(dims, base64)).clone();
    let per = vectors[0].len() + 48;
    let mut out = String::with_capacity(texts.len() * per + 200);
    out.push_str(r#"{"object":"list","data":["#);
    let mut tokens = 0;
    for (i, text) in texts.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(r#"{"object":"embedding","index":"#);
        out.push_str(&i.to_string());
        out.push_str(r#","embedding":"#);
        out.push_str(&vectors[variant(text)]);
        out.push('}');
        tokens += text.len() / 4 + 1;
    }
    out.push_str(&format!(
        r#"],"model":{},"usage":{{"prompt_tokens":{tokens},"total_tokens":{tokens}}}}}"#,
        Value::String(model)
    ));
    shared.requests.fetch_add(1, Ordering::Relaxed);
    shared.inputs.fetch_add(texts.len() as u64, Ordering::Relaxed);
    shared.tokens.fetch_add(tokens as u64, Ordering::Relaxed);
    (200, out)
}

/// Which precomputed vector `text` gets.
pub fn variant(text: &str) -> usize {
    let h = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
    (h % VARIANTS as u64) as usize
}

/// The vector the fake returns for `text` at `dims` dimensions.
pub fn vector_for(text: &str, dims: usize) -> Vec<f32> {
    crate::fake_embedding(&format!("variant {}", variant(text)), dims)
}

/// The JSON value of every variant: a base64 string or an array of floats.
fn encode_all(dims: usize, base64: bool) -> Encoded {
    let encode = |n: usize| {
        let v = crate::fake_embedding(&format!("variant {n}"), dims);
        if base64 {
            let bytes: Vec<u8> = v.iter().flat_map(|f| f.to_le_bytes()).collect();
            format!("\"{}\"", base64::engine::general_purpose::STANDARD.encode(bytes))
        } else {
            serde_json::to_string(&v).unwrap()
        }
    };
    Arc::new((0..VARIANTS).map(encode).collect())
}
