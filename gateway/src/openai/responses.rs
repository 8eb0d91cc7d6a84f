//! OpenAI's Responses API (`POST /v1/responses`), the wire Codex CLI speaks, over the contract:
//! a request body into the contract's `request` (so any upstream the provider reaches serves it,
//! chat-completions-only ones included), and the contract's answer or stream events into a
//! `response` object or the Responses event sequence.
//!
//! The gateway is stateless: it stores no response, so `previous_response_id` is refused (a 400
//! that says so) and `store` is accepted but nothing is kept. Fields a stateless gateway cannot
//! honour but that an agent sends on every call ([`IGNORED_FIELDS`], tools of other types than
//! `function`, `reasoning.summary`, `text.verbosity`) do not stop the call: they are left out
//! and named in [`ResponsesCall::left_out`], which the access log shows.

use super::chat::{
    array, boolean, effort, extra_body, model, number_f32, number_u32, object, string, text, tool_choice_mode,
    unknown_field,
};
use super::note;
use super::{Invalid, EMPTY_SCHEMA};
use litellm_client::{
    ContentPart, ImageUrl, JsonSchema, Message, ReasoningEffort, Request, Response, ResponseFormat, Role, StopReason,
    StreamEnd, StreamEvent, ToolCall, ToolChoice, ToolDef, Usage,
};
use serde_json::{json, Map, Value};

/// The top-level fields of a Responses body that the gateway maps to the contract.
pub const RESPONSES_FIELDS: &[&str] = &[
    "model",
    "input",
    "instructions",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "max_output_tokens",
    "temperature",
    "top_p",
    "user",
    "safety_identifier",
    "reasoning",
    "text",
    "store",
    "stream",
    "previous_response_id",
];

/// Fields accepted and left out: they ask for state, server-side features or bookkeeping that a
/// stateless gateway over a chat upstream cannot give. Codex CLI sends `include`,
/// `prompt_cache_key` and `client_metadata` on every call; the access log names what was left out.
pub const IGNORED_FIELDS: &[&str] = &[
    "include",
    "prompt_cache_key",
    "prompt_cache_retention",
    "client_metadata",
    "metadata",
    "service_tier",
    "truncation",
    "background",
    "top_logprobs",
    "stream_options",
    "max_tool_calls",
    "conversation",
    "prompt",
    "context_management",
];

/// A Responses call as the gateway received it.
#[derive(Debug)]
pub struct ResponsesCall {
    /// The request for the provider.
    pub request: Request,
    /// Whether the client asked for server-sent events.
    pub stream: bool,
    /// What of the request was accepted but not served, for the access log (field names and
    /// tool types, never values).
    pub left_out: Vec<String>,
    /// The parts of the request a `response` object repeats (`instructions`, `tools`,
    /// `tool_choice`, `text`, …), as the client sent them.
    pub echo: Map<String, Value>,
}

/// Reads a Responses request body; `passthrough` names the extra fields the operator lets
/// through to the upstream.
pub fn responses_call(body: &[u8], passthrough: &[String]) -> Result<ResponsesCall, Invalid> {
    let mut object = object(body)?;
    let mut left_out = Vec::new();
    for field in IGNORED_FIELDS {
        if object.remove(*field).is_some_and(|v| !v.is_null()) {
            left_out.push((*field).to_owned());
        }
    }
    unknown_field(&object, RESPONSES_FIELDS, passthrough)?;
    let model = model(&mut object)?;
    if object.get("previous_response_id").is_some_and(|v| !v.is_null()) {
        let message = "`previous_response_id` is not supported: this gateway stores no responses; send the whole \
                       conversation in `input` (with `store: false`, as Codex CLI does)";
        return Err(Invalid::param(message, "previous_response_id"));
    }
    if object.get("store").is_some_and(|v| v.as_bool() == Some(true)) {
        left_out.push("store".to_owned());
    }
    let mut echo = Map::new();
    for field in ["instructions", "tool_choice", "parallel_tool_calls", "max_output_tokens", "temperature", "top_p"] {
        if let Some(value) = object.get(field) {
            echo.insert(field.to_owned(), value.clone());
        }
    }
    let mut messages = Vec::new();
    if let Some(instructions) = string(&mut object, "instructions")? {
        messages.push(Message::text(Role::System, instructions));
    }
    match object.remove("input") {
        None | Some(Value::Null) => return Err(Invalid::param("`input` is required", "input")),
        Some(Value::String(prompt)) => messages.push(Message::text(Role::User, prompt)),
        Some(Value::Array(items)) => {
            let mut pending_reasoning = None;
            for (i, item) in items.into_iter().enumerate() {
                input_item(item, &mut messages, &mut pending_reasoning, &mut left_out)
                    .map_err(|e| Invalid::param(format!("input[{i}]: {e}"), "input"))?;
            }
        }
        Some(_) => return Err(Invalid::param("`input` must be a string or an array of items", "input")),
    }
    let mut tools = Vec::new();
    let mut tool_echo = Vec::new();
    for (i, tool) in array(&mut object, "tools")?.unwrap_or_default().into_iter().enumerate() {
        match tool.get("type").and_then(Value::as_str) {
            Some("function") => {
                tool_echo.push(tool.clone());
                tools.push(tool_def(tool).map_err(|e| Invalid::param(format!("tools[{i}]: {e}"), "tools"))?);
            }
            // Tools the upstream cannot run (web_search, file_search, namespace, custom,
            // local_shell, mcp, …): the model is not offered them.
            Some(other) => note(&mut left_out, format!("tools:{other}")),
            None => return Err(Invalid::param(format!("tools[{i}]: a tool needs a `type`"), "tools")),
        }
    }
    echo.insert("tools".into(), Value::Array(tool_echo));
    let reasoning_effort = reasoning(object.remove("reasoning"), &mut left_out)?;
    let response_format = text_format(object.remove("text"), &mut echo, &mut left_out)?;
    let stream = boolean(&object, "stream")?.unwrap_or(false);
    let user = match string(&mut object, "user")? {
        Some(user) => Some(user),
        None => string(&mut object, "safety_identifier")?,
    };
    let request = Request {
        model,
        messages,
        tools,
        max_tokens: number_u32(&object, "max_output_tokens")?,
        temperature: number_f32(&object, "temperature")?,
        top_p: number_f32(&object, "top_p")?,
        user,
        response_format,
        tool_choice: tool_choice(object.remove("tool_choice"))?,
        parallel_tool_calls: boolean(&object, "parallel_tool_calls")?,
        reasoning_effort,
        extra_body: extra_body(&mut object, passthrough),
        ..Request::default()
    };
    Ok(ResponsesCall { request, stream, left_out, echo })
}

/// One item of `input`, appended to `messages`. A `reasoning` item waits in `pending` for the
/// assistant turn that follows it (its message or its function calls).
fn input_item(
    item: Value,
    messages: &mut Vec<Message>,
    pending: &mut Option<String>,
    left_out: &mut Vec<String>,
) -> Result<(), String> {
    let Value::Object(mut item) = item else { return Err("an item must be an object".into()) };
    // A message may come without `type` (the "easy input message" form).
    let kind = text(&mut item, "type")?.unwrap_or_else(|| "message".to_owned());
    match kind.as_str() {
        "message" => {
            let role = match item.get("role").and_then(Value::as_str) {
                Some("system" | "developer") => Role::System,
                Some("user") => Role::User,
                Some("assistant") => Role::Assistant,
                Some(other) => return Err(format!("unknown role {other:?}")),
                None => return Err("a message needs a `role`".into()),
            };
            let (content, parts) = message_content(item.remove("content"), role == Role::User)?;
            let mut message = Message { role, content, parts, ..Message::text(role, "") };
            if role == Role::Assistant {
                message.reasoning = pending.take();
                // An assistant turn's text after its function calls (or before them, in
                // another item) is one message upstream.
                if let Some(last) = messages.last_mut().filter(|m| m.role == Role::Assistant && m.content.is_empty()) {
                    last.content = message.content;
                    if last.reasoning.is_none() {
                        last.reasoning = message.reasoning;
                    }
                    return Ok(());
                }
            }
            messages.push(message);
        }
        "function_call" => {
            let call_id = text(&mut item, "call_id")?.ok_or("a function_call needs `call_id`")?;
            let name = text(&mut item, "name")?.ok_or("a function_call needs `name`")?;
            let arguments = match item.remove("arguments") {
                Some(Value::String(arguments)) => arguments,
                None | Some(Value::Null) => "{}".to_owned(),
                Some(other) => other.to_string(),
            };
            let call = ToolCall { id: call_id, name, arguments };
            // Parallel calls are consecutive items: one assistant message upstream.
            match messages.last_mut().filter(|m| m.role == Role::Assistant) {
                Some(last) => {
                    last.tool_calls.push(call);
                    if last.reasoning.is_none() {
                        last.reasoning = pending.take();
                    }
                }
                None => messages.push(Message {
                    tool_calls: vec![call],
                    reasoning: pending.take(),
                    ..Message::text(Role::Assistant, "")
                }),
            }
        }
        "function_call_output" => {
            let call_id = text(&mut item, "call_id")?.ok_or("a function_call_output needs `call_id`")?;
            let output = match item.remove("output") {
                Some(Value::String(output)) => output,
                // The list form: its text parts, in order.
                Some(Value::Array(parts)) => {
                    parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join("")
                }
                _ => return Err("a function_call_output needs `output` (a string or parts)".into()),
            };
            messages.push(Message { tool_call_id: Some(call_id), ..Message::text(Role::Tool, output) });
        }
        "reasoning" => {
            // Handed back as the next assistant turn's reasoning (DeepSeek's and Kimi's thinking
            // modes need it); the visible text is the summary, or the raw content when sent.
            let pieces = |key: &str| -> String {
                item.get(key)
                    .and_then(Value::as_array)
                    .map(|parts| parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect())
                    .unwrap_or_default()
            };
            let content = pieces("content");
            let reasoning = if content.is_empty() { pieces("summary") } else { content };
            if item.get("encrypted_content").is_some_and(|v| !v.is_null()) {
                note(left_out, "input:reasoning.encrypted_content".into());
            }
            if !reasoning.is_empty() {
                *pending = Some(reasoning);
            }
        }
        // Items only OpenAI's own servers can resolve or run (item_reference, web_search_call,
        // local_shell_call, custom_tool_call, …): left out, named in the log.
        other => note(left_out, format!("input:{other}")),
    }
    Ok(())
}

/// A message item's `content`: a string or parts (`input_text`, `output_text`, `input_image`,
/// `refusal`). A user message keeps its images as parts; other roles get their text.
fn message_content(value: Option<Value>, keep_parts: bool) -> Result<(String, Vec<ContentPart>), String> {
    let items = match value {
        None | Some(Value::Null) => return Ok((String::new(), vec![])),
        Some(Value::String(text)) => return Ok((text, vec![])),
        Some(Value::Array(items)) => items,
        Some(_) => return Err("`content` must be a string or an array of parts".into()),
    };
    let (mut content, mut parts) = (String::new(), Vec::new());
    for part in items {
        let Value::Object(mut part) = part else { return Err("a content part must be an object".into()) };
        let kind = text(&mut part, "type")?.ok_or("a content part needs a `type`")?;
        match kind.as_str() {
            "input_text" | "output_text" | "text" => {
                let piece = text(&mut part, "text")?.ok_or(format!("an {kind} part needs `text`"))?;
                if parts.is_empty() {
                    content.push_str(&piece);
                } else {
                    parts.push(ContentPart::Text(piece));
                }
            }
            "refusal" => content.push_str(&text(&mut part, "refusal")?.unwrap_or_default()),
            "input_image" if keep_parts => {
                let detail = text(&mut part, "detail")?;
                let url = match text(&mut part, "image_url")? {
                    Some(url) => url,
                    None => return Err("an input_image part needs `image_url` (file ids need stored files)".into()),
                };
                parts.push(ContentPart::Image(ImageUrl { url, detail }));
            }
            other => return Err(format!("content parts of type {other:?} are not supported here")),
        }
    }
    Ok((content, parts))
}

/// A `function` tool: Responses puts `name` and `parameters` at the top, not under `function`.
fn tool_def(value: Value) -> Result<ToolDef, String> {
    let Value::Object(mut tool) = value else { return Err("a tool must be an object".into()) };
    let name = text(&mut tool, "name")?.ok_or("a function tool needs `name`")?;
    let parameters = match tool.remove("parameters") {
        None | Some(Value::Null) => EMPTY_SCHEMA.to_owned(),
        Some(schema) => schema.to_string(),
    };
    let strict = match tool.remove("strict") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(strict)) => Some(strict),
        Some(_) => return Err("`strict` must be true or false".into()),
    };
    Ok(ToolDef { name, description: text(&mut tool, "description")?, parameters, strict })
}

fn tool_choice(value: Option<Value>) -> Result<Option<ToolChoice>, Invalid> {
    let invalid = |message: String| Invalid::param(message, "tool_choice");
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(mode)) => tool_choice_mode(&mode).map(Some),
        Some(Value::Object(mut choice)) => match (choice.remove("type"), choice.remove("name")) {
            (Some(Value::String(kind)), Some(Value::String(name))) if kind == "function" => {
                Ok(Some(ToolChoice::Named(name)))
            }
            _ => {
                Err(invalid("`tool_choice` must be auto, none, required or {\"type\":\"function\",\"name\":…}".into()))
            }
        },
        Some(_) => Err(invalid("`tool_choice` must be a string or an object".into())),
    }
}

/// `reasoning.effort`; `reasoning.summary` is left out (the upstream's reasoning, when it sends
/// any, is relayed whole as the summary).
fn reasoning(value: Option<Value>, left_out: &mut Vec<String>) -> Result<Option<ReasoningEffort>, Invalid> {
    let mut reasoning = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(reasoning)) => reasoning,
        Some(_) => return Err(Invalid::param("`reasoning` must be an object", "reasoning")),
    };
    if reasoning.remove("summary").is_some_and(|v| !v.is_null()) {
        left_out.push("reasoning.summary".into());
    }
    match string(&mut reasoning, "effort")
        .map_err(|_| Invalid::param("`reasoning.effort` must be a string", "reasoning"))?
    {
        None => Ok(None),
        Some(name) => effort(&name, "reasoning.effort", "reasoning").map(Some),
    }
}

/// `text.format` (text, json_object, or json_schema with its fields at the top) into the
/// contract's response format; `text.verbosity` is left out.
fn text_format(
    value: Option<Value>,
    echo: &mut Map<String, Value>,
    left_out: &mut Vec<String>,
) -> Result<Option<ResponseFormat>, Invalid> {
    let invalid = |message: &str| Invalid::param(message, "text");
    let mut text_field = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(text)) => text,
        Some(_) => return Err(invalid("`text` must be an object")),
    };
    echo.insert("text".into(), Value::Object(text_field.clone()));
    if text_field.remove("verbosity").is_some_and(|v| !v.is_null()) {
        left_out.push("text.verbosity".into());
    }
    let mut format = match text_field.remove("format") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(format)) => format,
        Some(_) => return Err(invalid("`text.format` must be an object")),
    };
    match format.get("type").and_then(Value::as_str) {
        Some("text") => Ok(Some(ResponseFormat::Text)),
        Some("json_object") => Ok(Some(ResponseFormat::JsonObject)),
        Some("json_schema") => {
            let name =
                text(&mut format, "name").ok().flatten().ok_or_else(|| invalid("`text.format.name` is required"))?;
            let schema = format.remove("schema").map_or_else(|| EMPTY_SCHEMA.to_owned(), |s| s.to_string());
            Ok(Some(ResponseFormat::JsonSchema(JsonSchema {
                name,
                schema,
                strict: format.get("strict").and_then(Value::as_bool),
            })))
        }
        _ => Err(invalid("`text.format.type` must be text, json_object or json_schema")),
    }
}

/// Responses' `usage`, with the details OpenAI always sends (zero when the upstream gave none).
pub fn responses_usage(usage: &Usage) -> Value {
    let (input, output) = (usage.input_tokens, usage.output_tokens);
    json!({
        "input_tokens": input,
        "input_tokens_details": {"cached_tokens": usage.cached_input_tokens.unwrap_or(0)},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens.unwrap_or(0)},
        "total_tokens": u64::from(input) + u64::from(output),
    })
}

/// Ids of one response and of its output items: `resp_`, `msg_`, `rs_`, `fc_` and a shared
/// random stem, with the item's index.
#[derive(Debug, Clone)]
pub struct ResponseIds {
    stem: String,
}

impl ResponseIds {
    /// Ids made from `stem` (hex digits from WASI random).
    pub fn new(stem: &str) -> Self {
        ResponseIds { stem: stem.to_owned() }
    }

    /// The response's id.
    pub fn response(&self) -> String {
        format!("resp_{}", self.stem)
    }

    fn item(&self, prefix: &str, index: usize) -> String {
        format!("{prefix}_{}{index:02}", self.stem)
    }
}

fn message_item(id: String, text: &str, refusal: Option<&str>, status: &str) -> Value {
    let mut content = Vec::new();
    if !text.is_empty() || refusal.is_none() {
        content.push(json!({"type": "output_text", "text": text, "annotations": [], "logprobs": []}));
    }
    if let Some(refusal) = refusal {
        content.push(json!({"type": "refusal", "refusal": refusal}));
    }
    json!({"id": id, "type": "message", "status": status, "role": "assistant", "content": content})
}

fn reasoning_item(id: String, text: &str) -> Value {
    json!({"id": id, "type": "reasoning", "summary": [{"type": "summary_text", "text": text}]})
}

fn function_call_item(id: String, call: &ToolCall, status: &str) -> Value {
    json!({"id": id, "type": "function_call", "status": status, "call_id": call.id, "name": call.name, "arguments": call.arguments})
}

/// `status` and `incomplete_details` for how the answer ended.
fn ending(reason: StopReason) -> (&'static str, Value) {
    match reason {
        StopReason::MaxTokens => ("incomplete", json!({"reason": "max_output_tokens"})),
        StopReason::ContentFilter => ("incomplete", json!({"reason": "content_filter"})),
        _ => ("completed", Value::Null),
    }
}

/// The `response` object around `output`.
fn response_object(
    ids: &ResponseIds,
    created: u64,
    model: &str,
    echo: &Map<String, Value>,
    status: &str,
    output: Vec<Value>,
) -> Value {
    let mut value = json!({
        "id": ids.response(),
        "object": "response",
        "created_at": created,
        "status": status,
        "background": false,
        "error": null,
        "incomplete_details": null,
        "instructions": null,
        "max_output_tokens": null,
        "model": model,
        "output": output,
        "parallel_tool_calls": true,
        "previous_response_id": null,
        "reasoning": {"effort": null, "summary": null},
        "store": false,
        "temperature": null,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": null,
        "truncation": "disabled",
        "usage": null,
        "metadata": {},
    });
    for (key, field) in echo {
        value[key.as_str()] = field.clone();
    }
    value
}

/// A non-streamed answer as a Responses `response`: a reasoning item when the upstream reasoned,
/// the message when it said anything, one `function_call` item per tool call.
pub fn response(answer: &Response, ids: &ResponseIds, created: u64, echo: &Map<String, Value>) -> Value {
    let mut output = Vec::new();
    if let Some(reasoning) = answer.reasoning.as_deref().filter(|r| !r.is_empty()) {
        output.push(reasoning_item(ids.item("rs", output.len()), reasoning));
    }
    if !answer.content.is_empty() || answer.refusal.is_some() || answer.tool_calls.is_empty() {
        output.push(message_item(
            ids.item("msg", output.len()),
            &answer.content,
            answer.refusal.as_deref(),
            "completed",
        ));
    }
    for call in &answer.tool_calls {
        output.push(function_call_item(ids.item("fc", output.len()), call, "completed"));
    }
    let (status, incomplete) = ending(answer.stop_reason);
    let mut value = response_object(ids, created, &answer.model, echo, status, output);
    value["incomplete_details"] = incomplete;
    value["usage"] = answer.usage.as_ref().map_or(Value::Null, responses_usage);
    value
}

/// The output item being streamed.
#[derive(Debug)]
enum Open {
    None,
    Reasoning { text: String },
    Message { text: String },
}

/// Turns a stream's events into the Responses event sequence, one response's worth. Every
/// event carries its `type` and a `sequence_number` counted from 0; the finished items are kept
/// for `response.completed`, which repeats them as OpenAI's does (so the memory held is the
/// answer's size, which the provider's response cap bounds).
#[derive(Debug)]
pub struct ResponseEvents {
    ids: ResponseIds,
    created: u64,
    model: String,
    echo: Map<String, Value>,
    sequence: u64,
    open: Open,
    output: Vec<Value>,
}

impl ResponseEvents {
    /// Events for one response: `model` is the one the client asked for, until the finish
    /// event names the one that answered.
    pub fn new(ids: ResponseIds, created: u64, model: &str, echo: Map<String, Value>) -> Self {
        ResponseEvents { ids, created, model: model.to_owned(), echo, sequence: 0, open: Open::None, output: vec![] }
    }

    fn event(&mut self, kind: &str, mut fields: Value) -> Value {
        fields["type"] = json!(kind);
        fields["sequence_number"] = json!(self.sequence);
        self.sequence += 1;
        fields
    }

    fn snapshot(&self, status: &str) -> Value {
        response_object(&self.ids, self.created, &self.model, &self.echo, status, self.output.clone())
    }

    /// The whole (non-streamed) answer as this response's `response` object.
    pub fn response(&self, answer: &Response) -> Value {
        response(answer, &self.ids, self.created, &self.echo)
    }

    /// `response.created` and `response.in_progress`.
    pub fn start(&mut self) -> Vec<Value> {
        let response = self.snapshot("in_progress");
        vec![
            self.event("response.created", json!({"response": response})),
            self.event("response.in_progress", json!({"response": response})),
        ]
    }

    fn index(&self) -> usize {
        self.output.len()
    }

    /// Closes the item being streamed, with its `…done` events.
    fn close(&mut self, events: &mut Vec<Value>) {
        let index = self.index();
        match std::mem::replace(&mut self.open, Open::None) {
            Open::None => {}
            Open::Reasoning { text } => {
                let id = self.ids.item("rs", index);
                let part = json!({"type": "summary_text", "text": text});
                let at = json!({"item_id": id, "output_index": index, "summary_index": 0});
                let mut done = at.clone();
                done["text"] = json!(text);
                events.push(self.event("response.reasoning_summary_text.done", done));
                let mut part_done = at;
                part_done["part"] = part;
                events.push(self.event("response.reasoning_summary_part.done", part_done));
                let item = reasoning_item(id, &text);
                events.push(self.event("response.output_item.done", json!({"output_index": index, "item": item})));
                self.output.push(item);
            }
            Open::Message { text } => {
                let id = self.ids.item("msg", index);
                let part = json!({"type": "output_text", "text": text, "annotations": [], "logprobs": []});
                let at = json!({"item_id": id, "output_index": index, "content_index": 0});
                let mut done = at.clone();
                done["text"] = json!(text);
                done["logprobs"] = json!([]);
                events.push(self.event("response.output_text.done", done));
                let mut part_done = at;
                part_done["part"] = part;
                events.push(self.event("response.content_part.done", part_done));
                let item = message_item(id, &text, None, "completed");
                events.push(self.event("response.output_item.done", json!({"output_index": index, "item": item})));
                self.output.push(item);
            }
        }
    }

    /// The events of one stream event.
    pub fn event_of(&mut self, event: &StreamEvent) -> Vec<Value> {
        let mut events = Vec::new();
        match event {
            StreamEvent::Reasoning(delta) => {
                if !matches!(self.open, Open::Reasoning { .. }) {
                    self.close(&mut events);
                    let index = self.index();
                    let id = self.ids.item("rs", index);
                    let item = json!({"id": id, "type": "reasoning", "summary": []});
                    events.push(self.event("response.output_item.added", json!({"output_index": index, "item": item})));
                    let part = json!({"item_id": id, "output_index": index, "summary_index": 0,
                                      "part": {"type": "summary_text", "text": ""}});
                    events.push(self.event("response.reasoning_summary_part.added", part));
                    self.open = Open::Reasoning { text: String::new() };
                }
                let index = self.index();
                if let Open::Reasoning { text } = &mut self.open {
                    text.push_str(delta);
                }
                let id = self.ids.item("rs", index);
                let fields = json!({"item_id": id, "output_index": index, "summary_index": 0, "delta": delta});
                events.push(self.event("response.reasoning_summary_text.delta", fields));
            }
            StreamEvent::Text(delta) => {
                if !matches!(self.open, Open::Message { .. }) {
                    self.close(&mut events);
                    let index = self.index();
                    let id = self.ids.item("msg", index);
                    let item = json!({"id": id, "type": "message", "status": "in_progress", "role": "assistant", "content": []});
                    events.push(self.event("response.output_item.added", json!({"output_index": index, "item": item})));
                    let part = json!({"item_id": id, "output_index": index, "content_index": 0,
                                      "part": {"type": "output_text", "text": "", "annotations": [], "logprobs": []}});
                    events.push(self.event("response.content_part.added", part));
                    self.open = Open::Message { text: String::new() };
                }
                let index = self.index();
                if let Open::Message { text } = &mut self.open {
                    text.push_str(delta);
                }
                let id = self.ids.item("msg", index);
                let fields =
                    json!({"item_id": id, "output_index": index, "content_index": 0, "delta": delta, "logprobs": []});
                events.push(self.event("response.output_text.delta", fields));
            }
            StreamEvent::Refusal(refusal) => {
                // A refusal arrives whole from the provider: one message item with a refusal part.
                self.close(&mut events);
                let index = self.index();
                let id = self.ids.item("msg", index);
                let item =
                    json!({"id": id, "type": "message", "status": "in_progress", "role": "assistant", "content": []});
                events.push(self.event("response.output_item.added", json!({"output_index": index, "item": item})));
                let at = json!({"item_id": id, "output_index": index, "content_index": 0});
                let mut added = at.clone();
                added["part"] = json!({"type": "refusal", "refusal": ""});
                events.push(self.event("response.content_part.added", added));
                let mut delta = at.clone();
                delta["delta"] = json!(refusal);
                events.push(self.event("response.refusal.delta", delta));
                let mut done = at.clone();
                done["refusal"] = json!(refusal);
                events.push(self.event("response.refusal.done", done));
                let mut part_done = at;
                part_done["part"] = json!({"type": "refusal", "refusal": refusal});
                events.push(self.event("response.content_part.done", part_done));
                let item = message_item(id, "", Some(refusal), "completed");
                events.push(self.event("response.output_item.done", json!({"output_index": index, "item": item})));
                self.output.push(item);
            }
            StreamEvent::ToolCall(call) => {
                self.close(&mut events);
                let index = self.index();
                let id = self.ids.item("fc", index);
                let mut added = function_call_item(id.clone(), call, "in_progress");
                added["arguments"] = json!("");
                events.push(self.event("response.output_item.added", json!({"output_index": index, "item": added})));
                // The provider hands over a whole call: one delta carries all its arguments.
                let fields = json!({"item_id": id, "output_index": index, "delta": call.arguments});
                events.push(self.event("response.function_call_arguments.delta", fields));
                let fields =
                    json!({"item_id": id, "output_index": index, "name": call.name, "arguments": call.arguments});
                events.push(self.event("response.function_call_arguments.done", fields));
                let item = function_call_item(id, call, "completed");
                events.push(self.event("response.output_item.done", json!({"output_index": index, "item": item})));
                self.output.push(item);
            }
            StreamEvent::Finish(end) => return self.finish(end),
        }
        events
    }

    /// The last events: the open item closed, then `response.completed` (or
    /// `response.incomplete`) with the whole output and the usage.
    fn finish(&mut self, end: &StreamEnd) -> Vec<Value> {
        let mut events = Vec::new();
        self.close(&mut events);
        self.model = end.model.clone();
        let (status, incomplete) = ending(end.stop_reason);
        let mut response = self.snapshot(status);
        response["incomplete_details"] = incomplete;
        response["usage"] = end.usage.as_ref().map_or(Value::Null, responses_usage);
        let kind = if status == "completed" { "response.completed" } else { "response.incomplete" };
        events.push(self.event(kind, json!({"response": response})));
        events
    }

    /// A mid-stream failure as `response.failed`, with what was streamed so far and the error's
    /// code and message (OpenAI's clients raise it; Codex CLI reports it).
    pub fn failed(&mut self, code: &str, message: &str) -> Value {
        let mut response = self.snapshot("failed");
        response["error"] = json!({"code": code, "message": message});
        self.event("response.failed", json!({"response": response}))
    }
}

#[cfg(test)]
#[path = "responses_tests.rs"]
mod tests;
