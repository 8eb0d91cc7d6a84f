#!/usr/bin/env bash
# Where a call's CPU goes, warm client against native: `perf record` of the bench's profile loop
# for each (the mock in the same process, in both), the samples put into buckets by symbol, each
# bucket's share turned into µs per call with the loop's own CPU per call (getrusage).
# Usage: bench/scripts/where-the-cpu-goes.sh [N] [extra profile-loop flags, e.g. --current-thread]
# Needs perf; run from the repository root after `cargo build -p litellm-bench --release`.
set -euo pipefail
n=${1:-20000}
shift || true
bench=target/release/litellm-bench
cache=${TMPDIR:-/tmp}/litellm-bench-cache
mkdir -p "$cache"
env -u RUST_BACKTRACE "$bench" --profile-loop 100 --variant warm --cache "$cache" "$@" 2>/dev/null # compile once
for variant in native warm; do
  data=${TMPDIR:-/tmp}/perf-$variant.data
  cpu=$(env -u RUST_BACKTRACE perf record -q -F 4999 -o "$data" "$bench" --profile-loop "$n" --variant "$variant" --cache "$cache" "$@" 2>&1 >/dev/null |
    sed -n 's/.*CPU per call \([0-9.]*\) µs.*/\1/p')
  perf report -i "$data" --no-children --sort dso,sym --stdio -g none 2>/dev/null |
    python3 -c '
import re, sys
cpu = float(sys.argv[1]); variant = sys.argv[2]
buckets = [
    ("guest wasm code", lambda d, s: ".cwasm" in d or s.startswith("wasm[")),
    ("kernel (TCP on loopback, scheduling, wake-ups)", lambda d, s: "kernel" in d),
    ("malloc, free, memmove, memset (libc)", lambda d, s: "libc" in d and re.search(r"malloc|free|memmove|memset|memcpy|unlink_chunk|consolidate|realloc|tcache", s)),
    ("wasmtime: crossings, canonical ABI, tasks, resources", lambda d, s: "wasmtime::" in s or "wasmtime_" in s and "wasi" not in s),
    ("wasmtime-wasi / wasi-http host functions", lambda d, s: "wasmtime_wasi" in s),
    ("hyper, http, the pool", lambda d, s: re.search(r"hyper|http::|httparse|litellm_host::transport|h2::", s) is not None),
    ("tokio", lambda d, s: "tokio::" in s or "mio::" in s),
    ("the mock", lambda d, s: "litellm_mock" in s),
    ("JSON (serde_json), native request and parse", lambda d, s: "serde_json" in s or "litellm_provider::" in s),
    ("reqwest", lambda d, s: "reqwest" in s),
]
totals = {name: 0.0 for name, _ in buckets}; totals["other"] = 0.0
for line in sys.stdin:
    m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[.\]\s+(.*)", line)
    if not m: continue
    share, dso, sym = float(m.group(1)), m.group(2), m.group(3)
    for name, test in buckets:
        if test(dso, sym):
            totals[name] += share; break
    else:
        totals["other"] += share
print(f"== {variant}: CPU per call {cpu:.1f} µs")
for name, share in totals.items():
    print(f"{variant}\t{name}\t{share:.1f} %\t{share * cpu / 100:.1f} µs")
' "$cpu" "$variant"
done
