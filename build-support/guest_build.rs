// The part of a build script that builds guest components, included (`include!`) by
// `artifacts/build.rs`, the one build step of the workspace's guests.

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

/// `cargo build --profile guest --target wasm32-wasip2 -p PACKAGE… [--features F,…]` in `root`,
/// into its own target dir (sharing the outer build's would deadlock on cargo's lock), without
/// the outer build's `CARGO_*`/`RUSTFLAGS` variables (they are meant for the host build, not the
/// guest's).
fn build_guests(root: &std::path::Path, target_dir: &std::path::Path, packages: &[&str], features: &[&str]) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = std::process::Command::new(cargo);
    command.current_dir(root).args(["build", "--profile", "guest", "--target", TARGET]);
    for package in packages {
        command.args(["-p", package]);
    }
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
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

/// Names a binaryen `wasm-opt` to run on the built provider (a path, or a command on `PATH`).
/// Opt-in: without it the component is shipped as cargo built it, so a machine without binaryen
/// builds the same file as before.
const WASM_OPT_VAR: &str = "LITELLM_WASM_OPT";

/// The wasm features Rust 1.95 enables by default for `wasm32-wasip2`. The stripped module has no
/// `target_features` section for wasm-opt to read them from, and without them it rejects the
/// module (its `memory.copy`, for one).
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-multivalue",
    "--enable-reference-types",
];

/// With `LITELLM_WASM_OPT` set, runs `wasm-opt -Oz` on the component's program (its largest core
/// module; the others are a few hundred bytes of canonical-ABI shims), writes the result as
/// `NAME.opt.wasm` beside it (cargo's own output stays as built, so unsetting the variable gives
/// it back) and returns that path and what was done; without the variable, the component as
/// built. A cargo warning gives both sizes.
fn optimise(component: &std::path::Path) -> (std::path::PathBuf, String) {
    println!("cargo:rerun-if-env-changed={WASM_OPT_VAR}");
    let Some(wasm_opt) = std::env::var_os(WASM_OPT_VAR).filter(|v| !v.is_empty()) else {
        return (component.to_path_buf(), "as cargo built it".to_owned());
    };
    let shown = wasm_opt.to_string_lossy().into_owned();
    let run = |args: &[&std::ffi::OsStr]| {
        let out = std::process::Command::new(&wasm_opt)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{WASM_OPT_VAR}={shown}: could not run it: {e}"));
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let first: Vec<&str> = stderr.lines().take(5).collect();
            panic!("{WASM_OPT_VAR}={shown} failed ({}): {}", out.status, first.join("\n"));
        }
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let version = run(&["--version".as_ref()]);

    let bytes = std::fs::read(component).unwrap_or_else(|e| panic!("reading {}: {e}", component.display()));
    let sections = component_sections(&bytes).unwrap_or_else(|| panic!("{} is not a component", component.display()));
    let (program, range) = sections
        .iter()
        .enumerate()
        .filter(|(_, (id, _))| *id == CORE_MODULE_SECTION)
        .max_by_key(|(_, (_, range))| range.len())
        .map(|(index, (_, range))| (index, range.clone()))
        .unwrap_or_else(|| panic!("{} has no core module", component.display()));
    let core_in = component.with_extension("core.wasm");
    let core_out = component.with_extension("core.opt.wasm");
    std::fs::write(&core_in, &bytes[range]).expect("writing the core module");
    let mut args: Vec<&std::ffi::OsStr> = vec!["-Oz".as_ref()];
    args.extend(WASM_FEATURES.iter().map(std::ffi::OsStr::new));
    args.extend([core_in.as_os_str(), "-o".as_ref(), core_out.as_os_str()]);
    run(&args);
    let optimised = std::fs::read(&core_out).expect("reading wasm-opt's output");

    let mut out = bytes[..8].to_vec();
    for (index, (id, range)) in sections.iter().enumerate() {
        let payload = if index == program { &optimised[..] } else { &bytes[range.clone()] };
        out.push(*id);
        push_leb128(&mut out, payload.len());
        out.extend_from_slice(payload);
    }
    let path = component.with_extension("opt.wasm");
    std::fs::write(&path, &out).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    let _ = (std::fs::remove_file(core_in), std::fs::remove_file(core_out));
    println!(
        "cargo:warning={} optimised by {WASM_OPT_VAR}: {} -> {} bytes ({version})",
        component.file_name().unwrap_or_default().to_string_lossy(),
        bytes.len(),
        out.len()
    );
    (path, format!("then `wasm-opt -Oz` ({version})"))
}

/// A component's section id for an embedded core module.
const CORE_MODULE_SECTION: u8 = 1;

/// A component's top-level sections: id and payload range. Written out rather than taken from
/// wasmparser because this file is `include!`d by build scripts without build-dependencies, and
/// the outer framing (magic, version, then id, LEB128 length, payload) is all that is needed: the
/// rewritten component is validated by wasmtime when the host loads it.
fn component_sections(bytes: &[u8]) -> Option<Vec<(u8, std::ops::Range<usize>)>> {
    // `\0asm`, version 0x0d, layer 1: a component, not a core module.
    if bytes.get(..8)? != b"\0asm\x0d\0\x01\0" {
        return None;
    }
    let mut sections = Vec::new();
    let mut at = 8;
    while at < bytes.len() {
        let id = bytes[at];
        let (len, start) = read_leb128(bytes, at + 1)?;
        let end = start.checked_add(len).filter(|end| *end <= bytes.len())?;
        sections.push((id, start..end));
        at = end;
    }
    Some(sections)
}

/// An unsigned LEB128 (at most 5 bytes, as section lengths are) at `at`: the value and the
/// offset after it.
fn read_leb128(bytes: &[u8], mut at: usize) -> Option<(usize, usize)> {
    let mut value = 0usize;
    for shift in (0..35).step_by(7) {
        let byte = *bytes.get(at)?;
        at += 1;
        value |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some((value, at));
        }
    }
    None
}

fn push_leb128(out: &mut Vec<u8>, mut value: usize) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}
