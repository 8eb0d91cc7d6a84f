//! The CLI, as a user runs it.

use std::process::Command;

fn cli() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_litellm-host"));
    command.env_remove("LITELLM_BASE_URL").env_remove("LITELLM_API_KEY");
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
fn chat_streams_and_prints_json() {
    let out = cli().args(["chat", "--stream", "Hello stream"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "You said: Hello stream\n");
    let out = cli()
        .args(["chat", "--json", "--system", "S", "--max-tokens", "9", "--temperature", "0.5", "Hi"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["content"], "You said: Hi");
    assert_eq!(json["stop_reason"], "end-turn");
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
