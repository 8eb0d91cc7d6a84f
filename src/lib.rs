//! `litellm-provider`: an OpenAI-compatible chat provider (LiteLLM proxy, OpenAI, vLLM, Ollama,
//! llama.cpp) as a WebAssembly component that speaks WASI HTTP.
//!
//! This file is the contract glue, the only code that touches the generated bindings: it maps the
//! WIT types to the plain Rust ones in [`domain`] and back. Everything else compiles and is tested
//! natively; `export!` only runs for `wasm32`.

pub mod chunks;
pub mod client;
pub mod config;
pub mod domain;
pub mod errors;
pub mod http;
pub mod request;
pub mod response;
pub mod retry;
pub mod sse;
pub mod stream;
pub mod wire;

mod bindings {
    wit_bindgen::generate!({ world: "litellm-provider", path: "wit" });
}

use bindings::exports::devsper::llm::provider::{self, GuestClient, GuestCompletionStream};
use bindings::exports::devsper::llm::types as wit;
use std::cell::RefCell;

/// The component's exports.
pub struct Component;

#[cfg(target_arch = "wasm32")]
bindings::export!(Component with_types_in bindings);

impl provider::Guest for Component {
    type Client = ClientResource;
    type CompletionStream = StreamResource;
}

/// The `client` resource.
pub struct ClientResource(client::Client);

/// The `completion-stream` resource.
pub struct StreamResource(RefCell<stream::CompletionStream>);

fn environment(name: &str) -> Option<String> {
    wasi::cli::environment::get_environment()
        .into_iter()
        .find_map(|(k, v)| (k == name).then_some(v))
}

impl GuestClient for ClientResource {
    fn open(config: wit::Config) -> Result<provider::Client, wit::Error> {
        let config = domain::ClientConfig {
            base_url: config.base_url,
            api_key: config.api_key.map(domain::ApiKey::new),
            connect_timeout_ms: config.connect_timeout_ms,
            first_byte_timeout_ms: config.first_byte_timeout_ms,
            between_bytes_timeout_ms: config.between_bytes_timeout_ms,
            total_timeout_ms: config.total_timeout_ms,
            max_retries: config.max_retries,
            max_response_bytes: config.max_response_bytes,
        };
        let client = client::Client::open(&config, environment).map_err(error_out)?;
        Ok(provider::Client::new(ClientResource(client)))
    }

    fn name(&self) -> String {
        client::PROVIDER_NAME.to_string()
    }

    fn supports_model(&self, model: String) -> bool {
        request::supports_model(&model)
    }

    fn generate(&self, request: wit::Request) -> Result<wit::Response, wit::Error> {
        let answer = self.0.generate(&request_in(request)).map_err(error_out)?;
        Ok(wit::Response {
            content: answer.content,
            tool_calls: answer.tool_calls.into_iter().map(tool_call_out).collect(),
            usage: answer.usage.map(usage_out),
            model: answer.model,
            stop_reason: stop_out(answer.stop_reason),
            reasoning: answer.reasoning,
        })
    }

    fn stream(&self, request: wit::Request) -> Result<provider::CompletionStream, wit::Error> {
        let stream = self.0.stream(&request_in(request)).map_err(error_out)?;
        Ok(provider::CompletionStream::new(StreamResource(
            RefCell::new(stream),
        )))
    }
}

impl GuestCompletionStream for StreamResource {
    fn next(&self) -> Result<Option<wit::StreamEvent>, wit::Error> {
        let event = self.0.borrow_mut().next_event().map_err(error_out)?;
        Ok(event.map(|event| match event {
            domain::StreamEvent::Text(t) => wit::StreamEvent::Text(t),
            domain::StreamEvent::Reasoning(r) => wit::StreamEvent::Reasoning(r),
            domain::StreamEvent::ToolCall(c) => wit::StreamEvent::ToolCall(tool_call_out(c)),
            domain::StreamEvent::Finish {
                stop_reason,
                usage,
                model,
            } => wit::StreamEvent::Finish(wit::StreamEnd {
                stop_reason: stop_out(stop_reason),
                usage: usage.map(usage_out),
                model,
            }),
        }))
    }
}

fn request_in(r: wit::Request) -> domain::ChatRequest {
    domain::ChatRequest {
        model: r.model,
        messages: r
            .messages
            .into_iter()
            .map(|m| domain::Message {
                role: match m.role {
                    wit::Role::System => domain::Role::System,
                    wit::Role::User => domain::Role::User,
                    wit::Role::Assistant => domain::Role::Assistant,
                    wit::Role::Tool => domain::Role::Tool,
                },
                content: m.content,
                tool_calls: m.tool_calls.into_iter().map(tool_call_in).collect(),
                tool_call_id: m.tool_call_id,
            })
            .collect(),
        tools: r
            .tools
            .into_iter()
            .map(|t| domain::ToolDef {
                name: t.name,
                description: t.description,
                parameters: t.parameters,
            })
            .collect(),
        max_tokens: r.max_tokens,
        temperature: r.temperature,
        system: r.system,
    }
}

fn tool_call_in(c: wit::ToolCall) -> domain::ToolCall {
    domain::ToolCall {
        id: c.id,
        name: c.name,
        arguments: c.arguments,
    }
}

fn tool_call_out(c: domain::ToolCall) -> wit::ToolCall {
    wit::ToolCall {
        id: c.id,
        name: c.name,
        arguments: c.arguments,
    }
}

fn usage_out(u: domain::Usage) -> wit::Usage {
    wit::Usage {
        input_tokens: u.input_tokens,
        output_tokens: u.output_tokens,
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

fn error_out(e: domain::Error) -> wit::Error {
    let api = |a: domain::ApiError| wit::ApiError {
        status: a.status,
        message: a.message,
        code: a.code,
        retry_after_ms: a.retry_after_ms,
        attempts: a.attempts,
    };
    let failure = |f: domain::Failure| wit::Failure {
        message: f.message,
        attempts: f.attempts,
    };
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
