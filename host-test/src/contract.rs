//! The contract's types, generated from `wit/provider.wit`, and the few helpers the host adds to
//! them: constructors, the cases' names, one-line descriptions of errors.

use std::fmt;

pub(crate) mod bindings {
    // Both worlds' exports in one world of the host's own, so that both providers' functions
    // take and give the one set of types (`devsper:llm/types`): a component has one provider
    // or the other, and each is loaded by its interface (`GuestIndices`), not by this world.
    wasmtime::component::bindgen!({
        inline: "
            package litellm:host;

            world providers {
                export devsper:llm/types@0.3.0;
                export devsper:llm/provider@0.3.0;
                export devsper:llm-async/provider@0.1.0;
            }
        ",
        path: "../wit/async",
        world: "litellm:host/providers",
        exports: { default: async },
        additional_derives: [PartialEq],
    });
}

pub use bindings::exports::devsper::llm::types::{
    ApiError, ContentPart, EmbeddingsRequest, EmbeddingsResponse, Error as ProviderError, Failure, FilePart, ImageUrl,
    InputAudio, JsonSchema, Message, ModelInfo, Profile, ReasoningEffort, Request, Response, ResponseFormat, Role,
    StopReason, StreamEnd, StreamEvent, TokenLimitField, ToolCall, ToolChoice, ToolDef, Usage,
};

// `Request::default`/`user`, `Message::text`/`from_answer`, the names of the contract's cases,
// `ProviderError::kind`/`api_error`/`describe` and `Usage::describe`: written once for both
// bindings of the contract, in litellm-client.
use bindings::exports::devsper::llm::types::Error;
include!("../../client/src/helpers.rs");

/// [`ProviderError::describe`] as a `Display`.
pub(crate) struct Line<'a>(pub(crate) &'a ProviderError);

impl fmt::Display for Line<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.describe())
    }
}
