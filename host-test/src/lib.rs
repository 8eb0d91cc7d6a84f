//! `litellm-host`: runs the `litellm-provider` component for many tenants in one process.
//!
//! The engine and the component are compiled once ([`Host::new`]); every call gets a fresh
//! `Store` and instance from an `InstancePre`, with the calling [`Tenant`]'s environment, allowed
//! origins, memory cap and CPU deadline.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use litellm_host::{Host, Tenant, Config, Request, Message, Role};
//! let host = Host::new()?;
//! let tenant = Tenant::new("acme").allow_origin("http://127.0.0.1:4000").env("LITELLM_API_KEY", "sk-acme");
//! let config = Config { base_url: Some("http://127.0.0.1:4000".into()), ..Config::default() };
//! let request = Request::user("litellm:gpt-4o", "Hello");
//! let answer = host.generate(&tenant, config, request).await?;
//! println!("{}", answer.content);
//! # Ok(()) }
//! ```

mod config;
mod errors;
mod host;
pub mod mock;
mod outgoing;
mod stream;
mod telemetry;
mod tenant;

pub use config::Config;
pub use errors::CallError;
pub use host::{Host, HostOptions, PoolingOptions};
pub use stream::EventStream;
pub use tenant::{origin_of, Tenant, DEFAULT_CALL_DEADLINE, DEFAULT_MAX_CONCURRENT_CALLS, DEFAULT_MEMORY_LIMIT};

mod bindings {
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

/// The component built by this crate's `build.rs`.
pub const COMPONENT_PATH: &str = env!("LITELLM_PROVIDER_WASM");

impl Message {
    /// A message with text only.
    pub fn text(role: Role, content: impl Into<String>) -> Self {
        Message { role, content: content.into(), parts: Vec::new(), tool_calls: Vec::new(), tool_call_id: None }
    }
}

impl Request {
    /// A request of one user message and nothing else.
    pub fn user(model: impl Into<String>, prompt: impl Into<String>) -> Self {
        Request {
            model: model.into(),
            messages: vec![Message::text(Role::User, prompt)],
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
