//! The provider's own types: the contract's values without the generated bindings, so that every
//! conversion can be unit-tested natively and the rlib can be fuzzed and benchmarked.

use std::fmt;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    System,
    User,
    Assistant,
    Tool,
}

/// A function the model may call; `parameters` is JSON Schema text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ToolDef {
    pub name: String,
    pub description: Option<String>,
    pub parameters: String,
    /// OpenAI's `strict`: the arguments must follow the schema exactly.
    pub strict: Option<bool>,
}

/// A call of a tool by the model; `arguments` is JSON text as the model wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// A part of a user message beyond its text.
#[derive(Debug, Clone, PartialEq)]
pub enum ContentPart {
    Text(String),
    Image {
        url: String,
        detail: Option<String>,
    },
    /// A file as a `data:` URL or a server's file id (exactly one of them).
    File {
        data: Option<String>,
        file_id: Option<String>,
        filename: Option<String>,
    },
    /// Base64 audio and its format (`wav`, `mp3`).
    InputAudio {
        data: String,
        format: String,
    },
}

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub role: Role,
    pub content: String,
    pub parts: Vec<ContentPart>,
    pub tool_calls: Vec<ToolCall>,
    pub tool_call_id: Option<String>,
    /// An assistant turn's reasoning, handed back where the profile takes it.
    pub reasoning: Option<String>,
}

impl Message {
    /// A message with text only.
    pub fn text(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
            parts: Vec::new(),
            tool_calls: Vec::new(),
            tool_call_id: None,
            reasoning: None,
        }
    }
}

/// How much a reasoning model should think: OpenAI's `reasoning_effort` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasoningEffort {
    None,
    Minimal,
    Low,
    Medium,
    High,
    Xhigh,
    Max,
}

/// The body field that carries the token cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenLimitField {
    MaxTokens,
    MaxCompletionTokens,
}

/// Which tool the model must call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolChoice {
    Auto,
    None,
    Required,
    Named(String),
}

/// The form of the answer; a JSON Schema is JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseFormat {
    Text,
    JsonObject,
    JsonSchema { name: String, schema: String, strict: Option<bool> },
}

/// A chat completion request: the fields of devsper-core's `LlmRequest`, then OpenAI's sampling
/// and format parameters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<Message>,
    pub tools: Vec<ToolDef>,
    pub max_tokens: Option<u32>,
    /// The field `max_tokens` goes as; none: the profile's.
    pub max_tokens_field: Option<TokenLimitField>,
    pub temperature: Option<f32>,
    pub system: Option<String>,
    pub top_p: Option<f32>,
    pub stop: Vec<String>,
    pub seed: Option<i64>,
    pub user: Option<String>,
    pub presence_penalty: Option<f32>,
    pub frequency_penalty: Option<f32>,
    pub response_format: Option<ResponseFormat>,
    pub tool_choice: Option<ToolChoice>,
    pub parallel_tool_calls: Option<bool>,
    pub reasoning_effort: Option<ReasoningEffort>,
    /// A JSON object (text) merged into the body last.
    pub extra_body: Option<String>,
}

/// Why the model stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    EndTurn,
    ToolUse,
    MaxTokens,
    StopSequence,
    ContentFilter,
}

/// Tokens counted by the endpoint; the optional counts are `None` when it did not send them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: u32,
    pub output_tokens: u32,
    pub cached_input_tokens: Option<u32>,
    pub cache_write_input_tokens: Option<u32>,
    pub reasoning_tokens: Option<u32>,
}

/// A chat completion.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatResponse {
    pub content: String,
    pub tool_calls: Vec<ToolCall>,
    pub usage: Option<Usage>,
    pub model: String,
    pub stop_reason: StopReason,
    pub reasoning: Option<String>,
    /// The model's refusal (OpenAI structured outputs), when it refused.
    pub refusal: Option<String>,
}

/// One event of a streamed completion.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    Text(String),
    Reasoning(String),
    Refusal(String),
    ToolCall(ToolCall),
    Finish { stop_reason: StopReason, usage: Option<Usage>, model: String },
}

/// An error answer from the endpoint, already scrubbed of the key and capped in length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub message: String,
    pub code: Option<String>,
    pub retry_after_ms: Option<u64>,
    pub attempts: u32,
}

/// A failure without an error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    pub attempts: u32,
}

/// Why a call failed; one case per case of the contract's `error` variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    InvalidRequest(String),
    Unauthorized(ApiError),
    RateLimited(ApiError),
    ContextLengthExceeded(ApiError),
    ContentFiltered(ApiError),
    QuotaExceeded(ApiError),
    BadRequest(ApiError),
    Upstream(ApiError),
    Timeout(Failure),
    Transport(Failure),
    MalformedResponse(String),
}

impl Error {
    /// The attempts counter of the errors that carry one.
    pub fn set_attempts(&mut self, attempts: u32) {
        match self {
            Error::Unauthorized(e)
            | Error::RateLimited(e)
            | Error::ContextLengthExceeded(e)
            | Error::ContentFiltered(e)
            | Error::QuotaExceeded(e)
            | Error::BadRequest(e)
            | Error::Upstream(e) => e.attempts = attempts,
            Error::Timeout(f) | Error::Transport(f) => f.attempts = attempts,
            Error::InvalidRequest(_) | Error::MalformedResponse(_) => {}
        }
    }

    /// The same error with `f` applied to each of its texts (messages and codes).
    pub fn map_texts(self, f: impl Fn(String) -> String) -> Error {
        let api = |e: ApiError| ApiError { message: f(e.message), code: e.code.map(&f), ..e };
        let failure = |e: Failure| Failure { message: f(e.message), ..e };
        match self {
            Error::InvalidRequest(m) => Error::InvalidRequest(f(m)),
            Error::Unauthorized(e) => Error::Unauthorized(api(e)),
            Error::RateLimited(e) => Error::RateLimited(api(e)),
            Error::ContextLengthExceeded(e) => Error::ContextLengthExceeded(api(e)),
            Error::ContentFiltered(e) => Error::ContentFiltered(api(e)),
            Error::QuotaExceeded(e) => Error::QuotaExceeded(api(e)),
            Error::BadRequest(e) => Error::BadRequest(api(e)),
            Error::Upstream(e) => Error::Upstream(api(e)),
            Error::Timeout(e) => Error::Timeout(failure(e)),
            Error::Transport(e) => Error::Transport(failure(e)),
            Error::MalformedResponse(m) => Error::MalformedResponse(f(m)),
        }
    }

    /// The endpoint's error answer, for the cases that carry one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Unauthorized(e)
            | Error::RateLimited(e)
            | Error::ContextLengthExceeded(e)
            | Error::ContentFiltered(e)
            | Error::QuotaExceeded(e)
            | Error::BadRequest(e)
            | Error::Upstream(e) => Some(e),
            _ => None,
        }
    }

    /// A short stable name of the case, for logs and spans (`error.type`).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::InvalidRequest(_) => "invalid-request",
            Error::Unauthorized(_) => "unauthorized",
            Error::RateLimited(_) => "rate-limited",
            Error::ContextLengthExceeded(_) => "context-length-exceeded",
            Error::ContentFiltered(_) => "content-filtered",
            Error::QuotaExceeded(_) => "quota-exceeded",
            Error::BadRequest(_) => "bad-request",
            Error::Upstream(_) => "upstream",
            Error::Timeout(_) => "timeout",
            Error::Transport(_) => "transport",
            Error::MalformedResponse(_) => "malformed-response",
        }
    }
}

/// The API key: shown as `***` by `Debug`, so that no log of a config can leak it. It also
/// carries the other secrets of the config (extra header values, which may hold tokens), so that
/// scrubbing what a server echoes removes them too.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ApiKey(String, Vec<String>);

/// Header values shorter than this are not scrubbed: too short to be a token, and replacing them
/// would mangle ordinary words of a message.
const MIN_HIDDEN_LEN: usize = 8;

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into(), Vec::new())
    }
    /// The same key, also hiding `values` (those long enough to be tokens) wherever it is scrubbed.
    pub fn hiding<'a>(mut self, values: impl IntoIterator<Item = &'a str>) -> Self {
        self.1.extend(values.into_iter().filter(|v| v.len() >= MIN_HIDDEN_LEN).map(str::to_string));
        self
    }
    /// The key (when not empty) and every other secret, for scrubbing.
    pub fn secrets(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.0.as_str()).chain(self.1.iter().map(String::as_str)).filter(|s| !s.is_empty())
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The key itself, for the `Authorization` header and for scrubbing; never for display.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "ApiKey(none)" } else { "ApiKey(***)" })
    }
}

/// The flavour of OpenAI-compatible server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Profile {
    #[default]
    Litellm,
    Openai,
    Azure,
    Ollama,
    Vllm,
}

/// The caller's configuration as the contract passes it; every `None` takes its default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientConfig {
    pub profile: Option<Profile>,
    pub base_url: Option<String>,
    pub api_key: Option<ApiKey>,
    pub connect_timeout_ms: Option<u32>,
    pub first_byte_timeout_ms: Option<u32>,
    pub between_bytes_timeout_ms: Option<u32>,
    pub total_timeout_ms: Option<u32>,
    pub max_retries: Option<u32>,
    pub max_response_bytes: Option<u32>,
    pub headers: Vec<(String, String)>,
    pub api_version: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let config = ClientConfig { api_key: Some(ApiKey::new("sk-very-secret")), ..Default::default() };
        let shown = format!("{config:?}");
        assert!(!shown.contains("sk-very-secret"), "{shown}");
        assert!(shown.contains("ApiKey(***)"));
    }

    #[test]
    fn attempts_are_set_on_every_networked_error() {
        let mut e = Error::Transport(Failure { message: "refused".into(), attempts: 1 });
        e.set_attempts(3);
        assert_eq!(e, Error::Transport(Failure { message: "refused".into(), attempts: 3 }));
        assert_eq!(e.kind(), "transport");
    }
}
