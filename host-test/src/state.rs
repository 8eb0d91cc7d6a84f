//! What one call's `Store` holds, made from its tenant's policy: the WASI context with the
//! tenant's environment, the HTTP context with the tenant's outgoing hook, and the memory cap.

use crate::outgoing::TenantHooks;
use crate::tenant::Tenant;
use crate::transport::Connections;
use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// One call's store data.
pub(crate) struct TenantState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: TenantHooks,
    pub(crate) limits: MemoryCap,
}

impl TenantState {
    pub(crate) fn new(tenant: &Tenant, connections: Connections) -> Self {
        Self::build(tenant, connections, false)
    }

    /// A store whose guest writes its stderr to the host's (the gateway's access log).
    #[cfg(feature = "serve")]
    pub(crate) fn logging_to_stderr(tenant: &Tenant, connections: Connections) -> Self {
        Self::build(tenant, connections, true)
    }

    fn build(tenant: &Tenant, connections: Connections, stderr: bool) -> Self {
        let mut wasi = WasiCtx::builder();
        wasi.envs(&tenant.env);
        if stderr {
            wasi.inherit_stderr();
        }
        // The guest needs outgoing HTTP only; no sockets, no name lookups of its own.
        wasi.allow_tcp(false).allow_udp(false).allow_ip_name_lookup(false);
        TenantState {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: TenantHooks::new(tenant, connections),
            // The provider is a few core instances; a composition (the gateway with the provider
            // and WASI's adapters) is more.
            limits: MemoryCap::new(tenant.memory_limit, if stderr { 64 } else { 4 }),
        }
    }
}

#[cfg(feature = "serve")]
impl TenantState {
    /// The store's resource table, for the host interfaces beside WASI's.
    pub(crate) fn table(&mut self) -> &mut ResourceTable {
        &mut self.table
    }
}

/// wasmtime's `StoreLimits` that also remembers whether the memory cap was hit, so that the
/// trap it causes is reported as [`SandboxReason::MemoryLimit`](crate::SandboxReason::MemoryLimit).
pub(crate) struct MemoryCap {
    limits: StoreLimits,
    cap: usize,
    pub(crate) exceeded: bool,
    /// The linear memory the instance has grown to, in bytes (what an idle warm instance keeps).
    pub(crate) grown_to: usize,
}

impl MemoryCap {
    fn new(cap: usize, instances: usize) -> Self {
        let limits = StoreLimitsBuilder::new().memory_size(cap).trap_on_grow_failure(true).instances(instances).build();
        Self { limits, cap, exceeded: false, grown_to: 0 }
    }
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.cap {
            self.exceeded = true;
        }
        let allowed = self.limits.memory_growing(current, desired, maximum)?;
        if allowed {
            self.grown_to = self.grown_to.max(desired);
        }
        Ok(allowed)
    }

    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

impl WasiView for TenantState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for TenantState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.hooks }
    }
}
