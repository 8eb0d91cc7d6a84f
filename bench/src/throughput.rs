//! The throughput rows: `generate` (1 KiB) at several numbers of concurrent callers, each caller
//! its own tenant (component, pooling) or its own client (native).

use std::time::{Duration, Instant};

use anyhow::{ensure, Context};
use tokio::task::JoinSet;

use crate::caller::{Caller, Variant};
use crate::stats::Stats;
use crate::workload::MODEL_1KB;
use crate::{Bench, Counts};

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

impl Bench {
    /// Throughput of `generate` (1 KiB) with several concurrent callers.
    pub async fn throughput(&self, sizes: &Counts) -> anyhow::Result<Vec<ThroughputRow>> {
        let variants = [Variant::Pooling, Variant::Warm, Variant::Native];
        let mut rows = Vec::new();
        for &callers in &sizes.callers {
            let each = sizes.throughput_calls.div_ceil(callers).max(2);
            let mut callers_of = Vec::new();
            for variant in variants {
                let base = self.caller(variant);
                let list = (0..callers).map(|c| base.fresh(&format!("caller-{c}"))).collect::<anyhow::Result<Vec<_>>>();
                callers_of.push(list?);
            }
            let mut rates = vec![Vec::new(); variants.len()];
            let mut latencies = vec![Vec::new(); variants.len()];
            // Warm-up round: one call per caller (the native clients open their connections).
            for list in &callers_of {
                round(list, 1).await?;
            }
            for _ in 0..sizes.throughput_rounds {
                for (i, list) in callers_of.iter().enumerate() {
                    let (wall, calls) = round(list, each).await?;
                    rates[i].push((callers * each) as f64 / wall.as_secs_f64());
                    latencies[i].extend(calls);
                }
                self.forget_requests();
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
}

/// Every caller makes `each` calls one after the other; all callers at once. The wall time of the
/// round, and every call's time.
async fn round(callers: &[Caller], each: usize) -> anyhow::Result<(Duration, Vec<Duration>)> {
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for caller in callers {
        let caller = caller.clone();
        tasks.spawn(async move {
            let mut times = Vec::with_capacity(each);
            for _ in 0..each {
                let call = Instant::now();
                let content = caller.generate(MODEL_1KB).await?;
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
