//! `litellm-devsper`: a drop-in [`devsper_core::LlmProvider`] for LiteLLM and other
//! OpenAI-compatible endpoints that runs the `litellm-provider` WebAssembly component in
//! `litellm-host`'s sandbox instead of calling the endpoint from native code.
//!
//! It replaces `devsper_providers::LiteLlmProvider` with one constructor:
//!
//! ```no_run
//! use devsper_core::{LlmMessage, LlmProvider, LlmRequest, LlmRole};
//! use litellm_devsper::WasmLiteLlmProvider;
//!
//! # async fn demo() -> anyhow::Result<()> {
//! // Before: devsper_providers::LiteLlmProvider::new("http://localhost:4000", "sk-key")
//! let provider = WasmLiteLlmProvider::new("http://localhost:4000", "sk-key");
//!
//! let answer = provider
//!     .generate(LlmRequest {
//!         model: "litellm:gpt-4o".into(),
//!         messages: vec![LlmMessage { role: LlmRole::User, content: "Hello".into() }],
//!         tools: vec![],
//!         max_tokens: Some(64),
//!         temperature: None,
//!         system: Some("Be brief.".into()),
//!     })
//!     .await;
//! match answer {
//!     Ok(answer) => println!("{} ({} + {} tokens)", answer.content, answer.input_tokens, answer.output_tokens),
//!     // The contract's typed error is the error's root: 429 and 401 can be told apart.
//!     Err(e) => match e.downcast_ref::<litellm_host::CallError>() {
//!         Some(call) if call.kind() == "rate-limited" => eprintln!("slow down: {call}"),
//!         _ => eprintln!("{e:#}"),
//!     },
//! }
//! # Ok(()) }
//! ```
//!
//! Every call runs in the provider's warm instance of the component (kept between its calls, as
//! the seed keeps its HTTP client), under its tenant's policy: the tenant made by
//! [`WasmLiteLlmProvider::new`] may reach the base URL's origin and nothing else. A platform that
//! runs many tenants builds its own [`litellm_host::Host`] once and one provider per tenant with
//! [`WasmLiteLlmProvider::with_host`].
//!
//! What the seed dropped goes through: the system prompt, the tools, the model's tool calls, the
//! stop-sequence stop reason. A response without `usage` counts 0 and 0 tokens instead of failing.
//! An error is an [`anyhow::Error`] whose root is [`litellm_host::CallError`], with the server's
//! message capped at 1000 characters and the key scrubbed from it.
#![deny(missing_docs)]

// The Rust snippets of docs/devsper.md are compiled as doctests, so that a stale example fails.
#[cfg(doctest)]
#[doc = include_str!("../../docs/devsper.md")]
struct DevsperDoc;

use async_trait::async_trait;
use devsper_core::{LlmProvider, LlmRequest, LlmResponse};
use litellm_host::{Config, Host, Tenant, WarmClient};
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// The provider's name, as devsper's router and logs show it (the seed's).
pub const NAME: &str = "litellm";
/// The model prefix the provider takes (the seed's rule).
pub const MODEL_PREFIX: &str = "litellm:";
/// The name of the tenant [`WasmLiteLlmProvider::new`] makes, as it appears in the host's spans.
pub const TENANT_NAME: &str = "devsper";

/// A devsper [`LlmProvider`] backed by the `litellm-provider` component in a wasmtime sandbox.
///
/// Cheap to share behind an `Arc`, as devsper's router holds it. Each `generate` is one call of
/// the component in the provider's warm instance ([`Host::warm`]: kept between its calls, as the
/// seed keeps its HTTP client; a second instance for a concurrent call), with the contract's
/// timeouts and retries (2 retries on 408, 409, 429, 5xx and connection failures, honouring
/// `Retry-After`).
pub struct WasmLiteLlmProvider {
    calls: Result<WarmClient, HostUnavailable>,
    tenant: Tenant,
    config: Config,
}

impl WasmLiteLlmProvider {
    /// The seed's constructor: `base_url` is the endpoint (e.g. `http://localhost:4000`; a
    /// trailing `/` or `/v1` is ignored), `api_key` may be empty, and then no key is sent.
    ///
    /// The provider runs on the process-wide host ([`shared_host`]), made by the first
    /// provider built this way: that first call compiles the component, which takes a moment (on a
    /// multi-threaded tokio runtime it runs in `block_in_place`). The provider's tenant may reach
    /// the origin of `base_url` and no other.
    ///
    /// The signature cannot fail, so a host that cannot be made is kept: every `generate` of this
    /// provider returns that [`HostUnavailable`] error, and the next provider made tries again.
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Self {
        let base_url = base_url.into();
        let api_key = api_key.into();
        let tenant = Tenant::new(TENANT_NAME).allow_origin(&base_url);
        let config = Config::for_url(base_url);
        let config = if api_key.is_empty() { config } else { config.api_key(api_key) };
        let calls = shared_host().map(|host| host.warm(&tenant, config.clone()));
        Self { calls, tenant, config }
    }

    /// A provider on a host of the caller's, for a platform running many tenants: each tenant's
    /// policy (allowed origins, environment, memory, deadline, concurrency) and configuration
    /// (profile, base URL, key, timeouts, retries) are the caller's.
    pub fn with_host(host: Arc<Host>, tenant: Tenant, config: Config) -> Self {
        Self { calls: Ok(host.warm(&tenant, config.clone())), tenant, config }
    }

    /// The tenant the provider's calls run for.
    pub fn tenant(&self) -> &Tenant {
        &self.tenant
    }

    /// The configuration every call passes to the component.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

impl fmt::Debug for WasmLiteLlmProvider {
    /// The tenant and the configuration, whose `Debug` hide the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasmLiteLlmProvider")
            .field("host", &self.calls.as_ref().map(|_| "Host").map_err(ToString::to_string))
            .field("tenant", &self.tenant)
            .field("config", &self.config)
            .finish()
    }
}

#[async_trait]
impl LlmProvider for WasmLiteLlmProvider {
    async fn generate(&self, req: LlmRequest) -> anyhow::Result<LlmResponse> {
        let calls = self.calls.as_ref().map_err(|e| anyhow::Error::new(e.clone()))?;
        let request = to_contract(req);
        tracing::debug!(
            model = %request.model,
            provider = NAME,
            tenant = self.tenant.name(),
            "LiteLLM request through the sandboxed component"
        );
        let response = calls.generate(request).await?;
        Ok(from_contract(response))
    }

    fn name(&self) -> &str {
        NAME
    }

    fn supports_model(&self, model: &str) -> bool {
        model.starts_with(MODEL_PREFIX)
    }
}

/// The host could not be made (the component missing or not compiling): returned by every
/// `generate` of a provider made by [`WasmLiteLlmProvider::new`] then. Its source is the host's
/// own error.
#[derive(Clone)]
pub struct HostUnavailable(Arc<anyhow::Error>);

impl fmt::Display for HostUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the litellm-host sandbox could not be started: {:#}", self.0)
    }
}

impl fmt::Debug for HostUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("HostUnavailable").field(&self.0).finish()
    }
}

impl std::error::Error for HostUnavailable {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let inner: &(dyn std::error::Error + Send + Sync + 'static) = &**self.0;
        Some(inner)
    }
}

static SHARED_HOST: OnceLock<Arc<Host>> = OnceLock::new();
/// Held while the shared host is being made, so that it is made once.
static MAKING: Mutex<()> = Mutex::new(());

/// The process-wide host of the providers made by [`WasmLiteLlmProvider::new`]: made (the
/// component compiled) on first use with [`Host::new`]. After a failure the next use tries again.
/// A platform may pass it to [`WasmLiteLlmProvider::with_host`] too.
pub fn shared_host() -> Result<Arc<Host>, HostUnavailable> {
    if let Some(host) = SHARED_HOST.get() {
        return Ok(host.clone());
    }
    let _making = MAKING.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(host) = SHARED_HOST.get() {
        return Ok(host.clone());
    }
    let host = Arc::new(blocking(Host::new).map_err(|e| HostUnavailable(Arc::new(e)))?);
    Ok(SHARED_HOST.get_or_init(|| host).clone())
}

/// Runs `f`, telling a multi-threaded tokio runtime that this thread blocks meanwhile.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

mod mapping;
pub use mapping::{from_contract, stop_reason, to_contract};

#[cfg(test)]
mod tests;
