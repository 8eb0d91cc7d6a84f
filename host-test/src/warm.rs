//! Warm tenant clients: a tenant's instances, each with its `client` open, kept between calls
//! instead of a fresh instance per call. One call in an instance at a time; tenants never share
//! one. The tenant's memory cap and deadline apply to every call; an instance is discarded after
//! a trap (any sandbox stop), recycled after a number of calls or a time idle, and idle instances
//! are evicted oldest first when the host-wide cap is reached.

use crate::instance::Instance;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

/// How a host keeps warm instances for [`crate::Host::warm`].
#[derive(Debug, Clone)]
pub struct WarmOptions {
    /// Idle instances kept per warm client (more concurrent calls get fresh ones, returned after).
    pub per_client: usize,
    /// Idle instances kept across the host; past it the one idle longest is dropped.
    pub max_idle: usize,
    /// Calls an instance serves before it is replaced by a fresh one.
    pub max_calls: u32,
    /// How long an instance may stay idle before it is dropped.
    pub idle_timeout: Duration,
}

impl Default for WarmOptions {
    fn default() -> Self {
        Self { per_client: 4, max_idle: 1024, max_calls: 10_000, idle_timeout: Duration::from_secs(60) }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Where a warm stream's instance goes once the stream has ended (the stream holds it, so that
/// the stream needs to know nothing of the host).
pub(crate) struct ReturnTo {
    pub(crate) set: Arc<IdleSet>,
    pub(crate) registry: Arc<IdleRegistry>,
    pub(crate) options: WarmOptions,
}

impl ReturnTo {
    /// Puts the instance back into its warm client.
    pub(crate) fn put_back(self, instance: Instance) {
        self.set.put_back(instance, &self.registry, &self.options);
    }
}

/// One warm client's idle instances, oldest first.
#[derive(Default)]
pub(crate) struct IdleSet(Mutex<VecDeque<Instance>>);

/// Every warm client's idle instances, for the host-wide cap: an entry per instance put back,
/// oldest first; entries of instances taken again since are skipped when met.
#[derive(Default)]
pub(crate) struct IdleRegistry {
    returned: Mutex<VecDeque<Weak<IdleSet>>>,
    idle: AtomicUsize,
}

impl IdleRegistry {
    /// Drops the instance idle longest anywhere on the host; false when there is none.
    pub(crate) fn evict_one(&self) -> bool {
        loop {
            let Some(entry) = lock(&self.returned).pop_front() else {
                return false;
            };
            let Some(set) = entry.upgrade() else { continue };
            let (evicted, more) = {
                let mut idle = lock(&set.0);
                (idle.pop_front(), !idle.is_empty())
            };
            if more {
                // The set's next-oldest instance stays evictable.
                lock(&self.returned).push_front(entry);
            }
            if let Some(instance) = evicted {
                self.idle.fetch_sub(1, Ordering::SeqCst);
                drop(instance);
                return true;
            }
        }
    }

    /// Records that `set` just got an instance back. Instances taken again leave stale entries
    /// behind; past twice the idle count the record is compacted to each live set's latest entry.
    fn note(&self, set: &Arc<IdleSet>) {
        let mut returned = lock(&self.returned);
        returned.push_back(Arc::downgrade(set));
        if returned.len() > 2 * self.idle() + 64 {
            let mut seen = std::collections::HashSet::new();
            let mut kept: VecDeque<Weak<IdleSet>> = VecDeque::new();
            for entry in returned.drain(..).rev() {
                if entry.strong_count() > 0 && seen.insert(entry.as_ptr()) {
                    kept.push_front(entry);
                }
            }
            *returned = kept;
        }
    }

    /// How many instances are idle across the host.
    pub(crate) fn idle(&self) -> usize {
        self.idle.load(Ordering::SeqCst)
    }
}

impl IdleSet {
    /// The most recently used idle instance that is still fresh enough; stale ones are dropped.
    pub(crate) fn take(&self, registry: &IdleRegistry, options: &WarmOptions) -> Option<Instance> {
        let mut idle = lock(&self.0);
        while let Some(instance) = idle.pop_back() {
            registry.idle.fetch_sub(1, Ordering::SeqCst);
            if instance.last_used.elapsed() < options.idle_timeout {
                return Some(instance);
            }
        }
        None
    }

    /// Keeps `instance` for the next call, unless it has served its calls; evicts past the caps.
    pub(crate) fn put_back(self: &Arc<Self>, instance: Instance, registry: &IdleRegistry, options: &WarmOptions) {
        if instance.calls >= options.max_calls || options.per_client == 0 || options.max_idle == 0 {
            return;
        }
        let now = Instant::now();
        {
            let mut idle = lock(&self.0);
            while idle.len() >= options.per_client
                || idle.front().is_some_and(|i| now.duration_since(i.last_used) >= options.idle_timeout)
            {
                idle.pop_front();
                registry.idle.fetch_sub(1, Ordering::SeqCst);
            }
            idle.push_back(instance);
            registry.idle.fetch_add(1, Ordering::SeqCst);
        }
        registry.note(self);
        while registry.idle() > options.max_idle && registry.evict_one() {}
    }

    /// How many instances this client keeps idle.
    pub(crate) fn len(&self) -> usize {
        lock(&self.0).len()
    }
}
