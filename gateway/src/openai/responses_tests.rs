//! Unit tests of the Responses conversions, natively.

use super::*;
use litellm_client::{
    ContentPart, ReasoningEffort, Response, ResponseFormat, Role, StopReason, StreamEnd, StreamEvent, ToolCall,
    ToolChoice, Usage,
};
use serde_json::{json, Map, Value};

fn call(body: Value) -> ResponsesCall {
    responses_call(body.to_string().as_bytes(), &[]).unwrap_or_else(|e| panic!("{body}: {e}"))
}

/// A body of the shape Codex CLI sends on its second call (after a shell call), trimmed.
fn codex_like() -> Value {
    json!({
        "model": "mock/agent",
        "instructions": "You are Codex.",
        "input": [
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "<permissions>"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Run it"},
                {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "low"}]},
            {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "I should run it."}],
             "encrypted_content": "gAAAA"},
            {"type": "function_call", "call_id": "call_1", "name": "shell", "arguments": "{\"command\":[\"ls\"]}"},
            {"type": "function_call", "call_id": "call_2", "name": "shell", "arguments": "{\"command\":[\"pwd\"]}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "a.txt"},
            {"type": "function_call_output", "call_id": "call_2", "output": [{"type": "input_text", "text": "/tmp"}]},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Done."}]},
            {"type": "item_reference", "id": "msg_0"}
        ],
        "tools": [
            {"type": "function", "name": "shell", "description": "Runs a command", "strict": false,
             "parameters": {"type": "object", "properties": {"command": {"type": "array", "items": {"type": "string"}}}}},
            {"type": "custom", "name": "apply_patch", "format": {"type": "grammar"}},
            {"type": "web_search"}
        ],
        "tool_choice": "auto",
        "parallel_tool_calls": false,
        "reasoning": {"effort": "high", "summary": "auto"},
        "store": false,
        "stream": true,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "conversation-1",
        "client_metadata": {"x": "y"},
        "text": {"verbosity": "low"},
        "max_output_tokens": 256
    })
}

#[test]
fn a_codex_turn_maps_to_the_contract_and_names_what_it_left_out() {
    let call = call(codex_like());
    let request = &call.request;
    assert!(call.stream);
    let roles: Vec<Role> = request.messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [Role::System, Role::System, Role::User, Role::Assistant, Role::Tool, Role::Tool, Role::Assistant],
        "{:#?}",
        request.messages
    );
    assert_eq!(request.messages[0].content, "You are Codex.");
    assert_eq!(request.messages[2].content, "Run it");
    assert!(matches!(&request.messages[2].parts[..], [ContentPart::Image(i)] if i.detail.as_deref() == Some("low")));
    let calls = &request.messages[3];
    assert_eq!(calls.tool_calls.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["call_1", "call_2"]);
    assert_eq!(calls.reasoning.as_deref(), Some("I should run it."), "the reasoning item goes with its turn");
    assert_eq!(request.messages[4].tool_call_id.as_deref(), Some("call_1"));
    assert_eq!(request.messages[5].content, "/tmp");
    assert_eq!(request.messages[6].content, "Done.");
    assert_eq!(request.tools.len(), 1, "only function tools reach the upstream");
    assert_eq!(request.tools[0].strict, Some(false));
    assert_eq!(request.tool_choice, Some(ToolChoice::Auto));
    assert_eq!(request.parallel_tool_calls, Some(false));
    assert_eq!(request.reasoning_effort, Some(ReasoningEffort::High));
    assert_eq!(request.max_tokens, Some(256));
    for left in [
        "include",
        "prompt_cache_key",
        "client_metadata",
        "input:reasoning.encrypted_content",
        "input:item_reference",
        "tools:custom",
        "tools:web_search",
        "reasoning.summary",
        "text.verbosity",
    ] {
        assert!(call.left_out.iter().any(|l| l == left), "{left} not in {:?}", call.left_out);
    }
    assert!(!call.left_out.iter().any(|l| l == "store"), "store: false is honoured");
    assert_eq!(call.echo["tools"].as_array().unwrap().len(), 1);
}

#[test]
fn a_string_input_json_schema_and_named_tool_choice() {
    let call = call(json!({
        "model": "gpt-4o", "input": "Hi",
        "text": {"format": {"type": "json_schema", "name": "answer", "strict": true,
                            "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}},
        "tools": [{"type": "function", "name": "f"}],
        "tool_choice": {"type": "function", "name": "f"},
        "store": true,
    }));
    assert_eq!(call.request.messages.len(), 1);
    assert_eq!(call.request.messages[0].role, Role::User);
    match &call.request.response_format {
        Some(ResponseFormat::JsonSchema(s)) => {
            assert_eq!((s.name.as_str(), s.strict), ("answer", Some(true)));
            assert!(s.schema.contains("\"a\""));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(call.request.tool_choice, Some(ToolChoice::Named("f".into())));
    assert_eq!(call.request.tools[0].parameters, r#"{"type":"object","properties":{}}"#);
    assert_eq!(call.left_out, ["store"], "nothing is stored: the log says so");
}

#[test]
fn bodies_a_stateless_gateway_cannot_serve_are_refused_by_name() {
    let refused = |body: Value| responses_call(body.to_string().as_bytes(), &[]).expect_err("refused");
    let e = refused(json!({"model": "m", "input": "x", "previous_response_id": "resp_1"}));
    assert_eq!(e.param.as_deref(), Some("previous_response_id"));
    assert!(e.message.contains("stores no responses"), "{e}");
    let e = refused(json!({"model": "m", "input": "x", "frobnicate": 1}));
    assert_eq!(
        (e.param.as_deref(), e.message.as_str()),
        (Some("frobnicate"), "Unrecognized request argument supplied: frobnicate")
    );
    assert_eq!(refused(json!({"model": "m"})).param.as_deref(), Some("input"));
    let e = refused(json!({"model": "m", "input": [{"type": "function_call", "name": "f"}]}));
    assert!(e.message.starts_with("input[0]: ") && e.message.contains("call_id"), "{e}");
    let e = refused(json!({"model": "m", "input": "x", "reasoning": {"effort": "huge"}}));
    assert_eq!(e.param.as_deref(), Some("reasoning"));
    let e = refused(
        json!({"model": "m", "input": [{"role": "user", "content": [{"type": "input_file", "file_id": "f"}]}]}),
    );
    assert!(e.message.contains("input_file"), "{e}");
    assert!(responses_call(b"[]", &[]).is_err());
    assert!(responses_call(b"{\"model\":", &[]).is_err());
}

fn usage() -> Usage {
    Usage { cached_input_tokens: Some(5), reasoning_tokens: Some(2), ..Usage::new(9, 4) }
}

#[test]
fn a_whole_answer_is_a_response_with_its_items_and_usage() {
    let answer = Response {
        content: "Hello".into(),
        tool_calls: vec![ToolCall { id: "call_9".into(), name: "shell".into(), arguments: "{}".into() }],
        usage: Some(usage()),
        model: "answered".into(),
        stop_reason: StopReason::ToolUse,
        reasoning: Some("Hmm".into()),
        refusal: None,
    };
    let mut echo = Map::new();
    echo.insert("instructions".into(), json!("Be brief"));
    let value = response(&answer, &ResponseIds::new("abc"), 7, &echo);
    assert_eq!((value["id"].as_str(), value["object"].as_str()), (Some("resp_abc"), Some("response")));
    assert_eq!(value["status"], "completed");
    assert_eq!(value["instructions"], "Be brief");
    let kinds: Vec<&str> = value["output"].as_array().unwrap().iter().map(|i| i["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["reasoning", "message", "function_call"]);
    assert_eq!(value["output"][1]["content"][0]["text"], "Hello");
    assert_eq!(value["output"][2]["call_id"], "call_9");
    assert_eq!(value["usage"]["input_tokens_details"]["cached_tokens"], 5);
    assert_eq!(value["usage"]["output_tokens_details"]["reasoning_tokens"], 2);
    assert_eq!(value["usage"]["total_tokens"], 13);
    let cut = Response { stop_reason: StopReason::MaxTokens, tool_calls: vec![], reasoning: None, ..answer };
    let value = response(&cut, &ResponseIds::new("abc"), 7, &Map::new());
    assert_eq!(
        (value["status"].as_str(), &value["incomplete_details"]),
        (Some("incomplete"), &json!({"reason": "max_output_tokens"}))
    );
}

#[test]
fn a_stream_is_the_full_responses_event_sequence() {
    let mut events = ResponseEvents::new(ResponseIds::new("s"), 1, "asked", Map::new());
    let mut all = events.start();
    for event in [
        StreamEvent::Reasoning("Let me ".into()),
        StreamEvent::Reasoning("think.".into()),
        StreamEvent::Text("Hel".into()),
        StreamEvent::Text("lo".into()),
        StreamEvent::ToolCall(ToolCall { id: "call_1".into(), name: "shell".into(), arguments: "{\"a\":1}".into() }),
        StreamEvent::Finish(StreamEnd {
            stop_reason: StopReason::ToolUse,
            usage: Some(usage()),
            model: "answered".into(),
        }),
    ] {
        all.extend(events.event_of(&event));
    }
    let kinds: Vec<&str> = all.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.reasoning_summary_part.added",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.done",
            "response.reasoning_summary_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    let numbers: Vec<u64> = all.iter().map(|e| e["sequence_number"].as_u64().unwrap()).collect();
    assert_eq!(numbers, (0..all.len() as u64).collect::<Vec<_>>());
    assert_eq!(all[6]["text"], "Let me think.");
    assert_eq!(all[13]["text"], "Hello");
    assert_eq!((all[11]["output_index"].as_u64(), all[17]["output_index"].as_u64()), (Some(1), Some(2)));
    let done = &all[20]["response"];
    assert_eq!((done["status"].as_str(), done["model"].as_str()), (Some("completed"), Some("answered")));
    assert_eq!(done["output"].as_array().unwrap().len(), 3);
    assert_eq!(done["output"][2]["arguments"], "{\"a\":1}");
    assert_eq!(done["usage"]["input_tokens_details"]["cached_tokens"], 5);
    let failed = events.failed("rate_limit_exceeded", "slow down");
    assert_eq!(
        (failed["type"].as_str(), failed["response"]["status"].as_str()),
        (Some("response.failed"), Some("failed"))
    );
    assert_eq!(failed["response"]["error"]["code"], "rate_limit_exceeded");
    assert_eq!(failed["sequence_number"], 21);
}

#[test]
fn a_refusal_streams_as_a_refusal_part() {
    let mut events = ResponseEvents::new(ResponseIds::new("r"), 1, "m", Map::new());
    let out = events.event_of(&StreamEvent::Refusal("No.".into()));
    let kinds: Vec<&str> = out.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds[2..4], ["response.refusal.delta", "response.refusal.done"]);
    assert_eq!(out.last().unwrap()["item"]["content"][0], json!({"type": "refusal", "refusal": "No."}));
    let end = StreamEnd { stop_reason: StopReason::ContentFilter, usage: None, model: "m".into() };
    let last = events.event_of(&StreamEvent::Finish(end));
    assert_eq!(last[0]["type"], "response.incomplete");
    assert_eq!(last[0]["response"]["usage"], Value::Null);
}
