//! `litellm-provider`: an OpenAI-compatible chat provider (LiteLLM proxy, OpenAI, vLLM, Ollama,
//! llama.cpp) as a WebAssembly component that speaks WASI HTTP.
//!
//! This file and `contract.rs` are the contract glue, the only code that touches the generated
//! bindings: this file holds the exported resources, `contract.rs` maps the WIT types to the plain
//! Rust ones in [`domain`] and back. Everything else compiles and is tested natively; `export!`
//! only runs for `wasm32`.
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

mod bindings {
    wit_bindgen::generate!({ world: "litellm-provider", path: "wit" });
}

use bindings::exports::devsper::llm::provider::{self, GuestClient, GuestCompletionStream};
use bindings::exports::devsper::llm::types as wit;
use contract::error_out;
use std::cell::RefCell;

/// The component's exports.
pub struct Component;

#[cfg(target_arch = "wasm32")]
bindings::export!(Component with_types_in bindings);

impl provider::Guest for Component {
    type Client = ClientResource;
    type CompletionStream = StreamResource;
}

/// The `client` resource.
pub struct ClientResource(client::Client);

/// The `completion-stream` resource.
pub struct StreamResource(RefCell<stream::CompletionStream>);

fn environment(name: &str) -> Option<String> {
    wasi::cli::environment::get_environment().into_iter().find_map(|(k, v)| (k == name).then_some(v))
}

impl GuestClient for ClientResource {
    fn open(config: wit::Config) -> Result<provider::Client, wit::Error> {
        let client = client::Client::open(&contract::config_in(config), environment).map_err(error_out)?;
        Ok(provider::Client::new(ClientResource(client)))
    }

    fn name(&self) -> String {
        client::PROVIDER_NAME.to_string()
    }

    fn supports_model(&self, model: String) -> bool {
        request::supports_model(&model)
    }

    fn generate(&self, request: wit::Request) -> Result<wit::Response, wit::Error> {
        self.0.generate(&contract::request_in(request)).map(contract::response_out).map_err(error_out)
    }

    fn stream(&self, request: wit::Request) -> Result<provider::CompletionStream, wit::Error> {
        let stream = self.0.stream(&contract::request_in(request)).map_err(error_out)?;
        Ok(provider::CompletionStream::new(StreamResource(RefCell::new(stream))))
    }

    fn embed(&self, request: wit::EmbeddingsRequest) -> Result<wit::EmbeddingsResponse, wit::Error> {
        self.0.embed(&contract::embeddings_in(request)).map(contract::embeddings_out).map_err(error_out)
    }

    fn list_models(&self) -> Result<Vec<wit::ModelInfo>, wit::Error> {
        let models = self.0.list_models().map_err(error_out)?;
        Ok(models.into_iter().map(contract::model_out).collect())
    }
}

impl GuestCompletionStream for StreamResource {
    fn next(&self) -> Result<Option<wit::StreamEvent>, wit::Error> {
        let event = self.0.borrow_mut().next_event().map_err(error_out)?;
        Ok(event.map(contract::event_out))
    }

    fn next_batch(&self, max: u32) -> Result<Vec<wit::StreamEvent>, wit::Error> {
        let events = self.0.borrow_mut().next_batch(max as usize).map_err(error_out)?;
        Ok(events.into_iter().map(contract::event_out).collect())
    }
}
