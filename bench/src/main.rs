//! `cargo run -p litellm-bench --release -- [--quick] [--out PATH | --no-write]`
//!
//! Measures the component against the native baseline, prints the tables and writes them into
//! `BENCHMARKS.md` at the repository root (between its markers; the rest of the file is kept).
//! A full run writes by default; `--quick` (a smoke run for CI, well under a minute) only prints
//! unless `--out` is given.
//!
//! Internal modes: `--memory-probe VARIANT K` (one memory measurement in this fresh process,
//! started by the main run), `--idle-memory N` (the RSS of N warm clients after a 7 MiB answer
//! each) and `--profile-loop N [--variant default|pooling|warm|floor|native] [--model M] [--cache DIR]
//! [--current-thread]` (N end-to-end calls, default pooling and `litellm:mock/big-1kb`, and nothing
//! else: to run under a profiler; prints the CPU per call).

use std::path::PathBuf;

use anyhow::{bail, Context};
use litellm_bench::{report, Counts, MemoryMode, Variant};

/// The intro of a new `BENCHMARKS.md`; an existing file keeps its own.
const INTRO: &str = "# Benchmarks\n\nReproduce with `cargo run -p litellm-bench --release` (see `bench/`).";

fn default_out() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../BENCHMARKS.md"))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `--current-thread`: everything (callers, host, mock) on one thread, for comparing the
    // runtime's flavours in the profile loop.
    let runtime = if args.iter().any(|a| a == "--current-thread") {
        tokio::runtime::Builder::new_current_thread().enable_all().build()?
    } else {
        tokio::runtime::Builder::new_multi_thread().enable_all().build()?
    };
    runtime.block_on(run(args))
}

async fn run(args: Vec<String>) -> anyhow::Result<()> {
    let flag = |name: &str| args.iter().any(|a| a == name);
    let value = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();

    if let Some(i) = args.iter().position(|a| a == "--memory-probe") {
        let variant =
            args.get(i + 1).and_then(|v| Variant::from_name(v)).context("--memory-probe default|pooling|native K")?;
        let live: usize =
            args.get(i + 2).and_then(|k| k.parse().ok()).context("--memory-probe default|pooling|native K")?;
        let figure = litellm_bench::memory_probe(variant, live).await?;
        println!("{}", litellm_bench::probe_line(&figure));
        return Ok(());
    }

    if let Some(n) = value("--idle-memory") {
        let clients: usize = n.parse().context("--idle-memory N")?;
        return tokio::spawn(async move { litellm_bench::idle_memory(clients).await }).await.context("panicked")?;
    }

    if let Some(n) = value("--profile-loop") {
        let n: usize = n.parse().context("--profile-loop N")?;
        let variant = value("--variant").map_or(Some(Variant::Pooling), |v| Variant::from_name(&v));
        let variant = variant.context("--variant default|pooling|warm|floor|native (or another variant's name)")?;
        let model = value("--model").unwrap_or_else(|| litellm_bench::MODEL_1KB.to_owned());
        let cache = value("--cache").map(PathBuf::from);
        // On a worker thread, as in the main run.
        return tokio::spawn(async move { litellm_bench::profile_loop(variant, &model, n, cache).await })
            .await
            .context("the loop panicked")?;
    }

    for arg in &args {
        if arg.starts_with("--") && !matches!(arg.as_str(), "--quick" | "--out" | "--no-write") {
            bail!("unknown option {arg}; usage: litellm-bench [--quick] [--out PATH | --no-write]");
        }
    }
    let quick = flag("--quick");
    let sizes = if quick { Counts::quick() } else { Counts::full() };
    let command =
        if quick { "cargo run -p litellm-bench --release -- --quick" } else { "cargo run -p litellm-bench --release" };
    let exe = std::env::current_exe().context("finding this executable")?;
    // On a worker thread like the mock's tasks, as a server's handlers run (the main thread
    // would add a cross-thread wake-up to every exchange).
    let results = tokio::spawn(litellm_bench::run(sizes, command, MemoryMode::Subprocess(exe)))
        .await
        .context("the run panicked")??;
    let section = report::render(&results);
    println!("{section}");

    let out = match value("--out") {
        Some(path) => Some(PathBuf::from(path)),
        None if quick || flag("--no-write") => None,
        None => Some(default_out()),
    };
    if let Some(out) = out {
        let existing = std::fs::read_to_string(&out).ok();
        let text = report::splice(existing.as_deref(), INTRO, &section);
        std::fs::write(&out, text).with_context(|| format!("writing {}", out.display()))?;
        eprintln!("wrote {}", out.display());
    }
    Ok(())
}
