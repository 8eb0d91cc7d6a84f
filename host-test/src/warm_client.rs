//! The public face of warm instances: a tenant's client whose calls reuse its instances.

use crate::calls::Caller;
use crate::{CallError, EmbeddingsRequest, EmbeddingsResponse, EventStream, ModelInfo, Request, Response};

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
    caller: Caller,
}

impl WarmClient {
    pub(crate) fn new(caller: Caller) -> Self {
        Self { caller }
    }

    /// How many of this client's instances are idle now.
    pub fn idle_instances(&self) -> usize {
        self.caller.idle_instances()
    }

    /// One chat completion.
    pub async fn generate(&self, request: Request) -> Result<Response, CallError> {
        self.caller.generate(request).await
    }

    /// One streamed chat completion; the instance comes back when the stream has ended.
    pub async fn stream(&self, request: Request) -> Result<EventStream, CallError> {
        self.caller.stream(request).await
    }

    /// Embeddings of the request's inputs.
    pub async fn embed(&self, request: EmbeddingsRequest) -> Result<EmbeddingsResponse, CallError> {
        self.caller.embed(request).await
    }

    /// The models the endpoint offers.
    pub async fn list_models(&self) -> Result<Vec<ModelInfo>, CallError> {
        self.caller.list_models().await
    }

    /// The provider's name (`litellm`).
    pub async fn provider_name(&self) -> Result<String, CallError> {
        self.caller.name().await
    }
}
