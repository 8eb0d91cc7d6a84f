//! The CLI, as a user runs it.

use std::process::Command;

fn cli() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_litellm-host"));
    for name in ["LITELLM_BASE_URL", "LITELLM_API_KEY", "LITELLM_PROFILE", "SSL_CERT_FILE"] {
        command.env_remove(name);
    }
    command
}

#[test]
fn chat_answers_from_the_embedded_mock() {
    let out = cli().args(["chat", "Hello"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "You said: Hello\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("embedded mock"));
}

#[test]
fn chat_streams() {
    let out = cli().args(["chat", "--stream", "Hello stream"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "You said: Hello stream\n");
}

#[test]
fn chat_streams_through_the_wasi_0_3_component() {
    let out = cli().args(["chat", "--wasi-p3", "--stream", "Hello p3"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "You said: Hello p3\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_prints_json_and_its_flags_reach_the_request() {
    let mock = litellm_mock::MockServer::start().await.unwrap();
    let base = mock.base_url();
    let out = tokio::task::spawn_blocking(move || {
        cli()
            .args(["chat", "--json", "--base-url", &base, "--system", "S", "--max-tokens", "9", "--temperature", "0.5"])
            .args(["--reasoning-effort", "low", "--model", "litellm:gpt-4o", "Hi"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["content"], "You said: Hi");
    assert_eq!(json["stop_reason"], "end-turn");
    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    let body = &requests[0].body;
    assert_eq!(body["model"], "gpt-4o", "the prefix stripped");
    assert_eq!(body["messages"][0], serde_json::json!({"role": "system", "content": "S"}));
    assert_eq!(body["messages"][1]["content"], "Hi");
    assert_eq!(body["max_tokens"], 9);
    assert_eq!(body["temperature"], 0.5);
    assert_eq!(body["reasoning_effort"], "low");
}

#[test]
fn errors_print_the_typed_error_and_exit_non_zero() {
    let out =
        cli().args(["chat", "--model", "litellm:mock/error-401", "--api-key", "sk-cli-secret", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unauthorized") && stderr.contains("401"), "{stderr}");
    assert!(!stderr.contains("sk-cli-secret"));
}

#[test]
fn embed_and_models_subcommands() {
    let out = cli().args(["embed", "--dimensions", "3", "hello world", "hi"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "[11.0,0.0,0.5]\n[2.0,1.0,0.5]\n");
    let out = cli().args(["models"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "gpt-4o\ntext-embedding-3-small\nmock/echo\n");
    let out = cli().args(["chat", "--profile", "azure", "Hi"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "You said: Hi\n", "{out:?}");
}

#[test]
fn tool_calls_and_the_summary_are_printed() {
    let out = cli().args(["chat", "--model", "litellm:mock/tool-call", "--verbose", "Weather?"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("tool call get_weather (call_"), "{stdout}");
    assert!(stdout.contains("Paris"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("stop: tool-use") && stderr.contains("usage: "), "{stderr}");
    let out = cli().args(["chat", "--stream", "--model", "litellm:mock/stream-tool-calls", "x"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("tool call get_weather (call_1): {\"city\": \"Paris\"}"), "{stdout}");
    assert!(stdout.contains("tool call get_time (call_2)"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_a_ca_file_or_ssl_cert_file() {
    let mock = litellm_mock::MockServer::start_tls(litellm_mock::TlsOptions::default()).await.unwrap();
    let dir = std::env::temp_dir().join(format!("litellm-cli-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, mock.ca_pem().unwrap()).unwrap();
    let url = mock.base_url();
    let run = |command: &mut Command| command.output().unwrap();
    let out = run(cli().args(["chat", "--base-url", &url, "Hello TLS"]));
    assert_eq!(out.status.code(), Some(1), "untrusted without the CA: {out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown issuer"), "{out:?}");
    let out = run(cli().args(["chat", "--base-url", &url, "--ca-cert"]).arg(&ca).arg("Hello TLS"));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "You said: Hello TLS\n", "{out:?}");
    let out = run(cli().env("SSL_CERT_FILE", &ca).args(["chat", "--base-url", &url, "Hello env"]));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "You said: Hello env\n", "{out:?}");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_tokens_reaches_a_reasoning_model_and_the_counts_are_shown() {
    let mock = litellm_mock::MockServer::start().await.unwrap();
    let url = mock.base_url();
    let model = "litellm:mock/openai-reasoning";
    let args = ["chat", "--base-url", &url, "--model", model, "--max-tokens", "16", "--reasoning-effort", "low", "Hi"];
    // The litellm profile sends `max_tokens`, which the model refuses as OpenAI does.
    let out = cli().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported_parameter"), "{out:?}");
    // The openai profile (flag or LITELLM_PROFILE) sends `max_completion_tokens`.
    let out = cli().args(args).args(["--profile", "openai", "--json"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let usage = &json["usage"];
    assert_eq!(
        (&usage["reasoning_tokens"], &usage["cache_write_input_tokens"]),
        (&serde_json::json!(7), &serde_json::Value::Null)
    );
    assert_eq!(usage["cached_input_tokens"], usage["input_tokens"].as_u64().unwrap() - 1);
    let out = cli().env("LITELLM_PROFILE", "openai").args(args).args(["--stream", "--verbose"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(" cached, 7 reasoning, model: "), "{stderr}");
    // Or the caller picks the field on any profile.
    let out = cli().args(args).args(["--max-tokens-field", "max-completion-tokens"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let bodies: Vec<_> = mock.requests().into_iter().map(|r| r.body).collect();
    assert_eq!(bodies.len(), 4);
    assert!(bodies.iter().all(|b| b["reasoning_effort"] == "low"), "{bodies:?}");
    assert_eq!(bodies[0]["max_tokens"], 16);
    assert!(
        bodies[1..].iter().all(|b| b["max_completion_tokens"] == 16 && b.get("max_tokens").is_none()),
        "{bodies:?}"
    );
    let out = cli().args(["chat", "--reasoning-effort", "extreme", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "clap refuses a value outside the contract's");
}

#[test]
fn terminal_escapes_from_an_endpoint_are_shown_escaped() {
    let out = cli().args(["chat", "--model", "litellm:mock/hostile-escapes", "--verbose", "x"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    for (name, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        let raw = text.chars().find(|c| c.is_control() && *c != '\n' && *c != '\t');
        assert_eq!(raw, None, "{name}: {text:?}");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(r"hi\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{9b}31mthere"), "{stdout}");
    assert!(stdout.contains(r"tool call f\u{1b}[2J (call\u{7})"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains(r"model: gpt\u{1b}[31m-red"), "{out:?}");
    // --json was already safe: JSON escapes control characters itself.
    let out = cli().args(["chat", "--model", "litellm:mock/hostile-escapes", "--json", "x"]).output().unwrap();
    assert!(!out.stdout.contains(&0x1b), "{out:?}");
}
