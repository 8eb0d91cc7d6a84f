//! `litellm-bench`: measures the `litellm-provider` component in the wasmtime host against a
//! native reqwest client doing the same work ([`native`]), all against one in-process
//! [`MockServer`]. `src/main.rs` runs it and writes `BENCHMARKS.md`; [`report`] renders the tables.
//!
//! Every latency is the median and p90 over N calls after a warm-up; the variants are measured in
//! interleaved blocks (a block of each in turn), so that load from elsewhere on the machine falls
//! on all of them alike.

pub mod native;
pub mod report;
pub mod stats;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context};
use litellm_host::{Config, Host, HostOptions, PoolingOptions, Request, StreamEvent, Tenant};
use litellm_mock::MockServer;
use litellm_provider::domain::{ChatRequest, Message, Role, StreamEvent as NativeEvent};
use native::NativeClient;
use stats::Stats;
use tokio::task::JoinSet;

/// The 1 KiB answer's model, as the caller names it (the prefix is stripped on the wire).
pub const MODEL_1KB: &str = "litellm:mock/big-1kb";
/// The 1 MiB answer's model.
pub const MODEL_1MB: &str = "litellm:mock/big-1mb";
/// A stream that sends one delta, then waits (up to 10 s): an instance that stays alive.
pub const MODEL_HELD_STREAM: &str = "litellm:mock/stream-gated";
/// The prompt of every call.
pub const PROMPT: &str = "Hello";

/// The streaming scenario with `n` content deltas.
pub fn stream_model(n: usize) -> String {
    format!("litellm:mock/stream-events-{n}")
}

/// How much to measure.
#[derive(Debug, Clone)]
pub struct Sizes {
    /// The name of the mode in the report (`full`, `quick`).
    pub mode: &'static str,
    /// Calls before each measurement, per variant.
    pub warmup: usize,
    /// End-to-end calls with a 1 KiB answer, per variant.
    pub e2e_1kb: usize,
    /// End-to-end calls with a 1 MiB answer, per variant.
    pub e2e_1mb: usize,
    /// Instantiations, per variant.
    pub instantiate: usize,
    /// Streams, per variant.
    pub streams: usize,
    /// Content deltas per stream.
    pub stream_events: usize,
    /// Concurrency levels of the throughput measurement.
    pub callers: Vec<usize>,
    /// Throughput rounds per level and variant.
    pub throughput_rounds: usize,
    /// Calls per throughput round (spread over the callers, at least 2 each).
    pub throughput_calls: usize,
    /// Streams held open at once for the memory measurement.
    pub live_instances: usize,
}

impl Sizes {
    /// The published figures.
    pub fn full() -> Self {
        Self {
            mode: "full",
            warmup: 100,
            e2e_1kb: 2000,
            e2e_1mb: 200,
            instantiate: 5000,
            streams: 200,
            stream_events: 500,
            callers: vec![1, 16, 64],
            throughput_rounds: 7,
            throughput_calls: 640,
            live_instances: 200,
        }
    }

    /// A smoke run for CI: every measurement, small counts, well under a minute.
    pub fn quick() -> Self {
        Self {
            mode: "quick",
            warmup: 5,
            e2e_1kb: 60,
            e2e_1mb: 6,
            instantiate: 200,
            streams: 6,
            stream_events: 500,
            callers: vec![1, 16, 64],
            throughput_rounds: 1,
            throughput_calls: 128,
            live_instances: 20,
        }
    }

    /// The least that still runs every code path (the test of this crate, in a debug build).
    pub fn tiny() -> Self {
        Self {
            mode: "tiny",
            warmup: 1,
            e2e_1kb: 3,
            e2e_1mb: 1,
            instantiate: 3,
            streams: 1,
            stream_events: 20,
            callers: vec![1, 4],
            throughput_rounds: 1,
            throughput_calls: 8,
            live_instances: 3,
        }
    }
}

/// The three ways a call is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The component, fresh instance per call, wasmtime's on-demand allocator.
    Default,
    /// The component, fresh instance per call, wasmtime's pooling allocator.
    Pooling,
    /// reqwest in the host process, client reused.
    Native,
}

impl Variant {
    /// The row label.
    pub fn label(self) -> &'static str {
        match self {
            Variant::Default => "component, default allocator",
            Variant::Pooling => "component, pooling",
            Variant::Native => "native reqwest (keep-alive)",
        }
    }

    /// The command-line name (for the memory probe's child process).
    pub fn name(self) -> &'static str {
        match self {
            Variant::Default => "default",
            Variant::Pooling => "pooling",
            Variant::Native => "native",
        }
    }

    /// The inverse of [`Variant::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        [Variant::Default, Variant::Pooling, Variant::Native].into_iter().find(|v| v.name() == name)
    }
}

/// Where the memory measurement runs.
#[derive(Debug, Clone)]
pub enum MemoryMode {
    /// In a fresh process per variant: this executable run with `--memory-probe VARIANT K`.
    Subprocess(PathBuf),
    /// In this process, one variant after the other (freed memory of one may serve the next).
    InProcess,
}

/// One row of latencies.
#[derive(Debug, Clone)]
pub struct LatencyRow {
    pub what: String,
    pub variant: Variant,
    pub stats: Stats,
}

/// One row of the throughput table.
#[derive(Debug, Clone)]
pub struct ThroughputRow {
    pub callers: usize,
    pub variant: Variant,
    /// Calls per second, one sample per round.
    pub rate: Stats,
    /// Every call's latency in those rounds.
    pub latency: Stats,
}

/// RSS before and after holding `live` instances (streams).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemoryFigure {
    pub live: usize,
    pub rss_before: u64,
    pub rss_after: u64,
}

impl MemoryFigure {
    /// RSS growth per live instance, in bytes.
    pub fn per_instance(&self) -> f64 {
        (self.rss_after as f64 - self.rss_before as f64) / self.live.max(1) as f64
    }
}

/// The component file's size, and what `wasm-tools strip` leaves of it.
#[derive(Debug, Clone)]
pub struct SizeFigure {
    pub path: String,
    pub bytes: u64,
    /// `wasm-tools strip` (keeps `name` and `component-type`).
    pub stripped: Option<u64>,
    /// `wasm-tools strip --all`.
    pub stripped_all: Option<u64>,
    /// Why there are no stripped sizes, when there are none.
    pub note: Option<String>,
}

/// The machine and the run.
#[derive(Debug, Clone)]
pub struct Machine {
    pub date: String,
    pub command: String,
    pub cpus: usize,
    pub cpu_model: String,
    pub kernel: String,
    /// The commit measured (`$BENCH_REVISION`, else `git describe --always --dirty`).
    pub revision: String,
    /// `RUST_BACKTRACE` / `RUST_LIB_BACKTRACE` as set for the run: when on, wasmtime captures a
    /// backtrace at every `Store` drop (`StoreFiber::dispose`), which shows in the figures.
    pub backtrace_env: String,
    pub load_before: String,
    pub load_after: String,
}

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

/// The mock, both hosts and the native client.
pub struct Bench {
    server: MockServer,
    default: Arc<Host>,
    pooling: Arc<Host>,
    native: NativeClient,
    tenant: Tenant,
    config: Config,
    setup: Vec<(String, Duration)>,
}

/// What one timed call does.
#[derive(Debug, Clone)]
enum Work {
    /// `generate` with this model; the answer's content must have this many bytes.
    Generate(&'static str, usize),
    /// `host.instantiate` alone.
    Instantiate,
    /// A stream with this many content deltas.
    Stream(usize),
}

/// One timed call: its total time (for a stream: to its last event), and for a stream the time to
/// its first event.
#[derive(Debug, Clone, Copy)]
struct Sample {
    total: Duration,
    first: Option<Duration>,
}

/// The tenant of the single-caller measurements, allowed the mock only.
pub fn tenant_for(name: &str, base_url: &str) -> Tenant {
    Tenant::new(name).allow_origin(base_url)
}

/// The contract's config pointing at the mock.
pub fn config_for(base_url: &str) -> Config {
    Config { base_url: Some(base_url.to_owned()), ..Config::default() }
}

/// The native side's request, equal to `Request::user(model, PROMPT)`.
pub fn native_request(model: &str) -> ChatRequest {
    ChatRequest { model: model.to_owned(), messages: vec![Message::text(Role::User, PROMPT)], ..ChatRequest::default() }
}

/// A pooling host sized for the measurements (live streams and concurrent callers).
pub fn pooling_options() -> HostOptions {
    HostOptions { pooling: Some(PoolingOptions::default()), ..HostOptions::default() }
}

fn host_for(variant: Variant) -> anyhow::Result<Host> {
    match variant {
        Variant::Default => Host::new(),
        Variant::Pooling => Host::with_options(pooling_options()),
        Variant::Native => bail!("the native variant has no host"),
    }
}

impl Bench {
    /// Starts the mock, compiles the component into both hosts, builds the native client.
    pub async fn start() -> anyhow::Result<Self> {
        let server = MockServer::start().await?;
        let base = server.base_url();
        let mut setup = Vec::new();
        let started = Instant::now();
        let default = Arc::new(host_for(Variant::Default)?);
        setup.push(("host, default allocator: engine, compile, link".to_owned(), started.elapsed()));
        let started = Instant::now();
        let pooling = Arc::new(host_for(Variant::Pooling)?);
        setup.push(("host, pooling: engine, pool, compile, link".to_owned(), started.elapsed()));
        Ok(Self {
            native: NativeClient::new(&base, "")?,
            tenant: tenant_for("bench", &base),
            config: config_for(&base),
            server,
            default,
            pooling,
            setup,
        })
    }

    fn host(&self, variant: Variant) -> &Arc<Host> {
        match variant {
            Variant::Pooling => &self.pooling,
            _ => &self.default,
        }
    }

    /// Checks that the component and the native client send the very same request bytes.
    pub async fn check_same_request(&self) -> anyhow::Result<()> {
        self.server.take_requests();
        for variant in [Variant::Default, Variant::Native] {
            self.once(variant, &Work::Generate(MODEL_1KB, 1024)).await?;
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

    async fn once(&self, variant: Variant, work: &Work) -> anyhow::Result<Sample> {
        let started = Instant::now();
        // A stream's times are taken as its events arrive, before it (and its instance) is dropped.
        let (first, last) = match (variant, work) {
            (Variant::Native, Work::Generate(model, len)) => {
                let answer = self.native.generate(&native_request(model)).await?;
                ensure!(answer.content.len() == *len, "a short answer");
                (None, None)
            }
            (_, Work::Generate(model, len)) => {
                let request = Request::user(*model, PROMPT);
                let answer = self.host(variant).generate(&self.tenant, self.config.clone(), request).await?;
                ensure!(answer.content.len() == *len, "a short answer");
                (None, None)
            }
            (Variant::Native, Work::Instantiate) => bail!("nothing to instantiate natively"),
            (_, Work::Instantiate) => {
                self.host(variant).instantiate(&self.tenant).await?;
                (None, None)
            }
            (Variant::Native, Work::Stream(n)) => {
                let mut stream = self.native.stream(&native_request(&stream_model(*n))).await?;
                let (mut first, mut texts) = (None, 0);
                let last = loop {
                    let event = stream.next().await.context("the stream ended early")??;
                    first.get_or_insert_with(|| started.elapsed());
                    match event {
                        NativeEvent::Text(_) => texts += 1,
                        NativeEvent::Finish { .. } => break started.elapsed(),
                        _ => {}
                    }
                };
                ensure!(texts == *n, "{texts} text events, not {n}");
                (first, Some(last))
            }
            (_, Work::Stream(n)) => {
                let request = Request::user(stream_model(*n), PROMPT);
                let mut stream = self.host(variant).stream(&self.tenant, self.config.clone(), request).await?;
                let (mut first, mut texts) = (None, 0);
                let last = loop {
                    let event = stream.next().await.context("the stream ended early")??;
                    first.get_or_insert_with(|| started.elapsed());
                    match event {
                        StreamEvent::Text(_) => texts += 1,
                        StreamEvent::Finish(_) => break started.elapsed(),
                        _ => {}
                    }
                };
                ensure!(texts == *n, "{texts} text events, not {n}");
                (first, Some(last))
            }
        };
        Ok(Sample { total: last.unwrap_or_else(|| started.elapsed()), first })
    }

    /// `n` timed calls per variant after `warmup` each, in interleaved blocks.
    async fn measure(
        &self,
        work: &Work,
        variants: &[Variant],
        n: usize,
        warmup: usize,
    ) -> anyhow::Result<Vec<Vec<Sample>>> {
        for &variant in variants {
            for _ in 0..warmup {
                self.once(variant, work).await?;
            }
        }
        let block = (n / 10).max(1);
        let mut samples = vec![Vec::with_capacity(n); variants.len()];
        let mut done = 0;
        while done < n {
            let this = block.min(n - done);
            for (i, &variant) in variants.iter().enumerate() {
                for _ in 0..this {
                    samples[i].push(self.once(variant, work).await?);
                }
            }
            done += this;
            // The mock records every request; keep that record from growing through the run.
            self.server.take_requests();
        }
        Ok(samples)
    }

    /// Latency rows: end-to-end, instantiation, streaming.
    pub async fn latencies(&self, sizes: &Sizes) -> anyhow::Result<Vec<LatencyRow>> {
        let all = [Variant::Default, Variant::Pooling, Variant::Native];
        let mut rows = Vec::new();
        let mut push = |what: &str, variants: &[Variant], samples: Vec<Vec<Sample>>, first| {
            for (&variant, samples) in variants.iter().zip(samples) {
                let values = samples.iter().map(|s| if first { s.first.unwrap_or(s.total) } else { s.total });
                rows.push(LatencyRow { what: what.to_owned(), variant, stats: Stats::of_durations(values) });
            }
        };
        let work = Work::Generate(MODEL_1KB, 1024);
        let samples = self.measure(&work, &all, sizes.e2e_1kb, sizes.warmup).await?;
        push("generate, 1 KiB answer", &all, samples, false);

        let work = Work::Generate(MODEL_1MB, 1 << 20);
        let warmup = (sizes.warmup / 10).max(1);
        let samples = self.measure(&work, &all, sizes.e2e_1mb, warmup).await?;
        push("generate, 1 MiB answer", &all, samples, false);

        let hosts = [Variant::Default, Variant::Pooling];
        let samples = self.measure(&Work::Instantiate, &hosts, sizes.instantiate, sizes.warmup).await?;
        push("instantiate only", &hosts, samples, false);

        let work = Work::Stream(sizes.stream_events);
        let warmup = (sizes.warmup / 10).max(1);
        let samples = self.measure(&work, &all, sizes.streams, warmup).await?;
        let what = format!("stream of {} events: first event", sizes.stream_events);
        push(&what, &all, samples.clone(), true);
        let what = format!("stream of {} events: last event", sizes.stream_events);
        push(&what, &all, samples, false);
        Ok(rows)
    }

    /// Throughput of `generate` (1 KiB) with several concurrent callers, each its own tenant
    /// (component) or its own client (native).
    pub async fn throughput(&self, sizes: &Sizes) -> anyhow::Result<Vec<ThroughputRow>> {
        let base = self.server.base_url();
        let variants = [Variant::Pooling, Variant::Native];
        let mut rows = Vec::new();
        for &callers in &sizes.callers {
            let each = sizes.throughput_calls.div_ceil(callers).max(2);
            let mut callers_of = Vec::new();
            for _ in variants {
                let mut list = Vec::with_capacity(callers);
                for c in 0..callers {
                    list.push(Caller {
                        tenant: tenant_for(&format!("caller-{c}"), &base),
                        native: NativeClient::new(&base, "")?,
                    });
                }
                callers_of.push(list);
            }
            let mut rates = vec![Vec::new(); variants.len()];
            let mut latencies = vec![Vec::new(); variants.len()];
            // Warm-up round: one call per caller (the native clients open their connections).
            for (i, &variant) in variants.iter().enumerate() {
                self.round(variant, &callers_of[i], 1).await?;
            }
            for _ in 0..sizes.throughput_rounds {
                for (i, &variant) in variants.iter().enumerate() {
                    let (wall, calls) = self.round(variant, &callers_of[i], each).await?;
                    rates[i].push((callers * each) as f64 / wall.as_secs_f64());
                    latencies[i].extend(calls);
                }
                self.server.take_requests();
            }
            for (i, &variant) in variants.iter().enumerate() {
                rows.push(ThroughputRow {
                    callers,
                    variant,
                    rate: Stats::of(rates[i].iter().copied()),
                    latency: Stats::of_durations(latencies[i].iter().copied()),
                });
            }
        }
        Ok(rows)
    }

    /// Every caller makes `each` calls one after the other; all callers at once.
    async fn round(
        &self,
        variant: Variant,
        callers: &[Caller],
        each: usize,
    ) -> anyhow::Result<(Duration, Vec<Duration>)> {
        let started = Instant::now();
        let mut tasks = JoinSet::new();
        for caller in callers {
            let host = self.pooling.clone();
            let config = self.config.clone();
            let caller = caller.clone();
            tasks.spawn(async move {
                let mut times = Vec::with_capacity(each);
                for _ in 0..each {
                    let call = Instant::now();
                    let content = if variant == Variant::Native {
                        caller.native.generate(&native_request(MODEL_1KB)).await?.content
                    } else {
                        let request = Request::user(MODEL_1KB, PROMPT);
                        host.generate(&caller.tenant, config.clone(), request).await?.content
                    };
                    ensure!(content.len() == 1024, "a short answer");
                    times.push(call.elapsed());
                }
                anyhow::Ok(times)
            });
        }
        let mut times = Vec::with_capacity(callers.len() * each);
        while let Some(done) = tasks.join_next().await {
            times.extend(done.context("a caller panicked")??);
        }
        Ok((started.elapsed(), times))
    }

    /// The setup times (engine and compilation) of both hosts.
    pub fn setup(&self) -> Vec<(String, Duration)> {
        self.setup.clone()
    }
}

#[derive(Clone)]
struct Caller {
    tenant: Tenant,
    native: NativeClient,
}

/// The resident set size of this process, from `/proc/self/status` (`VmRSS`), in bytes.
pub fn vm_rss() -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).context("no VmRSS line in /proc/self/status")?;
    let kib: u64 = line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).context("an unreadable VmRSS line")?;
    Ok(kib * 1024)
}

/// Holds `live` streams open at once (each a live instance, or for native a live connection of
/// one shared client), each past its first event, and measures this process's RSS growth.
/// The mock runs in this process too: its side of every connection is in every variant's figure.
pub async fn memory_probe(variant: Variant, live: usize) -> anyhow::Result<MemoryFigure> {
    let server = MockServer::start().await?;
    let base = server.base_url();
    let config = config_for(&base);
    let tenants: Vec<Tenant> = (0..live).map(|i| tenant_for(&format!("live-{i}"), &base)).collect();
    let mut streams = Vec::with_capacity(live);
    let mut native_streams = Vec::with_capacity(live);
    let figure = if variant == Variant::Native {
        let client = NativeClient::new(&base, "")?;
        let request = native_request(MODEL_HELD_STREAM);
        // Warm-up: the code paths, the runtime's and the allocator's first growth.
        for _ in 0..3 {
            let mut stream = client.stream(&request).await?;
            stream.next().await.context("no first event")??;
            drop(stream);
            client.generate(&native_request(MODEL_1KB)).await?;
        }
        let rss_before = vm_rss()?;
        for _ in 0..live {
            let mut stream = client.stream(&request).await?;
            match stream.next().await.context("no first event")?? {
                NativeEvent::Text(_) => {}
                other => bail!("the held stream began with {other:?}"),
            }
            native_streams.push(stream);
        }
        MemoryFigure { live, rss_before, rss_after: vm_rss()? }
    } else {
        let host = host_for(variant)?;
        let request = Request::user(MODEL_HELD_STREAM, PROMPT);
        let warm = tenant_for("warm", &base);
        for _ in 0..3 {
            let mut stream = host.stream(&warm, config.clone(), request.clone()).await?;
            stream.next().await.context("no first event")??;
            drop(stream);
            host.generate(&warm, config.clone(), Request::user(MODEL_1KB, PROMPT)).await?;
        }
        let rss_before = vm_rss()?;
        for tenant in &tenants {
            let mut stream = host.stream(tenant, config.clone(), request.clone()).await?;
            match stream.next().await.context("no first event")?? {
                StreamEvent::Text(_) => {}
                other => bail!("the held stream began with {other:?}"),
            }
            streams.push(stream);
        }
        MemoryFigure { live, rss_before, rss_after: vm_rss()? }
    };
    drop(streams);
    drop(native_streams);
    Ok(figure)
}

/// The memory figure of every variant, each in its own process when `mode` says so.
pub async fn memory(mode: &MemoryMode, live: usize) -> anyhow::Result<Vec<(Variant, MemoryFigure)>> {
    let mut out = Vec::new();
    for variant in [Variant::Default, Variant::Pooling, Variant::Native] {
        let figure = match mode {
            MemoryMode::InProcess => memory_probe(variant, live).await?,
            MemoryMode::Subprocess(exe) => {
                let output = tokio::process::Command::new(exe)
                    .args(["--memory-probe", variant.name(), &live.to_string()])
                    .output()
                    .await
                    .with_context(|| format!("running {}", exe.display()))?;
                ensure!(
                    output.status.success(),
                    "the memory probe failed: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
                parse_probe(&String::from_utf8_lossy(&output.stdout))?
            }
        };
        out.push((variant, figure));
    }
    Ok(out)
}

/// The probe's one line of output: `live rss_before rss_after`.
pub fn probe_line(figure: &MemoryFigure) -> String {
    format!("memory-probe {} {} {}", figure.live, figure.rss_before, figure.rss_after)
}

fn parse_probe(stdout: &str) -> anyhow::Result<MemoryFigure> {
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("memory-probe "))
        .ok_or_else(|| anyhow!("the memory probe printed no figure: {stdout:?}"))?;
    let numbers: Vec<u64> =
        line.split_whitespace().map(str::parse).collect::<Result<_, _>>().context("an unreadable memory-probe line")?;
    match numbers[..] {
        [live, rss_before, rss_after] => Ok(MemoryFigure { live: live as usize, rss_before, rss_after }),
        _ => bail!("an unreadable memory-probe line: {line:?}"),
    }
}

/// The component's size, and with `wasm-tools` (`$WASM_TOOLS` or on `PATH`) its stripped sizes.
pub fn component_size() -> anyhow::Result<SizeFigure> {
    let path = litellm_host::COMPONENT_PATH;
    let bytes = std::fs::metadata(path).with_context(|| format!("reading {path}"))?.len();
    let tool = std::env::var_os("WASM_TOOLS").unwrap_or_else(|| "wasm-tools".into());
    let strip = |all: bool| -> anyhow::Result<u64> {
        let out = std::env::temp_dir().join(format!("litellm-bench-stripped-{}-{all}.wasm", std::process::id()));
        let mut command = std::process::Command::new(&tool);
        command.arg("strip").arg(path).arg("-o").arg(&out);
        if all {
            command.arg("--all");
        }
        let status = command.status().context("running wasm-tools")?;
        ensure!(status.success(), "wasm-tools strip failed: {status}");
        let size = std::fs::metadata(&out)?.len();
        let _ = std::fs::remove_file(&out);
        Ok(size)
    };
    let (stripped, stripped_all, note) = match (strip(false), strip(true)) {
        (Ok(a), Ok(b)) => (Some(a), Some(b), None),
        (Err(e), _) | (_, Err(e)) => (None, None, Some(format!("{e:#}"))),
    };
    Ok(SizeFigure { path: path.to_owned(), bytes, stripped, stripped_all, note })
}

/// `date -u`, the CPU, the load: what the report says about the machine.
pub fn machine(command: &str) -> Machine {
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|k| k.trim().to_owned())
        .unwrap_or_else(|_| "unknown".to_owned());
    Machine {
        revision: revision(),
        backtrace_env: backtrace_env(),
        date,
        command: command.to_owned(),
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu_model,
        kernel,
        load_before: load(),
        load_after: String::new(),
    }
}

/// The commit measured: `$BENCH_REVISION` (for a copy without `.git`), else `git describe`.
pub fn revision() -> String {
    if let Ok(revision) = std::env::var("BENCH_REVISION") {
        return revision;
    }
    std::process::Command::new("git")
        .args(["-C", concat!(env!("CARGO_MANIFEST_DIR"), "/.."), "describe", "--always", "--dirty"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// `RUST_BACKTRACE` and `RUST_LIB_BACKTRACE` as this process sees them.
pub fn backtrace_env() -> String {
    let set: Vec<String> = ["RUST_BACKTRACE", "RUST_LIB_BACKTRACE"]
        .iter()
        .filter_map(|name| std::env::var(name).ok().map(|v| format!("{name}={v}")))
        .collect();
    if set.is_empty() {
        "RUST_BACKTRACE and RUST_LIB_BACKTRACE unset".to_owned()
    } else {
        format!("{} (wasmtime then captures a backtrace at every Store drop)", set.join(", "))
    }
}

/// The 1, 5 and 15 minute load averages.
pub fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_owned())
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
    drop(bench);
    let memory = memory(&memory_mode, sizes.live_instances).await?;
    machine.load_after = load();
    Ok(Results {
        memory_mode: match memory_mode {
            MemoryMode::Subprocess(_) => "a fresh process per variant",
            MemoryMode::InProcess => "one process, variants in turn",
        },
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

/// `n` end-to-end calls with `model` (e.g. [`MODEL_1KB`]) and nothing else: the loop to profile.
/// `cache_dir` keeps the component's compilation out of the profile after a first run.
pub async fn profile_loop(variant: Variant, model: &str, n: usize, cache_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let server = MockServer::start().await?;
    let base = server.base_url();
    let mut options = if variant == Variant::Pooling { pooling_options() } else { HostOptions::default() };
    options.cache_dir = cache_dir;
    let host = Host::with_options(options)?;
    let native = NativeClient::new(&base, "")?;
    let tenant = tenant_for("profile", &base);
    let config = config_for(&base);
    for i in 0..n {
        let content = if variant == Variant::Native {
            native.generate(&native_request(model)).await?.content
        } else {
            host.generate(&tenant, config.clone(), Request::user(model, PROMPT)).await?.content
        };
        ensure!(!content.is_empty(), "an empty answer");
        if i % 1000 == 999 {
            server.take_requests();
        }
    }
    Ok(())
}
