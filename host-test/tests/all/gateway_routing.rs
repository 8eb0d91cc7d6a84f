//! The gateway's routes and limits (#30) through the real composed gateway served by
//! `litellm-host serve-gateway` (`GatewayServer`: a fresh instance per request, `wasi:keyvalue`
//! over one shared store), against mock upstreams: fallbacks and cool-downs, weighted round
//! robin, each key's limits before any upstream call, 32 concurrent clients, and two serving
//! processes on one Redis (a peer test: Debian's `redis-server`), which then goes away.

use crate::composition::{http_with, Reply};
use crate::peers::free_port;
use crate::process::Process;
use crate::support::away_from_the_minute_s_end;
use litellm_mock::MockServer;
use serde_json::{json, Value};
use std::process::Command;
use std::time::{Duration, Instant};

const CHAT: &str = "/v1/chat/completions";
const KEYS: &str =
    "LITELLM_GATEWAY_KEYS=team-a=sk-route-a,team-b=sk-route-b,team-c=sk-route-c,team-d=sk-route-d,free=sk-route-free";

/// `litellm-host serve-gateway` with `routes`, these variables and `store`, allowed to reach
/// `origins`; once `/health` answers.
async fn serve(routes: &Value, env: &[&str], store: &str, origins: &[&str]) -> (Process, u16) {
    serve_with(routes, env, store, origins, &[]).await
}

/// The same with more flags of `serve-gateway`.
async fn serve_with(routes: &Value, env: &[&str], store: &str, origins: &[&str], flags: &[&str]) -> (Process, u16) {
    let port = free_port();
    let file = std::env::temp_dir().join(format!("litellm-routes-{}-{port}.json", std::process::id()));
    std::fs::write(&file, routes.to_string()).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_litellm-host"));
    command.args(["serve-gateway", "--listen", &format!("127.0.0.1:{port}"), "--store", store]);
    command.args(["--store-timeout-ms", "300", "--routes"]).arg(&file).args(flags);
    for origin in origins {
        command.args(["--allow-origin", origin]);
    }
    for pair in [KEYS].iter().chain(env) {
        command.args(["--env", pair]);
    }
    (crate::composition::until_healthy(Process::spawn("serve-gateway", command), port).await, port)
}

fn chat(port: u16, key: &str, model: &str) -> Reply {
    let body = json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}).to_string();
    http_with(port, "POST", CHAT, Some(&body), &[("authorization", &format!("Bearer {key}"))]).unwrap()
}

/// The access log's lines (the gateway's stderr through the host's), as JSON.
fn log_lines(process: &Process) -> Vec<Value> {
    process.stderr().lines().filter_map(|line| serde_json::from_str::<Value>(line).ok()).collect()
}

/// Waits until the log's lines pass `done` (a line is written after its answer went out), and
/// gives them.
async fn wait_for_log(process: &Process, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let lines = log_lines(process);
        if done(&lines) || Instant::now() > deadline {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_upstream_is_skipped_for_the_other_and_cooled_down() {
    let (good, bad) = (MockServer::start().await.unwrap(), MockServer::start().await.unwrap());
    let (good_url, bad_url) = (good.base_url(), bad.base_url());
    let gone_url = format!("http://127.0.0.1:{}", free_port());
    let deployment = |name: &str, base: &str, model: &str| json!({"name": name, "base_url": base, "model": model});
    let routes = json!({
        "strategy": "ordered",
        "models": [
            {"model": "limited", "deployments": [deployment("bad-429", &bad_url, "mock/error-429-ms"), deployment("good-1", &good_url, "mock/echo")]},
            {"model": "down", "deployments": [deployment("bad-503", &bad_url, "mock/error-503"), deployment("good-2", &good_url, "mock/echo")]},
            {"model": "slow", "deployments": [
                {"name": "bad-slow", "base_url": bad_url, "model": "mock/slow-headers-5000", "first_byte_timeout_ms": 300},
                deployment("good-3", &good_url, "mock/echo")]},
            {"model": "gone", "deployments": [deployment("bad-gone", &gone_url, "m"), deployment("good-4", &good_url, "mock/echo")]},
            {"model": "alias", "fallbacks": ["down"], "deployments": [deployment("bad-alias", &bad_url, "mock/error-500")]},
            {"model": "wrong", "deployments": [deployment("bad-400", &bad_url, "mock/error-context"), deployment("good-5", &good_url, "mock/echo")]}
        ]
    });
    let (served, port) = serve(&routes, &[], "memory", &[&good_url, &bad_url, &gone_url]).await;

    // 429, 503, a timeout, a refused connection: served by the next deployment, which the
    // header and the log name, with the one that failed.
    for (model, failed, answered) in [
        ("limited", "bad-429", "good-1"),
        ("down", "bad-503", "good-2"),
        ("slow", "bad-slow", "good-3"),
        ("gone", "bad-gone", "good-4"),
    ] {
        let reply = chat(port, "sk-route-a", model);
        assert_eq!(reply.status, 200, "{model}: {reply:?}\n{}", served.tail());
        assert_eq!(reply.header("x-litellm-deployment"), Some(answered), "{model}");
        assert!(!reply.body.contains("127.0.0.1"), "no address in the answer: {reply:?}");
        let lines = wait_for_log(&served, |lines| lines.iter().any(|l| l["deployment"] == answered)).await;
        let line = lines.iter().find(|l| l["deployment"] == answered).expect("a log line names the deployment");
        assert_eq!(line["tried"], json!([failed]), "{line}");
    }
    // A fallback model after the route's own deployments failed.
    let reply = chat(port, "sk-route-a", "alias");
    assert_eq!((reply.status, reply.header("x-litellm-deployment")), (200, Some("good-2")), "{reply:?}");

    // Cooled down: the next calls go straight to the good deployment.
    let before = bad.requests().len();
    for (model, answered) in [("limited", "good-1"), ("down", "good-2"), ("slow", "good-3")] {
        assert_eq!(chat(port, "sk-route-a", model).header("x-litellm-deployment"), Some(answered));
    }
    assert_eq!(bad.requests().len(), before, "no call to a deployment in its cool-down");

    // The caller's own error is the answer: no fallback, the good deployment is not called.
    let good_before = good.requests().len();
    let reply = chat(port, "sk-route-a", "wrong");
    assert_eq!((reply.status, reply.header("x-litellm-deployment")), (400, Some("bad-400")), "{reply:?}");
    assert_eq!(good.requests().len(), good_before);

    // A stream falls back before its first byte too.
    let body = json!({"model": "limited", "stream": true, "messages": [{"role": "user", "content": "hi"}]}).to_string();
    let reply = http_with(port, "POST", CHAT, Some(&body), &[("authorization", "Bearer sk-route-a")]).unwrap();
    assert_eq!((reply.status, reply.header("x-litellm-deployment")), (200, Some("good-1")), "{reply:?}");
    assert!(reply.body.contains("data: [DONE]"), "{reply:?}");
    // An unrouted model is unknown.
    assert_eq!(chat(port, "sk-route-a", "gpt-4o").status, 404);
    // The upstream models the client may name: the routes', without an upstream call.
    let models = http_with(port, "GET", "/v1/models", None, &[("authorization", "Bearer sk-route-a")]).unwrap();
    assert_eq!(models.json()["data"].as_array().unwrap().len(), 6, "{models:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn weighted_round_robin_shares_the_calls_by_weight() {
    let (one, two) = (MockServer::start().await.unwrap(), MockServer::start().await.unwrap());
    let routes = json!({"models": [{"model": "m", "deployments": [
        {"name": "one", "base_url": one.base_url(), "model": "mock/echo", "weight": 3},
        {"name": "two", "base_url": two.base_url(), "model": "mock/echo", "weight": 1}
    ]}]});
    let (_served, port) = serve(&routes, &[], "memory", &[&one.base_url(), &two.base_url()]).await;
    let mut served_by = Vec::new();
    for _ in 0..8 {
        let reply = chat(port, "sk-route-free", "m");
        assert_eq!(reply.status, 200, "{reply:?}");
        served_by.push(reply.header("x-litellm-deployment").unwrap().to_owned());
    }
    assert_eq!(served_by, ["one", "one", "one", "two", "one", "one", "one", "two"]);
    assert_eq!((one.requests().len(), two.requests().len()), (6, 2));
}

fn limits_routes(base: &str) -> Value {
    json!({
        "models": [{"model": "m", "deployments": [{"name": "up", "base_url": base, "model": "mock/echo"}]},
                   {"model": "held", "deployments": [{"name": "held", "base_url": base, "model": "mock/slow-headers-1500"}]}],
        "keys": {
            "team-a": {"rpm": 3},
            // mock/echo reports 1 + 3 = 4 tokens for "hi".
            "team-b": {"tpm": 10},
            "team-c": {"token_budget": 8},
            "team-d": {"max_concurrent": 2, "models": ["held", "m"]},
            "free": {"models": ["m"]}
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_keys_limits_refuse_before_the_upstream_and_leave_other_keys_alone() {
    let mock = MockServer::start().await.unwrap();
    let (served, port) = serve(&limits_routes(&mock.base_url()), &[], "memory", &[&mock.base_url()]).await;
    let upstream_calls = || mock.requests().len();

    let over = |key: &str, ok: usize| {
        for i in 0..ok {
            let reply = chat(port, key, "m");
            assert_eq!(reply.status, 200, "{key} call {i}: {reply:?}");
        }
        let before = upstream_calls();
        let reply = chat(port, key, "m");
        assert_eq!(reply.status, 429, "{key}: {reply:?}");
        assert_eq!(upstream_calls(), before, "{key}: refused before any upstream call");
        let error = &reply.json()["error"];
        assert!(error["message"].as_str().unwrap().contains("over its limit"), "{reply:?}");
        assert!(!reply.body.contains(key), "no key in the answer");
        reply
    };
    let rpm = over("sk-route-a", 3);
    assert_eq!(rpm.json()["error"]["code"], "rate_limit_exceeded");
    let wait: u64 = rpm.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{rpm:?}");
    let tpm = over("sk-route-b", 3);
    assert_eq!(tpm.json()["error"]["type"], "tokens");
    let budget = over("sk-route-c", 2);
    assert_eq!(budget.json()["error"]["code"], "insufficient_quota");
    assert!(budget.header("retry-after").is_none(), "a spent budget does not renew");

    // On Anthropic's route the 429 takes Anthropic's shape, with the same wait.
    let body = json!({"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}).to_string();
    let reply = http_with(port, "POST", "/v1/messages", Some(&body), &[("x-api-key", "sk-route-a")]).unwrap();
    assert_eq!(reply.status, 429, "{reply:?}");
    assert_eq!(
        (reply.json()["type"].clone(), reply.json()["error"]["type"].clone()),
        (json!("error"), json!("rate_limit_error"))
    );
    assert!(reply.header("retry-after").is_some());

    // Two held calls of team-d take its two slots: a third is refused at once, while a key
    // without limits is served meanwhile; once they end the slots come back.
    let held: Vec<_> = (0..2).map(|_| std::thread::spawn(move || chat(port, "sk-route-d", "held"))).collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let refused = chat(port, "sk-route-d", "m");
    assert_eq!(refused.status, 429, "{refused:?}");
    assert!(started.elapsed() < Duration::from_millis(1000), "refused without waiting");
    assert_eq!(chat(port, "sk-route-free", "m").status, 200, "another key is not held up");
    for call in held {
        assert_eq!(call.join().unwrap().status, 200);
    }
    assert_eq!(chat(port, "sk-route-d", "m").status, 200, "the slots came back");
    // A key's model list.
    assert_eq!(chat(port, "sk-route-free", "held").status, 404);

    let lines = wait_for_log(&served, |lines| lines.iter().filter(|l| l["limit"].is_string()).count() >= 5).await;
    let limits: Vec<&str> = lines.iter().filter_map(|l| l["limit"].as_str()).collect();
    assert_eq!(limits, ["rpm", "tpm", "token_budget", "rpm", "max_concurrent"], "the log names each limit");
    assert!(!served.stderr().contains("sk-route"), "no key in the log");
}

/// 32 clients at once against a key allowed 10 requests a minute: exactly 10 reach the upstream.
fn thirty_two_at_once(ports: &[u16]) -> (usize, usize) {
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(32));
    let calls: Vec<_> = (0..32)
        .map(|i| {
            let (barrier, port) = (barrier.clone(), ports[i % ports.len()]);
            std::thread::spawn(move || {
                barrier.wait();
                chat(port, "sk-route-a", "m").status
            })
        })
        .collect();
    let statuses: Vec<u16> = calls.into_iter().map(|c| c.join().unwrap()).collect();
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    (ok, refused)
}

fn concurrent_routes(base: &str) -> Value {
    json!({"models": [{"model": "m", "deployments": [{"name": "up", "base_url": base, "model": "mock/echo"}]}],
           "keys": {"team-a": {"rpm": 10}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_limit_holds_under_thirty_two_concurrent_clients() {
    let mock = MockServer::start().await.unwrap();
    let (_served, port) = serve(&concurrent_routes(&mock.base_url()), &[], "memory", &[&mock.base_url()]).await;
    away_from_the_minute_s_end().await;
    let (ok, refused) = tokio::task::spawn_blocking(move || thirty_two_at_once(&[port])).await.unwrap();
    assert_eq!((ok, refused), (10, 22));
    assert_eq!(mock.requests().len(), 10);
}

/// Debian's `redis-server` on a free port, without persistence.
fn redis() -> (Process, u16) {
    let port = free_port();
    let mut command = Command::new("redis-server");
    command.args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
    let process = Process::spawn("redis-server", command);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "redis-server did not listen\n{}", process.tail());
        std::thread::sleep(Duration::from_millis(50));
    }
    (process, port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs Debian's redis-server (`.ci/run` installs it)"]
async fn two_serving_processes_share_one_redis_and_fail_closed_without_it() {
    let mock = MockServer::start().await.unwrap();
    let (redis, redis_port) = redis();
    let store = format!("redis://127.0.0.1:{redis_port}");
    let routes = concurrent_routes(&mock.base_url());
    let (_one, port_one) = serve(&routes, &[], &store, &[&mock.base_url()]).await;
    let (_two, port_two) = serve(&routes, &[], &store, &[&mock.base_url()]).await;
    away_from_the_minute_s_end().await;
    let (ok, refused) = tokio::task::spawn_blocking(move || thirty_two_at_once(&[port_one, port_two])).await.unwrap();
    assert_eq!((ok, refused), (10, 22), "one count across both processes");
    assert_eq!(mock.requests().len(), 10);

    // The store goes away: a limited key is refused at once (503, fail closed), a key without
    // limits is still served; nothing waits longer than the store's timeout.
    drop(redis);
    for port in [port_one, port_two] {
        let started = Instant::now();
        let reply = chat(port, "sk-route-a", "m");
        assert_eq!(reply.status, 503, "{reply:?}");
        assert_eq!(reply.json()["error"]["code"], "store_unavailable");
        assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
        assert_eq!(chat(port, "sk-route-free", "m").status, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs the wasmtime CLI (`bash peers/setup.sh`)"]
async fn under_wasmtime_serve_routes_hold_per_request_and_limited_keys_are_refused() {
    // `wasmtime serve -S keyvalue` gives each request's instance its own in-memory store, whose
    // only bucket is "": a limit cannot be counted across requests there, so a limited key is
    // refused (the default bucket does not exist), and routes with fallbacks work per request.
    let mock = MockServer::start().await.unwrap();
    let routes = json!({
        "models": [{"model": "m", "deployments": [
            {"name": "broken", "base_url": mock.base_url(), "model": "mock/error-503"},
            {"name": "good", "base_url": mock.base_url(), "model": "mock/echo"}]}],
        "keys": {"team-a": {"rpm": 100}}
    });
    let args: Vec<String> =
        ["-S", "cli", "--env", KEYS, "--env", &format!("LITELLM_GATEWAY_ROUTES={routes}")].map(String::from).to_vec();
    let (_serve, port) = crate::composition::serve_file(&litellm_compose::gateway_composed(), &args).await;
    for _ in 0..2 {
        let reply = chat(port, "sk-route-free", "m");
        assert_eq!((reply.status, reply.header("x-litellm-deployment")), (200, Some("good")), "{reply:?}");
    }
    assert_eq!(mock.requests_for("mock/error-503").len(), 2, "no cool-down outlives its request");
    let reply = chat(port, "sk-route-a", "m");
    assert_eq!((reply.status, reply.json()["error"]["code"].clone()), (503, json!("store_unavailable")), "{reply:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_embeddings_answer_of_two_million_floats_fits_the_default_memory_cap() {
    // 240 inputs of 8,192 dimensions: 1.97 million floats, 7.9 MB of upstream JSON (under the
    // provider's 8 MiB cap). As a JSON tree the answer alone would take about 63 MB of the
    // gateway's 64 MiB memory cap; serialized from the vectors it takes what its text takes.
    let upstream = MockServer::start().await.unwrap();
    let url = upstream.base_url();
    let routes =
        json!({"models": [{"model": "e", "deployments": [{"name": "emb", "base_url": url, "model": "mock/e"}]}]});
    let (served, port) = serve(&routes, &[], "memory", &[&url]).await;
    let inputs: Vec<String> = (0..240).map(|i| format!("text {i}")).collect();
    let body = json!({"model": "e", "input": inputs, "dimensions": 8192}).to_string();
    let reply =
        http_with(port, "POST", "/v1/embeddings", Some(&body), &[("authorization", "Bearer sk-route-a")]).unwrap();
    assert_eq!(reply.status, 200, "{}", served.stderr());
    let answer = reply.json();
    let data = answer["data"].as_array().unwrap();
    assert_eq!(data.len(), 240);
    assert!(data.iter().all(|item| item["embedding"].as_array().map(Vec::len) == Some(8192)));
    assert_eq!(data[7]["index"], 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_host_s_quota_on_the_served_gateway_answers_in_each_wire_s_shape() {
    let upstream = MockServer::start().await.unwrap();
    let url = upstream.base_url();
    let routes =
        json!({"models": [{"model": "m", "deployments": [{"name": "one", "base_url": url, "model": "mock/echo"}]}]});
    // /health is a request too: the wait for it takes the minute's first call.
    let second = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() % 60;
    if second >= 50 {
        tokio::time::sleep(Duration::from_secs(61 - second)).await;
    }
    let (served, port) = serve_with(&routes, &[], "memory", &[&url], &["--calls-per-minute", "3"]).await;
    let calls_before = upstream.requests().len();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(chat(port, "sk-route-a", "m").status);
    }
    let refused = statuses.iter().filter(|&&s| s == 429).count();
    assert!(refused >= 1, "{statuses:?}: three calls and the health check in a minute of three");
    let openai = chat(port, "sk-route-b", "m");
    assert_eq!(openai.status, 429);
    let body = openai.json();
    assert_eq!(
        (body["error"]["type"].as_str(), body["error"]["code"].as_str()),
        (Some("requests"), Some("rate_limit_exceeded"))
    );
    assert!(body["error"]["message"].as_str().unwrap().contains("calls-per-minute"), "{body}");
    let wait: u64 = openai.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(openai.header("retry-after-ms").is_some());
    let messages = json!({"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}).to_string();
    let anthropic = http_with(port, "POST", "/v1/messages", Some(&messages), &[("x-api-key", "sk-route-a")]).unwrap();
    assert_eq!(anthropic.status, 429);
    assert_eq!(anthropic.json()["error"]["type"], "rate_limit_error");
    assert_eq!(upstream.requests().len() - calls_before, 3 - refused, "no refused request went upstream");
    drop(served);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn serve_gateway_answers_on_one_runtime_or_a_thread_per_core() {
    let upstream = MockServer::start().await.unwrap();
    let url = upstream.base_url();
    let routes =
        json!({"models": [{"model": "m", "deployments": [{"name": "one", "base_url": url, "model": "mock/echo"}]}]});
    for threads in ["0", "3"] {
        let (served, port) = serve_with(&routes, &[], "memory", &[&url], &["--threads", threads]).await;
        // Several connections at once: with threads, the kernel spreads them over the sockets.
        let calls: Vec<_> =
            (0..12).map(|_| tokio::task::spawn_blocking(move || chat(port, "sk-route-a", "m"))).collect();
        for call in calls {
            let reply = call.await.unwrap();
            assert_eq!(reply.status, 200, "--threads {threads}: {}", served.stderr());
            assert_eq!(reply.header(litellm_gateway::DEPLOYMENT_HEADER), Some("one"));
        }
        drop(served);
    }
}
