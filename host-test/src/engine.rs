//! The engine, the compiled component (with its optional on-disk cache) and the epoch ticker
//! that CPU deadlines count in.

use anyhow::Context;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;
use std::time::Duration;
use wasmtime::component::Component;
use wasmtime::{Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch ticks; CPU deadlines are counted in these ticks.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Per instance of the component: its core instances, memories and tables (with room to spare).
const CORE_INSTANCES_PER_COMPONENT: u32 = 16;
const MEMORIES_PER_COMPONENT: u32 = 2;
const TABLES_PER_COMPONENT: u32 = 4;

/// The pooling allocator's size: instances are taken from pre-reserved slots, which makes a fresh
/// instance several times cheaper to stand up.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PoolingOptions {
    /// The most instances alive at once (live calls and open streams, all tenants together).
    pub max_instances: u32,
    /// The largest linear memory an instance may grow to, in bytes.
    pub max_memory_bytes: usize,
    /// How much of a freed slot's linear memory and tables is reset with `memset` and kept
    /// resident instead of being handed back to the kernel (`madvise`), per slot: the next
    /// instance in that slot then takes no page faults there.
    pub keep_resident_bytes: usize,
}

impl Default for PoolingOptions {
    fn default() -> Self {
        // 1 MiB: measured to take the fresh 1 KiB call from 158 to 138 µs (bench, same run
        // conditions); the component's initial memory is well under it.
        Self { max_instances: 1000, max_memory_bytes: crate::DEFAULT_MEMORY_LIMIT, keep_resident_bytes: 1 << 20 }
    }
}

/// An engine with epoch interruption, and with the pooling allocator when asked. Without
/// `concurrency`, stores carry none of wasmtime's support for the component model's concurrency
/// (async) features, which the 0.2 component does not use (see `HostOptions::concurrency_support`);
/// `async_abi` validates the 0.3 component's async exports, streams and futures.
pub(crate) fn engine(pooling: Option<&PoolingOptions>, concurrency: bool, async_abi: bool) -> anyhow::Result<Engine> {
    let mut config = wasmtime::Config::new();
    config.epoch_interruption(true);
    config.concurrency_support(concurrency);
    config.wasm_component_model_async(async_abi);
    if let Some(pooling) = pooling {
        let n = pooling.max_instances;
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(n)
            .total_core_instances(n.saturating_mul(CORE_INSTANCES_PER_COMPONENT))
            .total_memories(n.saturating_mul(MEMORIES_PER_COMPONENT))
            .total_tables(n.saturating_mul(TABLES_PER_COMPONENT))
            .total_stacks(n)
            .max_core_instances_per_component(CORE_INSTANCES_PER_COMPONENT)
            .max_memories_per_component(MEMORIES_PER_COMPONENT)
            .max_tables_per_component(TABLES_PER_COMPONENT)
            .max_memory_size(pooling.max_memory_bytes)
            .linear_memory_keep_resident(pooling.keep_resident_bytes)
            .table_keep_resident(pooling.keep_resident_bytes);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    Engine::new(&config).map_err(anyhow_of)
}

/// The component at `path`, compiled, or loaded from `cache_dir` when it was compiled before for
/// this component and engine; the flag says which.
pub(crate) fn load_component(
    engine: &Engine,
    path: &Path,
    cache_dir: Option<&Path>,
) -> anyhow::Result<(Component, bool)> {
    let bytes = std::fs::read(path).with_context(|| format!("reading the component {}", path.display()))?;
    let compile = || Component::new(engine, &bytes).map_err(|e| anyhow::anyhow!("compiling {}: {e:?}", path.display()));
    let Some(dir) = cache_dir else {
        return Ok((compile()?, false));
    };
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let cached = dir.join(format!("litellm-provider-{:016x}.cwasm", hasher.finish()));
    if cached.exists() {
        // SAFETY: the file was written by `Component::serialize` below for this very engine
        // configuration and component (both are in its name), in a directory only the host writes.
        if let Ok(component) = unsafe { Component::deserialize_file(engine, &cached) } {
            return Ok((component, true));
        }
    }
    let component = compile()?;
    let serialized = component.serialize().map_err(anyhow_of)?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let partial = cached.with_extension(format!("partial-{}", std::process::id()));
    std::fs::write(&partial, serialized).with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, &cached).with_context(|| format!("writing {}", cached.display()))?;
    Ok((component, false))
}

/// wasmtime 48's error as `anyhow`'s (they are different types).
pub(crate) fn anyhow_of(error: wasmtime::Error) -> anyhow::Error {
    anyhow::anyhow!("{error:?}")
}

/// A deadline as epoch ticks (at least one).
pub(crate) fn deadline_ticks(deadline: Duration) -> u64 {
    (deadline.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64
}

/// Advances the engine's epoch until the engine is dropped.
pub(crate) fn spawn_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("litellm-host-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawning the epoch thread");
}
