//! `litellm-host serve-gateway`: the composed gateway as an HTTP server, with its shared store.

use clap::Args;
use litellm_host::{GatewayServer, MemoryStore, Quota, RedisStore, SharedStore, Tenant};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// The flags of `serve-gateway`.
#[derive(Args)]
pub(crate) struct ServeArgs {
    /// The address to listen on; port 0 picks a free one (the chosen address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// The shared store of the gateway's limits and deployments' state: `memory` (this
    /// process's instances) or `redis://HOST:PORT[/DB]` (every server on that database).
    #[arg(long, default_value = "memory", env = "LITELLM_HOST_STORE", hide_env_values = true)]
    store: String,
    /// The longest a store operation may take, in ms: a store that stops answering is an error
    /// for the gateway (which then refuses limited keys' requests, or serves them uncounted under
    /// `on_store_error: open`), never a wait.
    #[arg(long, default_value_t = 500)]
    store_timeout_ms: u64,
    /// An origin the gateway's upstream calls may reach (repeat it); every other is denied.
    #[arg(long = "allow-origin", required = true)]
    allow_origins: Vec<String>,
    /// The routes document (JSON), handed to the gateway as `LITELLM_GATEWAY_ROUTES`.
    #[arg(long)]
    routes: Option<PathBuf>,
    /// A variable for the gateway, `NAME=VALUE` or `NAME` (taken from this process); every
    /// `LITELLM_*` variable of this process is passed without it. Name the deployments' key
    /// variables here.
    #[arg(long = "env")]
    env: Vec<String>,
    /// The component; default the composed gateway built with this crate.
    #[arg(long)]
    component: Option<PathBuf>,
    /// The most requests the gateway serves in a minute of the wall clock, all clients together
    /// (the host's quota, counted in the store; a client key's own limits are the routes').
    #[arg(long)]
    calls_per_minute: Option<u64>,
    /// The most requests the gateway serves at once, all clients together (a stream until its end).
    #[arg(long)]
    concurrent_calls: Option<u64>,
    /// Serving threads, each with its own runtime, socket and connection pools (thread per
    /// core); 0 serves on one multi-threaded runtime instead. Default: one per CPU.
    #[arg(long)]
    threads: Option<usize>,
}

pub(crate) async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let mut tenant = Tenant::new("gateway");
    for origin in &args.allow_origins {
        tenant = tenant.allow_origin(origin);
    }
    for (name, value) in
        std::env::vars().filter(|(name, _)| name.starts_with("LITELLM_") && name != "LITELLM_HOST_STORE")
    {
        tenant = tenant.env(name, value);
    }
    for entry in &args.env {
        let (name, value) = match entry.split_once('=') {
            Some((name, value)) => (name.to_owned(), value.to_owned()),
            None => {
                let value = std::env::var(entry).map_err(|_| anyhow::anyhow!("--env {entry}: it is not set here"))?;
                (entry.clone(), value)
            }
        };
        tenant = tenant.env(name, value);
    }
    if let Some(path) = &args.routes {
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        tenant = tenant.env("LITELLM_GATEWAY_ROUTES", text);
    }
    let mut quota = Quota::unlimited();
    if let Some(calls) = args.calls_per_minute {
        quota = quota.calls_per_minute(calls);
    }
    if let Some(calls) = args.concurrent_calls {
        quota = quota.concurrent_calls(calls);
    }
    tenant = tenant.quota(quota);
    let timeout = Duration::from_millis(args.store_timeout_ms.max(1));
    let store: Arc<dyn SharedStore> = match args.store.as_str() {
        "memory" => Arc::new(MemoryStore::default()),
        url if url.starts_with("redis://") || url.starts_with("rediss://") => {
            Arc::new(RedisStore::connect(url, timeout).await?)
        }
        _ => anyhow::bail!("--store must be memory or a redis:// URL"),
    };
    let component = args.component.unwrap_or_else(litellm_compose::gateway_composed);
    let server = GatewayServer::new(&component, tenant, store)?;
    // Said once the socket is bound, so that a script (or a test) can wait for this line.
    let bound = |addr| eprintln!("litellm-host: serving the gateway on http://{addr}");
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if threads == 0 {
        let listener = tokio::net::TcpListener::bind(&args.listen).await?;
        bound(listener.local_addr()?);
        server.serve(listener).await?;
    } else {
        let addr = tokio::net::lookup_host(&args.listen)
            .await?
            .next()
            .ok_or_else(|| anyhow::anyhow!("--listen names no address"))?;
        // The serving threads block this one; the store's connection (Redis) keeps running on
        // this runtime's other workers.
        tokio::task::spawn_blocking(move || server.serve_per_core(addr, threads, bound)).await??;
    }
    Ok(ExitCode::SUCCESS)
}
