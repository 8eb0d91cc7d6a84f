//! What tenants can and cannot do to each other and to the host: transport state that belongs to
//! (host, tenant name), host-wide caps on instances and memory, a cap on a whole call that no
//! config can raise, a bound on what idle warm instances keep, and an address policy without holes
//! (a name pinned to an address of each refused class, through the component).

use crate::support::{env, host, provider_error};
use litellm_host::{
    CaBundle, CallError, Config, Host, HostLimits, HostOptions, ProviderError, Request, SandboxReason, Tenant,
    TlsRoots, WarmOptions,
};
use litellm_mock::{MockServer, TlsOptions};
use std::net::IpAddr;
use std::time::{Duration, Instant};

fn sandbox(result: Result<impl std::fmt::Debug, CallError>) -> (SandboxReason, String) {
    match result {
        Err(CallError::Sandbox(e)) => (e.reason, e.detail),
        other => panic!("expected a sandbox stop, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hosts_roots_apply_to_its_calls_whichever_host_came_first() {
    let mock = MockServer::start_tls(TlsOptions::default()).await.unwrap();
    let ca = CaBundle::from_pem(mock.ca_pem().unwrap().as_bytes()).unwrap();
    let trusting = Host::with_options(HostOptions::default().tls(TlsRoots::default().with(&ca))).unwrap();
    let tenant = Tenant::new("roots").allow_origin(&mock.base_url());
    let config = Config::for_url(mock.base_url()).max_retries(0);
    let answer = trusting.generate(&tenant, config.clone(), Request::user("litellm:m", "A")).await.unwrap();
    assert_eq!(answer.content, "You said: A");
    // The same tenant value through a host that does not trust the CA: refused, not the first
    // host's pool (before, the tenant's pool kept the roots of the first host it was used with).
    let e = provider_error(host().generate(&tenant, config, Request::user("litellm:m", "B")).await);
    assert!(matches!(&e, ProviderError::Transport(f) if f.message.contains("unknown issuer")), "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_name_shares_its_count_and_other_names_never_do() {
    let env = env().await;
    let capped = Tenant::new("shared-name").allow_origin(&env.mock.base_url()).max_concurrent_calls(1);
    let stream = host().stream(&capped, env.config(), Request::user("litellm:m", "x")).await.unwrap();
    // Another value with the same name (say, with another key): the same tenant, the same count.
    let same = capped.clone().env("LITELLM_API_KEY", "sk-other");
    let call = host().generate(&same, env.config(), Request::user("litellm:m", "y"));
    assert!(tokio::time::timeout(Duration::from_millis(300), call).await.is_err(), "waits for the one place");
    // Another name never shares the count.
    let other = Tenant::new("other-name").allow_origin(&env.mock.base_url()).max_concurrent_calls(1);
    let call = host().generate(&other, env.config(), Request::user("litellm:m", "z"));
    assert!(tokio::time::timeout(Duration::from_secs(10), call).await.unwrap().is_ok());
    drop(stream);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_wide_caps_hold_across_tenants_and_a_wait_ends_at_the_deadline() {
    let env = env().await;
    let limits = HostLimits::default().max_instances(1);
    let small = Host::with_options(HostOptions::default().limits(limits)).unwrap();
    let a = Tenant::new("a").allow_origin(&env.mock.base_url());
    let stream = small.stream(&a, env.config(), Request::user("litellm:m", "x")).await.unwrap();
    let b = Tenant::new("b").allow_origin(&env.mock.base_url()).call_deadline(Duration::from_millis(200));
    let started = Instant::now();
    let (reason, detail) = sandbox(small.generate(&b, env.config(), Request::user("litellm:m", "y")).await);
    assert_eq!(reason, SandboxReason::Deadline, "{detail}");
    assert!(detail.contains("no place on the host"), "{detail}");
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(stream);
    assert!(small.generate(&b, env.config(), Request::user("litellm:m", "z")).await.is_ok(), "the place is back");

    // Memory: each instance reserves its tenant's cap out of the host's budget.
    let limits = HostLimits::default().max_linear_memory_bytes(96 << 20);
    let budget = Host::with_options(HostOptions::default().limits(limits)).unwrap();
    let stream = budget.stream(&a, env.config(), Request::user("litellm:m", "x")).await.unwrap();
    let (reason, _) = sandbox(budget.generate(&b, env.config(), Request::user("litellm:m", "y")).await);
    assert_eq!(reason, SandboxReason::Deadline, "64 + 64 MiB do not fit in 96");
    let small_tenant = b.clone().memory_limit(16 << 20);
    assert!(budget.generate(&small_tenant, env.config(), Request::user("litellm:m", "y")).await.is_ok(), "64 + 16 do");
    drop(stream);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_config_can_raise_the_tenants_cap_on_a_whole_call() {
    let env = env().await;
    let tenant = env.tenant.clone().max_call_duration(Duration::from_millis(400));
    // A config that asks for 49 days; the stream goes on for ever, each step well within the
    // call deadline.
    let config = env.config().total_timeout_ms(u32::MAX).between_bytes_timeout_ms(u32::MAX);
    let started = Instant::now();
    let mut stream =
        host().stream(&tenant, config.clone(), Request::user("litellm:mock/stream-endless", "x")).await.unwrap();
    let mut last = None;
    while let Some(event) = stream.next().await {
        last = Some(event);
    }
    let (reason, detail) = sandbox(last.expect("an error ends it").map(drop));
    assert_eq!(reason, SandboxReason::Deadline);
    assert!(detail.contains("on a whole call"), "{detail}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    // And a call that waits on the endpoint.
    let (reason, _) =
        sandbox(host().generate(&tenant, config, Request::user("litellm:mock/slow-headers-3000", "x")).await);
    assert_eq!(reason, SandboxReason::Deadline);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_nobody_pulls_lets_go_of_its_place_and_connection_at_the_cap() {
    let env = env().await;
    // One place, a cap of 400 ms on a whole call; a wait for a place ends after 5 s.
    let tenant = Tenant::new("unpulled")
        .allow_origin(&env.mock.base_url())
        .max_concurrent_calls(1)
        .max_call_duration(Duration::from_millis(400))
        .call_deadline(Duration::from_secs(5));
    for warm in [false, true] {
        let client = host().warm(&tenant, env.config());
        // The endpoint writes without end: it sees the connection close when it is let go.
        let request = || Request::user("litellm:mock/stream-endless", "x");
        let mut stream = if warm {
            client.stream(request()).await.unwrap()
        } else {
            host().stream(&tenant, env.config(), request()).await.unwrap()
        };
        assert!(stream.next().await.unwrap().is_ok(), "the first delta");
        assert_eq!(env.mock.live_streams(), 1);
        // Nobody pulls: at the cap the place and the connection are let go all the same.
        tokio::time::sleep(Duration::from_millis(600)).await;
        let answer = host().generate(&tenant, env.config(), Request::user("litellm:m", "next")).await;
        assert_eq!(answer.unwrap().content, "You said: next", "the place came back");
        let closed = Instant::now();
        while env.mock.live_streams() != 0 {
            assert!(closed.elapsed() < Duration::from_secs(5), "the connection stays open");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // The caller then hears why, once (after the events it was given already).
        let told = loop {
            match stream.next().await.expect("the expiry is told") {
                Ok(_) => continue,
                Err(e) => break e,
            }
        };
        let (reason, detail) = sandbox(Err::<(), _>(told));
        assert_eq!(reason, SandboxReason::Deadline, "{detail}");
        assert!(stream.next().await.is_none());
        assert_eq!(client.idle_instances(), 0, "an expired instance never goes back");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_warm_instances_keep_at_most_the_hosts_idle_memory() {
    let env = env().await;
    let tenant = env.tenant.clone();
    let kept = |bytes: usize| {
        let warm = WarmOptions::default().max_idle_memory_bytes(bytes);
        Host::with_options(HostOptions::default().warm(warm)).unwrap()
    };
    // An answer of 1 MiB grows an instance's heap past 2 MiB: with room for 64 MiB it is kept...
    let roomy = kept(64 << 20);
    let client = roomy.warm(&tenant, env.config());
    client.generate(Request::user("litellm:mock/big-1mb", "x")).await.unwrap();
    assert_eq!(roomy.idle_instances(), 1);
    let grown = roomy.idle_memory_bytes();
    assert!(grown > 2 << 20, "{grown}");
    // ...and with room for less it is dropped instead of kept idle.
    let tight = kept(grown - 1);
    let client = tight.warm(&tenant, env.config());
    client.generate(Request::user("litellm:mock/big-1mb", "x")).await.unwrap();
    assert_eq!((tight.idle_instances(), tight.idle_memory_bytes()), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_that_resolves_to_any_refused_class_is_refused() {
    let env = env().await;
    let port = env.mock.addr().port();
    for (address, class, strict) in [
        ("169.254.169.254", "cloud metadata", false),
        ("168.63.129.16", "cloud metadata", false),
        ("169.254.10.1", "link-local", false),
        ("::ffff:169.254.169.254", "cloud metadata", false),
        ("::169.254.169.254", "cloud metadata", false),
        ("64:ff9b::a9fe:a9fe", "cloud metadata", false),
        ("64:ff9b:1:a9fe:a9:fe00::", "cloud metadata", false),
        ("2002:a9fe:a9fe::1", "cloud metadata", false),
        ("fe80::1", "link-local", false),
        ("100.64.0.1", "on a private network", true),
        ("0.1.2.3", "on a private network", true),
        ("fec0::1", "on a private network", true),
        ("2002:7f00:1::", "on a private network", true),
        ("127.0.0.1", "on a private network", true),
    ] {
        let url = format!("http://endpoint.test:{port}");
        let ip: IpAddr = address.parse().unwrap();
        let tenant =
            Tenant::new("pinned").allow_origin(&url).resolve("endpoint.test", ip).deny_private_networks(strict);
        let config = Config::for_url(&url).max_retries(2);
        let e = provider_error(host().generate(&tenant, config, Request::user("litellm:m", "x")).await);
        let refused = matches!(&e, ProviderError::Transport(f) if f.message.contains("prohibits") && f.attempts == 1);
        assert!(refused, "{address} ({class}): {e:?}");
    }
    assert!(env.mock.requests().is_empty());
    // A pinned name to an allowed address works: the pin is what the connection uses.
    let url = format!("http://endpoint.test:{port}");
    let tenant = Tenant::new("pinned").allow_origin(&url).resolve("endpoint.test", "127.0.0.1".parse().unwrap());
    let answer = host().generate(&tenant, Config::for_url(&url), Request::user("litellm:m", "pinned")).await.unwrap();
    assert_eq!(answer.content, "You said: pinned");
}

#[test]
fn a_thread_per_core_keeps_its_own_connections_and_shares_the_hosts_caps() {
    // The mock on a runtime of its own; the serving threads each on their own current-thread one.
    let mock_runtime = tokio::runtime::Runtime::new().unwrap();
    let env = mock_runtime.block_on(env());
    let tenant = Tenant::new("per-core").allow_origin(&env.mock.base_url());
    // Two serving threads, each its own host for the thread: the first makes its calls and stays
    // alive (its runtime holds its connection) while the second makes its own. Each thread keeps
    // its own pool: two connections, not one shared between the threads.
    let calls = |host: Host, tenant: Tenant, config: Config| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let warm = host.warm(&tenant, config.clone());
            for i in 0..5 {
                let answer = host.generate(&tenant, config.clone(), Request::user("litellm:m", format!("f{i}")));
                assert!(answer.await.is_ok());
                assert!(warm.generate(Request::user("litellm:m", format!("w{i}"))).await.is_ok());
            }
        });
        runtime
    };
    let (first_done, wait_first) = std::sync::mpsc::channel::<()>();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let first = {
        let (host, tenant, config) = (host().for_this_thread(), tenant.clone(), env.config());
        std::thread::spawn(move || {
            let runtime = calls(host, tenant, config);
            first_done.send(()).unwrap();
            released.recv().unwrap();
            drop(runtime);
        })
    };
    wait_first.recv().unwrap();
    let (host_2, tenant_2, config_2) = (host().for_this_thread(), tenant.clone(), env.config());
    std::thread::spawn(move || drop(calls(host_2, tenant_2, config_2))).join().unwrap();
    release.send(()).unwrap();
    first.join().unwrap();
    assert_eq!(env.mock.requests().len(), 20);
    assert_eq!(env.mock.connections(), 2, "one connection per thread, none handed between them");

    // The host-wide caps are the threads' in common: one instance for both.
    mock_runtime.block_on(async {
        let small = Host::with_options(HostOptions::default().limits(HostLimits::default().max_instances(1))).unwrap();
        let (a, b) = (small.for_this_thread(), small.for_this_thread());
        let stream = a.stream(&tenant, env.config(), Request::user("litellm:mock/stream-gated", "x")).await.unwrap();
        let waiting = tenant.clone().call_deadline(Duration::from_millis(200));
        let (reason, detail) = sandbox(b.generate(&waiting, env.config(), Request::user("litellm:m", "y")).await);
        assert_eq!(reason, SandboxReason::Deadline, "{detail}");
        drop(stream);
        assert!(b.generate(&waiting, env.config(), Request::user("litellm:m", "z")).await.is_ok());
    });
}
