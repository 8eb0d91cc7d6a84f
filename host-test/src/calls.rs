//! The one path of every call, fresh or warm: a [`Caller`] (the host's shared state, a tenant, a
//! config, and where its instance comes from and goes back) takes an instance, makes one guest
//! call, types its errors, puts the instance back or drops it, all inside the call's span and
//! under the tenant's cap on a whole call. [`crate::Host`] makes a fresh caller per call;
//! [`crate::WarmClient`] keeps one.

use crate::instance::Instance;
use crate::metering::{Metering, Outcome};
use crate::places::{Places, Tenants};
use crate::state::TenantState;
use crate::stream::EventStream;
use crate::telemetry::{self, Operation};
use crate::tenant::WholeCall;
use crate::warm::{IdleRegistry, IdleSet, ReturnTo, WarmOptions};
use crate::world::{Provider, ProviderPre};
use crate::{
    CallError, Config, EmbeddingsRequest, EmbeddingsResponse, ModelInfo, ProviderError, Request, Response, Tenant,
};
use std::sync::Arc;
use tracing::Instrument;
use wasmtime::component::ResourceAny;
use wasmtime::{Engine, Store};

/// What every call of a host shares: the compiled component, what the host keeps per tenant
/// name, its places, and its idle warm instances.
pub(crate) struct HostCore {
    engine: Engine,
    pre: ProviderPre,
    tenants: Tenants,
    places: Arc<Places>,
    idle: Arc<IdleRegistry>,
    warm: WarmOptions,
    metering: Arc<Metering>,
    /// The crossing counters every store adds to, when counting is on.
    #[cfg(feature = "crossings")]
    crossings: Option<Arc<crate::crossings::Counters>>,
}

impl HostCore {
    pub(crate) fn new(
        engine: Engine,
        pre: ProviderPre,
        tenants: Tenants,
        places: Places,
        warm: WarmOptions,
        metering: Metering,
    ) -> Self {
        Self {
            engine,
            pre,
            tenants,
            places: Arc::new(places),
            idle: Arc::new(IdleRegistry::default()),
            warm,
            metering: Arc::new(metering),
            #[cfg(feature = "crossings")]
            crossings: None,
        }
    }

    /// The same host for another thread: the engine, the compiled component, the host-wide
    /// places, idle instances, warm options and metering shared; connection pools and the
    /// per-tenant counts of calls its own.
    pub(crate) fn for_a_thread(&self) -> Self {
        Self {
            engine: self.engine.clone(),
            pre: self.pre.clone(),
            tenants: self.tenants.sibling(),
            places: self.places.clone(),
            idle: self.idle.clone(),
            warm: self.warm.clone(),
            metering: self.metering.clone(),
            #[cfg(feature = "crossings")]
            crossings: self.crossings.clone(),
        }
    }

    /// Counts every crossing of every store this host makes from now on.
    #[cfg(feature = "crossings")]
    pub(crate) fn counting_crossings(mut self) -> Self {
        self.crossings = Some(Arc::default());
        self
    }

    /// The crossings counted so far, when counting is on.
    #[cfg(feature = "crossings")]
    pub(crate) fn crossings(&self) -> Option<crate::Crossings> {
        self.crossings.as_ref().map(|counters| counters.read())
    }

    /// A fresh store for `tenant`, with the crossing counter when counting is on.
    pub(crate) fn store(&self, tenant: &Tenant) -> Store<TenantState> {
        #[allow(unused_mut)]
        let mut store = crate::instance::store(&self.engine, tenant, self.tenants.connections(tenant));
        #[cfg(feature = "crossings")]
        if let Some(counters) = &self.crossings {
            counters.install(&mut store);
        }
        store
    }

    /// The names of the component's imports.
    pub(crate) fn component_imports(&self) -> Vec<String> {
        let component = self.pre.instance_pre().component();
        component.component_type().imports(&self.engine).map(|(name, _)| name.to_string()).collect()
    }

    /// How many warm instances are idle, and the linear memory they keep.
    pub(crate) fn idle(&self) -> &IdleRegistry {
        &self.idle
    }

    /// A fresh store and instance for `tenant`, without calling into it: the cost of isolation.
    pub(crate) async fn instantiate(&self, tenant: &Tenant) -> Result<(), CallError> {
        let _place = self.places.take(tenant, self.idle.as_ref()).await?;
        let mut store = self.store(tenant);
        let instantiated = self.pre.instantiate(&mut store).await;
        instantiated.map(drop).map_err(|e| crate::instance::instantiation_failed(&store, e))
    }
}

/// What a call needs: the host, the tenant and its config, and for a warm client the set its
/// instances come from and go back to (`None`: a fresh instance per call).
#[derive(Clone)]
pub(crate) struct Caller {
    core: Arc<HostCore>,
    tenant: Tenant,
    config: Config,
    warm: Option<Arc<IdleSet>>,
}

impl Caller {
    /// A caller whose every call stands up a fresh instance.
    pub(crate) fn fresh(core: &Arc<HostCore>, tenant: &Tenant, config: Config) -> Self {
        Self { core: core.clone(), tenant: tenant.clone(), config, warm: None }
    }

    /// A caller that keeps its instances between calls.
    pub(crate) fn warm(core: &Arc<HostCore>, tenant: &Tenant, config: Config) -> Self {
        let warm = Some(Arc::new(IdleSet::new(core.idle.clone())));
        Self { core: core.clone(), tenant: tenant.clone(), config, warm }
    }

    /// How many of this caller's instances are idle now.
    pub(crate) fn idle_instances(&self) -> usize {
        self.warm.as_ref().map_or(0, |set| set.len())
    }

    /// A warm instance when one is idle, else a fresh one.
    async fn instance(&self) -> Result<Instance, CallError> {
        let core = &self.core;
        if let Some(instance) = self.warm.as_ref().and_then(|set| set.take(&core.warm)) {
            return Ok(instance);
        }
        let place = core.places.take(&self.tenant, core.idle.as_ref()).await?;
        Instance::open(core.store(&self.tenant), &core.pre, &self.tenant, &self.config, place).await
    }

    /// Puts a warm instance back after a call; one the sandbox stopped is dropped.
    fn release(&self, instance: Instance, stopped: bool) {
        if let (Some(set), false) = (&self.warm, stopped) {
            set.put_back(instance, &self.core.warm);
        }
    }

    /// The one path of a call: its admission against the tenant's quota, its instance, one guest
    /// call, its errors typed, its metering, all in its span, within the tenant's cap on a whole
    /// call.
    async fn once<T: telemetry::Answer>(
        &self,
        operation: Operation<'_>,
        call: impl AsyncFnOnce(
            &mut Store<TenantState>,
            &Provider,
            ResourceAny,
        ) -> wasmtime::Result<Result<T, ProviderError>>,
    ) -> Result<T, CallError> {
        let span = telemetry::span(&self.tenant, self.config.profile, &operation);
        let provider = telemetry::provider_name(self.config.profile);
        let whole_call = async {
            let meter = self.core.metering.start(&self.tenant, provider, &operation).await?;
            let result = async {
                let _permit = self.core.tenants.permit(&self.tenant).await;
                let mut instance = self.instance().await?;
                let result = instance.call(call).await;
                self.release(instance, result.is_err());
                result?.map_err(CallError::Provider)
            }
            .await;
            match &result {
                Ok(answer) => meter.finish(answer.outcome().unwrap_or(Outcome::Dropped)).await,
                Err(e) => meter.finish(Outcome::Failed(e)).await,
            }
            result
        };
        // The tenant's cap on a whole call, whatever the config's own deadline: an instance
        // still running then is dropped with the future.
        let cap = WholeCall::starting_now(&self.tenant);
        let result = match tokio::time::timeout(cap.cap, whole_call.instrument(span.clone())).await {
            Ok(result) => result,
            Err(_) => Err(cap.exceeded()),
        };
        telemetry::record(&span, &result);
        result
    }

    pub(crate) async fn name(&self) -> Result<String, CallError> {
        self.once(Operation::Name, async |store, p, client| p.name(store, client).await.map(Ok)).await
    }

    pub(crate) async fn supports_model(&self, model: &str) -> Result<bool, CallError> {
        self.once(Operation::SupportsModel(model), async |store, p, client| {
            p.supports_model(store, client, model).await.map(Ok)
        })
        .await
    }

    pub(crate) async fn generate(&self, request: Request) -> Result<Response, CallError> {
        let operation = Operation::Chat { request: &request, stream: false };
        self.once(operation, async |store, p, client| p.generate(store, client, &request).await).await
    }

    pub(crate) async fn embed(&self, request: EmbeddingsRequest) -> Result<EmbeddingsResponse, CallError> {
        self.once(Operation::Embeddings(&request), async |store, p, client| p.embed(store, client, &request).await)
            .await
    }

    pub(crate) async fn list_models(&self) -> Result<Vec<ModelInfo>, CallError> {
        self.once(Operation::ListModels, async |store, p, client| p.list_models(store, client).await).await
    }

    /// A streamed completion; a warm caller's instance goes back to it when the stream ends. The
    /// tenant's cap on a whole call counts from now to the stream's end.
    pub(crate) async fn stream(&self, request: Request) -> Result<EventStream, CallError> {
        let operation = Operation::Chat { request: &request, stream: true };
        let span = telemetry::span(&self.tenant, self.config.profile, &operation);
        let provider = telemetry::provider_name(self.config.profile);
        let cap = WholeCall::starting_now(&self.tenant);
        let opening = async {
            let meter = self.core.metering.start(&self.tenant, provider, &operation).await?;
            let permit = self.core.tenants.permit(&self.tenant).await;
            let opened = async {
                let mut instance = self.instance().await?;
                let opened = instance.call(async |store, p, client| p.stream(store, client, &request).await).await;
                match opened {
                    Ok(Ok(guest)) => Ok((instance, guest)),
                    Ok(Err(e)) => {
                        self.release(instance, false);
                        Err(CallError::Provider(e))
                    }
                    Err(e) => Err(e),
                }
            }
            .await;
            match opened {
                Ok((instance, guest)) => Ok((instance, guest, permit, meter)),
                Err(e) => {
                    meter.finish(Outcome::Failed(&e)).await;
                    Err(e)
                }
            }
        };
        let result = match tokio::time::timeout(cap.cap, opening.instrument(span.clone())).await {
            Ok(result) => result,
            Err(_) => Err(cap.exceeded()),
        };
        match result {
            Ok((instance, guest, permit, meter)) => {
                let back = self.warm.clone().map(|set| ReturnTo { set, options: self.core.warm.clone() });
                Ok(EventStream::new(instance, guest, span, permit, back, cap, meter))
            }
            Err(e) => {
                telemetry::record_error(&span, &e);
                Err(e)
            }
        }
    }
}
