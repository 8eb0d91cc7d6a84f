//! Turning a completion stream's events into `StreamEvent`s: text and reasoning deltas as they
//! come, tool calls assembled by `index` and emitted whole, and one `Finish` at the end.

use crate::domain::{ApiKey, Error, StopReason, StreamEvent, ToolCall, Usage};
use crate::response::{malformed, stop_reason, tool_call, usage};
use crate::sse::SseEvent;
use crate::wire::{Chunk, FunctionDelta, ToolCallDelta};
use std::collections::VecDeque;

#[derive(Default)]
struct PartialCall {
    index: u32,
    id: Option<String>,
    name: Option<String>,
    arguments: String,
}

/// The state of one streamed completion.
pub struct StreamAssembler {
    key: ApiKey,
    model: String,
    calls: Vec<PartialCall>,
    stop: Option<StopReason>,
    usage: Option<Usage>,
    finished: bool,
}

impl StreamAssembler {
    /// `requested_model` stands in when no chunk names the model.
    pub fn new(requested_model: &str, key: ApiKey) -> Self {
        Self { key, model: requested_model.to_string(), calls: Vec::new(), stop: None, usage: None, finished: false }
    }

    /// Whether the `Finish` event has been produced.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// Handles one server-sent event.
    pub fn on_event(&mut self, event: &SseEvent, out: &mut VecDeque<StreamEvent>) -> Result<(), Error> {
        if self.finished {
            return Ok(());
        }
        let data = event.data.trim();
        if event.event == "error" {
            let json = serde_json::from_slice(data.as_bytes()).unwrap_or(serde_json::Value::String(data.to_string()));
            return Err(crate::errors::from_embedded(&json, &self.key));
        }
        if data == "[DONE]" {
            self.finish(out);
            return Ok(());
        }
        if data.is_empty() {
            return Ok(());
        }
        // One deserializer (from a byte slice) for every JSON the guest reads keeps the component small.
        let chunk: Chunk =
            serde_json::from_slice(data.as_bytes()).map_err(|e| malformed(format!("a stream event: {e}")))?;
        if let Some(error) = chunk.error.as_ref().filter(|e| !e.is_null()) {
            return Err(crate::errors::from_embedded(error, &self.key));
        }
        if let Some(model) = chunk.model.filter(|m| !m.is_empty()) {
            self.model = model;
        }
        if chunk.usage.is_some() {
            self.usage = usage(chunk.usage);
        }
        for choice in chunk.choices.unwrap_or_default() {
            if choice.index.unwrap_or(0) != 0 {
                continue;
            }
            if let Some(delta) = choice.delta {
                if let Some(r) = delta.reasoning_content.or(delta.reasoning).filter(|r| !r.is_empty()) {
                    out.push_back(StreamEvent::Reasoning(r));
                }
                if let Some(text) = delta.content.filter(|t| !t.is_empty()) {
                    out.push_back(StreamEvent::Text(text));
                }
                for (position, d) in delta.tool_calls.unwrap_or_default().into_iter().enumerate() {
                    self.add_tool_delta(position, d);
                }
            }
            if let Some(reason) = choice.finish_reason.as_deref() {
                self.stop = Some(stop_reason(Some(reason)));
                self.flush_calls(out);
            }
        }
        Ok(())
    }

    /// Handles the end of the body: a stream that ended without `[DONE]` and without a finish
    /// reason was cut short.
    pub fn on_end(&mut self, out: &mut VecDeque<StreamEvent>) -> Result<(), Error> {
        if self.finished {
            return Ok(());
        }
        if self.stop.is_none() {
            return Err(malformed("the stream ended before its finish reason or [DONE]"));
        }
        self.finish(out);
        Ok(())
    }

    fn finish(&mut self, out: &mut VecDeque<StreamEvent>) {
        self.flush_calls(out);
        self.finished = true;
        out.push_back(StreamEvent::Finish {
            stop_reason: self.stop.unwrap_or(StopReason::EndTurn),
            usage: self.usage,
            model: std::mem::take(&mut self.model),
        });
    }

    fn add_tool_delta(&mut self, position: usize, delta: ToolCallDelta) {
        let function = delta.function.unwrap_or_default();
        let slot = match delta.index {
            Some(index) => self.calls.iter().position(|c| c.index == index),
            // Without an index, a new id starts a new call; anything else continues the last one.
            None => match &delta.id {
                Some(id) if !self.calls.iter().any(|c| c.id.as_ref() == Some(id)) => None,
                _ => self.calls.len().checked_sub(1),
            },
        };
        let slot = match slot {
            Some(slot) => slot,
            None => {
                let index = delta.index.unwrap_or_else(|| {
                    self.calls.iter().map(|c| c.index.saturating_add(1)).max().unwrap_or(position as u32)
                });
                self.calls.push(PartialCall { index, ..Default::default() });
                self.calls.len() - 1
            }
        };
        let call = &mut self.calls[slot];
        if call.id.is_none() {
            call.id = delta.id.filter(|i| !i.is_empty());
        }
        if call.name.is_none() {
            call.name = function.name.filter(|n| !n.is_empty());
        }
        call.arguments.push_str(function.arguments.as_deref().unwrap_or(""));
    }

    fn flush_calls(&mut self, out: &mut VecDeque<StreamEvent>) {
        self.calls.sort_by_key(|c| c.index);
        for (i, c) in std::mem::take(&mut self.calls).into_iter().enumerate() {
            let function = FunctionDelta { name: c.name, arguments: Some(c.arguments) };
            let call: ToolCall = tool_call(i, c.id, Some(function));
            out.push_back(StreamEvent::ToolCall(call));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(datas: &[&str]) -> (Vec<StreamEvent>, Result<(), Error>) {
        let mut a = StreamAssembler::new("asked", ApiKey::new("sk-k"));
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
                    usage: Some(Usage { input_tokens: 2, output_tokens: 3 }),
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
        let mut a = StreamAssembler::new("m", ApiKey::default());
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
}
