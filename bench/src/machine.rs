//! What the report says about the machine and the run: date, CPU, kernel, load, revision, and
//! the backtrace variables that change wasmtime's cost.

/// The machine and the run.
#[derive(Debug, Clone)]
pub struct Machine {
    pub date: String,
    pub command: String,
    pub cpus: usize,
    pub cpu_model: String,
    pub kernel: String,
    /// The commit measured (`$BENCH_REVISION`, else `git describe --always --dirty`).
    pub revision: String,
    /// `RUST_BACKTRACE` / `RUST_LIB_BACKTRACE` as set for the run: when on, wasmtime captures a
    /// backtrace at every `Store` drop (`StoreFiber::dispose`), which shows in the figures.
    pub backtrace_env: String,
    pub load_before: String,
    pub load_after: String,
}

/// `date -u`, the CPU, the load before the run; `load_after` is for the caller to fill in.
pub fn machine(command: &str) -> Machine {
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|k| k.trim().to_owned())
        .unwrap_or_else(|_| "unknown".to_owned());
    Machine {
        revision: revision(),
        backtrace_env: backtrace_env(),
        date,
        command: command.to_owned(),
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu_model,
        kernel,
        load_before: load(),
        load_after: String::new(),
    }
}

/// The commit measured: `$BENCH_REVISION` (for a copy without `.git`), else `git describe`.
pub fn revision() -> String {
    if let Ok(revision) = std::env::var("BENCH_REVISION") {
        return revision;
    }
    std::process::Command::new("git")
        .args(["-C", concat!(env!("CARGO_MANIFEST_DIR"), "/.."), "describe", "--always", "--dirty"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// `RUST_BACKTRACE` and `RUST_LIB_BACKTRACE` as this process sees them.
pub fn backtrace_env() -> String {
    let set: Vec<String> = ["RUST_BACKTRACE", "RUST_LIB_BACKTRACE"]
        .iter()
        .filter_map(|name| std::env::var(name).ok().map(|v| format!("{name}={v}")))
        .collect();
    if set.is_empty() {
        "RUST_BACKTRACE and RUST_LIB_BACKTRACE unset".to_owned()
    } else {
        format!("{} (wasmtime then captures a backtrace at every Store drop)", set.join(", "))
    }
}

/// The 1, 5 and 15 minute load averages.
pub fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_owned())
}
