//! The conformance suite: bodies recorded from real servers (`conformance/`, each with its
//! source), replayed by the mock, read through the component of each world (0.2 and 0.3), and
//! checked against the mapping each case expects.

use crate::support::{both_worlds, env};
use litellm_host::{CallError, Host, ProviderError, Request, StopReason, StreamEvent, Usage};
use litellm_mock::Scripted;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What one case's answer came to, in the suite's terms.
#[derive(Default, Debug)]
struct Outcome {
    content: String,
    reasoning: String,
    refusal: String,
    tool_calls: Vec<Value>,
    stop_reason: Option<&'static str>,
    usage: Option<Usage>,
    model: Option<String>,
    error: Option<ProviderError>,
}

fn cases() -> Vec<(String, Value)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../conformance");
    let mut cases = Vec::new();
    for server in std::fs::read_dir(&root).expect("conformance/ exists").flatten() {
        let Ok(files) = std::fs::read_dir(server.path()) else { continue };
        for file in files.flatten().filter(|f| f.path().extension().is_some_and(|e| e == "json")) {
            let text = std::fs::read_to_string(file.path()).unwrap();
            let case: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{:?}: {e}", file.path()));
            let name = format!("{}/{}", case["server"].as_str().unwrap(), file.file_name().to_string_lossy());
            cases.push((name, case));
        }
    }
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    cases
}

fn stop_name(stop: StopReason) -> &'static str {
    stop.name()
}

async fn run(host: &Host, env: &crate::support::Env, model: &str, stream: bool) -> Outcome {
    let request = Request::user(format!("litellm:{model}"), "replayed");
    let mut outcome = Outcome::default();
    if !stream {
        match host.generate(&env.tenant, env.config(), request).await {
            Ok(r) => {
                outcome.content = r.content;
                outcome.reasoning = r.reasoning.unwrap_or_default();
                outcome.refusal = r.refusal.unwrap_or_default();
                outcome.tool_calls = r
                    .tool_calls
                    .iter()
                    .map(|c| serde_json::json!({"id": c.id, "name": c.name, "arguments": c.arguments}))
                    .collect();
                outcome.stop_reason = Some(stop_name(r.stop_reason));
                outcome.usage = r.usage;
                outcome.model = Some(r.model);
            }
            Err(CallError::Provider(e)) => outcome.error = Some(e),
            Err(e) => panic!("{model}: sandbox {e}"),
        }
        return outcome;
    }
    let mut events = match host.stream(&env.tenant, env.config(), request).await {
        Ok(s) => s,
        Err(CallError::Provider(e)) => {
            outcome.error = Some(e);
            return outcome;
        }
        Err(e) => panic!("{model}: sandbox {e}"),
    };
    while let Some(event) = events.next().await {
        match event {
            Ok(StreamEvent::Text(t)) => outcome.content.push_str(&t),
            Ok(StreamEvent::Reasoning(t)) => outcome.reasoning.push_str(&t),
            Ok(StreamEvent::Refusal(t)) => outcome.refusal.push_str(&t),
            Ok(StreamEvent::ToolCall(c)) => {
                outcome.tool_calls.push(serde_json::json!({"id": c.id, "name": c.name, "arguments": c.arguments}))
            }
            Ok(StreamEvent::Finish(end)) => {
                outcome.stop_reason = Some(stop_name(end.stop_reason));
                outcome.usage = end.usage;
                outcome.model = Some(end.model);
            }
            Err(CallError::Provider(e)) => outcome.error = Some(e),
            Err(e) => panic!("{model}: sandbox {e}"),
        }
    }
    outcome
}

/// Every difference between what a case expects and what came out.
fn differences(expect: &Value, got: &Outcome) -> Vec<String> {
    let mut wrong = Vec::new();
    let mut check = |what: &str, ok: bool, detail: String| {
        if !ok {
            wrong.push(format!("{what}: {detail}"));
        }
    };
    if let Some(error) = expect.get("error") {
        let Some(e) = &got.error else {
            check("error", false, format!("expected {error}, got an answer {got:?}"));
            return wrong;
        };
        check("error.kind", error["kind"] == e.kind(), format!("expected {}, got {e:?}", error["kind"]));
        if let Some(api) = e.api_error() {
            check(
                "error.status",
                error["status"] == api.status,
                format!("expected {}, got {}", error["status"], api.status),
            );
            let needle = error["message_contains"].as_str().unwrap_or("");
            check("error.message", api.message.contains(needle), format!("{:?} lacks {needle:?}", api.message));
            if let Some(code) = error.get("code").and_then(Value::as_str) {
                check("error.code", api.code.as_deref() == Some(code), format!("expected {code}, got {:?}", api.code));
            }
        }
    } else if let Some(e) = &got.error {
        check("error", false, format!("unexpected {e:?}"));
        return wrong;
    }
    // A stream that ends in an error still delivered what came before it: its text, reasoning,
    // refusal and tool calls are checked too; it has no finish event, so no stop reason, usage
    // or model.
    let ended_in_error = got.error.is_some();
    let text = |key: &str| expect.get(key).and_then(Value::as_str).map(str::to_string);
    if let Some(content) = text("content") {
        check("content", got.content == content, format!("expected {content:?}, got {:?}", got.content));
    }
    if let Some(reasoning) = text("reasoning") {
        check("reasoning", got.reasoning == reasoning, format!("expected {reasoning:?}, got {:?}", got.reasoning));
    }
    if let Some(refusal) = text("refusal") {
        check("refusal", got.refusal == refusal, format!("expected {refusal:?}, got {:?}", got.refusal));
    }
    if let Some(stop) = text("stop_reason").filter(|_| !ended_in_error) {
        check(
            "stop_reason",
            got.stop_reason == Some(stop.as_str()),
            format!("expected {stop}, got {:?}", got.stop_reason),
        );
    }
    if let Some(model) = text("model").filter(|_| !ended_in_error) {
        check("model", got.model.as_deref() == Some(model.as_str()), format!("expected {model}, got {:?}", got.model));
    }
    if let Some(usage) = expect.get("usage").filter(|_| !ended_in_error) {
        // Every count a case records is compared; a count it does not record must be absent.
        let count =
            |u: &serde_json::Map<String, Value>, key: &str| u.get(key).and_then(Value::as_u64).map(|n| n as u32);
        let expected = usage.as_object().map(|u| Usage {
            input_tokens: count(u, "input_tokens").unwrap_or(0),
            output_tokens: count(u, "output_tokens").unwrap_or(0),
            cached_input_tokens: count(u, "cached_input_tokens"),
            cache_write_input_tokens: count(u, "cache_write_input_tokens"),
            reasoning_tokens: count(u, "reasoning_tokens"),
        });
        check("usage", got.usage == expected, format!("expected {expected:?}, got {:?}", got.usage));
    }
    if let Some(Value::Array(calls)) = expect.get("tool_calls") {
        let same = calls.len() == got.tool_calls.len()
            && calls.iter().zip(&got.tool_calls).all(|(want, have)| {
                ["name", "arguments"].iter().all(|k| want[k] == have[k])
                    && (want["id"].as_str().is_none_or(str::is_empty) || want["id"] == have["id"])
            });
        check("tool_calls", same, format!("expected {calls:?}, got {:?}", got.tool_calls));
    }
    wrong
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_answers_of_real_servers_map_as_expected() {
    let env = env().await;
    let cases = cases();
    let mut per_server = BTreeMap::<String, usize>::new();
    let mut failures = Vec::new();
    for (name, case) in &cases {
        *per_server.entry(case["server"].as_str().unwrap().to_string()).or_default() += 1;
        assert!(case["source"]["repo"].is_string() || case["source"]["url"].is_string(), "{name} names no source");
        let body = match (&case["body"], &case["sse"]) {
            (_, Value::String(sse)) => sse.clone().into_bytes(),
            (body, _) => serde_json::to_vec(body).unwrap(),
        };
        let model = format!("conformance/{name}");
        let content_type = case["content_type"].as_str().unwrap_or("application/json").to_string();
        env.mock.script(&model, Scripted { status: case["status"].as_u64().unwrap() as u16, content_type, body });
        // Both worlds' components, one answer each.
        for (world, host) in both_worlds() {
            let got = run(host, &env, &model, case["request_stream"].as_bool().unwrap_or(false)).await;
            let wrong = differences(&case["expect"], &got);
            if !wrong.is_empty() {
                failures.push(format!("{name} ({world}):\n    {}", wrong.join("\n    ")));
            }
        }
    }
    // The comparison itself can fail: a case with one expectation changed is reported.
    let (name, case) = cases.iter().find(|(_, c)| c["expect"].get("content").is_some()).expect("a case with content");
    let mut corrupted = case["expect"].clone();
    corrupted["content"] = Value::String("something else".into());
    let model = format!("conformance/{name}");
    for (_, host) in both_worlds() {
        let got = run(host, &env, &model, case["request_stream"].as_bool().unwrap_or(false)).await;
        assert!(!differences(&corrupted, &got).is_empty());
    }
    eprintln!("conformance: {} cases from {} servers, in both worlds: {per_server:?}", cases.len(), per_server.len());
    assert!(cases.len() >= 60 && per_server.len() >= 10, "{} cases, {} servers", cases.len(), per_server.len());
    assert!(failures.is_empty(), "{} of {} runs differ:\n{}", failures.len(), 2 * cases.len(), failures.join("\n"));
}
