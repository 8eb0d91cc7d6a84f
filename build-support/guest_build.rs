// The part of a build script that builds guest components, shared by `host-test/build.rs` and
// `compose/build.rs` through `include!` (a build script cannot depend on another crate's code
// without a build-dependency crate of its own, which would be one more crate to compile).

/// The target every guest is built for.
const TARGET: &str = "wasm32-wasip2";

/// Whether the active toolchain has the target's `core` (its `target-libdir` holds `libcore-*`).
fn has_target(root: &std::path::Path) -> bool {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let Ok(out) =
        std::process::Command::new(rustc).current_dir(root).args(["--print", "target-libdir", "--target", TARGET]).output()
    else {
        return false;
    };
    let dir = std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    out.status.success()
        && std::fs::read_dir(dir)
            .is_ok_and(|entries| entries.flatten().any(|e| e.file_name().to_string_lossy().starts_with("libcore-")))
}

/// Makes sure the target's standard library is there: `rust-toolchain.toml` names the target, but
/// rustup adds targets only when it installs a toolchain, not to one already installed. With
/// rustup the target is added (and a cargo warning says so); without, the build stops at once with
/// the command to run. Two build scripts may get here at once: a failed attempt is retried after
/// the other one may have finished.
fn ensure_target(root: &std::path::Path) {
    let toolchain = std::env::var("RUSTUP_TOOLCHAIN").ok();
    let on = toolchain.as_deref().unwrap_or("the active toolchain");
    for attempt in 0..3 {
        if has_target(root) {
            return;
        }
        let mut rustup = std::process::Command::new("rustup");
        rustup.current_dir(root).args(["target", "add", TARGET]);
        if let Some(toolchain) = &toolchain {
            rustup.args(["--toolchain", toolchain]);
        }
        match rustup.status() {
            Ok(status) if status.success() && has_target(root) => {
                println!("cargo:warning=installed the {TARGET} target for {on} (`rustup target add {TARGET}`)");
                return;
            }
            Ok(status) if attempt == 2 => panic!(
                "the {TARGET} standard library is missing and `rustup target add {TARGET}` failed ({status}); \
                 run it by hand, then build again"
            ),
            Ok(_) => std::thread::sleep(std::time::Duration::from_secs(2)),
            Err(_) => panic!(
                "the {TARGET} standard library is missing and rustup is not on PATH: install the target for this \
                 toolchain (with rustup: `rustup target add {TARGET}`), then build again"
            ),
        }
    }
}

/// `cargo build --profile guest --target wasm32-wasip2 -p PACKAGE…` in `root`, into its own
/// target dir (sharing the outer build's would deadlock on cargo's lock), without the outer
/// build's `CARGO_*`/`RUSTFLAGS` variables (they are meant for the host build, not the guest's).
fn build_guests(root: &std::path::Path, target_dir: &std::path::Path, packages: &[&str]) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = std::process::Command::new(cargo);
    command.current_dir(root).args(["build", "--profile", "guest", "--target", TARGET]);
    for package in packages {
        command.args(["-p", package]);
    }
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        let leaks = (name.starts_with("CARGO_") && name != "CARGO_HOME" && !name.starts_with("CARGO_NET"))
            || matches!(name.as_str(), "RUSTFLAGS" | "RUSTC_WORKSPACE_WRAPPER" | "RUSTC_WRAPPER" | "RUSTDOCFLAGS");
        if leaks {
            command.env_remove(&name);
        }
    }
    command.env("CARGO_TARGET_DIR", target_dir);
    let status = command.status().expect("could not run cargo to build the guest components");
    if !status.success() {
        panic!("building {packages:?} for {TARGET} failed ({status}); see the errors above");
    }
}
