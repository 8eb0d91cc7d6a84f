//! `litellm-host`: runs the `litellm-provider` component for many tenants in one process, each
//! call in its own sandbox.
//!
//! The engine and the component are compiled once ([`Host::new`]); a call through [`Host`] gets a
//! fresh `Store` and instance from an `InstancePre`, and a [`WarmClient`] ([`Host::warm`]) keeps
//! its tenant's instances between calls; either way with the calling [`Tenant`]'s environment,
//! allowed origins, memory cap and deadlines, and the tenant's own keep-alive connections.
//!
//! With default features off this crate is the library alone: no CLI, no mock server. The mock
//! a test can use is the `litellm-mock` crate.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use litellm_host::{CallError, Config, Host, Request, StreamEvent, Tenant};
//!
//! let host = Host::new()?; // once per process
//! let tenant = Tenant::new("acme")
//!     .allow_origin("http://127.0.0.1:4000") // everything else is denied
//!     .env("LITELLM_API_KEY", "sk-acme"); // this tenant's key, seen by its calls only
//! let config = Config::for_url("http://127.0.0.1:4000");
//!
//! let answer = host.generate(&tenant, config.clone(), Request::user("litellm:gpt-4o", "Hello")).await?;
//! println!("{} ({:?})", answer.content, answer.usage);
//!
//! let mut stream = host.stream(&tenant, config, Request::user("litellm:gpt-4o", "Hello")).await?;
//! while let Some(event) = stream.next().await {
//!     match event {
//!         Ok(StreamEvent::Text(text)) => print!("{text}"),
//!         Ok(_) => {}
//!         Err(CallError::Provider(e)) => eprintln!("{}", e.describe()),
//!         Err(e) => eprintln!("{e}"),
//!     }
//! }
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod address;
mod builder;
mod call_error;
mod calls;
mod config;
mod contract;
#[cfg(feature = "crossings")]
mod crossings;
mod engine;
#[cfg(feature = "serve")]
mod gateway;
mod host;
mod instance;
#[cfg(feature = "serve")]
mod keyvalue;
mod metering;
#[cfg(feature = "metrics")]
mod metrics;
mod operation;
mod origin;
#[cfg(feature = "otlp")]
pub mod otlp;
mod outgoing;
mod places;
mod quota;
mod state;
mod store;
mod stream;
mod telemetry;
mod tenant;
mod tls;
mod transport;
mod warm;
mod warm_client;
mod world;

pub use call_error::{CallError, SandboxError, SandboxReason};
pub use config::{Config, Secret};
pub use contract::{
    ApiError, ContentPart, EmbeddingsRequest, EmbeddingsResponse, Failure, FilePart, ImageUrl, InputAudio, JsonSchema,
    Message, ModelInfo, Profile, ProviderError, ReasoningEffort, Request, Response, ResponseFormat, Role, StopReason,
    StreamEnd, StreamEvent, TokenLimitField, ToolCall, ToolChoice, ToolDef, Usage,
};
#[cfg(feature = "crossings")]
pub use crossings::Crossings;
pub use engine::PoolingOptions;
#[cfg(feature = "serve")]
pub use gateway::GatewayServer;
pub use host::{Host, HostOptions};
#[cfg(feature = "metrics")]
pub use metrics::{GenAiConventions, OPT_IN_VARIABLE};
pub use origin::origin_of;
pub use places::HostLimits;
pub use quota::{Quota, QuotaError, QuotaLimit, BUCKET as QUOTA_BUCKET};
#[cfg(feature = "serve")]
pub use store::RedisStore;
pub use store::{MemoryStore, SharedStore, StoreError};
pub use stream::EventStream;
pub use tenant::{
    Tenant, DEFAULT_CALL_DEADLINE, DEFAULT_MAX_CALL_DURATION, DEFAULT_MAX_CONCURRENT_CALLS, DEFAULT_MEMORY_LIMIT,
};
pub use tls::{CaBundle, TlsRoots};
pub use warm::WarmOptions;
pub use warm_client::WarmClient;
pub use world::World;

// The Rust snippets of the pages about this crate are compiled as doctests, so that a stale
// example fails the build.
#[cfg(doctest)]
#[doc = include_str!("../../docs/embedding.md")]
struct EmbeddingDoc;

/// The provider component this crate loads by default (built by `litellm-artifacts`).
pub const COMPONENT_PATH: &str = litellm_artifacts::PROVIDER;

/// How [`COMPONENT_PATH`] was made: the guest profile's cargo build, and whether `wasm-opt` shrank
/// it afterwards (`LITELLM_WASM_OPT` at build time; see BENCHMARKS.md, "Component size").
pub const COMPONENT_BUILD: &str = litellm_artifacts::PROVIDER_BUILD;

/// The provider's WASI 0.3 component ([`World::P3`]), loaded by default with that world.
pub const COMPONENT_P3_PATH: &str = litellm_artifacts::PROVIDER_P3;

/// How [`COMPONENT_P3_PATH`] was made.
pub const COMPONENT_P3_BUILD: &str = litellm_artifacts::PROVIDER_P3_BUILD;
