//! Builds the provider, the agent, the gateway, the config-env adapter and the bench's floor for `wasm32-wasip2` (profile `guest`: release,
//! small) in one nested cargo, and the provider's WASI 0.3 world (feature `wasi-p3`) in a second,
//! once per build of the workspace, and hands their paths to the
//! crate as `cargo:rustc-env` variables. First it makes sure the target's standard library is
//! there; with `LITELLM_WASM_OPT` naming a binaryen `wasm-opt`, the provider is shrunk with it
//! (see `build-support/guest_build.rs`).

use std::env;
use std::path::PathBuf;

include!("../build-support/guest_build.rs");

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir.parent().expect("artifacts lives inside the workspace").to_path_buf();
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for path in [
        "src",
        "wit",
        "client",
        "examples/agent",
        "gateway",
        "config-env",
        "bench/floor",
        "Cargo.toml",
        "Cargo.lock",
        "rust-toolchain.toml",
        "build-support",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(path).display());
    }
    ensure_target(&root);
    let target_dir = out_dir.join("guest-target");
    // One cargo start and one dependency graph (wit-bindgen, serde_json…) for all four.
    build_guests(
        &root,
        &target_dir,
        &["litellm-provider", "litellm-agent", "litellm-gateway", "litellm-config-env", "litellm-bench-floor"],
        &[],
    );
    // The WASI 0.3 provider: the same crate with another world, so a target dir of its own (in
    // one it would overwrite the 0.2 file, and every build would rebuild both).
    let target_dir_p3 = out_dir.join("guest-target-p3");
    build_guests(&root, &target_dir_p3, &["litellm-provider"], &["litellm-provider/wasi-p3"]);
    let built = target_dir.join(TARGET).join("guest");
    let existing = |name: &str| {
        let path = built.join(name);
        assert!(path.exists(), "the guest build did not produce {}", path.display());
        path
    };
    let (provider, how) = optimise(&existing("litellm_provider.wasm"));
    println!("cargo:rustc-env=LITELLM_PROVIDER_WASM={}", provider.display());
    println!("cargo:rustc-env=LITELLM_PROVIDER_WASM_BUILD=`cargo build --profile guest`, {how}");
    let provider_p3 = target_dir_p3.join(TARGET).join("guest").join("litellm_provider.wasm");
    assert!(provider_p3.exists(), "the guest build did not produce {}", provider_p3.display());
    let (provider_p3, how_p3) = optimise(&provider_p3);
    println!("cargo:rustc-env=LITELLM_PROVIDER_P3_WASM={}", provider_p3.display());
    println!(
        "cargo:rustc-env=LITELLM_PROVIDER_P3_WASM_BUILD=`cargo build --profile guest --features wasi-p3`, {how_p3}"
    );
    println!("cargo:rustc-env=LITELLM_AGENT_WASM={}", existing("litellm-agent.wasm").display());
    println!("cargo:rustc-env=LITELLM_GATEWAY_WASM={}", existing("litellm_gateway.wasm").display());
    println!("cargo:rustc-env=LITELLM_CONFIG_ENV_WASM={}", existing("litellm_config_env.wasm").display());
    println!("cargo:rustc-env=LITELLM_BENCH_FLOOR_WASM={}", existing("litellm_bench_floor.wasm").display());
}
