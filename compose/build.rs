//! Builds the provider, the agent and the gateway for `wasm32-wasip2` with one nested cargo
//! (profile `guest`: release, small), plugs the provider into the agent and into the gateway
//! with `wac-graph`, and hands the files' paths to the crate as `cargo:rustc-env` variables.
//!
//! The nested build follows `host-test/build.rs`: a target directory of its own under `OUT_DIR`
//! (sharing the outer build's would deadlock on cargo's lock) and none of the outer build's
//! `CARGO_*`/`RUSTFLAGS` variables (they are meant for the host build, not the guest's).

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

use wac_graph::types::Package;
use wac_graph::{plug, CompositionGraph, EncodeOptions};

const TARGET: &str = "wasm32-wasip2";

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir.parent().expect("compose lives inside the workspace").to_path_buf();
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for path in ["src", "wit", "examples/agent", "gateway", "Cargo.toml", "Cargo.lock", "rust-toolchain.toml"] {
        println!("cargo:rerun-if-changed={}", root.join(path).display());
    }
    ensure_target(&root);

    let target_dir = out_dir.join("guest-target");
    build_components(&root, &target_dir);
    let built = target_dir.join(TARGET).join("guest");
    let provider = existing(built.join("litellm_provider.wasm"));
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
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(root).args(["build", "--profile", "guest", "--target", TARGET]).args([
        "-p",
        "litellm-provider",
        "-p",
        "litellm-agent",
        "-p",
        "litellm-gateway",
    ]);
    for (name, _) in env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        let leaks = (name.starts_with("CARGO_") && name != "CARGO_HOME" && !name.starts_with("CARGO_NET"))
            || matches!(name.as_str(), "RUSTFLAGS" | "RUSTC_WORKSPACE_WRAPPER" | "RUSTC_WRAPPER" | "RUSTDOCFLAGS");
        if leaks {
            command.env_remove(&name);
        }
    }
    command.env("CARGO_TARGET_DIR", target_dir);
    let status = command.status().expect("could not run cargo to build the components");
    if !status.success() {
        panic!("building the components for {TARGET} failed ({status}); see the errors above");
    }
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

/// Whether the active toolchain has the target's `core` (its `target-libdir` holds `libcore-*`).
fn has_target(root: &Path) -> bool {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let Ok(out) = Command::new(rustc).current_dir(root).args(["--print", "target-libdir", "--target", TARGET]).output()
    else {
        return false;
    };
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    out.status.success()
        && std::fs::read_dir(dir)
            .is_ok_and(|entries| entries.flatten().any(|e| e.file_name().to_string_lossy().starts_with("libcore-")))
}

/// The same check as `host-test/build.rs` (a build script cannot share code with another crate's):
/// this crate may be built first, on a toolchain without the target.
fn ensure_target(root: &Path) {
    if has_target(root) {
        return;
    }
    let toolchain = env::var("RUSTUP_TOOLCHAIN").ok();
    let mut rustup = Command::new("rustup");
    rustup.current_dir(root).args(["target", "add", TARGET]);
    if let Some(toolchain) = &toolchain {
        rustup.args(["--toolchain", toolchain]);
    }
    let on = toolchain.as_deref().unwrap_or("the active toolchain");
    match rustup.status() {
        Ok(status) if status.success() && has_target(root) => {
            println!("cargo:warning=installed the {TARGET} target for {on} (`rustup target add {TARGET}`)");
        }
        Ok(status) => panic!(
            "the {TARGET} standard library is missing and `rustup target add {TARGET}` failed ({status}); \
             run it by hand, then build again"
        ),
        Err(_) => panic!(
            "the {TARGET} standard library is missing and rustup is not on PATH: install the target for this \
             toolchain (with rustup: `rustup target add {TARGET}`), then build again"
        ),
    }
}
