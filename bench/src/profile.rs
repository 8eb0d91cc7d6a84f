//! The loop to run under a profiler (`--profile-loop`): end-to-end calls and nothing else.

use std::path::PathBuf;

use anyhow::ensure;
use litellm_mock::MockServer;

use crate::caller::{Caller, Variant};

/// `n` end-to-end calls with `model` (e.g. [`crate::MODEL_1KB`]) and nothing else.
/// `cache_dir` keeps the component's compilation out of the profile after a first run.
pub async fn profile_loop(variant: Variant, model: &str, n: usize, cache_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let server = MockServer::start().await?;
    let caller = Caller::start(variant, &server.base_url(), "profile", cache_dir)?;
    for i in 0..n {
        let content = caller.generate(model).await?;
        ensure!(!content.is_empty(), "an empty answer");
        // The mock records every request; a long loop would grow that record without bound.
        if i % 1000 == 999 {
            server.take_requests();
        }
    }
    Ok(())
}
