//! `litellm-bench`: measures the `litellm-provider` component in the wasmtime host against a
//! native reqwest client doing the same work ([`native`]), all against one in-process
//! [`MockServer`]. `src/main.rs` runs it and writes `BENCHMARKS.md`; [`report`] renders the tables.
//!
//! Every call goes through a [`Caller`] (native or component); each measurement is a module of
//! its own: [`latency`], [`throughput`], [`memory`], [`size`], with [`machine`] describing the run.
//! Every latency is the median and p90 over N calls after a warm-up.

pub mod caller;
pub mod latency;
pub mod machine;
pub mod memory;
pub mod native;
pub mod profile;
pub mod report;
pub mod size;
pub mod sizes;
pub mod stats;
pub mod throughput;
pub mod workload;

use std::time::{Duration, Instant};

use anyhow::ensure;
use litellm_mock::MockServer;

pub use caller::{config_for, pooling_options, tenant_for, Caller, CallerStream, Event, StreamTimes, Variant};
pub use latency::LatencyRow;
pub use machine::{backtrace_env, load, machine, revision, Machine};
pub use memory::{memory, memory_probe, probe_line, vm_rss, MemoryFigure, MemoryMode};
pub use profile::profile_loop;
pub use size::{component_size, SizeFigure};
pub use sizes::Sizes;
pub use throughput::ThroughputRow;
pub use workload::{native_request, stream_model, MODEL_1KB, MODEL_1MB, MODEL_HELD_STREAM, PROMPT};

/// Everything one run measured.
#[derive(Debug, Clone)]
pub struct Results {
    pub sizes: Sizes,
    pub machine: Machine,
    /// Compiling the component and setting up each host, once.
    pub setup: Vec<(String, Duration)>,
    pub latency: Vec<LatencyRow>,
    pub throughput: Vec<ThroughputRow>,
    pub memory: Vec<(Variant, MemoryFigure)>,
    pub memory_mode: &'static str,
    pub size: SizeFigure,
    pub elapsed: Duration,
}

/// The mock and one caller per variant (both hosts and the native client).
pub struct Bench {
    server: MockServer,
    default: Caller,
    pooling: Caller,
    native: Caller,
    setup: Vec<(String, Duration)>,
}

impl Bench {
    /// Starts the mock, compiles the component into both hosts, builds the native client.
    pub async fn start() -> anyhow::Result<Self> {
        let server = MockServer::start().await?;
        let base = server.base_url();
        let mut setup = Vec::new();
        let started = Instant::now();
        let default = Caller::start(Variant::Default, &base, "bench", None)?;
        setup.push(("host, default allocator: engine, compile, link".to_owned(), started.elapsed()));
        let started = Instant::now();
        let pooling = Caller::start(Variant::Pooling, &base, "bench", None)?;
        setup.push(("host, pooling: engine, pool, compile, link".to_owned(), started.elapsed()));
        let native = Caller::start(Variant::Native, &base, "bench", None)?;
        Ok(Self { server, default, pooling, native, setup })
    }

    /// The caller of the single-caller measurements for `variant`.
    pub fn caller(&self, variant: Variant) -> &Caller {
        match variant {
            Variant::Default => &self.default,
            Variant::Pooling => &self.pooling,
            Variant::Native => &self.native,
        }
    }

    /// Checks that the component and the native client send the very same request bytes.
    pub async fn check_same_request(&self) -> anyhow::Result<()> {
        self.server.take_requests();
        for variant in [Variant::Default, Variant::Native] {
            let content = self.caller(variant).generate(MODEL_1KB).await?;
            ensure!(content.len() == 1024, "a short answer");
        }
        let seen = self.server.take_requests();
        ensure!(seen.len() == 2, "expected 2 requests, the mock saw {}", seen.len());
        ensure!(
            seen[0].raw_body == seen[1].raw_body && seen[0].path == seen[1].path,
            "the component and the native client sent different requests: {:?} vs {:?}",
            String::from_utf8_lossy(&seen[0].raw_body),
            String::from_utf8_lossy(&seen[1].raw_body)
        );
        Ok(())
    }

    /// The setup times (engine and compilation) of both hosts.
    pub fn setup(&self) -> Vec<(String, Duration)> {
        self.setup.clone()
    }
}

/// Runs every measurement.
pub async fn run(sizes: Sizes, command: &str, memory_mode: MemoryMode) -> anyhow::Result<Results> {
    let started = Instant::now();
    let mut machine = machine(command);
    let bench = Bench::start().await?;
    bench.check_same_request().await?;
    let latency = bench.latencies(&sizes).await?;
    let throughput = bench.throughput(&sizes).await?;
    let setup = bench.setup();
    // In the in-process memory mode the probe reads this process's RSS: the hosts must be gone.
    drop(bench);
    let memory = memory(&memory_mode, sizes.live_instances).await?;
    machine.load_after = load();
    Ok(Results {
        memory_mode: memory_mode.describe(),
        size: component_size()?,
        sizes,
        machine,
        setup,
        latency,
        throughput,
        memory,
        elapsed: started.elapsed(),
    })
}
