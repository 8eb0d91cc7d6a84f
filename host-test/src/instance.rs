//! One instance's life: a fresh `Store` with the tenant's state, the component instantiated from
//! the `InstancePre`, a `client` opened in it, and every guest call run under the tenant's deadline.

use crate::call_error::{CallError, SandboxReason};
use crate::engine::deadline_ticks;
use crate::places::Place;
use crate::state::TenantState;
use crate::tenant::Tenant;
use crate::transport::Connections;
use crate::world::{GuestStream, Provider, ProviderPre};
use crate::Config;
use std::time::{Duration, Instant};
use wasmtime::component::ResourceAny;
use wasmtime::{Engine, Store};

/// One instance with an open client, holding its places on the host.
pub(crate) struct Instance {
    store: Store<TenantState>,
    provider: Provider,
    client: ResourceAny,
    deadline: Duration,
    /// Guest calls made in this instance, for recycling warm instances.
    pub(crate) calls: u32,
    /// When its last call ended, for the idle timeout of warm instances.
    pub(crate) last_used: Instant,
    // Dropped after the store (fields drop in order), so the places are free again by then.
    _place: Place,
}

/// A fresh store for `tenant` with its memory cap and CPU deadline.
pub(crate) fn store(engine: &Engine, tenant: &Tenant, connections: Connections) -> Store<TenantState> {
    let mut store = Store::new(engine, TenantState::new(tenant, connections));
    store.limiter(|state| &mut state.limits);
    store.set_epoch_deadline(deadline_ticks(tenant.call_deadline));
    store.epoch_deadline_trap();
    store
}

impl Instance {
    /// Instantiates the component for `tenant` in `store` (see [`store`]) and opens a client with
    /// `config`.
    pub(crate) async fn open(
        mut store: Store<TenantState>,
        pre: &ProviderPre,
        tenant: &Tenant,
        config: &Config,
        place: Place,
    ) -> Result<Self, CallError> {
        let provider = pre.instantiate(&mut store).await.map_err(|e| instantiation_failed(&store, e))?;
        let deadline = tenant.call_deadline;
        let outcome = tokio::time::timeout(deadline, provider.open(&mut store, config)).await;
        let client = settle(&store, deadline, outcome)?.map_err(CallError::Provider)?;
        Ok(Self { store, provider, client, deadline, calls: 0, last_used: Instant::now(), _place: place })
    }

    /// The linear memory the instance has grown to, in bytes.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.store.data().limits.grown_to
    }

    /// Runs one guest call with the tenant's deadline set anew: `call` gets the store, the
    /// provider's exports and the client. A trap, the memory cap or the deadline end the
    /// instance's use: the caller drops it.
    pub(crate) async fn call<T>(
        &mut self,
        call: impl AsyncFnOnce(&mut Store<TenantState>, &Provider, ResourceAny) -> wasmtime::Result<T>,
    ) -> Result<T, CallError> {
        let Self { store, provider, client, deadline, .. } = self;
        store.set_epoch_deadline(deadline_ticks(*deadline));
        let running = call(&mut *store, provider, *client);
        let outcome = tokio::time::timeout(*deadline, running).await;
        self.calls = self.calls.saturating_add(1);
        self.last_used = Instant::now();
        settle(&self.store, self.deadline, outcome)
    }

    /// Gives a finished stream back to the guest so that a warm instance does not keep it.
    pub(crate) async fn drop_stream(&mut self, stream: GuestStream) -> Result<(), CallError> {
        let deadline = self.deadline;
        let outcome = tokio::time::timeout(deadline, stream.drop_in(&mut self.store)).await;
        settle(&self.store, deadline, outcome)
    }
}

/// Why instantiating failed: the memory cap (the initial memory is larger), else the host.
pub(crate) fn instantiation_failed(store: &Store<TenantState>, error: wasmtime::Error) -> CallError {
    let reason = if store.data().limits.exceeded { SandboxReason::MemoryLimit } else { SandboxReason::Host };
    CallError::sandbox(reason, format!("{error:#}"))
}

/// The typed outcome of a guest call: its value, or why the sandbox stopped it.
fn settle<T>(
    store: &Store<TenantState>,
    deadline: Duration,
    outcome: Result<wasmtime::Result<T>, tokio::time::error::Elapsed>,
) -> Result<T, CallError> {
    match outcome {
        Ok(Ok(value)) => Ok(value),
        // Dropping the call's future cancelled it wherever it waited (a timer, a stalled body).
        Err(_) => Err(CallError::sandbox(
            SandboxReason::Deadline,
            format!("the call ran past its deadline of {deadline:?} (waiting in the host)"),
        )),
        Ok(Err(error)) => {
            let reason = if store.data().limits.exceeded {
                SandboxReason::MemoryLimit
            } else if error.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::Interrupt) {
                SandboxReason::Deadline
            } else {
                SandboxReason::Trap
            };
            Err(CallError::sandbox(reason, format!("{error:#}")))
        }
    }
}
