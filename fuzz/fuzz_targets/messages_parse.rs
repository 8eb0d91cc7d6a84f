//! The gateway's Messages request parser (Claude Code's wire) and its count_tokens estimate: any
//! bytes give a request or a typed 400, never a panic; a parsed request's answer events too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use litellm_client::{StopReason, StreamEnd, StreamEvent, ToolCall};
use litellm_gateway::anthropic::{count_tokens, messages_call, MessageEvents};

fuzz_target!(|body: &[u8]| {
    let counted = count_tokens(body);
    let Ok(call) = messages_call(body, &[]) else {
        assert!(counted.is_err(), "count_tokens takes what messages takes");
        return;
    };
    assert!(counted.is_ok());
    let mut events = MessageEvents::new("msg_f", &call.request.model);
    events.start();
    for message in &call.request.messages {
        for event in [
            StreamEvent::Text(message.content.clone()),
            StreamEvent::ToolCall(ToolCall { id: "t".into(), name: "f".into(), arguments: message.content.clone() }),
            StreamEvent::Reasoning(message.content.clone()),
        ] {
            events.event(&event);
        }
    }
    let end = StreamEnd { stop_reason: StopReason::ToolUse, usage: None, model: call.request.model.clone() };
    assert_eq!(events.event(&StreamEvent::Finish(end)).last().unwrap()["type"], "message_stop");
});
