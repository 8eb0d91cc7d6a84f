//! What real servers send that a strict parser would reject: bad UTF-8, lone surrogates, a whole
//! JSON answer to a stream request, SSE under a JSON content type, redirects, very long streams.

use crate::support::{collect, collect_for, env, finish, provider_error, text};
use litellm_host::{ProviderError, Request, StopReason, StreamEvent};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_text_becomes_replacement_characters() {
    let env = env().await;
    let answer = env.generate("litellm:mock/non-utf8").await.unwrap();
    assert!(answer.content.contains('\u{fffd}'), "{:?}", answer.content);
    let answer = env.generate("litellm:mock/lone-surrogate").await.unwrap();
    assert_eq!(answer.content, "a\u{fffd} b\u{fffd}");
    let (events, error) = collect(&env, env.config(), "litellm:mock/stream-split-surrogate").await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(text(&events), "a\u{fffd}\u{fffd}b");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_answer_to_a_stream_request_arrives_as_events() {
    let env = env().await;
    let (events, error) = collect(&env, env.config(), "litellm:mock/stream-not-sse").await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(text(&events), "You said: Hello there");
    assert_eq!(finish(&events).stop_reason, StopReason::EndTurn);
    assert!(finish(&events).usage.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_sent_as_json_is_read_as_a_stream() {
    let env = env().await;
    let (events, error) = collect(&env, env.config(), "litellm:mock/stream-sse-as-json").await;
    assert!(error.is_none(), "{error:?}");
    assert!(events.iter().filter(|e| matches!(e, StreamEvent::Text(_))).count() > 1);
    assert_eq!(text(&events), "You said: Hello there");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_not_followed_nor_retried() {
    let env = env().await;
    let config = env.config().max_retries(2);
    let e = provider_error(env.call(config, Request::user("litellm:mock/redirect-302", "x")).await);
    match e {
        ProviderError::BadRequest(a) => {
            assert_eq!((a.status, a.attempts), (302, 1));
            assert!(a.message.contains("https://login.example.com"), "{}", a.message);
            assert!(!a.message.contains("token"), "no path or query: {}", a.message);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(env.mock.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_of_200000_events_completes() {
    let env = env().await;
    // Six times max-response-bytes, which bounds whole bodies only.
    // About 49 MB on the wire (48,889,630 bytes with the usage chunk, measured with curl).
    let started = Instant::now();
    let (events, error) = collect(&env, env.config(), "litellm:mock/stream-events-200000").await;
    eprintln!("200,000-event stream read in {:?}", started.elapsed());
    assert!(error.is_none(), "{error:?}");
    let texts = events.iter().filter(|e| matches!(e, StreamEvent::Text(_))).count();
    assert_eq!(texts, 200_000);
    assert!(text(&events).ends_with("w199999 "));
    assert_eq!(finish(&events).stop_reason, StopReason::EndTurn);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_that_never_ends_fails_fast_in_bounded_memory() {
    let env = env().await;
    // 16 MiB of linear memory is plenty for the 1 MiB event cap and far below the line's 64 MiB.
    let tenant = env.tenant.clone().memory_limit(16 << 20);
    let started = Instant::now();
    let (events, error) = collect_for(&tenant, env.config(), "litellm:mock/stream-long-line").await;
    assert!(events.is_empty());
    match error {
        Some(litellm_host::CallError::Provider(ProviderError::MalformedResponse(m))) => {
            assert!(m.contains("1048576 bytes"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
}
