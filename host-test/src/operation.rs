//! What a call does: the one description its span, its metering and its quota read.

use crate::{EmbeddingsRequest, Request};

/// What a call does, for its span.
pub(crate) enum Operation<'a> {
    /// A chat completion, streamed or not.
    Chat { request: &'a Request, stream: bool },
    /// Embeddings.
    Embeddings(&'a EmbeddingsRequest),
    /// The model list.
    ListModels,
    /// The provider's name.
    Name,
    /// The model rule.
    SupportsModel(&'a str),
}
