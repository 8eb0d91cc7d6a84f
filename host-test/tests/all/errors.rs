//! Error answers and failures: each becomes the right typed error, retries are counted, and the
//! key never shows.

use crate::support::{api_error, env, host, provider_error};
use litellm_host::{Config, ProviderError, Request, Tenant};
use std::time::{Duration, Instant};

fn kind(e: &ProviderError) -> &'static str {
    e.kind()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_statuses_map_to_typed_errors_with_the_servers_message() {
    let env = env().await;
    for (status, expected) in [
        (400, "bad-request"),
        (401, "unauthorized"),
        (403, "unauthorized"),
        (404, "bad-request"),
        (413, "bad-request"),
        (422, "bad-request"),
        (429, "rate-limited"),
        (500, "upstream"),
        (502, "upstream"),
        (503, "upstream"),
    ] {
        let e = provider_error(env.generate(&format!("litellm:mock/error-{status}")).await);
        assert_eq!(kind(&e), expected, "{status}");
        let api = api_error(&e);
        assert_eq!(api.status, status);
        assert_eq!(api.message, format!("mock error {status}"));
        assert_eq!(api.code.as_deref(), Some(format!("mock_{status}").as_str()));
        assert_eq!(api.attempts, 1);
        assert_eq!(api.retry_after_ms, (status == 429).then_some(1000), "{status}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn special_errors_and_odd_bodies() {
    let env = env().await;
    for (model, expected) in [
        ("mock/error-context", "context-length-exceeded"),
        ("mock/error-litellm-context", "context-length-exceeded"),
        ("mock/error-content-filter", "content-filtered"),
        ("mock/error-quota", "quota-exceeded"),
        ("mock/error-plain", "upstream"),
        ("mock/malformed-json", "malformed-response"),
        ("mock/truncated-json", "malformed-response"),
        ("mock/wrong-content-type", "malformed-response"),
        ("mock/empty-body", "malformed-response"),
        ("mock/json-not-object", "malformed-response"),
    ] {
        let e = provider_error(env.generate(&format!("litellm:{model}")).await);
        assert_eq!(kind(&e), expected, "{model}: {e:?}");
    }
    let e = provider_error(env.generate("litellm:mock/error-plain").await);
    assert_eq!(api_error(&e).message, "upstream exploded");
    let e = provider_error(env.generate("litellm:mock/error-long").await);
    assert_eq!(api_error(&e).message.chars().count(), 1001, "capped at 1000 characters and an ellipsis");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_and_denied_hosts_are_transport_errors() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let tenant = Tenant::new("t").allow_origin(&url);
    let config = Config::default().base_url(url.clone()).max_retries(0);
    let e = provider_error(host().generate(&tenant, config.clone(), Request::user("litellm:m", "x")).await);
    assert!(matches!(e, ProviderError::Transport(ref f) if f.message.contains("connection-refused")), "{e:?}");

    let env = env().await;
    let stranger = Tenant::new("stranger");
    let e = provider_error(host().generate(&stranger, env.config(), Request::user("litellm:m", "x")).await);
    match e {
        ProviderError::Transport(f) => {
            assert!(f.message.contains("denied"), "{}", f.message);
            assert_eq!(f.attempts, 1, "a denied request is not retried");
        }
        other => panic!("{other:?}"),
    }
    assert!(env.mock.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_recover_and_count_attempts() {
    let env = env().await;
    let config = env.config().max_retries(2);
    let answer = env.call(config.clone(), Request::user("litellm:mock/flaky429-2-a", "again")).await.unwrap();
    assert_eq!(answer.content, "You said: again");
    assert_eq!(env.mock.requests_for("mock/flaky429-2-a").len(), 3);

    let started = Instant::now();
    let e = provider_error(env.call(config, Request::user("litellm:mock/flaky429-5-b", "x")).await);
    assert_eq!(api_error(&e).attempts, 3);
    assert_eq!(env.mock.requests_for("mock/flaky429-5-b").len(), 3);
    assert!(started.elapsed() >= Duration::from_millis(100), "retry-after-ms 50 was honoured twice");

    let e = provider_error(env.generate("litellm:mock/error-401").await);
    assert_eq!(api_error(&e).attempts, 1, "401 is not retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_never_appears_in_an_error() {
    let env = env().await;
    let key = "sk-distinctive-7f3a9c";
    let tenant = env.tenant.clone().env("LITELLM_API_KEY", key);
    let mut config = env.config();
    config.first_byte_timeout_ms = Some(500);
    let models = [
        "mock/error-echo-key",
        "mock/error-400",
        "mock/error-401",
        "mock/error-429",
        "mock/error-500",
        "mock/error-plain",
        "mock/malformed-json",
        "mock/no-choices",
        "mock/slow-headers-2000",
    ];
    for model in models {
        let e = provider_error(
            host().generate(&tenant, config.clone(), Request::user(format!("litellm:{model}"), "x")).await,
        );
        let shown = format!("{e:?}");
        assert!(!shown.contains(key), "{model} leaked the key: {shown}");
    }
    let echoed = env.mock.requests_for("mock/error-echo-key");
    assert_eq!(echoed[0].header("authorization"), Some(format!("Bearer {key}").as_str()));
}
