//! What goes on the wire: path, method, headers, the model, system, tools, tool turns, optionals.

use crate::support::{env, host};
use litellm_host::{Config, Message, Request, Role, Tenant, ToolCall, ToolDef};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_method_headers_and_stripped_model_with_a_key() {
    let env = env().await;
    let config = env.config().api_key("sk-wire");
    let answer = env.call(config, Request::user("litellm:gpt-4o", "Hi")).await.unwrap();
    assert_eq!(answer.content, "You said: Hi");
    let requests = env.mock.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v1/chat/completions"));
    assert_eq!(r.header("authorization"), Some("Bearer sk-wire"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("content-length"), Some(r.raw_body.len().to_string().as_str()));
    // Only the fields that were set: strict servers reject nulls and unknown fields.
    assert_eq!(r.body, json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_authorization_header_without_a_key() {
    let env = env().await;
    env.generate("litellm:m").await.unwrap();
    // An explicit empty key wins over the tenant's environment.
    let tenant = env.tenant.clone().env("LITELLM_API_KEY", "sk-env");
    let config = env.config().api_key("");
    host().generate(&tenant, config, Request::user("litellm:m", "x")).await.unwrap();
    for r in env.mock.requests() {
        assert_eq!(r.header("authorization"), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_supplies_base_url_and_key() {
    let env = env().await;
    let tenant = Tenant::new("env-only")
        .allow_origin(&env.mock.base_url())
        .env("LITELLM_BASE_URL", format!("{}/v1/", env.mock.base_url()))
        .env("LITELLM_API_KEY", "sk-from-env");
    let answer = host().generate(&tenant, Config::default(), Request::user("litellm:m", "env")).await.unwrap();
    assert_eq!(answer.content, "You said: env");
    let r = &env.mock.requests()[0];
    assert_eq!(r.path, "/v1/chat/completions", "a trailing /v1/ on the base URL is not doubled");
    assert_eq!(r.header("authorization"), Some("Bearer sk-from-env"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn system_first_tools_and_sampling_fields() {
    let env = env().await;
    let mut request = Request::user("litellm:gpt-4o", "Weather in Paris?");
    request.system = Some("Be brief.".into());
    request.max_tokens = Some(64);
    request.temperature = Some(0.25);
    let parameters = r#"{"type":"object","properties":{"city":{"type":"string"}}}"#;
    request.tools =
        vec![ToolDef { description: Some("Current weather".into()), ..ToolDef::function("get_weather", parameters) }];
    env.call(env.config(), request).await.unwrap();
    let body = &env.mock.requests()[0].body;
    assert_eq!(body["messages"][0], json!({"role": "system", "content": "Be brief."}));
    assert_eq!(body["messages"][1], json!({"role": "user", "content": "Weather in Paris?"}));
    assert_eq!(
        body["tools"],
        json!([{"type": "function", "function": {"name": "get_weather", "description": "Current weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}])
    );
    assert_eq!(body["max_tokens"], 64);
    assert_eq!(body["temperature"], 0.25);
    assert!(body.get("stream").is_none() && body.get("stream_options").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_conversation_round_trips() {
    let env = env().await;
    let tool = ToolDef::function("lookup", r#"{"type":"object"}"#);
    let mut first = Request::user("litellm:mock/tool-call", "Weather?");
    first.tools = vec![tool.clone()];
    let answer = env.call(env.config(), first.clone()).await.unwrap();
    assert_eq!(answer.tool_calls.len(), 1);
    let call: ToolCall = answer.tool_calls[0].clone();
    assert_eq!(call.name, "lookup");

    let mut second = first;
    second.model = "litellm:gpt-4o".into();
    second.messages.push(Message { tool_calls: vec![call.clone()], ..Message::text(Role::Assistant, "") });
    second.messages.push(Message { tool_call_id: Some(call.id.clone()), ..Message::text(Role::Tool, "18 C, sunny") });
    second.messages.push(Message::text(Role::Tool, "a result without an id"));
    env.call(env.config(), second).await.unwrap();
    let messages = &env.mock.requests()[1].body["messages"];
    assert_eq!(
        messages[1],
        json!({"role": "assistant", "tool_calls": [{"id": call.id, "type": "function",
            "function": {"name": "lookup", "arguments": call.arguments}}]})
    );
    assert_eq!(messages[2], json!({"role": "tool", "content": "18 C, sunny", "tool_call_id": call.id}));
    assert_eq!(messages[3], json!({"role": "user", "content": "a result without an id"}), "the seed's fallback");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_requests_never_reach_the_network() {
    let env = env().await;
    let mut no_messages = Request::user("litellm:m", "x");
    no_messages.messages.clear();
    let mut bad_tool = Request::user("litellm:m", "x");
    bad_tool.tools = vec![ToolDef::function("t", "[]")];
    let mut hot = Request::user("litellm:m", "x");
    hot.temperature = Some(9.0);
    for request in [no_messages, bad_tool, hot, Request::user("litellm:", "x")] {
        let e = crate::support::provider_error(env.call(env.config(), request).await);
        assert!(matches!(e, litellm_host::ProviderError::InvalidRequest(_)), "{e:?}");
    }
    assert!(env.mock.requests().is_empty());
}
