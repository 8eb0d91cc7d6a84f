//! The engine, the component compiled once, and one fresh `Store` + instance per call.

use crate::bindings::{LitellmProvider, LitellmProviderPre};
use crate::errors::sandbox;
use crate::stream::EventStream;
use crate::telemetry;
use crate::tenant::{Tenant, TenantState};
use crate::{CallError, Config, EmbeddingsRequest, EmbeddingsResponse, ModelInfo, Request, Response, COMPONENT_PATH};
use anyhow::Context;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::Instrument;
use wasmtime::component::{Component, Linker, ResourceAny};
use wasmtime::{Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};

/// How often the epoch ticks; call deadlines are counted in these ticks.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Per instance of the component: its core instances, memories and tables (with room to spare).
const CORE_INSTANCES_PER_COMPONENT: u32 = 16;
const MEMORIES_PER_COMPONENT: u32 = 2;
const TABLES_PER_COMPONENT: u32 = 4;

/// The pooling allocator's size: instances are taken from pre-reserved slots, which makes a fresh
/// instance several times cheaper to stand up.
#[derive(Debug, Clone)]
pub struct PoolingOptions {
    /// The most instances alive at once (live calls and open streams, all tenants together).
    pub max_instances: u32,
    /// The largest linear memory an instance may grow to, in bytes.
    pub max_memory_bytes: usize,
}

impl Default for PoolingOptions {
    fn default() -> Self {
        Self { max_instances: 1000, max_memory_bytes: 64 << 20 }
    }
}

/// How to set up a [`Host`]. The default loads the component built with this crate, with the
/// on-demand allocator and no compilation cache.
#[derive(Debug, Clone, Default)]
pub struct HostOptions {
    /// The component file; default [`COMPONENT_PATH`].
    pub component_path: Option<PathBuf>,
    /// Use the pooling allocator.
    pub pooling: Option<PoolingOptions>,
    /// A directory for the compiled component (`Component::serialize`), reused while the component
    /// and the wasmtime build stay the same. Only point it at a directory the host alone writes.
    pub cache_dir: Option<PathBuf>,
}

/// The engine and the compiled component, shared by every call and every tenant.
pub struct Host {
    engine: Engine,
    pre: LitellmProviderPre<TenantState>,
    loaded_from_cache: bool,
    /// With pooling, one place per pool slot: a call beyond the pool waits instead of failing.
    slots: Option<Arc<Semaphore>>,
}

impl Host {
    /// Loads the component built with this crate, with the default options.
    pub fn new() -> anyhow::Result<Self> {
        Self::with_options(HostOptions::default())
    }

    /// Compiles (or loads from the cache) the component and prepares it for instantiation.
    pub fn with_options(options: HostOptions) -> anyhow::Result<Self> {
        let mut config = wasmtime::Config::new();
        config.epoch_interruption(true);
        if let Some(pooling) = &options.pooling {
            let n = pooling.max_instances;
            let mut pool = PoolingAllocationConfig::default();
            pool.total_component_instances(n)
                .total_core_instances(n.saturating_mul(CORE_INSTANCES_PER_COMPONENT))
                .total_memories(n.saturating_mul(MEMORIES_PER_COMPONENT))
                .total_tables(n.saturating_mul(TABLES_PER_COMPONENT))
                .total_stacks(n)
                .max_core_instances_per_component(CORE_INSTANCES_PER_COMPONENT)
                .max_memories_per_component(MEMORIES_PER_COMPONENT)
                .max_tables_per_component(TABLES_PER_COMPONENT)
                .max_memory_size(pooling.max_memory_bytes);
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        }
        let engine = Engine::new(&config).map_err(anyhow_of)?;
        let path = options.component_path.unwrap_or_else(|| PathBuf::from(COMPONENT_PATH));
        let (component, loaded_from_cache) = load_component(&engine, &path, options.cache_dir.as_deref())?;
        let mut linker = Linker::<TenantState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(anyhow_of)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(anyhow_of)?;
        let pre = linker.instantiate_pre(&component).map_err(anyhow_of)?;
        let pre = LitellmProviderPre::new(pre).map_err(anyhow_of)?;
        spawn_epoch_ticker(&engine);
        let slots = options.pooling.map(|p| Arc::new(Semaphore::new(p.max_instances as usize)));
        Ok(Self { engine, pre, loaded_from_cache, slots })
    }

    /// Whether the compiled component came from `cache_dir` rather than a compilation.
    pub fn loaded_from_cache(&self) -> bool {
        self.loaded_from_cache
    }

    /// The names of the component's imports (every one a standard `wasi:*` interface).
    pub fn component_imports(&self) -> Vec<String> {
        let component = self.pre.instance_pre().component();
        component.component_type().imports(&self.engine).map(|(name, _)| name.to_string()).collect()
    }

    /// A fresh store and instance for `tenant`, without calling into it: the cost of isolation.
    pub async fn instantiate(&self, tenant: &Tenant) -> Result<(), CallError> {
        let _slot = self.slot().await;
        self.instance(tenant).await.map(drop)
    }

    async fn slot(&self) -> Option<OwnedSemaphorePermit> {
        let slots = self.slots.clone()?;
        // Never closed, so acquiring cannot fail.
        slots.acquire_owned().await.ok()
    }

    async fn instance(&self, tenant: &Tenant) -> Result<(Store<TenantState>, LitellmProvider), CallError> {
        let mut store = Store::new(&self.engine, tenant.state());
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(deadline_ticks(tenant.deadline()));
        store.epoch_deadline_trap();
        let provider = self.pre.instantiate_async(&mut store).await.map_err(sandbox)?;
        Ok((store, provider))
    }

    async fn open(&self, tenant: &Tenant, config: &Config) -> Result<Call, CallError> {
        let permit = tenant.permit().await;
        let slot = self.slot().await;
        let (mut store, provider) = self.instance(tenant).await?;
        let client = provider.devsper_llm_provider().client();
        let client =
            client.call_open(&mut store, &config.to_wit()).await.map_err(sandbox)?.map_err(CallError::Provider)?;
        Ok(Call { store, provider, client, deadline: tenant.deadline(), _permits: (permit, slot) })
    }

    /// The provider's name (`litellm`).
    pub async fn provider_name(&self, tenant: &Tenant, config: Config) -> Result<String, CallError> {
        let mut call = self.open(tenant, &config).await?;
        let client = call.provider.devsper_llm_provider().client();
        client.call_name(&mut call.store, call.client).await.map_err(sandbox)
    }

    /// Whether the provider takes `model` (it starts with `litellm:`).
    pub async fn supports_model(&self, tenant: &Tenant, config: Config, model: &str) -> Result<bool, CallError> {
        let mut call = self.open(tenant, &config).await?;
        let client = call.provider.devsper_llm_provider().client();
        client.call_supports_model(&mut call.store, call.client, model).await.map_err(sandbox)
    }

    /// One chat completion for `tenant`, in a fresh instance.
    pub async fn generate(&self, tenant: &Tenant, config: Config, request: Request) -> Result<Response, CallError> {
        let span = telemetry::chat_span(tenant, &request, false);
        let result = async {
            let mut call = self.open(tenant, &config).await?;
            let client = call.provider.devsper_llm_provider().client();
            let answer = client.call_generate(&mut call.store, call.client, &request).await.map_err(sandbox)?;
            answer.map_err(CallError::Provider)
        }
        .instrument(span.clone())
        .await;
        match &result {
            Ok(answer) => telemetry::record_answer(&span, &answer.model, answer.stop_reason, answer.usage),
            Err(e) => telemetry::record_error(&span, e),
        }
        result
    }

    /// Embeddings of the request's inputs, for `tenant`.
    pub async fn embed(
        &self,
        tenant: &Tenant,
        config: Config,
        request: EmbeddingsRequest,
    ) -> Result<EmbeddingsResponse, CallError> {
        let mut call = self.open(tenant, &config).await?;
        let client = call.provider.devsper_llm_provider().client();
        let answer = client.call_embed(&mut call.store, call.client, &request).await.map_err(sandbox)?;
        answer.map_err(CallError::Provider)
    }

    /// The models the endpoint offers, for `tenant`.
    pub async fn list_models(&self, tenant: &Tenant, config: Config) -> Result<Vec<ModelInfo>, CallError> {
        let mut call = self.open(tenant, &config).await?;
        let client = call.provider.devsper_llm_provider().client();
        let answer = client.call_list_models(&mut call.store, call.client).await.map_err(sandbox)?;
        answer.map_err(CallError::Provider)
    }

    /// One streamed chat completion for `tenant`; its instance lives as long as the stream.
    pub async fn stream(&self, tenant: &Tenant, config: Config, request: Request) -> Result<EventStream, CallError> {
        let span = telemetry::chat_span(tenant, &request, true);
        let result = async {
            let mut call = self.open(tenant, &config).await?;
            let client = call.provider.devsper_llm_provider().client();
            let handle = client.call_stream(&mut call.store, call.client, &request).await.map_err(sandbox)?;
            Ok((call, handle.map_err(CallError::Provider)?))
        }
        .instrument(span.clone())
        .await;
        match result {
            Ok((call, handle)) => Ok(EventStream { call, handle: Some(handle), span }),
            Err(e) => {
                telemetry::record_error(&span, &e);
                Err(e)
            }
        }
    }
}

/// One instance with an open client, holding its tenant's concurrency permit.
pub(crate) struct Call {
    pub(crate) store: Store<TenantState>,
    pub(crate) provider: LitellmProvider,
    pub(crate) client: ResourceAny,
    deadline: Duration,
    // Dropped after the store (fields drop in order), so the pool slot is free again by then.
    _permits: (OwnedSemaphorePermit, Option<OwnedSemaphorePermit>),
}

impl Call {
    pub(crate) fn reset_deadline(&mut self) {
        self.store.set_epoch_deadline(deadline_ticks(self.deadline));
    }
}

fn load_component(engine: &Engine, path: &Path, cache_dir: Option<&Path>) -> anyhow::Result<(Component, bool)> {
    let bytes = std::fs::read(path).with_context(|| format!("reading the component {}", path.display()))?;
    let compile = || Component::new(engine, &bytes).map_err(|e| anyhow::anyhow!("compiling {}: {e:?}", path.display()));
    let Some(dir) = cache_dir else {
        return Ok((compile()?, false));
    };
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let cached = dir.join(format!("litellm-provider-{:016x}.cwasm", hasher.finish()));
    if cached.exists() {
        // SAFETY: the file was written by `Component::serialize` below for this very engine
        // configuration and component (both are in its name), in a directory only the host writes.
        if let Ok(component) = unsafe { Component::deserialize_file(engine, &cached) } {
            return Ok((component, true));
        }
    }
    let component = compile()?;
    let serialized = component.serialize().map_err(anyhow_of)?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let partial = cached.with_extension(format!("partial-{}", std::process::id()));
    std::fs::write(&partial, serialized).with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, &cached).with_context(|| format!("writing {}", cached.display()))?;
    Ok((component, false))
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
