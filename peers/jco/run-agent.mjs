// Runs the composed agent (litellm-agent plugged with litellm-provider by litellm-compose) in
// Node through jco: a command component (`wasi:cli/run`) in a second component runtime.
//
//   npx jco transpile path/to/litellm-agent.composed.wasm -o out/composed-agent
//   node run-agent.mjs out/composed-agent http://127.0.0.1:PORT [NAME=VALUE]...
//
// The transpiled directory must lie inside peers/jco (its imports of
// @bytecodealliance/preview2-shim resolve from node_modules here). The component's environment
// is LITELLM_BASE_URL and the NAME=VALUE pairs only (as `wasmtime run --env` gives it), and its
// arguments are its name only. The agent prints its own lines on stdout; this script adds
// nothing to them. Exits with the agent's status (0, or 1 when a step failed); 2 on a usage error; 3 when the
// component failed otherwise (a trap).

import { _setArgs, _setEnv } from "@bytecodealliance/preview2-shim/cli";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [dir, baseUrl, ...pairs] = process.argv.slice(2);
if (!dir || !baseUrl || pairs.some((p) => !p.includes("="))) {
  console.error("usage: node run-agent.mjs TRANSPILED_DIR BASE_URL [NAME=VALUE]...");
  process.exit(2);
}

// By default the shim hands the component Node's own environment and argv: neither is the agent's.
_setEnv({ LITELLM_BASE_URL: baseUrl, ...Object.fromEntries(pairs.map((p) => p.split(/=(.*)/s, 2))) });
_setArgs(["litellm-agent"]);

const { run } = await import(pathToFileURL(resolve(dir, "litellm-agent.composed.js")).href);
try {
  // `wasi:cli/exit` (the agent's failure) ends the process itself, with status 1.
  run.run();
} catch (e) {
  // `run` returning its error case, or the shim's exit unwinding the call: jco throws either.
  // The agent has already printed why on stdout.
  if (e?.payload !== undefined || String(e).includes("see error.payload")) process.exit(1);
  console.error(`the agent's run failed: ${e?.stack ?? e}`);
  process.exit(3);
}

// The shim's I/O worker thread would keep Node alive.
process.exit(0);
