//! A streamed completion: the body is read only as the caller pulls events, parsed as server-sent
//! events and assembled into `StreamEvent`s.

use crate::chunks::StreamAssembler;
use crate::config::Settings;
use crate::domain::{ChatRequest, Error, StreamEvent};
use crate::http::{self, Body};
use crate::response::malformed;
use crate::sse::{SseEvent, SseParser};
use crate::{errors, request};
use std::collections::VecDeque;

/// An open completion stream. After its `Finish` event or an error it yields `None` and its
/// connection is closed.
pub struct CompletionStream {
    body: Option<Body>,
    parser: SseParser,
    assembler: StreamAssembler,
    pending: VecDeque<StreamEvent>,
    events: Vec<SseEvent>,
    max_buffered: usize,
}

/// Sends a streaming request and returns once the endpoint has answered with an event stream.
pub fn open(settings: &Settings, chat: &ChatRequest) -> Result<CompletionStream, Error> {
    let body = request::chat_body(chat, true)?;
    let path = settings.route("chat/completions", request::wire_model(&chat.model))?;
    let key = &settings.api_key;
    let body = http::send(settings, &path, Some(&body), "text/event-stream", |answer| {
        if answer.content_type.to_ascii_lowercase().starts_with("text/event-stream") {
            return Ok(answer.body);
        }
        let content_type = answer.content_type.clone();
        let bytes = answer.body.read_all()?;
        Err(match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(json) if json.get("error").is_some_and(|e| !e.is_null()) => errors::from_embedded(&json, key),
            _ => malformed(format!("a stream was asked for, but the answer is {content_type:?}")),
        })
    })?;
    Ok(CompletionStream {
        body: Some(body),
        parser: SseParser::new(),
        assembler: StreamAssembler::new(request::wire_model(&chat.model), settings.api_key.clone()),
        pending: VecDeque::new(),
        events: Vec::new(),
        max_buffered: settings.max_response_bytes as usize,
    })
}

impl CompletionStream {
    /// The next event, reading from the connection only when none is waiting.
    pub fn next_event(&mut self) -> Result<Option<StreamEvent>, Error> {
        let result = self.advance();
        if result.is_err() || self.assembler.finished() {
            self.body = None; // closes the connection
        }
        result
    }

    fn advance(&mut self) -> Result<Option<StreamEvent>, Error> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Ok(Some(event));
            }
            if self.assembler.finished() {
                return Ok(None);
            }
            let Some(body) = self.body.as_mut() else {
                return Ok(None);
            };
            match body.next_chunk()? {
                Some(bytes) => {
                    self.parser.feed(&bytes, &mut self.events);
                    if self.parser.buffered() > self.max_buffered {
                        return Err(malformed("a stream event is larger than max-response-bytes"));
                    }
                    for event in self.events.drain(..) {
                        self.assembler.on_event(&event, &mut self.pending)?;
                    }
                }
                None => {
                    self.body = None;
                    self.assembler.on_end(&mut self.pending)?;
                }
            }
        }
    }
}
