//! The smallest complete embedding: load the component once, two tenants with different
//! policies, one call each. `cargo test` runs it; `cargo run -p litellm-host --example embed` too.

use litellm_host::{CallError, Config, Host, Request, Tenant};
use litellm_mock::MockServer;
use std::time::Duration;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Your OpenAI-compatible endpoint; here the mock, so the example runs anywhere.
    let endpoint = MockServer::start().await?;
    let base_url = endpoint.base_url();

    // Once per process: the engine, the compiled component, the instance template.
    let host = Host::new()?;

    // Each tenant brings its own key, the origins it may reach and its limits.
    let acme = Tenant::new("acme")
        .allow_origin(&base_url)
        .env("LITELLM_API_KEY", "sk-acme")
        .memory_limit(32 << 20)
        .call_deadline(Duration::from_secs(30))
        .max_concurrent_calls(8);
    let globex = Tenant::new("globex").env("LITELLM_API_KEY", "sk-globex"); // may reach nothing

    let config = Config::default().base_url(base_url);
    let answer = host.generate(&acme, config.clone(), Request::user("litellm:gpt-4o", "Hello")).await?;
    println!("acme: {}", answer.content);
    assert_eq!(answer.content, "You said: Hello");

    match host.generate(&globex, config, Request::user("litellm:gpt-4o", "Hello")).await {
        Err(CallError::Provider(e)) => println!("globex: {}", e.describe()),
        other => anyhow::bail!("globex should have been denied: {other:?}"),
    }
    Ok(())
}
