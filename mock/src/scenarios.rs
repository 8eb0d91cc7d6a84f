//! Non-streaming answers, and the prelude (errors, delays, flakiness) shared with streaming.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde_json::{json, Value};

use super::agent;
use super::body::{error_response, json_response, mock_error, response, status_error, with_header, MockBody, Resp};
use super::call::Call;
use super::completion::answer;
use super::flavours;
use super::hostile;
use super::state::lock;
use super::text::http_date;
use super::thinking;

/// Scenarios that decide the status, headers or timing, for streaming and non-streaming
/// requests alike: `Some` is the final response; `None` means "answer normally".
pub(super) async fn prelude(call: &Call) -> Option<Resp> {
    let name = call.scenario();
    if let Some(ms) = name.strip_prefix("slow-headers-") {
        let ms = ms.parse::<u64>().ok()?;
        tokio::time::sleep(Duration::from_millis(ms)).await;
        return None;
    }
    if let Some(rest) = name.strip_prefix("flaky429-") {
        return flaky(call, rest, 429);
    }
    if let Some(rest) = name.strip_prefix("flaky-") {
        return flaky(call, rest, 503);
    }
    if name == "stream-500" {
        return Some(mock_error(500));
    }
    if let Some(refused) = thinking::refusal(call) {
        return Some(refused);
    }
    if let Some(hostile) = hostile::respond(call) {
        return Some(hostile);
    }
    error_scenario(call, name.strip_prefix("error-")?)
}

/// `mock/flaky-N-TAG`: the first N requests with this exact model fail with `status`.
fn flaky(call: &Call, rest: &str, status: u16) -> Option<Resp> {
    let failures: u32 = rest.split('-').next()?.parse().ok()?;
    let seen = {
        let mut counters = lock(&call.shared.flaky);
        let counter = counters.entry(call.scenario_model.clone()).or_insert(0);
        *counter += 1;
        *counter
    };
    if seen > failures {
        return None;
    }
    let resp = mock_error(status);
    Some(if status == 429 { with_header(resp, "retry-after-ms", "50") } else { resp })
}

/// `mock/error-*`.
fn error_scenario(call: &Call, name: &str) -> Option<Resp> {
    let invalid = || json!("invalid_request_error");
    let resp = match name {
        "429-ms" => with_header(mock_error(429), "retry-after-ms", "150"),
        "429-date" => {
            let date = http_date(SystemTime::now() + Duration::from_secs(2));
            with_header(mock_error(429), "retry-after", &date)
        }
        "context" => error_response(
            400,
            "This model's maximum context length is 8192 tokens",
            invalid(),
            json!("messages"),
            json!("context_length_exceeded"),
        ),
        "litellm-context" => error_response(
            400,
            "litellm.ContextWindowExceededError: litellm.BadRequestError: ContextWindowExceededError: too long",
            Value::Null,
            Value::Null,
            json!("400"),
        ),
        "content-filter" => error_response(
            400,
            "The response was filtered due to the prompt triggering the content management policy",
            invalid(),
            json!("prompt"),
            json!("content_filter"),
        ),
        "quota" => error_response(
            429,
            "You exceeded your current quota, please check your plan and billing details.",
            json!("insufficient_quota"),
            Value::Null,
            json!("insufficient_quota"),
        ),
        "plain" => response(500, "text/plain", MockBody::full("upstream exploded")),
        "long" => error_response(400, &"x".repeat(5000), invalid(), Value::Null, json!("mock_400")),
        "echo-key" => {
            let received = call.authorization.as_deref().unwrap_or("");
            let message = format!("Incorrect API key provided: {received}");
            error_response(401, &message, invalid(), Value::Null, json!("invalid_api_key"))
        }
        other => flavours::provider_error(other).or_else(|| status_error(other))?,
    };
    Some(resp)
}

/// The normal answer: the default text with `finish_reason: "stop"`.
pub(super) fn default_answer(call: &Call) -> Value {
    answer(call, Some(&call.default_text()), json!("stop"))
}

/// The serialized normal answer, cut around its content: `(before, after)`.
fn split_answer(call: &Call) -> (String, String) {
    const MARKER: &str = "MOCK-CONTENT-MARKER";
    let full = answer(call, Some(MARKER), json!("stop")).to_string();
    match full.split_once(&format!("\"{MARKER}\"")) {
        Some((before, after)) => (format!("{before}\""), format!("\"{after}")),
        None => (full, String::new()),
    }
}

/// Non-streaming answers (also used for `mock/stream-not-sse`).
pub(super) fn respond(call: &Call) -> Resp {
    let finish = |reason: Value| json_response(200, &answer(call, Some(&call.default_text()), reason));
    let edit = |f: fn(&mut Value)| {
        let mut value = default_answer(call);
        f(&mut value);
        json_response(200, &value)
    };
    match call.scenario() {
        "agent" => match agent::turn(call) {
            agent::Turn::Text(text) => json_response(200, &answer(call, Some(&text), json!("stop"))),
            agent::Turn::Call { name, arguments } => {
                let calls = json!([{"id": "call_agent_1", "type": "function", "function": {"name": name, "arguments": arguments}}]);
                let mut value = answer(call, None, json!("tool_calls"));
                set_message_field(&mut value, "tool_calls", calls);
                json_response(200, &value)
            }
        },
        "tool-call" => tool_calls(call, &["Paris"]),
        "tool-calls-parallel" => tool_calls(call, &["Paris", "Rome"]),
        "finish-length" => finish(json!("length")),
        "finish-content-filter" => finish(json!("content_filter")),
        "finish-function-call" => finish(json!("function_call")),
        "finish-tool-calls" => finish(json!("tool_calls")),
        "finish-stop-sequence" => finish(json!("stop_sequence")),
        "finish-unknown" => finish(json!("something_new")),
        "finish-null" => finish(Value::Null),
        "no-usage" => edit(|v| {
            if let Some(object) = v.as_object_mut() {
                object.remove("usage");
            }
        }),
        "null-usage" => edit(|v| set_field(v, "", "usage", Value::Null)),
        "null-content" => json_response(200, &answer(call, None, json!("stop"))),
        "no-choices" => edit(|v| set_field(v, "", "choices", json!([]))),
        "reasoning" => edit(|v| set_message_field(v, "reasoning_content", json!("Let me think."))),
        "reasoning-field" => edit(|v| set_message_field(v, "reasoning", json!("Let me think."))),
        thinking::DEEPSEEK_THINKING => json_response(200, &thinking::deepseek_answer(call, default_answer(call))),
        "malformed-json" => raw(r#"{"choices": [{"index": 0, "message": not json"#),
        "truncated-json" => {
            let mut full = default_answer(call).to_string().into_bytes();
            full.truncate(full.len() / 2);
            raw(full)
        }
        "wrong-content-type" => response(200, "text/html", MockBody::full("<html>hello</html>")),
        "non-utf8" => {
            let (before, after) = split_answer(call);
            raw([before.as_bytes(), &[0xff, 0xfe, 0xfd], after.as_bytes()].concat())
        }
        "empty-body" => raw(""),
        "lone-surrogate" => {
            let (before, after) = split_answer(call);
            raw(format!(r#"{before}a\ud83d b\ude00{after}"#).into_bytes())
        }
        "redirect-302" => {
            let resp = response(302, "text/plain", MockBody::full("moved"));
            with_header(resp, "location", "https://login.example.com/oauth?token=mock-secret-token")
        }
        "json-not-object" => raw("[1,2,3]"),
        "huge" => huge(call),
        "big-1mb" => big(call, 1 << 20),
        "big-7mb" => big(call, 7 << 20),
        "big-1kb" => big(call, 1024),
        "stalled-body" => stalled(call),
        "reset-body" => reset(call),
        _ => json_response(200, &default_answer(call)),
    }
}

/// Sets `key` in the object at JSON `pointer` of `value` (no-op if there is no object there).
fn set_field(value: &mut Value, pointer: &str, key: &str, field: Value) {
    if let Some(object) = value.pointer_mut(pointer).and_then(Value::as_object_mut) {
        object.insert(key.to_owned(), field);
    }
}

/// Sets `key` in the message of the first choice.
fn set_message_field(value: &mut Value, key: &str, field: Value) {
    set_field(value, "/choices/0/message", key, field);
}

/// A 200 `application/json` response with arbitrary bytes.
fn raw(bytes: impl Into<Bytes>) -> Resp {
    response(200, "application/json", MockBody::full(bytes))
}

/// `finish_reason: "tool_calls"` with one call per city (`call_1`, `call_2`, ...).
fn tool_calls(call: &Call, cities: &[&str]) -> Resp {
    let name = call.body.pointer("/tools/0/function/name").and_then(Value::as_str).unwrap_or("get_weather");
    let calls: Vec<Value> = cities
        .iter()
        .enumerate()
        .map(|(i, city)| {
            let arguments = json!({"city": city}).to_string();
            json!({"id": format!("call_{}", i + 1), "type": "function", "function": {"name": name, "arguments": arguments}})
        })
        .collect();
    let mut value = answer(call, None, json!("tool_calls"));
    set_message_field(&mut value, "tool_calls", Value::Array(calls));
    json_response(200, &value)
}

/// A valid answer whose content is `len` times `a`.
fn big(call: &Call, len: usize) -> Resp {
    json_response(200, &answer(call, Some(&"a".repeat(len)), json!("stop")))
}

/// 32 MiB of `a` as content, written in 64 KiB chunks.
fn huge(call: &Call) -> Resp {
    let (before, after) = split_answer(call);
    let (tx, body) = MockBody::channel(4);
    tokio::spawn(async move {
        let chunk = Bytes::from(vec![b'a'; 64 * 1024]);
        tx.send(before).await?;
        for _ in 0..512 {
            tx.send(chunk.clone()).await?;
        }
        tx.send(after).await
    });
    response(200, "application/json", body)
}

/// 20 bytes of a valid answer, 60 s of silence, then the rest.
fn stalled(call: &Call) -> Resp {
    let full = Bytes::from(default_answer(call).to_string());
    let (tx, body) = MockBody::channel(4);
    tokio::spawn(async move {
        let head = full.len().min(20);
        tx.send(full.slice(..head)).await?;
        tx.sleep(Duration::from_secs(60)).await?;
        tx.send(full.slice(head..)).await
    });
    response(200, "application/json", body)
}

/// Half a valid answer, then the connection is dropped.
fn reset(call: &Call) -> Resp {
    let full = Bytes::from(default_answer(call).to_string());
    let (tx, body) = MockBody::channel(4);
    tokio::spawn(async move {
        tx.send(full.slice(..full.len() / 2)).await?;
        tx.sleep(Duration::from_millis(50)).await?;
        tx.abort().await;
        Some(())
    });
    response(200, "application/json", body)
}
