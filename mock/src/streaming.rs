//! SSE (`"stream": true`) answers.

use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};

use super::agent;
use super::body::{response, with_header, BodySender, MockBody, Resp};
use super::call::Call;
use super::completion::{self, CREATED};
use super::text::{pieces, word_count};

/// The text of `mock/stream-bytewise`, with multi-byte UTF-8 characters.
pub(super) const BYTEWISE_TEXT: &str = "héllo wörld ✓";

/// The last event of a complete stream.
const DONE: &str = "data: [DONE]\n\n";
/// The in-band error of `mock/stream-error-midway`.
const ERROR_MIDWAY: &str =
    "data: {\"error\":{\"message\":\"mock stream failure\",\"type\":\"server_error\",\"code\":\"500\"}}\n\n";
/// The `event: error` of `mock/stream-error-event`.
const ERROR_EVENT: &str = "event: error\ndata: {\"error\":{\"message\":\"mock error event\"}}\n\n";

/// Starts the event stream for `call` and returns the `text/event-stream` response at once.
pub(super) fn respond(call: Call) -> Resp {
    // Some servers send their event stream as JSON; a client should still read it as a stream.
    let content_type = if call.scenario() == "stream-sse-as-json" { "application/json" } else { "text/event-stream" };
    let (tx, body) = MockBody::channel(16);
    tokio::spawn(async move {
        let live = &call.shared.live_streams;
        live.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        run(&call, &tx).await;
        live.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    });
    let resp = response(200, content_type, body);
    with_header(resp, "cache-control", "no-cache")
}

/// Writes the events of `call`'s scenario; `None` once the client is gone.
async fn run(call: &Call, tx: &BodySender) -> Option<()> {
    let usage = call.include_usage();
    if let Some(n) = counted_events(call.scenario()) {
        return counted(call, tx, n, usage).await;
    }
    let echo = call.echo_text();
    match call.scenario() {
        "agent" => send_all(tx, &agent_events(call)).await,
        "stream-tool-calls" => send_all(tx, &tool_call_events(call)).await,
        "stream-usage-only" => send_all(tx, &events(&text_chunks(call, &[], &echo, true))).await,
        "stream-reasoning" => {
            let chunks = text_chunks(call, &reasoning("reasoning_content"), &echo, usage);
            send_all(tx, &events(&chunks)).await
        }
        "stream-reasoning-field" => {
            let chunks = text_chunks(call, &reasoning("reasoning"), &echo, usage);
            send_all(tx, &events(&chunks)).await
        }
        "stream-keepalive" => send_all(tx, &keepalive(&text_chunks(call, &[], &echo, usage))).await,
        "stream-bytewise" => {
            let all = events(&text_chunks(call, &[], BYTEWISE_TEXT, usage)).concat();
            for byte in all.into_bytes() {
                tx.send(Bytes::copy_from_slice(&[byte])).await?;
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            Some(())
        }
        "stream-error-midway" => send_all(tx, &[broken_start(call), vec![ERROR_MIDWAY.to_owned()]].concat()).await,
        "stream-error-event" => send_all(tx, &[broken_start(call), vec![ERROR_EVENT.to_owned()]].concat()).await,
        "stream-truncated" => send_all(tx, &broken_start(call)).await,
        "stream-sse-as-json" => send_all(tx, &events(&text_chunks(call, &[], &echo, usage))).await,
        "stream-split-surrogate" => {
            // An emoji's UTF-16 pair split across two chunks' JSON escapes, as seen from real servers.
            let halves = [r#"{"content":"a\ud83d"}"#, r#"{"content":"\ude00b"}"#];
            let raw = |delta: &str| format!("data: {{\"choices\":[{{\"index\":0,\"delta\":{delta}}}]}}\n\n");
            let mut out = vec![data(&role_chunk(call))];
            out.extend(halves.iter().map(|h| raw(h)));
            out.extend(events(&[chunk(call, json!({}), json!("stop"))]));
            send_all(tx, &out).await
        }
        "stream-long-line" => {
            // A line that never ends, 64 KiB at a time, up to 64 MiB or until the client leaves.
            tx.send("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"".to_owned()).await?;
            let filler = "x".repeat(64 * 1024);
            for _ in 0..1024 {
                tx.send(filler.clone()).await?;
            }
            Some(())
        }
        "reset-body" => {
            send_all(tx, &broken_start(call)).await?;
            tx.sleep(Duration::from_millis(50)).await?;
            tx.abort().await;
            Some(())
        }
        "stalled-body" => {
            let all = events(&text_chunks(call, &[], &echo, usage));
            let (first, rest) = all.split_at(1);
            send_all(tx, first).await?;
            tx.sleep(Duration::from_secs(60)).await?;
            send_all(tx, rest).await
        }
        "stream-endless" => {
            tx.send(data(&role_chunk(call))).await?;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
            while tokio::time::Instant::now() < deadline {
                tx.send(data(&chunk(call, json!({"content": "tick "}), Value::Null))).await?;
                tx.sleep(Duration::from_millis(10)).await?;
            }
            Some(())
        }
        "stream-gated" => {
            tx.send(data(&role_chunk(call))).await?;
            tx.send(data(&chunk(call, json!({"content": "first"}), Value::Null))).await?;
            let _ = tokio::time::timeout(Duration::from_secs(10), call.shared.gate.notified()).await;
            tx.send(data(&chunk(call, json!({"content": " second"}), Value::Null))).await?;
            let mut rest = vec![chunk(call, json!({}), json!("stop"))];
            rest.extend(usage.then(|| usage_chunk(call, 2)));
            send_all(tx, &events(&rest)).await
        }
        _ => send_all(tx, &events(&text_chunks(call, &[], &call.default_text(), usage))).await,
    }
}

/// N of `mock/stream-events-N`; at most a million, so a typo cannot run for ever.
pub(super) fn counted_events(scenario: &str) -> Option<usize> {
    let n = scenario.strip_prefix("stream-events-")?.parse().ok()?;
    (n <= 1_000_000).then_some(n)
}

/// `mock/stream-events-N`: role chunk, N content deltas (`w0 `, `w1 `, ...), the `stop` chunk,
/// the usage chunk when asked for, `[DONE]`. Each delta is made just before it is sent, and the
/// task yields after each one, so that the events leave one by one as a model's would, the first
/// at once whatever N is (without the yield, a client in the same process may see the whole burst
/// at once, after the last event was made).
async fn counted(call: &Call, tx: &BodySender, n: usize, usage: bool) -> Option<()> {
    tx.send(data(&role_chunk(call))).await?;
    for i in 0..n {
        let delta = json!({"content": format!("w{i} ")});
        tx.send(data(&chunk(call, delta, Value::Null))).await?;
        tokio::task::yield_now().await;
    }
    let mut rest = vec![chunk(call, json!({}), json!("stop"))];
    rest.extend(usage.then(|| usage_chunk(call, n as u64)));
    send_all(tx, &events(&rest)).await
}

/// Sends `events` in order; `None` once the client is gone.
async fn send_all(tx: &BodySender, events: &[String]) -> Option<()> {
    for event in events {
        tx.send(event.clone()).await?;
    }
    Some(())
}

/// `data: <json>\n\n`.
fn data(value: &Value) -> String {
    format!("data: {value}\n\n")
}

/// Every chunk as an event, then `[DONE]`.
fn events(chunks: &[Value]) -> Vec<String> {
    chunks.iter().map(data).chain([DONE.to_owned()]).collect()
}

/// A `chat.completion.chunk` with these `choices`.
fn chunk_of(call: &Call, choices: Value) -> Value {
    json!({
        "id": call.id,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": call.model,
        "system_fingerprint": "fp_mock",
        "choices": choices,
    })
}

/// A `chat.completion.chunk` with one choice.
fn chunk(call: &Call, delta: Value, finish: Value) -> Value {
    chunk_of(call, json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]))
}

/// The first chunk: `{"role":"assistant","content":""}`.
fn role_chunk(call: &Call) -> Value {
    chunk(call, json!({"role": "assistant", "content": ""}), Value::Null)
}

/// The final usage chunk (empty `choices`).
fn usage_chunk(call: &Call, completion_words: u64) -> Value {
    let mut chunk = chunk_of(call, json!([]));
    chunk["usage"] = completion::usage(call, completion_words);
    chunk
}

/// The two reasoning deltas (`"Let me "`, `"think."`) under `field`.
fn reasoning(field: &str) -> Vec<Value> {
    ["Let me ", "think."].iter().map(|part| json!({ field: part })).collect()
}

/// Role chunk, `extra` deltas, one content delta per word of `text`, the `stop` chunk and,
/// when `usage`, the usage chunk.
fn text_chunks(call: &Call, extra: &[Value], text: &str, usage: bool) -> Vec<Value> {
    let mut chunks = vec![role_chunk(call)];
    chunks.extend(extra.iter().map(|delta| chunk(call, delta.clone(), Value::Null)));
    chunks.extend(pieces(text).into_iter().map(|piece| chunk(call, json!({"content": piece}), Value::Null)));
    chunks.push(chunk(call, json!({}), json!("stop")));
    chunks.extend(usage.then(|| usage_chunk(call, word_count(text))));
    chunks
}

/// Role chunk and two content deltas of the echo text, with no finish and no `[DONE]`.
fn broken_start(call: &Call) -> Vec<String> {
    let echo = call.echo_text();
    let mut chunks = vec![role_chunk(call)];
    chunks.extend(pieces(&echo).into_iter().take(2).map(|p| chunk(call, json!({"content": p}), Value::Null)));
    chunks.iter().map(data).collect()
}

/// `mock/agent`'s turn streamed: the shell call with its arguments in two fragments, or the
/// final text a word a chunk.
fn agent_events(call: &Call) -> Vec<String> {
    match agent::turn(call) {
        agent::Turn::Text(text) => events(&text_chunks(call, &[], &text, call.include_usage())),
        agent::Turn::Call { name, arguments } => {
            let (head, tail) = arguments.split_at(arguments.len() / 2);
            let start = json!({"index": 0, "id": "call_agent_1", "type": "function", "function": {"name": name, "arguments": head}});
            let mut chunks = vec![
                chunk(call, json!({"role": "assistant", "content": null, "tool_calls": [start]}), Value::Null),
                chunk(call, json!({"tool_calls": [{"index": 0, "function": {"arguments": tail}}]}), Value::Null),
                chunk(call, json!({}), json!("tool_calls")),
            ];
            chunks.extend(call.include_usage().then(|| usage_chunk(call, 0)));
            events(&chunks)
        }
    }
}

/// Two parallel tool calls whose argument fragments are interleaved and split mid-token.
fn tool_call_events(call: &Call) -> Vec<String> {
    let tool = |delta: Value| chunk(call, json!({"tool_calls": [delta]}), Value::Null);
    let args = |index: u32, arguments: &str| tool(json!({"index": index, "function": {"arguments": arguments}}));
    let start = |index: u32, id: &str, name: &str| json!({"index": index, "id": id, "type": "function", "function": {"name": name, "arguments": ""}});
    let first = chunk(
        call,
        json!({"role": "assistant", "content": null, "tool_calls": [start(0, "call_1", "get_weather")]}),
        Value::Null,
    );
    let mut chunks = vec![
        first,
        args(0, "{\"ci"),
        args(0, "ty\": \"Par"),
        tool(start(1, "call_2", "get_time")),
        args(1, "{\"tz\":"),
        args(0, "is\"}"),
        args(1, "\"CET\"}"),
        chunk(call, json!({}), json!("tool_calls")),
    ];
    chunks.extend(call.include_usage().then(|| usage_chunk(call, 0)));
    events(&chunks)
}

/// The events of `chunks` with SSE noise: `: PROCESSING` comments, `event: message` lines,
/// CRLF line endings and JSON split across two `data:` lines.
fn keepalive(chunks: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, value) in chunks.iter().enumerate() {
        out.push(if i % 2 == 0 { ": PROCESSING\n\n" } else { ": PROCESSING\r\n\r\n" }.to_owned());
        let plain = data(value);
        out.push(match i % 4 {
            0 => format!("event: message\n{plain}"),
            1 => plain.replace('\n', "\r\n"),
            2 => {
                let json = value.to_string();
                match json.split_once(",\"object\":") {
                    Some((head, tail)) => format!("data: {head}\ndata: ,\"object\":{tail}\n\n"),
                    None => plain,
                }
            }
            _ => plain,
        });
    }
    out.extend(events(&[]));
    out
}
