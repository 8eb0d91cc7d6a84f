//! Builds the guest component (profile `guest`: release, small; `wasm32-wasip2`) with a nested
//! cargo and hands its path to the crate as `LITELLM_PROVIDER_WASM`.
//!
//! First it makes sure the `wasm32-wasip2` standard library is there: `rust-toolchain.toml` names
//! the target, but rustup adds targets only when it installs a toolchain, not to one that is
//! already installed. With rustup it adds the target (and says so); without, it stops at once
//! with the command to run.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir.parent().expect("host-test lives inside the guest's workspace").to_path_buf();
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for path in ["src", "wit", "Cargo.toml", "Cargo.lock", "rust-toolchain.toml"] {
        println!("cargo:rerun-if-changed={}", root.join(path).display());
    }
    ensure_target(&root);

    // Its own target dir: sharing the outer build's would deadlock on cargo's lock.
    let target_dir = out_dir.join("guest-target");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&root)
        .args(["build", "--profile", "guest", "--target", TARGET, "-p", "litellm-provider"])
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
        panic!("building the guest component failed ({status}); see the errors above");
    }
    let wasm = target_dir.join(TARGET).join("guest/litellm_provider.wasm");
    assert!(wasm.exists(), "the guest build did not produce {}", wasm.display());
    println!("cargo:rustc-env=LITELLM_PROVIDER_WASM={}", wasm.display());
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
