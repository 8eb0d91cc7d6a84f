//! Warm tenant clients: instances kept between a tenant's calls, never shared between tenants,
//! discarded after a sandbox stop, recycled after a number of calls, capped across the host.

use crate::support::{env, host, provider_error};
use litellm_host::{Host, HostOptions, PoolingOptions, Request, SandboxReason, StreamEvent, Tenant, WarmOptions};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warm_client_reuses_its_instance_and_connection() {
    let env = env().await;
    let warm = host().warm(&env.tenant, env.config());
    for i in 0..20 {
        let answer = warm.generate(Request::user("litellm:gpt-4o", format!("warm {i}"))).await.unwrap();
        assert_eq!(answer.content, format!("You said: warm {i}"));
        assert_eq!(warm.idle_instances(), 1, "one instance, back after each call");
    }
    assert_eq!(env.mock.connections(), 1);
    // A stream in the same instance; it comes back once the stream has ended.
    let mut stream = warm.stream(Request::user("litellm:gpt-4o", "streamed")).await.unwrap();
    assert_eq!(warm.idle_instances(), 0, "busy while the stream is open");
    let mut text = String::new();
    while let Some(event) = stream.next().await {
        if let StreamEvent::Text(t) = event.unwrap() {
            text.push_str(&t);
        }
    }
    assert_eq!(text, "You said: streamed");
    assert_eq!(warm.idle_instances(), 1);
    // A stream dropped before its end takes its instance (and connection) with it.
    let stream = warm.stream(Request::user("litellm:mock/stream-events-1000", "x")).await.unwrap();
    drop(stream);
    assert_eq!(warm.idle_instances(), 0);
    assert_eq!(warm.generate(Request::user("litellm:m", "again")).await.unwrap().content, "You said: again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_never_share_a_warm_instance() {
    let env = env().await;
    // No key in the config: each call's key comes from its instance's own WASI environment, so a
    // call in another tenant's instance would carry that tenant's key.
    let config = env.config();
    let a = host()
        .warm(&Tenant::new("a").allow_origin(&env.mock.base_url()).env("LITELLM_API_KEY", "sk-a"), config.clone());
    let b = host().warm(&Tenant::new("b").allow_origin(&env.mock.base_url()).env("LITELLM_API_KEY", "sk-b"), config);
    let calls = (0..40).map(|i| {
        let (client, name) = if i % 2 == 0 { (a.clone(), "a") } else { (b.clone(), "b") };
        async move { client.generate(Request::user(format!("litellm:tenant-{name}"), "x")).await.map(|_| ()) }
    });
    for result in futures::future::join_all(calls).await {
        result.unwrap();
    }
    for (model, key) in [("tenant-a", "Bearer sk-a"), ("tenant-b", "Bearer sk-b")] {
        let seen = env.mock.requests_for(model);
        assert_eq!(seen.len(), 20);
        assert!(seen.iter().all(|r| r.header("authorization") == Some(key)), "{model} crossed tenants");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_stop_discards_the_warm_instance() {
    let env = env().await;
    let small = env.tenant.clone().memory_limit(2 << 20).call_deadline(Duration::from_millis(300));
    let warm = host().warm(&small, env.config());
    warm.generate(Request::user("litellm:m", "fill")).await.unwrap();
    assert_eq!(warm.idle_instances(), 1);
    let e = warm.generate(Request::user("litellm:mock/big-1mb", "x")).await.unwrap_err();
    assert_eq!(e.sandbox_reason(), Some(SandboxReason::MemoryLimit), "{e}");
    assert_eq!(warm.idle_instances(), 0, "the trapped instance is gone");
    let e = warm.generate(Request::user("litellm:mock/stalled-body", "x")).await.unwrap_err();
    assert_eq!(e.sandbox_reason(), Some(SandboxReason::Deadline), "{e}");
    assert_eq!(warm.idle_instances(), 0);
    // A provider error is no reason to drop an instance.
    let e = provider_error(warm.generate(Request::user("litellm:mock/error-400", "x")).await);
    assert_eq!(e.kind(), "bad-request");
    assert_eq!(warm.idle_instances(), 1);
    assert_eq!(warm.generate(Request::user("litellm:m", "fine")).await.unwrap().content, "You said: fine");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_are_recycled_and_capped_across_the_host() {
    let env = env().await;
    let warm_options = WarmOptions::default().max_calls(3).max_idle(2);
    let strict = Host::with_options(HostOptions::default().warm(warm_options)).unwrap();
    let warm = strict.warm(&env.tenant, env.config());
    for _ in 0..2 {
        warm.generate(Request::user("litellm:m", "x")).await.unwrap();
    }
    assert_eq!(warm.idle_instances(), 1);
    warm.generate(Request::user("litellm:m", "third")).await.unwrap();
    assert_eq!(warm.idle_instances(), 0, "recycled after max_calls");
    let clients: Vec<_> = (0..3)
        .map(|i| strict.warm(&Tenant::new(format!("t{i}")).allow_origin(&env.mock.base_url()), env.config()))
        .collect();
    for client in &clients {
        client.generate(Request::user("litellm:m", "x")).await.unwrap();
    }
    assert_eq!(strict.idle_instances(), 2, "the host keeps at most max_idle");
    assert_eq!(clients[0].idle_instances(), 0, "the oldest idle instance was evicted");
    assert_eq!((clients[1].idle_instances(), clients[2].idle_instances()), (1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_waiting_for_a_pool_slot_gets_one_a_warm_instance_gave_back() {
    let env = env().await;
    let pooling = PoolingOptions::default().max_instances(1);
    let tiny = Host::with_options(HostOptions::default().pooling(pooling)).unwrap();
    let warm = tiny.warm(&env.tenant, env.config());
    // The only slot is in use by a warm stream (held open by the mock's gate) while another call
    // starts waiting for one.
    let mut stream = warm.stream(Request::user("litellm:mock/stream-gated", "x")).await.unwrap();
    let other = Tenant::new("other").allow_origin(&env.mock.base_url());
    let waiting = tokio::spawn({
        let (tiny, config) = (tiny.clone(), env.config());
        async move { tiny.generate(&other, config, Request::user("litellm:m", "waited")).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished(), "the second call waits for the slot");
    env.mock.release_gate();
    while let Some(event) = stream.next().await {
        event.unwrap();
    }
    // The stream's instance went back idle, still holding the slot: the waiter must evict it.
    let answer = tokio::time::timeout(Duration::from_secs(5), waiting).await.expect("the waiting call got a slot");
    assert_eq!(answer.unwrap().unwrap().content, "You said: waited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_warm_client_gives_its_instances_back_to_the_host_count() {
    let env = env().await;
    let counted = Host::with_options(HostOptions::default()).unwrap();
    let warm = counted.warm(&env.tenant, env.config());
    warm.generate(Request::user("litellm:m", "x")).await.unwrap();
    assert_eq!(counted.idle_instances(), 1);
    drop(warm);
    assert_eq!(counted.idle_instances(), 0);
}
