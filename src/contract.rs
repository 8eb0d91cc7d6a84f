//! The contract glue's conversions between the generated WIT types and the plain Rust ones.
//!
//! Every WIT record is taken apart by an exhaustive pattern (no `..`) and every record is built
//! with all its fields: a field the contract gains or loses is a compile error here, never a
//! value dropped without a word.

use crate::bindings::exports::devsper::llm::types as wit;
use crate::domain;
use crate::embeddings::{EmbeddingsRequest, EmbeddingsResponse, ModelInfo};

pub fn config_in(c: wit::Config) -> domain::ClientConfig {
    let wit::Config {
        profile,
        base_url,
        api_key,
        connect_timeout_ms,
        first_byte_timeout_ms,
        between_bytes_timeout_ms,
        total_timeout_ms,
        max_retries,
        max_response_bytes,
        headers,
        api_version,
    } = c;
    domain::ClientConfig {
        profile: profile.map(|p| match p {
            wit::Profile::Litellm => domain::Profile::Litellm,
            wit::Profile::Openai => domain::Profile::Openai,
            wit::Profile::Azure => domain::Profile::Azure,
            wit::Profile::Ollama => domain::Profile::Ollama,
            wit::Profile::Vllm => domain::Profile::Vllm,
        }),
        base_url,
        api_key: api_key.map(domain::Secrets::new),
        connect_timeout_ms,
        first_byte_timeout_ms,
        between_bytes_timeout_ms,
        total_timeout_ms,
        max_retries,
        max_response_bytes,
        headers,
        api_version,
    }
}

pub fn request_in(r: wit::Request) -> domain::ChatRequest {
    let wit::Request {
        model,
        messages,
        tools,
        max_tokens,
        max_tokens_field,
        temperature,
        system,
        top_p,
        stop,
        seed,
        user,
        presence_penalty,
        frequency_penalty,
        response_format,
        tool_choice,
        parallel_tool_calls,
        reasoning_effort,
        extra_body,
    } = r;
    domain::ChatRequest {
        model,
        messages: messages.into_iter().map(message_in).collect(),
        tools: tools
            .into_iter()
            .map(|t| {
                let wit::ToolDef { name, description, parameters, strict } = t;
                domain::ToolDef { name, description, parameters, strict }
            })
            .collect(),
        max_tokens,
        max_tokens_field: max_tokens_field.map(|f| match f {
            wit::TokenLimitField::MaxTokens => domain::TokenLimitField::MaxTokens,
            wit::TokenLimitField::MaxCompletionTokens => domain::TokenLimitField::MaxCompletionTokens,
        }),
        temperature,
        system,
        top_p,
        stop,
        seed,
        user,
        presence_penalty,
        frequency_penalty,
        response_format: response_format.map(|f| match f {
            wit::ResponseFormat::Text => domain::ResponseFormat::Text,
            wit::ResponseFormat::JsonObject => domain::ResponseFormat::JsonObject,
            wit::ResponseFormat::JsonSchema(wit::JsonSchema { name, schema, strict }) => {
                domain::ResponseFormat::JsonSchema { name, schema, strict }
            }
        }),
        tool_choice: tool_choice.map(|c| match c {
            wit::ToolChoice::Auto => domain::ToolChoice::Auto,
            wit::ToolChoice::None => domain::ToolChoice::None,
            wit::ToolChoice::Required => domain::ToolChoice::Required,
            wit::ToolChoice::Named(name) => domain::ToolChoice::Named(name),
        }),
        parallel_tool_calls,
        reasoning_effort: reasoning_effort.map(|e| match e {
            wit::ReasoningEffort::None => domain::ReasoningEffort::None,
            wit::ReasoningEffort::Minimal => domain::ReasoningEffort::Minimal,
            wit::ReasoningEffort::Low => domain::ReasoningEffort::Low,
            wit::ReasoningEffort::Medium => domain::ReasoningEffort::Medium,
            wit::ReasoningEffort::High => domain::ReasoningEffort::High,
            wit::ReasoningEffort::Xhigh => domain::ReasoningEffort::Xhigh,
            wit::ReasoningEffort::Max => domain::ReasoningEffort::Max,
        }),
        extra_body,
    }
}

fn message_in(m: wit::Message) -> domain::Message {
    let wit::Message { role, content, parts, tool_calls, tool_call_id, reasoning } = m;
    domain::Message {
        role: match role {
            wit::Role::System => domain::Role::System,
            wit::Role::User => domain::Role::User,
            wit::Role::Assistant => domain::Role::Assistant,
            wit::Role::Tool => domain::Role::Tool,
        },
        content,
        parts: parts
            .into_iter()
            .map(|p| match p {
                wit::ContentPart::Text(t) => domain::ContentPart::Text(t),
                wit::ContentPart::Image(wit::ImageUrl { url, detail }) => domain::ContentPart::Image { url, detail },
                wit::ContentPart::File(wit::FilePart { data, file_id, filename }) => {
                    domain::ContentPart::File { data, file_id, filename }
                }
                wit::ContentPart::InputAudio(wit::InputAudio { data, format }) => {
                    domain::ContentPart::InputAudio { data, format }
                }
            })
            .collect(),
        tool_calls: tool_calls
            .into_iter()
            .map(|c| {
                let wit::ToolCall { id, name, arguments } = c;
                domain::ToolCall { id, name, arguments }
            })
            .collect(),
        tool_call_id,
        reasoning,
    }
}

pub fn embeddings_in(r: wit::EmbeddingsRequest) -> EmbeddingsRequest {
    let wit::EmbeddingsRequest { model, inputs, dimensions, user } = r;
    EmbeddingsRequest { model, inputs, dimensions, user }
}

pub fn embeddings_out(r: EmbeddingsResponse) -> wit::EmbeddingsResponse {
    wit::EmbeddingsResponse { embeddings: r.embeddings, model: r.model, usage: r.usage.map(usage_out) }
}

pub fn model_out(m: ModelInfo) -> wit::ModelInfo {
    wit::ModelInfo { id: m.id, owned_by: m.owned_by, created: m.created }
}

pub fn response_out(r: domain::ChatResponse) -> wit::Response {
    wit::Response {
        content: r.content,
        tool_calls: r.tool_calls.into_iter().map(tool_call_out).collect(),
        usage: r.usage.map(usage_out),
        model: r.model,
        stop_reason: stop_out(r.stop_reason),
        reasoning: r.reasoning,
        refusal: r.refusal,
    }
}

pub fn event_out(event: domain::StreamEvent) -> wit::StreamEvent {
    match event {
        domain::StreamEvent::Text(t) => wit::StreamEvent::Text(t),
        domain::StreamEvent::Reasoning(r) => wit::StreamEvent::Reasoning(r),
        domain::StreamEvent::Refusal(r) => wit::StreamEvent::Refusal(r),
        domain::StreamEvent::ToolCall(c) => wit::StreamEvent::ToolCall(tool_call_out(c)),
        domain::StreamEvent::Finish { stop_reason, usage, model } => wit::StreamEvent::Finish(wit::StreamEnd {
            stop_reason: stop_out(stop_reason),
            usage: usage.map(usage_out),
            model,
        }),
    }
}

fn tool_call_out(c: domain::ToolCall) -> wit::ToolCall {
    wit::ToolCall { id: c.id, name: c.name, arguments: c.arguments }
}

fn usage_out(u: domain::Usage) -> wit::Usage {
    wit::Usage {
        input_tokens: u.input_tokens,
        output_tokens: u.output_tokens,
        cached_input_tokens: u.cached_input_tokens,
        cache_write_input_tokens: u.cache_write_input_tokens,
        reasoning_tokens: u.reasoning_tokens,
    }
}

fn stop_out(s: domain::StopReason) -> wit::StopReason {
    match s {
        domain::StopReason::EndTurn => wit::StopReason::EndTurn,
        domain::StopReason::ToolUse => wit::StopReason::ToolUse,
        domain::StopReason::MaxTokens => wit::StopReason::MaxTokens,
        domain::StopReason::StopSequence => wit::StopReason::StopSequence,
        domain::StopReason::ContentFilter => wit::StopReason::ContentFilter,
    }
}

pub fn error_out(e: domain::Error) -> wit::Error {
    let api = |a: domain::ApiError| wit::ApiError {
        status: a.status,
        message: a.message,
        code: a.code,
        retry_after_ms: a.retry_after_ms,
        attempts: a.attempts,
    };
    // Whether to retry is the provider's own decision, already taken: the contract has no room for it.
    let failure = |f: domain::Failure| wit::Failure { message: f.message, attempts: f.attempts };
    match e {
        domain::Error::InvalidRequest(m) => wit::Error::InvalidRequest(m),
        domain::Error::Unauthorized(a) => wit::Error::Unauthorized(api(a)),
        domain::Error::RateLimited(a) => wit::Error::RateLimited(api(a)),
        domain::Error::ContextLengthExceeded(a) => wit::Error::ContextLengthExceeded(api(a)),
        domain::Error::ContentFiltered(a) => wit::Error::ContentFiltered(api(a)),
        domain::Error::QuotaExceeded(a) => wit::Error::QuotaExceeded(api(a)),
        domain::Error::BadRequest(a) => wit::Error::BadRequest(api(a)),
        domain::Error::Upstream(a) => wit::Error::Upstream(api(a)),
        domain::Error::Timeout(f) => wit::Error::Timeout(failure(f)),
        domain::Error::Transport(f) => wit::Error::Transport(failure(f)),
        domain::Error::MalformedResponse(m) => wit::Error::MalformedResponse(m),
    }
}
