//! The OpenAI wire form, both ways: request bodies (`chat.rs`, `embeddings.rs`) into the
//! contract's requests, and the contract's answers, stream events and errors into OpenAI's JSON
//! (`reply.rs`: `chat.completion`, `chat.completion.chunk`, the model list, `{"error": {…}}`).
//!
//! Pure conversions on the generated types (which exist on every target), unit-tested natively;
//! nothing here touches WASI.

pub(crate) mod chat;
mod embeddings;
mod reply;
mod responses;

pub use chat::{chat_call, ChatCall, KNOWN_FIELDS};
pub use embeddings::{embeddings_call, embeddings_reply, EmbeddingsCall, EMBEDDINGS_FIELDS};
pub use reply::*;
pub use responses::{
    response, responses_call, responses_usage, ResponseEvents, ResponseIds, ResponsesCall,
    IGNORED_FIELDS as RESPONSES_IGNORED_FIELDS, RESPONSES_FIELDS,
};

/// The schema sent for a tool that gave none: OpenAI's own default, an object with no properties.
const EMPTY_SCHEMA: &str = r#"{"type":"object","properties":{}}"#;

/// Notes `what` (a field name or tool type, never a value) as accepted but not served, once.
pub(crate) fn note(left_out: &mut Vec<String>, what: String) {
    if !left_out.contains(&what) {
        left_out.push(what);
    }
}

/// A request body the gateway refuses (a 400): what is wrong, and the field, when one is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// For the client: what is wrong. It describes the body's shape and never quotes a value.
    pub message: String,
    /// The top-level field at fault, OpenAI's `param`.
    pub param: Option<String>,
}

impl Invalid {
    /// A refusal that names no field.
    pub fn new(message: impl Into<String>) -> Self {
        Invalid { message: message.into(), param: None }
    }

    /// A refusal of the top-level field `param`.
    pub fn param(message: impl Into<String>, param: &str) -> Self {
        Invalid { message: message.into(), param: Some(param.to_owned()) }
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests;
