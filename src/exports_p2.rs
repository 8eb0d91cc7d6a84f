//! The exports of the WASI 0.2 world (`wit/provider.wit`): the client, and a stream pulled an
//! event (or a batch) a call.

use crate::bindings::exports::devsper::llm::provider::{self, GuestClient, GuestCompletionStream};
use crate::bindings::exports::devsper::llm::types as wit;
use crate::contract::{self, error_out};
use crate::{stream, ClientResource, Component};
use std::cell::RefCell;

#[cfg(target_arch = "wasm32")]
crate::bindings::export!(Component with_types_in crate::bindings);

impl provider::Guest for Component {
    type Client = ClientResource;
    type CompletionStream = StreamResource;
}

/// The `completion-stream` resource.
pub struct StreamResource(RefCell<stream::CompletionStream>);

fn environment(name: &str) -> Option<String> {
    wasi::cli::environment::get_environment().into_iter().find_map(|(k, v)| (k == name).then_some(v))
}

impl GuestClient for ClientResource {
    fn open(config: wit::Config) -> Result<provider::Client, wit::Error> {
        ClientResource::open(config, environment).map(provider::Client::new)
    }

    fn name(&self) -> String {
        ClientResource::name()
    }

    fn supports_model(&self, model: String) -> bool {
        ClientResource::supports_model(&model)
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
