//! The gateway's three wires (chat completions, Responses, Messages): each answer as its wire's
//! JSON, and a stream as its wire's events. [`crate::pump`] sends them.

use crate::anthropic;
use crate::openai::{self, error_reply};
use litellm_client::{Error, Response, StreamEvent};
use serde_json::Value;

/// One wire's answers: the whole answer as JSON, and a stream as events.
pub(crate) trait Wire {
    /// The whole answer.
    fn whole(&mut self, answer: &Response) -> Value;
    /// The events sent before the first stream event.
    fn start(&mut self) -> Vec<Value>;
    /// The events of one stream event.
    fn event(&mut self, event: &StreamEvent) -> Vec<Value>;
    /// The last event of a stream that failed after its status (200) was sent.
    fn failed(&mut self, error: &Error) -> Value;
    /// Whether each event goes with `event: TYPE` (the Responses and Messages streams, whose
    /// events carry their name as `type`), and the stream ends without OpenAI's `data: [DONE]`.
    /// Chat completions: bare `data:` events, then `[DONE]`.
    fn named(&self) -> bool {
        true
    }
}

/// Chat completions: `chat.completion` and its chunks.
pub(crate) struct ChatWire {
    pub(crate) id: String,
    pub(crate) created: u64,
    pub(crate) chunks: openai::Chunks,
}

impl Wire for ChatWire {
    fn whole(&mut self, answer: &Response) -> Value {
        openai::completion(answer, &self.id, self.created)
    }
    fn start(&mut self) -> Vec<Value> {
        vec![self.chunks.start()]
    }
    fn event(&mut self, event: &StreamEvent) -> Vec<Value> {
        self.chunks.event(event)
    }
    fn failed(&mut self, error: &Error) -> Value {
        // Without `[DONE]`, so that the client does not take the answer for complete.
        openai::error_chunk(error)
    }
    fn named(&self) -> bool {
        false
    }
}

impl Wire for openai::ResponseEvents {
    fn whole(&mut self, answer: &Response) -> Value {
        self.response(answer)
    }
    fn start(&mut self) -> Vec<Value> {
        openai::ResponseEvents::start(self)
    }
    fn event(&mut self, event: &StreamEvent) -> Vec<Value> {
        self.event_of(event)
    }
    fn failed(&mut self, error: &Error) -> Value {
        let body = error_reply(error).body;
        let code = body["error"]["code"].as_str().or(body["error"]["type"].as_str()).unwrap_or("api_error");
        let message = body["error"]["message"].as_str().unwrap_or("the upstream failed");
        openai::ResponseEvents::failed(self, code, message)
    }
}

impl Wire for anthropic::MessageEvents {
    fn whole(&mut self, answer: &Response) -> Value {
        self.message(answer)
    }
    fn start(&mut self) -> Vec<Value> {
        anthropic::MessageEvents::start(self)
    }
    fn event(&mut self, event: &StreamEvent) -> Vec<Value> {
        anthropic::MessageEvents::event(self, event)
    }
    fn failed(&mut self, error: &Error) -> Value {
        anthropic::error_body(&error_reply(error))
    }
}
