//! The agents' own wires on the composed gateway under `wasmtime serve`: OpenAI's Responses
//! (`/v1/responses`, Codex CLI's) and Anthropic's Messages (`/v1/messages`, Claude Code's), over
//! the mock's chat completions, by hand and with the official Python clients.

use std::process::Command;
use std::time::Duration;

use crate::composition::{http, http_with, serve_gateway_with, CLIENT_KEY, CLIENT_KEYS};
use crate::peers::peer_file;
use crate::process::Process;
use litellm_mock::{MockServer, AGENT_OUTPUT, AGENT_REPLY};
use serde_json::{json, Value};

/// The `(event, data)` pairs of a server-sent-events body.
fn events(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter_map(|event| {
            let name = event.lines().find_map(|l| l.strip_prefix("event: "))?;
            let data = event.lines().find_map(|l| l.strip_prefix("data: "))?;
            Some((name.to_owned(), serde_json::from_str(data).unwrap_or_else(|e| panic!("{e}: {data}"))))
        })
        .collect()
}

fn shell_tool() -> Value {
    json!({"type": "function", "name": "shell", "parameters": {"type": "object",
           "properties": {"command": {"type": "array", "items": {"type": "string"}}}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the wasmtime CLI: bash peers/setup.sh"]
async fn responses_route_serves_a_tool_turn_whole_and_streamed() {
    let mock = MockServer::start().await.expect("the mock starts");
    let (serve, port) = serve_gateway_with(&mock.base_url(), &[CLIENT_KEYS]).await;
    let post = |body: &Value| http(port, "POST", "/v1/responses", Some(&body.to_string())).expect("answers");
    let ask = json!({"model": "mock/agent", "instructions": "Be an agent.", "store": false,
                     "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Go"}]}],
                     "tools": [shell_tool(), {"type": "web_search"}], "include": ["reasoning.encrypted_content"],
                     "reasoning": {"effort": "low", "summary": "auto"}, "parallel_tool_calls": false});
    let first = post(&ask);
    assert_eq!(first.status, 200, "{first:?}\n{}", serve.tail());
    let answer = first.json();
    assert_eq!((answer["object"].as_str(), answer["status"].as_str()), (Some("response"), Some("completed")));
    let call = answer["output"].as_array().unwrap().iter().find(|i| i["type"] == "function_call").cloned();
    let call = call.unwrap_or_else(|| panic!("no function_call in {answer}"));
    assert_eq!(call["name"], "shell");
    let arguments: Value = serde_json::from_str(call["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(arguments["command"][0], "bash", "{arguments}");
    let upstream = &mock.requests()[0].body;
    assert_eq!(upstream["messages"][0], json!({"role": "system", "content": "Be an agent."}), "{upstream}");
    assert_eq!(upstream["tools"].as_array().unwrap().len(), 1, "web_search is not offered upstream: {upstream}");
    assert_eq!((&upstream["reasoning_effort"], &upstream["parallel_tool_calls"]), (&json!("low"), &json!(false)));

    // The tool's output handed back, streamed: the whole Responses event sequence.
    let mut second = ask.clone();
    let input = second["input"].as_array_mut().unwrap();
    input.push(
        json!({"type": "function_call", "call_id": call["call_id"], "name": "shell", "arguments": call["arguments"]}),
    );
    input.push(json!({"type": "function_call_output", "call_id": call["call_id"], "output": "agent-42\n"}));
    second["stream"] = json!(true);
    let reply = post(&second);
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(reply.header("content-type").unwrap().starts_with("text/event-stream"));
    let events = events(&reply.body);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names[..4],
        ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"],
        "{names:?}"
    );
    assert_eq!(
        names[names.len() - 4..],
        ["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"]
    );
    for (i, (name, data)) in events.iter().enumerate() {
        assert_eq!((data["type"].as_str(), data["sequence_number"].as_u64()), (Some(name.as_str()), Some(i as u64)));
    }
    let text: String = events
        .iter()
        .filter(|(n, _)| n == "response.output_text.delta")
        .map(|(_, d)| d["delta"].as_str().unwrap())
        .collect();
    assert_eq!(text, format!("{AGENT_REPLY}{AGENT_OUTPUT}"));
    let done = &events.last().unwrap().1["response"];
    assert_eq!(done["output"][0]["content"][0]["text"], text.as_str());
    let sent = &mock.requests()[1].body;
    assert_eq!(sent["messages"][2]["tool_calls"][0]["id"], call["call_id"], "{sent}");
    assert_eq!(sent["messages"][3], json!({"role": "tool", "tool_call_id": call["call_id"], "content": "agent-42\n"}));

    // What a stateless gateway cannot serve: named in the access log, or a clear 400.
    let refused = post(&json!({"model": "gpt-4o", "input": "x", "previous_response_id": "resp_1"}));
    assert_eq!(refused.status, 400, "{refused:?}");
    assert_eq!(refused.json()["error"]["param"], "previous_response_id");
    let log = serve.stderr();
    let line = log
        .lines()
        .filter(|l| l.contains("\"/v1/responses\""))
        .find_map(|l| serde_json::from_str::<Value>(l.split_once(" :: ")?.1).ok());
    let line = line.unwrap_or_else(|| panic!("no access-log line for /v1/responses in {log}"));
    assert_eq!(line["left_out"], json!(["include", "tools:web_search", "reasoning.summary"]), "{line}");
    assert!(!log.contains(CLIENT_KEY), "no key in the log");
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the wasmtime CLI: bash peers/setup.sh"]
async fn messages_route_serves_a_tool_turn_with_anthropics_shapes() {
    let mock = MockServer::start().await.expect("the mock starts");
    let (serve, port) = serve_gateway_with(&mock.base_url(), &[CLIENT_KEYS]).await;
    let key = [("x-api-key", CLIENT_KEY), ("anthropic-version", "2023-06-01")];
    let post =
        |path: &str, body: &Value| http_with(port, "POST", path, Some(&body.to_string()), &key).expect("answers");
    let bash = json!({"name": "Bash", "input_schema": {"type": "object", "properties": {"command": {"type": "string"}},
                      "required": ["command"]}, "cache_control": {"type": "ephemeral"}});
    let ask = json!({"model": "mock/agent", "max_tokens": 256, "system": [{"type": "text", "text": "Be an agent."}],
                     "messages": [{"role": "user", "content": "Go"}], "tools": [bash],
                     "thinking": {"type": "enabled", "budget_tokens": 20000}});
    let first = post("/v1/messages?beta=true", &ask);
    assert_eq!(first.status, 200, "{first:?}\n{}", serve.tail());
    let message = first.json();
    assert_eq!(
        (message["type"].as_str(), message["stop_reason"].as_str()),
        (Some("message"), Some("tool_use")),
        "{message}"
    );
    let usage = &message["content"].as_array().unwrap().iter().find(|b| b["type"] == "tool_use").cloned().unwrap();
    assert_eq!(usage["name"], "Bash");
    assert_eq!(usage["input"]["command"], litellm_mock::AGENT_COMMAND);
    assert_eq!(mock.requests()[0].body["reasoning_effort"], "high", "a 20,000-token budget");

    let mut second = ask.clone();
    second["stream"] = json!(true);
    let turns = second["messages"].as_array_mut().unwrap();
    turns.push(json!({"role": "assistant", "content": message["content"]}));
    turns.push(json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": usage["id"], "content": "agent-42"}]}));
    let reply = post("/v1/messages", &second);
    assert_eq!(reply.status, 200, "{reply:?}");
    let events = events(&reply.body);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names[..3], ["message_start", "ping", "content_block_start"], "{names:?}");
    assert_eq!(names[names.len() - 3..], ["content_block_stop", "message_delta", "message_stop"]);
    let text: String = events.iter().filter_map(|(_, d)| d["delta"]["text"].as_str()).collect();
    assert_eq!(text, format!("{AGENT_REPLY}{AGENT_OUTPUT}"));
    assert_eq!(events[events.len() - 2].1["delta"]["stop_reason"], "end_turn");
    let sent = &mock.requests()[1].body;
    assert_eq!(sent["messages"][3]["role"], "tool", "{sent}");

    // Anthropic's error shape, for a wrong key and for a bad body; count_tokens as an estimate.
    let wrong = http_with(port, "POST", "/v1/messages", Some(&ask.to_string()), &[("x-api-key", "sk-wrong")]).unwrap();
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.json()["type"], "error");
    assert_eq!(wrong.json()["error"]["type"], "authentication_error");
    assert!(!wrong.body.contains("sk-wrong"));
    let bad = post("/v1/messages", &json!({"model": "m", "messages": "no"}));
    assert_eq!((bad.status, bad.json()["error"]["type"].as_str()), (400, Some("invalid_request_error")), "{bad:?}");
    let count = post(
        "/v1/messages/count_tokens",
        &json!({"model": "m", "messages": [{"role": "user", "content": "12345678"}]}),
    );
    assert_eq!((count.status, count.json()), (200, json!({"input_tokens": 6})), "{count:?}");
    assert_eq!(mock.requests().len(), 2, "count_tokens calls no upstream");
    drop(serve);
}

fn run_lines(stdout: &str) -> Vec<Value> {
    stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

fn step<'a>(lines: &'a [Value], name: &str) -> &'a Value {
    lines.iter().find(|l| l["step"] == name).unwrap_or_else(|| panic!("no {name:?} step in {lines:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the wasmtime CLI and the openai package: bash peers/setup.sh"]
async fn responses_with_the_openai_python_client() {
    let mock = MockServer::start().await.expect("the mock starts");
    let (serve, port) = serve_gateway_with(&mock.base_url(), &[CLIENT_KEYS]).await;
    let mut command = Command::new(peer_file(".venv/bin/python"));
    command.arg(peer_file("gateway/responses_client.py")).arg(format!("http://127.0.0.1:{port}/v1")).arg(CLIENT_KEY);
    let (status, stdout, run) = Process::run("openai-responses", command, Duration::from_secs(120)).await;
    assert!(status.success(), "{status}\n{stdout}\n{}\n{}", run.tail(), serve.tail());
    let lines = run_lines(&stdout);
    let create = step(&lines, "create");
    assert_eq!((create["object"].as_str(), create["status"].as_str()), (Some("response"), Some("completed")));
    assert_eq!(create["text"], "You said: Hello from responses");
    assert_eq!(create["usage"]["output_tokens"], 5, "the mock counts words: {create}");
    let stream = step(&lines, "stream");
    assert_eq!(stream["text"], "You said: Streaming responses");
    assert_eq!(stream["final"], stream["text"]);
    assert_eq!(stream["types"][0], "response.created");
    assert_eq!(stream["types"].as_array().unwrap().last().unwrap(), "response.completed");
    let tool_loop = step(&lines, "loop");
    assert_eq!(tool_loop["calls"], 1, "{tool_loop}");
    assert_eq!(tool_loop["text"], format!("{AGENT_REPLY}{AGENT_OUTPUT}"), "the shell ran: {tool_loop}");
    let error = step(&lines, "error");
    assert_eq!((error["raised"].as_str(), error["status"].as_u64()), (Some("BadRequestError"), Some(400)), "{error}");
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the wasmtime CLI and the anthropic package: bash peers/setup.sh"]
async fn messages_with_the_anthropic_python_client() {
    let mock = MockServer::start().await.expect("the mock starts");
    let (serve, port) = serve_gateway_with(&mock.base_url(), &[CLIENT_KEYS]).await;
    let mut command = Command::new(peer_file(".venv/bin/python"));
    command.arg(peer_file("gateway/anthropic_client.py")).arg(format!("http://127.0.0.1:{port}")).arg(CLIENT_KEY);
    let (status, stdout, run) = Process::run("anthropic-python", command, Duration::from_secs(120)).await;
    assert!(status.success(), "{status}\n{stdout}\n{}\n{}", run.tail(), serve.tail());
    let lines = run_lines(&stdout);
    let create = step(&lines, "create");
    assert_eq!((create["type"].as_str(), create["stop_reason"].as_str()), (Some("message"), Some("end_turn")));
    assert_eq!(create["text"], "You said: Hello from anthropic");
    let stream = step(&lines, "stream");
    assert_eq!(stream["text"], "You said: Streaming anthropic", "{stream}");
    assert_eq!(stream["stop_reason"], "end_turn");
    let tool_loop = step(&lines, "loop");
    assert_eq!(tool_loop["calls"], 1, "{tool_loop}");
    assert_eq!(tool_loop["text"], format!("{AGENT_REPLY}{AGENT_OUTPUT}"), "the shell ran: {tool_loop}");
    assert_eq!(step(&lines, "count")["input_tokens"], 6);
    let wrong = step(&lines, "wrong-key");
    assert_eq!(
        (wrong["raised"].as_str(), wrong["status"].as_u64()),
        (Some("AuthenticationError"), Some(401)),
        "{wrong}"
    );
    assert_eq!(wrong["body"]["error"]["type"], "authentication_error");
    drop(serve);
}

/// A fresh directory under the system's temporary directory, for an agent's home and work tree.
fn scratch(name: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("litellm-agent-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(dir.join("work")).unwrap();
    dir
}

/// The upstream's view of an agent's turn: two calls, the second carrying what the shell printed
/// back as a tool message, every one streamed (the agents' own wire was served as a stream).
fn assert_one_tool_turn(mock: &MockServer) {
    let requests = mock.requests();
    assert_eq!(
        requests.len(),
        2,
        "a tool call and the answer: {:#?}",
        requests.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    assert!(requests.iter().all(|r| r.body["stream"] == true), "every call streamed");
    let messages = requests[1].body["messages"].as_array().unwrap();
    let result =
        messages.iter().find(|m| m["role"] == "tool").unwrap_or_else(|| panic!("no tool result: {messages:?}"));
    assert!(result["content"].as_str().unwrap().contains(AGENT_OUTPUT), "the shell ran: {result}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the wasmtime CLI and Codex CLI: bash peers/setup.sh"]
async fn codex_cli_runs_a_shell_turn_through_the_gateway() {
    let mock = MockServer::start().await.expect("the mock starts");
    let (serve, port) = serve_gateway_with(&mock.base_url(), &[CLIENT_KEYS]).await;
    let dir = scratch("codex");
    // No update check, no analytics, no plugins: the agent reaches nothing but the gateway.
    let config = format!(
        "model = \"mock/agent\"\nmodel_provider = \"gateway\"\napproval_policy = \"never\"\n\
         sandbox_mode = \"danger-full-access\"\ncheck_for_update_on_startup = false\n\n\
         [features]\nplugins = false\n\n[analytics]\nenabled = false\n\n\
         [model_providers.gateway]\nname = \"litellm gateway\"\nbase_url = \"http://127.0.0.1:{port}/v1\"\n\
         env_key = \"GATEWAY_KEY\"\nwire_api = \"responses\"\nrequest_max_retries = 0\nstream_max_retries = 0\n"
    );
    std::fs::write(dir.join("config.toml"), config).unwrap();
    let mut command = Command::new(peer_file("agents/node_modules/.bin/codex"));
    command
        .args(["exec", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox"])
        .arg("Run the shell tool and tell me what it printed")
        .current_dir(dir.join("work"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &dir)
        .env("CODEX_HOME", &dir)
        .env("GATEWAY_KEY", CLIENT_KEY);
    let (status, stdout, run) = Process::run("codex", command, Duration::from_secs(180)).await;
    assert!(status.success(), "{status}\n{stdout}\n{}\n{}", run.tail(), serve.tail());
    assert!(stdout.contains(AGENT_REPLY) && stdout.contains(AGENT_OUTPUT), "Codex's answer: {stdout}\n{}", run.tail());
    assert_one_tool_turn(&mock);
    let log = serve.stderr();
    assert!(log.contains("\"left_out\":[\"include\",\"prompt_cache_key\",\"client_metadata\""), "{log}");
    assert!(!log.contains(CLIENT_KEY));
    let _ = std::fs::remove_dir_all(&dir);
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the wasmtime CLI and Claude Code: bash peers/setup.sh"]
async fn claude_code_runs_a_bash_turn_through_the_gateway() {
    let mock = MockServer::start().await.expect("the mock starts");
    let (serve, port) = serve_gateway_with(&mock.base_url(), &[CLIENT_KEYS]).await;
    let dir = scratch("claude");
    let mut command = Command::new(peer_file("agents/node_modules/.bin/claude"));
    command
        .args(["-p", "Run the Bash tool and tell me what it printed", "--dangerously-skip-permissions"])
        .args(["--output-format", "json"])
        .current_dir(dir.join("work"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &dir)
        .env("ANTHROPIC_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env("ANTHROPIC_API_KEY", CLIENT_KEY)
        .envs([("ANTHROPIC_MODEL", "mock/agent"), ("ANTHROPIC_DEFAULT_HAIKU_MODEL", "mock/agent")])
        .env("ANTHROPIC_SMALL_FAST_MODEL", "mock/agent")
        // Root may skip permissions only in a sandbox: this test's scratch directory is one.
        .env("IS_SANDBOX", "1")
        // Nothing but the gateway: no telemetry, no update check, no error reports.
        .envs([("DISABLE_TELEMETRY", "1"), ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")])
        .envs([("DISABLE_AUTOUPDATER", "1"), ("DISABLE_ERROR_REPORTING", "1")])
        // A broken stream must fail the test, not fall back to a non-streamed request.
        .env("CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK", "1")
        .env("CLAUDE_CODE_MAX_RETRIES", "0");
    let (status, stdout, run) = Process::run("claude", command, Duration::from_secs(180)).await;
    assert!(status.success(), "{status}\n{stdout}\n{}\n{}", run.tail(), serve.tail());
    let answer: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(answer["is_error"], false, "{answer}");
    let result = answer["result"].as_str().unwrap_or_default();
    assert!(result.contains(AGENT_REPLY) && result.contains(AGENT_OUTPUT), "Claude Code's answer: {answer}");
    assert_one_tool_turn(&mock);
    let log = serve.stderr();
    assert!(log.contains("\"route\":\"/v1/messages\"") && !log.contains(CLIENT_KEY), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the wasmtime CLI: bash peers/setup.sh"]
async fn inline_media_only_refuses_image_urls_on_every_wire_before_the_upstream() {
    let mock = MockServer::start().await.expect("the mock starts");
    let (serve, port) = serve_gateway_with(&mock.base_url(), &[CLIENT_KEYS, "LITELLM_GATEWAY_MEDIA=inline"]).await;
    let post = |path: &str, body: Value| http(port, "POST", path, Some(&body.to_string())).expect("answers");
    let metadata = "http://169.254.169.254/latest/meta-data/";
    let chat = post(
        "/v1/chat/completions",
        json!({"model": "gpt-4o", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": metadata}}]}]}),
    );
    assert_eq!((chat.status, chat.json()["error"]["code"].as_str()), (400, Some("media_refused")), "{chat:?}");
    let responses = post(
        "/v1/responses",
        json!({"model": "gpt-4o", "input": [{"role": "user", "content": [
        {"type": "input_text", "text": "look"}, {"type": "input_image", "image_url": metadata}]}]}),
    );
    assert_eq!(responses.status, 400, "{responses:?}");
    let messages = post(
        "/v1/messages",
        json!({"model": "gpt-4o", "max_tokens": 8, "messages": [{"role": "user", "content": [
        {"type": "text", "text": "look"}, {"type": "image", "source": {"type": "url", "url": metadata}}]}]}),
    );
    assert_eq!((messages.status, messages.json()["error"]["type"].as_str()), (400, Some("invalid_request_error")));
    assert!(mock.requests().is_empty(), "refused before any upstream call");
    let inline = post(
        "/v1/messages",
        json!({"model": "gpt-4o", "max_tokens": 8, "messages": [{"role": "user", "content": [
        {"type": "text", "text": "look"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}]}]}),
    );
    assert_eq!(inline.status, 200, "{inline:?}\n{}", serve.tail());
    let sent = &mock.requests()[0].body;
    assert_eq!(sent["messages"][0]["content"][1]["image_url"]["url"], "data:image/png;base64,iVBORw0KGgo=", "{sent}");
    drop(serve);
}
