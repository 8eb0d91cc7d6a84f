//! Memory per live instance: RSS growth while K streams are held open, each variant measured in
//! a fresh process of its own (`--memory-probe`) unless the run says otherwise.

use std::path::PathBuf;

use anyhow::{anyhow, bail, ensure, Context};
use litellm_mock::MockServer;

use crate::caller::{Caller, Variant};
use crate::workload::{MODEL_1KB, MODEL_HELD_STREAM};

/// Where the memory measurement runs.
#[derive(Debug, Clone)]
pub enum MemoryMode {
    /// In a fresh process per variant: this executable run with `--memory-probe VARIANT K`.
    Subprocess(PathBuf),
    /// In this process, one variant after the other (freed memory of one may serve the next).
    InProcess,
}

impl MemoryMode {
    /// How the report names it.
    pub fn describe(&self) -> &'static str {
        match self {
            MemoryMode::Subprocess(_) => "a fresh process per variant",
            MemoryMode::InProcess => "one process, variants in turn",
        }
    }
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

/// RSS of a host whose `clients` warm clients (one tenant each) have each had a 7 MiB answer:
/// every instance grew its heap for it, and idle instances keep what they grew, up to the host's
/// [`WarmOptions::max_idle_memory_bytes`](litellm_host::WarmOptions). Prints the figure.
pub async fn idle_memory(clients: usize) -> anyhow::Result<()> {
    use litellm_host::{Config, Host, Request, Tenant};
    let server = MockServer::start().await?;
    let host = Host::new()?;
    let config = Config::default().base_url(server.base_url()).max_retries(0);
    let rss_before = vm_rss()?;
    let mut kept = Vec::with_capacity(clients);
    for i in 0..clients {
        let tenant = Tenant::new(format!("idle-{i}")).allow_origin(&server.base_url());
        let client = host.warm(&tenant, config.clone());
        let answer = client.generate(Request::user("litellm:mock/big-7mb", "x")).await?;
        ensure!(answer.content.len() == 7 << 20, "a 7 MiB answer, not {}", answer.content.len());
        kept.push(client);
    }
    let rss_after = vm_rss()?;
    println!(
        "idle memory: {clients} warm clients after a 7 MiB answer each: {} idle instances keep {} MiB of linear memory \
         (cap {} MiB); process RSS {} MiB -> {} MiB (`cargo run -p litellm-bench --release -- --idle-memory {clients}`)",
        host.idle_instances(),
        host.idle_memory_bytes() >> 20,
        litellm_host::WarmOptions::default().max_idle_memory_bytes >> 20,
        rss_before >> 20,
        rss_after >> 20,
    );
    Ok(())
}

/// The resident set size of this process, from `/proc/self/status` (`VmRSS`), in bytes.
pub fn vm_rss() -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).context("no VmRSS line in /proc/self/status")?;
    let kib: u64 = line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).context("an unreadable VmRSS line")?;
    Ok(kib * 1024)
}

/// Holds `live` streams open at once (each a live instance of its own tenant, or for native a live
/// connection of one shared client), each past its first event, and measures this process's RSS
/// growth. The mock runs in this process too: its side of every connection is in every variant's
/// figure.
pub async fn memory_probe(variant: Variant, live: usize) -> anyhow::Result<MemoryFigure> {
    let server = MockServer::start().await?;
    let warm = Caller::start(variant, &server.base_url(), "warm", None)?;
    // Made before the first reading, so that only the streams are in the growth.
    let holders: Vec<Caller> = (0..live).map(|i| warm.with_tenant(&format!("live-{i}"))).collect();
    let mut streams = Vec::with_capacity(live);
    // Warm-up: the code paths, the runtime's and the allocator's first growth.
    for _ in 0..3 {
        let mut stream = warm.stream(MODEL_HELD_STREAM).await?;
        stream.next().await.context("no first event")??;
        drop(stream);
        warm.generate(MODEL_1KB).await?;
    }
    let rss_before = vm_rss()?;
    for holder in &holders {
        let mut stream = holder.stream(MODEL_HELD_STREAM).await?;
        let first = stream.next().await.context("no first event")??;
        ensure!(first.is_text(), "the held stream began with {first:?}");
        streams.push(stream);
    }
    let figure = MemoryFigure { live, rss_before, rss_after: vm_rss()? };
    drop(streams);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_line_parses_back() {
        let figure = MemoryFigure { live: 3, rss_before: 1 << 20, rss_after: 3 << 20 };
        let stdout = format!("some log\n{}\n", probe_line(&figure));
        assert_eq!(parse_probe(&stdout).unwrap(), figure);
        assert!(parse_probe("memory-probe 1 2\n").is_err());
        assert!(parse_probe("nothing\n").is_err());
    }
}
