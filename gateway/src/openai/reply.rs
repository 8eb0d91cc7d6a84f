//! OpenAI's answers made from the contract's: the whole completion, the stream's chunks, the
//! model list and the error bodies.

use litellm_client::{ApiError, Error, ModelInfo, Response, StopReason, StreamEvent, ToolCall, Usage};
use serde_json::{json, Value};

/// OpenAI's `finish_reason` for a stop reason.
pub fn finish_reason(reason: StopReason) -> &'static str {
    match reason {
        StopReason::EndTurn | StopReason::StopSequence => "stop",
        StopReason::ToolUse => "tool_calls",
        StopReason::MaxTokens => "length",
        StopReason::ContentFilter => "content_filter",
    }
}

/// OpenAI's `usage`: the details objects only with the counts the upstream sent, and the
/// cache-write count under the Anthropic-style name LiteLLM uses (OpenAI's shape has none).
fn usage_json(usage: &Usage) -> Value {
    let (prompt, completion) = (usage.input_tokens, usage.output_tokens);
    let mut value = json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": u64::from(prompt) + u64::from(completion)});
    if let Some(cached) = usage.cached_input_tokens {
        value["prompt_tokens_details"] = json!({"cached_tokens": cached});
    }
    if let Some(reasoning) = usage.reasoning_tokens {
        value["completion_tokens_details"] = json!({"reasoning_tokens": reasoning});
    }
    if let Some(written) = usage.cache_write_input_tokens {
        value["cache_creation_input_tokens"] = json!(written);
    }
    value
}

fn tool_call_json(call: &ToolCall) -> Value {
    json!({"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}})
}

/// A non-streamed answer as OpenAI's `chat.completion`.
pub fn completion(answer: &Response, id: &str, created: u64) -> Value {
    let mut message = json!({
        "role": "assistant",
        // OpenAI sends `null`, not "", when the model only called tools.
        "content": if answer.content.is_empty() && !answer.tool_calls.is_empty() { Value::Null } else { json!(answer.content) },
        "refusal": answer.refusal,
    });
    if !answer.tool_calls.is_empty() {
        message["tool_calls"] = answer.tool_calls.iter().map(tool_call_json).collect();
    }
    if let Some(reasoning) = &answer.reasoning {
        // The name LiteLLM, vLLM and DeepSeek use; OpenAI's own clients keep unknown fields.
        message["reasoning_content"] = json!(reasoning);
    }
    let mut value = json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": answer.model,
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": finish_reason(answer.stop_reason),
        }],
    });
    if let Some(usage) = &answer.usage {
        value["usage"] = usage_json(usage);
    }
    value
}

/// Turns a stream's events into OpenAI `chat.completion.chunk`s, one completion's worth.
#[derive(Debug)]
pub struct Chunks {
    id: String,
    created: u64,
    model: String,
    include_usage: bool,
    /// The index of the next tool call: OpenAI numbers a completion's tool calls from 0.
    tool_index: u32,
}

impl Chunks {
    /// Chunks for one completion: `model` is the one the client asked for, until the finish
    /// event names the one that answered.
    pub fn new(id: &str, created: u64, model: &str, include_usage: bool) -> Self {
        Chunks { id: id.to_owned(), created, model: model.to_owned(), include_usage, tool_index: 0 }
    }

    fn chunk(&self, choices: Value) -> Value {
        json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
        })
    }

    fn delta(&self, delta: Value, finish: Option<&str>) -> Value {
        self.chunk(json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]))
    }

    /// The first chunk, as OpenAI sends it: the role, and empty content.
    pub fn start(&self) -> Value {
        self.delta(json!({"role": "assistant", "content": ""}), None)
    }

    /// The chunks of one event: one, or for the finish event the finish chunk and, when the
    /// client asked for it, the usage chunk (no choices), as OpenAI sends them.
    pub fn event(&mut self, event: &StreamEvent) -> Vec<Value> {
        match event {
            StreamEvent::Text(text) => vec![self.delta(json!({"content": text}), None)],
            StreamEvent::Reasoning(text) => vec![self.delta(json!({"reasoning_content": text}), None)],
            StreamEvent::Refusal(text) => vec![self.delta(json!({"refusal": text}), None)],
            StreamEvent::ToolCall(call) => {
                // The provider hands over a whole call; one delta carries all of it.
                let mut delta = tool_call_json(call);
                delta["index"] = json!(self.tool_index);
                self.tool_index += 1;
                vec![self.delta(json!({"tool_calls": [delta]}), None)]
            }
            StreamEvent::Finish(end) => {
                self.model = end.model.clone();
                let mut chunks = vec![self.delta(json!({}), Some(finish_reason(end.stop_reason)))];
                if self.include_usage {
                    let mut last = self.chunk(json!([]));
                    last["usage"] = end.usage.as_ref().map_or(Value::Null, usage_json);
                    chunks.push(last);
                }
                chunks
            }
        }
    }
}

/// The model list as OpenAI's `GET /v1/models` answer.
pub fn models(models: &[ModelInfo]) -> Value {
    let data: Vec<Value> = models
        .iter()
        .map(|m| {
            json!({
                "id": m.id,
                "object": "model",
                "created": m.created.unwrap_or(0),
                "owned_by": m.owned_by.as_deref().unwrap_or("unknown"),
            })
        })
        .collect();
    json!({"object": "list", "data": data})
}

/// An error as the client gets it: the HTTP status and OpenAI's error body.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorReply {
    /// The HTTP status.
    pub status: u16,
    /// `{"error": {"message", "type", "param", "code"}}`.
    pub body: Value,
    /// How long the upstream asked to wait, in ms, passed on as `retry-after-ms` and `retry-after`.
    pub retry_after_ms: Option<u64>,
}

/// An error of the gateway's own (a bad request, an unknown route).
pub fn gateway_error(status: u16, message: &str, kind: &str, code: &str) -> ErrorReply {
    ErrorReply { status, body: error_body(message, kind, Some(code)), retry_after_ms: None }
}

fn error_body(message: &str, kind: &str, code: Option<&str>) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

/// The provider's error as the client gets it. An upstream answer keeps its status, message and
/// code (so a 429 stays a 429 and the client's own retry logic applies; the provider has already
/// scrubbed its key from the message); a failure without an answer becomes a 502 or a 504 that
/// says what happened and nothing about where the upstream is.
pub fn error_reply(error: &Error) -> ErrorReply {
    let api = |a: &ApiError, status: u16, kind: &str, code: Option<&str>| ErrorReply {
        // Only an HTTP error status is relayed as it is.
        status: if (400..=599).contains(&status) { status } else { 502 },
        body: error_body(&a.message, kind, code.or(a.code.as_deref())),
        retry_after_ms: a.retry_after_ms,
    };
    match error {
        Error::InvalidRequest(m) => gateway_error(400, m, "invalid_request_error", "invalid_request"),
        Error::Unauthorized(a) if a.status == 403 => api(a, 403, "permission_error", None),
        Error::Unauthorized(a) => api(a, a.status, "authentication_error", None),
        Error::RateLimited(a) => api(a, a.status, "rate_limit_error", None),
        // The code clients look for, whatever name the upstream gave it.
        Error::ContextLengthExceeded(a) => api(a, a.status, "invalid_request_error", Some("context_length_exceeded")),
        Error::ContentFiltered(a) => api(a, a.status, "invalid_request_error", Some("content_filter")),
        Error::QuotaExceeded(a) => api(a, a.status, "insufficient_quota", Some("insufficient_quota")),
        // A redirect the provider would not follow is the upstream's fault, not the client's.
        Error::BadRequest(a) if a.status < 400 => api(a, 502, "api_error", Some("upstream_redirect")),
        Error::BadRequest(a) => api(a, a.status, "invalid_request_error", None),
        Error::Upstream(a) => api(a, a.status, "api_error", None),
        // The provider's own texts of these name the upstream's address: not for a client.
        Error::Timeout(_) => gateway_error(504, "the upstream did not answer in time", "timeout_error", "timeout"),
        Error::Transport(_) => {
            gateway_error(502, "the upstream could not be reached", "api_connection_error", "upstream_unreachable")
        }
        Error::MalformedResponse(_) => {
            gateway_error(502, "the upstream's answer could not be read", "api_error", "malformed_response")
        }
    }
}

/// A stream's mid-way error as a chunk: the OpenAI SDKs raise an `APIError` on a chunk with an
/// `error` field, which is all a stream whose status (200) is already sent can still say.
pub fn error_chunk(error: &Error) -> Value {
    error_reply(error).body
}
