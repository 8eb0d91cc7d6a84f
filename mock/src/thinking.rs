//! Servers of the 2026 wire, as strict as the real ones: an OpenAI reasoning model that rejects
//! `max_tokens`, and DeepSeek's thinking mode that rejects a tool-calling assistant turn without
//! its `reasoning_content`. Both answer with their servers' usage details (cached and reasoning
//! tokens), in answers and streams alike. The error bodies are the servers' own, as users pasted
//! them (sources in docs/wire.md).

use serde_json::{json, Value};

use super::body::{json_response, Resp};
use super::call::Call;

/// `mock/openai-reasoning`: OpenAI's GPT-5-class and o-series models.
pub(super) const OPENAI_REASONING: &str = "openai-reasoning";
/// `mock/deepseek-thinking`: DeepSeek V3.2/V4 in thinking mode.
pub(super) const DEEPSEEK_THINKING: &str = "deepseek-thinking";
/// The reasoning `mock/deepseek-thinking` gives with its tool call.
pub const DEEPSEEK_REASONING: &str = "The user wants the weather; I should call get_weather for Paris.";

/// The request's refusal, for both scenarios; `None` when the server would take it.
pub(super) fn refusal(call: &Call) -> Option<Resp> {
    match call.scenario() {
        OPENAI_REASONING if call.body.get("max_tokens").is_some() => Some(json_response(
            400,
            &json!({"error": {
                "message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
                "type": "invalid_request_error",
                "param": "max_tokens",
                "code": "unsupported_parameter",
            }}),
        )),
        DEEPSEEK_THINKING => missing_reasoning(call).map(|index| {
            let message = format!(
                "Missing `reasoning_content` field in the assistant message at message index {index}. For more \
                 information, please refer to https://api-docs.deepseek.com/guides/thinking_mode#tool-calls"
            );
            json_response(
                400,
                &json!({"error": {"message": message, "type": "invalid_request_error", "param": null,
                                  "code": "invalid_request_error"}}),
            )
        }),
        _ => None,
    }
}

/// The index of the first assistant message with tool calls and no non-empty `reasoning_content`.
fn missing_reasoning(call: &Call) -> Option<usize> {
    call.messages().iter().position(|m| {
        let calls_tools = m.get("tool_calls").and_then(Value::as_array).is_some_and(|c| !c.is_empty());
        let reasoning = m.get("reasoning_content").and_then(Value::as_str).unwrap_or("");
        m["role"] == "assistant" && calls_tools && reasoning.is_empty()
    })
}

/// `mock/deepseek-thinking`'s answer: a tool call with its reasoning while the last message is
/// not a tool result, then text (with reasoning) once it is.
pub(super) fn deepseek_answer(call: &Call, mut answer: Value) -> Value {
    let after_tool = call.messages().last().is_some_and(|m| m["role"] == "tool");
    let message = &mut answer["choices"][0]["message"];
    message["reasoning_content"] = json!(DEEPSEEK_REASONING);
    if !after_tool {
        let name = call.body.pointer("/tools/0/function/name").and_then(Value::as_str).unwrap_or("get_weather");
        message["content"] = json!("");
        message["tool_calls"] = json!([{"index": 0, "id": "call_00_mock", "type": "function",
            "function": {"name": name, "arguments": "{\"city\":\"Paris\"}"}}]);
        answer["choices"][0]["finish_reason"] = json!("tool_calls");
    }
    answer
}

/// The usage details each scenario's server adds to `usage` (prompt and completion tokens set):
/// OpenAI's details objects, DeepSeek's hit and miss counts. Cached tokens are all but the last
/// prompt token; reasoning tokens are 7.
pub(super) fn usage_details(scenario: &str, usage: &mut Value) {
    let prompt = usage["prompt_tokens"].as_u64().unwrap_or(0);
    let cached = prompt.saturating_sub(1);
    match scenario {
        OPENAI_REASONING => {
            usage["prompt_tokens_details"] = json!({"cached_tokens": cached, "audio_tokens": 0});
            usage["completion_tokens_details"] = json!({"reasoning_tokens": 7, "audio_tokens": 0,
                "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0});
        }
        DEEPSEEK_THINKING => {
            usage["prompt_tokens_details"] = json!({"cached_tokens": cached});
            usage["prompt_cache_hit_tokens"] = json!(cached);
            usage["prompt_cache_miss_tokens"] = json!(prompt - cached);
            usage["completion_tokens_details"] = json!({"reasoning_tokens": 7});
        }
        _ => {}
    }
}
