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

/// A server that sends `Transfer-Encoding: chunked` and a `Content-Length` that is wrong (both,
/// which HTTP forbids): the encoding says where the body ends (hyper follows it, and the host drops
/// the length before the guest sees the head), so the guest reads the whole answer instead of
/// stopping at the length — whether its first chunk is longer than the length or exactly as long.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_content_length_beside_chunked_encoding_does_not_cut_the_answer() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = r#"{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"every byte of it"},"finish_reason":"stop"}]}"#;
    for first_chunk in [40, 10] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            // The request's head and body (one read is enough for this small request on loopback).
            let mut request = vec![0u8; 64 * 1024];
            let _ = socket.read(&mut request).await.unwrap();
            // The body in two chunks, apart, the wrong length 10.
            let (first, second) = body.split_at(first_chunk);
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 10\r\ntransfer-encoding: chunked\r\n\r\n";
            let first = format!("{head}{:x}\r\n{first}\r\n", first.len());
            socket.write_all(first.as_bytes()).await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            let second = format!("{:x}\r\n{second}\r\n0\r\n\r\n", second.len());
            socket.write_all(second.as_bytes()).await.unwrap();
            // Held open: the answer's end is the chunked encoding's, not the connection's.
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        });
        let tenant = litellm_host::Tenant::new("both-lengths").allow_origin(&url);
        let config = Config::default().base_url(url).max_retries(0);
        let answer = host().generate(&tenant, config, Request::user("litellm:m", "x")).await;
        assert_eq!(answer.expect("the whole answer").content, "every byte of it", "first chunk {first_chunk}");
        server.abort();
    }
}
