//! Turning a caller's (checked) request into OpenAI JSON.

use crate::config::ReasoningField;
use crate::domain::{
    ChatRequest, ContentPart, Error, Profile, ReasoningEffort, ResponseFormat, Role, TokenLimitField, ToolChoice,
};
use crate::validate;
use crate::wire::{
    ChatBody, Stop, StreamOptions, WireContent, WireFunction, WireFunctionCall, WireMessage, WireTool, WireToolCall,
};
use serde_json::{Map, Value};

/// The model prefix this provider answers to (the seed's `supports_model`).
pub const MODEL_PREFIX: &str = "litellm:";

/// Whether a model name is this provider's.
pub fn supports_model(model: &str) -> bool {
    model.starts_with(MODEL_PREFIX)
}

/// The model name as sent on the wire: without the `litellm:` prefix.
pub fn wire_model(model: &str) -> &str {
    model.strip_prefix(MODEL_PREFIX).unwrap_or(model)
}

fn role_name(role: Role, has_tool_call_id: bool) -> &'static str {
    match role {
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::Tool if has_tool_call_id => "tool",
        // The seed's mapping, kept for a tool result that cannot name its call.
        Role::Tool => "user",
    }
}

fn content_parts(text: &str, parts: &[ContentPart]) -> Vec<Value> {
    let text_part = |t: &str| object([("type", "text".into()), ("text", t.into())]);
    let mut wire: Vec<Value> = Vec::with_capacity(parts.len() + 1);
    if !text.is_empty() {
        wire.push(text_part(text));
    }
    for part in parts {
        wire.push(match part {
            ContentPart::Text(t) => text_part(t),
            ContentPart::Image { url, detail } => {
                let mut image = Map::new();
                image.insert("url".into(), url.as_str().into());
                if let Some(detail) = detail {
                    image.insert("detail".into(), detail.as_str().into());
                }
                object([("type", "image_url".into()), ("image_url", Value::Object(image))])
            }
            ContentPart::File { data, file_id, filename } => {
                let mut file = Map::new();
                for (key, value) in [("file_data", data), ("file_id", file_id), ("filename", filename)] {
                    if let Some(value) = value {
                        file.insert(key.into(), value.as_str().into());
                    }
                }
                object([("type", "file".into()), ("file", Value::Object(file))])
            }
            ContentPart::InputAudio { data, format } => object([
                ("type", "input_audio".into()),
                ("input_audio", object([("data", data.as_str().into()), ("format", format.as_str().into())])),
            ]),
        });
    }
    wire
}

/// A JSON object from its fields (without `json!`, whose `to_value` costs code size).
fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn tool_choice(choice: &ToolChoice) -> Value {
    match choice {
        ToolChoice::Auto => "auto".into(),
        ToolChoice::None => "none".into(),
        ToolChoice::Required => "required".into(),
        ToolChoice::Named(name) => {
            object([("type", "function".into()), ("function", object([("name", name.as_str().into())]))])
        }
    }
}

fn response_format(format: &ResponseFormat) -> Result<Value, Error> {
    Ok(match format {
        ResponseFormat::Text => object([("type", "text".into())]),
        ResponseFormat::JsonObject => object([("type", "json_object".into())]),
        ResponseFormat::JsonSchema { name, schema, strict } => {
            let schema = Value::Object(validate::json_object(schema, "json-schema schema")?);
            let mut spec = Map::new();
            spec.insert("name".into(), name.as_str().into());
            spec.insert("schema".into(), schema);
            if let Some(strict) = strict {
                spec.insert("strict".into(), (*strict).into());
            }
            object([("type", "json_schema".into()), ("json_schema", Value::Object(spec))])
        }
    })
}

/// An assistant turn's reasoning for the body field `field`: only an assistant's, only when the
/// profile sends it in that field, and never empty (Kimi takes `""` for a missing one).
fn reasoning(m: &crate::domain::Message, sent_as: Option<ReasoningField>, field: ReasoningField) -> Option<&str> {
    m.reasoning.as_deref().filter(|r| sent_as == Some(field) && m.role == Role::Assistant && !r.is_empty())
}

/// OpenAI's name of a reasoning effort.
fn reasoning_effort(effort: ReasoningEffort) -> &'static str {
    match effort {
        ReasoningEffort::None => "none",
        ReasoningEffort::Minimal => "minimal",
        ReasoningEffort::Low => "low",
        ReasoningEffort::Medium => "medium",
        ReasoningEffort::High => "high",
        ReasoningEffort::Xhigh => "xhigh",
        ReasoningEffort::Max => "max",
    }
}

/// The request body for `/v1/chat/completions`, after `validate`, in `profile`'s wire form (the
/// token cap's field, whether reasoning goes back).
pub fn chat_body(request: &ChatRequest, stream: bool, profile: Profile) -> Result<Vec<u8>, Error> {
    validate::chat(request, wire_model(&request.model))?;
    let cap_field = request.max_tokens_field.unwrap_or(profile.token_limit_field());
    let cap = |field: TokenLimitField| request.max_tokens.filter(|_| cap_field == field);
    let body = ChatBody {
        model: wire_model(&request.model),
        messages: wire_messages(request, profile),
        tools: wire_tools(request)?,
        max_tokens: cap(TokenLimitField::MaxTokens),
        max_completion_tokens: cap(TokenLimitField::MaxCompletionTokens),
        temperature: request.temperature,
        stream,
        stream_options: stream.then_some(StreamOptions { include_usage: true }),
        top_p: request.top_p,
        stop: match request.stop.as_slice() {
            [] => None,
            [one] => Some(Stop::One(one)),
            many => Some(Stop::Many(many)),
        },
        seed: request.seed,
        user: request.user.as_deref(),
        presence_penalty: request.presence_penalty,
        frequency_penalty: request.frequency_penalty,
        response_format: request.response_format.as_ref().map(response_format).transpose()?,
        tool_choice: request.tool_choice.as_ref().map(tool_choice),
        parallel_tool_calls: request.parallel_tool_calls,
        reasoning_effort: request.reasoning_effort.map(reasoning_effort),
    };
    let encode_failed = |e: serde_json::Error| crate::errors::invalid(format!("cannot encode the request: {e}"));
    let Some(extra) = &request.extra_body else {
        return serde_json::to_vec(&body).map_err(encode_failed);
    };
    // Re-read rather than `to_value`: one JSON reader in the component keeps it small.
    let encoded = serde_json::to_vec(&body).map_err(encode_failed)?;
    let mut merged: Map<String, Value> = serde_json::from_slice(&encoded).map_err(encode_failed)?;
    merged.extend(validate::json_object(extra, "extra-body")?);
    serde_json::to_vec(&merged).map_err(encode_failed)
}

/// The system prompt (as the first message), then each message in the profile's wire form.
fn wire_messages(request: &ChatRequest, profile: Profile) -> Vec<WireMessage<'_>> {
    let system = request.system.as_deref().filter(|s| !s.is_empty());
    let mut messages = Vec::with_capacity(request.messages.len() + usize::from(system.is_some()));
    if let Some(system) = system {
        messages.push(WireMessage {
            role: "system",
            content: Some(WireContent::Text(system)),
            tool_calls: Vec::new(),
            tool_call_id: None,
            reasoning_content: None,
            reasoning: None,
        });
    }
    let reasoning_field = profile.reasoning_field();
    for m in &request.messages {
        let tool_calls: Vec<WireToolCall> = m
            .tool_calls
            .iter()
            .map(|c| WireToolCall {
                id: &c.id,
                kind: "function",
                function: WireFunctionCall {
                    name: &c.name,
                    arguments: if c.arguments.is_empty() { "{}" } else { &c.arguments },
                },
            })
            .collect();
        // An assistant turn that only calls tools has no content; strict servers want it absent.
        let content = if !m.parts.is_empty() {
            Some(WireContent::Parts(content_parts(&m.content, &m.parts)))
        } else {
            (!m.content.is_empty() || tool_calls.is_empty()).then_some(WireContent::Text(&m.content))
        };
        messages.push(WireMessage {
            role: role_name(m.role, m.tool_call_id.is_some()),
            content,
            tool_calls,
            tool_call_id: m.tool_call_id.as_deref(),
            reasoning_content: reasoning(m, reasoning_field, ReasoningField::ReasoningContent),
            reasoning: reasoning(m, reasoning_field, ReasoningField::Reasoning),
        });
    }
    messages
}

/// The tools, each schema checked to be a JSON object.
fn wire_tools(request: &ChatRequest) -> Result<Vec<WireTool<'_>>, Error> {
    let mut tools = Vec::with_capacity(request.tools.len());
    for t in &request.tools {
        tools.push(WireTool {
            kind: "function",
            function: WireFunction {
                name: &t.name,
                description: t.description.as_deref(),
                parameters: Value::Object(validate::json_object(&t.parameters, "parameters")?),
                strict: t.strict,
            },
        });
    }
    Ok(tools)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Message, ToolCall, ToolDef};
    use serde_json::json;

    fn request() -> ChatRequest {
        ChatRequest {
            model: "litellm:gpt-4o".into(),
            messages: vec![Message::text(Role::User, "Hi")],
            ..Default::default()
        }
    }

    fn body(r: &ChatRequest, stream: bool) -> Value {
        body_for(r, stream, Profile::Litellm)
    }

    fn body_for(r: &ChatRequest, stream: bool, profile: Profile) -> Value {
        serde_json::from_slice(&chat_body(r, stream, profile).unwrap()).unwrap()
    }

    #[test]
    fn minimal_body_strips_prefix_and_omits_optionals() {
        assert_eq!(
            body(&request(), false),
            json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]})
        );
        assert!(supports_model("litellm:x") && !supports_model("gpt-4o"));
    }

    #[test]
    fn system_tools_and_tool_round_trip() {
        let mut r = request();
        r.system = Some("Be brief.".into());
        r.max_tokens = Some(5);
        r.temperature = Some(0.5);
        r.tools = vec![ToolDef {
            name: "get_weather".into(),
            parameters: r#"{"type":"object"}"#.into(),
            ..ToolDef::default()
        }];
        r.messages.push(Message {
            tool_calls: vec![ToolCall { id: "c1".into(), name: "get_weather".into(), arguments: "{}".into() }],
            ..Message::text(Role::Assistant, "")
        });
        r.messages.push(Message { tool_call_id: Some("c1".into()), ..Message::text(Role::Tool, "sunny") });
        r.messages.push(Message::text(Role::Tool, "orphan"));
        let b = body(&r, true);
        assert_eq!(b["messages"][0], json!({"role": "system", "content": "Be brief."}));
        assert_eq!(
            b["messages"][2],
            json!({"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
                "function": {"name": "get_weather", "arguments": "{}"}}]})
        );
        assert_eq!(b["messages"][3], json!({"role": "tool", "content": "sunny", "tool_call_id": "c1"}));
        assert_eq!(b["messages"][4], json!({"role": "user", "content": "orphan"}));
        assert_eq!(
            b["tools"],
            json!([{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}])
        );
        assert_eq!(b["max_tokens"], 5);
        assert_eq!(b["temperature"], 0.5);
        assert_eq!(b["stream"], true);
        assert_eq!(b["stream_options"], json!({"include_usage": true}));
    }

    #[test]
    fn parameters_parts_formats_and_extra_body() {
        let mut r = request();
        r.messages[0].parts = vec![
            ContentPart::Image { url: "https://x/cat.png".into(), detail: Some("low".into()) },
            ContentPart::Text("and this".into()),
        ];
        r.top_p = Some(0.5);
        r.stop = vec!["END".into()];
        r.seed = Some(-7);
        r.user = Some("u1".into());
        r.presence_penalty = Some(0.5);
        r.frequency_penalty = Some(-0.5);
        r.response_format = Some(ResponseFormat::JsonSchema {
            name: "out".into(),
            schema: r#"{"type":"object"}"#.into(),
            strict: Some(true),
        });
        r.tools = vec![ToolDef { name: "f".into(), parameters: "{}".into(), ..ToolDef::default() }];
        r.tool_choice = Some(ToolChoice::Named("f".into()));
        r.parallel_tool_calls = Some(false);
        r.extra_body = Some(r#"{"top_k": 40, "temperature": 0.1}"#.into());
        let b = body(&r, false);
        assert_eq!(
            b["messages"][0]["content"],
            json!([{"type": "text", "text": "Hi"},
                   {"type": "image_url", "image_url": {"url": "https://x/cat.png", "detail": "low"}},
                   {"type": "text", "text": "and this"}])
        );
        assert_eq!((b["top_p"].clone(), b["stop"].clone(), b["seed"].clone()), (json!(0.5), json!("END"), json!(-7)));
        assert_eq!((b["user"].clone(), b["presence_penalty"].clone()), (json!("u1"), json!(0.5)));
        assert_eq!(
            b["response_format"],
            json!({"type": "json_schema", "json_schema": {"name": "out", "schema": {"type": "object"}, "strict": true}})
        );
        assert_eq!(b["tool_choice"], json!({"type": "function", "function": {"name": "f"}}));
        assert_eq!(b["parallel_tool_calls"], false);
        assert_eq!((b["top_k"].clone(), b["temperature"].clone()), (json!(40), json!(0.1)), "extra-body merged last");
        r.stop = vec!["a".into(), "b".into()];
        r.response_format = Some(ResponseFormat::JsonObject);
        r.tool_choice = Some(ToolChoice::Required);
        let b = body(&r, false);
        assert_eq!(b["stop"], json!(["a", "b"]));
        assert_eq!(b["response_format"], json!({"type": "json_object"}));
        assert_eq!(b["tool_choice"], "required");
    }
}

#[cfg(test)]
mod wire_2026 {
    use super::*;
    use crate::domain::{Message, ToolCall, ToolDef};
    use serde_json::json;

    fn body(r: &ChatRequest, profile: Profile) -> Value {
        serde_json::from_slice(&chat_body(r, false, profile).unwrap()).unwrap()
    }

    fn agent_turn() -> ChatRequest {
        let call = ToolCall { id: "c1".into(), name: "f".into(), arguments: "{}".into() };
        let assistant = Message {
            tool_calls: vec![call],
            reasoning: Some("I should call f.".into()),
            ..Message::text(Role::Assistant, "")
        };
        let silent = Message { reasoning: Some(String::new()), ..Message::text(Role::Assistant, "ok") };
        let result = Message { tool_call_id: Some("c1".into()), ..Message::text(Role::Tool, "42") };
        ChatRequest {
            model: "litellm:deepseek-v4".into(),
            messages: vec![Message::text(Role::User, "Hi"), assistant, result, silent],
            max_tokens: Some(64),
            ..Default::default()
        }
    }

    #[test]
    fn the_token_cap_goes_in_the_profiles_field_unless_the_request_picks_one() {
        let mut r = agent_turn();
        for (profile, field, other) in [
            (Profile::Litellm, "max_tokens", "max_completion_tokens"),
            (Profile::Ollama, "max_tokens", "max_completion_tokens"),
            (Profile::Vllm, "max_tokens", "max_completion_tokens"),
            (Profile::Openai, "max_completion_tokens", "max_tokens"),
            (Profile::Azure, "max_completion_tokens", "max_tokens"),
        ] {
            let b = body(&r, profile);
            assert_eq!((&b[field], b.get(other)), (&json!(64), None), "{profile:?}");
        }
        r.max_tokens_field = Some(TokenLimitField::MaxTokens);
        assert_eq!(body(&r, Profile::Openai)["max_tokens"], 64, "the caller's pick wins");
        r.max_tokens_field = Some(TokenLimitField::MaxCompletionTokens);
        assert_eq!(body(&r, Profile::Litellm)["max_completion_tokens"], 64);
        r.max_tokens = None;
        let b = body(&r, Profile::Litellm);
        assert!(b.get("max_tokens").is_none() && b.get("max_completion_tokens").is_none());
    }

    #[test]
    fn reasoning_goes_back_where_the_server_takes_it_and_only_when_set() {
        let r = agent_turn();
        for (profile, field, other) in [
            (Profile::Litellm, "reasoning_content", "reasoning"),
            (Profile::Vllm, "reasoning", "reasoning_content"),
            (Profile::Ollama, "reasoning", "reasoning_content"),
        ] {
            let b = body(&r, profile);
            assert_eq!(b["messages"][1][field], "I should call f.", "{profile:?}");
            assert!(b["messages"][1].get(other).is_none(), "{profile:?}");
            assert!(b["messages"][3].get(field).is_none(), "an empty one is never sent");
            assert!(b["messages"][0].get(field).is_none() && b["messages"][2].get(field).is_none());
        }
        for profile in [Profile::Openai, Profile::Azure] {
            let b = body(&r, profile);
            let sent = |m: &Value| m.get("reasoning_content").is_some() || m.get("reasoning").is_some();
            assert!(!b["messages"].as_array().unwrap().iter().any(sent), "{profile:?}");
        }
    }

    #[test]
    fn effort_strict_files_and_audio_in_openais_form() {
        let mut r = agent_turn();
        r.reasoning_effort = Some(ReasoningEffort::Xhigh);
        r.tools = vec![ToolDef { name: "f".into(), parameters: "{}".into(), strict: Some(true), ..ToolDef::default() }];
        r.messages[0].parts = vec![
            ContentPart::File {
                data: Some("data:application/pdf;base64,JVBERi0=".into()),
                file_id: None,
                filename: Some("a.pdf".into()),
            },
            ContentPart::File { data: None, file_id: Some("file-abc".into()), filename: None },
            ContentPart::InputAudio { data: "UklGRg==".into(), format: "wav".into() },
        ];
        let b = body(&r, Profile::Openai);
        assert_eq!(b["reasoning_effort"], "xhigh");
        assert_eq!(b["tools"][0]["function"]["strict"], true);
        assert_eq!(
            b["messages"][0]["content"],
            json!([{"type": "text", "text": "Hi"},
                   {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.pdf"}},
                   {"type": "file", "file": {"file_id": "file-abc"}},
                   {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}}])
        );
        r.tools[0].strict = None;
        r.reasoning_effort = None;
        let b = body(&r, Profile::Openai);
        assert!(b.get("reasoning_effort").is_none() && b["tools"][0]["function"].get("strict").is_none());
    }
}
