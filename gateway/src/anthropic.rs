//! Anthropic's Messages API (`POST /v1/messages`), the wire Claude Code speaks, over the
//! contract: a request body into the contract's `request`, the contract's answer or stream events
//! into a `message` or Anthropic's event sequence, and errors in Anthropic's shape
//! (`{"type":"error","error":{"type","message"}}`).
//!
//! Pure conversions, unit-tested natively; nothing here touches WASI.

use crate::openai::{ErrorReply, Invalid};
use litellm_client::{
    ContentPart, ImageUrl, Message, ReasoningEffort, Request, Response, Role, StopReason, StreamEnd, StreamEvent,
    ToolCall, ToolChoice, ToolDef, Usage,
};
use serde_json::{json, Map, Value};

use crate::openai::chat::{array, boolean, extra_body, model, number_f32, number_u32, object, text, unknown_field};
use crate::openai::note;

/// The top-level fields of a Messages body that the gateway maps to the contract.
pub const MESSAGES_FIELDS: &[&str] = &[
    "model",
    "messages",
    "system",
    "max_tokens",
    "stop_sequences",
    "temperature",
    "top_p",
    "tools",
    "tool_choice",
    "thinking",
    "metadata",
    "stream",
    "output_config",
];

/// Fields accepted and left out (named in the access log): sampling and server-side features a
/// chat upstream has no field for, and Anthropic's own beta switches. Claude Code sends
/// `context_management` with its beta header.
pub const IGNORED_FIELDS: &[&str] =
    &["top_k", "service_tier", "container", "mcp_servers", "context_management", "betas", "inference_geo"];

/// A Messages call as the gateway received it.
#[derive(Debug)]
pub struct MessagesCall {
    /// The request for the provider.
    pub request: Request,
    /// Whether the client asked for server-sent events.
    pub stream: bool,
    /// What was accepted but not served, for the access log (names, never values).
    pub left_out: Vec<String>,
}

/// Reads a Messages request body; `passthrough` names the extra fields the operator lets through
/// to the upstream.
pub fn messages_call(body: &[u8], passthrough: &[String]) -> Result<MessagesCall, Invalid> {
    let mut object = object(body)?;
    let mut left_out = Vec::new();
    for field in IGNORED_FIELDS {
        if object.remove(*field).is_some_and(|v| !v.is_null()) {
            left_out.push((*field).to_owned());
        }
    }
    unknown_field(&object, MESSAGES_FIELDS, passthrough)?;
    let model = model(&mut object)?;
    let mut messages = Vec::new();
    if let Some(system) = system(object.remove("system"))? {
        messages.push(Message::text(Role::System, system));
    }
    let turns = array(&mut object, "messages")?.ok_or_else(|| Invalid::param("`messages` is required", "messages"))?;
    for (i, turn) in turns.into_iter().enumerate() {
        turn_messages(turn, &mut messages, &mut left_out)
            .map_err(|e| Invalid::param(format!("messages[{i}]: {e}"), "messages"))?;
    }
    let mut tools = Vec::new();
    for (i, tool) in array(&mut object, "tools")?.unwrap_or_default().into_iter().enumerate() {
        match tool_def(tool, &mut left_out) {
            Ok(Some(tool)) => tools.push(tool),
            Ok(None) => {}
            Err(e) => return Err(Invalid::param(format!("tools[{i}]: {e}"), "tools")),
        }
    }
    let (tool_choice, parallel_tool_calls) = tool_choice(object.remove("tool_choice"))?;
    let reasoning_effort = thinking(object.remove("thinking"), object.remove("output_config"))?;
    let user = match object.remove("metadata") {
        Some(Value::Object(mut metadata)) => text(&mut metadata, "user_id").ok().flatten(),
        _ => None,
    };
    let stop = match array(&mut object, "stop_sequences")? {
        None => vec![],
        Some(items) => items
            .into_iter()
            .map(|s| match s {
                Value::String(s) => Ok(s),
                _ => Err(Invalid::param("`stop_sequences` must hold strings", "stop_sequences")),
            })
            .collect::<Result<_, _>>()?,
    };
    let stream = boolean(&object, "stream")?.unwrap_or(false);
    let request = Request {
        model,
        messages,
        tools,
        max_tokens: number_u32(&object, "max_tokens")?,
        temperature: number_f32(&object, "temperature")?,
        top_p: number_f32(&object, "top_p")?,
        stop,
        user,
        tool_choice,
        parallel_tool_calls,
        reasoning_effort,
        extra_body: extra_body(&mut object, passthrough),
        ..Request::default()
    };
    Ok(MessagesCall { request, stream, left_out })
}

/// `system`: a string, or text blocks (their `cache_control` accepted).
fn system(value: Option<Value>) -> Result<Option<String>, Invalid> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(system)) => Ok(Some(system)),
        Some(Value::Array(blocks)) => {
            let mut system = String::new();
            for block in blocks {
                match (block.get("type").and_then(Value::as_str), block.get("text").and_then(Value::as_str)) {
                    (Some("text"), Some(text)) => {
                        if !system.is_empty() {
                            system.push('\n');
                        }
                        system.push_str(text);
                    }
                    _ => return Err(Invalid::param("`system` blocks must be text blocks", "system")),
                }
            }
            Ok(Some(system))
        }
        Some(_) => Err(Invalid::param("`system` must be a string or an array of text blocks", "system")),
    }
}

/// An image block's `source` as a URL: base64 data becomes a `data:` URL.
fn image(block: &mut Map<String, Value>) -> Result<ContentPart, String> {
    let Some(Value::Object(mut source)) = block.remove("source") else { return Err("an image needs `source`".into()) };
    let url = match text(&mut source, "type")?.as_deref() {
        Some("base64") => {
            let media = text(&mut source, "media_type")?.ok_or("a base64 image needs `media_type`")?;
            let data = text(&mut source, "data")?.ok_or("a base64 image needs `data`")?;
            format!("data:{media};base64,{data}")
        }
        Some("url") => text(&mut source, "url")?.ok_or("a url image needs `url`")?,
        _ => return Err("an image's source must be base64 or url (file ids need stored files)".into()),
    };
    Ok(ContentPart::Image(ImageUrl { url, detail: None }))
}

/// One turn of `messages`: a user turn's `tool_result` blocks become tool messages (in order,
/// before its other content), an assistant turn's `tool_use` blocks its tool calls and its
/// `thinking` its reasoning.
fn turn_messages(turn: Value, messages: &mut Vec<Message>, left_out: &mut Vec<String>) -> Result<(), String> {
    let Value::Object(mut turn) = turn else { return Err("a message must be an object".into()) };
    let role = match turn.get("role").and_then(Value::as_str) {
        Some("user") => Role::User,
        Some("assistant") => Role::Assistant,
        // Claude Code 2.1 sends its environment as a system turn inside `messages`, with an
        // `output_config` of its own; the top-level one is what sets the effort.
        Some("system") => Role::System,
        Some(other) => return Err(format!("unknown role {other:?}")),
        None => return Err("`role` is required".into()),
    };
    if turn.remove("output_config").is_some() {
        note(left_out, "messages:output_config".into());
    }
    let blocks = match turn.remove("content") {
        Some(Value::String(text)) => {
            messages.push(Message::text(role, text));
            return Ok(());
        }
        Some(Value::Array(blocks)) => blocks,
        _ => return Err("`content` must be a string or an array of blocks".into()),
    };
    let mut message = Message::text(role, "");
    for block in blocks {
        let Value::Object(mut block) = block else { return Err("a content block must be an object".into()) };
        let kind = text(&mut block, "type")?.ok_or("a content block needs a `type`")?;
        match kind.as_str() {
            "text" => {
                let piece = text(&mut block, "text")?.ok_or("a text block needs `text`")?;
                if message.parts.is_empty() {
                    message.content.push_str(&piece);
                } else {
                    message.parts.push(ContentPart::Text(piece));
                }
            }
            "image" if role == Role::User => message.parts.push(image(&mut block)?),
            "tool_use" if role == Role::Assistant => {
                let id = text(&mut block, "id")?.ok_or("a tool_use block needs `id`")?;
                let name = text(&mut block, "name")?.ok_or("a tool_use block needs `name`")?;
                let arguments = block.remove("input").map_or_else(|| "{}".to_owned(), |input| input.to_string());
                message.tool_calls.push(ToolCall { id, name, arguments });
            }
            "tool_result" if role == Role::User => {
                let id = text(&mut block, "tool_use_id")?.ok_or("a tool_result block needs `tool_use_id`")?;
                let mut output = match block.remove("content") {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(output)) => output,
                    Some(Value::Array(parts)) => {
                        if parts.iter().any(|p| p.get("type").and_then(Value::as_str) == Some("image")) {
                            note(left_out, "tool_result:image".into());
                        }
                        parts
                            .iter()
                            .filter_map(|p| p.get("text").and_then(Value::as_str))
                            .collect::<Vec<_>>()
                            .join("\n")
                    }
                    Some(_) => return Err("a tool_result's `content` must be a string or blocks".into()),
                };
                if block.get("is_error").and_then(Value::as_bool) == Some(true) {
                    // The chat wire has no error flag for a tool's result: the model is told in
                    // the text.
                    output.insert_str(0, "Error: ");
                }
                messages.push(Message { tool_call_id: Some(id), ..Message::text(Role::Tool, output) });
            }
            "thinking" if role == Role::Assistant => {
                let thought = text(&mut block, "thinking")?.unwrap_or_default();
                match &mut message.reasoning {
                    Some(reasoning) => reasoning.push_str(&thought),
                    None => message.reasoning = Some(thought),
                }
            }
            // Encrypted reasoning only Anthropic can read: left out.
            "redacted_thinking" if role == Role::Assistant => note(left_out, "redacted_thinking".into()),
            other => return Err(format!("content blocks of type {other:?} are not supported here")),
        }
    }
    let empty = message.content.is_empty() && message.parts.is_empty() && message.tool_calls.is_empty();
    if !empty || message.reasoning.is_some() {
        messages.push(message);
    }
    Ok(())
}

/// A tool: a custom one (with `input_schema`; `cache_control` accepted) or, for Anthropic's
/// server tools (`web_search_…`, `bash_…`, `text_editor_…`), `None`: left out.
fn tool_def(value: Value, left_out: &mut Vec<String>) -> Result<Option<ToolDef>, String> {
    let Value::Object(mut tool) = value else { return Err("a tool must be an object".into()) };
    if let Some(kind) = tool.get("type").and_then(Value::as_str).filter(|k| *k != "custom") {
        note(left_out, format!("tools:{kind}"));
        return Ok(None);
    }
    let name = text(&mut tool, "name")?.ok_or("a tool needs `name`")?;
    let parameters = match tool.remove("input_schema") {
        Some(schema @ Value::Object(_)) => schema.to_string(),
        _ => return Err("a tool needs `input_schema` (an object)".into()),
    };
    Ok(Some(ToolDef { name, description: text(&mut tool, "description")?, parameters, strict: None }))
}

/// `tool_choice` auto/any/tool/none, and `disable_parallel_tool_use`.
fn tool_choice(value: Option<Value>) -> Result<(Option<ToolChoice>, Option<bool>), Invalid> {
    let invalid = || Invalid::param("`tool_choice.type` must be auto, any, tool (with `name`) or none", "tool_choice");
    let mut choice = match value {
        None | Some(Value::Null) => return Ok((None, None)),
        Some(Value::Object(choice)) => choice,
        Some(_) => return Err(invalid()),
    };
    let parallel = choice.get("disable_parallel_tool_use").and_then(Value::as_bool).map(|disable| !disable);
    let choice = match choice.get("type").and_then(Value::as_str) {
        Some("auto") => ToolChoice::Auto,
        Some("any") => ToolChoice::Required,
        Some("none") => ToolChoice::None,
        Some("tool") => match choice.remove("name") {
            Some(Value::String(name)) => ToolChoice::Named(name),
            _ => return Err(invalid()),
        },
        _ => return Err(invalid()),
    };
    Ok((Some(choice), parallel))
}

/// `thinking` into a reasoning effort: a budget of up to 4,096 tokens is low, up to 16,384
/// medium, more high; `adaptive` is `output_config.effort` when given, else medium; `disabled`
/// asks for none.
fn thinking(value: Option<Value>, output_config: Option<Value>) -> Result<Option<ReasoningEffort>, Invalid> {
    let invalid = |message: &str| Invalid::param(message, "thinking");
    let configured = match output_config.as_ref().and_then(|c| c.get("effort")).and_then(Value::as_str) {
        None => None,
        Some(name) => Some(ReasoningEffort::from_name(name).ok_or_else(|| {
            Invalid::param("`output_config.effort` must be low, medium, high, xhigh or max", "output_config")
        })?),
    };
    let Some(Value::Object(thinking)) = value else { return Ok(configured) };
    match thinking.get("type").and_then(Value::as_str) {
        Some("enabled") => {
            let budget = thinking
                .get("budget_tokens")
                .and_then(Value::as_u64)
                .ok_or_else(|| invalid("`thinking.budget_tokens` is required with type enabled"))?;
            Ok(Some(match budget {
                0..=4096 => ReasoningEffort::Low,
                4097..=16384 => ReasoningEffort::Medium,
                _ => ReasoningEffort::High,
            }))
        }
        Some("adaptive") => Ok(Some(configured.unwrap_or(ReasoningEffort::Medium))),
        Some("disabled") => Ok(configured),
        _ => Err(invalid("`thinking.type` must be enabled, adaptive or disabled")),
    }
}

/// Anthropic's `stop_reason`.
pub fn stop_reason(reason: StopReason) -> &'static str {
    match reason {
        StopReason::EndTurn => "end_turn",
        StopReason::ToolUse => "tool_use",
        StopReason::MaxTokens => "max_tokens",
        StopReason::StopSequence => "stop_sequence",
        StopReason::ContentFilter => "refusal",
    }
}

/// Anthropic's `usage`: `input_tokens` counts what was neither read from nor written to the
/// cache (the chat wire's prompt count includes both).
pub fn usage_json(usage: &Usage) -> Value {
    let cached = usage.cached_input_tokens.unwrap_or(0);
    let written = usage.cache_write_input_tokens.unwrap_or(0);
    json!({
        "input_tokens": usage.input_tokens.saturating_sub(cached).saturating_sub(written),
        "cache_creation_input_tokens": written,
        "cache_read_input_tokens": cached,
        "output_tokens": usage.output_tokens,
    })
}

/// A tool call's arguments as a `tool_use` block's `input`: the JSON object the model wrote, or,
/// when it wrote something else, `{}` with nothing lost for the log: the caller's tool then
/// reports the missing arguments, as it would for a model's mistake.
fn tool_input(arguments: &str) -> Value {
    match serde_json::from_str::<Value>(arguments) {
        Ok(input @ Value::Object(_)) => input,
        _ => json!({}),
    }
}

/// A non-streamed answer as Anthropic's `message`.
pub fn message(answer: &Response, id: &str) -> Value {
    let mut content = Vec::new();
    if let Some(reasoning) = answer.reasoning.as_deref().filter(|r| !r.is_empty()) {
        content.push(json!({"type": "thinking", "thinking": reasoning, "signature": ""}));
    }
    let text = match (&answer.refusal, answer.content.is_empty()) {
        (Some(refusal), true) => refusal.as_str(),
        _ => answer.content.as_str(),
    };
    if !text.is_empty() || answer.tool_calls.is_empty() {
        content.push(json!({"type": "text", "text": text}));
    }
    for call in &answer.tool_calls {
        content
            .push(json!({"type": "tool_use", "id": call.id, "name": call.name, "input": tool_input(&call.arguments)}));
    }
    json!({
        "id": id,
        "type": "message",
        "role": "assistant",
        "model": answer.model,
        "content": content,
        "stop_reason": stop_reason(answer.stop_reason),
        "stop_sequence": null,
        "usage": answer.usage.as_ref().map_or_else(|| usage_json(&Usage::new(0, 0)), usage_json),
    })
}

/// The block being streamed.
#[derive(Debug, PartialEq)]
enum Block {
    None,
    Text,
    Thinking,
}

/// Turns a stream's events into Anthropic's event sequence, one message's worth; each event's
/// `type` is its name. Nothing of the answer is kept but the index of the next block.
#[derive(Debug)]
pub struct MessageEvents {
    id: String,
    model: String,
    index: u32,
    open: Block,
}

impl MessageEvents {
    /// Events for one message; `model` is the one the client asked for.
    pub fn new(id: &str, model: &str) -> Self {
        MessageEvents { id: id.to_owned(), model: model.to_owned(), index: 0, open: Block::None }
    }

    /// The whole (non-streamed) answer as this message.
    pub fn message(&self, answer: &Response) -> Value {
        message(answer, &self.id)
    }

    /// `message_start` (no usage yet: the upstream counts at the end) and a `ping`.
    pub fn start(&self) -> Vec<Value> {
        let message = json!({"id": self.id, "type": "message", "role": "assistant", "model": self.model,
                             "content": [], "stop_reason": null, "stop_sequence": null,
                             "usage": {"input_tokens": 0, "output_tokens": 0}});
        vec![json!({"type": "message_start", "message": message}), json!({"type": "ping"})]
    }

    fn close(&mut self, events: &mut Vec<Value>) {
        if self.open != Block::None {
            events.push(json!({"type": "content_block_stop", "index": self.index}));
            self.index += 1;
            self.open = Block::None;
        }
    }

    fn open(&mut self, block: Block, start: Value, events: &mut Vec<Value>) {
        self.close(events);
        events.push(json!({"type": "content_block_start", "index": self.index, "content_block": start}));
        self.open = block;
    }

    fn delta(&self, delta: Value) -> Value {
        json!({"type": "content_block_delta", "index": self.index, "delta": delta})
    }

    /// The events of one stream event.
    pub fn event(&mut self, event: &StreamEvent) -> Vec<Value> {
        let mut events = Vec::new();
        match event {
            StreamEvent::Text(text) | StreamEvent::Refusal(text) => {
                if self.open != Block::Text {
                    self.open(Block::Text, json!({"type": "text", "text": ""}), &mut events);
                }
                events.push(self.delta(json!({"type": "text_delta", "text": text})));
            }
            StreamEvent::Reasoning(thought) => {
                if self.open != Block::Thinking {
                    self.open(
                        Block::Thinking,
                        json!({"type": "thinking", "thinking": "", "signature": ""}),
                        &mut events,
                    );
                }
                events.push(self.delta(json!({"type": "thinking_delta", "thinking": thought})));
            }
            StreamEvent::ToolCall(call) => {
                let start = json!({"type": "tool_use", "id": call.id, "name": call.name, "input": {}});
                self.open(Block::None, start, &mut events);
                // `open` left no block marked open: close this one by hand after its delta.
                let input = tool_input(&call.arguments).to_string();
                events.push(self.delta(json!({"type": "input_json_delta", "partial_json": input})));
                events.push(json!({"type": "content_block_stop", "index": self.index}));
                self.index += 1;
            }
            StreamEvent::Finish(end) => return self.finish(end),
        }
        events
    }

    fn finish(&mut self, end: &StreamEnd) -> Vec<Value> {
        let mut events = Vec::new();
        self.close(&mut events);
        let usage = end.usage.as_ref().map_or_else(|| usage_json(&Usage::new(0, 0)), usage_json);
        let delta = json!({"type": "message_delta",
                           "delta": {"stop_reason": stop_reason(end.stop_reason), "stop_sequence": null},
                           "usage": usage});
        events.push(delta);
        events.push(json!({"type": "message_stop"}));
        events
    }
}

/// Anthropic's error `type` for an HTTP status.
pub fn error_type(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        504 => "timeout_error",
        529 | 503 => "overloaded_error",
        400..=499 => "invalid_request_error",
        _ => "api_error",
    }
}

/// An error reply (the gateway's or the upstream's, in OpenAI's shape) in Anthropic's shape,
/// same status, same message.
pub fn error_body(error: &ErrorReply) -> Value {
    let message = error.body["error"]["message"].as_str().unwrap_or("error");
    json!({"type": "error", "error": {"type": error_type(error.status), "message": message}})
}

/// `POST /v1/messages/count_tokens`: an estimate, not the model's tokenizer (the gateway has
/// none): a quarter of the UTF-8 bytes of every text the request would send (system, message
/// texts, tool names, descriptions and schemas), rounded up, plus 4 per message. English text
/// averages about four bytes per token on the common tokenizers; the estimate errs high for code.
pub fn count_tokens(body: &[u8]) -> Result<Value, Invalid> {
    let call = messages_call(body, &[])?;
    let request = &call.request;
    let mut bytes = 0usize;
    for message in &request.messages {
        bytes += message.content.len() + message.reasoning.as_ref().map_or(0, String::len);
        for part in &message.parts {
            if let ContentPart::Text(text) = part {
                bytes += text.len();
            }
        }
        for call in &message.tool_calls {
            bytes += call.name.len() + call.arguments.len();
        }
    }
    for tool in &request.tools {
        bytes += tool.name.len() + tool.description.as_ref().map_or(0, String::len) + tool.parameters.len();
    }
    let tokens = bytes.div_ceil(4) + 4 * request.messages.len();
    Ok(json!({"input_tokens": tokens}))
}

#[cfg(test)]
#[path = "anthropic_tests.rs"]
mod tests;
