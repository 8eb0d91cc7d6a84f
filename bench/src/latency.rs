//! The latency rows: `generate` end to end (1 KiB and 1 MiB answers), instantiation alone, and a
//! stream's first and last event.
//!
//! The variants are measured in interleaved blocks (a block of each in turn), so that load from
//! elsewhere on the machine falls on all of them alike.

use std::time::{Duration, Instant};

use anyhow::ensure;

use crate::caller::{Caller, Variant};
use crate::stats::Stats;
use crate::workload::{stream_model, MODEL_1KB, MODEL_1MB};
use crate::{Bench, Counts};

/// One row of latencies.
#[derive(Debug, Clone)]
pub struct LatencyRow {
    pub what: String,
    pub variant: Variant,
    pub stats: Stats,
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

async fn once(caller: &Caller, work: &Work) -> anyhow::Result<Sample> {
    let started = Instant::now();
    match work {
        Work::Generate(model, len) => {
            let content = caller.generate(model).await?;
            ensure!(content.len() == *len, "a short answer");
        }
        Work::Instantiate => caller.instantiate().await?,
        Work::Stream(n) => {
            let times = caller.timed_stream(&stream_model(*n), *n).await?;
            return Ok(Sample { total: times.last, first: Some(times.first) });
        }
    }
    Ok(Sample { total: started.elapsed(), first: None })
}

impl Bench {
    /// Latency rows: end-to-end, instantiation, streaming.
    pub async fn latencies(&self, sizes: &Counts) -> anyhow::Result<Vec<LatencyRow>> {
        let all = Variant::ALL;
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

        // A 1 MiB call or a whole stream is long enough that a tenth of the warm-up will do.
        let long_warmup = (sizes.warmup / 10).max(1);
        let work = Work::Generate(MODEL_1MB, 1 << 20);
        let samples = self.measure(&work, &all, sizes.e2e_1mb, long_warmup).await?;
        push("generate, 1 MiB answer", &all, samples, false);

        let hosts = [Variant::Default, Variant::Pooling];
        let samples = self.measure(&Work::Instantiate, &hosts, sizes.instantiate, sizes.warmup).await?;
        push("instantiate only", &hosts, samples, false);

        let work = Work::Stream(sizes.stream_events);
        let samples = self.measure(&work, &all, sizes.streams, long_warmup).await?;
        let what = format!("stream of {} events: first event", sizes.stream_events);
        push(&what, &all, samples.clone(), true);
        let what = format!("stream of {} events: last event", sizes.stream_events);
        push(&what, &all, samples, false);
        Ok(rows)
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
                once(self.caller(variant), work).await?;
            }
        }
        let block = (n / 10).max(1);
        let mut samples = vec![Vec::with_capacity(n); variants.len()];
        let mut done = 0;
        while done < n {
            let this = block.min(n - done);
            for (i, &variant) in variants.iter().enumerate() {
                for _ in 0..this {
                    samples[i].push(once(self.caller(variant), work).await?);
                }
            }
            done += this;
            // The mock records every request; keep that record from growing through the run.
            self.forget_requests();
        }
        Ok(samples)
    }
}
