//! A streamed completion: the body is read only as the caller pulls events, parsed as server-sent
//! events and assembled into `StreamEvent`s.
//!
//! A stream has no total size: it is bounded per event ([`MAX_EVENT_BYTES`]), by what it
//! accumulates (tool-call arguments, [`crate::chunks::MAX_TOOL_ARGUMENT_BYTES`]) and by the total
//! deadline. An endpoint that answers a stream request with a whole JSON completion (as servers
//! that cannot stream do) gets its answer delivered as events; SSE framing sent with another
//! content type is read as the stream it is.

use crate::answer;
use crate::chunks::StreamAssembler;
use crate::config::Settings;
use crate::domain::{ChatRequest, ChatResponse, Error, StreamEvent};
use crate::errors::malformed;
use crate::http::{self, Body};
use crate::sse::{SseEvent, SseParser};
use crate::{errors, request, response, retry};
use std::collections::VecDeque;

/// The largest single server-sent event (or unfinished line) a stream may hold.
pub const MAX_EVENT_BYTES: usize = 1024 * 1024;

/// An open completion stream. After its `Finish` event or an error it yields `None` and its
/// connection is closed.
pub struct CompletionStream {
    body: Option<Body>,
    parser: SseParser,
    assembler: StreamAssembler,
    pending: VecDeque<StreamEvent>,
    events: Vec<SseEvent>,
    /// An error met while a batch already held events: the next call returns it.
    deferred: Option<Error>,
}

/// What the endpoint answered a stream request with.
enum Opened {
    /// An event stream, and the bytes already read from it.
    Events(Body, Vec<u8>),
    /// A whole completion.
    Whole(ChatResponse),
}

/// Sends a streaming request and returns once the endpoint has answered.
pub fn open(settings: &Settings, chat: &ChatRequest) -> Result<CompletionStream, Error> {
    let body = request::chat_body(chat, true, settings.profile)?;
    let model = request::wire_model(&chat.model);
    let path = settings.route("chat/completions", model)?;
    let outgoing = http::Outgoing { path: &path, body: Some(&body), accept: "text/event-stream", body_cap: None };
    let opened = retry::run(settings, |deadline| {
        let answer = answer::accepted(http::exchange(settings, &outgoing, deadline)?, &settings.api_key)?;
        let mut body = answer.body;
        if answer.content_type.to_ascii_lowercase().starts_with("text/event-stream") {
            return Ok(Opened::Events(body, Vec::new()));
        }
        // Another content type: look at the first bytes before deciding what it is.
        let mut head: Vec<u8> = Vec::new();
        while head.iter().filter(|b| !b.is_ascii_whitespace()).count() < 6 {
            match body.next_chunk()? {
                Some(chunk) => head.extend_from_slice(&chunk),
                None => break,
            }
        }
        if looks_like_sse(&head) {
            return Ok(Opened::Events(body, head));
        }
        let whole = read_whole(body, head, settings.max_response_bytes)?;
        match serde_json::from_slice::<serde_json::Value>(&crate::json_repair::repaired_json(&whole)) {
            Ok(json) if json.get("error").is_some_and(|e| !e.is_null()) => {
                Err(errors::from_embedded(&json, &settings.api_key))
            }
            Ok(json) if json.get("choices").is_some() => {
                response::parse(&whole, model, &settings.api_key).map(Opened::Whole)
            }
            // The content type is the endpoint's text: it is scrubbed with the rest of the error.
            _ => Err(malformed(format!("a stream was asked for, but the answer is {:?}", answer.content_type))),
        }
    })?;
    let mut stream = CompletionStream {
        body: None,
        parser: SseParser::new(),
        assembler: StreamAssembler::new(model, settings.api_key.clone()),
        pending: VecDeque::new(),
        events: Vec::new(),
        deferred: None,
    };
    match opened {
        Opened::Events(body, head) => {
            stream.body = Some(body);
            stream.feed(&head)?;
        }
        Opened::Whole(answer) => {
            stream.pending.extend(events_of(answer));
            stream.assembler.mark_finished();
        }
    }
    Ok(stream)
}

/// Whether a body starts like `text/event-stream` framing.
fn looks_like_sse(head: &[u8]) -> bool {
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = text.iter().position(|b| !b.is_ascii_whitespace()).map_or(&[][..], |i| &text[i..]);
    [&b"data:"[..], b"event:", b":", b"id:", b"retry:"].iter().any(|p| start.starts_with(p))
}

/// The rest of a non-stream body, under the non-streamed cap.
fn read_whole(mut body: Body, mut bytes: Vec<u8>, cap: u32) -> Result<Vec<u8>, Error> {
    while let Some(chunk) = body.next_chunk()? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > cap as usize {
            return Err(malformed(format!("the response is larger than max-response-bytes ({cap} bytes)")));
        }
    }
    Ok(bytes)
}

/// A whole answer as the events its stream would have had.
fn events_of(answer: ChatResponse) -> Vec<StreamEvent> {
    let mut events = Vec::new();
    if let Some(reasoning) = answer.reasoning.filter(|r| !r.is_empty()) {
        events.push(StreamEvent::Reasoning(reasoning));
    }
    if !answer.content.is_empty() {
        events.push(StreamEvent::Text(answer.content));
    }
    if let Some(refusal) = answer.refusal.filter(|r| !r.is_empty()) {
        events.push(StreamEvent::Refusal(refusal));
    }
    events.extend(answer.tool_calls.into_iter().map(StreamEvent::ToolCall));
    events.push(StreamEvent::Finish { stop_reason: answer.stop_reason, usage: answer.usage, model: answer.model });
    events
}

impl CompletionStream {
    /// The next event, reading from the connection only when none is waiting. An error is
    /// scrubbed of the secrets and capped, as every error leaving the client.
    pub fn next_event(&mut self) -> Result<Option<StreamEvent>, Error> {
        let result = self.advance();
        if result.is_err() || self.assembler.finished() {
            self.body = None; // closes the connection
        }
        result.map_err(|e| errors::sanitize(e, self.assembler.key()))
    }

    /// The next event and every further one already decoded, at most `max` (at least 1).
    pub fn next_batch(&mut self, max: usize) -> Result<Vec<StreamEvent>, Error> {
        let Some(first) = self.next_event()? else {
            return Ok(Vec::new());
        };
        let mut batch = vec![first];
        // Only what is already decoded: an error deferred behind these events waits for the
        // next call.
        while batch.len() < max.max(1) {
            match self.pending.pop_front() {
                Some(event) => batch.push(event),
                None => break,
            }
        }
        if self.assembler.finished() && self.pending.is_empty() {
            self.body = None; // closes the connection
        }
        Ok(batch)
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.parser.feed(bytes, &mut self.events);
        if self.parser.buffered() > MAX_EVENT_BYTES {
            return Err(malformed(format!("a stream event is larger than {MAX_EVENT_BYTES} bytes")));
        }
        for event in self.events.drain(..) {
            if let Err(error) = self.assembler.on_event(&event, &mut self.pending) {
                // The events decoded before the error are handed out first.
                self.body = None;
                self.deferred = Some(error);
                break;
            }
        }
        Ok(())
    }

    fn advance(&mut self) -> Result<Option<StreamEvent>, Error> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Ok(Some(event));
            }
            if let Some(error) = self.deferred.take() {
                return Err(error);
            }
            if self.assembler.finished() {
                return Ok(None);
            }
            let Some(body) = self.body.as_mut() else {
                return Ok(None);
            };
            match body.next_chunk()? {
                Some(bytes) => self.feed(&bytes)?,
                None => {
                    self.body = None;
                    self.assembler.on_end(&mut self.pending)?;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_framing_is_recognised_whatever_the_content_type() {
        assert!(looks_like_sse(b"data: {\"choices\":[]}\n\n"));
        assert!(looks_like_sse(b"\xEF\xBB\xBF\r\n: keep-alive\n\n"));
        assert!(looks_like_sse(b"event: error\ndata: x\n\n"));
        assert!(!looks_like_sse(b"{\"choices\":[]}"));
        assert!(!looks_like_sse(b""));
    }
}
