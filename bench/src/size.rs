//! The component file's size, as built and as `wasm-tools strip` leaves it.

use anyhow::{ensure, Context};

/// The component file's size, and what `wasm-tools strip` leaves of it.
#[derive(Debug, Clone)]
pub struct SizeFigure {
    pub path: String,
    /// How the file was made (see [`crate::options::component_file`]).
    pub made: String,
    pub bytes: u64,
    /// `wasm-tools strip` (keeps `name` and `component-type`).
    pub stripped: Option<u64>,
    /// `wasm-tools strip --all`.
    pub stripped_all: Option<u64>,
    /// Why there are no stripped sizes, when there are none.
    pub note: Option<String>,
    /// The WASI 0.3 component's size as built (`litellm_host::COMPONENT_P3_PATH`).
    pub p3_bytes: u64,
}

/// The component's size, and with `wasm-tools` (`$WASM_TOOLS` or on `PATH`) its stripped sizes.
pub fn component_size() -> anyhow::Result<SizeFigure> {
    let (path, made) = crate::options::component_file();
    let path = path.as_str();
    let bytes = std::fs::metadata(path).with_context(|| format!("reading {path}"))?.len();
    let tool = std::env::var_os("WASM_TOOLS").unwrap_or_else(|| "wasm-tools".into());
    let strip = |all: bool| -> anyhow::Result<u64> {
        let out = std::env::temp_dir().join(format!("litellm-bench-stripped-{}-{all}.wasm", std::process::id()));
        let mut command = std::process::Command::new(&tool);
        command.arg("strip").arg(path).arg("-o").arg(&out);
        if all {
            command.arg("--all");
        }
        let status = command.status().context("running wasm-tools")?;
        ensure!(status.success(), "wasm-tools strip failed: {status}");
        let size = std::fs::metadata(&out)?.len();
        let _ = std::fs::remove_file(&out);
        Ok(size)
    };
    let (stripped, stripped_all, note) = match (strip(false), strip(true)) {
        (Ok(a), Ok(b)) => (Some(a), Some(b), None),
        (Err(e), _) | (_, Err(e)) => (None, None, Some(format!("{e:#}"))),
    };
    let p3 = litellm_host::COMPONENT_P3_PATH;
    let p3_bytes = std::fs::metadata(p3).with_context(|| format!("reading {p3}"))?.len();
    Ok(SizeFigure { path: path.to_owned(), made, bytes, stripped, stripped_all, note, p3_bytes })
}
