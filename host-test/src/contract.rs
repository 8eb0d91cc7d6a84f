//! The contract's types, generated from `wit/provider.wit`, and the few helpers the host adds to
//! them: constructors, the cases' names, one-line descriptions of errors.

use std::fmt;

pub(crate) mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "litellm-provider",
        exports: { default: async },
        additional_derives: [PartialEq],
    });
}

pub use bindings::exports::devsper::llm::types::{
    ApiError, ContentPart, EmbeddingsRequest, EmbeddingsResponse, Error as ProviderError, Failure, ImageUrl,
    JsonSchema, Message, ModelInfo, Profile, Request, Response, ResponseFormat, Role, StopReason, StreamEnd,
    StreamEvent, ToolCall, ToolChoice, ToolDef, Usage,
};

impl Message {
    /// A message with text only.
    pub fn text(role: Role, content: impl Into<String>) -> Self {
        Message { role, content: content.into(), parts: Vec::new(), tool_calls: Vec::new(), tool_call_id: None }
    }
}

impl Default for Request {
    /// No model, no message, every option unset: the base of the constructors and of
    /// `Request { model, messages, ..Request::default() }`. The one place that names every field.
    fn default() -> Self {
        Request {
            model: String::new(),
            messages: Vec::new(),
            tools: Vec::new(),
            max_tokens: None,
            temperature: None,
            system: None,
            top_p: None,
            stop: Vec::new(),
            seed: None,
            user: None,
            presence_penalty: None,
            frequency_penalty: None,
            response_format: None,
            tool_choice: None,
            parallel_tool_calls: None,
            extra_body: None,
        }
    }
}

impl Request {
    /// A request of one user message and nothing else.
    pub fn user(model: impl Into<String>, prompt: impl Into<String>) -> Self {
        Request { model: model.into(), messages: vec![Message::text(Role::User, prompt)], ..Request::default() }
    }
}

impl StopReason {
    /// The case's name as the contract spells it, e.g. `end-turn`.
    pub fn name(self) -> &'static str {
        match self {
            StopReason::EndTurn => "end-turn",
            StopReason::ToolUse => "tool-use",
            StopReason::MaxTokens => "max-tokens",
            StopReason::StopSequence => "stop-sequence",
            StopReason::ContentFilter => "content-filter",
        }
    }
}

impl ProviderError {
    /// The case's name as the contract spells it, e.g. `rate-limited`.
    pub fn kind(&self) -> &'static str {
        match self {
            ProviderError::InvalidRequest(_) => "invalid-request",
            ProviderError::Unauthorized(_) => "unauthorized",
            ProviderError::RateLimited(_) => "rate-limited",
            ProviderError::ContextLengthExceeded(_) => "context-length-exceeded",
            ProviderError::ContentFiltered(_) => "content-filtered",
            ProviderError::QuotaExceeded(_) => "quota-exceeded",
            ProviderError::BadRequest(_) => "bad-request",
            ProviderError::Upstream(_) => "upstream",
            ProviderError::Timeout(_) => "timeout",
            ProviderError::Transport(_) => "transport",
            ProviderError::MalformedResponse(_) => "malformed-response",
        }
    }

    /// One line for a person: the case, the status, the server's message, code, wait and attempts.
    /// (bindgen's own `Display` prints the `Debug` form.)
    pub fn describe(&self) -> String {
        Line(self).to_string()
    }

    /// The endpoint's error answer, for the cases that carry one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            ProviderError::Unauthorized(a)
            | ProviderError::RateLimited(a)
            | ProviderError::ContextLengthExceeded(a)
            | ProviderError::ContentFiltered(a)
            | ProviderError::QuotaExceeded(a)
            | ProviderError::BadRequest(a)
            | ProviderError::Upstream(a) => Some(a),
            _ => None,
        }
    }
}

/// [`ProviderError::describe`] as a `Display`.
pub(crate) struct Line<'a>(pub(crate) &'a ProviderError);

impl fmt::Display for Line<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let error = self.0;
        let kind = error.kind();
        match (error, error.api_error()) {
            (ProviderError::InvalidRequest(m) | ProviderError::MalformedResponse(m), _) => {
                write!(f, "{kind}: {m}")
            }
            (ProviderError::Timeout(x) | ProviderError::Transport(x), _) => {
                write!(f, "{kind}: {} (attempts: {})", x.message, x.attempts)
            }
            (_, Some(a)) => {
                write!(f, "{kind} ({}): {}", a.status, a.message)?;
                if let Some(code) = &a.code {
                    write!(f, " [code: {code}]")?;
                }
                if let Some(ms) = a.retry_after_ms {
                    write!(f, " [retry after {ms} ms]")?;
                }
                write!(f, " (attempts: {})", a.attempts)
            }
            (_, None) => write!(f, "{kind}"),
        }
    }
}
