//! wadm, the wasmCloud scheduler (the published `wadm` library), with wadm's own command line
//! (`--help` lists it: NATS server, cleanup interval, stream persistence …).

use clap::Parser;
use wadm::config::WadmConfig;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    litellm_lattice::init_logging();
    let mut wadm = wadm::start_wadm(WadmConfig::parse()).await?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        finished = wadm.join_next() => match finished {
            Some(Ok(result)) => result,
            Some(Err(join)) => Err(join.into()),
            None => anyhow::bail!("wadm started no task"),
        },
        signal = tokio::signal::ctrl_c() => Ok(signal?),
        _ = terminate.recv() => Ok(()),
    }
}
