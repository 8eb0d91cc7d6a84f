//! `litellm-client`: call the `litellm-provider` component from your own WebAssembly component.
//!
//! A component that imports `devsper:llm/provider@0.3.0` (the contract in the repository's
//! `wit/`) depends on this crate instead of generating the bindings itself. It gets the generated
//! types and the `client` resource, plus the few helpers every caller otherwise writes by hand:
//! [`Config`] and [`Request`] with every option unset (`Default`), [`Request::user`],
//! [`Message::text`], the contract's names of error cases, stop reasons, profiles and reasoning
//! efforts, and a one-line description of an error. A new field of the contract then changes the
//! WIT, the provider, and the `Default` here: no caller names every field.
//!
//! Compose the built component with the provider (`wac plug --plug litellm_provider.wasm
//! yours.wasm -o composed.wasm`, or `wac-graph` as `litellm-compose` does); the composition imports
//! only standard WASI 0.2.
//!
//! ```no_run
//! use litellm_client::{Client, Config, Request};
//!
//! // Every setting `none`: the provider's defaults and its environment
//! // (`LITELLM_BASE_URL`, `LITELLM_API_KEY`, `LITELLM_PROFILE`).
//! let client = Client::open(&Config::default()).map_err(|e| e.describe())?;
//! let answer = client.generate(&Request::user("litellm:gpt-4o", "Hello")).map_err(|e| e.describe())?;
//! println!("{} ({})", answer.content, answer.stop_reason.name());
//! # Ok::<(), String>(())
//! ```
//!
//! The bindings compile on every target (calls only work inside a component), so a caller's pure
//! code can be unit-tested natively.
#![deny(missing_docs)]

#[allow(missing_docs)]
mod bindings {
    wit_bindgen::generate!({
        inline: "
            package litellm:client;

            world client {
                import devsper:llm/provider@0.3.0;
            }
        ",
        path: "../wit",
        // The contract's interfaces live in another package (the root `wit/`): generate them here.
        generate_all,
        additional_derives: [PartialEq],
    });
}

pub use bindings::devsper::llm::provider::{Client, CompletionStream};
pub use bindings::devsper::llm::types::{
    ApiError, Config, ContentPart, EmbeddingsRequest, EmbeddingsResponse, Error, Failure, FilePart, ImageUrl,
    InputAudio, JsonSchema, Message, ModelInfo, Profile, ReasoningEffort, Request, Response, ResponseFormat, Role,
    StopReason, StreamEnd, StreamEvent, TokenLimitField, ToolCall, ToolChoice, ToolDef, Usage,
};

impl Default for Config {
    /// Every setting `none`: the provider's defaults and environment.
    fn default() -> Self {
        Config {
            profile: None,
            base_url: None,
            api_key: None,
            connect_timeout_ms: None,
            first_byte_timeout_ms: None,
            between_bytes_timeout_ms: None,
            total_timeout_ms: None,
            max_retries: None,
            max_response_bytes: None,
            headers: Vec::new(),
            api_version: None,
        }
    }
}

// The helpers on the contract's types, written once for the two bindings of the contract (this
// crate's guest bindings and litellm-host's wasmtime ones, which include the same file).
include!("helpers.rs");

#[cfg(test)]
mod tests;
