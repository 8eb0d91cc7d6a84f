//! The host: the engine and the component compiled once, and each call in a fresh instance.

use crate::contract::bindings::LitellmProviderPre;
use crate::engine::{self, anyhow_of, PoolingOptions};
use crate::instance::{Instance, Permits};
use crate::state::TenantState;
use crate::stream::EventStream;
use crate::telemetry::{self, Operation};
use crate::tls::TlsRoots;
use crate::{
    CallError, Config, EmbeddingsRequest, EmbeddingsResponse, ModelInfo, ProviderError, Request, Response, Tenant,
    COMPONENT_PATH,
};
use rustls::RootCertStore;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::Instrument;
use wasmtime::component::{Linker, ResourceAny};
use wasmtime::{Engine, Store};

/// How to set up a [`Host`]. The default loads the component built with this crate, with the
/// on-demand allocator and no compilation cache.
#[derive(Debug, Clone, Default)]
pub struct HostOptions {
    /// The component file; default [`COMPONENT_PATH`].
    pub component_path: Option<PathBuf>,
    /// Use the pooling allocator.
    pub pooling: Option<PoolingOptions>,
    /// The certificate authorities every tenant's HTTPS connections trust (a tenant may add
    /// its own). Default: the webpki roots.
    pub tls: TlsRoots,
    /// A directory for the compiled component (`Component::serialize`), reused while the component
    /// and the wasmtime build stay the same. Only point it at a directory the host alone writes.
    pub cache_dir: Option<PathBuf>,
}

/// The engine and the compiled component, shared by every call and every tenant.
pub struct Host {
    engine: Engine,
    pre: LitellmProviderPre<TenantState>,
    loaded_from_cache: bool,
    roots: Arc<RootCertStore>,
    /// With pooling, one place per pool slot: a call beyond the pool waits instead of failing.
    slots: Option<Arc<Semaphore>>,
}

type ProviderExports = crate::contract::bindings::exports::devsper::llm::provider::Guest;

impl Host {
    /// Loads the component built with this crate, with the default options.
    pub fn new() -> anyhow::Result<Self> {
        Self::with_options(HostOptions::default())
    }

    /// Compiles (or loads from the cache) the component and prepares it for instantiation.
    pub fn with_options(options: HostOptions) -> anyhow::Result<Self> {
        let engine = engine::engine(options.pooling.as_ref())?;
        let path = options.component_path.unwrap_or_else(|| PathBuf::from(COMPONENT_PATH));
        let (component, loaded_from_cache) = engine::load_component(&engine, &path, options.cache_dir.as_deref())?;
        let mut linker = Linker::<TenantState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(anyhow_of)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(anyhow_of)?;
        let pre = linker.instantiate_pre(&component).map_err(anyhow_of)?;
        let pre = LitellmProviderPre::new(pre).map_err(anyhow_of)?;
        engine::spawn_epoch_ticker(&engine);
        let roots = Arc::new(options.tls.store()?);
        let slots = options.pooling.map(|p| Arc::new(Semaphore::new(p.max_instances as usize)));
        Ok(Self { engine, pre, loaded_from_cache, roots, slots })
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
        let mut store = crate::instance::store(&self.engine, tenant, &self.roots);
        let instantiated = self.pre.instantiate_async(&mut store).await;
        instantiated.map(drop).map_err(|e| crate::instance::instantiation_failed(&store, e))
    }

    fn parts(&self) -> (&Engine, &LitellmProviderPre<TenantState>, &RootCertStore) {
        (&self.engine, &self.pre, &self.roots)
    }

    async fn slot(&self) -> Option<OwnedSemaphorePermit> {
        let slots = self.slots.clone()?;
        // Never closed, so acquiring cannot fail.
        slots.acquire_owned().await.ok()
    }

    async fn permits(&self, tenant: &Tenant) -> Permits {
        (tenant.permit().await, self.slot().await)
    }

    /// The one path of a call: a fresh instance with an open client, one guest call, its errors
    /// typed, all inside the call's span.
    async fn once<T>(
        &self,
        operation: Operation<'_>,
        tenant: &Tenant,
        config: &Config,
        call: impl AsyncFnOnce(
            &mut Store<TenantState>,
            &ProviderExports,
            ResourceAny,
        ) -> wasmtime::Result<Result<T, ProviderError>>,
    ) -> Result<T, CallError>
    where
        T: telemetry::Answer,
    {
        let span = telemetry::span(tenant, operation);
        let result = async {
            let mut instance = Instance::open(self.parts(), tenant, config, self.permits(tenant).await).await?;
            instance.call(call).await?.map_err(CallError::Provider)
        }
        .instrument(span.clone())
        .await;
        telemetry::record(&span, &result);
        result
    }

    /// The provider's name (`litellm`).
    pub async fn provider_name(&self, tenant: &Tenant, config: Config) -> Result<String, CallError> {
        self.once(Operation::Name, tenant, &config, async |store, p, client| {
            p.client().call_name(store, client).await.map(Ok)
        })
        .await
    }

    /// Whether the provider takes `model` (it starts with `litellm:`).
    pub async fn supports_model(&self, tenant: &Tenant, config: Config, model: &str) -> Result<bool, CallError> {
        self.once(Operation::SupportsModel(model), tenant, &config, async |store, p, client| {
            p.client().call_supports_model(store, client, model).await.map(Ok)
        })
        .await
    }

    /// One chat completion for `tenant`, in a fresh instance.
    pub async fn generate(&self, tenant: &Tenant, config: Config, request: Request) -> Result<Response, CallError> {
        self.once(Operation::Chat { request: &request, stream: false }, tenant, &config, async |store, p, client| {
            p.client().call_generate(store, client, &request).await
        })
        .await
    }

    /// Embeddings of the request's inputs, for `tenant`.
    pub async fn embed(
        &self,
        tenant: &Tenant,
        config: Config,
        request: EmbeddingsRequest,
    ) -> Result<EmbeddingsResponse, CallError> {
        self.once(Operation::Embeddings(&request), tenant, &config, async |store, p, client| {
            p.client().call_embed(store, client, &request).await
        })
        .await
    }

    /// The models the endpoint offers, for `tenant`.
    pub async fn list_models(&self, tenant: &Tenant, config: Config) -> Result<Vec<ModelInfo>, CallError> {
        self.once(Operation::ListModels, tenant, &config, async |store, p, client| {
            p.client().call_list_models(store, client).await
        })
        .await
    }

    /// One streamed chat completion for `tenant`; its instance lives as long as the stream.
    pub async fn stream(&self, tenant: &Tenant, config: Config, request: Request) -> Result<EventStream, CallError> {
        let span = telemetry::span(tenant, Operation::Chat { request: &request, stream: true });
        let result = async {
            let mut instance = Instance::open(self.parts(), tenant, &config, self.permits(tenant).await).await?;
            let handle = instance
                .call(async |store, p, client| p.client().call_stream(store, client, &request).await)
                .await?
                .map_err(CallError::Provider)?;
            Ok::<_, CallError>((instance, handle))
        }
        .instrument(span.clone())
        .await;
        match result {
            Ok((instance, handle)) => Ok(EventStream::new(instance, handle, span)),
            Err(e) => {
                telemetry::record_error(&span, &e);
                Err(e)
            }
        }
    }
}
