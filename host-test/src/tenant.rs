//! A tenant's policy and the per-call store state that enforces it: its environment, the origins it
//! may reach (checked in the outgoing-request hook), its memory cap and its CPU deadline.

use crate::outgoing::{Connections, TenantHooks};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// The default linear-memory cap of one call's instance.
pub const DEFAULT_MEMORY_LIMIT: usize = 64 * 1024 * 1024;
/// The default longest time one call into the guest may run.
pub const DEFAULT_CALL_DEADLINE: Duration = Duration::from_secs(120);
/// The default cap on a tenant's calls (and open streams) at once.
pub const DEFAULT_MAX_CONCURRENT_CALLS: usize = 64;

/// Who a call runs for, and what it may do. Cheap to clone.
///
/// By default a tenant may reach no origin at all: allow each endpoint with [`Tenant::allow_origin`].
#[derive(Clone)]
pub struct Tenant {
    name: Arc<str>,
    env: Arc<[(String, String)]>,
    allowed_origins: Arc<[String]>,
    memory_limit: usize,
    call_deadline: Duration,
    max_concurrent_calls: usize,
    calls: Arc<Semaphore>,
    connections: Connections,
}

impl Tenant {
    /// A tenant with no environment, no allowed origin and the default caps.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: Arc::from(name.into()),
            env: Arc::from(Vec::new()),
            allowed_origins: Arc::from(Vec::new()),
            memory_limit: DEFAULT_MEMORY_LIMIT,
            call_deadline: DEFAULT_CALL_DEADLINE,
            max_concurrent_calls: DEFAULT_MAX_CONCURRENT_CALLS,
            calls: Arc::new(Semaphore::new(DEFAULT_MAX_CONCURRENT_CALLS)),
            connections: Connections::new(),
        }
    }

    /// Adds an environment variable the tenant's calls see (e.g. `LITELLM_API_KEY`).
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let mut env = self.env.to_vec();
        env.push((name.into(), value.into()));
        self.env = env.into();
        self
    }

    /// Lets the tenant reach an origin: `http://127.0.0.1:4000`, `https://api.openai.com`
    /// (the default port of the scheme is implied). A base URL's path is ignored.
    pub fn allow_origin(mut self, url: &str) -> Self {
        let mut origins = self.allowed_origins.to_vec();
        if let Some(origin) = origin_of(url) {
            origins.push(origin);
        }
        self.allowed_origins = origins.into();
        self
    }

    /// Caps the linear memory of the tenant's instances, in bytes.
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = bytes;
        self
    }

    /// Caps how long one call into the guest may run before it is stopped.
    pub fn call_deadline(mut self, deadline: Duration) -> Self {
        self.call_deadline = deadline;
        self
    }

    /// Caps the tenant's calls and open streams at once; more wait for a free place. Clones of
    /// a tenant share its count, so set this before cloning.
    pub fn max_concurrent_calls(mut self, calls: usize) -> Self {
        self.max_concurrent_calls = calls.max(1);
        self.calls = Arc::new(Semaphore::new(self.max_concurrent_calls));
        self
    }

    /// The tenant's name, as it appears in spans.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) async fn permit(&self) -> OwnedSemaphorePermit {
        // The semaphore is never closed, so acquiring cannot fail.
        self.calls.clone().acquire_owned().await.expect("the tenant's semaphore is never closed")
    }

    pub(crate) fn deadline(&self) -> Duration {
        self.call_deadline
    }

    pub(crate) fn state(&self) -> TenantState {
        let mut wasi = WasiCtx::builder();
        wasi.envs(&self.env);
        // The guest needs outgoing HTTP only; no sockets, no name lookups of its own.
        wasi.allow_tcp(false).allow_udp(false).allow_ip_name_lookup(false);
        TenantState {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: TenantHooks { allowed_origins: self.allowed_origins.clone(), connections: self.connections.clone() },
            limits: StoreLimitsBuilder::new()
                .memory_size(self.memory_limit)
                .trap_on_grow_failure(true)
                .instances(4)
                .build(),
        }
    }
}

impl fmt::Debug for Tenant {
    /// Shows the environment's names only: values hold keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tenant")
            .field("name", &self.name)
            .field("env", &self.env.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>())
            .field("allowed_origins", &self.allowed_origins)
            .field("memory_limit", &self.memory_limit)
            .field("call_deadline", &self.call_deadline)
            .field("max_concurrent_calls", &self.max_concurrent_calls)
            .finish()
    }
}

/// `scheme://host:port`, lower-cased, with the scheme's default port filled in.
pub fn origin_of(url: &str) -> Option<String> {
    let uri: http::Uri = url.trim().parse().ok()?;
    origin_of_uri(&uri)
}

pub(crate) fn origin_of_uri(uri: &http::Uri) -> Option<String> {
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let host = uri.host()?.to_ascii_lowercase();
    let port = uri.port_u16().or(match scheme.as_str() {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    })?;
    Some(format!("{scheme}://{host}:{port}"))
}

/// What one call's `Store` holds.
pub(crate) struct TenantState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: TenantHooks,
    pub(crate) limits: StoreLimits,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised() {
        assert_eq!(origin_of("http://127.0.0.1:4000/v1").as_deref(), Some("http://127.0.0.1:4000"));
        assert_eq!(origin_of("HTTPS://API.openai.com").as_deref(), Some("https://api.openai.com:443"));
        assert_eq!(origin_of("http://localhost").as_deref(), Some("http://localhost:80"));
        assert_eq!(origin_of("not a url"), None);
    }

    #[test]
    fn debug_hides_environment_values() {
        let t = Tenant::new("t").env("LITELLM_API_KEY", "sk-secret");
        let shown = format!("{t:?}");
        assert!(shown.contains("LITELLM_API_KEY") && !shown.contains("sk-secret"), "{shown}");
    }
}
