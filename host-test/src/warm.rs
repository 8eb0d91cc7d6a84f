//! Warm tenant clients: a tenant's instances, each with its `client` open, kept between calls
//! instead of a fresh instance per call. One call in an instance at a time; tenants never share
//! one. The tenant's memory cap and deadline apply to every call; an instance is discarded after
//! a trap (any sandbox stop), recycled after a number of calls or a time idle, and idle instances
//! are evicted oldest first when a host-wide cap is reached: their number, or the linear memory
//! they keep (an instance that parsed a large answer keeps its grown heap while idle).

use crate::instance::Instance;
use crate::places::Evict as _;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

/// How a host keeps warm instances for [`crate::Host::warm`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WarmOptions {
    /// Idle instances kept per warm client (more concurrent calls get fresh ones, returned after).
    pub per_client: usize,
    /// Idle instances kept across the host; past it the one idle longest is dropped.
    pub max_idle: usize,
    /// The linear memory idle instances may keep across the host, in bytes; past it the ones
    /// idle longest are dropped.
    pub max_idle_memory_bytes: usize,
    /// Guest calls an instance serves (a stream's batches count) before it is replaced.
    pub max_calls: u32,
    /// How long an instance may stay idle; an older one is dropped when its client is next used
    /// or when the host needs room.
    pub idle_timeout: Duration,
}

impl Default for WarmOptions {
    fn default() -> Self {
        Self {
            per_client: 4,
            max_idle: 1024,
            // 2 GiB: 1,024 idle instances of the component's usual 2 MiB heap, or about 64 that
            // grew to a 32 MiB heap on large answers.
            max_idle_memory_bytes: 2 << 30,
            max_calls: 10_000,
            idle_timeout: Duration::from_secs(60),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An idle instance, the number that names it in the host's record, and the memory it keeps.
struct Idle {
    id: u64,
    bytes: usize,
    instance: Instance,
}

/// One warm client's idle instances, oldest first. Dropping it (the last clone of its client is
/// gone) gives their count back to the host.
pub(crate) struct IdleSet {
    idle: Mutex<VecDeque<Idle>>,
    registry: Arc<IdleRegistry>,
}

/// The host's record of every idle instance, oldest first, for the host-wide cap: entries of
/// instances taken again since are skipped when met, and dropped when the record is compacted.
#[derive(Default)]
pub(crate) struct IdleRegistry {
    returned: Mutex<VecDeque<(Weak<IdleSet>, u64)>>,
    idle: AtomicUsize,
    idle_bytes: AtomicUsize,
    next_id: AtomicU64,
}

impl crate::places::Evict for IdleRegistry {
    /// Drops the instance idle longest anywhere on the host; false when there is none.
    fn evict_one(&self) -> bool {
        loop {
            let Some((set, id)) = lock(&self.returned).pop_front() else {
                return false;
            };
            let Some(set) = set.upgrade() else { continue };
            let evicted = {
                let mut idle = lock(&set.idle);
                let at = idle.iter().position(|i| i.id == id);
                at.and_then(|at| idle.remove(at))
            };
            if let Some(evicted) = evicted {
                self.forget(&evicted);
                drop(evicted);
                return true;
            }
        }
    }
}

impl IdleRegistry {
    /// How many instances are idle across the host.
    pub(crate) fn idle(&self) -> usize {
        self.idle.load(Ordering::SeqCst)
    }

    /// The linear memory idle instances keep across the host, in bytes.
    pub(crate) fn idle_bytes(&self) -> usize {
        self.idle_bytes.load(Ordering::SeqCst)
    }

    /// Counts an instance out of the idle ones.
    fn forget(&self, idle: &Idle) {
        self.idle.fetch_sub(1, Ordering::SeqCst);
        self.idle_bytes.fetch_sub(idle.bytes, Ordering::SeqCst);
    }

    /// Records an instance put back. Past twice the idle count (plus a margin) the record is
    /// compacted to the entries whose instance is still idle.
    fn note(&self, set: &Arc<IdleSet>, id: u64) {
        let mut returned = lock(&self.returned);
        returned.push_back((Arc::downgrade(set), id));
        if returned.len() > 2 * self.idle() + 64 {
            returned.retain(|(set, id)| set.upgrade().is_some_and(|set| lock(&set.idle).iter().any(|i| i.id == *id)));
        }
    }
}

impl IdleSet {
    pub(crate) fn new(registry: Arc<IdleRegistry>) -> Self {
        Self { idle: Mutex::new(VecDeque::new()), registry }
    }

    /// The most recently used idle instance that is still fresh enough; stale ones are dropped.
    pub(crate) fn take(&self, options: &WarmOptions) -> Option<Instance> {
        let mut idle = lock(&self.idle);
        while let Some(taken) = idle.pop_back() {
            self.registry.forget(&taken);
            if taken.instance.last_used.elapsed() < options.idle_timeout {
                return Some(taken.instance);
            }
        }
        None
    }

    /// Keeps `instance` for the next call, unless it has served its calls; evicts past the caps.
    pub(crate) fn put_back(self: &Arc<Self>, instance: Instance, options: &WarmOptions) {
        if instance.calls >= options.max_calls || options.per_client == 0 || options.max_idle == 0 {
            return;
        }
        let now = Instant::now();
        let id = self.registry.next_id.fetch_add(1, Ordering::Relaxed);
        let bytes = instance.memory_bytes();
        if bytes > options.max_idle_memory_bytes {
            return; // it alone would be over the cap
        }
        {
            let mut idle = lock(&self.idle);
            while idle.len() >= options.per_client
                || idle.front().is_some_and(|i| now.duration_since(i.instance.last_used) >= options.idle_timeout)
            {
                if let Some(dropped) = idle.pop_front() {
                    self.registry.forget(&dropped);
                }
            }
            idle.push_back(Idle { id, bytes, instance });
            self.registry.idle.fetch_add(1, Ordering::SeqCst);
            self.registry.idle_bytes.fetch_add(bytes, Ordering::SeqCst);
        }
        self.registry.note(self, id);
        while (self.registry.idle() > options.max_idle || self.registry.idle_bytes() > options.max_idle_memory_bytes)
            && self.registry.evict_one()
        {}
    }

    /// How many instances this client keeps idle.
    pub(crate) fn len(&self) -> usize {
        lock(&self.idle).len()
    }
}

impl Drop for IdleSet {
    fn drop(&mut self) {
        for gone in lock(&self.idle).iter() {
            self.registry.forget(gone);
        }
    }
}

/// Where a warm stream's instance goes once the stream has ended (the stream holds it, so that
/// the stream needs to know nothing of the host).
pub(crate) struct ReturnTo {
    pub(crate) set: Arc<IdleSet>,
    pub(crate) options: WarmOptions,
}

impl ReturnTo {
    /// Puts the instance back into its warm client.
    pub(crate) fn put_back(self, instance: Instance) {
        self.set.put_back(instance, &self.options);
    }
}
