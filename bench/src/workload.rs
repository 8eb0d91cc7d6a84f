//! What the calls ask for: the mock's scenarios, the prompt, and the request each side sends.

use litellm_host::Request;
use litellm_provider::domain::{ChatRequest, Message, Role};

/// The 1 KiB answer's model, as the caller names it (the prefix is stripped on the wire).
pub const MODEL_1KB: &str = "litellm:mock/big-1kb";
/// The 1 MiB answer's model.
pub const MODEL_1MB: &str = "litellm:mock/big-1mb";
/// A stream that sends one delta, then waits (up to 10 s): an instance that stays alive.
pub const MODEL_HELD_STREAM: &str = "litellm:mock/stream-gated";
/// The prompt of every call.
pub const PROMPT: &str = "Hello";

/// The streaming scenario with `n` content deltas.
pub fn stream_model(n: usize) -> String {
    format!("litellm:mock/stream-events-{n}")
}

/// The component side's request.
pub fn component_request(model: &str) -> Request {
    Request::user(model, PROMPT)
}

/// The native side's request, equal to [`component_request`] (`check_same_request` holds them
/// to the same bytes on the wire).
pub fn native_request(model: &str) -> ChatRequest {
    ChatRequest { model: model.to_owned(), messages: vec![Message::text(Role::User, PROMPT)], ..ChatRequest::default() }
}
