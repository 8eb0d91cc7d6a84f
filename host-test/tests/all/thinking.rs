//! The 2026 wire through the component: the token cap's field per profile against a server that
//! rejects `max_tokens` as OpenAI does, reasoning passback against one that rejects a missing
//! `reasoning_content` as DeepSeek does, the cached and reasoning token counts in answers,
//! streams and spans, and the new request fields on the wire.

use crate::support::{api_error, collect, env, finish, host, provider_error};
use litellm_host::{
    Config, ContentPart, FilePart, InputAudio, Message, Profile, ProviderError, ReasoningEffort, Request, Role,
    StopReason, Tenant, TokenLimitField, ToolDef, Usage,
};
use litellm_mock::DEEPSEEK_REASONING;
use serde_json::json;

fn with_profile(env: &crate::support::Env, profile: Profile) -> Config {
    env.config().profile(profile)
}

fn capped(model: &str) -> Request {
    Request { max_tokens: Some(16), ..Request::user(model, "Think hard") }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_cap_reaches_an_openai_reasoning_model_on_the_openai_profile() {
    let env = env().await;
    let model = "litellm:mock/openai-reasoning";
    // Before 0.3.0 every profile sent `max_tokens`; the litellm profile still does.
    let refused = provider_error(env.call(env.config(), capped(model)).await);
    let ProviderError::BadRequest(e) = &refused else { panic!("{refused:?}") };
    assert_eq!((e.status, e.code.as_deref()), (400, Some("unsupported_parameter")));
    assert!(e.message.contains("Use 'max_completion_tokens' instead"), "{}", e.message);

    // (The azure profile sends the same field: a unit test of the guest's says so; a mock
    // scenario's name is no Azure deployment name.)
    let answer = env.call(with_profile(&env, Profile::Openai), capped(model)).await.unwrap();
    assert_eq!(answer.stop_reason, StopReason::EndTurn);
    let usage = answer.usage.unwrap();
    assert_eq!((usage.cached_input_tokens, usage.reasoning_tokens), (Some(usage.input_tokens - 1), Some(7)));
    // The caller may pick the field on any profile.
    let picked = Request { max_tokens_field: Some(TokenLimitField::MaxCompletionTokens), ..capped(model) };
    env.call(env.config(), picked).await.unwrap();
    let bodies: Vec<_> = env.mock.requests().into_iter().map(|r| r.body).collect();
    assert_eq!(bodies.len(), 3);
    assert_eq!((bodies[0].get("max_tokens"), bodies[0].get("max_completion_tokens")), (Some(&json!(16)), None));
    for body in &bodies[1..] {
        assert_eq!((body.get("max_tokens"), body.get("max_completion_tokens")), (None, Some(&json!(16))), "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thinking_models_tool_turn_goes_back_with_its_reasoning() {
    let env = env().await;
    let weather = ToolDef::function("get_weather", r#"{"type":"object","properties":{"city":{"type":"string"}}}"#);
    let mut request = Request { tools: vec![weather], ..Request::user("litellm:mock/deepseek-thinking", "Paris?") };
    let first = env.call(env.config(), request.clone()).await.unwrap();
    assert_eq!((first.stop_reason, first.reasoning.as_deref()), (StopReason::ToolUse, Some(DEEPSEEK_REASONING)));
    let usage = first.usage.unwrap();
    assert_eq!(usage.cached_input_tokens, Some(usage.input_tokens - 1), "DeepSeek's prompt_cache_hit_tokens");
    assert_eq!(usage.reasoning_tokens, Some(7));

    request.messages.push(Message::from_answer(&first));
    let call = &first.tool_calls[0];
    request.messages.push(Message { tool_call_id: Some(call.id.clone()), ..Message::text(Role::Tool, "sunny") });
    let second = env.call(env.config(), request.clone()).await.unwrap();
    assert_eq!(second.stop_reason, StopReason::EndTurn);
    let sent = &env.mock.requests()[1].body["messages"][1];
    assert_eq!(sent["reasoning_content"], DEEPSEEK_REASONING);

    // Without it (as every caller was before 0.3.0), DeepSeek's own refusal.
    let mut stripped = request.clone();
    stripped.messages[1].reasoning = None;
    let e = provider_error(env.call(env.config(), stripped).await);
    assert_eq!(e.kind(), "bad-request");
    let message = &api_error(&e).message;
    assert!(message.starts_with("Missing `reasoning_content` field in the assistant message at message index 1"));
    // The openai profile never sends it back: OpenAI keeps reasoning on its side.
    let e = provider_error(env.call(with_profile(&env, Profile::Openai), request).await);
    assert!(api_error(&e).message.contains("reasoning_content"), "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streams_finish_carries_the_cached_and_reasoning_counts() {
    let env = env().await;
    let (events, error) = collect(&env, with_profile(&env, Profile::Openai), "litellm:mock/openai-reasoning").await;
    assert!(error.is_none(), "{error:?}");
    let usage = finish(&events).usage.unwrap();
    assert_eq!(
        (usage.cached_input_tokens, usage.reasoning_tokens, usage.cache_write_input_tokens),
        (Some(usage.input_tokens - 1), Some(7), None)
    );
    // A server that sends no details: every new count absent, never an invented 0.
    let (events, _) = collect(&env, env.config(), "litellm:gpt-4o").await;
    let usage = finish(&events).usage.unwrap();
    assert_eq!(usage, Usage::new(usage.input_tokens, usage.output_tokens));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn effort_strict_files_and_audio_go_on_the_wire() {
    let env = env().await;
    let mut request = Request::user("litellm:gpt-5.1", "Read this");
    request.reasoning_effort = Some(ReasoningEffort::Xhigh);
    request.tools = vec![ToolDef { strict: Some(true), ..ToolDef::function("f", r#"{"type":"object"}"#) }];
    request.messages[0].parts = vec![
        ContentPart::File(FilePart {
            data: Some("data:application/pdf;base64,JVBERi0=".into()),
            file_id: None,
            filename: Some("a.pdf".into()),
        }),
        ContentPart::InputAudio(InputAudio { data: "UklGRg==".into(), format: "wav".into() }),
    ];
    env.call(env.config(), request.clone()).await.unwrap();
    let body = &env.mock.requests()[0].body;
    assert_eq!(body["reasoning_effort"], "xhigh");
    assert_eq!(body["tools"][0]["function"]["strict"], true);
    assert_eq!(
        body["messages"][0]["content"],
        json!([{"type": "text", "text": "Read this"},
               {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.pdf"}},
               {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}}])
    );
    // A file part must name its content one way: the component says so before any network use.
    request.messages[0].parts = vec![ContentPart::File(FilePart { data: None, file_id: None, filename: None })];
    let e = provider_error(env.call(env.config(), request).await);
    assert!(matches!(&e, ProviderError::InvalidRequest(m) if m.contains("exactly one of data and file-id")), "{e:?}");
    assert_eq!(env.mock.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn litellm_profile_in_the_environment_picks_the_profile() {
    let env = env().await;
    let tenant = Tenant::new("openai-by-env").allow_origin(&env.mock.base_url()).env("LITELLM_PROFILE", "openai");
    host().generate(&tenant, env.config(), capped("litellm:mock/openai-reasoning")).await.unwrap();
    assert_eq!(env.mock.requests()[0].body["max_completion_tokens"], 16);
    let typo = Tenant::new("typo").allow_origin(&env.mock.base_url()).env("LITELLM_PROFILE", "gpt");
    let e = provider_error(host().generate(&typo, env.config(), Request::user("litellm:m", "x")).await);
    assert!(matches!(&e, ProviderError::InvalidRequest(m) if m.contains("LITELLM_PROFILE")), "{e:?}");
}
