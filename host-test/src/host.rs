//! The host: the engine and the component compiled once; each call in a fresh instance, or in a
//! tenant's warm instance ([`Host::warm`]).

use crate::calls::{Caller, HostCore};
use crate::engine::{self, anyhow_of, PoolingOptions};
use crate::metering::Metering;
use crate::places::{HostLimits, Places, Tenants};
use crate::state::TenantState;
use crate::stream::EventStream;
use crate::tls::TlsRoots;
use crate::warm::WarmOptions;
use crate::world::{ProviderPre, World};
use crate::{
    CallError, Config, EmbeddingsRequest, EmbeddingsResponse, ModelInfo, Request, Response, Tenant, COMPONENT_P3_PATH,
    COMPONENT_PATH,
};
use std::path::PathBuf;
use std::sync::Arc;
use wasmtime::component::Linker;

/// How to set up a [`Host`]. The default loads the component built with this crate, with the
/// on-demand allocator and no compilation cache.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct HostOptions {
    /// The world the component is built for; default [`World::P2`].
    pub world: World,
    /// The component file; default [`COMPONENT_PATH`], or [`COMPONENT_P3_PATH`] for [`World::P3`].
    pub component_path: Option<PathBuf>,
    /// Use the pooling allocator.
    pub pooling: Option<PoolingOptions>,
    /// The certificate authorities every tenant's HTTPS connections trust (a tenant may add
    /// its own). Default: the webpki roots.
    pub tls: TlsRoots,
    /// A directory for the compiled component (`Component::serialize`), reused while the component
    /// and the wasmtime build stay the same. Only point it at a directory the host alone writes.
    pub cache_dir: Option<PathBuf>,
    /// How warm clients keep their instances.
    pub warm: WarmOptions,
    /// Caps across every tenant: instances alive, and the linear memory they reserve.
    pub limits: HostLimits,
    /// Whether stores carry wasmtime's support for the component model's concurrency (async)
    /// features (wasmtime's default). The WASI 0.2 component uses none of them; without it every
    /// call between the guest and the host skips that bookkeeping. Default off (BENCHMARKS.md,
    /// "Where the cost goes today"); [`World::P3`] turns it on, which that world needs.
    pub concurrency_support: bool,
    /// Where the tenants' quotas ([`crate::Tenant::quota`]) are counted: a store shared by hosts
    /// makes a quota hold across them. Default: a [`crate::MemoryStore`] of this host's own.
    pub quota_store: Option<Arc<dyn crate::SharedStore>>,
    /// Records OpenTelemetry GenAI metrics of every chat and embeddings call on this meter
    /// (docs/embedding.md, "Quotas and metrics"). Default: none.
    #[cfg(feature = "metrics")]
    pub meter: Option<opentelemetry::metrics::Meter>,
    /// Which metric names [`HostOptions::meter`] gets. Default: from
    /// `OTEL_SEMCONV_STABILITY_OPT_IN` when the host is made ([`crate::GenAiConventions::from_env`]).
    #[cfg(feature = "metrics")]
    pub conventions: Option<crate::GenAiConventions>,
    /// Count every call between the guests and the host ([`Host::crossings`]), for measurement.
    /// Each crossing then runs a hook (two atomic additions). Default off.
    #[cfg(feature = "crossings")]
    pub count_crossings: bool,
}

/// The engine and the compiled component, shared by every call and every tenant. Cheap to clone.
#[derive(Clone)]
pub struct Host {
    core: Arc<HostCore>,
    loaded_from_cache: bool,
}

impl Host {
    /// Loads the component built with this crate, with the default options.
    pub fn new() -> anyhow::Result<Self> {
        Self::with_options(HostOptions::default())
    }

    /// Compiles (or loads from the cache) the component and prepares it for instantiation.
    pub fn with_options(options: HostOptions) -> anyhow::Result<Self> {
        let p3 = options.world == World::P3;
        let engine = engine::engine(options.pooling.as_ref(), options.concurrency_support || p3, p3)?;
        let default_path = if p3 { COMPONENT_P3_PATH } else { COMPONENT_PATH };
        let path = options.component_path.unwrap_or_else(|| PathBuf::from(default_path));
        let (component, loaded_from_cache) = engine::load_component(&engine, &path, options.cache_dir.as_deref())?;
        let mut linker = Linker::<TenantState>::new(&engine);
        // The 0.3 component imports WASI 0.2 too, where Rust's standard library reaches WASI.
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(anyhow_of)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(anyhow_of)?;
        if p3 {
            wasmtime_wasi::p3::add_to_linker(&mut linker).map_err(anyhow_of)?;
            wasmtime_wasi_http::p3::add_to_linker(&mut linker).map_err(anyhow_of)?;
        }
        let pre = linker.instantiate_pre(&component).map_err(anyhow_of)?;
        let pre = ProviderPre::new(pre, options.world).map_err(anyhow_of)?;
        engine::spawn_epoch_ticker(&engine);
        let tenants = Tenants::new(options.tls.store()?);
        let places = Places::new(options.pooling.map(|p| p.max_instances as usize), &options.limits);
        #[allow(unused_mut)]
        let store = options.quota_store.unwrap_or_else(|| Arc::new(crate::MemoryStore::default()));
        #[allow(unused_mut)]
        let mut metering = Metering::new(store);
        #[cfg(feature = "metrics")]
        if let Some(meter) = &options.meter {
            let conventions = options.conventions.unwrap_or_else(crate::GenAiConventions::from_env);
            metering = metering.with_metrics(meter, conventions);
        }
        #[allow(unused_mut)]
        let mut core = HostCore::new(engine, pre, tenants, places, options.warm, metering);
        #[cfg(feature = "crossings")]
        if options.count_crossings {
            core = core.counting_crossings();
        }
        Ok(Self { core: Arc::new(core), loaded_from_cache })
    }

    /// The calls between the guests and the host so far, across every tenant, when
    /// [`HostOptions::count_crossings`] is on.
    #[cfg(feature = "crossings")]
    pub fn crossings(&self) -> Option<crate::Crossings> {
        self.core.crossings()
    }

    /// The host for one thread of a thread-per-core server: the same engine and compiled
    /// component, the same host-wide caps ([`HostLimits`]), idle instances, quota store and
    /// metrics, but connection pools and per-tenant counts of its own. Each worker thread runs its
    /// own current-thread runtime and calls through its own `for_this_thread()` host (and its own
    /// warm clients), so that a call, its instance and its connections stay on one thread and are
    /// never handed between cores (docs/embedding.md, "A thread per core"). A tenant's
    /// [`Tenant::max_concurrent_calls`] then holds per thread; its [`crate::Quota`] still holds
    /// across them (the quota store is shared).
    pub fn for_this_thread(&self) -> Host {
        Host { core: Arc::new(self.core.for_a_thread()), loaded_from_cache: self.loaded_from_cache }
    }

    /// Whether the compiled component came from `cache_dir` rather than a compilation.
    pub fn loaded_from_cache(&self) -> bool {
        self.loaded_from_cache
    }

    /// The names of the component's imports (every one a standard `wasi:*` interface).
    pub fn component_imports(&self) -> Vec<String> {
        self.core.component_imports()
    }

    /// A fresh store and instance for `tenant`, without calling into it: the cost of isolation.
    pub async fn instantiate(&self, tenant: &Tenant) -> Result<(), CallError> {
        self.core.instantiate(tenant).await
    }

    /// A warm client for `tenant` and `config`: its calls reuse the tenant's instances (see
    /// [`WarmOptions`]) instead of standing up a fresh one each time.
    pub fn warm(&self, tenant: &Tenant, config: Config) -> crate::WarmClient {
        crate::WarmClient::new(Caller::warm(&self.core, tenant, config))
    }

    /// How many warm instances are idle across the host.
    pub fn idle_instances(&self) -> usize {
        self.core.idle().idle()
    }

    /// The linear memory the idle warm instances keep across the host, in bytes.
    pub fn idle_memory_bytes(&self) -> usize {
        self.core.idle().idle_bytes()
    }

    /// The provider's name (`litellm`).
    pub async fn provider_name(&self, tenant: &Tenant, config: Config) -> Result<String, CallError> {
        Caller::fresh(&self.core, tenant, config).name().await
    }

    /// Whether the provider takes `model` (it starts with `litellm:`).
    pub async fn supports_model(&self, tenant: &Tenant, config: Config, model: &str) -> Result<bool, CallError> {
        Caller::fresh(&self.core, tenant, config).supports_model(model).await
    }

    /// One chat completion for `tenant`, in a fresh instance.
    pub async fn generate(&self, tenant: &Tenant, config: Config, request: Request) -> Result<Response, CallError> {
        Caller::fresh(&self.core, tenant, config).generate(request).await
    }

    /// Embeddings of the request's inputs, for `tenant`.
    pub async fn embed(
        &self,
        tenant: &Tenant,
        config: Config,
        request: EmbeddingsRequest,
    ) -> Result<EmbeddingsResponse, CallError> {
        Caller::fresh(&self.core, tenant, config).embed(request).await
    }

    /// The models the endpoint offers, for `tenant`.
    pub async fn list_models(&self, tenant: &Tenant, config: Config) -> Result<Vec<ModelInfo>, CallError> {
        Caller::fresh(&self.core, tenant, config).list_models().await
    }

    /// One streamed chat completion for `tenant`; its instance lives as long as the stream.
    pub async fn stream(&self, tenant: &Tenant, config: Config, request: Request) -> Result<EventStream, CallError> {
        Caller::fresh(&self.core, tenant, config).stream(request).await
    }
}
