//! How much each measurement runs: the published counts, CI's smoke counts, and the least that
//! still runs every code path.

/// How much to measure.
#[derive(Debug, Clone)]
pub struct Counts {
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
    /// The decomposition's CPU measurement: blocks per variant, and calls per block.
    pub cpu_blocks: usize,
    pub cpu_per_block: usize,
    /// Calls (or streams) per kind for the count of crossings.
    pub crossing_calls: usize,
    /// The two lengths of the profile loop under `strace` (`None`: no system call rows).
    pub strace_calls: Option<(usize, usize)>,
    /// Rounds of the native JSON work.
    pub json_rounds: usize,
}

impl Counts {
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
            cpu_blocks: 10,
            cpu_per_block: 300,
            crossing_calls: 50,
            strace_calls: Some((1000, 4000)),
            json_rounds: 20000,
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
            cpu_blocks: 2,
            cpu_per_block: 50,
            crossing_calls: 5,
            strace_calls: None,
            json_rounds: 1000,
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
            cpu_blocks: 1,
            cpu_per_block: 3,
            crossing_calls: 1,
            strace_calls: None,
            json_rounds: 10,
        }
    }
}
