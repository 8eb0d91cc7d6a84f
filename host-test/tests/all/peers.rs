//! The component against real software on loopback: a LiteLLM proxy, a real model served by
//! llama-cpp-python, and the component in a second runtime (jco on Node).
//!
//! Ignored by default, so a plain `cargo test --workspace` stays fast. `bash peers/setup.sh`
//! installs the peers, then `cargo test -p litellm-host --test all peers -- --include-ignored`.
//! Each test starts its own peer on a free port of 127.0.0.1 and kills it when it ends.

use crate::process::Process;
use crate::support::{api_error, host, provider_error};
use litellm_host::{Config, ProviderError, Request, StopReason, StreamEvent, Tenant, ToolCall, ToolDef};
use litellm_mock::MockServer;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub(crate) const NEEDS_SETUP: &str = "run `bash peers/setup.sh` first";

/// `peers/` at the workspace root.
pub(crate) fn peers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("peers")
}

/// A file of `peers/`, which must exist.
pub(crate) fn peer_file(relative: &str) -> PathBuf {
    let path = peers_dir().join(relative);
    assert!(path.exists(), "{} is missing: {NEEDS_SETUP}", path.display());
    path
}

/// A port free on 127.0.0.1 right now (bound, then released for the peer to take).
pub(crate) fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
    listener.local_addr().unwrap().port()
}

async fn collect_stream(tenant: &Tenant, config: Config, request: Request) -> Vec<StreamEvent> {
    let mut stream =
        host().stream(tenant, config, request).await.unwrap_or_else(|e| panic!("the stream did not start: {e}"));
    let mut events = Vec::new();
    while let Some(item) = stream.next().await {
        events.push(item.unwrap_or_else(|e| panic!("the stream failed after {events:?}: {e}")));
    }
    events
}

fn stream_text(events: &[StreamEvent]) -> String {
    events.iter().filter_map(|e| if let StreamEvent::Text(t) = e { Some(t.as_str()) } else { None }).collect()
}

const LITELLM_KEY: &str = "sk-peers-master-key";
const LITELLM_ANSWER: &str = "Hello from the LiteLLM proxy";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real peers: bash peers/setup.sh"]
async fn litellm_proxy() {
    let started = Instant::now();
    let dir = peer_file("litellm");
    let port = free_port();
    let mut command = Command::new(peer_file(".venv/bin/litellm"));
    command
        .current_dir(&dir)
        .args(["--config", "config.yaml", "--host", "127.0.0.1", "--port", &port.to_string()])
        .env("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        .env("PYTHONUNBUFFERED", "1")
        .env_remove("DATABASE_URL")
        .env_remove("LITELLM_MASTER_KEY");
    let mut proxy = Process::spawn("litellm", command);
    let ready = proxy.wait_ready(port, "/health/liveliness", Duration::from_secs(60)).await;
    eprintln!("litellm: ready after {ready:?}");
    let base = format!("http://127.0.0.1:{port}");
    let tenant = Tenant::new("peers-litellm")
        .allow_origin(&base)
        .env("LITELLM_BASE_URL", &base)
        .env("LITELLM_API_KEY", LITELLM_KEY);

    // The seed's intent: a default config, the base URL and key from the tenant's environment,
    // the `litellm:` prefix stripped (the proxy knows only `peer-chat`).
    let answer = host()
        .generate(&tenant, Config::default(), Request::user("litellm:peer-chat", "Hello"))
        .await
        .unwrap_or_else(|e| panic!("a chat answer: {e}\n{}", proxy.tail()));
    assert_eq!(answer.content, LITELLM_ANSWER);
    assert_eq!(answer.model, "peer-chat");
    assert_eq!(answer.stop_reason, StopReason::EndTurn);
    assert!(answer.tool_calls.is_empty());
    let usage = answer.usage.expect("LiteLLM counts tokens");
    assert!(usage.input_tokens > 0 && usage.output_tokens > 0, "{usage:?}");

    // A stream: LiteLLM's mock sends the answer in 3-character deltas, then a finish and usage.
    let events = collect_stream(&tenant, Config::default(), Request::user("litellm:peer-chat", "Hello")).await;
    assert!(events.iter().filter(|e| matches!(e, StreamEvent::Text(_))).count() > 1, "{events:?}");
    assert_eq!(stream_text(&events), LITELLM_ANSWER);
    match events.last() {
        Some(StreamEvent::Finish(end)) => {
            assert_eq!(end.stop_reason, StopReason::EndTurn);
            assert_eq!(end.model, "peer-chat");
            assert!(end.usage.is_some(), "the component asks for usage: {end:?}");
        }
        other => panic!("the last event is not finish: {other:?}"),
    }
    assert_eq!(events.iter().filter(|e| matches!(e, StreamEvent::Finish(_))).count(), 1);

    // A tool call, parsed from LiteLLM's `mock_tool_calls`.
    let mut request = Request::user("litellm:peer-tools", "What is the weather in Paris?");
    let parameters = r#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#;
    request.tools = vec![ToolDef {
        description: Some("The weather in a city".into()),
        ..ToolDef::function("get_weather", parameters)
    }];
    let answer = host()
        .generate(&tenant, Config::default(), request)
        .await
        .unwrap_or_else(|e| panic!("a tool call: {e}\n{}", proxy.tail()));
    assert_eq!(
        answer.tool_calls,
        vec![ToolCall {
            id: "call_peer_1".into(),
            name: "get_weather".into(),
            arguments: r#"{"city": "Paris"}"#.into()
        }]
    );
    // LiteLLM's mock says `stop`, not `tool_calls`, beside its tool calls.
    assert!(matches!(answer.stop_reason, StopReason::EndTurn | StopReason::ToolUse), "{answer:?}");

    // A wrong key: a real 401 (from custom_auth.py), and the key in no part of the error.
    let wrong = Config::default().api_key("sk-wrong-peer-key").max_retries(0);
    let e = provider_error(host().generate(&tenant, wrong, Request::user("litellm:peer-chat", "Hello")).await);
    assert!(matches!(e, ProviderError::Unauthorized(_)), "{e:?}");
    let a = api_error(&e);
    assert_eq!((a.status, a.attempts), (401, 1), "{a:?}");
    assert!(a.message.contains("Authentication Error"), "{a:?}");
    assert!(!format!("{e:?}").contains("sk-wrong-peer-key"), "{e:?}");

    // No key at all (a tenant without LITELLM_API_KEY): no header is sent, and the proxy says 401.
    let keyless = Tenant::new("peers-litellm-keyless").allow_origin(&base).env("LITELLM_BASE_URL", &base);
    let no_retries = Config::default().max_retries(0);
    let e =
        provider_error(host().generate(&keyless, no_retries.clone(), Request::user("litellm:peer-chat", "x")).await);
    assert!(matches!(&e, ProviderError::Unauthorized(a) if a.status == 401), "{e:?}");

    // LiteLLM's own RateLimitError: a 429 with its message.
    let e = provider_error(host().generate(&tenant, no_retries, Request::user("litellm:peer-rate-limited", "x")).await);
    assert!(matches!(e, ProviderError::RateLimited(_)), "{e:?}");
    let a = api_error(&e);
    assert_eq!((a.status, a.attempts), (429, 1), "{a:?}");
    assert!(a.message.contains("mock rate limit error"), "{a:?}");

    drop(proxy);
    eprintln!("litellm: test done in {:?}", started.elapsed());
}

const GGUF: &str = ".models/gemma-3-270m-q4_k_m.gguf";
const LLAMA_MODEL: &str = "gemma-3-270m";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real peers: bash peers/setup.sh"]
async fn llama_cpp_real_model() {
    let started = Instant::now();
    let model = peer_file(GGUF);
    let port = free_port();
    let mut command = Command::new(peer_file(".venv/bin/python"));
    command
        .args(["-m", "llama_cpp.server", "--model"])
        .arg(&model)
        .args(["--model_alias", LLAMA_MODEL, "--chat_format", "gemma", "--n_ctx", "1024"])
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .env("PYTHONUNBUFFERED", "1");
    let mut server = Process::spawn("llama-cpp-server", command);
    let ready = server.wait_ready(port, "/v1/models", Duration::from_secs(60)).await;
    eprintln!("llama.cpp: ready after {ready:?}");
    let base = format!("http://127.0.0.1:{port}");
    let tenant = Tenant::new("peers-llama").allow_origin(&base);
    let config = Config::default().base_url(base.clone()).max_retries(0);
    let ask = |prompt: &str| {
        let mut request = Request::user(format!("litellm:{LLAMA_MODEL}"), prompt);
        request.max_tokens = Some(16);
        request.temperature = Some(0.0);
        request
    };

    let t = Instant::now();
    let answer = host()
        .generate(&tenant, config.clone(), ask("Say hello in one short sentence."))
        .await
        .unwrap_or_else(|e| panic!("a chat answer: {e}\n{}", server.tail()));
    eprintln!("llama.cpp: answer in {:?}: {answer:?}", t.elapsed());
    assert!(!answer.content.trim().is_empty(), "{answer:?}");
    let usage = answer.usage.expect("llama.cpp counts tokens");
    assert!(usage.input_tokens > 0, "{usage:?}");
    assert!((1..=16).contains(&usage.output_tokens), "max-tokens is 16: {usage:?}");
    assert!(matches!(answer.stop_reason, StopReason::EndTurn | StopReason::MaxTokens), "{answer:?}");

    let t = Instant::now();
    let events = collect_stream(&tenant, config, ask("Name three colours.")).await;
    eprintln!("llama.cpp: {} stream events in {:?}: {:?}", events.len(), t.elapsed(), stream_text(&events));
    assert!(events.iter().any(|e| matches!(e, StreamEvent::Text(t) if !t.is_empty())), "{events:?}");
    match events.last() {
        Some(StreamEvent::Finish(end)) => {
            assert!(matches!(end.stop_reason, StopReason::EndTurn | StopReason::MaxTokens), "{end:?}")
        }
        other => panic!("the last event is not finish: {other:?}"),
    }

    drop(server);
    eprintln!("llama.cpp: test done in {:?}", started.elapsed());
}

/// One JSON line per result from `peers/jco/run.mjs` (Node's own warnings, also in the log, skipped).
fn run_mjs_lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line from run.mjs: {l:?}: {e}")))
        .collect()
}

/// Runs `node run.mjs OUT BASE_URL MODEL` and returns its JSON lines.
async fn run_under_jco(jco: &Path, out: &Path, base: &str, model: &str) -> Vec<serde_json::Value> {
    let mut command = Command::new("node");
    command.current_dir(jco).arg("run.mjs").arg(out).args([base, model]);
    let mut node = Process::spawn("node-run-mjs", command);
    let status = node.wait(Duration::from_secs(60)).await;
    assert!(status.success(), "node run.mjs failed: {status}\n{}", node.tail());
    run_mjs_lines(&node.stdout())
}

fn step<'a>(lines: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    lines.iter().find(|l| l["step"] == name).unwrap_or_else(|| panic!("no {name:?} line in {lines:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real peers: bash peers/setup.sh"]
async fn jco_runs_the_same_component() {
    let started = Instant::now();
    let jco = peers_dir().join("jco");
    let bin = peer_file("jco/node_modules/.bin/jco");
    let out = jco.join("out");

    // Transpile this build's component (what `npx jco transpile` runs).
    let t = Instant::now();
    let mut command = Command::new(bin);
    command.current_dir(&jco).args(["transpile", litellm_host::COMPONENT_PATH, "-o"]).arg(&out).args(["--quiet"]);
    let mut transpile = Process::spawn("jco-transpile", command);
    let status = transpile.wait(Duration::from_secs(120)).await;
    assert!(status.success(), "jco transpile failed: {status}\n{}", transpile.tail());
    eprintln!("jco: transpiled in {:?}", t.elapsed());

    let mock = MockServer::start().await.expect("the mock starts");
    let base = mock.base_url();

    let t = Instant::now();
    let lines = run_under_jco(&jco, &out, &base, "litellm:gpt-4o").await;
    eprintln!("jco: run.mjs in {:?}", t.elapsed());
    assert!(!lines.iter().any(|l| l["step"] == "error"), "{lines:#?}");
    let open = step(&lines, "open");
    assert_eq!(open["name"], "litellm");
    assert_eq!(open["supportsModel"], true);
    let answer = &step(&lines, "generate")["response"];
    assert_eq!(answer["content"], "You said: Hello from jco");
    assert_eq!(answer["model"], "gpt-4o");
    assert_eq!(answer["stopReason"], "end-turn");
    assert!(answer["usage"]["outputTokens"].as_u64().unwrap_or(0) > 0, "{answer}");

    let events: Vec<&serde_json::Value> = lines.iter().filter(|l| l["step"] == "event").map(|l| &l["event"]).collect();
    let text: String = events.iter().filter(|e| e["tag"] == "text").map(|e| e["val"].as_str().unwrap()).collect();
    assert_eq!(text, "You said: Streaming from jco");
    assert!(events.iter().filter(|e| e["tag"] == "text").count() > 1, "{events:#?}");
    let last = events.last().expect("stream events");
    assert_eq!(last["tag"], "finish", "{events:#?}");
    assert_eq!(last["val"]["stopReason"], "end-turn");
    assert_eq!(last["val"]["model"], "gpt-4o");
    step(&lines, "stream-end");

    // An empty config: the base URL came from LITELLM_BASE_URL in the component's environment.
    assert_eq!(step(&lines, "generate-env")["response"]["content"], "You said: Hello from the environment");

    // What reached the wire: three requests, the prefix stripped, the stream asked for.
    let requests = mock.requests();
    assert_eq!(requests.len(), 3, "{requests:#?}");
    assert!(requests.iter().all(|r| r.body["model"] == "gpt-4o"), "{requests:#?}");
    assert_eq!(requests[1].body["stream"], true);

    // The contract's error arrives as jco's `ComponentError` payload.
    let lines = run_under_jco(&jco, &out, &base, "litellm:mock/error-401").await;
    let errors: Vec<&serde_json::Value> = lines.iter().filter(|l| l["step"] == "error").collect();
    assert_eq!(errors.len(), 3, "{lines:#?}");
    for e in errors {
        assert_eq!(e["error"]["tag"], "unauthorized", "{e}");
        assert_eq!(e["error"]["val"]["status"], 401, "{e}");
    }

    eprintln!("jco: test done in {:?}", started.elapsed());
}
