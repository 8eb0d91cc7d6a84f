//! Builds the guest component (profile `guest`: release, small; `wasm32-wasip2`) with a nested cargo and hands its path to
//! the crate as `LITELLM_PROVIDER_WASM`.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir.parent().expect("host-test lives inside the guest's workspace").to_path_buf();
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    // Its own target dir: sharing the outer build's would deadlock on cargo's lock.
    let target_dir = out_dir.join("guest-target");
    for path in ["src", "wit", "Cargo.toml", "Cargo.lock", "rust-toolchain.toml"] {
        println!("cargo:rerun-if-changed={}", root.join(path).display());
    }

    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&root)
        .args(["build", "--profile", "guest", "--target", "wasm32-wasip2", "-p", "litellm-provider"])
        .env("CARGO_TARGET_DIR", &target_dir);
    // Flags meant for the outer (host) build must not leak into the guest's.
    for (name, _) in env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        let leaks = (name.starts_with("CARGO_") && name != "CARGO_HOME" && !name.starts_with("CARGO_NET"))
            || matches!(name.as_str(), "RUSTFLAGS" | "RUSTC_WORKSPACE_WRAPPER" | "RUSTC_WRAPPER" | "RUSTDOCFLAGS");
        if leaks {
            command.env_remove(&name);
        }
    }
    command.env("CARGO_TARGET_DIR", &target_dir);
    let status = command.status().expect("could not run cargo to build the guest component");
    if !status.success() {
        panic!(
            "building the guest component failed ({status}); the wasm32-wasip2 target is needed: \
             `rustup target add wasm32-wasip2`"
        );
    }
    let wasm = target_dir.join("wasm32-wasip2/guest/litellm_provider.wasm");
    assert!(wasm.exists(), "the guest build did not produce {}", wasm.display());
    println!("cargo:rustc-env=LITELLM_PROVIDER_WASM={}", wasm.display());
}
