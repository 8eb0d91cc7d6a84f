//! The devsper rows: the seed crate itself (`devsper_providers::LiteLlmProvider` 0.2.0) and the
//! sandboxed drop-in, both through devsper's `LlmProvider` trait, against this run's mock.
//!
//! They run in a child process: `litellm-devsper` is GPL-3.0-or-later and this crate is
//! Apache-2.0, so the bench executes its `seed_bench` example instead of linking it.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, ensure, Context};

use crate::caller::Variant;
use crate::latency::LatencyRow;
use crate::stats::Stats;
use crate::workload::MODEL_1KB;
use crate::Counts;

/// The release build of the example in this workspace's target dir.
const BUILT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/release/examples/seed_bench");

/// The two rows. The example is `$SEED_BENCH` when set, else built (or found up to date) first,
/// so that a stale build is never measured.
pub fn rows(base_url: &str, sizes: &Counts) -> anyhow::Result<Vec<LatencyRow>> {
    let path = match std::env::var_os("SEED_BENCH") {
        Some(path) => PathBuf::from(path),
        None => {
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let status = Command::new(cargo)
                .args(["build", "--release", "-p", "litellm-devsper", "--example", "seed_bench"])
                .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
                .status()
                .context("building the seed_bench example")?;
            ensure!(status.success(), "building the seed_bench example failed");
            PathBuf::from(BUILT)
        }
    };
    let n = sizes.e2e_1kb.to_string();
    let warmup = sizes.warmup.to_string();
    let out = Command::new(&path)
        .args([base_url, MODEL_1KB, n.as_str(), warmup.as_str()])
        .output()
        .with_context(|| format!("running {}", path.display()))?;
    if !out.status.success() {
        bail!("seed_bench failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let mut rows = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut fields = line.split_whitespace();
        let name = fields.next().unwrap_or("");
        let variant = match name {
            "seed" => Variant::Seed,
            "wasm" => Variant::DevsperWasm,
            other => bail!("seed_bench printed an unknown row {other:?}"),
        };
        let nanos = fields.map(str::parse::<u64>).collect::<Result<Vec<_>, _>>()?;
        let stats = Stats::of_durations(nanos.into_iter().map(std::time::Duration::from_nanos));
        rows.push(LatencyRow { what: "generate, 1 KiB answer".to_owned(), variant, stats });
    }
    Ok(rows)
}
