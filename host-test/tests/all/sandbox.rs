//! The multi-tenant sandbox: allowlists, memory and CPU caps (through both worlds' components),
//! concurrency caps, pooling, the compilation cache, and many tenants at once without crossed
//! answers.

use crate::support::{both_worlds, env, host, provider_error};
use futures::future::join_all;
use litellm_host::{Host, HostOptions, PoolingOptions, ProviderError, Request, SandboxReason, Tenant};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_origin_fails_and_the_next_allowed_call_works() {
    let env = env().await;
    let elsewhere = Tenant::new("t").allow_origin("http://127.0.0.1:1");
    let e = provider_error(host().generate(&elsewhere, env.config(), Request::user("litellm:m", "x")).await);
    assert!(matches!(e, ProviderError::Transport(ref f) if f.message.contains("denied")), "{e:?}");
    assert_eq!(env.generate("litellm:m").await.unwrap().content, "You said: Hello there");
    assert_eq!(env.mock.requests().len(), 1, "the denied call never reached the endpoint");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_memory_cap_too_small_stops_the_call_not_the_host() {
    let env = env().await;
    for (world, host) in both_worlds() {
        let small = env.tenant.clone().memory_limit(2 << 20);
        let result = host.generate(&small, env.config(), Request::user("litellm:mock/big-1mb", "x")).await;
        let reason = result.as_ref().err().and_then(|e| e.sandbox_reason());
        assert_eq!(reason, Some(SandboxReason::MemoryLimit), "{world}: {result:?}");
        let answer = host.generate(&small, env.config(), Request::user("litellm:m", "small")).await.unwrap();
        assert_eq!(answer.content, "You said: small", "{world}: the same tenant's next call works");
        let tiny = env.tenant.clone().memory_limit(64 << 10);
        let result = host.generate(&tiny, env.config(), Request::user("litellm:m", "x")).await;
        let reason = result.as_ref().err().and_then(|e| e.sandbox_reason());
        assert_eq!(reason, Some(SandboxReason::MemoryLimit), "{world}: {result:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_over_its_deadline_is_stopped_and_the_next_works() {
    let env = env().await;
    let hasty = env.tenant.clone().call_deadline(Duration::from_millis(50));
    // The guest waits inside a host call (for the response head) far longer than the deadline:
    // the wall-clock deadline stops it there, not when the head finally arrives.
    for (world, sandboxed) in both_worlds() {
        let started = std::time::Instant::now();
        let request = Request::user("litellm:mock/slow-headers-2000", "x");
        let result = sandboxed.generate(&hasty, env.config(), request).await;
        let elapsed = started.elapsed();
        let reason = result.as_ref().err().and_then(|e| e.sandbox_reason());
        assert_eq!(reason, Some(SandboxReason::Deadline), "{world}: {result:?}");
        eprintln!("{world}: wall-clock deadline 50 ms while waiting for the head: stopped after {elapsed:?}");
        assert!(elapsed < Duration::from_millis(1000), "{world}: stopped after {elapsed:?}, deadline 50 ms");
        let answer = sandboxed.generate(&hasty, env.config(), Request::user("litellm:m", "quick")).await.unwrap();
        assert_eq!(answer.content, "You said: quick", "{world}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deadline_holds_in_wall_clock_time_while_the_guest_waits_on_a_stalled_body() {
    let env = env().await;
    // The guest's own between-bytes timeout (60 s by default) is far beyond the tenant's deadline.
    let hasty = env.tenant.clone().call_deadline(Duration::from_millis(300));
    for (world, sandboxed) in both_worlds() {
        let started = std::time::Instant::now();
        let result = sandboxed.generate(&hasty, env.config(), Request::user("litellm:mock/stalled-body", "x")).await;
        let elapsed = started.elapsed();
        let reason = result.as_ref().err().and_then(|e| e.sandbox_reason());
        assert_eq!(reason, Some(SandboxReason::Deadline), "{world}: {result:?}");
        eprintln!("{world}: wall-clock deadline 300 ms on a stalled body: stopped after {elapsed:?}");
        assert!(elapsed >= Duration::from_millis(300) && elapsed < Duration::from_millis(1500), "{world}: {elapsed:?}");
        let answer = sandboxed.generate(&hasty, env.config(), Request::user("litellm:m", "after")).await.unwrap();
        assert_eq!(answer.content, "You said: after", "{world}: the instance was discarded, the next call works");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_waits_at_its_concurrency_cap() {
    let env = env().await;
    let tenant = Tenant::new("capped").allow_origin(&env.mock.base_url()).max_concurrent_calls(1);
    let stream = host().stream(&tenant, env.config(), Request::user("litellm:m", "x")).await.unwrap();
    let blocked = tokio::time::timeout(
        Duration::from_millis(300),
        host().generate(&tenant, env.config(), Request::user("litellm:m", "y")),
    )
    .await;
    assert!(blocked.is_err(), "a second call waits while the stream holds the only place");
    drop(stream);
    let answer = host().generate(&tenant, env.config(), Request::user("litellm:m", "z")).await.unwrap();
    assert_eq!(answer.content, "You said: z");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_calls_across_a_hundred_tenants_with_pooling() {
    let env = env().await;
    let pooled = Arc::new(
        Host::with_options(HostOptions::default().pooling(PoolingOptions::default().max_instances(200))).unwrap(),
    );
    let tenants: Vec<Tenant> = (0..100)
        .map(|i| {
            Tenant::new(format!("tenant-{i}"))
                .allow_origin(&env.mock.base_url())
                .env("LITELLM_API_KEY", format!("sk-tenant-{i}"))
        })
        .collect();
    let config = env.config().max_retries(0);
    let calls = (0..1000).map(|n| {
        let (host, tenant, config) = (pooled.clone(), tenants[n % 100].clone(), config.clone());
        tokio::spawn(async move {
            let answer = host.generate(&tenant, config, Request::user("litellm:mock/echo-key", "who")).await;
            (n % 100, answer)
        })
    });
    let mut ok = 0;
    for joined in join_all(calls).await {
        let (i, answer) = joined.unwrap();
        assert_eq!(answer.unwrap().content, format!("key:sk-tenant-{i}"), "tenant {i} got another tenant's answer");
        ok += 1;
    }
    assert_eq!(ok, 1000);
    assert_eq!(env.mock.requests().len(), 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compiled_component_is_cached_on_disk() {
    let env = env().await;
    let dir = std::env::temp_dir().join(format!("litellm-host-cache-{}", std::process::id()));
    let options = HostOptions::default().cache_dir(dir.clone());
    let first = Host::with_options(options.clone()).unwrap();
    let second = Host::with_options(options).unwrap();
    assert!(!first.loaded_from_cache() && second.loaded_from_cache());
    let answer = second.generate(&env.tenant, env.config(), Request::user("litellm:m", "cached")).await.unwrap();
    assert_eq!(answer.content, "You said: cached");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_reuses_its_connections_and_never_shares_them() {
    let env = env().await;
    let other = Tenant::new("other").allow_origin(&env.mock.base_url());
    for _ in 0..3 {
        env.generate("litellm:m").await.unwrap();
    }
    host().generate(&other, env.config(), Request::user("litellm:m", "x")).await.unwrap();
    let peers: Vec<_> = env.mock.requests().iter().map(|r| r.peer).collect();
    assert_eq!(
        (peers[0], peers[1]),
        (peers[1], peers[2]),
        "one tenant's sequential calls share a kept-alive connection"
    );
    assert_ne!(peers[3], peers[0], "another tenant gets a connection of its own");
}
