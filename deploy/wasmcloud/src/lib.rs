//! Thin launchers over wasmCloud 1.x's published libraries, so that the gateway runs on a lattice
//! without `wash` (whose `up` downloads binaries from the internet) and without a fork of wasmCloud:
//!
//! - `lattice-host`: one wasmCloud host (`wasmcloud-host`), with loading components from files
//!   allowed and the built-in HTTP server and HTTP client enabled;
//! - `lattice-wadm`: the scheduler (`wadm`), with its own command line;
//! - `lattice-deploy`: puts a manifest into wadm and waits until it is deployed (`wadm-client`).
//!
//! The commands and the manifest are documented in `docs/wasmcloud.md`.
#![deny(missing_docs)]

use std::collections::BTreeMap;

use anyhow::{bail, Context};

/// Where a launcher finds the lattice: the same flags, environment variables and defaults for
/// the host and the deploy command (`#[command(flatten)]`).
#[derive(clap::Args, Debug, Clone)]
pub struct LatticeArgs {
    /// The NATS server of the lattice (a host's control and RPC, wadm's API).
    #[arg(long, env = "WASMCLOUD_NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
    /// The lattice's name.
    #[arg(long, env = "WASMCLOUD_LATTICE", default_value = "default")]
    pub lattice: String,
}

/// Logs to stderr, filtered by `RUST_LOG` (default: `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
}

/// Parses `KEY=VALUE` (a label, a manifest variable).
pub fn key_value(text: &str) -> anyhow::Result<(String, String)> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => bail!("expected KEY=VALUE, got {text:?}"),
    }
}

/// Replaces every `${NAME}` in a manifest with its value. A `${NAME}` with no value is an error
/// (a manifest deployed with a placeholder left in it would fail later, on a host, far from the
/// cause); `$` not followed by `{` is left as it is.
pub fn expand(manifest: &str, vars: &BTreeMap<String, String>) -> anyhow::Result<String> {
    let mut out = String::with_capacity(manifest.len());
    let mut rest = manifest;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').with_context(|| format!("unclosed ${{ in the manifest near {:?}", &rest[start..]))?;
        let name = &after[..end];
        let value = vars
            .get(name)
            .with_context(|| format!("the manifest uses ${{{name}}}: give it with --set {name}=VALUE"))?;
        out.push_str(value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_every_variable_and_refuses_a_missing_one() {
        let vars = BTreeMap::from([("A".to_string(), "1".to_string()), ("B".to_string(), "two".to_string())]);
        assert_eq!(expand("x: ${A}, y: ${B}${A} $HOME", &vars).unwrap(), "x: 1, y: two1 $HOME");
        let err = expand("x: ${C}", &vars).unwrap_err().to_string();
        assert!(err.contains("--set C=VALUE"), "{err}");
        assert!(expand("x: ${A", &vars).is_err());
    }

    #[test]
    fn parses_key_value() {
        assert_eq!(key_value("node=a=b").unwrap(), ("node".into(), "a=b".into()));
        assert!(key_value("=a").is_err());
        assert!(key_value("node").is_err());
    }
}
