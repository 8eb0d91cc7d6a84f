//! Builds the provider, the agent and the gateway for `wasm32-wasip2` with one nested cargo
//! (profile `guest`: release, small), plugs the provider into the agent and into the gateway
//! with `wac-graph`, and hands the files' paths to the crate as `cargo:rustc-env` variables.
//!
//! The nested build follows `host-test/build.rs`: a target directory of its own under `OUT_DIR`
//! (sharing the outer build's would deadlock on cargo's lock) and none of the outer build's
//! `CARGO_*`/`RUSTFLAGS` variables (they are meant for the host build, not the guest's).

use std::env;
use std::path::{Path, PathBuf};

use wac_graph::types::Package;
use wac_graph::{plug, CompositionGraph, EncodeOptions};

include!("../build-support/guest_build.rs");

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir.parent().expect("compose lives inside the workspace").to_path_buf();
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for path in
        ["src", "wit", "examples/agent", "gateway", "Cargo.toml", "Cargo.lock", "rust-toolchain.toml", "build-support"]
    {
        println!("cargo:rerun-if-changed={}", root.join(path).display());
    }
    ensure_target(&root);

    let target_dir = out_dir.join("guest-target");
    build_components(&root, &target_dir);
    let built = target_dir.join(TARGET).join("guest");
    let (provider, _) = optimise(&existing(built.join("litellm_provider.wasm")));
    let agent = existing(built.join("litellm-agent.wasm"));
    let gateway = existing(built.join("litellm_gateway.wasm"));

    let composed = out_dir.join("composed");
    std::fs::create_dir_all(&composed).expect("creating OUT_DIR/composed");
    let agent_composed = composed.join("litellm-agent.composed.wasm");
    let gateway_composed = composed.join("litellm-gateway.composed.wasm");
    for (socket, name, out) in
        [(&agent, "litellm:agent", &agent_composed), (&gateway, "litellm:gateway", &gateway_composed)]
    {
        compose(socket, name, &provider, out)
            .unwrap_or_else(|e| panic!("composing {} with the provider failed: {e}", socket.display()));
    }

    for (name, path) in [
        ("LITELLM_PROVIDER_WASM", &provider),
        ("LITELLM_AGENT_WASM", &agent),
        ("LITELLM_GATEWAY_WASM", &gateway),
        ("LITELLM_AGENT_COMPOSED_WASM", &agent_composed),
        ("LITELLM_GATEWAY_COMPOSED_WASM", &gateway_composed),
    ] {
        println!("cargo:rustc-env={name}={}", path.display());
    }
}

/// One nested `cargo build` for the three components: one cargo start and one dependency graph
/// (wit-bindgen, serde_json…) built once for all of them.
fn build_components(root: &Path, target_dir: &Path) {
    build_guests(root, target_dir, &["litellm-provider", "litellm-agent", "litellm-gateway"]);
}

fn existing(path: PathBuf) -> PathBuf {
    assert!(path.exists(), "the component build did not produce {}", path.display());
    path
}

/// Plugs the provider's exports (`devsper:llm/types`, `devsper:llm/provider`) into the socket's
/// imports of the same names and writes the composition, which exports what the socket exports.
/// The same as `wac plug --plug PROVIDER SOCKET -o OUT`.
fn compose(socket: &Path, socket_name: &str, provider: &Path, out: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let mut graph = CompositionGraph::new();
    let socket = Package::from_file(socket_name, None, socket, graph.types_mut())?;
    let socket = graph.register_package(socket)?;
    let provider = Package::from_file("devsper:llm-provider", None, provider, graph.types_mut())?;
    let provider = graph.register_package(provider)?;
    plug(&mut graph, vec![provider], socket)?;
    // `validate` (the default) checks the encoded component before it is written.
    let bytes = graph.encode(EncodeOptions::default())?;
    std::fs::write(out, bytes)?;
    Ok(())
}
