//! SSE answers.

use serde_json::{json, Value};
use tokio::io::AsyncReadExt;

use super::*;
use crate::streaming::BYTEWISE_TEXT;

/// Parses an SSE body: the JSON of every `data` event (before `[DONE]`) and whether `[DONE]` came.
fn sse(body: &str) -> (Vec<Value>, bool) {
    let (mut events, mut done) = (Vec::new(), false);
    for block in body.replace("\r\n", "\n").split("\n\n") {
        let data: Vec<&str> =
            block.lines().filter_map(|l| l.strip_prefix("data:")).map(|d| d.strip_prefix(' ').unwrap_or(d)).collect();
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
    events.iter().filter_map(|e| e.pointer("/choices/0/delta/content").and_then(Value::as_str)).collect()
}

#[tokio::test]
async fn streams_the_echo() {
    let server = MockServer::start().await.unwrap();
    let reply = chat(&server, streaming("gpt-4o", "hello there", true)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
    let text = reply.text();
    assert!(text.starts_with("data: {") && text.ends_with("\n\ndata: [DONE]\n\n"), "{text}");
    let (events, done) = sse(&text);
    assert!(done);
    assert_eq!(events[0]["choices"][0]["delta"], json!({"role": "assistant", "content": ""}));
    assert_eq!(events[0]["object"], "chat.completion.chunk");
    assert_eq!(streamed_content(&events), "You said: hello there");
    assert_eq!(events[events.len() - 2]["choices"][0]["finish_reason"], "stop");
    let last = &events[events.len() - 1];
    assert_eq!(last["choices"], json!([]));
    assert_eq!(last["usage"]["completion_tokens"], 4);

    let text = chat(&server, streaming("mock/echo", "hi", false)).await.text();
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
    let text = chat(&server, streaming("mock/stream-keepalive", "a b c d", true)).await.text();
    assert!(text.contains(": PROCESSING") && text.contains("event: message") && text.contains("\r\n"));
    let (events, done) = sse(&text);
    assert!(done);
    assert_eq!(streamed_content(&events), "You said: a b c d");

    let (events, done) = sse(&chat(&server, streaming("mock/stream-tool-calls", "x", false)).await.text());
    assert!(done);
    let mut args = [String::new(), String::new()];
    for event in &events {
        for call in event.pointer("/choices/0/delta/tool_calls").and_then(Value::as_array).into_iter().flatten() {
            let index = call["index"].as_u64().unwrap() as usize;
            args[index].push_str(call["function"]["arguments"].as_str().unwrap());
        }
    }
    assert_eq!(args, ["{\"city\": \"Paris\"}", "{\"tz\":\"CET\"}"]);
    assert_eq!(events.last().unwrap()["choices"][0]["finish_reason"], "tool_calls");
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
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let early = tokio::time::timeout(std::time::Duration::from_millis(200), stream.read(&mut buf)).await;
    assert!(early.is_err(), "the rest was sent before release_gate");
    server.release_gate();
    stream.read_to_end(&mut raw).await.unwrap();
    let reply = parse(&raw);
    assert_eq!(streamed_content(&sse(&reply.text()).0), "first second");
}

#[tokio::test]
async fn streams_exactly_n_counted_events() {
    let server = MockServer::start().await.unwrap();
    let (events, done) = sse(&chat(&server, streaming("mock/stream-events-7", "x", true)).await.text());
    assert!(done);
    assert_eq!(events[0]["choices"][0]["delta"], json!({"role": "assistant", "content": ""}));
    let deltas: Vec<&str> = events
        .iter()
        .filter_map(|e| e.pointer("/choices/0/delta/content").and_then(Value::as_str))
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(deltas, ["w0 ", "w1 ", "w2 ", "w3 ", "w4 ", "w5 ", "w6 "]);
    // Role chunk, 7 deltas, the stop chunk, the usage chunk.
    assert_eq!(events.len(), 10);
    assert_eq!(events[8]["choices"][0]["finish_reason"], "stop");
    assert_eq!(events[9]["usage"]["completion_tokens"], 7);

    let (events, done) = sse(&chat(&server, streaming("mock/stream-events-0", "x", false)).await.text());
    assert!(done);
    assert_eq!(events.len(), 2, "role and stop chunks only");
    assert_eq!(crate::streaming::counted_events("stream-events-2000000"), None);
}
