//! devsper's types to the contract's and back.

use devsper_core::{LlmMessage, LlmRequest, LlmResponse, LlmRole, StopReason};
use litellm_host::{Message, Request, Response, Role, ToolCall, ToolDef, Usage};
use serde_json::Value;

/// devsper's request as the contract's. Every field of devsper's request has a place in the
/// contract; the contract's other options stay unset.
pub fn to_contract(req: LlmRequest) -> Request {
    Request {
        model: req.model,
        messages: req.messages.into_iter().map(message).collect(),
        tools: req.tools.into_iter().map(tool_def).collect(),
        max_tokens: req.max_tokens,
        temperature: req.temperature,
        system: req.system,
        ..Request::default()
    }
}

/// One message. devsper's [`LlmMessage`] is a role and a text only: a `Tool` message carries no
/// call id, so the contract sends it as `user` (as the seed did), and an assistant message carries
/// no tool calls.
fn message(m: LlmMessage) -> Message {
    let role = match m.role {
        LlmRole::System => Role::System,
        LlmRole::User => Role::User,
        LlmRole::Assistant => Role::Assistant,
        LlmRole::Tool => Role::Tool,
    };
    Message::text(role, m.content)
}

/// One tool: the JSON Schema as JSON text, an empty description as none. A `null` schema (a tool
/// without arguments) becomes the empty object schema, since the contract requires an object.
fn tool_def(t: devsper_core::ToolDef) -> ToolDef {
    let parameters = match t.parameters {
        Value::Null => serde_json::json!({"type": "object", "properties": {}}),
        schema => schema,
    };
    let description = (!t.description.is_empty()).then_some(t.description);
    ToolDef { description, ..ToolDef::function(t.name, parameters.to_string()) }
}

/// The contract's response as devsper's. No usage counts 0 and 0. devsper's response has no
/// place for reasoning, which is dropped, nor for a refusal: a refusal with no content becomes
/// the content (else the agent would see an empty answer with no reason).
pub fn from_contract(r: Response) -> LlmResponse {
    // devsper counts input and output only: the cached and reasoning counts have no place there.
    let Usage { input_tokens, output_tokens, .. } = r.usage.unwrap_or(Usage::new(0, 0));
    let content = match r.refusal {
        Some(refusal) if r.content.is_empty() => refusal,
        _ => r.content,
    };
    LlmResponse {
        content,
        tool_calls: r.tool_calls.into_iter().map(tool_call).collect(),
        input_tokens,
        output_tokens,
        model: r.model,
        stop_reason: stop_reason(r.stop_reason),
    }
}

/// One tool call, its arguments parsed as JSON; text that is not JSON is kept as a JSON string.
pub(crate) fn tool_call(c: ToolCall) -> devsper_core::ToolCall {
    let arguments = serde_json::from_str(&c.arguments).unwrap_or(Value::String(c.arguments));
    devsper_core::ToolCall { id: c.id, name: c.name, arguments }
}

/// The contract's stop reason as devsper's. devsper has no content-filter case: `content-filter`
/// becomes [`StopReason::EndTurn`] (the answer is over, and asking again with more tokens, as
/// `MaxTokens` would suggest, will not help), which is also what the seed returns for
/// `content_filter`.
pub fn stop_reason(reason: litellm_host::StopReason) -> StopReason {
    match reason {
        litellm_host::StopReason::EndTurn | litellm_host::StopReason::ContentFilter => StopReason::EndTurn,
        litellm_host::StopReason::ToolUse => StopReason::ToolUse,
        litellm_host::StopReason::MaxTokens => StopReason::MaxTokens,
        litellm_host::StopReason::StopSequence => StopReason::StopSequence,
    }
}
