//! The client behind the contract's `client` resource, in plain Rust types.

use crate::answer;
use crate::config::Settings;
use crate::domain::{ChatRequest, ChatResponse, ClientConfig, Error};
use crate::embeddings::{self, EmbeddingsRequest, EmbeddingsResponse, ModelInfo};
use crate::stream::{self, CompletionStream};
use crate::{errors, http, request, response, retry};

/// The provider's name (the seed's `name()`).
pub const PROVIDER_NAME: &str = "litellm";

/// A client bound to one endpoint and key.
pub struct Client {
    settings: Settings,
}

impl Client {
    /// Resolves the config against the environment; fails only on an unusable config.
    pub fn open(config: &ClientConfig, env: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        Ok(Self { settings: Settings::resolve(config, env)? })
    }

    /// Every error that leaves the client: scrubbed of the secrets in every spelling and capped,
    /// whichever module built it.
    fn sanitized<T>(&self, result: Result<T, Error>) -> Result<T, Error> {
        result.map_err(|e| errors::sanitize(e, &self.settings.api_key))
    }

    /// One chat completion: POST `{base}/v1/chat/completions`, the whole answer parsed.
    pub fn generate(&self, chat: &ChatRequest) -> Result<ChatResponse, Error> {
        self.sanitized((|| {
            let body = request::chat_body(chat, false, self.settings.profile)?;
            let model = request::wire_model(&chat.model);
            let path = self.settings.route("chat/completions", model)?;
            let bytes = self.read_whole(self.whole(&path, Some(&body)))?;
            response::parse(&bytes, model, &self.settings.api_key)
        })())
    }

    /// A request whose JSON answer is read whole, under `max-response-bytes`.
    fn whole<'a>(&self, path: &'a str, body: Option<&'a [u8]>) -> http::Outgoing<'a> {
        let body_cap = Some(u64::from(self.settings.max_response_bytes));
        http::Outgoing { path, body, accept: "application/json", body_cap }
    }

    /// The answer's body, read whole; an attempt whose body breaks or stalls is retried like one
    /// that failed before its answer.
    fn read_whole(&self, outgoing: http::Outgoing<'_>) -> Result<Vec<u8>, Error> {
        retry::run(&self.settings, |deadline| {
            let answer = http::exchange(&self.settings, &outgoing, deadline)?;
            answer::accepted(answer, &self.settings.api_key)?.body.read_all()
        })
    }

    /// One chat completion as a stream of events.
    pub fn stream(&self, chat: &ChatRequest) -> Result<CompletionStream, Error> {
        self.sanitized(stream::open(&self.settings, chat))
    }

    /// Embeddings of the request's inputs: POST `{base}/v1/embeddings`.
    pub fn embed(&self, embed: &EmbeddingsRequest) -> Result<EmbeddingsResponse, Error> {
        self.sanitized((|| {
            let model = request::wire_model(&embed.model);
            let body = embeddings::embeddings_body(embed, model)?;
            let path = self.settings.route("embeddings", model)?;
            let bytes = self.read_whole(self.whole(&path, Some(&body)))?;
            embeddings::parse_embeddings(&bytes, embed.inputs.len(), model, &self.settings.api_key)
        })())
    }

    /// The models the server offers: GET `{base}/v1/models`.
    pub fn list_models(&self) -> Result<Vec<ModelInfo>, Error> {
        self.sanitized((|| {
            let path = self.settings.route("models", "")?;
            let bytes = self.read_whole(self.whole(&path, None))?;
            embeddings::parse_models(&bytes, &self.settings.api_key)
        })())
    }
}
