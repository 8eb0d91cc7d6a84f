//! Counting the calls between the guests and the host (feature `crossings`), for measurement:
//! how many WASI functions a call makes, and how many times the host enters the guest. wasmtime's
//! call hook runs on every crossing of every store that has it.

use std::sync::atomic::{AtomicU64, Ordering};
use wasmtime::{CallHook, Store};

/// The calls between the guests and the host counted so far ([`crate::Host::crossings`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Crossings {
    /// Calls from a guest into a host function (every WASI function the guest calls).
    pub into_host: u64,
    /// Calls from the host into a guest export (e.g. `open`, `generate`, `next-batch`, and the
    /// resource drops).
    pub into_guest: u64,
}

impl std::ops::Sub for Crossings {
    type Output = Crossings;

    fn sub(self, earlier: Crossings) -> Crossings {
        Crossings { into_host: self.into_host - earlier.into_host, into_guest: self.into_guest - earlier.into_guest }
    }
}

/// The counters every store of a host adds to.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    into_host: AtomicU64,
    into_guest: AtomicU64,
}

impl Counters {
    pub(crate) fn read(&self) -> Crossings {
        Crossings {
            into_host: self.into_host.load(Ordering::Relaxed),
            into_guest: self.into_guest.load(Ordering::Relaxed),
        }
    }

    /// Counts `store`'s crossings from now on.
    pub(crate) fn install<T: 'static>(self: &std::sync::Arc<Self>, store: &mut Store<T>) {
        let counters = self.clone();
        store.call_hook(move |_, hook| {
            match hook {
                CallHook::CallingHost => counters.into_host.fetch_add(1, Ordering::Relaxed),
                CallHook::CallingWasm => counters.into_guest.fetch_add(1, Ordering::Relaxed),
                CallHook::ReturningFromHost | CallHook::ReturningFromWasm => 0,
            };
            Ok(())
        });
    }
}
