//! The gateway under `wasmtime serve` on the 2026 wire: fronting OpenAI itself
//! (`LITELLM_PROFILE=openai`, so a client's `max_tokens` reaches a reasoning model as
//! `max_completion_tokens`), a thinking model's reasoning handed back through it, and the usage
//! details in OpenAI's shape, whole and streamed.

use crate::composition::{http, serve_gateway_with, CLIENT_KEYS};
use litellm_mock::{MockServer, DEEPSEEK_REASONING};
use serde_json::{json, Value};

fn post(port: u16, body: &Value) -> crate::composition::Reply {
    http(port, "POST", "/v1/chat/completions", Some(&body.to_string())).expect("the gateway answers")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the wasmtime CLI: bash peers/setup.sh"]
async fn gateway_fronts_openai_reasoning_models() {
    let mock = MockServer::start().await.expect("the mock starts");
    let (serve, port) = serve_gateway_with(&mock.base_url(), &[CLIENT_KEYS, "LITELLM_PROFILE=openai"]).await;
    let body = json!({"model": "mock/openai-reasoning", "max_tokens": 32, "reasoning_effort": "high",
                      "messages": [{"role": "user", "content": "Think"}]});
    let reply = post(port, &body);
    assert_eq!(reply.status, 200, "{reply:?}\n{}", serve.tail());
    let usage = &reply.json()["usage"];
    let prompt = usage["prompt_tokens"].as_u64().unwrap();
    assert_eq!(usage["prompt_tokens_details"], json!({"cached_tokens": prompt - 1}), "{usage}");
    assert_eq!(usage["completion_tokens_details"], json!({"reasoning_tokens": 7}), "{usage}");
    let sent = &mock.requests()[0].body;
    assert_eq!((sent.get("max_tokens"), &sent["max_completion_tokens"]), (None, &json!(32)), "{sent}");
    assert_eq!(sent["reasoning_effort"], "high");

    // Streamed, with the usage chunk asked for: the details are in it too.
    let mut body = body;
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let reply = post(port, &body);
    assert_eq!(reply.status, 200, "{reply:?}");
    let data: Vec<&str> = reply.body.split("\n\n").filter_map(|e| e.strip_prefix("data: ")).collect();
    let last: Value = serde_json::from_str(data[data.len() - 2]).unwrap();
    assert_eq!(last["usage"]["completion_tokens_details"]["reasoning_tokens"], 7, "{}", reply.body);
    assert!(last["usage"]["prompt_tokens_details"]["cached_tokens"].is_u64(), "{last}");
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the wasmtime CLI: bash peers/setup.sh"]
async fn gateway_hands_a_thinking_models_reasoning_back() {
    let mock = MockServer::start().await.expect("the mock starts");
    let (serve, port) = serve_gateway_with(&mock.base_url(), &[CLIENT_KEYS]).await;
    let tools = json!([{"type": "function", "function": {"name": "get_weather", "strict": true,
                        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]);
    let question = json!({"role": "user", "content": "Weather in Paris?"});
    let first = post(port, &json!({"model": "mock/deepseek-thinking", "messages": [question], "tools": tools}));
    assert_eq!(first.status, 200, "{first:?}\n{}", serve.tail());
    let message = first.json()["choices"][0]["message"].clone();
    assert_eq!(message["reasoning_content"], DEEPSEEK_REASONING, "{message}");
    let usage = first.json()["usage"].clone();
    assert_eq!(usage["prompt_tokens_details"]["cached_tokens"], usage["prompt_tokens"].as_u64().unwrap() - 1);

    // The client sends the turn back as it got it (reasoning_content included): DeepSeek takes it.
    let result = json!({"role": "tool", "tool_call_id": message["tool_calls"][0]["id"], "content": "sunny"});
    let second = json!({"model": "mock/deepseek-thinking", "tools": tools,
                        "messages": [question, message, result], "max_completion_tokens": 64});
    let reply = post(port, &second);
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json()["choices"][0]["finish_reason"], "stop");
    let sent = &mock.requests()[1].body;
    assert_eq!(sent["messages"][1]["reasoning_content"], DEEPSEEK_REASONING, "{sent}");
    assert_eq!(sent["tools"][0]["function"]["strict"], true);
    assert_eq!(sent["max_tokens"], 64, "the litellm profile's field");

    // Without it, DeepSeek's refusal reaches the client with its status and message.
    let mut stripped = second.clone();
    stripped["messages"][1].as_object_mut().unwrap().remove("reasoning_content");
    let reply = post(port, &stripped);
    assert_eq!(reply.status, 400, "{reply:?}");
    let error = reply.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(error.starts_with("Missing `reasoning_content` field"), "{error}");
    drop(serve);
}
