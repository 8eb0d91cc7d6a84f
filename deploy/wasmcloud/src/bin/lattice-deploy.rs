//! Puts a wadm manifest into the lattice, deploys it and waits until wadm reports it deployed.

use std::{collections::BTreeMap, path::PathBuf, time::Duration};

use anyhow::{bail, Context};
use async_nats::RequestErrorKind;
use clap::Parser;
use wadm_client::error::ClientError;
use wadm_client::{Client, ClientConnectOptions};
use wadm_types::api::StatusType;

/// Deploys a manifest through wadm.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The manifest (YAML). `${NAME}` in it is replaced by the value given with `--set NAME=VALUE`.
    manifest: PathBuf,
    /// A value for `${NAME}` in the manifest, `NAME=VALUE` (repeatable).
    #[arg(long = "set", value_parser = litellm_lattice::key_value)]
    vars: Vec<(String, String)>,
    #[command(flatten)]
    lattice: litellm_lattice::LatticeArgs,
    /// Seconds to wait for the `deployed` status before giving up.
    #[arg(long, default_value_t = 120)]
    wait_secs: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    litellm_lattice::init_logging();
    let args = Args::parse();
    let text =
        std::fs::read_to_string(&args.manifest).with_context(|| format!("reading {}", args.manifest.display()))?;
    let vars: BTreeMap<String, String> = args.vars.into_iter().collect();
    let manifest = litellm_lattice::expand(&text, &vars)?;
    let client = Client::new(
        &args.lattice.lattice,
        None,
        ClientConnectOptions { url: Some(args.lattice.nats_url.clone()), ..Default::default() },
    )
    .await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(args.wait_secs);
    // wadm may still be starting (its API not subscribed yet): NATS then says "no responders",
    // and the request reached nobody, so sending it again is safe.
    let (name, version) = loop {
        match client.put_and_deploy_manifest(manifest.clone().into_bytes()).await {
            Ok(deployed) => break deployed,
            Err(ClientError::NatsError(e))
                if e.kind() == RequestErrorKind::NoResponders && tokio::time::Instant::now() < deadline =>
            {
                eprintln!("wadm does not answer on {} yet; trying again", args.lattice.nats_url);
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => return Err(e.into()),
        }
    };
    eprintln!("put and deployed {name} {version}; waiting for wadm to report it deployed");
    // `failed` is not final: wadm reconciles again on the hosts' next heartbeats. It is seen when a
    // component is scaled before wadm has written the configuration the manifest gives it ("Config
    // … does not exist"), a race inside one deploy that the next reconciliation resolves. So only
    // the deadline ends the wait; every new message is printed on the way.
    let mut last_message = String::new();
    loop {
        let status = client.get_manifest_status(&name).await?;
        let (kind, message) = (status.info.status_type, status.info.message);
        if kind == StatusType::Deployed {
            println!("{name} {version} deployed");
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            bail!("{name} not deployed after {} s: {kind:?} {message}", args.wait_secs)
        }
        if message != last_message && !message.is_empty() {
            eprintln!("{name}: {kind:?} {message}");
            last_message = message;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
