//! The loop to run under a profiler (`--profile-loop`): end-to-end calls and nothing else.

use std::path::PathBuf;

use anyhow::ensure;
use litellm_mock::MockServer;

use crate::caller::{Caller, Variant};

/// `n` end-to-end calls with `model` (e.g. [`crate::MODEL_1KB`]) and nothing else, after a
/// warm-up of `n / 10`; prints the CPU time and context switches per call of the `n` calls on
/// stderr. `cache_dir` keeps the component's compilation out of the profile after a first run.
pub async fn profile_loop(variant: Variant, model: &str, n: usize, cache_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let server = MockServer::start().await?;
    let caller = Caller::start(variant, &server.base_url(), "profile", cache_dir)?;
    for _ in 0..n / 10 {
        caller.generate(model).await?;
    }
    let before = crate::decompose::Usage::now();
    for i in 0..n {
        let content = caller.generate(model).await?;
        ensure!(!content.is_empty(), "an empty answer");
        // The mock records every request; a long loop would grow that record without bound.
        if i % 1000 == 999 {
            server.take_requests();
        }
    }
    let spent = crate::decompose::Usage::now() - before;
    eprintln!(
        "{n} calls, {}: CPU per call {:.1} µs (user {:.1}, system {:.1}), context switches per call {:.2}",
        variant.name(),
        spent.cpu_us() / n as f64,
        spent.user.as_secs_f64() * 1e6 / n as f64,
        spent.system.as_secs_f64() * 1e6 / n as f64,
        spent.switches as f64 / n as f64
    );
    Ok(())
}
