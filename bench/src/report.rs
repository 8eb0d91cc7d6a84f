//! The Markdown tables, and their place in `BENCHMARKS.md`.

use std::fmt::Write;

use crate::{Results, Variant};

/// The generated section starts after this line…
pub const BEGIN: &str =
    "<!-- BEGIN litellm-bench output: written by `cargo run -p litellm-bench --release`, do not edit by hand -->";
/// …and ends before this one.
pub const END: &str = "<!-- END litellm-bench output -->";

/// `12.3 µs`, `4.56 ms`, `1.23 s`: three significant figures.
pub fn duration(seconds: f64) -> String {
    let (value, unit) = if seconds < 1e-3 {
        (seconds * 1e6, "µs")
    } else if seconds < 1.0 {
        (seconds * 1e3, "ms")
    } else {
        (seconds, "s")
    };
    format!("{} {unit}", significant(value))
}

fn significant(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// `1.18 MiB`, `12.3 KiB`, `900 B`.
pub fn bytes(n: f64) -> String {
    let sign = if n < 0.0 { "-" } else { "" };
    let n = n.abs();
    if n >= (1 << 20) as f64 {
        format!("{sign}{} MiB", significant(n / (1 << 20) as f64))
    } else if n >= 1024.0 {
        format!("{sign}{} KiB", significant(n / 1024.0))
    } else {
        format!("{sign}{n:.0} B")
    }
}

/// `4.21×`.
pub fn ratio(value: f64, baseline: f64) -> String {
    if baseline > 0.0 && value.is_finite() {
        format!("{:.2}×", value / baseline)
    } else {
        "—".to_owned()
    }
}

/// The whole generated section, markers excluded.
pub fn render(r: &Results) -> String {
    let mut out = String::new();
    let m = &r.machine;
    let s = &r.sizes;
    let _ = writeln!(out, "## Results\n");
    let _ = writeln!(out, "- command: `{}` ({} mode)", m.command, s.mode);
    let _ = writeln!(out, "- date: {}", m.date);
    let _ = writeln!(out, "- revision: {}", m.revision);
    let _ = writeln!(out, "- environment: {}", m.backtrace_env);
    let _ = writeln!(out, "- machine: {} CPUs (`nproc`), {}, Linux {}", m.cpus, m.cpu_model, m.kernel);
    let _ = writeln!(out, "- load average (1/5/15 min) before: {}, after: {}", m.load_before, m.load_after);
    let _ = writeln!(out, "- the whole run took {}", duration(r.elapsed.as_secs_f64()));
    let _ = writeln!(
        out,
        "\n### Latency\n\nMedian and p90 of N calls per variant after {} warm-up calls, variants \
         interleaved in blocks. Every component call runs in a fresh `Store` and instance, except \
         the warm client's (the tenant's instance kept between calls). \"vs native\" is this \
         median ÷ the native median of the same measurement, over the same transport (HTTPS \
         rows ÷ native reqwest with rustls, both keep-alive, the same CA; for \"instantiate \
         only\": ÷ one whole native 1 KiB call).\n",
        s.warmup
    );
    let _ = writeln!(out, "| measurement | variant | N | median | p90 | vs native |\n|---|---|---:|---:|---:|---:|");
    let native_1kb = r
        .latency
        .iter()
        .find(|row| row.what.contains("1 KiB") && row.variant == Variant::Native)
        .map(|row| row.stats.median());
    for row in &r.latency {
        let baseline = r
            .latency
            .iter()
            .find(|other| other.what == row.what && other.variant == row.variant.baseline())
            .map(|other| other.stats.median())
            .or(native_1kb)
            .unwrap_or(f64::NAN);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            row.what,
            row.variant.label(),
            row.stats.len(),
            duration(row.stats.median()),
            duration(row.stats.p90()),
            ratio(row.stats.median(), baseline),
        );
    }

    let _ = writeln!(
        out,
        "\n### Throughput\n\n`generate` with a 1 KiB answer, every caller making its calls one \
         after the other, all callers at once; each caller is its own tenant (component, \
         pooling, fresh instance per call or a warm client of its own) or has its own client \
         (native). About {} calls per round, {} round(s) per \
         row after a warm-up round; calls/s is the median round (and the 10th percentile \
         round), latency is over every call of those rounds. \"vs native\" compares calls/s.\n",
        s.throughput_calls, s.throughput_rounds
    );
    let _ = writeln!(
        out,
        "| callers | variant | calls/s | calls/s, p10 round | latency median | latency p90 | vs native |\n|---:|---|---:|---:|---:|---:|---:|"
    );
    for row in &r.throughput {
        let baseline = r
            .throughput
            .iter()
            .find(|o| o.callers == row.callers && o.variant == Variant::Native)
            .map_or(f64::NAN, |o| o.rate.median());
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {:.0} | {} | {} | {} |",
            row.callers,
            row.variant.label(),
            row.rate.median(),
            row.rate.p10(),
            duration(row.latency.median()),
            duration(row.latency.p90()),
            ratio(row.rate.median(), baseline),
        );
    }

    let _ = writeln!(
        out,
        "\n### Memory per live instance\n\nK streams held open at once (`mock/stream-gated`: one \
         delta, then the server waits), each read past its first event; the growth of `VmRSS` \
         (`/proc/self/status`) divided by K, measured in {}. A component stream is a live \
         instance of its own tenant; the native streams share one client. The mock server runs \
         in the same process, so its side of each connection is in every row: the native row \
         is mostly that, and the component's own cost is about its row minus the native row.\n",
        r.memory_mode
    );
    let _ = writeln!(
        out,
        "| variant | K | RSS before | RSS after | growth per instance | vs native |\n|---|---:|---:|---:|---:|---:|"
    );
    let native_mem = r.memory.iter().find(|(v, _)| *v == Variant::Native).map_or(f64::NAN, |(_, f)| f.per_instance());
    for (variant, figure) in &r.memory {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            variant.label(),
            figure.live,
            bytes(figure.rss_before as f64),
            bytes(figure.rss_after as f64),
            bytes(figure.per_instance()),
            ratio(figure.per_instance(), native_mem),
        );
    }

    let z = &r.size;
    let _ = writeln!(
        out,
        "\n### Component size\n\nThe component every component variant above loaded, {} (the `guest` \
         profile: `opt-level = \"z\"`, fat LTO, `strip = true`).\n",
        z.made
    );
    let _ = writeln!(out, "| file | bytes |\n|---|---:|");
    let _ = writeln!(out, "| `{}` | {} ({}) |", file_name(&z.path), z.bytes, bytes(z.bytes as f64));
    let _ = writeln!(
        out,
        "| the WASI 0.3 component (`--features wasi-p3`, as cargo built it) | {} ({}) |",
        z.p3_bytes,
        bytes(z.p3_bytes as f64)
    );
    match (z.stripped, z.stripped_all) {
        (Some(a), Some(b)) => {
            let _ = writeln!(
                out,
                "| the first, after `wasm-tools strip` (keeps `name`, `component-type`) | {a} ({}) |",
                bytes(a as f64)
            );
            let _ = writeln!(
                out,
                "| the first, after `wasm-tools strip --all` (no custom section at all) | {b} ({}) |",
                bytes(b as f64)
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "\n`wasm-tools` was not available, so no stripped size: {}",
                z.note.as_deref().unwrap_or("")
            );
        }
    }

    render_decomposition(&mut out, &r.decomposition);

    let _ = writeln!(out, "\n### Setup, once per host\n\n| step | time |\n|---|---:|");
    for (what, time) in &r.setup {
        let _ = writeln!(out, "| {what} | {} |", duration(time.as_secs_f64()));
    }
    out
}

/// The decomposition's tables: CPU per call, crossings, system calls, the JSON work natively.
fn render_decomposition(out: &mut String, d: &crate::decompose::Decomposition) {
    let _ = writeln!(
        out,
        "\n### Where a call's cost goes\n\nCPU time of sequential 1 KiB `generate` calls (`getrusage` of the \
         whole process, every thread, the in-process mock included in every row), the variants taking \
         turns block by block; \"extra\" is the row minus native.\n"
    );
    let _ = writeln!(
        out,
        "| variant | calls | CPU per call | user | system | extra CPU per call | context switches per call | vs native |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|"
    );
    let native = d.cpu.iter().find(|row| row.native).map_or(f64::NAN, |row| row.cpu_us());
    for row in &d.cpu {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {:.2} | {} |",
            row.label,
            row.calls,
            duration(row.cpu_us() / 1e6),
            duration(row.user_us() / 1e6),
            duration(row.system_us() / 1e6),
            duration((row.cpu_us() - native).max(0.0) / 1e6),
            row.switches(),
            ratio(row.cpu_us(), native),
        );
    }
    let _ = writeln!(
        out,
        "\nCalls between the guest and the host per call (wasmtime's call hook, on a pooling host of its \
         own): into the host is every WASI function the guest calls; into the guest, every export the \
         host calls (the resource drops included).\n\n| call | into the host | into the guest |\n|---|---:|---:|"
    );
    for row in &d.crossings {
        let _ = writeln!(out, "| {} | {:.1} | {:.1} |", row.what, row.into_host, row.into_guest);
    }
    match &d.syscalls {
        Ok(rows) => {
            let names: Vec<&str> =
                rows.first().map(|r| r.per_call.iter().map(|(n, _)| n.as_str()).collect()).unwrap_or_default();
            let _ = writeln!(
                out,
                "\nSystem calls per 1 KiB call (`strace -f -c` of `litellm-bench --profile-loop N --variant V` at \
                 two N, the difference per call; the mock's in them too; `epoll_wait` counts `epoll_pwait`, \
                 `write` and `read` their vector forms).\n"
            );
            let _ = writeln!(out, "| variant | {} |\n|---|{}", names.join(" | "), "---:|".repeat(names.len()));
            for row in rows {
                let cells: Vec<String> = row.per_call.iter().map(|(_, n)| format!("{n:.2}")).collect();
                let _ = writeln!(out, "| {} | {} |", row.variant.label(), cells.join(" | "));
            }
        }
        Err(why) => {
            let _ = writeln!(out, "\nNo system call rows: {why}.");
        }
    }
    let _ = writeln!(
        out,
        "\nThe JSON work of one 1 KiB call natively (the guest's own functions compiled for the host): \
         `request::chat_body` {}, `response::parse` of the mock's answer {}.",
        duration(d.json.chat_body.as_secs_f64()),
        duration(d.json.parse.as_secs_f64())
    );
    let b = d.boundary;
    let _ = writeln!(
        out,
        "\nBytes one warm 1 KiB call moves across the boundary, each copied once (sizes from this run's \
         requests and answers): the prompt into the guest {} B, the request body out {} B, the answer's \
         body in {} B, the content out {} B, {} B in all (headers, names and small values not counted).",
        b.prompt,
        b.request_body,
        b.answer_body,
        b.content,
        b.prompt + b.request_body + b.answer_body + b.content
    );
}

/// The file's text with the generated section replaced (or, without markers, appended after
/// `intro`).
pub fn splice(existing: Option<&str>, intro: &str, section: &str) -> String {
    let block = format!("{BEGIN}\n{}\n{END}", section.trim_end());
    if let Some(text) = existing {
        if let (Some(start), Some(end)) = (text.find(BEGIN), text.find(END)) {
            if start < end {
                return format!("{}{block}{}", &text[..start], &text[end + END.len()..]);
            }
        }
    }
    format!("{}\n\n{block}\n", intro.trim_end())
}

/// The last part of a path, for a table.
fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(duration(0.000_047_2), "47.2 µs");
        assert_eq!(duration(0.2734), "273 ms");
        assert_eq!(duration(2.5), "2.50 s");
        assert_eq!(bytes(1536.0), "1.50 KiB");
        assert_eq!(bytes(3.0 * 1048576.0), "3.00 MiB");
        assert_eq!(ratio(4.0, 2.0), "2.00×");
        assert_eq!(ratio(1.0, 0.0), "—");
    }

    #[test]
    fn splices_between_markers() {
        let fresh = splice(None, "# Intro", "table");
        assert!(fresh.starts_with("# Intro\n\n") && fresh.contains("table"));
        let edited = fresh.replace("# Intro", "# Intro, edited") + "\n## Where the time goes\n";
        let again = splice(Some(&edited), "# Intro", "new table");
        assert!(again.starts_with("# Intro, edited"));
        assert!(again.contains("new table") && !again.contains("\ntable\n"));
        assert!(again.ends_with("## Where the time goes\n"));
    }
}
