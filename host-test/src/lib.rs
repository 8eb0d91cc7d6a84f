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

pub mod mock;
mod tenant;

pub use tenant::{origin_of, Tenant, DEFAULT_CALL_DEADLINE, DEFAULT_MEMORY_LIMIT};

use std::fmt;
use std::path::Path;
use std::time::Duration;
use tenant::TenantState;
use wasmtime::component::{Component, Linker, ResourceAny};
use wasmtime::{Engine, Store};

mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "litellm-provider",
        exports: { default: async },
        additional_derives: [PartialEq],
    });
}

pub use bindings::exports::devsper::llm::types::{
    ApiError, Config, Error as ProviderError, Failure, Message, Request, Response, Role,
    StopReason, StreamEnd, StreamEvent, ToolCall, ToolDef, Usage,
};
use bindings::{LitellmProvider, LitellmProviderPre};

/// The component built by this crate's `build.rs`.
pub const COMPONENT_PATH: &str = env!("LITELLM_PROVIDER_WASM");

/// How often the epoch ticks; call deadlines are counted in these ticks.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Why a call failed.
#[derive(Debug)]
pub enum CallError {
    /// The provider's own typed error (the endpoint, the network or the request).
    Provider(ProviderError),
    /// The sandbox stopped the call: memory cap, CPU deadline, a trap, or a host failure.
    Sandbox(String),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Provider(e) => e.write_line(f),
            CallError::Sandbox(why) => write!(f, "sandbox: {why}"),
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
}

impl ProviderError {
    /// One line for a person: the case, the status, the server's message, code, wait and attempts.
    /// (bindgen's own `Display` prints the `Debug` form.)
    pub fn describe(&self) -> String {
        struct Line<'a>(&'a ProviderError);
        impl fmt::Display for Line<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.write_line(f)
            }
        }
        Line(self).to_string()
    }

    fn write_line(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind();
        match self {
            ProviderError::InvalidRequest(m) | ProviderError::MalformedResponse(m) => write!(f, "{kind}: {m}"),
            ProviderError::Timeout(x) | ProviderError::Transport(x) => {
                write!(f, "{kind}: {} (attempts: {})", x.message, x.attempts)
            }
            ProviderError::Unauthorized(a)
            | ProviderError::RateLimited(a)
            | ProviderError::ContextLengthExceeded(a)
            | ProviderError::ContentFiltered(a)
            | ProviderError::QuotaExceeded(a)
            | ProviderError::BadRequest(a)
            | ProviderError::Upstream(a) => {
                write!(f, "{kind} ({}): {}", a.status, a.message)?;
                if let Some(code) = &a.code {
                    write!(f, " [code: {code}]")?;
                }
                if let Some(ms) = a.retry_after_ms {
                    write!(f, " [retry after {ms} ms]")?;
                }
                write!(f, " (attempts: {})", a.attempts)
            }
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

impl std::error::Error for CallError {}

fn sandbox(error: wasmtime::Error) -> CallError {
    CallError::Sandbox(format!("{error:?}"))
}

// bindgen can add a derive to every type or none; only the config has a sensible default.
#[allow(clippy::derivable_impls)]
impl Default for Config {
    fn default() -> Self {
        Config {
            base_url: None,
            api_key: None,
            connect_timeout_ms: None,
            first_byte_timeout_ms: None,
            between_bytes_timeout_ms: None,
            total_timeout_ms: None,
            max_retries: None,
            max_response_bytes: None,
        }
    }
}

impl Message {
    /// A message with text only.
    pub fn text(role: Role, content: impl Into<String>) -> Self {
        Message {
            role,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
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
        }
    }
}

/// The engine and the compiled component, shared by every call.
pub struct Host {
    engine: Engine,
    pre: LitellmProviderPre<TenantState>,
}

impl Host {
    /// Loads the component built with this crate.
    pub fn new() -> anyhow::Result<Self> {
        Self::from_file(Path::new(COMPONENT_PATH))
    }

    /// Loads a component from a file and prepares it for instantiation.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let mut config = wasmtime::Config::new();
        config.epoch_interruption(true);
        let engine = Engine::new(&config).map_err(anyhow_of)?;
        let component = Component::from_file(&engine, path)
            .map_err(|e| anyhow::anyhow!("loading {}: {e:?}", path.display()))?;
        let mut linker = Linker::<TenantState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(anyhow_of)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(anyhow_of)?;
        let pre = LitellmProviderPre::new(linker.instantiate_pre(&component).map_err(anyhow_of)?)
            .map_err(anyhow_of)?;
        spawn_epoch_ticker(&engine);
        Ok(Self { engine, pre })
    }

    /// The names of the component's imports (every one is a standard `wasi:*` interface).
    pub fn component_imports(&self) -> Vec<String> {
        let component = self.pre.instance_pre().component();
        component
            .component_type()
            .imports(&self.engine)
            .map(|(name, _)| name.to_string())
            .collect()
    }

    async fn instance(
        &self,
        tenant: &Tenant,
    ) -> Result<(Store<TenantState>, LitellmProvider), CallError> {
        let mut store = Store::new(&self.engine, tenant.state());
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(deadline_ticks(tenant.deadline()));
        store.epoch_deadline_trap();
        let provider = self
            .pre
            .instantiate_async(&mut store)
            .await
            .map_err(sandbox)?;
        Ok((store, provider))
    }

    async fn open(&self, tenant: &Tenant, config: &Config) -> Result<Call, CallError> {
        let (mut store, provider) = self.instance(tenant).await?;
        let client = provider
            .devsper_llm_provider()
            .client()
            .call_open(&mut store, config)
            .await
            .map_err(sandbox)?
            .map_err(CallError::Provider)?;
        Ok(Call {
            store,
            provider,
            client,
            deadline: tenant.deadline(),
        })
    }

    /// The provider's name (`litellm`).
    pub async fn provider_name(
        &self,
        tenant: &Tenant,
        config: Config,
    ) -> Result<String, CallError> {
        let mut call = self.open(tenant, &config).await?;
        let client = call.provider.devsper_llm_provider().client();
        client
            .call_name(&mut call.store, call.client)
            .await
            .map_err(sandbox)
    }

    /// Whether the provider takes `model` (it starts with `litellm:`).
    pub async fn supports_model(
        &self,
        tenant: &Tenant,
        config: Config,
        model: &str,
    ) -> Result<bool, CallError> {
        let mut call = self.open(tenant, &config).await?;
        let client = call.provider.devsper_llm_provider().client();
        client
            .call_supports_model(&mut call.store, call.client, model)
            .await
            .map_err(sandbox)
    }

    /// One chat completion for `tenant`, in a fresh instance.
    pub async fn generate(
        &self,
        tenant: &Tenant,
        config: Config,
        request: Request,
    ) -> Result<Response, CallError> {
        let mut call = self.open(tenant, &config).await?;
        let client = call.provider.devsper_llm_provider().client();
        client
            .call_generate(&mut call.store, call.client, &request)
            .await
            .map_err(sandbox)?
            .map_err(CallError::Provider)
    }

    /// One streamed chat completion for `tenant`; the instance lives as long as the stream.
    pub async fn stream(
        &self,
        tenant: &Tenant,
        config: Config,
        request: Request,
    ) -> Result<EventStream, CallError> {
        let mut call = self.open(tenant, &config).await?;
        let client = call.provider.devsper_llm_provider().client();
        let handle = client
            .call_stream(&mut call.store, call.client, &request)
            .await
            .map_err(sandbox)?
            .map_err(CallError::Provider)?;
        Ok(EventStream {
            call,
            handle: Some(handle),
        })
    }
}

fn anyhow_of(error: wasmtime::Error) -> anyhow::Error {
    anyhow::anyhow!("{error:?}")
}

fn deadline_ticks(deadline: Duration) -> u64 {
    (deadline.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64
}

/// Advances the engine's epoch until the engine is dropped.
fn spawn_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("litellm-host-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawning the epoch thread");
}

/// One instance with an open client.
struct Call {
    store: Store<TenantState>,
    provider: LitellmProvider,
    client: ResourceAny,
    deadline: Duration,
}

/// A streamed completion; each `next` runs the guest until it yields the next event. Dropping it
/// drops the instance and closes the connection.
pub struct EventStream {
    call: Call,
    handle: Option<ResourceAny>,
}

impl EventStream {
    /// The next event; `None` after the `finish` event or an error.
    pub async fn next(&mut self) -> Option<Result<StreamEvent, CallError>> {
        let handle = self.handle?;
        // The CPU deadline applies to each step, so a long stream is not cut for being long.
        self.call
            .store
            .set_epoch_deadline(deadline_ticks(self.call.deadline));
        let stream = self
            .call
            .provider
            .devsper_llm_provider()
            .completion_stream();
        let result = match stream.call_next(&mut self.call.store, handle).await {
            Err(trap) => Err(sandbox(trap)),
            Ok(Err(e)) => Err(CallError::Provider(e)),
            Ok(Ok(Some(event))) => return Some(Ok(event)),
            Ok(Ok(None)) => {
                self.handle = None;
                return None;
            }
        };
        self.handle = None;
        Some(result)
    }

    /// Every remaining event, as a `futures::Stream`.
    pub fn into_stream(self) -> impl futures::Stream<Item = Result<StreamEvent, CallError>> {
        futures::stream::unfold(
            self,
            |mut s| async move { s.next().await.map(|item| (item, s)) },
        )
    }
}
