//! The gateway's Responses request parser (Codex CLI's wire): any bytes give a request or a typed
//! 400, never a panic; a parsed request's answer and event sequence are built without one too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use litellm_client::{StopReason, StreamEnd, StreamEvent, ToolCall};
use litellm_gateway::openai::{responses_call, ResponseEvents, ResponseIds};

fuzz_target!(|body: &[u8]| {
    let Ok(call) = responses_call(body, &["extra".to_owned()]) else { return };
    let mut events = ResponseEvents::new(ResponseIds::new("f"), 0, &call.request.model, call.echo);
    let mut sequence = events.start().len();
    for message in &call.request.messages {
        // The request's own texts as the answer's events: arbitrary strings through every builder.
        for event in [
            StreamEvent::Reasoning(message.content.clone()),
            StreamEvent::Text(message.content.clone()),
            StreamEvent::ToolCall(ToolCall { id: message.content.clone(), name: "f".into(), arguments: message.content.clone() }),
        ] {
            sequence += events.event_of(&event).len();
        }
    }
    let end = StreamEnd { stop_reason: StopReason::MaxTokens, usage: None, model: call.request.model.clone() };
    let last = events.event_of(&StreamEvent::Finish(end));
    assert_eq!(last.last().unwrap()["sequence_number"].as_u64(), Some(sequence as u64 + last.len() as u64 - 1));
});
