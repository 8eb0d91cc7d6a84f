//! A hostile endpoint (`mock/hostile-*`) against the component: no spelling of the key reaches an
//! error, no status or byte it sends can fool the caller, no answer it shapes can exhaust the
//! sandbox's memory. Each case failed before the hardening of contract 0.3.0 and passes now.

use crate::support::{env, host, provider_error};
use litellm_host::{CallError, Config, EmbeddingsRequest, Profile, ProviderError, Request};

const KEY: &str = "sk-Hostile-Key-7f3a";

/// Every way the key could be written that a reader would still recognise.
fn leaks(shown: &str) -> bool {
    crate::support::leaks(shown, KEY)
}

fn keyed(env: &crate::support::Env) -> Config {
    env.config().api_key(KEY).max_retries(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_never_comes_back_in_any_spelling() {
    let env = env().await;
    for (model, kind) in [
        ("mock/error-echo-key", "unauthorized"),
        ("mock/hostile-echo-upper", "unauthorized"),
        ("mock/hostile-echo-escaped", "upstream"),
        ("mock/hostile-choices-key", "malformed-response"),
        ("mock/hostile-redirect-key-host", "bad-request"),
    ] {
        let request = Request::user(format!("litellm:{model}"), "x");
        let e = provider_error(env.call(keyed(&env), request.clone()).await);
        assert_eq!(e.kind(), kind, "{model}: {e:?}");
        for shown in [format!("{e:?}"), e.describe(), CallError::Provider(e.clone()).to_string()] {
            assert!(!leaks(&shown), "{model}: {shown}");
        }
        // The rest of the message stays; a parse error describes the shape instead of the value.
        let expected = if kind == "malformed-response" { "expected a sequence" } else { "[redacted]" };
        assert!(e.describe().contains(expected), "{model}: {}", e.describe());
        // The same through a stream.
        let e = match host().stream(&env.tenant, keyed(&env), request).await {
            Err(CallError::Provider(e)) => e,
            Ok(mut stream) => match stream.next().await {
                Some(Err(CallError::Provider(e))) => e,
                other => panic!("{model}: {other:?}"),
            },
            Err(other) => panic!("{model}: {other}"),
        };
        assert!(!leaks(&format!("{e:?}")), "{model} (stream): {e:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_that_is_no_http_status_is_a_malformed_answer_never_retried() {
    let env = env().await;
    let config = env.config().max_retries(2);
    let e = provider_error(env.call(config, Request::user("litellm:mock/hostile-status-999", "x")).await);
    assert!(matches!(&e, ProviderError::MalformedResponse(m) if m.contains("999")), "{e:?}");
    assert_eq!(env.mock.requests().len(), 1, "not retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_azure_deployment_cannot_leave_its_path() {
    let env = env().await;
    for model in ["litellm:..", "litellm:.", "litellm:a%2f..", "litellm:gpt?x=1"] {
        let config = env.config().profile(Profile::Azure).api_key("k");
        let e = provider_error(env.call(config, Request::user(model, "x")).await);
        assert!(matches!(&e, ProviderError::InvalidRequest(m) if m.contains("Azure deployment")), "{model}: {e:?}");
    }
    assert!(env.mock.requests().is_empty(), "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_ids_and_names_are_typed_errors_not_traps() {
    let env = env().await;
    let e = provider_error(env.call(env.config(), Request::user("litellm:mock/hostile-long-id", "x")).await);
    assert!(matches!(&e, ProviderError::MalformedResponse(m) if m.contains("tool-call id")), "{e:?}");
    let mut stream = host()
        .stream(&env.tenant, env.config(), Request::user("litellm:mock/hostile-stream-long-names", "x"))
        .await
        .expect("the stream opens");
    let mut last = None;
    while let Some(event) = stream.next().await {
        last = Some(event);
    }
    match last {
        Some(Err(CallError::Provider(ProviderError::MalformedResponse(m)))) => assert!(m.contains("tool name"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_embeddings_answer_is_read_without_a_json_tree() {
    let env = env().await;
    let request = EmbeddingsRequest {
        model: "litellm:mock/embed-huge".into(),
        inputs: vec!["x".into()],
        dimensions: None,
        user: None,
    };
    let answer = host().embed(&env.tenant, env.config(), request).await.expect("no trap: read as floats");
    assert_eq!(answer.embeddings[0].len(), 3_500_001);
}
