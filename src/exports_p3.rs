//! The exports of the WASI 0.3 world (`wit/async/provider.wit`): the client's network calls as
//! async functions, and a streamed completion's events written to a `stream<stream-event>` by a
//! task of the call's own that goes on after the call has returned.

use crate::bindings::exports::devsper::llm::types as wit;
use crate::bindings::exports::devsper::llm_async::provider::{self, GuestClient};
use crate::bindings::{wit_future, wit_stream};
use crate::contract::{self, error_out};
use crate::{ClientResource, Component};
use wit_bindgen::{FutureReader, StreamReader};

#[cfg(target_arch = "wasm32")]
crate::bindings::export!(Component with_types_in crate::bindings);

/// The most events one write to the stream hands over: what the reader gets per crossing, at
/// most (as `next-batch`'s `max` in the 0.2 world).
const EVENTS_PER_WRITE: usize = 64;

impl provider::Guest for Component {
    type Client = ClientResource;
}

fn environment(name: &str) -> Option<String> {
    crate::bindings::wasi::cli::environment::get_environment().into_iter().find_map(|(k, v)| (k == name).then_some(v))
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

    async fn generate(&self, request: wit::Request) -> Result<wit::Response, wit::Error> {
        self.0.generate(&contract::request_in(request)).map(contract::response_out).map_err(error_out)
    }

    async fn stream(
        &self,
        request: wit::Request,
    ) -> Result<(StreamReader<wit::StreamEvent>, FutureReader<Result<(), wit::Error>>), wit::Error> {
        let mut stream = self.0.stream(&contract::request_in(request)).map_err(error_out)?;
        let (mut events, events_reader) = wit_stream::new::<wit::StreamEvent>();
        // Dropped unwritten (the task gone), the end says `ok`: the stream's own end tells the
        // reader no more came.
        let (end, end_reader) = wit_future::new::<Result<(), wit::Error>>(|| Ok(()));
        wit_bindgen::spawn_local(async move {
            let outcome = loop {
                match stream.next_batch(EVENTS_PER_WRITE) {
                    Ok(batch) if batch.is_empty() => break Ok(()),
                    Ok(batch) => {
                        let unwritten = events.write_all(batch.into_iter().map(contract::event_out).collect()).await;
                        if !unwritten.is_empty() {
                            // The reader dropped the stream: the connection closes with it.
                            return;
                        }
                    }
                    Err(e) => break Err(error_out(e)),
                }
            };
            drop(events);
            let _ = end.write(outcome).await;
        });
        Ok((events_reader, end_reader))
    }

    async fn embed(&self, request: wit::EmbeddingsRequest) -> Result<wit::EmbeddingsResponse, wit::Error> {
        self.0.embed(&contract::embeddings_in(request)).map(contract::embeddings_out).map_err(error_out)
    }

    async fn list_models(&self) -> Result<Vec<wit::ModelInfo>, wit::Error> {
        let models = self.0.list_models().map_err(error_out)?;
        Ok(models.into_iter().map(contract::model_out).collect())
    }
}
