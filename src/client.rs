//! The client behind the contract's `client` resource, in plain Rust types.

use crate::config::Settings;
use crate::domain::{ChatRequest, ChatResponse, ClientConfig, Error};
use crate::stream::{self, CompletionStream};
use crate::{http, request, response};

/// The provider's name (the seed's `name()`).
pub const PROVIDER_NAME: &str = "litellm";

/// A client bound to one endpoint and key.
pub struct Client {
    settings: Settings,
}

impl Client {
    /// Resolves the config against the environment; fails only on an unusable config.
    pub fn open(
        config: &ClientConfig,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, Error> {
        Ok(Self {
            settings: Settings::resolve(config, env)?,
        })
    }

    /// One chat completion: POST `{base}/v1/chat/completions`, the whole answer parsed.
    pub fn generate(&self, chat: &ChatRequest) -> Result<ChatResponse, Error> {
        let body = request::chat_body(chat, false)?;
        let path = self.settings.endpoint.path("chat/completions");
        let model = request::wire_model(&chat.model);
        http::send(&self.settings, &path, &body, "application/json", |answer| {
            let bytes = answer.body.read_all()?;
            response::parse(&bytes, model, &self.settings.api_key)
        })
    }

    /// One chat completion as a stream of events.
    pub fn stream(&self, chat: &ChatRequest) -> Result<CompletionStream, Error> {
        stream::open(&self.settings, chat)
    }
}
