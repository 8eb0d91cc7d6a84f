//! Turning a completion stream's events into `StreamEvent`s: text and reasoning deltas as they
//! come, tool calls assembled by `index` and emitted whole, and one `Finish` at the end.

use crate::domain::{Error, Secrets, StopReason, StreamEvent, ToolCall, Usage};
use crate::errors::malformed;
use crate::response::{checked_id, checked_name, stop_reason, tool_call, usage};
use crate::sse::SseEvent;
use crate::wire::{Chunk, FunctionDelta, ToolCallDelta};
use std::collections::VecDeque;

/// The most bytes of tool-call arguments one stream may accumulate (text and reasoning are
/// handed on as they come and never accumulate).
pub const MAX_TOOL_ARGUMENT_BYTES: usize = 4 * 1024 * 1024;
/// The most tool calls one stream may assemble.
pub const MAX_TOOL_CALLS: usize = 1024;

#[derive(Default)]
struct PartialCall {
    index: u32,
    id: Option<String>,
    name: Option<String>,
    arguments: String,
}

/// The state of one streamed completion.
pub struct StreamAssembler {
    key: Secrets,
    model: String,
    calls: Vec<PartialCall>,
    stop: Option<StopReason>,
    usage: Option<Usage>,
    finished: bool,
    argument_bytes: usize,
    /// Where the usage came from: servers put it in three places, the top level wins.
    usage_rank: u8,
}

impl StreamAssembler {
    /// `requested_model` stands in when no chunk names the model.
    pub fn new(requested_model: &str, key: Secrets) -> Self {
        Self {
            key,
            model: requested_model.to_string(),
            calls: Vec::new(),
            stop: None,
            usage: None,
            finished: false,
            argument_bytes: 0,
            usage_rank: 0,
        }
    }

    /// The secrets to scrub from what the endpoint sends.
    pub fn key(&self) -> &Secrets {
        &self.key
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
        let data = crate::json_repair::repaired_json(data.as_bytes());
        let chunk: Chunk = serde_json::from_slice(&data)
            .map_err(|e| malformed(format!("a stream event: {}", crate::errors::json_error(&e))))?;
        if let Some(error) = chunk.error.as_ref().filter(|e| !e.is_null()) {
            return Err(crate::errors::from_embedded(error, &self.key));
        }
        if let Some(model) = chunk.model.filter(|m| !m.is_empty()) {
            self.model = model;
        }
        self.take_usage(chunk.usage, 3);
        self.take_usage(chunk.x_groq.and_then(|x| x.usage), 1);
        for choice in chunk.choices.unwrap_or_default() {
            if choice.index.unwrap_or(0) != 0 {
                continue;
            }
            self.take_usage(choice.usage, 2);
            if let Some(delta) = choice.delta {
                let reasoning = [delta.reasoning_content, delta.reasoning, delta.content.thinking];
                if let Some(r) = reasoning.into_iter().flatten().find(|r| !r.is_empty()) {
                    out.push_back(StreamEvent::Reasoning(r));
                }
                if let Some(text) = delta.content.text.filter(|t| !t.is_empty()) {
                    out.push_back(StreamEvent::Text(text));
                }
                if let Some(refusal) = delta.refusal.filter(|r| !r.is_empty()) {
                    out.push_back(StreamEvent::Refusal(refusal));
                }
                for (position, d) in delta.tool_calls.unwrap_or_default().into_iter().enumerate() {
                    self.add_tool_delta(position, d)?;
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

    /// Keeps `found` unless usage from a better place (a higher `rank`) was seen.
    fn take_usage(&mut self, found: Option<crate::wire::WireUsage>, rank: u8) {
        if found.is_some() && rank >= self.usage_rank {
            self.usage = usage(found);
            self.usage_rank = rank;
        }
    }

    /// Marks the stream as ended without a `Finish` of its own (a whole answer was turned into
    /// events instead).
    pub fn mark_finished(&mut self) {
        self.finished = true;
    }

    fn add_tool_delta(&mut self, position: usize, delta: ToolCallDelta) -> Result<(), Error> {
        let function = delta.function.unwrap_or_default();
        let slot = match delta.index {
            Some(index) => self.calls.iter().position(|c| c.index == index),
            // Without an index, a new id starts a new call; anything else (an empty id too)
            // continues the last one.
            None => match delta.id.as_ref().filter(|id| !id.is_empty()) {
                Some(id) if !self.calls.iter().any(|c| c.id.as_ref() == Some(id)) => None,
                _ => self.calls.len().checked_sub(1),
            },
        };
        let slot = match slot {
            Some(slot) => slot,
            None if self.calls.len() >= MAX_TOOL_CALLS => {
                return Err(malformed(format!("the stream calls more than {MAX_TOOL_CALLS} tools")));
            }
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
            call.id = delta.id.filter(|i| !i.is_empty()).map(checked_id).transpose()?;
        }
        if call.name.is_none() {
            call.name = function.name.filter(|n| !n.is_empty()).map(checked_name).transpose()?;
        }
        let arguments = function.arguments.as_deref().unwrap_or("");
        self.argument_bytes += arguments.len();
        if self.argument_bytes > MAX_TOOL_ARGUMENT_BYTES {
            return Err(malformed(format!("tool-call arguments are larger than {MAX_TOOL_ARGUMENT_BYTES} bytes")));
        }
        call.arguments.push_str(arguments);
        Ok(())
    }

    fn flush_calls(&mut self, out: &mut VecDeque<StreamEvent>) {
        self.calls.sort_by_key(|c| c.index);
        for (i, c) in std::mem::take(&mut self.calls).into_iter().enumerate() {
            let function = FunctionDelta { name: c.name, arguments: Some(c.arguments) };
            // The id and name were checked as they came.
            if let Ok(call) = tool_call(i, c.id, Some(function)) {
                let call: ToolCall = call;
                out.push_back(StreamEvent::ToolCall(call));
            }
        }
    }
}

#[cfg(test)]
mod tests;
