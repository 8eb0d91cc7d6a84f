//! Non-streaming answers, errors, routing and recording.

use serde_json::{json, Value};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use super::*;

#[tokio::test]
async fn echoes_the_last_user_message() {
    let server = MockServer::start().await.unwrap();
    let reply = chat(&server, user("gpt-4o", "hello there")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.header("content-length"), Some(reply.body.len().to_string().as_str()));
    let v = reply.json();
    assert_eq!(v["id"], "chatcmpl-mock-1");
    assert_eq!(v["model"], "gpt-4o");
    assert_eq!(v["choices"][0]["message"]["content"], "You said: hello there");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(v["usage"], json!({"prompt_tokens": 4, "completion_tokens": 4, "total_tokens": 8}));

    let parts = json!({"model": "mock/echo", "messages": [
        {"role": "user", "content": "old"},
        {"role": "user", "content": [{"type": "text", "text": "a "}, {"type": "image_url"}, {"type": "text", "text": "b"}]},
        {"role": "assistant", "content": null}]});
    assert_eq!(chat(&server, parts).await.json()["choices"][0]["message"]["content"], "You said: a b");
}

#[tokio::test]
async fn echoes_the_key() {
    let server = MockServer::start().await.unwrap();
    let body = user("mock/echo-key", "hi").to_string();
    let auth = [("Authorization", "Bearer sk-tenant-1")];
    let reply = request(server.addr(), "POST", "/chat/completions", &auth, &body).await;
    assert_eq!(reply.json()["choices"][0]["message"]["content"], "key:sk-tenant-1");
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
    let v = chat(&server, user("mock/tool-calls-parallel", "x")).await.json();
    let calls = &v["choices"][0]["message"]["tool_calls"];
    assert_eq!(calls[1]["id"], "call_2");
    assert_eq!(calls[1]["function"]["name"], "get_weather");
    assert_eq!(calls[1]["function"]["arguments"], "{\"city\":\"Rome\"}");
}

#[tokio::test]
async fn errors_carry_status_and_retry_after() {
    let server = MockServer::start().await.unwrap();
    for body in [user("mock/error-429", "x"), streaming("mock/error-429", "x", true)] {
        let reply = chat(&server, body).await;
        assert_eq!(reply.status, 429);
        assert_eq!(reply.header("retry-after"), Some("1"));
        let expected =
            json!({"error": {"message": "mock error 429", "type": "mock_error", "param": null, "code": "mock_429"}});
        assert_eq!(reply.json(), expected);
    }
    let reply = chat(&server, user("mock/error-429-ms", "x")).await;
    assert_eq!((reply.status, reply.header("retry-after-ms")), (429, Some("150")));
    let reply = chat(&server, user("mock/error-429-date", "x")).await;
    let date = reply.header("retry-after").unwrap();
    assert!(date.ends_with(" GMT") && date.len() == 29, "{date}");
    let reply = chat(&server, user("mock/error-503", "x")).await;
    assert_eq!((reply.status, reply.header("retry-after")), (503, None));
    let reply = chat(&server, user("mock/error-plain", "x")).await;
    assert_eq!((reply.status, reply.text().as_str()), (500, "upstream exploded"));
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
    assert_eq!(chat(&server, streaming("mock/stream-500", "x", false)).await.status, 500);
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
        statuses(&["mock/flaky-2-abc", "mock/flaky-2-abc", "mock/flaky-2-def", "mock/flaky-2-abc"]).await,
        [503, 503, 503, 200]
    );
    let reply = chat(&server, user("mock/flaky429-1-x", "x")).await;
    assert_eq!((reply.status, reply.header("retry-after-ms")), (429, Some("50")));
    assert_eq!(chat(&server, streaming("mock/flaky429-1-x", "x", false)).await.status, 200);
}

#[tokio::test]
async fn records_requests() {
    let server = MockServer::start().await.unwrap();
    let body = user("mock/echo", "hi").to_string();
    request(server.addr(), "POST", "/v1/chat/completions?x=1", &[("X-Custom-Header", "Foo")], &body).await;
    request(server.addr(), "POST", "/v1/chat/completions", &[], "not json").await;
    let recorded = server.requests();
    assert_eq!(recorded.len(), 2);
    let first = &recorded[0];
    assert_eq!((first.method.as_str(), first.path.as_str()), ("POST", "/v1/chat/completions?x=1"));
    assert!(first.headers.iter().all(|(n, _)| *n == n.to_ascii_lowercase()));
    assert!(first.headers.iter().any(|(n, v)| n == "x-custom-header" && v == "Foo"));
    assert_eq!(first.header("X-CUSTOM-HEADER"), Some("Foo"));
    assert_eq!(first.body["messages"][1]["content"], "hi");
    assert_eq!(first.raw_body, body.as_bytes());
    assert_eq!((&recorded[1].body, recorded[1].raw_body.as_slice()), (&Value::Null, &b"not json"[..]));
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
    let reply = request(server.addr(), "GET", "/v1/files", &[], "").await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json()["error"]["message"], "no route for GET /v1/files");
    let reply = request(server.addr(), "GET", "/health", &[], "").await;
    assert_eq!((reply.status, reply.json()), (200, json!({"status": "ok"})));
}

#[tokio::test]
async fn serves_odd_bodies() {
    let server = MockServer::start().await.unwrap();
    let reply = chat(&server, user("mock/truncated-json", "x")).await;
    assert!(serde_json::from_slice::<Value>(&reply.body).is_err());
    assert_eq!(reply.header("content-length"), Some(reply.body.len().to_string().as_str()));
    assert!(chat(&server, user("mock/non-utf8", "x")).await.body.windows(3).any(|w| w == [0xff, 0xfe, 0xfd]));
    assert!(chat(&server, user("mock/empty-body", "x")).await.body.is_empty());
    let big = chat(&server, user("mock/big-1kb", "x")).await.json();
    assert_eq!(big["choices"][0]["message"]["content"].as_str().unwrap().len(), 1024);
    let reply = chat(&server, user("mock/huge", "x")).await;
    assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
    assert_eq!(reply.json()["choices"][0]["message"]["content"].as_str().unwrap().len(), 32 << 20);

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
        assert_eq!(reply.json()["choices"][0]["message"]["content"], format!("key:sk-{i}"));
    });
    futures::future::join_all(calls).await;
    assert_eq!(server.requests().len(), 200);
    drop(server);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(TcpStream::connect(addr).await.is_err());
}
