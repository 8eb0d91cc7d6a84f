//! The strict 2026 servers: OpenAI's reasoning models and DeepSeek's thinking mode.

use serde_json::json;

use super::*;
use crate::DEEPSEEK_REASONING;

#[tokio::test]
async fn openai_reasoning_models_reject_max_tokens_and_report_details() {
    let server = MockServer::start().await.unwrap();
    let mut body = user("mock/openai-reasoning", "hi there");
    body["max_tokens"] = json!(16);
    let reply = chat(&server, body.clone()).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["code"], "unsupported_parameter");
    assert_eq!(reply.json()["error"]["param"], "max_tokens");
    body.as_object_mut().unwrap().remove("max_tokens");
    body["max_completion_tokens"] = json!(16);
    let v = chat(&server, body).await.json();
    let prompt = v["usage"]["prompt_tokens"].as_u64().unwrap();
    assert_eq!(v["usage"]["prompt_tokens_details"]["cached_tokens"], prompt - 1, "all but the last token cached");
    assert_eq!(v["usage"]["completion_tokens_details"]["reasoning_tokens"], 7);
}

#[tokio::test]
async fn deepseek_thinking_wants_its_reasoning_back() {
    let server = MockServer::start().await.unwrap();
    let first = chat(&server, user("mock/deepseek-thinking", "weather in Paris?")).await.json();
    let message = &first["choices"][0]["message"];
    assert_eq!(
        (&message["reasoning_content"], &first["choices"][0]["finish_reason"]),
        (&json!(DEEPSEEK_REASONING), &json!("tool_calls"))
    );
    let prompt = first["usage"]["prompt_tokens"].as_u64().unwrap();
    assert_eq!(
        (&first["usage"]["prompt_cache_hit_tokens"], &first["usage"]["prompt_cache_miss_tokens"]),
        (&json!(prompt - 1), &json!(1))
    );
    let turn = |reasoning: Option<&str>| {
        let mut assistant = json!({"role": "assistant", "content": "", "tool_calls": message["tool_calls"]});
        if let Some(r) = reasoning {
            assistant["reasoning_content"] = json!(r);
        }
        json!({"model": "mock/deepseek-thinking", "messages": [
            {"role": "user", "content": "weather in Paris?"}, assistant,
            {"role": "tool", "tool_call_id": "call_00_mock", "content": "sunny"}]})
    };
    for missing in [None, Some("")] {
        let reply = chat(&server, turn(missing)).await;
        assert_eq!(reply.status, 400, "{missing:?}");
        let message = reply.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(
            message.starts_with("Missing `reasoning_content` field in the assistant message at message index 1."),
            "{message}"
        );
    }
    let second = chat(&server, turn(Some(DEEPSEEK_REASONING))).await.json();
    assert_eq!(second["choices"][0]["finish_reason"], "stop");
    assert_eq!(second["choices"][0]["message"]["reasoning_content"], DEEPSEEK_REASONING);
}
