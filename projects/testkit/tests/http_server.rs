//! The fake HTTP server, exercised with raw sockets.

use serde_json::json;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use testkit::{fake, FakeServer, Reply};

type Response = (u16, Vec<(String, String)>, Vec<u8>);

/// Reads one response: (status, lower-cased headers, body). Errors on a short body.
fn read_response(r: &mut BufReader<TcpStream>) -> std::io::Result<Response> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    let status: u16 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':').unwrap();
        headers.push((k.to_ascii_lowercase(), v.trim().to_string()));
    }
    let len: usize = headers.iter().find(|(k, _)| k == "content-length").unwrap().1.parse().unwrap();
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    Ok((status, headers, body))
}

fn connect(server: &FakeServer) -> (TcpStream, BufReader<TcpStream>) {
    let s = TcpStream::connect(server.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let r = BufReader::new(s.try_clone().unwrap());
    (s, r)
}

#[test]
fn answers_records_and_keeps_alive() {
    let server = FakeServer::start(|req| {
        Reply::ok(json!({"path": req.path_only(), "q": req.query_param("a b"), "n": req.json()["n"]}))
            .header("X-Extra", "yes")
    });
    assert!(server.url().starts_with("http://127.0.0.1:"));
    let (mut s, mut r) = connect(&server);
    s.write_all(b"GET /x/y?a+b=c%2Fd&z HTTP/1.1\r\nHost: h\r\nX-Mixed-Case: V\r\n\r\n").unwrap();
    let (status, headers, body) = read_response(&mut r).unwrap();
    assert_eq!(status, 200);
    assert!(headers.contains(&("x-extra".into(), "yes".into())));
    assert!(headers.contains(&("content-type".into(), "application/json".into())));
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v, json!({"path": "/x/y", "q": "c/d", "n": null}));

    // The same connection serves a second request, with a body.
    let body = br#"{"n": 5}"#;
    write!(s, "POST /p HTTP/1.1\r\nContent-Length: {}\r\n\r\n", body.len()).unwrap();
    s.write_all(body).unwrap();
    let (status, _, body) = read_response(&mut r).unwrap();
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&body).unwrap()["n"], 5);

    let reqs = server.requests();
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].path, "/x/y?a+b=c%2Fd&z");
    assert_eq!(reqs[0].header("x-mixed-case"), Some("V"));
    assert_eq!(reqs[0].headers.iter().find(|(k, _)| k == "x-mixed-case").unwrap().0, "x-mixed-case");
    assert_eq!(reqs[1].json(), json!({"n": 5}));
    assert_eq!((reqs[0].connection, reqs[1].connection), (0, 0));
    let (mut s2, mut r2) = connect(&server);
    s2.write_all(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n").unwrap();
    let (_, headers, _) = read_response(&mut r2).unwrap();
    assert!(headers.contains(&("connection".into(), "close".into())));
    assert_eq!(server.last_request().unwrap().connection, 1);
    assert_eq!(server.hits(), 3);
    server.clear();
    assert_eq!(server.hits(), 0);
}

#[test]
fn reset_closes_without_answer() {
    let server = FakeServer::start(|_| Reply::reset());
    let (mut s, mut r) = connect(&server);
    s.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    assert!(read_response(&mut r).is_err());
    assert_eq!(server.hits(), 1);
}

#[test]
fn truncated_body_then_close() {
    let server = FakeServer::start(|_| Reply::truncated(200, json!({"data": "0123456789"})));
    let (mut s, mut r) = connect(&server);
    s.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let err = read_response(&mut r).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
}

#[test]
fn delay_and_concurrency() {
    let server = FakeServer::start(|req| {
        if req.path == "/slow" {
            Reply::ok(json!(1)).delay(Duration::from_millis(400))
        } else {
            Reply::ok(json!(2))
        }
    });
    let start = Instant::now();
    let (mut slow, mut slow_r) = connect(&server);
    slow.write_all(b"GET /slow HTTP/1.1\r\n\r\n").unwrap();
    // A slow answer does not hold up other connections.
    let (mut fast, mut fast_r) = connect(&server);
    fast.write_all(b"GET /fast HTTP/1.1\r\n\r\n").unwrap();
    read_response(&mut fast_r).unwrap();
    assert!(start.elapsed() < Duration::from_millis(300), "{:?}", start.elapsed());
    read_response(&mut slow_r).unwrap();
    assert!(start.elapsed() >= Duration::from_millis(400));
}

#[test]
fn handler_panic_is_a_500() {
    let server = FakeServer::start(|_| panic!("boom"));
    let (mut s, mut r) = connect(&server);
    s.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let (status, _, body) = read_response(&mut r).unwrap();
    assert_eq!(status, 500);
    assert!(String::from_utf8_lossy(&body).contains("boom"));
}

#[test]
fn stops_on_drop() {
    let server = FakeServer::start(|_| Reply::ok(json!({})).delay(Duration::from_secs(60)));
    let addr = server.addr();
    let (mut s, mut r) = connect(&server);
    s.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let start = Instant::now();
    drop(server);
    assert!(start.elapsed() < Duration::from_secs(5));
    // The open connection was closed, and nobody listens any more.
    assert!(read_response(&mut r).is_err());
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn fake_faults_come_first() {
    let f = fake::ollama();
    f.fail_next(2, Reply::text(503, "busy"));
    f.set_fault(|req| (req.path_only() == "/api/ps").then(|| Reply::text(500, "no ps")));
    let (mut s, mut r) = connect(&f);
    let mut get = |path: &str| {
        write!(s, "GET {path} HTTP/1.1\r\n\r\n").unwrap();
        read_response(&mut r).unwrap().0
    };
    assert_eq!(get("/api/tags"), 503);
    assert_eq!(get("/api/tags"), 503);
    assert_eq!(get("/api/tags"), 200);
    assert_eq!(get("/api/ps"), 500);
    f.clear_faults();
    assert_eq!(get("/api/ps"), 200);
    assert_eq!(f.base_url(), f.url());
    let o = fake::openai("k");
    assert_eq!(o.base_url(), format!("{}/v1", o.url()));
}
