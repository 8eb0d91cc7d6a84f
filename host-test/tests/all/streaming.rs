//! Streaming through the component: events as they arrive, assembled tool calls, usage, reasoning,
//! framing oddities, errors mid-stream, and no whole-body buffering.

use crate::support::{collect, env, finish, host, provider_error, text};
use litellm_host::{CallError, ProviderError, Request, StopReason, StreamEvent, Usage};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_stream_with_usage() {
    let env = env().await;
    let (events, error) = collect(&env, env.config(), "litellm:gpt-4o").await;
    assert!(error.is_none(), "{error:?}");
    assert!(events.iter().filter(|e| matches!(e, StreamEvent::Text(_))).count() > 1, "one event per delta");
    assert_eq!(text(&events), "You said: Hello there");
    let end = finish(&events);
    assert_eq!(end.stop_reason, StopReason::EndTurn);
    assert_eq!(end.usage, Some(Usage::new(2, 4)));
    assert_eq!(end.model, "gpt-4o");
    let r = &env.mock.requests()[0];
    assert_eq!(r.body["stream"], true);
    assert_eq!(r.body["stream_options"], serde_json::json!({"include_usage": true}));
    assert_eq!(r.header("accept"), Some("text/event-stream"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_tool_calls_are_assembled() {
    let env = env().await;
    let (events, error) = collect(&env, env.config(), "litellm:mock/stream-tool-calls").await;
    assert!(error.is_none(), "{error:?}");
    let calls: Vec<_> = events
        .iter()
        .filter_map(|e| {
            if let StreamEvent::ToolCall(c) = e {
                Some((c.id.clone(), c.name.clone(), c.arguments.clone()))
            } else {
                None
            }
        })
        .collect();
    assert_eq!(
        calls,
        vec![
            ("call_1".into(), "get_weather".into(), r#"{"city": "Paris"}"#.into()),
            ("call_2".into(), "get_time".into(), r#"{"tz":"CET"}"#.into())
        ]
    );
    assert_eq!(finish(&events).stop_reason, StopReason::ToolUse);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_only_chunk_reasoning_keepalives_and_split_bytes() {
    let env = env().await;
    let (events, error) = collect(&env, env.config(), "litellm:mock/stream-usage-only").await;
    assert!(error.is_none(), "{error:?}");
    assert!(finish(&events).usage.is_some());

    for model in ["litellm:mock/stream-reasoning", "litellm:mock/stream-reasoning-field"] {
        let (events, error) = collect(&env, env.config(), model).await;
        assert!(error.is_none(), "{error:?}");
        let reasoning: String = events
            .iter()
            .filter_map(|e| if let StreamEvent::Reasoning(t) = e { Some(t.as_str()) } else { None })
            .collect();
        assert_eq!(reasoning, "Let me think.", "{model}");
        assert_eq!(text(&events), "You said: Hello there");
    }

    let (events, error) = collect(&env, env.config(), "litellm:mock/stream-keepalive").await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(text(&events), "You said: Hello there");
    finish(&events);

    let (events, error) = collect(&env, env.config(), "litellm:mock/stream-bytewise").await;
    assert!(error.is_none(), "{error:?}");
    assert!(text(&events).contains("héllo wörld ✓"), "{:?}", text(&events));
    finish(&events);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_streams_are_typed_errors() {
    let env = env().await;
    for (model, expected_text, check) in [
        (
            "litellm:mock/stream-error-midway",
            true,
            (|e: &ProviderError| matches!(e, ProviderError::Upstream(a) if a.message == "mock stream failure"))
                as fn(&ProviderError) -> bool,
        ),
        (
            "litellm:mock/stream-error-event",
            true,
            |e| matches!(e, ProviderError::Upstream(a) if a.message == "mock error event"),
        ),
        (
            "litellm:mock/stream-truncated",
            true,
            |e| matches!(e, ProviderError::MalformedResponse(m) if m.contains("ended")),
        ),
        ("litellm:mock/stream-500", false, |e| matches!(e, ProviderError::Upstream(a) if a.status == 500)),
    ] {
        let (events, error) = collect(&env, env.config(), model).await;
        match error {
            Some(CallError::Provider(e)) => assert!(check(&e), "{model}: {e:?}"),
            other => panic!("{model}: {other:?}"),
        }
        assert_eq!(!events.is_empty(), expected_text, "{model}: {events:?}");
        assert!(!events.iter().any(|e| matches!(e, StreamEvent::Finish(_))), "{model}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_event_arrives_before_the_server_sends_the_rest() {
    let env = env().await;
    let mut stream =
        host().stream(&env.tenant, env.config(), Request::user("litellm:mock/stream-gated", "x")).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), stream.next()).await.expect("no whole-body buffering");
    assert_eq!(first.unwrap().unwrap(), StreamEvent::Text("first".into()));
    env.mock.release_gate();
    let mut rest = Vec::new();
    while let Some(event) = stream.next().await {
        rest.push(event.unwrap());
    }
    assert_eq!(text(&rest), " second");
    finish(&rest);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_stream_closes_its_connection() {
    let env = env().await;
    let mut stream =
        host().stream(&env.tenant, env.config(), Request::user("litellm:mock/stream-endless", "x")).await.unwrap();
    assert!(matches!(stream.next().await, Some(Ok(StreamEvent::Text(_)))));
    assert_eq!(env.mock.live_streams(), 1);
    drop(stream);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while env.mock.live_streams() != 0 {
        assert!(std::time::Instant::now() < deadline, "the server still writes to a dropped stream");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_stream_ends_at_the_total_deadline() {
    let env = env().await;
    let config = env.config().total_timeout_ms(300);
    let (events, error) = collect(&env, config, "litellm:mock/stream-endless").await;
    assert!(!events.is_empty());
    assert!(matches!(error, Some(CallError::Provider(ProviderError::Timeout(_)))), "{error:?}");
    let e = provider_error(
        host()
            .stream(&env.tenant, env.config(), Request { messages: vec![], ..Request::user("litellm:m", "") })
            .await
            .map(|_| ()),
    );
    assert!(matches!(e, ProviderError::InvalidRequest(_)));
}
