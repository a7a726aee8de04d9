//! A scripted HTTP/1.1 server for tests.
//!
//! [`FakeServer::start`] binds `127.0.0.1:0` and answers every request with what the handler
//! returns. It runs on a background thread with its own tokio runtime, so async tests,
//! blocking tests and a PostgreSQL backend (over loopback) can all call it. It understands
//! keep-alive and `Content-Length` bodies (not chunked request bodies: those get 411), records
//! every request, and stops when dropped.
//!
//! A [`Reply`] can also misbehave: answer late ([`Reply::delay`]), close the connection
//! without answering ([`Reply::reset`]), or announce more body than it sends
//! ([`Reply::truncated`]).

use serde_json::Value;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A request as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The request target: the path with its query string.
    pub path: String,
    /// Header names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Which TCP connection it came on (numbered from 0 in accept order): requests sharing
    /// a number rode one kept-alive connection.
    pub connection: u64,
}

impl Request {
    /// The body as JSON (`Value::Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The first header of that (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    /// The path without the query string.
    pub fn path_only(&self) -> &str {
        self.path.split('?').next().unwrap_or("")
    }

    /// The decoded query parameters.
    pub fn query(&self) -> Vec<(String, String)> {
        let Some((_, q)) = self.path.split_once('?') else {
            return Vec::new();
        };
        q.split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect()
    }

    /// The first query parameter of that name, decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Answer,
    Reset,
    Truncate,
}

/// What the server does with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    delay: Duration,
    action: Action,
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: u16, body: Value) -> Reply {
        Reply::bytes(status, "application/json", body.to_string().into_bytes())
    }

    /// `200 OK` with a JSON body.
    pub fn ok(body: Value) -> Reply {
        Reply::json(200, body)
    }

    /// A plain-text answer (also handy for malformed JSON).
    pub fn text(status: u16, body: impl Into<String>) -> Reply {
        Reply::bytes(status, "text/plain; charset=utf-8", body.into().into_bytes())
    }

    /// Any body with its content type.
    pub fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body,
            delay: Duration::ZERO,
            action: Action::Answer,
        }
    }

    /// Closes the connection (with a TCP reset) without answering.
    pub fn reset() -> Reply {
        Reply { action: Action::Reset, ..Reply::text(0, "") }
    }

    /// Sends the status line, headers announcing the whole body, half of the body, then closes.
    pub fn truncated(status: u16, body: Value) -> Reply {
        Reply { action: Action::Truncate, ..Reply::json(status, body) }
    }

    /// Adds a response header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// Waits this long before answering (or resetting).
    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }

    pub fn status(&self) -> u16 {
        self.status
    }

    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

struct State {
    handler: Box<Handler>,
    requests: Mutex<Vec<Request>>,
}

/// A running fake server; stops when dropped.
pub struct FakeServer {
    addr: SocketAddr,
    state: Arc<State>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeServer {
    /// Starts a server on `127.0.0.1:<free port>` answering with `handler`. A handler that
    /// panics produces a 500 whose body is the panic message.
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> FakeServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding the fake server");
        listener.set_nonblocking(true).expect("set_nonblocking");
        let addr = listener.local_addr().expect("local_addr");
        let state = Arc::new(State { handler: Box::new(handler), requests: Mutex::new(Vec::new()) });
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let st = state.clone();
        let thread = std::thread::Builder::new()
            .name(format!("fake-http-{}", addr.port()))
            .spawn(move || {
                let rt =
                    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("fake server runtime");
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                    tokio::pin!(rx);
                    let mut next_connection = 0u64;
                    loop {
                        tokio::select! {
                            _ = &mut rx => break,
                            accepted = listener.accept() => {
                                if let Ok((stream, _)) = accepted {
                                    let _ = stream.set_nodelay(true);
                                    tokio::spawn(serve_connection(stream, next_connection, st.clone()));
                                    next_connection += 1;
                                }
                            }
                        }
                    }
                });
                // Dropping the runtime cancels every connection task: open connections close.
            })
            .expect("spawning the fake server thread");
        FakeServer { addr, state, shutdown: Some(tx), thread: Some(thread) }
    }

    /// `http://127.0.0.1:<port>` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<Request> {
        self.state.requests.lock().unwrap().clone()
    }

    /// The most recent request.
    pub fn last_request(&self) -> Option<Request> {
        self.state.requests.lock().unwrap().last().cloned()
    }

    /// How many requests were received.
    pub fn hits(&self) -> usize {
        self.state.requests.lock().unwrap().len()
    }

    /// Forgets the recorded requests.
    pub fn clear(&self) {
        self.state.requests.lock().unwrap().clear();
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

const MAX_HEAD: usize = 64 * 1024;

async fn serve_connection(mut stream: TcpStream, connection: u64, state: Arc<State>) {
    let mut buf = Vec::new();
    loop {
        let req = match read_request(&mut stream, &mut buf, connection).await {
            Ok(Some(req)) => req,
            Ok(None) => return,
            Err(reply) => {
                let _ = write_reply(&mut stream, &reply, true).await;
                return;
            }
        };
        state.requests.lock().unwrap().push(req.clone());
        let reply = catch_unwind(AssertUnwindSafe(|| (state.handler)(&req))).unwrap_or_else(|panic| {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Reply::text(500, format!("fake server handler panicked: {msg}"))
        });
        if !reply.delay.is_zero() {
            tokio::time::sleep(reply.delay).await;
        }
        let close = req.header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
        match reply.action {
            Action::Reset => {
                let _ = stream.set_zero_linger();
                return;
            }
            Action::Truncate => {
                let _ = write_reply(&mut stream, &reply, true).await;
                let _ = stream.shutdown().await;
                return;
            }
            Action::Answer => {
                if write_reply(&mut stream, &reply, close).await.is_err() || close {
                    return;
                }
            }
        }
    }
}

/// Reads one request; `Ok(None)` on a clean end of the connection; `Err(reply)` for a request
/// the server cannot take (the reply says why).
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>, connection: u64) -> Result<Option<Request>, Reply> {
    let head_end = loop {
        if let Some(pos) = find(buf, b"\r\n\r\n") {
            break pos;
        }
        if buf.len() > MAX_HEAD {
            return Err(Reply::text(431, "request head too large"));
        }
        if read_more(stream, buf).await == 0 {
            return Ok(None);
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split_whitespace();
    let (method, path) = match (first.next(), first.next()) {
        (Some(m), Some(p)) => (m.to_string(), p.to_string()),
        _ => return Err(Reply::text(400, "bad request line")),
    };
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let get = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    if get("transfer-encoding").is_some() {
        return Err(Reply::text(411, "the fake server needs Content-Length bodies"));
    }
    let len: usize = match get("content-length").map(str::parse) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => return Err(Reply::text(400, "bad content-length")),
    };
    let body_start = head_end + 4;
    while buf.len() < body_start + len {
        if read_more(stream, buf).await == 0 {
            return Ok(None);
        }
    }
    let body = buf[body_start..body_start + len].to_vec();
    buf.drain(..body_start + len);
    Ok(Some(Request { method, path, headers, body, connection }))
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> usize {
    let mut chunk = [0u8; 16 * 1024];
    match stream.read(&mut chunk).await {
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            n
        }
        Err(_) => 0,
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

async fn write_reply(stream: &mut TcpStream, reply: &Reply, close: bool) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("content-length: {}\r\n", reply.body.len()));
    head.push_str(if close { "connection: close\r\n\r\n" } else { "connection: keep-alive\r\n\r\n" });
    let body = match reply.action {
        Action::Truncate => &reply.body[..reply.body.len() / 2],
        _ => &reply.body[..],
    };
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    stream.write_all(&out).await?;
    stream.flush().await
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}
