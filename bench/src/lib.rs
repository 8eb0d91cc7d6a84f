//! `litellm-bench`: measures the `litellm-provider` component in the wasmtime host against a
//! native reqwest client doing the same work ([`native`]), all against one in-process
//! [`MockServer`]. `src/main.rs` runs it and writes `BENCHMARKS.md`; [`report`] renders the tables.
//!
//! Every call goes through a [`Caller`] (native or component); each measurement is a module of
//! its own: [`latency`], [`throughput`], [`memory`], [`size`], with [`machine`] describing the run.
//! Every latency is the median and p90 over N calls after a warm-up.

pub mod caller;
pub mod counts;
pub mod decompose;
pub mod latency;
pub mod machine;
pub mod memory;
pub mod native;
pub mod options;
pub mod profile;
pub mod report;
pub mod seed;
pub mod size;
pub mod stats;
pub mod throughput;
pub mod variant;
pub mod workload;

use std::time::{Duration, Instant};

use std::sync::Arc;

use anyhow::{ensure, Context};
use litellm_host::{CaBundle, Host};
use litellm_mock::{MockServer, TlsOptions};

pub use caller::{
    component_file, config_for, default_options, pooling_options, tenant_for, Caller, CallerStream, Event, StreamTimes,
    Variant,
};
pub use counts::Counts;
pub use latency::LatencyRow;
pub use machine::{backtrace_env, load, machine, revision, Machine};
pub use memory::{idle_memory, memory, memory_probe, probe_line, vm_rss, MemoryFigure, MemoryMode};
pub use profile::profile_loop;
pub use size::{component_size, SizeFigure};
pub use throughput::ThroughputRow;
pub use workload::{native_request, stream_model, MODEL_1KB, MODEL_1MB, MODEL_HELD_STREAM, PROMPT};

/// Everything one run measured.
#[derive(Debug, Clone)]
pub struct Results {
    pub sizes: Counts,
    pub machine: Machine,
    /// Compiling the component and setting up each host, once.
    pub setup: Vec<(String, Duration)>,
    pub latency: Vec<LatencyRow>,
    pub throughput: Vec<ThroughputRow>,
    pub memory: Vec<(Variant, MemoryFigure)>,
    /// Where a call's extra cost goes.
    pub decomposition: decompose::Decomposition,
    pub memory_mode: &'static str,
    pub size: SizeFigure,
    pub elapsed: Duration,
}

/// The mocks (plain and TLS) and one caller per variant.
pub struct Bench {
    server: MockServer,
    tls_server: MockServer,
    callers: Vec<(Variant, Caller)>,
    setup: Vec<(String, Duration)>,
}

impl Bench {
    /// Starts the mock, compiles the component into both hosts, builds the native client.
    pub async fn start() -> anyhow::Result<Self> {
        let server = MockServer::start().await?;
        let tls_server = MockServer::start_tls(TlsOptions::default()).await?;
        let (base, tls_base) = (server.base_url(), tls_server.base_url());
        let ca_pem = tls_server.ca_pem().unwrap_or_default().to_string();
        let ca = CaBundle::from_pem(ca_pem.as_bytes())?;
        let mut setup = Vec::new();
        let started = Instant::now();
        let default = Arc::new(Host::with_options(default_options())?);
        setup.push(("host, default allocator: engine, compile, link".to_owned(), started.elapsed()));
        let started = Instant::now();
        let pooling = Arc::new(Host::with_options(pooling_options())?);
        setup.push(("host, pooling: engine, pool, compile, link".to_owned(), started.elapsed()));
        let floor = Arc::new(Host::with_options(Variant::Floor.host_options().expect("a component variant"))?);
        let metered = Arc::new(Host::with_options(Variant::Metered.host_options().expect("a component variant"))?);
        let started = Instant::now();
        let p3 = Arc::new(Host::with_options(Variant::P3Pooling.host_options().expect("a component variant"))?);
        setup.push(("host, pooling, WASI 0.3 component: engine, pool, compile, link".to_owned(), started.elapsed()));
        let callers = vec![
            (Variant::Default, Caller::component(default, "bench", &base, false, None)),
            (Variant::Pooling, Caller::component(pooling.clone(), "bench", &base, false, None)),
            (Variant::Warm, Caller::component(pooling.clone(), "bench-warm", &base, true, None)),
            (Variant::P3Pooling, Caller::component(p3.clone(), "bench-p3", &base, false, None)),
            (Variant::P3Warm, Caller::component(p3, "bench-p3-warm", &base, true, None)),
            (Variant::Metered, Caller::metered(metered, "bench-metered", &base)),
            (Variant::Native, Caller::native(&base, None)?),
            (Variant::Floor, Caller::floor(floor, "bench-floor", &base)?),
            (
                Variant::HttpsPooling,
                Caller::component(pooling.clone(), "bench-tls", &tls_base, false, Some(ca.clone())),
            ),
            (Variant::HttpsWarm, Caller::component(pooling, "bench-tls-warm", &tls_base, true, Some(ca))),
            (Variant::HttpsNative, Caller::native(&tls_base, Some(&ca_pem))?),
        ];
        Ok(Self { server, tls_server, callers, setup })
    }

    /// The caller of the single-caller measurements for `variant`.
    pub fn caller(&self, variant: Variant) -> &Caller {
        let found = self.callers.iter().find(|(v, _)| *v == variant);
        &found.expect("Bench::start makes a caller for every variant").1
    }

    /// Forgets the requests both mocks recorded, so that their record does not grow through a run.
    pub fn forget_requests(&self) {
        self.server.take_requests();
        self.tls_server.take_requests();
    }

    /// Checks that the component, the native client and the WASI HTTP floor send the very same
    /// request bytes to the same path; the sizes of what one such call moves across the boundary.
    pub async fn check_same_request(&self) -> anyhow::Result<decompose::BoundaryBytes> {
        self.server.take_requests();
        let mut content = 0;
        for variant in [Variant::Default, Variant::Native] {
            content = self.caller(variant).generate(MODEL_1KB).await?.len();
            ensure!(content == 1024, "a short answer");
        }
        // The floor answers with the length of the body it read and dropped.
        let read = self.caller(Variant::Floor).generate(MODEL_1KB).await?;
        let answer_body = read.parse::<usize>().ok().filter(|n| *n > 1024);
        let answer_body = answer_body.with_context(|| format!("the floor read {read:?} bytes"))?;
        let seen = self.server.take_requests();
        ensure!(seen.len() == 3, "expected 3 requests, the mock saw {}", seen.len());
        for (other, who) in [(&seen[1], "the native client"), (&seen[2], "the floor")] {
            ensure!(
                seen[0].raw_body == other.raw_body && seen[0].path == other.path,
                "the component and {who} sent different requests: {:?} vs {:?}",
                String::from_utf8_lossy(&seen[0].raw_body),
                String::from_utf8_lossy(&other.raw_body)
            );
        }
        let prompt = workload::PROMPT.len();
        Ok(decompose::BoundaryBytes { prompt, request_body: seen[0].raw_body.len(), answer_body, content })
    }

    /// The setup times (engine and compilation) of both hosts.
    pub fn setup(&self) -> Vec<(String, Duration)> {
        self.setup.clone()
    }
}

/// Runs every measurement.
pub async fn run(sizes: Counts, command: &str, memory_mode: MemoryMode) -> anyhow::Result<Results> {
    let started = Instant::now();
    let mut machine = machine(command);
    let bench = Bench::start().await?;
    let boundary = bench.check_same_request().await?;
    let mut latency = bench.latencies(&sizes).await?;
    // The seed's rows need a release build of a GPL example: the full run only.
    if sizes.mode == "full" {
        latency.extend(seed::rows(&bench.server.base_url(), &sizes)?);
    }
    let throughput = bench.throughput(&sizes).await?;
    let decomposition = decompose::Decomposition {
        cpu: bench.cpu_per_call(sizes.cpu_blocks, sizes.cpu_per_block).await?,
        crossings: bench.crossings(sizes.crossing_calls).await?,
        syscalls: match (sizes.strace_calls, &memory_mode) {
            (Some((short, long)), MemoryMode::Subprocess(exe)) => {
                let cache = std::env::temp_dir().join("litellm-bench-strace-cache");
                std::fs::create_dir_all(&cache)?;
                decompose::syscalls(exe, &cache, short, long)
            }
            _ => Err(format!("not measured in the {} mode", sizes.mode)),
        },
        json: decompose::json_natively(&bench.server.base_url(), sizes.json_rounds).await?,
        boundary,
    };
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
        decomposition,
        elapsed: started.elapsed(),
    })
}
