//! Builds the guest component (profile `guest`: release, small; `wasm32-wasip2`) with a nested
//! cargo and hands its path to the crate as `LITELLM_PROVIDER_WASM`. First it makes sure the
//! `wasm32-wasip2` standard library is there (see `build-support/guest_build.rs`). With
//! `LITELLM_WASM_OPT` naming a binaryen `wasm-opt`, the component is shrunk with it first.

use std::env;
use std::path::PathBuf;

include!("../build-support/guest_build.rs");

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir.parent().expect("host-test lives inside the guest's workspace").to_path_buf();
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for path in ["src", "wit", "Cargo.toml", "Cargo.lock", "rust-toolchain.toml", "build-support"] {
        println!("cargo:rerun-if-changed={}", root.join(path).display());
    }
    ensure_target(&root);
    let target_dir = out_dir.join("guest-target");
    build_guests(&root, &target_dir, &["litellm-provider"]);
    let wasm = target_dir.join(TARGET).join("guest/litellm_provider.wasm");
    assert!(wasm.exists(), "the guest build did not produce {}", wasm.display());
    let (wasm, how) = optimise(&wasm);
    println!("cargo:rustc-env=LITELLM_PROVIDER_WASM={}", wasm.display());
    println!("cargo:rustc-env=LITELLM_PROVIDER_WASM_BUILD=`cargo build --profile guest`, {how}");
}
