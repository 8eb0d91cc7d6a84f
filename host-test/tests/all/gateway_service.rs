//! The gateway as a service a platform can expose, composed and under `wasmtime serve`, driven
//! over real HTTP: closed by default, client keys, the model allowlist, the field policy, bounded
//! requests, errors that tell nothing about the upstream, embeddings and the access log; and its
//! settings read from `wasi:config/store`, as wasmCloud gives them.

use crate::composition::{
    http, http_with, serve_file, serve_gateway_with, Reply, CLIENT_KEY, CLIENT_KEYS, GATEWAY_KEY,
};
use crate::process::Process;
use litellm_mock::MockServer;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

const CHAT: &str = "/v1/chat/completions";

fn hello(model: &str) -> String {
    json!({"model": model, "messages": [{"role": "user", "content": "Hi there"}]}).to_string()
}

/// The access log's lines so far: the gateway's stderr, which `wasmtime serve` passes on with a
/// prefix of its own (`stderr [N] :: `).
fn log_lines(serve: &Process) -> Vec<Value> {
    let json = |line: &str| serde_json::from_str::<Value>(&line[line.find('{')?..]).ok();
    serve.stderr().lines().filter_map(json).filter(|l| l.get("route").is_some()).collect()
}

/// Waits (at most 10 s) until the log has `n` lines: a line is written after the answer is sent.
async fn logged(serve: &Process, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let lines = log_lines(serve);
        if lines.len() >= n || Instant::now() > deadline {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn error(reply: &Reply) -> Value {
    reply.json()["error"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the wasmtime CLI: bash peers/setup.sh"]
async fn closed_until_keys_are_configured_or_it_is_opened() {
    let mock = MockServer::start().await.expect("the mock starts");
    let (serve, port) = serve_gateway_with(&mock.base_url(), &[]).await;
    for (method, path, body) in [("POST", CHAT, Some(hello("gpt-4o"))), ("GET", "/v1/models", None)] {
        let reply = http(port, method, path, body.as_deref()).unwrap();
        assert_eq!(reply.status, 401, "{reply:?}");
        let message = error(&reply)["message"].as_str().unwrap().to_owned();
        assert!(message.contains("LITELLM_GATEWAY_KEYS") && message.contains("LITELLM_GATEWAY_AUTH=none"), "{message}");
    }
    assert_eq!(http_with(port, "GET", "/health", None, &[]).unwrap().status, 200, "health needs no key");
    assert!(mock.requests().is_empty(), "nothing reached the upstream");
    drop(serve);

    let (serve, port) = serve_gateway_with(&mock.base_url(), &["LITELLM_GATEWAY_AUTH=none"]).await;
    let reply = http_with(port, "POST", CHAT, Some(&hello("gpt-4o")), &[]).unwrap();
    assert_eq!(reply.status, 200, "{reply:?}");
    let lines = logged(&serve, 2).await;
    assert!(lines.iter().all(|l| l["auth"].as_str().is_some_and(|a| a.starts_with("none"))), "{lines:?}");
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the wasmtime CLI: bash peers/setup.sh"]
async fn client_keys_models_and_fields() {
    let mock = MockServer::start().await.expect("the mock starts");
    let env = [CLIENT_KEYS, "LITELLM_GATEWAY_MODELS=gpt-4o,mock/*", "LITELLM_GATEWAY_PASSTHROUGH=top_k"];
    let (serve, port) = serve_gateway_with(&mock.base_url(), &env).await;

    // A wrong or missing key: 401 before anything else happens; either header form works.
    for headers in [vec![], vec![("authorization", "Bearer sk-wrong")], vec![("authorization", "sk-gw-client-team-a")]]
    {
        let reply = http_with(port, "POST", CHAT, Some(&hello("gpt-4o")), &headers).unwrap();
        assert_eq!((reply.status, error(&reply)["code"].clone()), (401, json!("invalid_api_key")), "{headers:?}");
        assert!(!reply.body.contains("sk-wrong"), "the key sent is never echoed");
    }
    let reply = http_with(port, "POST", CHAT, Some(&hello("gpt-4o")), &[("api-key", "sk-gw-plain-key")]).unwrap();
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(mock.requests().iter().all(|r| r.header("authorization") == Some(&*format!("Bearer {GATEWAY_KEY}"))));
    assert!(!reply.body.contains(GATEWAY_KEY));

    // The model allowlist: 404 without an upstream call; the model list is the intersection.
    let before = mock.requests().len();
    let reply = http(port, "POST", CHAT, Some(&hello("o3"))).unwrap();
    assert_eq!((reply.status, error(&reply)["code"].clone()), (404, json!("model_not_found")), "{reply:?}");
    let embed = json!({"model": "text-embedding-3-small", "input": "x"}).to_string();
    assert_eq!(http(port, "POST", "/v1/embeddings", Some(&embed)).unwrap().status, 404);
    assert_eq!(mock.requests().len(), before);
    let models = http(port, "GET", "/v1/models", None).unwrap().json();
    let ids: Vec<&str> = models["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["gpt-4o", "mock/echo"]);

    // Unknown fields: 400 naming the field; a redirecting one never goes; the passthrough does.
    let body = json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}], "api_base": "http://evil"});
    let reply = http(port, "POST", CHAT, Some(&body.to_string())).unwrap();
    assert_eq!(reply.status, 400, "{reply:?}");
    assert_eq!(error(&reply)["message"], "Unrecognized request argument supplied: api_base");
    assert_eq!(error(&reply)["param"], "api_base");
    let body = json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}], "top_k": 5});
    assert_eq!(http(port, "POST", CHAT, Some(&body.to_string())).unwrap().status, 200);
    assert_eq!(mock.requests().last().unwrap().body["top_k"], 5);

    // The log: one line per request, the key's name (never the key), the model, status, tokens.
    let lines = logged(&serve, 13).await;
    let text = serve.stderr();
    assert!(!text.contains(CLIENT_KEY) && !text.contains("sk-gw-plain-key") && !text.contains(GATEWAY_KEY));
    let ok = lines.iter().find(|l| l["client"] == "key-2").expect("the plain key's line");
    assert_eq!(
        (ok["route"].as_str(), ok["model"].as_str(), ok["status"].as_u64()),
        (Some(CHAT), Some("gpt-4o"), Some(200))
    );
    assert!(ok["input_tokens"].as_u64().is_some() && ok["duration_ms"].is_u64(), "{ok}");
    let refused = lines.iter().find(|l| l["status"] == 404).expect("the 404's line");
    assert_eq!(
        (refused["client"].as_str(), refused["error"].as_str()),
        (Some("team-a"), Some("invalid_request_error"))
    );
    drop(serve);

    // A passthrough list that names a redirecting field is refused at once.
    let (serve, port) =
        serve_gateway_with(&mock.base_url(), &[CLIENT_KEYS, "LITELLM_GATEWAY_PASSTHROUGH=api_base"]).await;
    let reply = http(port, "POST", CHAT, Some(&hello("gpt-4o"))).unwrap();
    assert_eq!(reply.status, 500, "{reply:?}");
    assert!(error(&reply)["message"].as_str().unwrap().contains("api_base"));
    assert_eq!(http_with(port, "GET", "/health", None, &[]).unwrap().status, 503, "a platform must not route to it");
    drop(serve);
}

/// Sends a request head with `content-length` and only `sent` of its body bytes, then reads the
/// answer (at most 30 s).
fn partial_body(port: u16, length: usize, sent: &[u8]) -> (u16, Duration) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "POST {CHAT} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {CLIENT_KEY}\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\n\r\n"
    );
    let started = Instant::now();
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(sent).unwrap();
    let mut answer = [0u8; 256];
    let n = stream.read(&mut answer).unwrap_or(0);
    let text = String::from_utf8_lossy(&answer[..n]);
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the wasmtime CLI: bash peers/setup.sh"]
async fn bounded_requests_and_a_client_that_stops_reading() {
    let mock = MockServer::start().await.expect("the mock starts");
    let env = [
        CLIENT_KEYS,
        "LITELLM_GATEWAY_MAX_BODY_BYTES=1000",
        "LITELLM_GATEWAY_BODY_TIMEOUT_MS=500",
        "LITELLM_GATEWAY_TIMEOUT_MS=3000",
    ];
    let (serve, port) = serve_gateway_with(&mock.base_url(), &env).await;
    // Past the cap: 413, whether the length is declared or not; the rest is never read.
    let big = json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "a".repeat(2000)}]}).to_string();
    let reply = http(port, "POST", CHAT, Some(&big)).unwrap();
    assert_eq!((reply.status, error(&reply)["code"].clone()), (413, json!("request_too_large")), "{reply:?}");
    let (status, _) = partial_body(port, 10 << 20, b"{");
    assert_eq!(status, 413, "a declared 10 MiB body is refused before it is read");
    // A body that does not arrive: 408 after the body deadline.
    let (status, took) = partial_body(port, 100, b"{\"model\":");
    assert_eq!(status, 408);
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(mock.requests().is_empty());

    // A client that asks for a long stream and stops reading: the gateway gives up at its
    // deadline (3 s here) and logs it, instead of holding the instance.
    let body =
        json!({"model": "mock/stream-events-200000", "stream": true, "messages": [{"role": "user", "content": "x"}]});
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let body = body.to_string();
    let head = format!(
        "POST {CHAT} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {CLIENT_KEY}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let started = Instant::now();
    let stalled = loop {
        let lines = log_lines(&serve);
        if let Some(line) = lines.iter().find(|l| l["model"] == "mock/stream-events-200000") {
            break line.clone();
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no log line: {}", serve.tail());
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(stalled["error"], "client stalled", "{stalled}");
    assert!(stalled["duration_ms"].as_u64().unwrap() < 10_000, "{stalled}");
    drop(stream);
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the wasmtime CLI: bash peers/setup.sh"]
async fn errors_name_no_upstream_and_embeddings_are_openais() {
    // An upstream nobody listens on: 502, and nothing about where it is.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let (serve, port) = serve_gateway_with(&dead, &[CLIENT_KEYS]).await;
    let reply = http(port, "POST", CHAT, Some(&hello("gpt-4o"))).unwrap();
    assert_eq!((reply.status, error(&reply)["message"].clone()), (502, json!("the upstream could not be reached")));
    assert!(!reply.body.contains("127.0.0.1") && !reply.body.contains(dead.rsplit(':').next().unwrap()), "{reply:?}");
    drop(serve);

    let mock = MockServer::start().await.expect("the mock starts");
    let (serve, port) = serve_gateway_with(&mock.base_url(), &[CLIENT_KEYS]).await;
    // An upstream error that echoes the gateway's key: the key never reaches the client.
    let reply = http(port, "POST", CHAT, Some(&hello("mock/error-echo-key"))).unwrap();
    assert_eq!(reply.status, 401, "{reply:?}");
    assert!(!reply.body.contains(GATEWAY_KEY) && reply.body.contains("Incorrect API key provided"), "{reply:?}");
    for model in ["mock/hostile-echo-upper", "mock/hostile-echo-escaped"] {
        let reply = http(port, "POST", CHAT, Some(&hello(model))).unwrap();
        assert!(!crate::support::leaks(&reply.body, GATEWAY_KEY), "{model}: {reply:?}");
        assert!(reply.body.contains("[redacted]"), "{model}: {reply:?}");
    }

    let body = json!({"model": "text-embedding-3-small", "input": ["hello world", "hi"], "dimensions": 3});
    let floats = http(port, "POST", "/v1/embeddings", Some(&body.to_string())).unwrap();
    assert_eq!(floats.status, 200, "{floats:?}");
    let floats = floats.json();
    assert_eq!(floats["object"], "list");
    assert_eq!(floats["data"][0], json!({"object": "embedding", "index": 0, "embedding": [11.0, 0.0, 0.5]}));
    assert!(floats["usage"]["prompt_tokens"].is_u64(), "{floats}");
    let mut base64 = body.clone();
    base64["encoding_format"] = json!("base64");
    let encoded = http(port, "POST", "/v1/embeddings", Some(&base64.to_string())).unwrap().json();
    assert_eq!(encoded["data"][1]["embedding"], "AAAAQAAAgD8AAAA/", "2.0, 1.0, 0.5 as little-endian f32s");
    let lines = logged(&serve, 3).await;
    assert!(lines.iter().any(|l| l["route"] == "/v1/embeddings" && l["status"] == 200 && l["client"] == "team-a"));
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the wasmtime CLI: bash peers/setup.sh"]
async fn peak_memory_under_twenty_maximum_size_requests() {
    let mock = MockServer::start().await.expect("the mock starts");
    let (serve, port) = serve_gateway_with(&mock.base_url(), &[CLIENT_KEYS]).await;
    // Bodies of exactly the default cap (4 MiB), whose echoed answers are as large.
    let cap = litellm_gateway::settings::DEFAULT_MAX_BODY_BYTES;
    let shell = hello("gpt-4o").replace("Hi there", "");
    let body = hello("gpt-4o").replace("Hi there", &"a".repeat(cap - shell.len()));
    assert_eq!(body.len(), cap);
    let started = Instant::now();
    let clients: Vec<_> = (0..20)
        .map(|_| {
            let body = body.clone();
            std::thread::spawn(move || http(port, "POST", CHAT, Some(&body)).map(|r| r.status))
        })
        .collect();
    let statuses: Vec<_> = clients.into_iter().map(|c| c.join().unwrap().unwrap()).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let status = std::fs::read_to_string(format!("/proc/{}/status", serve.id())).unwrap();
    let peak_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    eprintln!(
        "gateway: peak RSS of wasmtime serve under 20 concurrent {cap}-byte requests: {} MiB ({:?})",
        peak_kib / 1024,
        started.elapsed()
    );
    // A bound that catches a copy per request too many, not a measurement (BENCHMARKS.md has it).
    assert!(peak_kib < 2 * 1024 * 1024, "{peak_kib} KiB");
    drop(serve);
}

/// The gateway wasmCloud runs (`gateway-config`: the config-env adapter plugged in front) takes
/// every setting from `wasi:config/store` when the environment lacks it: the gateway's own (client
/// keys, models) and the provider's (upstream URL and key). Under `wasmtime serve -S config`, with
/// no `LITELLM_*` variable in the environment but one that overrides the configuration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the wasmtime CLI: bash peers/setup.sh"]
async fn settings_come_from_wasi_config_when_the_environment_lacks_them() {
    let mock = MockServer::start().await.expect("the mock starts");
    let base = mock.base_url();
    let config = [
        format!("LITELLM_BASE_URL={base}"),
        format!("LITELLM_API_KEY={GATEWAY_KEY}"),
        // One key: `wasmtime serve` splits `-S` values on commas (a manifest has no such limit).
        format!("LITELLM_GATEWAY_KEYS=team-a={CLIENT_KEY}"),
        "LITELLM_GATEWAY_MODELS=mock/echo".to_string(),
        // Not a LITELLM_ key: the adapter leaves it out of the environment.
        "upstream=http://127.0.0.1:9".to_string(),
    ];
    let mut args: Vec<String> = ["-S", "cli", "-S", "config"].map(String::from).to_vec();
    for pair in &config {
        args.extend(["-S".to_string(), format!("config-var={pair}")]);
    }
    // The environment wins over the configuration: this host allows gpt-4o instead.
    args.extend(["--env".to_string(), "LITELLM_GATEWAY_MODELS=gpt-4o".to_string()]);
    let (serve, port) = serve_file(&litellm_compose::gateway_config_composed(), &args).await;

    // Closed to a caller without one of the configured keys.
    let reply = http_with(port, "POST", CHAT, Some(&hello("gpt-4o")), &[]).unwrap();
    assert_eq!(reply.status, 401, "{reply:?}");
    // Served with one, through the provider that found its upstream in the configuration.
    let reply = http(port, "POST", CHAT, Some(&hello("gpt-4o"))).unwrap();
    assert_eq!(reply.status, 200, "{reply:?}\n{}", serve.tail());
    assert!(reply.json()["choices"][0]["message"]["content"].is_string(), "{reply:?}");
    // The configuration's model list lost to the environment's.
    let reply = http(port, "POST", CHAT, Some(&hello("mock/echo"))).unwrap();
    assert_eq!(reply.status, 404, "{reply:?}");
    assert_eq!(error(&reply)["code"], "model_not_found");

    // The upstream got the configured key, and only the one request.
    let requests = mock.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_eq!(requests[0].header("authorization"), Some(&*format!("Bearer {GATEWAY_KEY}")));
    // The access log (its lines after the readiness probe's) names the configured key's owner.
    let lines = logged(&serve, 4).await;
    let chats: Vec<_> = lines.iter().filter(|l| l["route"] == CHAT).collect();
    let seen: Vec<_> = chats.iter().map(|l| (l["status"].as_u64(), l["client"].as_str())).collect();
    assert_eq!(seen, [(Some(401), None), (Some(200), Some("team-a")), (Some(404), Some("team-a"))], "{lines:?}");
    drop(serve);
}
