//! The one path of every call, fresh or warm: an instance (taken from a warm client or stood up),
//! one guest call, its errors typed, the instance put back or dropped, all inside the call's span.

use crate::contract::bindings::exports::devsper::llm::provider::Guest as ProviderExports;
use crate::contract::bindings::LitellmProviderPre;
use crate::instance::Instance;
use crate::places::{Places, Tenants};
use crate::state::TenantState;
use crate::stream::EventStream;
use crate::telemetry::{self, Operation};
use crate::warm::{IdleRegistry, IdleSet, ReturnTo, WarmOptions};
use crate::{
    CallError, Config, EmbeddingsRequest, EmbeddingsResponse, ModelInfo, ProviderError, Request, Response, Tenant,
};
use std::sync::Arc;
use tracing::Instrument;
use wasmtime::component::ResourceAny;
use wasmtime::{Engine, Store};

/// What every call of a host shares.
pub(crate) struct Core {
    pub(crate) engine: Engine,
    pub(crate) pre: LitellmProviderPre<TenantState>,
    /// What the host keeps per tenant name: connection pools, counts of calls.
    pub(crate) tenants: Tenants,
    /// Pool slots, instances and memory across the host: a call beyond them waits instead of failing.
    pub(crate) places: Places,
    pub(crate) idle: Arc<IdleRegistry>,
    pub(crate) warm: WarmOptions,
}

/// Where a call's instance comes from and goes back to: `None` for a fresh one per call.
pub(crate) type Warm<'a> = Option<&'a Arc<IdleSet>>;

impl Core {
    /// A warm instance when one is idle, else a fresh one.
    async fn instance(&self, tenant: &Tenant, config: &Config, warm: Warm<'_>) -> Result<Instance, CallError> {
        if let Some(instance) = warm.and_then(|set| set.take(&self.warm)) {
            return Ok(instance);
        }
        let place = self.places.take(tenant, &self.idle).await?;
        Instance::open((&self.engine, &self.pre), tenant, config, (self.tenants.connections(tenant), place)).await
    }

    /// Puts a warm instance back after a call; one the sandbox stopped is dropped.
    fn release(&self, instance: Instance, warm: Warm<'_>, stopped: bool) {
        if let (Some(set), false) = (warm, stopped) {
            set.put_back(instance, &self.warm);
        }
    }

    /// The one path of a call: its instance, one guest call, its errors typed, all in its span.
    async fn once<T: telemetry::Answer>(
        &self,
        operation: Operation<'_>,
        (tenant, config, warm): (&Tenant, &Config, Warm<'_>),
        call: impl AsyncFnOnce(
            &mut Store<TenantState>,
            &ProviderExports,
            ResourceAny,
        ) -> wasmtime::Result<Result<T, ProviderError>>,
    ) -> Result<T, CallError> {
        let span = telemetry::span(tenant, config.profile, operation);
        let whole_call = async {
            let _permit = self.tenants.permit(tenant).await;
            let mut instance = self.instance(tenant, config, warm).await?;
            let result = instance.call(call).await;
            self.release(instance, warm, result.is_err());
            result?.map_err(CallError::Provider)
        };
        // The tenant's cap on a whole call, whatever the config's own deadline: an instance
        // still running then is dropped with the future.
        let result = match tokio::time::timeout(tenant.max_call_duration, whole_call.instrument(span.clone())).await {
            Ok(result) => result,
            Err(_) => Err(whole_call_too_long(tenant)),
        };
        telemetry::record(&span, &result);
        result
    }

    pub(crate) async fn name(&self, tenant: &Tenant, config: &Config, warm: Warm<'_>) -> Result<String, CallError> {
        self.once(Operation::Name, (tenant, config, warm), async |store, p, client| {
            p.client().call_name(store, client).await.map(Ok)
        })
        .await
    }

    pub(crate) async fn supports_model(
        &self,
        tenant: &Tenant,
        config: &Config,
        warm: Warm<'_>,
        model: &str,
    ) -> Result<bool, CallError> {
        self.once(Operation::SupportsModel(model), (tenant, config, warm), async |store, p, client| {
            p.client().call_supports_model(store, client, model).await.map(Ok)
        })
        .await
    }

    pub(crate) async fn generate(
        &self,
        tenant: &Tenant,
        config: &Config,
        warm: Warm<'_>,
        request: Request,
    ) -> Result<Response, CallError> {
        let operation = Operation::Chat { request: &request, stream: false };
        self.once(operation, (tenant, config, warm), async |store, p, client| {
            p.client().call_generate(store, client, &request).await
        })
        .await
    }

    pub(crate) async fn embed(
        &self,
        tenant: &Tenant,
        config: &Config,
        warm: Warm<'_>,
        request: EmbeddingsRequest,
    ) -> Result<EmbeddingsResponse, CallError> {
        self.once(Operation::Embeddings(&request), (tenant, config, warm), async |store, p, client| {
            p.client().call_embed(store, client, &request).await
        })
        .await
    }

    pub(crate) async fn list_models(
        &self,
        tenant: &Tenant,
        config: &Config,
        warm: Warm<'_>,
    ) -> Result<Vec<ModelInfo>, CallError> {
        self.once(Operation::ListModels, (tenant, config, warm), async |store, p, client| {
            p.client().call_list_models(store, client).await
        })
        .await
    }

    /// A streamed completion; with `warm`, the instance goes back to it when the stream ends.
    pub(crate) async fn stream(
        core: &Arc<Core>,
        tenant: &Tenant,
        config: &Config,
        warm: Option<Arc<IdleSet>>,
        request: Request,
    ) -> Result<EventStream, CallError> {
        let span = telemetry::span(tenant, config.profile, Operation::Chat { request: &request, stream: true });
        let cap =
            WholeCall { ends_at: std::time::Instant::now() + tenant.max_call_duration, cap: tenant.max_call_duration };
        let opening = async {
            let permit = core.tenants.permit(tenant).await;
            let mut instance = core.instance(tenant, config, warm.as_ref()).await?;
            let opened =
                instance.call(async |store, p, client| p.client().call_stream(store, client, &request).await).await;
            match opened {
                Ok(Ok(handle)) => Ok((instance, handle, permit)),
                Ok(Err(e)) => {
                    core.release(instance, warm.as_ref(), false);
                    Err(CallError::Provider(e))
                }
                Err(e) => Err(e),
            }
        };
        let result = match tokio::time::timeout(tenant.max_call_duration, opening.instrument(span.clone())).await {
            Ok(result) => result,
            Err(_) => Err(whole_call_too_long(tenant)),
        };
        match result {
            Ok((instance, handle, permit)) => {
                let back = warm.map(|set| ReturnTo { set, options: core.warm.clone() });
                Ok(EventStream::new(instance, handle, span, permit, back, cap))
            }
            Err(e) => {
                telemetry::record_error(&span, &e);
                Err(e)
            }
        }
    }
}

/// The error of a call that ran past its tenant's cap on a whole call.
fn whole_call_too_long(tenant: &Tenant) -> CallError {
    WholeCall { ends_at: std::time::Instant::now(), cap: tenant.max_call_duration }.exceeded()
}

/// A tenant's cap on a whole call, as a stream carries it from its opening to its end.
pub(crate) struct WholeCall {
    pub(crate) ends_at: std::time::Instant,
    pub(crate) cap: std::time::Duration,
}

impl WholeCall {
    /// The error once the cap is reached.
    pub(crate) fn exceeded(&self) -> CallError {
        let message = format!("the call ran past the tenant's cap of {:?} on a whole call", self.cap);
        CallError::sandbox(crate::SandboxReason::Deadline, message)
    }
}
