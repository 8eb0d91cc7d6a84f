//! The devsper rows of the bench: `generate` with a 1 KiB answer through devsper's `LlmProvider`
//! trait, once with the seed crate itself (`devsper_providers::LiteLlmProvider` 0.2.0, reqwest
//! with native-tls) and once with the sandboxed drop-in (`WasmLiteLlmProvider`), against the
//! endpoint the bench names, in interleaved blocks.
//!
//! `litellm-bench` runs it in a process of its own (this crate is GPL-3.0-or-later, the bench is
//! Apache-2.0, so it is not linked in), built with
//! `cargo build --release -p litellm-devsper --example seed_bench`:
//!
//! ```text
//! seed_bench URL MODEL N WARMUP    # prints `seed NS NS …` and `wasm NS NS …`, one time per call
//! ```

use devsper_core::{LlmMessage, LlmProvider, LlmRequest, LlmRole};
use devsper_providers::LiteLlmProvider;
use litellm_devsper::WasmLiteLlmProvider;
use std::time::{Duration, Instant};

fn request(model: &str) -> LlmRequest {
    LlmRequest {
        model: model.to_string(),
        messages: vec![LlmMessage { role: LlmRole::User, content: "Say something.".into() }],
        tools: vec![],
        max_tokens: None,
        temperature: None,
        system: None,
    }
}

async fn once(provider: &dyn LlmProvider, model: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let answer = provider.generate(request(model)).await?;
    anyhow::ensure!(answer.content.len() == 1024, "a short answer: {} bytes", answer.content.len());
    Ok(started.elapsed())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, model, n, warmup] = args.as_slice() else {
        anyhow::bail!("usage: seed_bench URL MODEL N WARMUP");
    };
    let (n, warmup): (usize, usize) = (n.parse()?, warmup.parse()?);
    let seed = LiteLlmProvider::new(url.clone(), "");
    let wasm = WasmLiteLlmProvider::new(url.clone(), "");
    let providers: [(&str, &dyn LlmProvider); 2] = [("seed", &seed), ("wasm", &wasm)];
    for (_, provider) in providers {
        for _ in 0..warmup {
            once(provider, model).await?;
        }
    }
    let mut samples = [Vec::with_capacity(n), Vec::with_capacity(n)];
    let block = (n / 10).max(1);
    while samples[0].len() < n {
        for (i, (_, provider)) in providers.iter().enumerate() {
            for _ in 0..block.min(n - samples[i].len()) {
                samples[i].push(once(*provider, model).await?);
            }
        }
    }
    for ((name, _), times) in providers.into_iter().zip(samples) {
        let times: Vec<String> = times.iter().map(|t| t.as_nanos().to_string()).collect();
        println!("{name} {}", times.join(" "));
    }
    Ok(())
}
