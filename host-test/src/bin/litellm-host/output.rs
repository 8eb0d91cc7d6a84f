//! What the CLI prints: text for a person (answers, tool calls, and with `--verbose` the stop
//! reason and usage on stderr), or JSON views of the contract's values for `--json`.

use litellm_host::{Response, StopReason, StreamEvent, ToolCall, Usage};
use serde_json::{json, Value};
use std::borrow::Cow;
use std::fmt::Write as _;

/// Text from an endpoint as a terminal may show it: C0 and C1 control characters (and DEL) other
/// than newline and tab are written as `\u{1b}`, so that an answer cannot drive the terminal
/// (OSC 52 writes the clipboard, CSI moves the cursor, BEL rings). `--json` needs none of this:
/// JSON escapes them itself.
pub fn shown(text: &str) -> Cow<'_, str> {
    let is_control = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_control(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

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

/// One line per tool call: `tool call NAME (ID): ARGUMENTS`, control characters escaped.
pub fn tool_call_line(call: &ToolCall) -> String {
    format!("tool call {} ({}): {}", shown(&call.name), shown(&call.id), shown(&call.arguments))
}

/// The `--verbose` line: `stop: REASON, usage: IN in, OUT out[, N cached…], model: M`.
pub fn summary_line(stop: StopReason, usage: Option<Usage>, model: &str) -> String {
    let usage = usage.map_or_else(|| "none".to_string(), |u| u.describe());
    format!("stop: {}, usage: {usage}, model: {}", stop.name(), shown(model))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_escaped() {
        assert_eq!(shown("plain\ttext\nline"), "plain\ttext\nline");
        assert_eq!(shown("\u{1b}]52;c;ZXZpbA==\u{7}"), "\\u{1b}]52;c;ZXZpbA==\\u{7}");
        assert_eq!(shown("\u{1b}[2J\u{9b}31m\u{7f}"), "\\u{1b}[2J\\u{9b}31m\\u{7f}");
        assert_eq!(shown("é ✓ 日本"), "é ✓ 日本");
    }
}
