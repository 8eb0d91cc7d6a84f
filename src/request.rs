//! Checking a caller's request and turning it into OpenAI JSON.

use crate::domain::{ChatRequest, Error, Role};
use crate::wire::{
    ChatBody, StreamOptions, WireFunction, WireFunctionCall, WireMessage, WireTool, WireToolCall,
};
use serde_json::Value;

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

fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidRequest(message.into())
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

/// Checks everything that can be checked without the network.
pub fn validate(request: &ChatRequest) -> Result<(), Error> {
    if wire_model(&request.model).trim().is_empty() {
        return Err(invalid("the model is empty"));
    }
    if request.messages.is_empty() {
        return Err(invalid("there are no messages"));
    }
    if let Some(t) = request.temperature {
        if !(0.0..=2.0).contains(&t) {
            return Err(invalid(format!("temperature {t} is outside 0 to 2")));
        }
    }
    if request.max_tokens == Some(0) {
        return Err(invalid("max-tokens must be greater than 0"));
    }
    for (i, m) in request.messages.iter().enumerate() {
        if !m.tool_calls.is_empty() && m.role != Role::Assistant {
            return Err(invalid(format!(
                "message {i}: only assistant messages carry tool calls"
            )));
        }
        if m.tool_call_id.is_some() && m.role != Role::Tool {
            return Err(invalid(format!(
                "message {i}: only tool messages carry a tool-call-id"
            )));
        }
        for call in &m.tool_calls {
            if call.id.is_empty() || call.name.is_empty() {
                return Err(invalid(format!(
                    "message {i}: a tool call needs an id and a name"
                )));
            }
        }
    }
    for tool in &request.tools {
        if tool.name.is_empty() {
            return Err(invalid("a tool has an empty name"));
        }
        parameters(&tool.parameters)
            .map_err(|why| invalid(format!("tool {:?}: parameters {why}", tool.name)))?;
    }
    Ok(())
}

fn parameters(text: &str) -> Result<Value, &'static str> {
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err("must be a JSON object"),
        Err(_) => Err("are not valid JSON"),
    }
}

/// The request body for `/v1/chat/completions`, after `validate`.
pub fn chat_body(request: &ChatRequest, stream: bool) -> Result<Vec<u8>, Error> {
    validate(request)?;
    let system = request.system.as_deref().filter(|s| !s.is_empty());
    let mut messages = Vec::with_capacity(request.messages.len() + usize::from(system.is_some()));
    if let Some(system) = system {
        messages.push(WireMessage {
            role: "system",
            content: Some(system),
            tool_calls: Vec::new(),
            tool_call_id: None,
        });
    }
    for m in &request.messages {
        let tool_calls: Vec<WireToolCall> = m
            .tool_calls
            .iter()
            .map(|c| WireToolCall {
                id: &c.id,
                kind: "function",
                function: WireFunctionCall {
                    name: &c.name,
                    arguments: if c.arguments.is_empty() {
                        "{}"
                    } else {
                        &c.arguments
                    },
                },
            })
            .collect();
        // An assistant turn that only calls tools has no content; strict servers want it absent.
        let content =
            (!m.content.is_empty() || tool_calls.is_empty()).then_some(m.content.as_str());
        messages.push(WireMessage {
            role: role_name(m.role, m.tool_call_id.is_some()),
            content,
            tool_calls,
            tool_call_id: m.tool_call_id.as_deref(),
        });
    }
    let mut tools = Vec::with_capacity(request.tools.len());
    for t in &request.tools {
        tools.push(WireTool {
            kind: "function",
            function: WireFunction {
                name: &t.name,
                description: t.description.as_deref(),
                parameters: parameters(&t.parameters).map_err(invalid)?,
            },
        });
    }
    let body = ChatBody {
        model: wire_model(&request.model),
        messages,
        tools,
        max_tokens: request.max_tokens,
        temperature: request.temperature,
        stream,
        stream_options: stream.then_some(StreamOptions {
            include_usage: true,
        }),
    };
    serde_json::to_vec(&body).map_err(|e| invalid(format!("cannot encode the request: {e}")))
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
        serde_json::from_slice(&chat_body(r, stream).unwrap()).unwrap()
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
            description: None,
            parameters: r#"{"type":"object"}"#.into(),
        }];
        r.messages.push(Message {
            role: Role::Assistant,
            content: String::new(),
            tool_calls: vec![ToolCall {
                id: "c1".into(),
                name: "get_weather".into(),
                arguments: "{}".into(),
            }],
            tool_call_id: None,
        });
        r.messages.push(Message {
            tool_call_id: Some("c1".into()),
            ..Message::text(Role::Tool, "sunny")
        });
        r.messages.push(Message::text(Role::Tool, "orphan"));
        let b = body(&r, true);
        assert_eq!(
            b["messages"][0],
            json!({"role": "system", "content": "Be brief."})
        );
        assert_eq!(
            b["messages"][2],
            json!({"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
                "function": {"name": "get_weather", "arguments": "{}"}}]})
        );
        assert_eq!(
            b["messages"][3],
            json!({"role": "tool", "content": "sunny", "tool_call_id": "c1"})
        );
        assert_eq!(
            b["messages"][4],
            json!({"role": "user", "content": "orphan"})
        );
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
    fn invalid_requests_are_named() {
        type Mutation = Box<dyn Fn(&mut ChatRequest)>;
        let cases: Vec<(&str, Mutation)> = vec![
            ("model", Box::new(|r| r.model = "litellm:".into())),
            ("no messages", Box::new(|r| r.messages.clear())),
            ("temperature", Box::new(|r| r.temperature = Some(f32::NAN))),
            ("max-tokens", Box::new(|r| r.max_tokens = Some(0))),
            (
                "JSON object",
                Box::new(|r| {
                    r.tools = vec![ToolDef {
                        name: "t".into(),
                        description: None,
                        parameters: "[1]".into(),
                    }]
                }),
            ),
            (
                "valid JSON",
                Box::new(|r| {
                    r.tools = vec![ToolDef {
                        name: "t".into(),
                        description: None,
                        parameters: "{".into(),
                    }]
                }),
            ),
            (
                "only assistant",
                Box::new(|r| {
                    r.messages[0].tool_calls = vec![ToolCall {
                        id: "a".into(),
                        name: "b".into(),
                        arguments: String::new(),
                    }]
                }),
            ),
            (
                "only tool messages",
                Box::new(|r| r.messages[0].tool_call_id = Some("x".into())),
            ),
        ];
        for (expected, mutate) in cases {
            let mut r = request();
            mutate(&mut r);
            match chat_body(&r, false) {
                Err(Error::InvalidRequest(msg)) => {
                    assert!(msg.contains(expected), "{msg} !~ {expected}")
                }
                other => panic!("{expected}: {other:?}"),
            }
        }
    }
}
