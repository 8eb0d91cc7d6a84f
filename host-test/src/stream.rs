//! A streamed completion as the host hands it out: each `next` runs the guest until it yields the
//! next event.

use crate::instance::Instance;
use crate::telemetry;
use crate::{CallError, StreamEvent};
use wasmtime::component::ResourceAny;

/// A streamed completion. Dropping it drops the instance, which closes the connection.
pub struct EventStream {
    instance: Instance,
    handle: Option<ResourceAny>,
    span: tracing::Span,
}

impl EventStream {
    pub(crate) fn new(instance: Instance, handle: ResourceAny, span: tracing::Span) -> Self {
        Self { instance, handle: Some(handle), span }
    }

    /// The next event; `None` after the `finish` event or an error.
    pub async fn next(&mut self) -> Option<Result<StreamEvent, CallError>> {
        let handle = self.handle?;
        // The deadline applies to each step, so a long stream is not cut for being long.
        let result = self
            .instance
            .call(async |store, p, _| p.completion_stream().call_next(store, handle).await)
            .await
            .and_then(|next| next.map_err(CallError::Provider));
        match result {
            Ok(Some(event)) => {
                if let StreamEvent::Finish(end) = &event {
                    telemetry::record_answer(&self.span, &end.model, end.stop_reason, end.usage);
                }
                Some(Ok(event))
            }
            Ok(None) => {
                self.handle = None;
                None
            }
            Err(e) => {
                self.handle = None;
                telemetry::record_error(&self.span, &e);
                Some(Err(e))
            }
        }
    }

    /// Every remaining event, as a `futures::Stream`.
    pub fn into_stream(self) -> impl futures::Stream<Item = Result<StreamEvent, CallError>> {
        futures::stream::unfold(self, |mut s| async move { s.next().await.map(|item| (item, s)) })
    }
}
