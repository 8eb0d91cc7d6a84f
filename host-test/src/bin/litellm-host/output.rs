//! What the CLI prints: text for a person (answers, tool calls, and with `--verbose` the stop
//! reason and usage on stderr), or JSON views of the contract's values for `--json`.

use litellm_host::{Response, StopReason, StreamEvent, ToolCall, Usage};
use serde_json::{json, Value};

fn calls(calls: &[ToolCall]) -> Value {
    calls.iter().map(|c| json!({"id": c.id, "name": c.name, "arguments": c.arguments})).collect()
}

/// The usage with every count; one the endpoint did not send is `null`.
fn usage(u: &Option<Usage>) -> Value {
    u.map_or(Value::Null, |u| {
        json!({
            "input_tokens": u.input_tokens,
            "output_tokens": u.output_tokens,
            "cached_input_tokens": u.cached_input_tokens,
            "cache_write_input_tokens": u.cache_write_input_tokens,
            "reasoning_tokens": u.reasoning_tokens,
        })
    })
}

/// The whole response as JSON.
pub fn response(r: &Response) -> Value {
    json!({
        "content": r.content,
        "tool_calls": calls(&r.tool_calls),
        "usage": usage(&r.usage),
        "model": r.model,
        "stop_reason": r.stop_reason.name(),
        "reasoning": r.reasoning,
        "refusal": r.refusal,
    })
}

/// One stream event as JSON.
pub fn event(e: &StreamEvent) -> Value {
    match e {
        StreamEvent::Text(t) => json!({"text": t}),
        StreamEvent::Reasoning(t) => json!({"reasoning": t}),
        StreamEvent::Refusal(t) => json!({"refusal": t}),
        StreamEvent::ToolCall(c) => json!({"tool_call": calls(std::slice::from_ref(c))[0]}),
        StreamEvent::Finish(end) => json!({"finish": {
            "stop_reason": end.stop_reason.name(),
            "usage": usage(&end.usage),
            "model": end.model,
        }}),
    }
}

/// One line per tool call: `tool call NAME (ID): ARGUMENTS`.
pub fn tool_call_line(call: &ToolCall) -> String {
    format!("tool call {} ({}): {}", call.name, call.id, call.arguments)
}

/// The `--verbose` line: `stop: REASON, usage: IN in, OUT out[, N cached…], model: M`.
pub fn summary_line(stop: StopReason, usage: Option<Usage>, model: &str) -> String {
    let usage = usage.map_or_else(|| "none".to_string(), |u| u.describe());
    format!("stop: {}, usage: {usage}, model: {model}", stop.name())
}
