//! The stream assembler's tests: text, reasoning, tool calls by index, caps, bad input.

use super::*;

fn run(datas: &[&str]) -> (Vec<StreamEvent>, Result<(), Error>) {
    let mut a = StreamAssembler::new("asked", Secrets::new("sk-k"));
    let mut out = VecDeque::new();
    for d in datas {
        let ev = SseEvent { event: String::new(), data: d.to_string() };
        if let Err(e) = a.on_event(&ev, &mut out) {
            return (out.into(), Err(e));
        }
    }
    let end = a.on_end(&mut out);
    (out.into(), end)
}

#[test]
fn text_reasoning_usage_and_model() {
    let (events, end) = run(&[
        r#"{"model":"m1","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#,
        r#"{"choices":[{"delta":{"reasoning_content":"think"}}]}"#,
        r#"{"choices":[{"delta":{"content":"Hel"}}]}"#,
        r#"{"choices":[{"delta":{"content":"lo"},"finish_reason":null}]}"#,
        r#"{"choices":[{"delta":{},"finish_reason":"stop"}]}"#,
        r#"{"choices":[],"usage":{"prompt_tokens":2,"completion_tokens":3}}"#,
        "[DONE]",
    ]);
    end.unwrap();
    assert_eq!(
        events,
        vec![
            StreamEvent::Reasoning("think".into()),
            StreamEvent::Text("Hel".into()),
            StreamEvent::Text("lo".into()),
            StreamEvent::Finish {
                stop_reason: StopReason::EndTurn,
                usage: Some(Usage { input_tokens: 2, output_tokens: 3, ..Usage::default() }),
                model: "m1".into()
            },
        ]
    );
}

#[test]
fn parallel_tool_calls_assembled_by_index() {
    let (events, end) = run(&[
        r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"call_1","function":{"name":"a","arguments":""}}]}}]}"#,
        r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"ci"}}]}}]}"#,
        r#"{"choices":[{"delta":{"tool_calls":[{"index":1,"id":"call_2","function":{"name":"b","arguments":"{}"}}]}}]}"#,
        r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ty\":1}"}}]}}]}"#,
        r#"{"choices":[{"delta":{},"finish_reason":"tool_calls"}]}"#,
    ]);
    end.unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(
        events[0],
        StreamEvent::ToolCall(ToolCall { id: "call_1".into(), name: "a".into(), arguments: "{\"city\":1}".into() })
    );
    assert_eq!(
        events[1],
        StreamEvent::ToolCall(ToolCall { id: "call_2".into(), name: "b".into(), arguments: "{}".into() })
    );
    assert!(matches!(events[2], StreamEvent::Finish { stop_reason: StopReason::ToolUse, usage: None, .. }));
}

#[test]
fn errors_and_truncation() {
    let (events, end) = run(&[r#"{"choices":[{"delta":{"content":"a"}}]}"#]);
    assert_eq!(events.len(), 1);
    assert!(matches!(end, Err(Error::MalformedResponse(_))));
    let (_, end) = run(&[r#"{"error":{"message":"boom sk-k","code":"500"}}"#]);
    match end {
        Err(Error::Upstream(e)) => assert_eq!(e.message, "boom [redacted]"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(run(&["{nope"]).1, Err(Error::MalformedResponse(_))));
    let mut a = StreamAssembler::new("m", Secrets::default());
    let ev = SseEvent { event: "error".into(), data: r#"{"error":{"message":"x"}}"#.into() };
    assert_eq!(a.on_event(&ev, &mut VecDeque::new()).unwrap_err().kind(), "upstream");
}

#[test]
fn a_call_after_the_largest_index_does_not_overflow() {
    let (events, end) = run(&[
        r#"{"choices":[{"delta":{"tool_calls":[{"index":4294967295,"id":"a"},{"id":"b"}]}}]}"#,
        r#"{"choices":[{"delta":{},"finish_reason":"tool_calls"}]}"#,
    ]);
    end.unwrap();
    let ids: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::ToolCall(c) => Some(c.id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(ids, ["a", "b"]);
}

#[test]
fn accumulated_arguments_are_capped() {
    let piece = "x".repeat(64 * 1024);
    let delta =
        format!(r#"{{"choices":[{{"delta":{{"tool_calls":[{{"index":0,"function":{{"arguments":"{piece}"}}}}]}}}}]}}"#);
    let many = vec![delta.as_str(); MAX_TOOL_ARGUMENT_BYTES / piece.len() + 1];
    let (_, end) = run(&many);
    assert!(matches!(end, Err(Error::MalformedResponse(ref m)) if m.contains("tool-call arguments")), "{end:?}");
}

#[test]
fn split_surrogates_become_replacement_characters() {
    let (events, end) = run(&[
        r#"{"choices":[{"delta":{"content":"a\ud83d"}}]}"#,
        r#"{"choices":[{"delta":{"content":"\ude00b"},"finish_reason":"stop"}]}"#,
    ]);
    end.unwrap();
    assert_eq!(events[0], StreamEvent::Text("a\u{fffd}".into()));
    assert_eq!(events[1], StreamEvent::Text("\u{fffd}b".into()));
}
