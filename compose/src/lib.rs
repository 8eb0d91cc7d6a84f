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
use wac_graph::{plug, CompositionGraph, EncodeOptions, NodeKind};

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

/// The composed gateway: `wasmtime serve -S cli -S keyvalue --env LITELLM_BASE_URL=URL` serves it.
pub fn gateway_composed() -> PathBuf {
    static GATEWAY_FILE: OnceLock<PathBuf> = OnceLock::new();
    GATEWAY_FILE.get_or_init(|| composed(GATEWAY, "litellm:gateway", "litellm-gateway")).clone()
}

/// The adapter plugged in front of the configurable gateways' environment.
pub const CONFIG_ENV: &str = litellm_artifacts::CONFIG_ENV;

/// The `wasi:config/store` the adapter imports (the wasi-config proposal's current name, which
/// `wasmtime serve -S config` provides since wasmtime 48).
const CONFIG_STORE: &str = "wasi:config/store@0.2.0-rc.1";

/// The same interface under the name wasmCloud 1.x provides (its types are the same).
const CONFIG_STORE_WASMCLOUD: &str = "wasi:config/store@0.2.0-draft";

/// The composed gateway for hosts that configure components through `wasi:config/store`:
/// [`gateway_composed`] with the config-env adapter plugged into its `wasi:cli/environment`
/// import, so that the gateway and the provider read each `LITELLM_*` setting from the
/// configuration when the environment lacks it. It imports `wasi:config/store@0.2.0-rc.1` besides
/// WASI 0.2: `wasmtime serve -S cli -S keyvalue -S config -S config-var=LITELLM_BASE_URL=URL` serves it.
pub fn gateway_config_composed() -> PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| configurable("litellm-gateway-config", None)).clone()
}

/// [`gateway_config_composed`] for wasmCloud 1.x, whose hosts provide `wasi:config/store` under
/// its older name `0.2.0-draft`: the one difference. `deploy/wasmcloud/gateway.wadm.yaml` runs it.
pub fn gateway_wasmcloud_composed() -> PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| configurable("litellm-gateway-wasmcloud", Some(CONFIG_STORE_WASMCLOUD))).clone()
}

/// The composed gateway with the adapter plugged in, its configuration import named `store`
/// (or the adapter's own name), written beside the composed gateway as `STEM.composed.wasm`.
fn configurable(stem: &str, store: Option<&str>) -> PathBuf {
    let gateway = gateway_composed();
    let out = gateway.with_file_name(format!("{stem}.composed.wasm"));
    let renames: Vec<(&str, &str)> = store.map(|name| (CONFIG_STORE, name)).into_iter().collect();
    let bytes = plug_files(&gateway, "litellm:gateway-composed", Path::new(CONFIG_ENV), "litellm:config-env", &renames)
        .unwrap_or_else(|e| panic!("plugging the config-env adapter into {} failed: {e}", gateway.display()));
    write_whole(&out, &bytes);
    out
}

/// Every file by a short name, for `litellm-compose NAME` (the compositions made on demand).
pub fn files() -> Vec<(&'static str, PathBuf)> {
    vec![
        ("agent", agent_composed()),
        ("gateway", gateway_composed()),
        ("gateway-config", gateway_config_composed()),
        ("gateway-wasmcloud", gateway_wasmcloud_composed()),
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
    let bytes = plug_files(Path::new(socket), socket_name, provider, "devsper:llm-provider", &[])
        .unwrap_or_else(|e| panic!("composing {socket} with the provider failed: {e}"));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    write_whole(&out, &bytes);
    out
}

/// Writes `bytes` to `out` through a temporary file renamed, so that a process composing the same
/// file at once never reads half of it.
fn write_whole(out: &Path, bytes: &[u8]) {
    let partial = out.with_extension(format!("partial-{}", std::process::id()));
    std::fs::write(&partial, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", partial.display()));
    std::fs::rename(&partial, out).unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
}

/// Plugs the plug's exports (the provider's `devsper:llm/types` and `devsper:llm/provider`, the
/// adapter's `wasi:cli/environment`) into the socket's imports of the same (or a semver-compatible)
/// name and encodes the composition, which exports what the socket exports and imports what is
/// left of both: the same as `wac plug --plug PLUG SOCKET -o OUT`. Each `(plug import, name)` in
/// `renames` gives a plug's import another name in the composition (same type, the name its host
/// provides it under).
fn plug_files(
    socket: &Path,
    socket_name: &str,
    plug_file: &Path,
    plug_name: &str,
    renames: &[(&str, &str)],
) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut graph = CompositionGraph::new();
    let socket = Package::from_file(socket_name, None, socket, graph.types_mut())?;
    let socket = graph.register_package(socket)?;
    let plug_package = Package::from_file(plug_name, None, plug_file, graph.types_mut())?;
    let plug_package = graph.register_package(plug_package)?;
    plug(&mut graph, vec![plug_package], socket)?;
    if !renames.is_empty() {
        // `plug` instantiated the plug once; its unresolved imports would become imports of the
        // same names, so each renamed one gets an explicit import node instead.
        let instance = graph
            .node_ids()
            .find(|&node| {
                matches!(graph[node].kind(), NodeKind::Instantiation(_)) && graph[node].package() == Some(plug_package)
            })
            .ok_or("the plug was not instantiated")?;
        for (name, renamed) in renames {
            let kind = *graph.types()[graph[plug_package].ty()]
                .imports
                .get(*name)
                .ok_or_else(|| format!("{plug_name} does not import {name}"))?;
            let import = graph.import(*renamed, kind)?;
            graph.set_instantiation_argument(instance, name, import)?;
        }
    }
    // `validate` (the default) checks the encoded component before it is written.
    Ok(graph.encode(EncodeOptions::default())?)
}
