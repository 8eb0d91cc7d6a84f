//! The public face of warm instances: a tenant's client whose calls reuse its instances.

use crate::calls::Core;
use crate::warm::IdleSet;
use crate::{
    CallError, Config, EmbeddingsRequest, EmbeddingsResponse, EventStream, ModelInfo, Request, Response, Tenant,
};
use std::sync::Arc;

/// A tenant's warm client, from [`crate::Host::warm`]: the same calls as [`crate::Host`], in
/// instances kept between calls (the tenant's memory cap and deadline apply to each call).
/// Cheap to clone; clones share the instances.
///
/// Pick it when calls are frequent and the tenant's own code does not run in the instance: the
/// component keeps no state between calls but its open `client` and its heap, so a warm
/// instance holds nothing of one request when the next one runs in it except what the guest
/// allocator reuses. Pick [`crate::Host::generate`] (a fresh instance per call) when every call
/// must start from nothing.
#[derive(Clone)]
pub struct WarmClient {
    core: Arc<Core>,
    tenant: Tenant,
    config: Config,
    idle: Arc<IdleSet>,
}

impl WarmClient {
    pub(crate) fn new(core: Arc<Core>, tenant: Tenant, config: Config) -> Self {
        let idle = Arc::new(IdleSet::new(core.idle.clone()));
        Self { core, tenant, config, idle }
    }

    /// How many of this client's instances are idle now.
    pub fn idle_instances(&self) -> usize {
        self.idle.len()
    }

    /// One chat completion.
    pub async fn generate(&self, request: Request) -> Result<Response, CallError> {
        self.core.generate(&self.tenant, &self.config, Some(&self.idle), request).await
    }

    /// One streamed chat completion; the instance comes back when the stream has ended.
    pub async fn stream(&self, request: Request) -> Result<EventStream, CallError> {
        Core::stream(&self.core, &self.tenant, &self.config, Some(self.idle.clone()), request).await
    }

    /// Embeddings of the request's inputs.
    pub async fn embed(&self, request: EmbeddingsRequest) -> Result<EmbeddingsResponse, CallError> {
        self.core.embed(&self.tenant, &self.config, Some(&self.idle), request).await
    }

    /// The models the endpoint offers.
    pub async fn list_models(&self) -> Result<Vec<ModelInfo>, CallError> {
        self.core.list_models(&self.tenant, &self.config, Some(&self.idle)).await
    }

    /// The provider's name (`litellm`).
    pub async fn provider_name(&self) -> Result<String, CallError> {
        self.core.name(&self.tenant, &self.config, Some(&self.idle)).await
    }
}
