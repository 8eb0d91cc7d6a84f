//! The mapping's and the provider's unit tests.

use super::*;
use crate::mapping::tool_call;
use devsper_core::{LlmMessage, LlmRole, StopReason};
use litellm_host::{Response, Role, ToolCall};
use serde_json::{json, Value};

fn call(arguments: &str) -> ToolCall {
    ToolCall { id: "call_1".into(), name: "f".into(), arguments: arguments.into() }
}

#[test]
fn arguments_are_parsed_and_non_json_is_kept_as_text() {
    assert_eq!(tool_call(call(r#"{"city":"Paris"}"#)).arguments, json!({"city": "Paris"}));
    assert_eq!(tool_call(call("{\"city\": ")).arguments, json!("{\"city\": "));
    assert_eq!(tool_call(call("")).arguments, json!(""));
    assert_eq!(tool_call(call("42")).arguments, json!(42));
}

#[test]
fn every_role_and_field_has_a_place() {
    let roles = [LlmRole::System, LlmRole::User, LlmRole::Assistant, LlmRole::Tool];
    let request = to_contract(LlmRequest {
        model: "litellm:gpt-4o".into(),
        messages: roles.into_iter().map(|role| LlmMessage { role, content: "x".into() }).collect(),
        tools: vec![
            devsper_core::ToolDef {
                name: "get_weather".into(),
                description: "The weather".into(),
                parameters: json!({"type": "object", "properties": {"city": {"type": "string"}}}),
            },
            devsper_core::ToolDef { name: "now".into(), description: String::new(), parameters: Value::Null },
        ],
        max_tokens: Some(7),
        temperature: Some(0.5),
        system: Some("Be brief.".into()),
    });
    let roles: Vec<Role> = request.messages.iter().map(|m| m.role).collect();
    assert_eq!(roles, [Role::System, Role::User, Role::Assistant, Role::Tool]);
    assert!(request.messages.iter().all(|m| m.tool_call_id.is_none() && m.tool_calls.is_empty()));
    assert_eq!(request.model, "litellm:gpt-4o");
    assert_eq!((request.max_tokens, request.temperature), (Some(7), Some(0.5)));
    assert_eq!(request.system.as_deref(), Some("Be brief."));
    assert_eq!(request.tools[0].description.as_deref(), Some("The weather"));
    let schema: Value = serde_json::from_str(&request.tools[0].parameters).unwrap();
    assert_eq!(schema["properties"]["city"]["type"], "string");
    assert_eq!(request.tools[1].description, None);
    assert_eq!(request.tools[1].parameters, r#"{"properties":{},"type":"object"}"#);
}

#[test]
fn response_mapping_usage_refusal_and_stop_reasons() {
    let response = from_contract(Response {
        content: "hi".into(),
        tool_calls: vec![call(r#"{"a":1}"#)],
        usage: None,
        model: "gpt-4o".into(),
        stop_reason: litellm_host::StopReason::ToolUse,
        reasoning: Some("hidden".into()),
        refusal: None,
    });
    assert_eq!((response.input_tokens, response.output_tokens), (0, 0));
    assert_eq!(response.tool_calls[0].arguments, json!({"a": 1}));
    assert!(matches!(response.stop_reason, StopReason::ToolUse));
    let refused = |content: &str| Response {
        content: content.into(),
        tool_calls: vec![],
        usage: None,
        model: "gpt-4o".into(),
        stop_reason: litellm_host::StopReason::EndTurn,
        reasoning: None,
        refusal: Some("I can't help with that.".into()),
    };
    assert_eq!(from_contract(refused("")).content, "I can't help with that.");
    assert_eq!(from_contract(refused("Partial")).content, "Partial");
    use litellm_host::StopReason as C;
    let mapped = [C::EndTurn, C::ToolUse, C::MaxTokens, C::StopSequence, C::ContentFilter].map(stop_reason);
    assert!(matches!(
        mapped,
        [
            StopReason::EndTurn,
            StopReason::ToolUse,
            StopReason::MaxTokens,
            StopReason::StopSequence,
            StopReason::EndTurn
        ]
    ));
}

#[test]
fn new_sends_the_key_only_when_not_empty_and_allows_only_its_origin() {
    let with_key = WasmLiteLlmProvider::new("http://127.0.0.1:4000", "sk-test-1");
    assert_eq!(with_key.config().api_key.as_ref().map(|k| k.expose()), Some("sk-test-1"));
    assert_eq!(with_key.config().base_url.as_deref(), Some("http://127.0.0.1:4000"));
    assert!(!format!("{with_key:?}").contains("sk-test-1"));
    let without = WasmLiteLlmProvider::new("http://127.0.0.1:4000", "");
    assert_eq!(without.config().api_key, None);
    assert_eq!(without.name(), "litellm");
    assert!(without.supports_model("litellm:gpt-4o"));
    assert!(!without.supports_model("gpt-4o"));
}

#[tokio::test]
async fn a_host_that_could_not_start_is_every_generate_s_error() {
    let failure = anyhow::anyhow!("no such file").context("loading the component");
    let provider = WasmLiteLlmProvider {
        calls: Err(HostUnavailable(Arc::new(failure))),
        tenant: Tenant::new("t"),
        config: Config::default(),
    };
    for _ in 0..2 {
        let request = LlmRequest {
            model: "litellm:gpt-4o".into(),
            messages: vec![LlmMessage { role: LlmRole::User, content: "hi".into() }],
            tools: vec![],
            max_tokens: None,
            temperature: None,
            system: None,
        };
        let err = provider.generate(request).await.unwrap_err();
        assert!(err.downcast_ref::<HostUnavailable>().is_some());
        assert_eq!(
            err.to_string(),
            "the litellm-host sandbox could not be started: loading the component: no such file"
        );
        assert_eq!(err.root_cause().to_string(), "no such file");
    }
}
