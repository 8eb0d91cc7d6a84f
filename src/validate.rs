//! Checking a caller's request before any network use: every problem is an `invalid-request` that
//! names what is wrong.

use crate::domain::{ChatRequest, ContentPart, Error, ResponseFormat, Role, ToolChoice};
use crate::errors::invalid;
use serde_json::{Map, Value};

/// Body fields `extra-body` may not replace: they carry the request's meaning.
const PROTECTED_FIELDS: &[&str] = &["model", "messages", "stream", "stream_options"];

/// A JSON object given as text.
pub fn json_object(text: &str, what: &str) -> Result<Map<String, Value>, Error> {
    match serde_json::from_slice::<Value>(text.as_bytes()) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(invalid(format!("{what} must be a JSON object"))),
        Err(_) => Err(invalid(format!("{what} is not valid JSON"))),
    }
}

/// `range` is spelled out (not formatted from floats, whose formatting code the component would carry).
fn in_range(value: Option<f32>, low: f32, high: f32, name: &str, range: &str) -> Result<(), Error> {
    match value {
        Some(v) if !(low..=high).contains(&v) => Err(invalid(format!("{name} is outside {range}"))),
        _ => Ok(()),
    }
}

/// Checks a chat request; `wire_model` is its model without the prefix.
pub fn chat(request: &ChatRequest, wire_model: &str) -> Result<(), Error> {
    if wire_model.trim().is_empty() {
        return Err(invalid("the model is empty"));
    }
    if request.messages.is_empty() {
        return Err(invalid("there are no messages"));
    }
    in_range(request.temperature, 0.0, 2.0, "temperature", "0 to 2")?;
    in_range(request.top_p, 0.0, 1.0, "top-p", "0 to 1")?;
    in_range(request.presence_penalty, -2.0, 2.0, "presence-penalty", "-2 to 2")?;
    in_range(request.frequency_penalty, -2.0, 2.0, "frequency-penalty", "-2 to 2")?;
    if request.max_tokens == Some(0) {
        return Err(invalid("max-tokens must be greater than 0"));
    }
    if request.stop.len() > 4 || request.stop.iter().any(String::is_empty) {
        return Err(invalid("stop takes 1 to 4 sequences, none empty"));
    }
    for (i, m) in request.messages.iter().enumerate() {
        message(i, m)?;
    }
    for tool in &request.tools {
        if tool.name.is_empty() {
            return Err(invalid("a tool has an empty name"));
        }
        json_object(&tool.parameters, &format!("tool {:?}: parameters", tool.name))?;
    }
    match &request.tool_choice {
        Some(ToolChoice::Required) if request.tools.is_empty() => {
            return Err(invalid("tool-choice required needs tools"));
        }
        Some(ToolChoice::Named(name)) if !request.tools.iter().any(|t| &t.name == name) => {
            return Err(invalid(format!("tool-choice names {name:?}, which is not among the tools")));
        }
        _ => {}
    }
    if let Some(ResponseFormat::JsonSchema { name, schema, .. }) = &request.response_format {
        let name_ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !name_ok {
            return Err(invalid(format!("json-schema name {name:?} must be letters, digits, _ or -")));
        }
        json_object(schema, "json-schema schema")?;
    }
    if let Some(extra) = &request.extra_body {
        let extra = json_object(extra, "extra-body")?;
        if let Some(field) = PROTECTED_FIELDS.iter().find(|f| extra.contains_key(**f)) {
            return Err(invalid(format!("extra-body may not set {field:?}")));
        }
    }
    Ok(())
}

fn message(i: usize, m: &crate::domain::Message) -> Result<(), Error> {
    if !m.tool_calls.is_empty() && m.role != Role::Assistant {
        return Err(invalid(format!("message {i}: only assistant messages carry tool calls")));
    }
    if m.tool_call_id.is_some() && m.role != Role::Tool {
        return Err(invalid(format!("message {i}: only tool messages carry a tool-call-id")));
    }
    if !m.parts.is_empty() && m.role != Role::User {
        return Err(invalid(format!("message {i}: only user messages carry parts")));
    }
    for part in &m.parts {
        let problem = match part {
            ContentPart::Text(_) => None,
            ContentPart::Image { url, .. } => url.trim().is_empty().then_some("an image part has an empty URL"),
            ContentPart::File { data, file_id, .. } => match (data, file_id) {
                (Some(data), None) if !data.starts_with("data:") => Some("a file part's data must be a data: URL"),
                (Some(_), None) => None,
                (None, Some(id)) if id.trim().is_empty() => Some("a file part has an empty file-id"),
                (None, Some(_)) => None,
                _ => Some("a file part needs exactly one of data and file-id"),
            },
            ContentPart::InputAudio { data, format } => {
                (data.is_empty() || format.trim().is_empty()).then_some("an input-audio part needs data and a format")
            }
        };
        if let Some(problem) = problem {
            return Err(invalid(format!("message {i}: {problem}")));
        }
    }
    for call in &m.tool_calls {
        if call.id.is_empty() || call.name.is_empty() {
            return Err(invalid(format!("message {i}: a tool call needs an id and a name")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Message, ToolCall, ToolDef};

    fn request() -> ChatRequest {
        ChatRequest { model: "m".into(), messages: vec![Message::text(Role::User, "Hi")], ..Default::default() }
    }

    fn tool(parameters: &str) -> ToolDef {
        ToolDef { name: "t".into(), parameters: parameters.into(), ..ToolDef::default() }
    }

    #[test]
    fn invalid_requests_are_named() {
        type Mutation = Box<dyn Fn(&mut ChatRequest)>;
        let cases: Vec<(&str, Mutation)> = vec![
            ("no messages", Box::new(|r| r.messages.clear())),
            ("temperature", Box::new(|r| r.temperature = Some(f32::NAN))),
            ("top-p", Box::new(|r| r.top_p = Some(1.5))),
            ("presence-penalty", Box::new(|r| r.presence_penalty = Some(-3.0))),
            ("max-tokens", Box::new(|r| r.max_tokens = Some(0))),
            ("stop", Box::new(|r| r.stop = vec!["a".into(); 5])),
            ("JSON object", Box::new(|r| r.tools = vec![tool("[1]")])),
            ("valid JSON", Box::new(|r| r.tools = vec![tool("{")])),
            (
                "only assistant",
                Box::new(|r| {
                    r.messages[0].tool_calls =
                        vec![ToolCall { id: "a".into(), name: "b".into(), arguments: String::new() }]
                }),
            ),
            ("only tool messages", Box::new(|r| r.messages[0].tool_call_id = Some("x".into()))),
            (
                "only user messages carry parts",
                Box::new(|r| {
                    r.messages[0].role = Role::System;
                    r.messages[0].parts = vec![ContentPart::Text("x".into())];
                }),
            ),
            (
                "empty URL",
                Box::new(|r| r.messages[0].parts = vec![ContentPart::Image { url: " ".into(), detail: None }]),
            ),
            (
                "exactly one of data and file-id",
                Box::new(|r| {
                    let both =
                        ContentPart::File { data: Some("data:,x".into()), file_id: Some("f".into()), filename: None };
                    r.messages[0].parts = vec![both]
                }),
            ),
            (
                "exactly one of data and file-id",
                Box::new(|r| {
                    r.messages[0].parts = vec![ContentPart::File { data: None, file_id: None, filename: None }]
                }),
            ),
            (
                "must be a data: URL",
                Box::new(|r| {
                    let url = ContentPart::File { data: Some("https://x/a.pdf".into()), file_id: None, filename: None };
                    r.messages[0].parts = vec![url]
                }),
            ),
            (
                "needs data and a format",
                Box::new(|r| {
                    r.messages[0].parts = vec![ContentPart::InputAudio { data: "UklGRg==".into(), format: " ".into() }]
                }),
            ),
            ("needs tools", Box::new(|r| r.tool_choice = Some(ToolChoice::Required))),
            (
                "not among the tools",
                Box::new(|r| {
                    r.tools = vec![tool("{}")];
                    r.tool_choice = Some(ToolChoice::Named("other".into()));
                }),
            ),
            (
                "json-schema name",
                Box::new(|r| {
                    r.response_format =
                        Some(ResponseFormat::JsonSchema { name: "a b".into(), schema: "{}".into(), strict: None })
                }),
            ),
            (
                "schema must be",
                Box::new(|r| {
                    r.response_format =
                        Some(ResponseFormat::JsonSchema { name: "a".into(), schema: "1".into(), strict: None })
                }),
            ),
            ("extra-body must be", Box::new(|r| r.extra_body = Some("[]".into()))),
            ("may not set \"model\"", Box::new(|r| r.extra_body = Some(r#"{"model":"x"}"#.into()))),
        ];
        for (expected, mutate) in cases {
            let mut r = request();
            mutate(&mut r);
            match chat(&r, "m") {
                Err(Error::InvalidRequest(msg)) => assert!(msg.contains(expected), "{msg} !~ {expected}"),
                other => panic!("{expected}: {other:?}"),
            }
        }
        assert!(matches!(chat(&request(), " "), Err(Error::InvalidRequest(m)) if m.contains("model")));
        assert!(chat(&request(), "m").is_ok());
    }
}
