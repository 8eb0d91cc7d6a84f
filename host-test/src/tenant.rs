//! A tenant's policy: its environment, the origins it may reach, its memory cap, call deadline and
//! concurrency cap, and its own connection pool. [`crate::state`] turns it into one call's store.

use crate::address::AddressPolicy;
use crate::origin::origin_of;
use crate::tls::{client_config, CaBundle};
use crate::transport::Connections;
use rustls::RootCertStore;
use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The default linear-memory cap of one call's instance.
pub const DEFAULT_MEMORY_LIMIT: usize = 64 * 1024 * 1024;
/// The default longest time one call into the guest may take.
pub const DEFAULT_CALL_DEADLINE: Duration = Duration::from_secs(120);
/// The default cap on a tenant's calls (and open streams) at once.
pub const DEFAULT_MAX_CONCURRENT_CALLS: usize = 64;

/// Who a call runs for, and what it may do. Cheap to clone; clones share the concurrency count
/// and the connection pool. The pool is made on the tenant's first call, with that host's roots
/// ([`crate::HostOptions::tls`]): use a tenant with one host (or hosts with the same roots).
///
/// By default a tenant may reach no origin at all: allow each endpoint with [`Tenant::allow_origin`].
#[derive(Clone)]
pub struct Tenant {
    pub(crate) name: Arc<str>,
    pub(crate) env: Arc<[(String, String)]>,
    pub(crate) allowed_origins: Arc<[String]>,
    pub(crate) memory_limit: usize,
    pub(crate) call_deadline: Duration,
    max_concurrent_calls: usize,
    calls: Arc<Semaphore>,
    cas: CaBundle,
    address_policy: AddressPolicy,
    /// Made on the tenant's first call, with that host's roots.
    connections: Arc<OnceLock<Connections>>,
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
            cas: CaBundle::default(),
            address_policy: AddressPolicy::default(),
            connections: Arc::new(OnceLock::new()),
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
    /// (the default port of the scheme is implied). A base URL's path is ignored; a URL that is
    /// not `http` or `https` allows nothing.
    pub fn allow_origin(mut self, url: &str) -> Self {
        let mut origins = self.allowed_origins.to_vec();
        if let Some(origin) = origin_of(url) {
            origins.push(origin);
        }
        self.allowed_origins = origins.into();
        self
    }

    /// Trusts these certificate authorities for the tenant's HTTPS connections, beside the
    /// host's roots ([`crate::HostOptions::tls`]), e.g. the CA of the tenant's own vLLM.
    pub fn trust(mut self, bundle: &CaBundle) -> Self {
        self.cas.extend(bundle);
        self.connections = Arc::new(OnceLock::new());
        self
    }

    /// Refuses connections to loopback and private networks (127/8, 10/8, 172.16/12,
    /// 192.168/16, ::1, fc00::/7), checked after name resolution: for platforms whose tenants
    /// name their own endpoints. Off by default.
    pub fn deny_private_networks(mut self, deny: bool) -> Self {
        self.address_policy.deny_private_networks = deny;
        self.connections = Arc::new(OnceLock::new());
        self
    }

    /// Allows one address that the address policy would refuse: a link-local or cloud-metadata
    /// address (refused for every tenant by default), or a private one under
    /// [`Tenant::deny_private_networks`].
    pub fn allow_address(mut self, ip: IpAddr) -> Self {
        let mut allowed = self.address_policy.allowed.to_vec();
        allowed.push(ip.to_canonical());
        self.address_policy.allowed = allowed.into();
        self.connections = Arc::new(OnceLock::new());
        self
    }

    /// Caps the linear memory of the tenant's instances, in bytes.
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = bytes;
        self
    }

    /// Caps how long one call into the guest may take, in wall-clock time: running wasm (stopped
    /// by epoch interruption) or waiting inside a host call (stopped by a timer). Each `next` of a
    /// stream counts anew.
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

    /// The tenant's connection pool, made on first use with `roots` plus the tenant's own CAs.
    pub(crate) fn connections(&self, roots: &RootCertStore) -> Connections {
        let make = || Connections::new(client_config(roots, &self.cas), self.address_policy.clone());
        self.connections.get_or_init(make).clone()
    }

    pub(crate) async fn permit(&self) -> OwnedSemaphorePermit {
        // The semaphore is never closed, so acquiring cannot fail.
        self.calls.clone().acquire_owned().await.expect("the tenant's semaphore is never closed")
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
            .field("cas", &self.cas)
            .field("address_policy", &self.address_policy)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_environment_values() {
        let t = Tenant::new("t").env("LITELLM_API_KEY", "sk-secret");
        let shown = format!("{t:?}");
        assert!(shown.contains("LITELLM_API_KEY") && !shown.contains("sk-secret"), "{shown}");
    }
}
