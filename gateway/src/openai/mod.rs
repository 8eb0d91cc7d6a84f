//! The OpenAI wire form, both ways: a chat-completions request body into the contract's
//! `request`, and the contract's answers, stream events and errors into OpenAI's JSON
//! (`chat.completion`, `chat.completion.chunk`, the model list, `{"error": {…}}`).
//!
//! Pure conversions on the generated types (which exist on every target), unit-tested natively;
//! nothing here touches WASI.

use litellm_client::{
    ContentPart, FilePart, ImageUrl, InputAudio, JsonSchema, Message, ReasoningEffort, Request, ResponseFormat, Role,
    ToolCall, ToolChoice, ToolDef,
};
use serde_json::{Map, Value};

/// The fields of a chat-completions body that [`chat_call`] reads itself. Any other field goes
/// to the provider's `extra-body`, which merges it into the upstream request (`top_k`,
/// `metadata`, …), as a proxy passes on what it does not know.
const KNOWN_FIELDS: &[&str] = &[
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

/// The schema sent for a tool that gave none: OpenAI's own default, an object with no properties.
const EMPTY_SCHEMA: &str = r#"{"type":"object","properties":{}}"#;

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

/// Reads a chat-completions request body. The error is a message for the client (a 400).
pub fn chat_call(body: &[u8]) -> Result<ChatCall, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let object = value.as_object().ok_or("the body must be a JSON object")?;
    let model = match object.get("model") {
        Some(Value::String(m)) if !m.is_empty() => m.clone(),
        _ => return Err("`model` must be a non-empty string".into()),
    };
    if let Some(n) = object.get("n").filter(|n| !n.is_null()) {
        // The contract asks for one completion; more would be silently dropped.
        if n.as_u64() != Some(1) {
            return Err("`n` must be 1: the gateway returns one completion".into());
        }
    }
    let messages = array(object, "messages")?
        .ok_or("`messages` is required")?
        .iter()
        .enumerate()
        .map(|(i, m)| message(m).map_err(|e| format!("messages[{i}]: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let tools = array(object, "tools")?
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .map(|(i, t)| tool_def(t).map_err(|e| format!("tools[{i}]: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    // Either name; the provider sends the cap in the field its upstream's profile reads.
    let max_tokens = match number_u32(object, "max_completion_tokens")? {
        Some(n) => Some(n),
        None => number_u32(object, "max_tokens")?,
    };
    let reasoning_effort = match string(object, "reasoning_effort")? {
        None => None,
        Some(name) => Some(ReasoningEffort::from_name(&name).ok_or_else(|| {
            format!("`reasoning_effort` must be none, minimal, low, medium, high, xhigh or max, not {name:?}")
        })?),
    };
    let extra: Map<String, Value> = object
        .iter()
        .filter(|(k, _)| !KNOWN_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let request = Request {
        model,
        messages,
        tools,
        max_tokens,
        temperature: number_f32(object, "temperature")?,
        top_p: number_f32(object, "top_p")?,
        stop: stop(object.get("stop"))?,
        seed: match object.get("seed") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_i64().ok_or("`seed` must be an integer")?),
        },
        user: string(object, "user")?,
        presence_penalty: number_f32(object, "presence_penalty")?,
        frequency_penalty: number_f32(object, "frequency_penalty")?,
        response_format: response_format(object.get("response_format"))?,
        tool_choice: tool_choice(object.get("tool_choice"))?,
        parallel_tool_calls: boolean(object, "parallel_tool_calls")?,
        reasoning_effort,
        extra_body: (!extra.is_empty()).then(|| Value::Object(extra).to_string()),
        // `system` stays unset (system messages are messages here) and `max-tokens-field` too
        // (the upstream's profile picks the field); a field the contract adds later starts unset.
        ..Request::default()
    };
    let include_usage =
        object.get("stream_options").and_then(|o| o.get("include_usage")).and_then(Value::as_bool).unwrap_or(false);
    Ok(ChatCall { request, stream: boolean(object, "stream")?.unwrap_or(false), include_usage })
}

fn array<'a>(object: &'a Map<String, Value>, key: &str) -> Result<Option<&'a [Value]>, String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items)),
        Some(_) => Err(format!("`{key}` must be an array")),
    }
}

fn string(object: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("`{key}` must be a string")),
    }
}

fn boolean(object: &Map<String, Value>, key: &str) -> Result<Option<bool>, String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(format!("`{key}` must be true or false")),
    }
}

fn number_f32(object: &Map<String, Value>, key: &str) -> Result<Option<f32>, String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_f64().map(|f| Some(f as f32)).ok_or_else(|| format!("`{key}` must be a number")),
    }
}

fn number_u32(object: &Map<String, Value>, key: &str) -> Result<Option<u32>, String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| format!("`{key}` must be a whole number")),
    }
}

fn message(value: &Value) -> Result<Message, String> {
    let object = value.as_object().ok_or("a message must be an object")?;
    let role = match object.get("role").and_then(Value::as_str) {
        // OpenAI's newer name for system instructions.
        Some("system" | "developer") => Role::System,
        Some("user") => Role::User,
        Some("assistant") => Role::Assistant,
        Some("tool") => Role::Tool,
        Some(other) => return Err(format!("unknown role {other:?}")),
        None => return Err("`role` is required".into()),
    };
    let (content, parts) = content(object.get("content"), role == Role::User)?;
    let tool_calls =
        array(object, "tool_calls")?.unwrap_or(&[]).iter().map(tool_call).collect::<Result<Vec<_>, _>>()?;
    // An earlier turn's reasoning, handed back (DeepSeek's and Kimi's thinking modes need it);
    // `reasoning` is the name some servers (Groq, OpenRouter) answer with.
    let reasoning = match string(object, "reasoning_content")? {
        Some(reasoning) => Some(reasoning),
        None => string(object, "reasoning")?,
    };
    let tool_call_id = string(object, "tool_call_id")?;
    Ok(Message { role, content, parts, tool_calls, tool_call_id, reasoning })
}

/// A message's `content`: a string, `null`, or OpenAI's array of parts. For a user message the
/// parts after the leading text stay parts (images, more text); other roles get their text only.
fn content(value: Option<&Value>, keep_parts: bool) -> Result<(String, Vec<ContentPart>), String> {
    let items = match value {
        None | Some(Value::Null) => return Ok((String::new(), vec![])),
        Some(Value::String(text)) => return Ok((text.clone(), vec![])),
        Some(Value::Array(items)) => items,
        Some(_) => return Err("`content` must be a string, null or an array of parts".into()),
    };
    let mut parts = Vec::new();
    for item in items {
        match item.get("type").and_then(Value::as_str) {
            Some("text") => {
                let text = item.get("text").and_then(Value::as_str).ok_or("a text part needs `text`")?;
                parts.push(ContentPart::Text(text.to_owned()));
            }
            Some("image_url") if keep_parts => {
                let image = item.get("image_url").ok_or("an image_url part needs `image_url`")?;
                // The short form, `"image_url": "https://…"`, is accepted too.
                let (url, detail) = match image {
                    Value::String(url) => (Some(url.as_str()), None),
                    _ => (image.get("url").and_then(Value::as_str), image.get("detail").and_then(Value::as_str)),
                };
                let url = url.ok_or("an image_url part needs a `url`")?.to_owned();
                parts.push(ContentPart::Image(ImageUrl { url, detail: detail.map(str::to_owned) }));
            }
            Some("file") if keep_parts => {
                let file = item.get("file").and_then(Value::as_object).ok_or("a file part needs `file`")?;
                let text = |key: &str| string(file, key);
                let (data, file_id) = (text("file_data")?, text("file_id")?);
                parts.push(ContentPart::File(FilePart { data, file_id, filename: text("filename")? }));
            }
            Some("input_audio") if keep_parts => {
                let audio = item
                    .get("input_audio")
                    .and_then(Value::as_object)
                    .ok_or("an input_audio part needs `input_audio`")?;
                let text = |key: &str| string(audio, key)?.ok_or(format!("an input_audio part needs `{key}`"));
                parts.push(ContentPart::InputAudio(InputAudio { data: text("data")?, format: text("format")? }));
            }
            Some(other) => return Err(format!("content parts of type {other:?} are not supported here")),
            None => return Err("a content part needs a `type`".into()),
        }
    }
    if !keep_parts {
        let text = parts.iter().filter_map(|p| if let ContentPart::Text(t) = p { Some(t.as_str()) } else { None });
        return Ok((text.collect(), vec![]));
    }
    // The contract sends `content` first as a text part: a leading text part becomes it.
    let content = match parts.first() {
        Some(ContentPart::Text(text)) => {
            let text = text.clone();
            parts.remove(0);
            text
        }
        _ => String::new(),
    };
    Ok((content, parts))
}

fn tool_call(value: &Value) -> Result<ToolCall, String> {
    let function = value.get("function").ok_or("a tool call needs `function`")?;
    let name = function.get("name").and_then(Value::as_str).ok_or("a tool call needs `function.name`")?;
    let arguments = match function.get("arguments") {
        Some(Value::String(text)) => text.clone(),
        None | Some(Value::Null) => "{}".to_owned(),
        // Some clients send the arguments as an object rather than as JSON text.
        Some(other) => other.to_string(),
    };
    let id = value.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
    Ok(ToolCall { id, name: name.to_owned(), arguments })
}

fn tool_def(value: &Value) -> Result<ToolDef, String> {
    match value.get("type").and_then(Value::as_str) {
        Some("function") | None => {}
        Some(other) => return Err(format!("tools of type {other:?} are not supported")),
    }
    let function = value.get("function").ok_or("a tool needs `function`")?;
    let name = function.get("name").and_then(Value::as_str).ok_or("a tool needs `function.name`")?;
    let parameters = match function.get("parameters") {
        None | Some(Value::Null) => EMPTY_SCHEMA.to_owned(),
        Some(schema) => schema.to_string(),
    };
    let description = function.get("description").and_then(Value::as_str).map(str::to_owned);
    let strict = match function.get("strict") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(strict)) => Some(*strict),
        Some(_) => return Err("`function.strict` must be true or false".into()),
    };
    Ok(ToolDef { name: name.to_owned(), description, parameters, strict })
}

fn stop(value: Option<&Value>) -> Result<Vec<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|s| s.as_str().map(str::to_owned).ok_or_else(|| "`stop` must hold strings".to_owned()))
            .collect(),
        Some(_) => Err("`stop` must be a string or an array of strings".into()),
    }
}

fn response_format(value: Option<&Value>) -> Result<Option<ResponseFormat>, String> {
    let Some(value) = value.filter(|v| !v.is_null()) else { return Ok(None) };
    match value.get("type").and_then(Value::as_str) {
        Some("text") => Ok(Some(ResponseFormat::Text)),
        Some("json_object") => Ok(Some(ResponseFormat::JsonObject)),
        Some("json_schema") => {
            let spec = value.get("json_schema").ok_or("`response_format.json_schema` is required")?;
            let name = spec.get("name").and_then(Value::as_str).ok_or("`json_schema.name` is required")?;
            let schema = spec.get("schema").map_or_else(|| EMPTY_SCHEMA.to_owned(), Value::to_string);
            let strict = spec.get("strict").and_then(Value::as_bool);
            Ok(Some(ResponseFormat::JsonSchema(JsonSchema { name: name.to_owned(), schema, strict })))
        }
        _ => Err("`response_format.type` must be text, json_object or json_schema".into()),
    }
}

fn tool_choice(value: Option<&Value>) -> Result<Option<ToolChoice>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => match s.as_str() {
            "auto" => Ok(Some(ToolChoice::Auto)),
            "none" => Ok(Some(ToolChoice::None)),
            "required" => Ok(Some(ToolChoice::Required)),
            other => Err(format!("unknown tool_choice {other:?}")),
        },
        Some(object) => object
            .pointer("/function/name")
            .and_then(Value::as_str)
            .map(|name| Some(ToolChoice::Named(name.to_owned())))
            .ok_or_else(|| "`tool_choice` must be auto, none, required or name a function".into()),
    }
}

mod reply;

pub use reply::*;

#[cfg(test)]
mod tests;
