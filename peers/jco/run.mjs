// Runs the litellm-provider component in Node through jco, a second component runtime.
//
//   npx jco transpile path/to/litellm_provider.wasm -o out   # once per build of the component
//   node run.mjs out http://127.0.0.1:PORT [MODEL]
//
// The transpiled directory must lie inside peers/jco (its imports of
// @bytecodealliance/preview2-shim resolve from node_modules here). Prints one JSON line per
// result: `open`, `generate`, one `event` per stream event, `stream-end`, `generate-env` (an empty
// config, so the base URL comes from LITELLM_BASE_URL in the component's WASI environment), and
// `error` for a call that failed (the contract's error: `{"tag": "...", "val": ...}`). Exits 0
// when every call was made, whatever they returned; 2 on a usage error.

import { _setEnv } from "@bytecodealliance/preview2-shim/cli";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [dir, baseUrl, model = "litellm:gpt-4o"] = process.argv.slice(2);
if (!dir || !baseUrl) {
  console.error("usage: node run.mjs TRANSPILED_DIR BASE_URL [MODEL]");
  process.exit(2);
}

// The component sees only what it is given, as a tenant in the wasmtime host does.
_setEnv({ LITELLM_BASE_URL: baseUrl });

const { provider } = await import(pathToFileURL(resolve(dir, "litellm_provider.js")).href);
const { Client } = provider;

// Fields added to the contract later must not break this script: jco takes a missing `option`
// as `none`, but needs every `list`. So each list field that the contract declares (as read from
// the transpiled types) and that is not set here is set to [].
const typesFile = resolve(dir, "interfaces/devsper-llm-types.d.ts");
const declared = existsSync(typesFile) ? readFileSync(typesFile, "utf8") : "";
const listFields = (name) => {
  const body = declared.match(new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`))?.[1] ?? "";
  return [...body.matchAll(/^\s*(\w+): Array</gm)].map((m) => m[1]);
};
const complete = (name, value) => {
  for (const field of listFields(name)) value[field] ??= [];
  return value;
};

// 64-bit fields (`retry-after-ms`) come out as BigInt, which JSON.stringify refuses.
const emit = (value) =>
  console.log(JSON.stringify(value, (_, v) => (typeof v === "bigint" ? Number(v) : v)));

// jco throws a ComponentError whose `payload` is the contract's error variant.
const attempt = (step, f) => {
  try {
    return f();
  } catch (e) {
    emit({ step: "error", at: step, error: e?.payload ?? { tag: "thrown", val: String(e?.stack ?? e) } });
    return undefined;
  }
};

const request = (prompt) =>
  complete("Request", {
    model,
    messages: [complete("Message", { role: "user", content: prompt, toolCalls: [] })],
    tools: [],
    maxTokens: 32,
  });

const client = attempt("open", () => Client.open(complete("Config", { baseUrl, maxRetries: 0 })));
if (client) {
  emit({ step: "open", name: client.name(), supportsModel: client.supportsModel(model) });

  const answer = attempt("generate", () => client.generate(request("Hello from jco")));
  if (answer) emit({ step: "generate", response: answer });

  const stream = attempt("stream", () => client.stream(request("Streaming from jco")));
  if (stream) {
    for (;;) {
      const event = attempt("next", () => stream.next());
      if (event === undefined) break;
      emit({ step: "event", event });
    }
    emit({ step: "stream-end" });
    stream[Symbol.dispose]();
  }
  client[Symbol.dispose]();
}

const fromEnv = attempt("open", () => Client.open(complete("Config", { maxRetries: 0 })));
if (fromEnv) {
  const answer = attempt("generate-env", () => fromEnv.generate(request("Hello from the environment")));
  if (answer) emit({ step: "generate-env", response: answer });
  fromEnv[Symbol.dispose]();
}

// The shim's I/O worker thread would keep Node alive.
process.exit(0);
