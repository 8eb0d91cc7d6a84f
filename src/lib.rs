//! `litellm-provider`: an OpenAI-compatible chat provider (LiteLLM proxy, OpenAI, vLLM, Ollama,
//! llama.cpp) as a WebAssembly component that speaks WASI HTTP.
//!
//! This file, `exports_p2.rs`/`exports_p3.rs` and `contract.rs` are the contract glue, the only
//! code that touches the generated bindings: this file generates them for the world being built
//! (the 0.2 world `wit/`, or with the feature `wasi-p3` the 0.3 world `wit/async/`), the
//! `exports_*` file holds that world's exported resources, and `contract.rs` maps the WIT types
//! (`devsper:llm/types`, the same in both worlds) to the plain Rust ones in [`domain`] and back.
//! Everything else compiles and is tested natively; `export!` only runs for `wasm32`.
//!
//! The rlib exposes the pure layer the bench, the property tests and the fuzz targets drive
//! natively: the plain types ([`domain`]), settings ([`config`]), request bodies ([`request`]),
//! answer parsing ([`response`], [`chunks`], [`sse`], [`embeddings`]) and errors ([`errors`]).
#![deny(missing_docs)]

mod answer;
pub mod chunks;
mod client;
pub mod config;
mod contract;
pub mod domain;
pub mod embeddings;
mod endpoint;
pub mod errors;
mod http;
mod json_repair;
pub mod request;
pub mod response;
mod retry;
pub mod sse;
mod stream;
mod validate;
mod wire;

#[cfg(not(feature = "wasi-p3"))]
mod bindings {
    wit_bindgen::generate!({ world: "litellm-provider", path: "wit" });
}

#[cfg(feature = "wasi-p3")]
mod bindings {
    wit_bindgen::generate!({ world: "devsper:llm-async/litellm-provider", path: "wit/async", generate_all });
}

#[cfg(not(feature = "wasi-p3"))]
mod exports_p2;
#[cfg(feature = "wasi-p3")]
mod exports_p3;

/// The component's exports.
pub struct Component;

/// The `client` resource.
pub struct ClientResource(client::Client);

/// What both worlds' `client` resources do alike (each world's `exports_*` file hands these to
/// its own bindings).
impl ClientResource {
    /// `open`: the config resolved against `environment` (the world's `wasi:cli/environment`).
    fn open(
        config: bindings::exports::devsper::llm::types::Config,
        environment: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, bindings::exports::devsper::llm::types::Error> {
        let client = client::Client::open(&contract::config_in(config), environment).map_err(contract::error_out)?;
        Ok(ClientResource(client))
    }

    /// `name`.
    fn name() -> String {
        client::PROVIDER_NAME.to_string()
    }

    /// `supports-model`.
    fn supports_model(model: &str) -> bool {
        request::supports_model(model)
    }
}
