//! The WASI 0.3 component beside the 0.2 one: the same calls through the host give the same
//! answers, its imports are standard WASI, and its stream's events and end arrive.

use crate::support::{both_worlds, env, host_p3, text};
use litellm_host::{CallError, EmbeddingsRequest, Request, StreamEvent};

fn embeddings(inputs: &[&str]) -> EmbeddingsRequest {
    let inputs = inputs.iter().map(|s| s.to_string()).collect();
    EmbeddingsRequest { model: "litellm:e".into(), inputs, dimensions: None, user: None }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_gives_the_same_answer_in_both_worlds() {
    let env = env().await;
    for (world, host) in both_worlds() {
        let answer = host.generate(&env.tenant, env.config(), Request::user("litellm:m", "hello")).await;
        assert_eq!(answer.expect(world).content, "You said: hello", "{world}");
        assert_eq!(host.provider_name(&env.tenant, env.config()).await.expect(world), "litellm");
        assert!(host.supports_model(&env.tenant, env.config(), "litellm:x").await.expect(world));
        let models = host.list_models(&env.tenant, env.config()).await.expect(world);
        assert!(!models.is_empty(), "{world}");
        let embeddings = host.embed(&env.tenant, env.config(), embeddings(&["a", "b"])).await.expect(world);
        assert_eq!(embeddings.embeddings.len(), 2, "{world}");
        let mut stream =
            host.stream(&env.tenant, env.config(), Request::user("litellm:m", "one two three")).await.expect(world);
        let mut events = Vec::new();
        while let Some(event) = stream.next().await {
            events.push(event.expect(world));
        }
        assert_eq!(text(&events), "You said: one two three", "{world}: {events:?}");
        assert!(matches!(events.last(), Some(StreamEvent::Finish(_))), "{world}: {events:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_0_3_component_imports_wasi_0_3_http_and_only_standard_wasi() {
    let imports = host_p3().component_imports();
    assert!(imports.iter().any(|i| i == "wasi:http/client@0.3.0"), "{imports:?}");
    assert!(imports.iter().all(|i| i.starts_with("wasi:")), "{imports:?}");
    assert!(!imports.iter().any(|i| i.starts_with("wasi:http/outgoing-handler")), "{imports:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_in_the_0_3_world_is_the_same_typed_error() {
    let env = env().await;
    for (world, host) in both_worlds() {
        let error = host.generate(&env.tenant, env.config(), Request::user("litellm:mock/error-401", "x")).await;
        match error {
            Err(CallError::Provider(e)) => assert_eq!(e.kind(), "unauthorized", "{world}"),
            other => panic!("{world}: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warm_0_3_client_keeps_its_instance_across_calls_and_a_whole_stream() {
    let env = env().await;
    let warm = host_p3().warm(&env.tenant, env.config());
    for i in 0..3 {
        let answer = warm.generate(Request::user("litellm:m", format!("call {i}"))).await.unwrap();
        assert_eq!(answer.content, format!("You said: call {i}"));
    }
    let mut stream = warm.stream(Request::user("litellm:m", "a b c")).await.unwrap();
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event.unwrap());
    }
    assert_eq!(text(&events), "You said: a b c");
    drop(stream);
    assert_eq!(warm.idle_instances(), 1, "one instance served every call, and went back after the stream");
    let answer = warm.generate(Request::user("litellm:m", "after the stream")).await.unwrap();
    assert_eq!(answer.content, "You said: after the stream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_0_3_stream_dropped_half_way_lets_the_next_call_through() {
    let env = env().await;
    let warm = host_p3().warm(&env.tenant, env.config());
    let mut stream = warm.stream(Request::user("litellm:mock/stream-gated", "x")).await.unwrap();
    assert!(stream.next().await.unwrap().is_ok(), "the first event arrives while the endpoint holds the rest");
    drop(stream);
    let answer = warm.generate(Request::user("litellm:m", "next")).await.unwrap();
    assert_eq!(answer.content, "You said: next");
}
