//! A streamed completion as the host hands it out: each `next` runs the guest until it yields the
//! next event.

use crate::errors::sandbox;
use crate::host::Call;
use crate::telemetry;
use crate::{CallError, StreamEvent};
use wasmtime::component::ResourceAny;

/// A streamed completion. Dropping it drops the instance, which closes the connection.
pub struct EventStream {
    pub(crate) call: Call,
    pub(crate) handle: Option<ResourceAny>,
    pub(crate) span: tracing::Span,
}

impl EventStream {
    /// The next event; `None` after the `finish` event or an error.
    pub async fn next(&mut self) -> Option<Result<StreamEvent, CallError>> {
        let handle = self.handle?;
        // The CPU deadline applies to each step, so a long stream is not cut for being long.
        self.call.reset_deadline();
        let stream = self.call.provider.devsper_llm_provider().completion_stream();
        let result = match stream.call_next(&mut self.call.store, handle).await {
            Err(trap) => Err(sandbox(trap)),
            Ok(Err(e)) => Err(CallError::Provider(e)),
            Ok(Ok(Some(event))) => {
                if let StreamEvent::Finish(end) = &event {
                    telemetry::record_answer(&self.span, &end.model, end.stop_reason, end.usage);
                }
                return Some(Ok(event));
            }
            Ok(Ok(None)) => {
                self.handle = None;
                return None;
            }
        };
        self.handle = None;
        if let Err(e) = &result {
            telemetry::record_error(&self.span, e);
        }
        Some(result)
    }

    /// Every remaining event, as a `futures::Stream`.
    pub fn into_stream(self) -> impl futures::Stream<Item = Result<StreamEvent, CallError>> {
        futures::stream::unfold(self, |mut s| async move { s.next().await.map(|item| (item, s)) })
    }
}
