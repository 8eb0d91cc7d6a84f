//! Reading answers: finish reasons, usage, content, tool calls, reasoning, the model.

use crate::support::{env, provider_error};
use litellm_host::{ProviderError, StopReason, Usage};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_finish_reason() {
    let env = env().await;
    for (model, expected) in [
        ("mock/echo", StopReason::EndTurn),
        ("mock/finish-length", StopReason::MaxTokens),
        ("mock/finish-content-filter", StopReason::ContentFilter),
        ("mock/finish-function-call", StopReason::ToolUse),
        ("mock/finish-tool-calls", StopReason::ToolUse),
        ("mock/finish-stop-sequence", StopReason::StopSequence),
        ("mock/finish-unknown", StopReason::EndTurn),
        ("mock/finish-null", StopReason::EndTurn),
    ] {
        let answer = env.generate(&format!("litellm:{model}")).await.unwrap();
        assert_eq!(answer.stop_reason, expected, "{model}");
        assert_eq!(answer.content, "You said: Hello there", "{model}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_model_and_missing_fields() {
    let env = env().await;
    let answer = env.generate("litellm:gpt-4o").await.unwrap();
    assert_eq!(answer.usage, Some(Usage::new(2, 4)));
    assert_eq!(answer.model, "gpt-4o", "the response's model, as the endpoint named it");
    for model in ["mock/no-usage", "mock/null-usage"] {
        let answer = env.generate(&format!("litellm:{model}")).await.unwrap();
        assert_eq!(answer.usage, None, "{model}");
        assert_eq!(answer.content, "You said: Hello there");
    }
    let answer = env.generate("litellm:mock/null-content").await.unwrap();
    assert_eq!(answer.content, "");
    let e = provider_error(env.generate("litellm:mock/no-choices").await);
    assert!(matches!(e, ProviderError::MalformedResponse(ref m) if m.contains("no choices")), "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_calls_and_reasoning() {
    let env = env().await;
    let answer = env.generate("litellm:mock/tool-calls-parallel").await.unwrap();
    assert_eq!(answer.stop_reason, StopReason::ToolUse);
    let calls: Vec<_> =
        answer.tool_calls.iter().map(|c| (c.id.as_str(), c.name.as_str(), c.arguments.as_str())).collect();
    assert_eq!(
        calls,
        vec![("call_1", "get_weather", r#"{"city":"Paris"}"#), ("call_2", "get_weather", r#"{"city":"Rome"}"#)]
    );
    for model in ["mock/reasoning", "mock/reasoning-field"] {
        let answer = env.generate(&format!("litellm:{model}")).await.unwrap();
        assert_eq!(answer.reasoning.as_deref(), Some("Let me think."), "{model}");
        assert_eq!(answer.content, "You said: Hello there");
    }
    assert_eq!(env.generate("litellm:m").await.unwrap().reasoning, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_answers_are_read_whole() {
    let env = env().await;
    assert_eq!(env.generate("litellm:mock/big-1kb").await.unwrap().content.len(), 1024);
    assert_eq!(env.generate("litellm:mock/big-1mb").await.unwrap().content.len(), 1 << 20);
}
