//! `litellm-compose`: the agent and the gateway each composed with the provider into one file,
//! with wac.
//!
//! The components come from `litellm-artifacts` (built once per build of the workspace). The
//! first call of [`agent_composed`] or [`gateway_composed`] in a process plugs the provider into
//! that component's imports with `wac-graph` (what `wac plug --plug provider.wasm socket.wasm`
//! does) and writes the composition beside the components; each composition imports only
//! standard WASI 0.2: `wasmtime run`, `wasmtime serve` and jco run it as it is. Composing takes
//! well under a second; a library build of `litellm-host` never compiles wac.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use wac_graph::types::Package;
use wac_graph::{plug, CompositionGraph, EncodeOptions};

/// The agent alone, before composition (it imports `devsper:llm/provider@0.3.0`).
pub const AGENT: &str = litellm_artifacts::AGENT;

/// The gateway alone, before composition (it imports `devsper:llm/provider@0.3.0`).
pub const GATEWAY: &str = litellm_artifacts::GATEWAY;

/// The provider component plugged into both: the workspace's one build of it.
pub const PROVIDER: &str = litellm_artifacts::PROVIDER;

/// The composed agent: `wasmtime run -S http --env LITELLM_BASE_URL=URL` runs it.
pub fn agent_composed() -> PathBuf {
    static AGENT_FILE: OnceLock<PathBuf> = OnceLock::new();
    AGENT_FILE.get_or_init(|| composed(AGENT, "litellm:agent", "litellm-agent")).clone()
}

/// The composed gateway: `wasmtime serve -S cli --env LITELLM_BASE_URL=URL` serves it.
pub fn gateway_composed() -> PathBuf {
    static GATEWAY_FILE: OnceLock<PathBuf> = OnceLock::new();
    GATEWAY_FILE.get_or_init(|| composed(GATEWAY, "litellm:gateway", "litellm-gateway")).clone()
}

/// Every file by a short name, for `litellm-compose NAME` (the compositions made on demand).
pub fn files() -> Vec<(&'static str, PathBuf)> {
    vec![
        ("agent", agent_composed()),
        ("gateway", gateway_composed()),
        ("agent-alone", PathBuf::from(AGENT)),
        ("gateway-alone", PathBuf::from(GATEWAY)),
        ("provider", PathBuf::from(PROVIDER)),
    ]
}

/// `socket` with the provider plugged in, written beside the components in a directory named
/// after the provider build it holds (cargo's, or the `wasm-opt` one), as `STEM.composed.wasm`
/// (tools such as jco name their output after it); written whole (a temporary file renamed) so
/// that a process composing the same file at once never reads half of it.
fn composed(socket: &str, socket_name: &str, stem: &str) -> PathBuf {
    let provider = Path::new(PROVIDER);
    let flavour = provider.file_stem().and_then(|s| s.to_str()).unwrap_or("provider");
    let dir = Path::new(socket).parent().expect("a component's path has a directory").join("composed").join(flavour);
    let out = dir.join(format!("{stem}.composed.wasm"));
    let bytes = compose(Path::new(socket), socket_name, provider)
        .unwrap_or_else(|e| panic!("composing {socket} with the provider failed: {e}"));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    let partial = out.with_extension(format!("partial-{}", std::process::id()));
    std::fs::write(&partial, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", partial.display()));
    std::fs::rename(&partial, &out).unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
    out
}

/// Plugs the provider's exports (`devsper:llm/types`, `devsper:llm/provider`) into the socket's
/// imports of the same names and encodes the composition, which exports what the socket exports.
/// The same as `wac plug --plug PROVIDER SOCKET -o OUT`.
fn compose(socket: &Path, socket_name: &str, provider: &Path) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut graph = CompositionGraph::new();
    let socket = Package::from_file(socket_name, None, socket, graph.types_mut())?;
    let socket = graph.register_package(socket)?;
    let provider = Package::from_file("devsper:llm-provider", None, provider, graph.types_mut())?;
    let provider = graph.register_package(provider)?;
    plug(&mut graph, vec![provider], socket)?;
    // `validate` (the default) checks the encoded component before it is written.
    Ok(graph.encode(EncodeOptions::default())?)
}
