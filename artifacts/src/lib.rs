//! `litellm-artifacts`: the workspace's guest components, built once per build (in the manner of
//! wasmtime's `test-programs/artifacts`): its build script builds the provider, the agent and the
//! gateway (and the config-env adapter and the bench's floor) for `wasm32-wasip2` in one nested cargo, and the provider's WASI 0.3
//! build in a second, and this crate is their paths. `litellm-host`
//! loads the provider from here; `litellm-compose` composes the agent and the gateway with it.
#![deny(missing_docs)]

/// The provider component (`litellm-provider`), shrunk by `wasm-opt` when `LITELLM_WASM_OPT` was
/// set at build time.
pub const PROVIDER: &str = env!("LITELLM_PROVIDER_WASM");

/// How [`PROVIDER`] was made: the guest profile's cargo build, and whether `wasm-opt` shrank it.
pub const PROVIDER_BUILD: &str = env!("LITELLM_PROVIDER_WASM_BUILD");

/// The provider's WASI 0.3 component (`litellm-provider` with the feature `wasi-p3`: the world
/// `devsper:llm-async/litellm-provider` of `wit/async/`), shrunk as [`PROVIDER`] is.
pub const PROVIDER_P3: &str = env!("LITELLM_PROVIDER_P3_WASM");

/// How [`PROVIDER_P3`] was made.
pub const PROVIDER_P3_BUILD: &str = env!("LITELLM_PROVIDER_P3_WASM_BUILD");

/// The agent alone (`litellm-agent`, a `wasi:cli/run` command that imports the provider).
pub const AGENT: &str = env!("LITELLM_AGENT_WASM");

/// The gateway alone (`litellm-gateway`, a `wasi:http/proxy` component that imports the provider).
pub const GATEWAY: &str = env!("LITELLM_GATEWAY_WASM");

/// The config-env adapter (`litellm-config-env`): exports `wasi:cli/environment` as the host's
/// environment plus the `LITELLM_*` entries of `wasi:config/store`.
pub const CONFIG_ENV: &str = env!("LITELLM_CONFIG_ENV_WASM");

/// The bench's WASI HTTP floor (`litellm-bench-floor`): the provider's contract, whose `generate`
/// makes the provider's `wasi:http` calls with a fixed request and drops the answer unparsed.
pub const BENCH_FLOOR: &str = env!("LITELLM_BENCH_FLOOR_WASM");
