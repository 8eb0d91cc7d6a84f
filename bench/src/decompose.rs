//! Where a call's extra cost goes, next to the native client, in the same run: the CPU time a
//! call burns (user and system, from `getrusage`) and the context switches it causes; the calls
//! between the guest and the host (wasmtime's call hook, on a host of its own so that no other
//! row pays for the hook); the system calls a call makes (`strace -c` over two lengths of the
//! profile loop, when `strace` is on `PATH`); and the JSON work a call does, natively.
//!
//! The mock runs in the bench's process, so its CPU is in every CPU row, native included: the
//! difference between two rows is the difference between the callers.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context};
use litellm_host::Host;
use litellm_provider::domain::{Profile, Secrets};
use litellm_provider::{request, response};

use crate::caller::{pooling_options, Caller, Variant};
use crate::workload::{native_request, stream_model, MODEL_1KB};
use crate::Bench;

/// The variants the decomposition compares.
pub const VARIANTS: [Variant; 4] = [Variant::Native, Variant::Floor, Variant::Warm, Variant::Pooling];

/// CPU time and context switches of `calls` sequential 1 KiB `generate` calls of one caller.
#[derive(Debug, Clone)]
pub struct CpuRow {
    pub label: String,
    pub native: bool,
    pub calls: u64,
    pub spent: Usage,
}

impl CpuRow {
    /// User plus system CPU per call, in µs.
    pub fn cpu_us(&self) -> f64 {
        self.spent.cpu_us() / self.calls as f64
    }
    pub fn user_us(&self) -> f64 {
        self.spent.user.as_secs_f64() * 1e6 / self.calls as f64
    }
    pub fn system_us(&self) -> f64 {
        self.spent.system.as_secs_f64() * 1e6 / self.calls as f64
    }
    pub fn switches(&self) -> f64 {
        self.spent.switches as f64 / self.calls as f64
    }
}

/// Crossings per call of one kind of call.
#[derive(Debug, Clone)]
pub struct CrossingRow {
    pub what: String,
    pub into_host: f64,
    pub into_guest: f64,
}

/// System calls per call of one variant, by name (the ones that tell), and all of them.
#[derive(Debug, Clone)]
pub struct SyscallRow {
    pub variant: Variant,
    pub per_call: Vec<(String, f64)>,
}

/// The JSON work of one 1 KiB call, natively: building the request body, parsing the answer.
#[derive(Debug, Clone, Copy)]
pub struct JsonFigure {
    pub chat_body: Duration,
    pub parse: Duration,
}

/// What one warm 1 KiB call moves across the guest's boundary, in bytes, each copied once by the
/// canonical ABI: the prompt into the guest (in the request record), the request body out of it
/// (its `wasi:io` writes), the answer's body into it (its reads), the content out (the response
/// record). Headers, names and small values are not counted.
#[derive(Debug, Clone, Copy)]
pub struct BoundaryBytes {
    pub prompt: usize,
    pub request_body: usize,
    pub answer_body: usize,
    pub content: usize,
}

/// Everything the decomposition measured.
#[derive(Debug, Clone)]
pub struct Decomposition {
    pub cpu: Vec<CpuRow>,
    pub crossings: Vec<CrossingRow>,
    /// `Err` says why there are no system call rows (no `strace`).
    pub syscalls: Result<Vec<SyscallRow>, String>,
    pub json: JsonFigure,
    pub boundary: BoundaryBytes,
}

/// The system calls the table shows, in this order; the rest are in `other`. `epoll_wait` counts
/// `epoll_pwait` too, `write` counts `writev`.
pub const SYSCALLS: [&str; 7] = ["futex", "epoll_wait", "write", "read", "sendto", "recvfrom", "mprotect"];

/// The process's CPU time and context switches so far (`getrusage`, every thread).
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    pub user: Duration,
    pub system: Duration,
    pub switches: u64,
}

impl Usage {
    pub fn now() -> Self {
        let time = |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
        // SAFETY: getrusage only writes the struct it is given.
        let usage = unsafe {
            let mut usage: libc::rusage = std::mem::zeroed();
            libc::getrusage(libc::RUSAGE_SELF, &mut usage);
            usage
        };
        Usage {
            user: time(usage.ru_utime),
            system: time(usage.ru_stime),
            switches: (usage.ru_nvcsw + usage.ru_nivcsw) as u64,
        }
    }

    /// User plus system CPU, in µs.
    pub fn cpu_us(&self) -> f64 {
        (self.user + self.system).as_secs_f64() * 1e6
    }
}

impl std::ops::Sub for Usage {
    type Output = Usage;

    fn sub(self, earlier: Usage) -> Usage {
        Usage {
            user: self.user.saturating_sub(earlier.user),
            system: self.system.saturating_sub(earlier.system),
            switches: self.switches.saturating_sub(earlier.switches),
        }
    }
}

impl Bench {
    /// CPU per call of each of [`VARIANTS`], and of a warm client on a host with wasmtime's
    /// concurrency support on (its default; this host's before): `blocks` blocks of `per_block`
    /// calls, the callers taking turns block by block, after a warm-up.
    pub async fn cpu_per_call(&self, blocks: usize, per_block: usize) -> anyhow::Result<Vec<CpuRow>> {
        let concurrent = Arc::new(Host::with_options(pooling_options().concurrency_support(true))?);
        let before = Caller::component(concurrent, "cpu-concurrency", &self.server.base_url(), true, None);
        let mut callers: Vec<(String, bool, &Caller)> =
            VARIANTS.iter().map(|&v| (v.label().to_owned(), v == Variant::Native, self.caller(v))).collect();
        callers.push(("component, warm client, wasmtime's concurrency support on".to_owned(), false, &before));
        let none = Usage { user: Duration::ZERO, system: Duration::ZERO, switches: 0 };
        let mut rows: Vec<CpuRow> = callers
            .iter()
            .map(|(label, native, _)| CpuRow { label: label.clone(), native: *native, calls: 0, spent: none })
            .collect();
        for (_, _, caller) in &callers {
            for _ in 0..per_block.min(200) {
                caller.generate(MODEL_1KB).await?;
            }
        }
        for _ in 0..blocks {
            for (row, (_, _, caller)) in rows.iter_mut().zip(&callers) {
                let before = Usage::now();
                for _ in 0..per_block {
                    caller.generate(MODEL_1KB).await?;
                }
                let spent = Usage::now() - before;
                row.calls += per_block as u64;
                row.spent = Usage {
                    user: row.spent.user + spent.user,
                    system: row.spent.system + spent.system,
                    switches: row.spent.switches + spent.switches,
                };
                self.forget_requests();
            }
        }
        Ok(rows)
    }

    /// Crossings per call: a 1 KiB `generate` on a warm client and on a fresh instance, and a
    /// stream of 500 events on a warm client, on a pooling host of their own that counts them.
    pub async fn crossings(&self, calls: usize) -> anyhow::Result<Vec<CrossingRow>> {
        let host = Arc::new(Host::with_options(pooling_options().count_crossings(true))?);
        let base = self.server.base_url();
        let warm = Caller::component(host.clone(), "crossings-warm", &base, true, None);
        let fresh = Caller::component(host.clone(), "crossings-fresh", &base, false, None);
        let read = || host.crossings().context("counting is on");
        let mut rows = Vec::new();
        for (what, caller, stream) in [
            ("generate, 1 KiB answer, warm client", &warm, false),
            ("generate, 1 KiB answer, fresh instance", &fresh, false),
            ("stream of 500 events (next-batch), warm client", &warm, true),
        ] {
            // The first call of a warm client opens its instance: not part of a warm call.
            caller.generate(MODEL_1KB).await?;
            let before = read()?;
            for _ in 0..calls {
                if stream {
                    caller.timed_stream(&stream_model(500), 500).await?;
                } else {
                    caller.generate(MODEL_1KB).await?;
                }
            }
            let spent = read()? - before;
            let n = calls as f64;
            rows.push(CrossingRow {
                what: what.to_owned(),
                into_host: spent.into_host as f64 / n,
                into_guest: spent.into_guest as f64 / n,
            });
            self.forget_requests();
        }
        Ok(rows)
    }
}

/// The JSON work of a 1 KiB call, natively, averaged over `n` rounds: the request body the
/// guest builds and the answer it parses (the mock's answer, fetched once).
pub async fn json_natively(base_url: &str, n: usize) -> anyhow::Result<JsonFigure> {
    let chat = native_request(MODEL_1KB);
    let key = Secrets::new("");
    let body = request::chat_body(&chat, false, Profile::Litellm).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let answer = reqwest::Client::new()
        .post(format!("{base_url}/v1/chat/completions"))
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await?
        .bytes()
        .await?;
    let started = Instant::now();
    for _ in 0..n {
        std::hint::black_box(request::chat_body(std::hint::black_box(&chat), false, Profile::Litellm).ok());
    }
    let chat_body = started.elapsed() / n as u32;
    let started = Instant::now();
    for _ in 0..n {
        std::hint::black_box(response::parse(std::hint::black_box(&answer), &chat.model, &key).ok());
    }
    let parse = started.elapsed() / n as u32;
    Ok(JsonFigure { chat_body, parse })
}

/// System calls per call of each variant: `strace -f -c` of `exe --profile-loop N` for two N,
/// the difference divided by the difference of N (so that start-up cancels out). `cache` keeps
/// the component's compilation for every run after the first.
pub fn syscalls(exe: &Path, cache: &Path, short: usize, long: usize) -> Result<Vec<SyscallRow>, String> {
    if Command::new("strace").arg("-V").output().is_err() {
        return Err("`strace` is not on PATH".to_owned());
    }
    let run = |variant: Variant, n: usize| -> anyhow::Result<Vec<(String, u64)>> {
        let out = cache.join(format!("strace-{}-{n}.txt", variant.name()));
        let status = Command::new("strace")
            .args(["-f", "-qq", "-c", "-o"])
            .arg(&out)
            .arg(exe)
            .args(["--profile-loop", &n.to_string(), "--variant", variant.name(), "--cache"])
            .arg(cache)
            .env_remove("RUST_BACKTRACE")
            .status()
            .context("running strace")?;
        ensure!(status.success(), "strace of the profile loop failed: {status}");
        let text = std::fs::read_to_string(&out)?;
        let _ = std::fs::remove_file(&out);
        Ok(parse_strace_summary(&text))
    };
    let mut rows = Vec::new();
    for variant in VARIANTS {
        let measured = (|| -> anyhow::Result<SyscallRow> {
            let (a, b) = (run(variant, short)?, run(variant, long)?);
            let count = |table: &[(String, u64)], names: &[&str]| -> u64 {
                table.iter().filter(|(name, _)| names.contains(&name.as_str())).map(|(_, n)| n).sum()
            };
            let per_call = |names: &[&str]| (count(&b, names) as f64 - count(&a, names) as f64) / (long - short) as f64;
            let mut row = Vec::new();
            for name in SYSCALLS {
                let names: Vec<&str> = match name {
                    "epoll_wait" => vec!["epoll_wait", "epoll_pwait", "epoll_pwait2"],
                    "write" => vec!["write", "writev"],
                    "read" => vec!["read", "readv"],
                    other => vec![other],
                };
                row.push((name.to_owned(), per_call(&names)));
            }
            row.push(("all".to_owned(), per_call(&["total"])));
            Ok(SyscallRow { variant, per_call: row })
        })();
        rows.push(measured.map_err(|e| format!("{e:#}"))?);
    }
    Ok(rows)
}

/// `strace -c`'s table as (name, calls): the `calls` column, found by the header's position (the
/// `errors` column is blank when there are none).
pub fn parse_strace_summary(text: &str) -> Vec<(String, u64)> {
    let mut lines = text.lines().skip_while(|l| !l.contains("syscall"));
    let Some(header) = lines.next() else { return Vec::new() };
    let Some(calls_end) = header.find("calls").map(|i| i + "calls".len()) else { return Vec::new() };
    lines
        .filter(|l| !l.starts_with("---") && l.len() > calls_end)
        .filter_map(|l| {
            let name = l.split_whitespace().last()?.to_owned();
            let calls = l[..calls_end].split_whitespace().last()?.parse().ok()?;
            Some((name, calls))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_calls_column_with_and_without_errors() {
        let text = "% time     seconds  usecs/call     calls    errors syscall\n\
                    ------ ----------- ----------- --------- --------- ----------------\n\
                    100.00    0.000017          17         1           munmap\n  \
                    0.00    0.000000           0      1234        12 futex\n\
                    ------ ----------- ----------- --------- --------- ----------------\n\
                    100.00    0.000017           0      1235        12 total\n";
        assert_eq!(
            parse_strace_summary(text),
            [("munmap".to_owned(), 1), ("futex".to_owned(), 1234), ("total".to_owned(), 1235)]
        );
    }
}
