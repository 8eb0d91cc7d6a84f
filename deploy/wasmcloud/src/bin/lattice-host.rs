//! One wasmCloud 1.x host (the published `wasmcloud-host` engine) on a lattice: components may be
//! loaded from local files, and the built-in HTTP server and HTTP client are enabled.

use std::{collections::HashMap, sync::Arc, time::Duration};

use anyhow::Context;
use clap::Parser;
use wasmcloud_host::url::Url;
use wasmcloud_host::wasmbus::{Features, Host, HostConfig};

/// Runs a wasmCloud host until SIGINT or SIGTERM.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[command(flatten)]
    lattice: litellm_lattice::LatticeArgs,
    /// A label of this host, `KEY=VALUE` (repeatable); manifests place work by labels.
    #[arg(long = "label", value_parser = litellm_lattice::key_value)]
    labels: Vec<(String, String)>,
    /// Seconds between heartbeats; wadm declares a host dead after two of its cleanup intervals
    /// without one, so keep this below half of wadm's `--cleanup-interval`.
    #[arg(long, default_value_t = 30)]
    heartbeat_secs: u64,
    /// Longest a component invocation may run, in seconds.
    #[arg(long, default_value_t = 600)]
    max_execution_secs: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    litellm_lattice::init_logging();
    let args = Args::parse();
    let nats_url = Url::parse(&args.lattice.nats_url).context("--nats-url")?;
    let (host, shutdown) = Host::new(HostConfig {
        ctl_nats_url: nats_url.clone(),
        rpc_nats_url: nats_url,
        lattice: Arc::from(args.lattice.lattice),
        labels: args.labels.into_iter().collect::<HashMap<_, _>>(),
        allow_file_load: true,
        heartbeat_interval: Some(Duration::from_secs(args.heartbeat_secs)),
        max_execution_time: Duration::from_secs(args.max_execution_secs),
        experimental_features: Features::new().enable_builtin_http_server().enable_builtin_http_client(),
        ..Default::default()
    })
    .await?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        signal = tokio::signal::ctrl_c() => signal?,
        _ = terminate.recv() => {}
        stopped = host.stopped() => { stopped?; }
    }
    // Dropping the host starts its shutdown; the future finishes it (components and providers
    // stopped, the lattice told).
    drop(host);
    tokio::time::timeout(Duration::from_secs(10), shutdown).await??;
    Ok(())
}
