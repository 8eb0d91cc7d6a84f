//! A chat-completions request body into the contract's `request`. The body is parsed once into a
//! JSON tree whose parts are then moved (never cloned) into the request; a field the gateway does
//! not know is refused by name, as OpenAI does, unless the operator passes it through.

use super::{Invalid, EMPTY_SCHEMA};
use litellm_client::{
    ContentPart, FilePart, ImageUrl, InputAudio, JsonSchema, Message, ReasoningEffort, Request, ResponseFormat, Role,
    ToolCall, ToolChoice, ToolDef,
};
use serde_json::{Map, Value};

/// The top-level fields of a chat-completions body that the gateway maps to the contract.
pub const KNOWN_FIELDS: &[&str] = &[
    "model",
    "messages",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "reasoning_effort",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "stop",
    "seed",
    "user",
    "presence_penalty",
    "frequency_penalty",
    "response_format",
    "n",
    "stream",
    "stream_options",
];

/// A chat-completions call as the gateway received it.
#[derive(Debug)]
pub struct ChatCall {
    /// The request for the provider.
    pub request: Request,
    /// Whether the client asked for server-sent events (`"stream": true`).
    pub stream: bool,
    /// Whether the client asked for a usage chunk at the end of the stream
    /// (`stream_options.include_usage`), as OpenAI sends it only then.
    pub include_usage: bool,
}

/// The body as a JSON object, or why not.
pub(crate) fn object(body: &[u8]) -> Result<Map<String, Value>, Invalid> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(Invalid::new("the body must be a JSON object")),
        // serde's message names the line and column; it quotes no value of the body.
        Err(e) => Err(Invalid::new(format!("the body is not JSON: {e}"))),
    }
}

/// Refuses the first field that is neither known nor passed through, naming it as OpenAI does.
pub(crate) fn unknown_field(
    object: &Map<String, Value>,
    known: &[&str],
    passthrough: &[String],
) -> Result<(), Invalid> {
    match object.keys().find(|k| !known.contains(&k.as_str()) && !passthrough.contains(k)) {
        Some(field) => Err(Invalid::param(format!("Unrecognized request argument supplied: {field}"), field)),
        None => Ok(()),
    }
}

/// The `model` field: a non-empty string.
pub(crate) fn model(object: &mut Map<String, Value>) -> Result<String, Invalid> {
    match object.remove("model") {
        Some(Value::String(m)) if !m.is_empty() => Ok(m),
        _ => Err(Invalid::param("`model` must be a non-empty string", "model")),
    }
}

/// Reads a chat-completions request body; `passthrough` names the extra fields the operator lets
/// through to the upstream (as the provider's `extra-body`).
pub fn chat_call(body: &[u8], passthrough: &[String]) -> Result<ChatCall, Invalid> {
    let mut object = object(body)?;
    unknown_field(&object, KNOWN_FIELDS, passthrough)?;
    let model = model(&mut object)?;
    if let Some(n) = object.get("n").filter(|n| !n.is_null()) {
        // The contract asks for one completion; more would be silently dropped.
        if n.as_u64() != Some(1) {
            return Err(Invalid::param("`n` must be 1: the gateway returns one completion", "n"));
        }
    }
    let messages = array(&mut object, "messages")?
        .ok_or_else(|| Invalid::param("`messages` is required", "messages"))?
        .into_iter()
        .enumerate()
        .map(|(i, m)| message(m).map_err(|e| Invalid::param(format!("messages[{i}]: {e}"), "messages")))
        .collect::<Result<Vec<_>, _>>()?;
    let tools = array(&mut object, "tools")?
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, t)| tool_def(t).map_err(|e| Invalid::param(format!("tools[{i}]: {e}"), "tools")))
        .collect::<Result<Vec<_>, _>>()?;
    // Either name; the provider sends the cap in the field its upstream's profile reads.
    let max_tokens = match number_u32(&object, "max_completion_tokens")? {
        Some(n) => Some(n),
        None => number_u32(&object, "max_tokens")?,
    };
    let reasoning_effort = match string(&mut object, "reasoning_effort")? {
        None => None,
        Some(name) => Some(effort(&name, "reasoning_effort", "reasoning_effort")?),
    };
    let include_usage =
        object.get("stream_options").and_then(|o| o.get("include_usage")).and_then(Value::as_bool).unwrap_or(false);
    let stream = boolean(&object, "stream")?.unwrap_or(false);
    let request = Request {
        model,
        messages,
        tools,
        max_tokens,
        temperature: number_f32(&object, "temperature")?,
        top_p: number_f32(&object, "top_p")?,
        stop: stop(object.remove("stop"))?,
        seed: match object.get("seed") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_i64().ok_or_else(|| Invalid::param("`seed` must be an integer", "seed"))?),
        },
        user: string(&mut object, "user")?,
        presence_penalty: number_f32(&object, "presence_penalty")?,
        frequency_penalty: number_f32(&object, "frequency_penalty")?,
        response_format: response_format(object.remove("response_format"))?,
        tool_choice: tool_choice(object.remove("tool_choice"))?,
        parallel_tool_calls: boolean(&object, "parallel_tool_calls")?,
        reasoning_effort,
        extra_body: extra_body(&mut object, passthrough),
        // `system` stays unset (system messages are messages here) and `max-tokens-field` too
        // (the upstream's profile picks the field); a field the contract adds later starts unset.
        ..Request::default()
    };
    Ok(ChatCall { request, stream, include_usage })
}

/// The fields the operator passes through, taken out of the body as the provider's `extra-body`.
pub(crate) fn extra_body(object: &mut Map<String, Value>, passthrough: &[String]) -> Option<String> {
    let extra: Map<String, Value> =
        passthrough.iter().filter_map(|field| object.remove_entry(field.as_str())).collect();
    (!extra.is_empty()).then(|| Value::Object(extra).to_string())
}

/// A reasoning effort by name; `param` is the field refused when the name is unknown.
pub(crate) fn effort(name: &str, field: &str, param: &str) -> Result<ReasoningEffort, Invalid> {
    ReasoningEffort::from_name(name).ok_or_else(|| {
        let message = format!("`{field}` must be none, minimal, low, medium, high, xhigh or max, not {name:?}");
        Invalid::param(message, param)
    })
}

/// `tool_choice` as a string: `auto`, `none` or `required`.
pub(crate) fn tool_choice_mode(mode: &str) -> Result<ToolChoice, Invalid> {
    match mode {
        "auto" => Ok(ToolChoice::Auto),
        "none" => Ok(ToolChoice::None),
        "required" => Ok(ToolChoice::Required),
        other => Err(Invalid::param(format!("unknown tool_choice {other:?}"), "tool_choice")),
    }
}

pub(crate) fn array(object: &mut Map<String, Value>, key: &str) -> Result<Option<Vec<Value>>, Invalid> {
    match object.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items)),
        Some(_) => Err(Invalid::param(format!("`{key}` must be an array"), key)),
    }
}

pub(crate) fn string(object: &mut Map<String, Value>, key: &str) -> Result<Option<String>, Invalid> {
    match object.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Invalid::param(format!("`{key}` must be a string"), key)),
    }
}

pub(crate) fn boolean(object: &Map<String, Value>, key: &str) -> Result<Option<bool>, Invalid> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(Invalid::param(format!("`{key}` must be true or false"), key)),
    }
}

pub(crate) fn number_f32(object: &Map<String, Value>, key: &str) -> Result<Option<f32>, Invalid> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            v.as_f64().map(|f| Some(f as f32)).ok_or_else(|| Invalid::param(format!("`{key}` must be a number"), key))
        }
    }
}

pub(crate) fn number_u32(object: &Map<String, Value>, key: &str) -> Result<Option<u32>, Invalid> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| Invalid::param(format!("`{key}` must be a whole number"), key)),
    }
}

/// A string field of a message or part (errors are the item's; the caller adds where).
pub(crate) fn text(object: &mut Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match object.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("`{key}` must be a string")),
    }
}

fn message(value: Value) -> Result<Message, String> {
    let Value::Object(mut object) = value else { return Err("a message must be an object".into()) };
    let role = match object.get("role").and_then(Value::as_str) {
        // OpenAI's newer name for system instructions.
        Some("system" | "developer") => Role::System,
        Some("user") => Role::User,
        Some("assistant") => Role::Assistant,
        Some("tool") => Role::Tool,
        Some(other) => return Err(format!("unknown role {other:?}")),
        None => return Err("`role` is required".into()),
    };
    let (content, parts) = content(object.remove("content"), role == Role::User)?;
    let tool_calls = match object.remove("tool_calls") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(calls)) => calls.into_iter().map(tool_call).collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err("`tool_calls` must be an array".into()),
    };
    // An earlier turn's reasoning, handed back (DeepSeek's and Kimi's thinking modes need it);
    // `reasoning` is the name some servers (Groq, OpenRouter) answer with.
    let reasoning = match text(&mut object, "reasoning_content")? {
        Some(reasoning) => Some(reasoning),
        None => text(&mut object, "reasoning")?,
    };
    let tool_call_id = text(&mut object, "tool_call_id")?;
    Ok(Message { role, content, parts, tool_calls, tool_call_id, reasoning })
}

/// A message's `content`: a string, `null`, or OpenAI's array of parts. For a user message the
/// parts after the leading text stay parts (images, files, audio, more text); other roles get
/// their text only.
fn content(value: Option<Value>, keep_parts: bool) -> Result<(String, Vec<ContentPart>), String> {
    let items = match value {
        None | Some(Value::Null) => return Ok((String::new(), vec![])),
        Some(Value::String(text)) => return Ok((text, vec![])),
        Some(Value::Array(items)) => items,
        Some(_) => return Err("`content` must be a string, null or an array of parts".into()),
    };
    let mut parts = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(mut item) = item else { return Err("a content part must be an object".into()) };
        let kind = text(&mut item, "type")?.ok_or("a content part needs a `type`")?;
        let mut inner = |key: &str| match item.remove(key) {
            Some(Value::Object(inner)) => Ok(inner),
            _ => Err(format!("a {kind} part needs `{key}`")),
        };
        parts.push(match kind.as_str() {
            "text" => ContentPart::Text(text(&mut item, "text")?.ok_or("a text part needs `text`")?),
            "image_url" if keep_parts => {
                // The short form, `"image_url": "https://…"`, is accepted too.
                let (url, detail) = match item.remove("image_url") {
                    Some(Value::String(url)) => (Some(url), None),
                    Some(Value::Object(mut image)) => (text(&mut image, "url")?, text(&mut image, "detail")?),
                    _ => return Err("an image_url part needs `image_url`".into()),
                };
                ContentPart::Image(ImageUrl { url: url.ok_or("an image_url part needs a `url`")?, detail })
            }
            "file" if keep_parts => {
                let mut file = inner("file")?;
                let (data, file_id) = (text(&mut file, "file_data")?, text(&mut file, "file_id")?);
                ContentPart::File(FilePart { data, file_id, filename: text(&mut file, "filename")? })
            }
            "input_audio" if keep_parts => {
                let mut audio = inner("input_audio")?;
                let mut needed = |key: &str| text(&mut audio, key)?.ok_or(format!("an input_audio part needs `{key}`"));
                ContentPart::InputAudio(InputAudio { data: needed("data")?, format: needed("format")? })
            }
            other => return Err(format!("content parts of type {other:?} are not supported here")),
        });
    }
    if !keep_parts {
        let text = parts.into_iter().filter_map(|p| if let ContentPart::Text(t) = p { Some(t) } else { None });
        return Ok((text.collect(), vec![]));
    }
    // The contract sends `content` first as a text part: a leading text part becomes it.
    let content = match parts.first() {
        Some(ContentPart::Text(_)) => match parts.remove(0) {
            ContentPart::Text(text) => text,
            _ => String::new(),
        },
        _ => String::new(),
    };
    Ok((content, parts))
}

fn tool_call(value: Value) -> Result<ToolCall, String> {
    let Value::Object(mut call) = value else { return Err("a tool call must be an object".into()) };
    let Some(Value::Object(mut function)) = call.remove("function") else {
        return Err("a tool call needs `function`".into());
    };
    let name = text(&mut function, "name")?.ok_or("a tool call needs `function.name`")?;
    let arguments = match function.remove("arguments") {
        Some(Value::String(text)) => text,
        None | Some(Value::Null) => "{}".to_owned(),
        // Some clients send the arguments as an object rather than as JSON text.
        Some(other) => other.to_string(),
    };
    let id = text(&mut call, "id")?.unwrap_or_default();
    Ok(ToolCall { id, name, arguments })
}

fn tool_def(value: Value) -> Result<ToolDef, String> {
    let Value::Object(mut tool) = value else { return Err("a tool must be an object".into()) };
    match tool.get("type").and_then(Value::as_str) {
        Some("function") | None => {}
        Some(other) => return Err(format!("tools of type {other:?} are not supported")),
    }
    let Some(Value::Object(mut function)) = tool.remove("function") else {
        return Err("a tool needs `function`".into());
    };
    let name = text(&mut function, "name")?.ok_or("a tool needs `function.name`")?;
    let parameters = match function.remove("parameters") {
        None | Some(Value::Null) => EMPTY_SCHEMA.to_owned(),
        Some(schema) => schema.to_string(),
    };
    let description = text(&mut function, "description")?;
    let strict = match function.remove("strict") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(strict)) => Some(strict),
        Some(_) => return Err("`function.strict` must be true or false".into()),
    };
    Ok(ToolDef { name, description, parameters, strict })
}

fn stop(value: Option<Value>) -> Result<Vec<String>, Invalid> {
    let invalid = |message: &str| Invalid::param(message, "stop");
    match value {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::String(s)) => Ok(vec![s]),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|s| match s {
                Value::String(s) => Ok(s),
                _ => Err(invalid("`stop` must hold strings")),
            })
            .collect(),
        Some(_) => Err(invalid("`stop` must be a string or an array of strings")),
    }
}

pub(crate) fn response_format(value: Option<Value>) -> Result<Option<ResponseFormat>, Invalid> {
    let invalid = |message: &str| Invalid::param(message, "response_format");
    let mut format = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(format)) => format,
        Some(_) => return Err(invalid("`response_format` must be an object")),
    };
    match format.get("type").and_then(Value::as_str) {
        Some("text") => Ok(Some(ResponseFormat::Text)),
        Some("json_object") => Ok(Some(ResponseFormat::JsonObject)),
        Some("json_schema") => {
            let Some(Value::Object(mut spec)) = format.remove("json_schema") else {
                return Err(invalid("`response_format.json_schema` is required"));
            };
            let name =
                text(&mut spec, "name").ok().flatten().ok_or_else(|| invalid("`json_schema.name` is required"))?;
            let schema = spec.remove("schema").map_or_else(|| EMPTY_SCHEMA.to_owned(), |s| s.to_string());
            let strict = spec.get("strict").and_then(Value::as_bool);
            Ok(Some(ResponseFormat::JsonSchema(JsonSchema { name, schema, strict })))
        }
        _ => Err(invalid("`response_format.type` must be text, json_object or json_schema")),
    }
}

fn tool_choice(value: Option<Value>) -> Result<Option<ToolChoice>, Invalid> {
    let invalid = |message: String| Invalid::param(message, "tool_choice");
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(mode)) => tool_choice_mode(&mode).map(Some),
        Some(mut object) => match object.pointer_mut("/function/name").map(Value::take) {
            Some(Value::String(name)) => Ok(Some(ToolChoice::Named(name))),
            _ => Err(invalid("`tool_choice` must be auto, none, required or name a function".into())),
        },
    }
}
