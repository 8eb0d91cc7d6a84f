//! Unit tests of the Messages conversions, natively.

use super::*;
use litellm_client::{
    ContentPart, ReasoningEffort, Response, Role, StopReason, StreamEnd, StreamEvent, ToolCall, ToolChoice, Usage,
};
use serde_json::{json, Value};

fn call(body: Value) -> MessagesCall {
    messages_call(body.to_string().as_bytes(), &[]).unwrap_or_else(|e| panic!("{body}: {e}"))
}

/// A body of the shape Claude Code sends after its Bash tool ran, trimmed.
fn claude_like() -> Value {
    json!({
        "model": "mock/agent",
        "max_tokens": 32000,
        "system": [{"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}},
                   {"type": "text", "text": "Be careful."}],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Run it", "cache_control": {"type": "ephemeral"}},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}]},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "I will run it.", "signature": "sig"},
                {"type": "redacted_thinking", "data": "xyz"},
                {"type": "text", "text": "Running."},
                {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "ls"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "a.txt"}]},
                {"type": "text", "text": "and now?"}]},
            {"role": "system", "content": [{"type": "text", "text": "# Environment", "cache_control": {"type": "ephemeral"}}],
             "output_config": {"effort": "medium"}}
        ],
        "tools": [
            {"name": "Bash", "description": "Runs bash", "cache_control": {"type": "ephemeral"},
             "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}},
            {"type": "web_search_20250305", "name": "web_search"}
        ],
        "tool_choice": {"type": "any", "disable_parallel_tool_use": true},
        "thinking": {"type": "enabled", "budget_tokens": 10000},
        "metadata": {"user_id": "user_abc"},
        "stop_sequences": ["\n\nHuman:"],
        "temperature": 1,
        "stream": true,
        "context_management": {"edits": []}
    })
}

#[test]
fn a_claude_code_turn_maps_to_the_contract_and_names_what_it_left_out() {
    let call = call(claude_like());
    let request = &call.request;
    assert!(call.stream);
    let roles: Vec<Role> = request.messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [Role::System, Role::User, Role::Assistant, Role::Tool, Role::User, Role::System],
        "{:#?}",
        request.messages
    );
    assert_eq!(request.messages[0].content, "You are Claude Code.\nBe careful.");
    assert!(matches!(&request.messages[1].parts[..], [ContentPart::Image(i)] if i.url == "data:image/png;base64,AAAA"));
    let assistant = &request.messages[2];
    assert_eq!((assistant.content.as_str(), assistant.reasoning.as_deref()), ("Running.", Some("I will run it.")));
    assert_eq!(assistant.tool_calls[0].arguments, r#"{"command":"ls"}"#);
    assert_eq!(
        (request.messages[3].tool_call_id.as_deref(), request.messages[3].content.as_str()),
        (Some("toolu_1"), "a.txt")
    );
    assert_eq!(request.messages[4].content, "and now?");
    assert_eq!(request.tools.len(), 1);
    assert!(request.tools[0].parameters.contains("\"required\""));
    assert_eq!((request.tool_choice.clone(), request.parallel_tool_calls), (Some(ToolChoice::Required), Some(false)));
    assert_eq!(request.reasoning_effort, Some(ReasoningEffort::Medium));
    assert_eq!((request.max_tokens, request.user.as_deref()), (Some(32000), Some("user_abc")));
    assert_eq!(request.stop, ["\n\nHuman:"]);
    assert_eq!(
        call.left_out,
        ["context_management", "redacted_thinking", "messages:output_config", "tools:web_search_20250305"]
    );
}

#[test]
fn thinking_budgets_and_tool_choices() {
    let effort =
        |thinking: Value| call(json!({"model": "m", "messages": [], "thinking": thinking})).request.reasoning_effort;
    assert_eq!(effort(json!({"type": "enabled", "budget_tokens": 1024})), Some(ReasoningEffort::Low));
    assert_eq!(effort(json!({"type": "enabled", "budget_tokens": 32000})), Some(ReasoningEffort::High));
    assert_eq!(effort(json!({"type": "adaptive"})), Some(ReasoningEffort::Medium));
    assert_eq!(effort(json!({"type": "disabled"})), None);
    let adaptive = call(
        json!({"model": "m", "messages": [], "thinking": {"type": "adaptive"}, "output_config": {"effort": "high"}}),
    );
    assert_eq!(adaptive.request.reasoning_effort, Some(ReasoningEffort::High));
    let choice = |choice: Value| call(json!({"model": "m", "messages": [], "tool_choice": choice})).request.tool_choice;
    assert_eq!(choice(json!({"type": "tool", "name": "Bash"})), Some(ToolChoice::Named("Bash".into())));
    assert_eq!(choice(json!({"type": "none"})), Some(ToolChoice::None));
    let errored = call(json!({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "t", "content": "boom", "is_error": true}]}]}));
    assert_eq!(errored.request.messages[0].content, "Error: boom");
    let refused = |body: Value| messages_call(body.to_string().as_bytes(), &[]).expect_err("refused");
    assert_eq!(
        refused(json!({"model": "m", "messages": [], "thinking": {"type": "enabled"}})).param.as_deref(),
        Some("thinking")
    );
    assert_eq!(refused(json!({"model": "m"})).param.as_deref(), Some("messages"));
    assert_eq!(refused(json!({"model": "m", "messages": [], "nope": 1})).param.as_deref(), Some("nope"));
    let e = refused(json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "document"}]}]}));
    assert!(e.message.starts_with("messages[0]: ") && e.message.contains("document"), "{e}");
    assert!(refused(json!({"model": "m", "messages": [], "tools": [{"name": "x"}]})).message.contains("input_schema"));
}

fn usage() -> Usage {
    Usage { cached_input_tokens: Some(5), cache_write_input_tokens: Some(1), ..Usage::new(9, 4) }
}

#[test]
fn a_whole_answer_is_a_message_with_blocks_and_anthropic_usage() {
    let answer = Response {
        content: "Hi".into(),
        tool_calls: vec![
            ToolCall { id: "call_1".into(), name: "Bash".into(), arguments: r#"{"command":"ls"}"#.into() },
            ToolCall { id: "call_2".into(), name: "Bash".into(), arguments: "not json".into() },
        ],
        usage: Some(usage()),
        model: "answered".into(),
        stop_reason: StopReason::ToolUse,
        reasoning: Some("Hmm".into()),
        refusal: None,
    };
    let value = message(&answer, "msg_1");
    let kinds: Vec<&str> = value["content"].as_array().unwrap().iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["thinking", "text", "tool_use", "tool_use"]);
    assert_eq!(value["content"][2]["input"], json!({"command": "ls"}));
    assert_eq!(value["content"][3]["input"], json!({}));
    assert_eq!(value["stop_reason"], "tool_use");
    assert_eq!(
        value["usage"],
        json!({"input_tokens": 3, "cache_creation_input_tokens": 1, "cache_read_input_tokens": 5, "output_tokens": 4})
    );
}

#[test]
fn a_stream_is_anthropics_event_sequence() {
    let mut events = MessageEvents::new("msg_1", "asked");
    let mut all = events.start();
    for event in [
        StreamEvent::Reasoning("Let me think.".into()),
        StreamEvent::Text("Hel".into()),
        StreamEvent::Text("lo".into()),
        StreamEvent::ToolCall(ToolCall {
            id: "call_1".into(),
            name: "Bash".into(),
            arguments: r#"{"command":"ls"}"#.into(),
        }),
        StreamEvent::Finish(StreamEnd { stop_reason: StopReason::ToolUse, usage: Some(usage()), model: "m".into() }),
    ] {
        all.extend(events.event(&event));
    }
    let names: Vec<&str> = all.iter().map(|event| event["type"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "message_start",
            "ping",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop",
        ]
    );
    let index = |i: usize| all[i]["index"].as_u64().unwrap();
    assert_eq!([index(2), index(5), index(9), index(11)], [0, 1, 2, 2]);
    assert_eq!(all[3]["delta"], json!({"type": "thinking_delta", "thinking": "Let me think."}));
    assert_eq!(all[10]["delta"], json!({"type": "input_json_delta", "partial_json": r#"{"command":"ls"}"#}));
    assert_eq!(all[12]["delta"]["stop_reason"], "tool_use");
    assert_eq!(all[12]["usage"]["cache_read_input_tokens"], 5);
}

#[test]
fn errors_take_anthropics_shape_and_count_tokens_estimates() {
    let reply = crate::openai::gateway_error(401, "missing key", "invalid_request_error", "invalid_api_key");
    assert_eq!(
        error_body(&reply),
        json!({"type": "error", "error": {"type": "authentication_error", "message": "missing key"}})
    );
    assert_eq!(error_type(429), "rate_limit_error");
    assert_eq!(error_type(404), "not_found_error");
    assert_eq!(error_type(502), "api_error");
    let body = json!({"model": "m", "system": "abcd", "messages": [{"role": "user", "content": "12345678"}]});
    // 4 + 8 bytes of text → 3 tokens, plus 4 for each of the two messages (system, user).
    assert_eq!(count_tokens(body.to_string().as_bytes()).unwrap(), json!({"input_tokens": 11}));
    assert!(count_tokens(b"{}").is_err());
}
