//! A tenant's policy: its environment, the origins it may reach, its memory cap, deadlines,
//! concurrency cap and quota. [`crate::state`] turns it into one call's store; the host keeps what a tenant
//! accumulates (its connection pool, its count of calls) under the tenant's name
//! ([`crate::calls::Tenants`]).

use crate::address::AddressPolicy;
use crate::origin::origin_of;
use crate::tls::CaBundle;
use crate::{CallError, Quota};
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The default linear-memory cap of one call's instance.
pub const DEFAULT_MEMORY_LIMIT: usize = 64 * 1024 * 1024;
/// The default longest time one call into the guest may take.
pub const DEFAULT_CALL_DEADLINE: Duration = Duration::from_secs(120);
/// The default cap on a tenant's calls (and open streams) at once.
pub const DEFAULT_MAX_CONCURRENT_CALLS: usize = 64;
/// The default cap on a whole call, a stream from its opening to its end included: above the
/// component's own default total deadline (600 s), which a config can raise, so that the tenant's
/// cap is the one that holds.
pub const DEFAULT_MAX_CALL_DURATION: Duration = Duration::from_secs(900);

/// Who a call runs for, and what it may do. Cheap to clone.
///
/// What a tenant accumulates belongs to its name on a host: every `Tenant` value with the same
/// name shares, on one host, one count of concurrent calls and one connection pool per transport
/// setting (CAs, address policy, pinned names); different names never share; each host's own
/// roots apply to its calls.
///
/// By default a tenant may reach no origin at all: allow each endpoint with [`Tenant::allow_origin`].
#[derive(Clone)]
pub struct Tenant {
    pub(crate) name: Arc<str>,
    pub(crate) env: Arc<[(String, String)]>,
    pub(crate) allowed_origins: Arc<[String]>,
    pub(crate) memory_limit: usize,
    pub(crate) call_deadline: Duration,
    pub(crate) max_call_duration: Duration,
    pub(crate) max_concurrent_calls: usize,
    pub(crate) quota: Quota,
    pub(crate) transport: Transport,
}

/// What a tenant's connections depend on: a pool is kept per tenant name and these.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct Transport {
    pub(crate) cas: CaBundle,
    pub(crate) address_policy: AddressPolicy,
    /// Names resolved to fixed addresses instead of asking DNS.
    pub(crate) pinned: Arc<[(String, IpAddr)]>,
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
            max_call_duration: DEFAULT_MAX_CALL_DURATION,
            max_concurrent_calls: DEFAULT_MAX_CONCURRENT_CALLS,
            quota: Quota::unlimited(),
            transport: Transport::default(),
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
        self.transport.cas.extend(bundle);
        self
    }

    /// Refuses connections to loopback, unspecified and private networks (127/8, 0/8, 10/8,
    /// 172.16/12, 192.168/16, the carrier-grade NAT 100.64/10, ::1, ::, fc00::/7, fec0::/10, and
    /// IPv6 forms that carry such an IPv4 address), checked after name resolution: for platforms
    /// whose tenants name their own endpoints. Off by default.
    pub fn deny_private_networks(mut self, deny: bool) -> Self {
        self.transport.address_policy.deny_private_networks = deny;
        self
    }

    /// Allows one address that the address policy would refuse: a link-local or cloud-metadata
    /// address (refused for every tenant by default), or a private one under
    /// [`Tenant::deny_private_networks`].
    pub fn allow_address(mut self, ip: IpAddr) -> Self {
        let mut allowed = self.transport.address_policy.allowed.to_vec();
        allowed.push(ip.to_canonical());
        self.transport.address_policy.allowed = allowed.into();
        self
    }

    /// Resolves `name` to `ip` for this tenant instead of asking DNS (as `curl --resolve` does):
    /// for an endpoint on a private name, or a test. The address policy applies to it like to any
    /// resolved address.
    pub fn resolve(mut self, name: &str, ip: IpAddr) -> Self {
        let mut pinned = self.transport.pinned.to_vec();
        pinned.push((name.to_ascii_lowercase(), ip));
        self.transport.pinned = pinned.into();
        self
    }

    /// Caps the linear memory of the tenant's instances, in bytes.
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = bytes;
        self
    }

    /// Caps how long one call into the guest may take, in wall-clock time: running wasm (stopped
    /// by epoch interruption) or waiting inside a host call (stopped by a timer). Each `next` of a
    /// stream counts anew; a call waiting for a place on the host waits at most this long.
    pub fn call_deadline(mut self, deadline: Duration) -> Self {
        self.call_deadline = deadline;
        self
    }

    /// Caps a whole call, a stream from its opening to its end included, whatever the config's
    /// `total-timeout-ms` says (a config cannot raise it). Default [`DEFAULT_MAX_CALL_DURATION`].
    pub fn max_call_duration(mut self, duration: Duration) -> Self {
        self.max_call_duration = duration;
        self
    }

    /// Caps the tenant's calls and open streams at once on a host; more wait for a free place.
    /// The count belongs to the tenant's name: the first call of a name on a host fixes its cap.
    pub fn max_concurrent_calls(mut self, calls: usize) -> Self {
        self.max_concurrent_calls = calls.max(1);
        self
    }

    /// Limits the tenant's calls and tokens per minute, calls at once and token budget, counted
    /// in the host's [`crate::HostOptions::quota_store`] under the tenant's name; a call over a
    /// limit is refused before the component runs ([`crate::CallError::Quota`]). Default: no limit.
    pub fn quota(mut self, quota: Quota) -> Self {
        self.quota = quota;
        self
    }

    /// The tenant's name, as it appears in spans, metrics and quota counters.
    pub fn name(&self) -> &str {
        &self.name
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
            .field("max_call_duration", &self.max_call_duration)
            .field("max_concurrent_calls", &self.max_concurrent_calls)
            .field("quota", &self.quota)
            .field("transport", &self.transport)
            .finish()
    }
}

/// A tenant's cap on a whole call, as a stream carries it from its opening to its end.
pub(crate) struct WholeCall {
    pub(crate) ends_at: Instant,
    pub(crate) cap: Duration,
}

impl WholeCall {
    pub(crate) fn starting_now(tenant: &Tenant) -> Self {
        WholeCall { ends_at: Instant::now() + tenant.max_call_duration, cap: tenant.max_call_duration }
    }

    /// The error once the cap is reached.
    pub(crate) fn exceeded(&self) -> CallError {
        let message = format!("the call ran past the tenant's cap of {:?} on a whole call", self.cap);
        CallError::sandbox(crate::SandboxReason::Deadline, message)
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
