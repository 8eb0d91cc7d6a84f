//! Tests of the mock server through a tiny raw HTTP/1.1 client.

use std::net::SocketAddr;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::streaming::BYTEWISE_TEXT;
use super::MockServer;

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    chunks: usize,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }
}

async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.push_str(body);
    stream.write_all(head.as_bytes()).await.expect("write");
    stream
}

fn parse(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = std::str::from_utf8(&raw[..split]).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut reply = Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
        chunks: 0,
    };
    if reply.header("transfer-encoding") == Some("chunked") {
        let (body, chunks) = dechunk(&reply.body);
        reply.body = body;
        reply.chunks = chunks;
    }
    reply
}

/// Decodes a complete chunked body, panicking if it is incomplete.
fn dechunk(mut raw: &[u8]) -> (Vec<u8>, usize) {
    let (mut out, mut chunks) = (Vec::new(), 0);
    loop {
        let eol = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size =
            usize::from_str_radix(std::str::from_utf8(&raw[..eol]).unwrap().trim(), 16).unwrap();
        raw = &raw[eol + 2..];
        if size == 0 {
            return (out, chunks);
        }
        out.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
        chunks += 1;
    }
}

async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let mut stream = send(addr, method, path, headers, body).await;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    parse(&raw)
}

async fn chat(server: &MockServer, body: Value) -> Reply {
    request(
        server.addr(),
        "POST",
        "/v1/chat/completions",
        &[],
        &body.to_string(),
    )
    .await
}

fn user(model: &str, text: &str) -> Value {
    json!({"model": model, "messages": [{"role": "system", "content": "be nice"}, {"role": "user", "content": text}]})
}

fn streaming(model: &str, text: &str, include_usage: bool) -> Value {
    let mut body = user(model, text);
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": include_usage});
    body
}

/// Parses an SSE body: the JSON of every `data` event (before `[DONE]`) and whether `[DONE]` came.
fn sse(body: &str) -> (Vec<Value>, bool) {
    let (mut events, mut done) = (Vec::new(), false);
    for block in body.replace("\r\n", "\n").split("\n\n") {
        let data: Vec<&str> = block
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(|d| d.strip_prefix(' ').unwrap_or(d))
            .collect();
        if data.is_empty() {
            continue;
        }
        let data = data.join("\n");
        if data == "[DONE]" {
            done = true;
        } else {
            events.push(serde_json::from_str(&data).expect("event JSON"));
        }
    }
    (events, done)
}

fn streamed_content(events: &[Value]) -> String {
    events
        .iter()
        .filter_map(|e| {
            e.pointer("/choices/0/delta/content")
                .and_then(Value::as_str)
        })
        .collect()
}

#[tokio::test]
async fn echoes_the_last_user_message() {
    let server = MockServer::start().await.unwrap();
    let reply = chat(&server, user("gpt-4o", "hello there")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(
        reply.header("content-length"),
        Some(reply.body.len().to_string().as_str())
    );
    let v = reply.json();
    assert_eq!(v["id"], "chatcmpl-mock-1");
    assert_eq!(v["model"], "gpt-4o");
    assert_eq!(
        v["choices"][0]["message"]["content"],
        "You said: hello there"
    );
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        v["usage"],
        json!({"prompt_tokens": 4, "completion_tokens": 4, "total_tokens": 8})
    );

    let parts = json!({"model": "mock/echo", "messages": [
        {"role": "user", "content": "old"},
        {"role": "user", "content": [{"type": "text", "text": "a "}, {"type": "image_url"}, {"type": "text", "text": "b"}]},
        {"role": "assistant", "content": null}]});
    assert_eq!(
        chat(&server, parts).await.json()["choices"][0]["message"]["content"],
        "You said: a b"
    );
}

#[tokio::test]
async fn echoes_the_key() {
    let server = MockServer::start().await.unwrap();
    let body = user("mock/echo-key", "hi").to_string();
    let auth = [("Authorization", "Bearer sk-tenant-1")];
    let reply = request(server.addr(), "POST", "/chat/completions", &auth, &body).await;
    assert_eq!(
        reply.json()["choices"][0]["message"]["content"],
        "key:sk-tenant-1"
    );
    let reply = request(server.addr(), "POST", "/v1/chat/completions", &[], &body).await;
    assert_eq!(reply.json()["choices"][0]["message"]["content"], "key:none");
}

#[tokio::test]
async fn answers_tool_calls() {
    let server = MockServer::start().await.unwrap();
    let mut body = user("mock/tool-call", "weather?");
    body["tools"] = json!([{"type": "function", "function": {"name": "lookup", "parameters": {}}}]);
    let v = chat(&server, body).await.json();
    assert_eq!(v["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(v["choices"][0]["message"]["content"], Value::Null);
    let calls = &v["choices"][0]["message"]["tool_calls"];
    assert_eq!(
        calls[0],
        json!({"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{\"city\":\"Paris\"}"}})
    );
    assert_eq!(calls.as_array().unwrap().len(), 1);
    let v = chat(&server, user("mock/tool-calls-parallel", "x"))
        .await
        .json();
    let calls = &v["choices"][0]["message"]["tool_calls"];
    assert_eq!(calls[1]["id"], "call_2");
    assert_eq!(calls[1]["function"]["name"], "get_weather");
    assert_eq!(calls[1]["function"]["arguments"], "{\"city\":\"Rome\"}");
}

#[tokio::test]
async fn errors_carry_status_and_retry_after() {
    let server = MockServer::start().await.unwrap();
    for body in [
        user("mock/error-429", "x"),
        streaming("mock/error-429", "x", true),
    ] {
        let reply = chat(&server, body).await;
        assert_eq!(reply.status, 429);
        assert_eq!(reply.header("retry-after"), Some("1"));
        let expected = json!({"error": {"message": "mock error 429", "type": "mock_error", "param": null, "code": "mock_429"}});
        assert_eq!(reply.json(), expected);
    }
    let reply = chat(&server, user("mock/error-429-ms", "x")).await;
    assert_eq!(
        (reply.status, reply.header("retry-after-ms")),
        (429, Some("150"))
    );
    let reply = chat(&server, user("mock/error-429-date", "x")).await;
    let date = reply.header("retry-after").unwrap();
    assert!(date.ends_with(" GMT") && date.len() == 29, "{date}");
    let reply = chat(&server, user("mock/error-503", "x")).await;
    assert_eq!((reply.status, reply.header("retry-after")), (503, None));
    let reply = chat(&server, user("mock/error-plain", "x")).await;
    assert_eq!(
        (reply.status, reply.text().as_str()),
        (500, "upstream exploded")
    );
    let reply = request(
        server.addr(),
        "POST",
        "/v1/chat/completions",
        &[("authorization", "Bearer sk-secret")],
        &user("mock/error-echo-key", "x").to_string(),
    )
    .await;
    assert_eq!(reply.status, 401);
    assert!(reply.text().contains("Bearer sk-secret"));
    assert_eq!(
        chat(&server, streaming("mock/stream-500", "x", false))
            .await
            .status,
        500
    );
}

#[tokio::test]
async fn streams_the_echo() {
    let server = MockServer::start().await.unwrap();
    let reply = chat(&server, streaming("gpt-4o", "hello there", true)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
    let text = reply.text();
    assert!(
        text.starts_with("data: {") && text.ends_with("\n\ndata: [DONE]\n\n"),
        "{text}"
    );
    let (events, done) = sse(&text);
    assert!(done);
    assert_eq!(
        events[0]["choices"][0]["delta"],
        json!({"role": "assistant", "content": ""})
    );
    assert_eq!(events[0]["object"], "chat.completion.chunk");
    assert_eq!(streamed_content(&events), "You said: hello there");
    assert_eq!(
        events[events.len() - 2]["choices"][0]["finish_reason"],
        "stop"
    );
    let last = &events[events.len() - 1];
    assert_eq!(last["choices"], json!([]));
    assert_eq!(last["usage"]["completion_tokens"], 4);

    let text = chat(&server, streaming("mock/echo", "hi", false))
        .await
        .text();
    assert!(!text.contains("usage"));
    assert_eq!(streamed_content(&sse(&text).0), "You said: hi");
}

#[tokio::test]
async fn streams_byte_by_byte() {
    let server = MockServer::start().await.unwrap();
    let reply = chat(&server, streaming("mock/stream-bytewise", "x", false)).await;
    assert_eq!(reply.chunks, reply.body.len());
    assert!(reply.chunks > 100);
    let (events, done) = sse(&reply.text());
    assert!(done);
    assert_eq!(streamed_content(&events), BYTEWISE_TEXT);
}

#[tokio::test]
async fn streams_with_sse_noise_and_tool_calls() {
    let server = MockServer::start().await.unwrap();
    let text = chat(&server, streaming("mock/stream-keepalive", "a b c d", true))
        .await
        .text();
    assert!(
        text.contains(": PROCESSING") && text.contains("event: message") && text.contains("\r\n")
    );
    let (events, done) = sse(&text);
    assert!(done);
    assert_eq!(streamed_content(&events), "You said: a b c d");

    let (events, done) = sse(
        &chat(&server, streaming("mock/stream-tool-calls", "x", false))
            .await
            .text(),
    );
    assert!(done);
    let mut args = [String::new(), String::new()];
    for event in &events {
        for call in event
            .pointer("/choices/0/delta/tool_calls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let index = call["index"].as_u64().unwrap() as usize;
            args[index].push_str(call["function"]["arguments"].as_str().unwrap());
        }
    }
    assert_eq!(args, ["{\"city\": \"Paris\"}", "{\"tz\":\"CET\"}"]);
    assert_eq!(
        events.last().unwrap()["choices"][0]["finish_reason"],
        "tool_calls"
    );
}

#[tokio::test]
async fn gated_stream_waits_for_release() {
    let server = MockServer::start().await.unwrap();
    let body = streaming("mock/stream-gated", "x", false).to_string();
    let mut stream = send(server.addr(), "POST", "/v1/chat/completions", &[], &body).await;
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&raw).contains("\"first\"") {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed early");
        raw.extend_from_slice(&buf[..n]);
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    server.release_gate();
    stream.read_to_end(&mut raw).await.unwrap();
    let reply = parse(&raw);
    assert_eq!(streamed_content(&sse(&reply.text()).0), "first second");
}

#[tokio::test]
async fn flaky_fails_n_times_per_model() {
    let server = MockServer::start().await.unwrap();
    let statuses = |models: &'static [&'static str]| {
        let server = &server;
        async move {
            let mut out = Vec::new();
            for model in models {
                out.push(chat(server, user(model, "x")).await.status);
            }
            out
        }
    };
    assert_eq!(
        statuses(&[
            "mock/flaky-2-abc",
            "mock/flaky-2-abc",
            "mock/flaky-2-def",
            "mock/flaky-2-abc"
        ])
        .await,
        [503, 503, 503, 200]
    );
    let reply = chat(&server, user("mock/flaky429-1-x", "x")).await;
    assert_eq!(
        (reply.status, reply.header("retry-after-ms")),
        (429, Some("50"))
    );
    assert_eq!(
        chat(&server, streaming("mock/flaky429-1-x", "x", false))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn records_requests() {
    let server = MockServer::start().await.unwrap();
    let body = user("mock/echo", "hi").to_string();
    request(
        server.addr(),
        "POST",
        "/v1/chat/completions?x=1",
        &[("X-Custom-Header", "Foo")],
        &body,
    )
    .await;
    request(
        server.addr(),
        "POST",
        "/v1/chat/completions",
        &[],
        "not json",
    )
    .await;
    let recorded = server.requests();
    assert_eq!(recorded.len(), 2);
    let first = &recorded[0];
    assert_eq!(
        (first.method.as_str(), first.path.as_str()),
        ("POST", "/v1/chat/completions?x=1")
    );
    assert!(first
        .headers
        .iter()
        .all(|(n, _)| *n == n.to_ascii_lowercase()));
    assert!(first
        .headers
        .iter()
        .any(|(n, v)| n == "x-custom-header" && v == "Foo"));
    assert_eq!(first.header("X-CUSTOM-HEADER"), Some("Foo"));
    assert_eq!(first.body["messages"][1]["content"], "hi");
    assert_eq!(first.raw_body, body.as_bytes());
    assert_eq!(
        (&recorded[1].body, recorded[1].raw_body.as_slice()),
        (&Value::Null, &b"not json"[..])
    );
    assert_eq!(server.requests_for("mock/echo").len(), 1);
    assert_eq!(server.take_requests().len(), 2);
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn rejects_bad_requests_and_routes() {
    let server = MockServer::start().await.unwrap();
    for body in ["not json", "{\"model\": 5}", "[]"] {
        let reply = request(server.addr(), "POST", "/v1/chat/completions", &[], body).await;
        assert_eq!(reply.status, 400);
        assert_eq!(reply.json()["error"]["type"], "invalid_request_error");
    }
    let reply = request(server.addr(), "GET", "/v1/models", &[], "").await;
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.json()["error"]["message"],
        "no route for GET /v1/models"
    );
    let reply = request(server.addr(), "GET", "/health", &[], "").await;
    assert_eq!((reply.status, reply.json()), (200, json!({"status": "ok"})));
}

#[tokio::test]
async fn serves_odd_bodies() {
    let server = MockServer::start().await.unwrap();
    let reply = chat(&server, user("mock/truncated-json", "x")).await;
    assert!(serde_json::from_slice::<Value>(&reply.body).is_err());
    assert_eq!(
        reply.header("content-length"),
        Some(reply.body.len().to_string().as_str())
    );
    assert!(chat(&server, user("mock/non-utf8", "x"))
        .await
        .body
        .windows(3)
        .any(|w| w == [0xff, 0xfe, 0xfd]));
    assert!(chat(&server, user("mock/empty-body", "x"))
        .await
        .body
        .is_empty());
    let big = chat(&server, user("mock/big-1kb", "x")).await.json();
    assert_eq!(
        big["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .len(),
        1024
    );
    let reply = chat(&server, user("mock/huge", "x")).await;
    assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
    assert_eq!(
        reply.json()["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .len(),
        32 << 20
    );

    // Half a body, then the connection is dropped: no terminating chunk.
    let body = user("mock/reset-body", "x").to_string();
    let mut stream = send(server.addr(), "POST", "/v1/chat/completions", &[], &body).await;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    assert!(raw.starts_with(b"HTTP/1.1 200") && !raw.ends_with(b"0\r\n\r\n"));
}

#[tokio::test]
async fn serves_concurrent_tenants_and_stops_on_drop() {
    let server = MockServer::start().await.unwrap();
    let addr = server.addr();
    let calls = (0..200).map(|i| async move {
        let auth = format!("Bearer sk-{i}");
        let reply = request(
            addr,
            "POST",
            "/v1/chat/completions",
            &[("Authorization", &auth)],
            &user("mock/echo-key", "x").to_string(),
        )
        .await;
        assert_eq!(
            reply.json()["choices"][0]["message"]["content"],
            format!("key:sk-{i}")
        );
    });
    futures::future::join_all(calls).await;
    assert_eq!(server.requests().len(), 200);
    drop(server);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(TcpStream::connect(addr).await.is_err());
}
