//! The provider's own types: the contract's values without the generated bindings, so that every
//! conversion can be unit-tested natively and the rlib can be fuzzed and benchmarked.

use std::fmt;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Instructions for the model; sent as OpenAI role `system`.
    System,
    /// The end user.
    User,
    /// The model, in an earlier turn.
    Assistant,
    /// The result of a tool call; needs `tool-call-id` (without one it is sent as `user`).
    Tool,
}

/// A function the model may call; `parameters` is JSON Schema text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ToolDef {
    /// The function's name, as the model will call it.
    pub name: String,
    /// What the function does, for the model.
    pub description: Option<String>,
    /// The arguments' JSON Schema, as JSON text; must be a JSON object.
    pub parameters: String,
    /// OpenAI's `strict`: the arguments must follow the schema exactly.
    pub strict: Option<bool>,
}

/// A call of a tool by the model; `arguments` is JSON text as the model wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    /// The id the endpoint gave the call; a tool result names it in `tool-call-id`.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments as JSON text, exactly as the model wrote them (it may be invalid JSON).
    pub arguments: String,
}

/// A part of a user message beyond its text.
#[derive(Debug, Clone, PartialEq)]
pub enum ContentPart {
    /// More text.
    Text(String),
    /// An image (`image_url`).
    Image {
        /// An `https:` or `data:` URL.
        url: String,
        /// `low`, `high` or `auto`.
        detail: Option<String>,
    },
    /// A file as a `data:` URL or a server's file id (exactly one of them).
    File {
        /// The content as a `data:` URL.
        data: Option<String>,
        /// The id of a file uploaded before.
        file_id: Option<String>,
        /// The file's name.
        filename: Option<String>,
    },
    /// Base64 audio and its format (`wav`, `mp3`).
    InputAudio {
        /// Base64 audio.
        data: String,
        /// `wav`, `mp3`…
        format: String,
    },
}

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// Its text; may be empty for an assistant message that only calls tools.
    pub content: String,
    /// Further parts (user messages only), sent with the text as OpenAI's array of parts.
    pub parts: Vec<ContentPart>,
    /// The tools an assistant message called (empty for other roles).
    pub tool_calls: Vec<ToolCall>,
    /// For a `tool` message: the id of the call it answers.
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
    /// No reasoning.
    None,
    /// As little as the model can.
    Minimal,
    /// Little.
    Low,
    /// The usual default.
    Medium,
    /// Much.
    High,
    /// More than `high`.
    Xhigh,
    /// As much as the model can (OpenAI's newest value; DeepSeek V4's highest).
    Max,
}

/// The body field that carries the token cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenLimitField {
    /// `max_tokens`: every server but OpenAI's reasoning models (GPT-5-class, o-series), which reject it.
    MaxTokens,
    /// `max_completion_tokens`: OpenAI's current name, which every OpenAI model takes.
    MaxCompletionTokens,
}

/// Which tool the model must call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolChoice {
    /// The model decides (the servers' default when tools are given).
    Auto,
    /// No tool.
    None,
    /// At least one tool.
    Required,
    /// This tool, by name.
    Named(String),
}

/// The form of the answer; a JSON Schema is JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseFormat {
    /// Free text (the default).
    Text,
    /// Any JSON object.
    JsonObject,
    /// JSON that follows a schema.
    JsonSchema {
        /// The schema's name.
        name: String,
        /// The schema, as JSON text.
        schema: String,
        /// Whether the server must follow it exactly.
        strict: Option<bool>,
    },
}

/// A chat completion request: the fields of devsper-core's `LlmRequest`, then OpenAI's sampling
/// and format parameters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatRequest {
    /// The model; a `litellm:` prefix is stripped before it is sent.
    pub model: String,
    /// The conversation, oldest first; must not be empty.
    pub messages: Vec<Message>,
    /// The tools the model may call; empty for none.
    pub tools: Vec<ToolDef>,
    /// The most tokens to generate (reasoning tokens included, on servers that count them).
    pub max_tokens: Option<u32>,
    /// The field `max_tokens` goes as; none: the profile's.
    pub max_tokens_field: Option<TokenLimitField>,
    /// Sampling temperature, 0 to 2.
    pub temperature: Option<f32>,
    /// A system prompt, sent as the first message.
    pub system: Option<String>,
    /// Nucleus sampling, 0 to 1.
    pub top_p: Option<f32>,
    /// Up to 4 stop sequences; one is sent as a string, more as a list.
    pub stop: Vec<String>,
    /// A seed for reproducible sampling, where the server supports it.
    pub seed: Option<i64>,
    /// An end-user id for the server's abuse monitoring.
    pub user: Option<String>,
    /// Presence penalty, -2 to 2.
    pub presence_penalty: Option<f32>,
    /// Frequency penalty, -2 to 2.
    pub frequency_penalty: Option<f32>,
    /// The form of the answer.
    pub response_format: Option<ResponseFormat>,
    /// Which tool the model must call.
    pub tool_choice: Option<ToolChoice>,
    /// Whether the model may call several tools in one turn.
    pub parallel_tool_calls: Option<bool>,
    /// How much a reasoning model should think, sent as `reasoning_effort`.
    pub reasoning_effort: Option<ReasoningEffort>,
    /// A JSON object (text) merged into the body last.
    pub extra_body: Option<String>,
}

/// Why the model stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// It finished its answer (`stop`, or no finish reason).
    EndTurn,
    /// It called one or more tools (`tool_calls`, `function_call`).
    ToolUse,
    /// It reached `max-tokens` (`length`).
    MaxTokens,
    /// It met a stop sequence.
    StopSequence,
    /// The endpoint's content filter cut the answer (`content_filter`).
    ContentFilter,
}

/// Tokens counted by the endpoint; the optional counts are `None` when it did not send them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Prompt tokens (`prompt_tokens`), cached ones included.
    pub input_tokens: u32,
    /// Generated tokens (`completion_tokens`), as the server counts them.
    pub output_tokens: u32,
    /// Of the input tokens, those read from the server's prompt cache.
    pub cached_input_tokens: Option<u32>,
    /// Input tokens written to the prompt cache.
    pub cache_write_input_tokens: Option<u32>,
    /// Tokens the model spent reasoning (`completion_tokens_details.reasoning_tokens`).
    pub reasoning_tokens: Option<u32>,
}

/// A chat completion.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatResponse {
    /// The answer's text; empty when the model only called tools.
    pub content: String,
    /// The tools the model called, in order.
    pub tool_calls: Vec<ToolCall>,
    /// Token counts; `none` when the endpoint sent none.
    pub usage: Option<Usage>,
    /// The model that answered, as the endpoint named it.
    pub model: String,
    /// Why the model stopped.
    pub stop_reason: StopReason,
    /// Reasoning text, when the endpoint sent some.
    pub reasoning: Option<String>,
    /// The model's refusal (OpenAI structured outputs), when it refused.
    pub refusal: Option<String>,
}

/// One event of a streamed completion.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// More answer text.
    Text(String),
    /// More reasoning text.
    Reasoning(String),
    /// More of the model's refusal (OpenAI's `refusal` deltas).
    Refusal(String),
    /// A complete tool call, assembled from its deltas.
    ToolCall(ToolCall),
    /// The end of the answer; `next` returns `none` after it.
    Finish {
        /// Why the model stopped.
        stop_reason: StopReason,
        /// Token counts, when the endpoint sent them.
        usage: Option<Usage>,
        /// The model that answered.
        model: String,
    },
}

/// An error answer from the endpoint, already scrubbed of the key and capped in length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The endpoint's own message, scrubbed and capped at 1000 characters.
    pub message: String,
    /// The endpoint's error code or type, when it gave one.
    pub code: Option<String>,
    /// How long the endpoint asked to wait (`Retry-After`, `retry-after-ms`), in ms.
    pub retry_after_ms: Option<u64>,
    /// How many attempts were made, this one included.
    pub attempts: u32,
}

/// A failure without an error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What went wrong, for a person.
    pub message: String,
    /// How many attempts were made, this one included.
    pub attempts: u32,
    /// Whether trying again may help (a refused connection may; a host's denial, a rejected
    /// certificate or the total deadline will not). The provider's own: not part of the contract.
    pub retryable: bool,
}

/// Why a call failed; one case per case of the contract's `error` variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The caller's input is wrong; found before any network use.
    InvalidRequest(String),
    /// The endpoint refused the key (401, 403).
    Unauthorized(ApiError),
    /// Too many requests (429) after all retries.
    RateLimited(ApiError),
    /// The prompt is longer than the model's context (`context_length_exceeded`).
    ContextLengthExceeded(ApiError),
    /// The endpoint's content policy refused the request (`content_filter`, `content_policy_violation`).
    ContentFiltered(ApiError),
    /// The account's quota or budget is spent (`insufficient_quota`, 402).
    QuotaExceeded(ApiError),
    /// The endpoint rejected the request (other 4xx), or redirected it (3xx, never followed).
    BadRequest(ApiError),
    /// The endpoint failed (5xx) after all retries.
    Upstream(ApiError),
    /// A deadline passed: connect, first byte, between bytes or total.
    Timeout(Failure),
    /// No exchange happened: connection refused or reset, DNS, TLS, or denied by the host.
    Transport(Failure),
    /// The endpoint answered 2xx with something that is not a chat completion, or too large.
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

    /// Whether trying again may help: the one decision the retry loop asks (the OpenAI SDKs'
    /// policy): 408, 409, 429 (not a spent quota), 5xx, and the timeouts and connection failures
    /// that say so.
    pub fn retryable(&self) -> bool {
        match self {
            Error::RateLimited(_) | Error::Upstream(_) => true,
            Error::BadRequest(e) => matches!(e.status, 408 | 409),
            Error::Timeout(f) | Error::Transport(f) => f.retryable,
            Error::InvalidRequest(_)
            | Error::Unauthorized(_)
            | Error::ContextLengthExceeded(_)
            | Error::ContentFiltered(_)
            | Error::QuotaExceeded(_)
            | Error::MalformedResponse(_) => false,
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

/// Every secret of a client: the API key, and the extra header values long enough to be tokens.
/// Shown as `***` by `Debug`, so that no log of a config can leak them; scrubbing what a server
/// echoes removes all of them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets(String, Vec<String>);

/// Header values shorter than this are not scrubbed: too short to be a token, and replacing them
/// would mangle ordinary words of a message.
const MIN_HIDDEN_LEN: usize = 8;

impl Secrets {
    /// The API key alone (empty: none).
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
    /// Whether there is no API key.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The key itself, for the `Authorization` header and for scrubbing; never for display.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "Secrets(none)" } else { "Secrets(***)" })
    }
}

/// The flavour of OpenAI-compatible server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Profile {
    /// A LiteLLM proxy, or any other OpenAI-compatible server (the default).
    #[default]
    Litellm,
    /// OpenAI: `https://api.openai.com`, `max_completion_tokens`, no reasoning sent back.
    Openai,
    /// Azure OpenAI: the `api-key` header, the model as the deployment.
    Azure,
    /// Ollama: base URL `http://localhost:11434`; no key needed.
    Ollama,
    /// vLLM: base URL `http://localhost:8000`; no key needed.
    Vllm,
}

/// The caller's configuration as the contract passes it; every `None` takes its default (the
/// values live in [`crate::config`], and `tests/contract.rs` checks them against the WIT's docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientConfig {
    /// The server flavour; default `LITELLM_PROFILE`, else `litellm`.
    pub profile: Option<Profile>,
    /// The endpoint; default `LITELLM_BASE_URL`, else the profile's.
    pub base_url: Option<String>,
    /// The key; default `LITELLM_API_KEY`, else none.
    pub api_key: Option<Secrets>,
    /// The longest wait for a connection, in ms. Default [`crate::config::DEFAULT_CONNECT_TIMEOUT_MS`].
    pub connect_timeout_ms: Option<u32>,
    /// The longest wait for the response head after sending, in ms. Default
    /// [`crate::config::DEFAULT_FIRST_BYTE_TIMEOUT_MS`].
    pub first_byte_timeout_ms: Option<u32>,
    /// The longest silence between two parts of the body, in ms. Default
    /// [`crate::config::DEFAULT_BETWEEN_BYTES_TIMEOUT_MS`].
    pub between_bytes_timeout_ms: Option<u32>,
    /// The longest a whole call (all attempts, the body included) may take, in ms. Default
    /// [`crate::config::DEFAULT_TOTAL_TIMEOUT_MS`].
    pub total_timeout_ms: Option<u32>,
    /// Attempts after the first on 408, 409, 429, 5xx and connection failures. Default
    /// [`crate::config::DEFAULT_MAX_RETRIES`].
    pub max_retries: Option<u32>,
    /// The largest non-streamed response body read, in bytes. Default
    /// [`crate::config::DEFAULT_MAX_RESPONSE_BYTES`].
    pub max_response_bytes: Option<u32>,
    /// Extra request headers (never the transport's or the key's).
    pub headers: Vec<(String, String)>,
    /// The Azure `api-version` query parameter. Default [`crate::config::DEFAULT_AZURE_API_VERSION`].
    pub api_version: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let config = ClientConfig { api_key: Some(Secrets::new("sk-very-secret")), ..Default::default() };
        let shown = format!("{config:?}");
        assert!(!shown.contains("sk-very-secret"), "{shown}");
        assert!(shown.contains("Secrets(***)"));
    }

    #[test]
    fn attempts_are_set_on_every_networked_error() {
        let mut e = Error::Transport(Failure { message: "refused".into(), attempts: 1, retryable: true });
        e.set_attempts(3);
        assert_eq!(e, Error::Transport(Failure { message: "refused".into(), attempts: 3, retryable: true }));
        assert_eq!(e.kind(), "transport");
    }

    #[test]
    fn which_errors_are_retried() {
        let api = |status| ApiError { status, message: String::new(), code: None, retry_after_ms: None, attempts: 1 };
        let failure = |retryable| Failure { message: String::new(), attempts: 1, retryable };
        for (error, retried) in [
            (Error::RateLimited(api(429)), true),
            (Error::Upstream(api(503)), true),
            (Error::BadRequest(api(408)), true),
            (Error::BadRequest(api(409)), true),
            (Error::Transport(failure(true)), true),
            (Error::Timeout(failure(true)), true),
            (Error::Transport(failure(false)), false),
            (Error::Timeout(failure(false)), false),
            (Error::BadRequest(api(400)), false),
            (Error::QuotaExceeded(api(429)), false),
            (Error::Unauthorized(api(401)), false),
            (Error::MalformedResponse(String::new()), false),
            (Error::InvalidRequest(String::new()), false),
        ] {
            assert_eq!(error.retryable(), retried, "{error:?}");
        }
    }
}
