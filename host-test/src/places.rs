//! What a host keeps per tenant name, and the places a call needs on the host before it gets an
//! instance.
//!
//! Per tenant name: its count of concurrent calls, and a connection pool per transport setting
//! (CAs, address policy, pinned names), made with this host's roots. So the same name on one host
//! shares, different names never do, and a host's roots always apply to its own calls. The entries
//! live as long as the host (a few hundred bytes each, and a pool's idle connections close after
//! 30 s): a platform that makes ever new tenant names makes a new host now and then.
//!
//! Per instance: a pool slot (with the pooling allocator), a host-wide instance place, and the
//! tenant's memory cap out of the host-wide linear-memory budget ([`HostLimits`]). A call waits
//! for them at most its tenant's call deadline, giving idle warm instances back first.

use crate::call_error::{CallError, SandboxReason};
use crate::tenant::{Tenant, Transport};
use crate::tls::client_config;
use crate::transport::Connections;
use rustls::RootCertStore;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The unit of the memory budget.
const MIB: usize = 1 << 20;
/// How long a call waiting for a place waits before it looks for an idle instance to evict: a
/// warm call ending meanwhile puts its instance back idle, still holding its places, and would
/// never wake the waiter.
const RECHECK: Duration = Duration::from_millis(10);

/// Host-wide caps across every tenant, with or without the pooling allocator.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HostLimits {
    /// The most instances alive at once (calls, open streams and idle warm instances).
    pub max_instances: usize,
    /// The most linear memory the live instances may reserve together, in bytes: each instance
    /// reserves its tenant's memory cap ([`Tenant::memory_limit`]). Set it to the memory the
    /// host may give its tenants.
    pub max_linear_memory_bytes: usize,
}

impl Default for HostLimits {
    /// 1,000 instances (the pooling allocator's default) and 62.5 GiB, which is 1,000 instances of
    /// the default 64 MiB tenant: size both to the machine.
    fn default() -> Self {
        Self { max_instances: 1000, max_linear_memory_bytes: 1000 * crate::DEFAULT_MEMORY_LIMIT }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the host keeps per tenant name.
pub(crate) struct Tenants {
    roots: RootCertStore,
    pools: Mutex<HashMap<(Arc<str>, Transport), Connections>>,
    calls: Mutex<HashMap<Arc<str>, Arc<Semaphore>>>,
}

impl Tenants {
    pub(crate) fn new(roots: RootCertStore) -> Self {
        Self { roots, pools: Mutex::default(), calls: Mutex::default() }
    }

    /// Another record with the same roots and none of this one's pools or counts (a thread's).
    pub(crate) fn sibling(&self) -> Self {
        Self::new(self.roots.clone())
    }

    /// The tenant's connection pool for its transport setting, made on first use with this
    /// host's roots plus the tenant's CAs.
    pub(crate) fn connections(&self, tenant: &Tenant) -> Connections {
        let key = (tenant.name.clone(), tenant.transport.clone());
        let mut pools = lock(&self.pools);
        let make = || {
            let tls = client_config(&self.roots, &tenant.transport.cas);
            Connections::new(tls, tenant.transport.address_policy.clone(), tenant.transport.pinned.clone())
        };
        pools.entry(key).or_insert_with(make).clone()
    }

    /// A place among the tenant's concurrent calls (its name's count on this host).
    pub(crate) async fn permit(&self, tenant: &Tenant) -> OwnedSemaphorePermit {
        let calls = {
            let mut calls = lock(&self.calls);
            let make = || Arc::new(Semaphore::new(tenant.max_concurrent_calls));
            calls.entry(tenant.name.clone()).or_insert_with(make).clone()
        };
        // The semaphore is never closed, so acquiring cannot fail.
        calls.acquire_owned().await.expect("a tenant's semaphore is never closed")
    }
}

/// The places one instance holds, given back when it is dropped.
pub(crate) struct Place {
    _slot: Option<OwnedSemaphorePermit>,
    _instance: OwnedSemaphorePermit,
    _memory: OwnedSemaphorePermit,
}

/// What a call waiting for a place can ask to make room: the host's idle warm instances
/// ([`crate::warm::IdleRegistry`]), so that places need not know where instances are kept.
pub(crate) trait Evict: Sync {
    /// Drops one idle instance, giving its places back; false when there is none.
    fn evict_one(&self) -> bool;
}

/// The host's places: pool slots (with pooling), instances, and the memory budget in MiB.
pub(crate) struct Places {
    slots: Option<Arc<Semaphore>>,
    instances: Arc<Semaphore>,
    memory: Arc<Semaphore>,
    memory_mib: usize,
}

impl Places {
    pub(crate) fn new(pool_slots: Option<usize>, limits: &HostLimits) -> Self {
        let memory_mib = (limits.max_linear_memory_bytes / MIB).clamp(1, Semaphore::MAX_PERMITS);
        Self {
            slots: pool_slots.map(|n| Arc::new(Semaphore::new(n))),
            instances: Arc::new(Semaphore::new(limits.max_instances.clamp(1, Semaphore::MAX_PERMITS))),
            memory: Arc::new(Semaphore::new(memory_mib)),
            memory_mib,
        }
    }

    /// Every place an instance of `tenant` needs, waiting at most the tenant's call deadline;
    /// idle warm instances anywhere on the host are given back, oldest first, to make room.
    pub(crate) async fn take(&self, tenant: &Tenant, idle: &dyn Evict) -> Result<Place, CallError> {
        let memory = tenant.memory_limit.div_ceil(MIB).max(1);
        if memory > self.memory_mib {
            let message = format!(
                "the tenant's memory cap ({} MiB) is larger than the host's whole linear-memory budget ({} MiB)",
                memory, self.memory_mib
            );
            return Err(CallError::sandbox(SandboxReason::Host, message));
        }
        let until = Instant::now() + tenant.call_deadline;
        loop {
            if let Some(place) = self.try_take(memory as u32) {
                return Ok(place);
            }
            if !idle.evict_one() {
                if Instant::now() >= until {
                    let message = format!(
                        "no place on the host (instances, memory or pool slots) within the call deadline of {:?}",
                        tenant.call_deadline
                    );
                    return Err(CallError::sandbox(SandboxReason::Deadline, message));
                }
                tokio::time::sleep(RECHECK.min(until.saturating_duration_since(Instant::now()))).await;
            }
        }
    }

    /// All the places at once, or none (a partial take is given back when dropped).
    fn try_take(&self, memory: u32) -> Option<Place> {
        let slot = match &self.slots {
            Some(slots) => Some(slots.clone().try_acquire_owned().ok()?),
            None => None,
        };
        let instance = self.instances.clone().try_acquire_owned().ok()?;
        let memory = self.memory.clone().try_acquire_many_owned(memory).ok()?;
        Some(Place { _slot: slot, _instance: instance, _memory: memory })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_call_waits_its_deadline_for_a_place_then_fails_typed() {
        let limits = HostLimits { max_instances: 2, max_linear_memory_bytes: 128 * MIB };
        let places = Places::new(None, &limits);
        let idle = crate::warm::IdleRegistry::default();
        let tenant = Tenant::new("t").call_deadline(Duration::from_millis(50));
        let first = places.take(&tenant, &idle).await.unwrap();
        let _second = places.take(&tenant, &idle).await.unwrap();
        let started = Instant::now();
        let third = places.take(&tenant, &idle).await.err().expect("no third place");
        assert!(matches!(&third, CallError::Sandbox(e) if e.reason == SandboxReason::Deadline), "{third}");
        assert!(started.elapsed() >= Duration::from_millis(50));
        drop(first);
        assert!(places.take(&tenant, &idle).await.is_ok(), "a place given back is taken");
        let big = Tenant::new("big").memory_limit(256 * MIB);
        let refused = places.take(&big, &idle).await.err().expect("larger than the budget");
        assert!(refused.to_string().contains("linear-memory budget"), "{refused}");
        let wide = Places::new(None, &HostLimits { max_instances: 10, max_linear_memory_bytes: 100 * MIB });
        let _a = wide.take(&Tenant::new("a"), &idle).await.unwrap();
        let b = wide.take(&Tenant::new("b").call_deadline(Duration::from_millis(20)), &idle).await;
        assert!(b.is_err(), "two 64 MiB instances do not fit in 100 MiB");
    }
}
