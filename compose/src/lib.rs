//! `litellm-compose`: the components of this workspace composed into one file each, with wac.
//!
//! Its build script builds three components for `wasm32-wasip2` (profile `guest`, in a target
//! directory of its own under `OUT_DIR`): the provider (`litellm-provider`, the root package),
//! the agent (`litellm-agent`, a `wasi:cli/run` command that imports `devsper:llm/provider`) and
//! the gateway (`litellm-gateway`, a `wasi:http/proxy` component that imports it too). Then it
//! plugs the provider into the agent's and the gateway's imports with `wac-graph` (what
//! `wac plug --plug provider.wasm socket.wasm` does) and writes the two compositions. Each
//! composition imports only standard WASI 0.2: `wasmtime run`, `wasmtime serve` and jco run it
//! as it is.
//!
//! The crate itself is only the paths of those files, as constants. They lie under the
//! workspace's `target/` (in this crate's `OUT_DIR`).

/// The composed agent: `wasmtime run -S http --env LITELLM_BASE_URL=URL` runs it.
pub const AGENT_COMPOSED: &str = env!("LITELLM_AGENT_COMPOSED_WASM");

/// The composed gateway: `wasmtime serve -S cli --env LITELLM_BASE_URL=URL` serves it.
pub const GATEWAY_COMPOSED: &str = env!("LITELLM_GATEWAY_COMPOSED_WASM");

/// The agent alone, before composition (it imports `devsper:llm/provider@0.3.0`).
pub const AGENT: &str = env!("LITELLM_AGENT_WASM");

/// The gateway alone, before composition (it imports `devsper:llm/provider@0.3.0`).
pub const GATEWAY: &str = env!("LITELLM_GATEWAY_WASM");

/// The provider component that was plugged into both: this crate's own guest build of it (the
/// same source and profile as `litellm-host`'s, built in this crate's build directory).
pub const PROVIDER: &str = env!("LITELLM_PROVIDER_WASM");

/// Every file by a short name, for `litellm-compose NAME`.
pub const FILES: [(&str, &str); 5] = [
    ("agent", AGENT_COMPOSED),
    ("gateway", GATEWAY_COMPOSED),
    ("agent-alone", AGENT),
    ("gateway-alone", GATEWAY),
    ("provider", PROVIDER),
];
