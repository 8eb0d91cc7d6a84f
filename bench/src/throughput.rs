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
        let variants = [Variant::Pooling, Variant::Warm, Variant::P3Warm, Variant::PerCore, Variant::Native];
        let mut rows = Vec::new();
        for &callers in &sizes.callers {
            let each = sizes.throughput_calls.div_ceil(callers).max(2);
            let mut callers_of = Vec::new();
            for variant in variants {
                if variant == Variant::PerCore {
                    // Its clients are made on their threads, each round (`per_core_round`).
                    callers_of.push(Vec::new());
                    continue;
                }
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
                    let (wall, calls) = if variants[i] == Variant::PerCore {
                        let (host, base_url) = self.caller(Variant::Warm).host().context("a component caller")?;
                        let (host, base_url) = (host.clone(), base_url.to_string());
                        // Off the runtime's workers: the mock keeps both of them.
                        tokio::task::spawn_blocking(move || per_core_round(&host, &base_url, callers, each))
                            .await
                            .context("the per-core round panicked")??
                    } else {
                        round(list, each).await?
                    };
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

/// The same round on a thread per core: `callers` warm clients (their own tenants) split over
/// the machine's cores, each thread a current-thread runtime with its own
/// `Host::for_this_thread`, every call of a client on its thread. Each client's first call (its
/// instance) comes before the clock starts, as the other variants' warm-up round does.
fn per_core_round(
    host: &std::sync::Arc<litellm_host::Host>,
    base_url: &str,
    callers: usize,
    each: usize,
) -> anyhow::Result<(Duration, Vec<Duration>)> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(callers).max(1);
    let ready = std::sync::Arc::new(std::sync::Barrier::new(threads + 1));
    let go = std::sync::Arc::new(std::sync::Barrier::new(threads + 1));
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (host, base_url) = (host.for_this_thread(), base_url.to_string());
            let (ready, go) = (ready.clone(), go.clone());
            let mine: Vec<usize> = (0..callers).filter(|c| c % threads == t).collect();
            std::thread::spawn(move || -> anyhow::Result<Vec<Duration>> {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                let result = runtime.block_on(async {
                    let config = crate::caller::config_for(&base_url);
                    let clients: Vec<_> = mine
                        .iter()
                        .map(|c| {
                            host.warm(&crate::caller::tenant_for(&format!("per-core-{c}"), &base_url), config.clone())
                        })
                        .collect();
                    let warmed = async {
                        for client in &clients {
                            client.generate(crate::workload::component_request(MODEL_1KB)).await?;
                        }
                        anyhow::Ok(())
                    }
                    .await;
                    // Every thread meets the others at both barriers, whatever its warm-up gave.
                    ready.wait();
                    go.wait();
                    warmed?;
                    let calls = clients.iter().map(|client| async move {
                        let mut times = Vec::with_capacity(each);
                        for _ in 0..each {
                            let call = Instant::now();
                            let answer = client.generate(crate::workload::component_request(MODEL_1KB)).await?;
                            ensure!(answer.content.len() == 1024, "a short answer");
                            times.push(call.elapsed());
                        }
                        anyhow::Ok(times)
                    });
                    let mut times = Vec::new();
                    for done in futures::future::join_all(calls).await {
                        times.extend(done?);
                    }
                    anyhow::Ok(times)
                });
                // The clients' instances go with this thread's runtime.
                drop(runtime);
                result
            })
        })
        .collect();
    ready.wait();
    let started = Instant::now();
    go.wait();
    let mut times = Vec::with_capacity(callers * each);
    for worker in workers {
        times.extend(worker.join().map_err(|_| anyhow::anyhow!("a serving thread panicked"))??);
    }
    Ok((started.elapsed(), times))
}
