//! Tenants' quotas through the real component: refused before it runs (the mock sees no
//! request), exact under 64 concurrent calls, one tenant at its limit leaving another alone,
//! tokens counted once from what the endpoint reported (a stream's too), a call cut half-way
//! counted by what it used, and a store that fails.

use crate::support::{away_from_the_minute_s_end, env};
use litellm_host::{
    CallError, Host, HostOptions, MemoryStore, Quota, QuotaError, QuotaLimit, Request, SharedStore, StoreError, Tenant,
    QUOTA_BUCKET,
};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// One host for these tests, with a store they can read.
fn quota_host() -> (&'static Host, &'static Arc<MemoryStore>) {
    static HOST: OnceLock<(Host, Arc<MemoryStore>)> = OnceLock::new();
    let (host, store) = HOST.get_or_init(|| {
        let store = Arc::new(MemoryStore::default());
        let host = Host::with_options(HostOptions::default().quota_store(store.clone())).expect("the component loads");
        (host, store)
    });
    (host, store)
}

/// A counter of the tenant's in the store (0 when absent).
async fn counter(store: &MemoryStore, tenant: &str, name: &str) -> u64 {
    store.increment(QUOTA_BUCKET, &format!("tenant:{tenant}:{name}"), 0).await.unwrap()
}

fn refused(result: Result<impl std::fmt::Debug, CallError>) -> QuotaError {
    match result {
        Err(CallError::Quota(e)) => e,
        other => panic!("expected a quota refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_past_the_minute_s_quota_are_refused_before_the_component_runs_and_other_tenants_go_on() {
    away_from_the_minute_s_end().await;
    let (host, _) = quota_host();
    let env = env().await;
    let limited = Tenant::new("q-rpm").allow_origin(&env.mock.base_url()).quota(Quota::unlimited().calls_per_minute(3));
    for _ in 0..3 {
        host.generate(&limited, env.config(), Request::user("litellm:m", "hi")).await.unwrap();
    }
    let error = refused(host.generate(&limited, env.config(), Request::user("litellm:m", "hi")).await);
    assert!(
        matches!(error, QuotaError::RateLimited { limit: QuotaLimit::CallsPerMinute, allowed: 3, .. }),
        "{error:?}"
    );
    let wait = error.retry_after().unwrap();
    assert!(wait > Duration::ZERO && wait <= Duration::from_secs(60), "{wait:?}");
    let call = CallError::Quota(error);
    assert_eq!(call.kind(), "rate-limited");
    assert_eq!(call.retry_after(), Some(wait));
    assert!(call.to_string().contains("calls-per-minute"), "{call}");
    // A stream is a call too.
    let error = refused(host.stream(&limited, env.config(), Request::user("litellm:m", "hi")).await.map(drop));
    assert_eq!(error.kind(), "rate-limited");
    assert_eq!(env.mock.requests().len(), 3, "no refused call reached the endpoint");

    let other =
        Tenant::new("q-rpm-other").allow_origin(&env.mock.base_url()).quota(Quota::unlimited().calls_per_minute(3));
    host.generate(&other, env.config(), Request::user("litellm:m", "hi")).await.unwrap();
    assert_eq!(env.mock.requests().len(), 4);
}

/// 64 calls of `tenant` at once: how many were answered, and how many `limit` refused (any
/// other outcome fails the test).
async fn sixty_four_at_once(
    host: &'static Host,
    tenant: &Tenant,
    env: &crate::support::Env,
    model: &str,
    limit: QuotaLimit,
) -> (usize, usize) {
    let calls: Vec<_> = (0..64)
        .map(|i| {
            let (tenant, config, request) = (tenant.clone(), env.config(), Request::user(model, format!("c{i}")));
            tokio::spawn(async move { host.generate(&tenant, config, request).await })
        })
        .collect();
    let (mut answered, mut refusals) = (0, 0);
    for call in calls {
        match call.await.unwrap() {
            Ok(_) => answered += 1,
            Err(CallError::Quota(QuotaError::RateLimited { limit: refused_by, .. })) if refused_by == limit => {
                refusals += 1
            }
            Err(e) => panic!("{e}"),
        }
    }
    (answered, refusals)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_hold_exactly_under_64_concurrent_calls() {
    away_from_the_minute_s_end().await;
    let (host, store) = quota_host();
    let env = env().await;
    let tenant = Tenant::new("q-64").allow_origin(&env.mock.base_url()).quota(Quota::unlimited().calls_per_minute(20));
    let (answered, refusals) = sixty_four_at_once(host, &tenant, &env, "litellm:m", QuotaLimit::CallsPerMinute).await;
    assert_eq!((answered, refusals), (20, 44));
    assert_eq!(env.mock.requests().len(), 20);

    // Calls at once: 64 streams together against a limit of 8, each kept open by the endpoint:
    // exactly 8 open, whatever the order they ran in.
    let tenant =
        Tenant::new("q-64-at-once").allow_origin(&env.mock.base_url()).quota(Quota::unlimited().concurrent_calls(8));
    let opening: Vec<_> = (0..64)
        .map(|_| {
            let (tenant, config) = (tenant.clone(), env.config());
            tokio::spawn(
                async move { host.stream(&tenant, config, Request::user("litellm:mock/stream-gated", "x")).await },
            )
        })
        .collect();
    let (mut open, mut refusals) = (Vec::new(), 0);
    for stream in opening {
        match stream.await.unwrap() {
            Ok(stream) => open.push(stream),
            Err(CallError::Quota(QuotaError::RateLimited { limit: QuotaLimit::ConcurrentCalls, .. })) => refusals += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((open.len(), refusals), (8, 56));
    assert_eq!(env.mock.requests_for("mock/stream-gated").len(), 8);
    drop(open);
    // Dropped streams give their places back from tasks of their own: wait for them (a loaded
    // machine may take a while), and fail if they never come.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (started, ended) =
            (counter(store, "q-64-at-once", "started").await, counter(store, "q-64-at-once", "ended").await);
        if started == ended {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "places never given back: {started} started, {ended} ended");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_at_its_limit_leaves_another_alone() {
    let (host, _) = quota_host();
    let env = env().await;
    let busy = Tenant::new("q-busy").allow_origin(&env.mock.base_url()).quota(Quota::unlimited().concurrent_calls(2));
    // The busy tenant holds both its places with streams the endpoint keeps open.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream =
            host.stream(&busy, env.config(), Request::user("litellm:mock/stream-gated", "x")).await.unwrap();
        assert!(stream.next().await.unwrap().is_ok(), "the first delta arrives");
        held.push(stream);
    }
    let error = refused(host.generate(&busy, env.config(), Request::user("litellm:m", "x")).await);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(1)));
    // Meanwhile another tenant's calls go through, and the busy one's refusals keep coming.
    let calm = Tenant::new("q-calm").allow_origin(&env.mock.base_url()).quota(Quota::unlimited().concurrent_calls(2));
    let hammer = {
        let (busy, config) = (busy.clone(), env.config());
        tokio::spawn(async move {
            for _ in 0..50 {
                let result = host.generate(&busy, config.clone(), Request::user("litellm:m", "x")).await;
                assert!(matches!(result, Err(CallError::Quota(_))), "{result:?}");
            }
        })
    };
    for i in 0..20 {
        let call = host.generate(&calm, env.config(), Request::user("litellm:m", format!("calm {i}")));
        let answer = tokio::time::timeout(Duration::from_secs(10), call).await.expect("not held up").unwrap();
        assert_eq!(answer.content, format!("You said: calm {i}"));
    }
    hammer.await.unwrap();
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_counted_once_from_the_endpoint_s_usage_streams_included_and_the_budget_is_final() {
    let (host, store) = quota_host();
    let env = env().await;
    let quota = Quota::unlimited().token_budget(1_000).tokens_per_minute(1_000_000);
    let tenant = Tenant::new("q-tokens").allow_origin(&env.mock.base_url()).quota(quota);
    let answer = host
        .generate(&tenant, env.config(), Request::user("litellm:mock/openai-reasoning", "one two three"))
        .await
        .unwrap();
    let usage = answer.usage.unwrap();
    assert!(usage.cached_input_tokens.is_some() && usage.reasoning_tokens.is_some(), "{usage:?}");
    let first = u64::from(usage.input_tokens + usage.output_tokens);
    assert_eq!(counter(store, "q-tokens", "tokens").await, first, "cached and reasoning tokens are within these, once");

    let mut stream = host.stream(&tenant, env.config(), Request::user("litellm:m", "four five")).await.unwrap();
    let mut streamed = None;
    while let Some(event) = stream.next().await {
        if let litellm_host::StreamEvent::Finish(end) = event.unwrap() {
            streamed = end.usage;
        }
    }
    assert!(stream.next().await.is_none(), "asked again past the end");
    drop(stream);
    let streamed = streamed.expect("the stream reports its usage");
    let both = first + u64::from(streamed.input_tokens + streamed.output_tokens);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(counter(store, "q-tokens", "tokens").await, both, "the stream counted once");

    // A budget of what was spent: the next call is refused for good.
    let spent = Tenant::new("q-tokens").allow_origin(&env.mock.base_url()).quota(Quota::unlimited().token_budget(both));
    let error = refused(host.generate(&spent, env.config(), Request::user("litellm:m", "x")).await);
    assert_eq!(error, QuotaError::QuotaExceeded { budget: both });
    assert_eq!(CallError::Quota(error).kind(), "quota-exceeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_cut_half_way_counts_what_it_used_and_one_refused_upstream_counts_nothing() {
    let (host, store) = quota_host();
    let env = env().await;
    let tenant =
        Tenant::new("q-cut").allow_origin(&env.mock.base_url()).quota(Quota::unlimited().token_budget(1_000_000));
    let mut stream = host
        .stream(&tenant, env.config(), Request::user("litellm:mock/stream-error-midway", "Hello there"))
        .await
        .unwrap();
    let (mut text, mut failed) = (0, false);
    while let Some(event) = stream.next().await {
        match event {
            Ok(litellm_host::StreamEvent::Text(t)) => text += t.len(),
            Ok(_) => {}
            Err(_) => failed = true,
        }
    }
    drop(stream);
    assert!(text > 0 && failed, "some text, then the error");
    let counted = counter(store, "q-cut", "tokens").await;
    assert_eq!(
        counted,
        ("Hello there".len() + text).div_ceil(4) as u64,
        "the request and what arrived, at 4 bytes a token"
    );

    let result = host.generate(&tenant, env.config(), Request::user("litellm:mock/error-quota", "x")).await;
    assert!(matches!(result, Err(CallError::Provider(_))), "{result:?}");
    assert_eq!(counter(store, "q-cut", "tokens").await, counted, "an error answer used nothing");

    // A stream let go before its end still gives back its place among the calls at once.
    let once = Tenant::new("q-drop").allow_origin(&env.mock.base_url()).quota(Quota::unlimited().concurrent_calls(1));
    let stream = host.stream(&once, env.config(), Request::user("litellm:mock/stream-gated", "x")).await.unwrap();
    refused(host.generate(&once, env.config(), Request::user("litellm:m", "x")).await);
    drop(stream);
    let mut answered = false;
    for _ in 0..100 {
        if host.generate(&once, env.config(), Request::user("litellm:m", "x")).await.is_ok() {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(answered, "the dropped stream's place came back");
}

/// A store that always fails, as a database that went away does.
#[derive(Debug)]
struct Down;

impl SharedStore for Down {
    fn get<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<Option<Vec<u8>>, StoreError>> {
        Box::pin(async { Err(StoreError("connection refused".into())) })
    }
    fn set<'a>(&'a self, _: &'a str, _: &'a str, _: Vec<u8>) -> futures::future::BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async { Err(StoreError("connection refused".into())) })
    }
    fn delete<'a>(&'a self, _: &'a str, _: &'a str) -> futures::future::BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async { Err(StoreError("connection refused".into())) })
    }
    fn increment<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        _: u64,
    ) -> futures::future::BoxFuture<'a, Result<u64, StoreError>> {
        Box::pin(async { Err(StoreError("connection refused".into())) })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_s_store_that_fails_refuses_limited_tenants_unless_they_fail_open() {
    let host = Host::with_options(HostOptions::default().quota_store(Arc::new(Down))).unwrap();
    let env = env().await;
    let limited =
        Tenant::new("q-down").allow_origin(&env.mock.base_url()).quota(Quota::unlimited().calls_per_minute(100));
    let error = refused(host.generate(&limited, env.config(), Request::user("litellm:m", "x")).await);
    assert_eq!(error, QuotaError::StoreUnavailable(StoreError("connection refused".into())));
    assert_eq!(CallError::Quota(error).kind(), "quota-store-unavailable");
    assert!(env.mock.requests().is_empty());
    let open = limited.clone().quota(Quota::unlimited().calls_per_minute(100).fail_open(true));
    assert!(host.generate(&open, env.config(), Request::user("litellm:m", "x")).await.is_ok());
    let unlimited = Tenant::new("q-free").allow_origin(&env.mock.base_url());
    assert!(
        host.generate(&unlimited, env.config(), Request::user("litellm:m", "x")).await.is_ok(),
        "never asks the store"
    );
}
