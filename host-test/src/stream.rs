//! A streamed completion as the host hands it out. Events come from the guest in batches
//! (`next-batch`: one crossing for every event a read brought), and are handed out one by one.

use crate::calls::WholeCall;
use crate::instance::Instance;
use crate::metering::{CallMeter, Outcome};
use crate::telemetry;
use crate::warm::ReturnTo;
use crate::{CallError, StreamEvent};
use std::collections::VecDeque;
use tokio::sync::OwnedSemaphorePermit;
use wasmtime::component::ResourceAny;

/// The most events one crossing brings.
const BATCH: u32 = 256;

/// A streamed completion. Dropping it before its end drops the instance, which closes the
/// connection; a warm client's instance goes back to it once the stream has ended.
pub struct EventStream {
    instance: Option<Instance>,
    handle: Option<ResourceAny>,
    buffered: VecDeque<StreamEvent>,
    span: tracing::Span,
    back: Option<ReturnTo>,
    /// The tenant's cap on the whole call, counted from the stream's opening.
    cap: WholeCall,
    /// The call's metering, until the stream ends (dropped before: counted as dropped).
    meter: Option<CallMeter>,
    // The tenant's place, held as long as the stream is open.
    _permit: OwnedSemaphorePermit,
}

impl EventStream {
    pub(crate) fn new(
        instance: Instance,
        handle: ResourceAny,
        span: tracing::Span,
        permit: OwnedSemaphorePermit,
        back: Option<ReturnTo>,
        cap: WholeCall,
        meter: CallMeter,
    ) -> Self {
        let buffered = VecDeque::new();
        let meter = Some(meter);
        Self { instance: Some(instance), handle: Some(handle), buffered, span, back, cap, meter, _permit: permit }
    }

    /// The next event; `None` after the `finish` event or an error.
    pub async fn next(&mut self) -> Option<Result<StreamEvent, CallError>> {
        if let Some(event) = self.buffered.pop_front() {
            return Some(Ok(event));
        }
        let handle = self.handle?;
        let instance = self.instance.as_mut()?;
        // The call deadline applies to each step, so a long stream is not cut for being long; the
        // tenant's cap on the whole call is what bounds its length.
        let left = self.cap.ends_at.saturating_duration_since(std::time::Instant::now());
        let step = instance.call(async |store, p, _| p.completion_stream().call_next_batch(store, handle, BATCH).await);
        let result = match tokio::time::timeout(left, step).await {
            Ok(result) => result.and_then(|next| next.map_err(CallError::Provider)),
            Err(_) => Err(self.cap.exceeded()),
        };
        match result {
            Ok(events) if events.is_empty() => {
                self.end().await;
                None
            }
            Ok(events) => {
                if let Some(meter) = &mut self.meter {
                    meter.streamed(&events);
                }
                self.buffered.extend(events);
                if let Some(StreamEvent::Finish(end)) = self.buffered.back() {
                    telemetry::record_answer(&self.span, &end.model, end.stop_reason, end.usage);
                    if let Some(meter) = self.meter.take() {
                        meter.finish(Outcome::Answered { model: &end.model, usage: end.usage, answer_bytes: 0 }).await;
                    }
                    // The answer is complete: a warm instance goes back now, not only after a
                    // caller asks past the finish event.
                    self.end().await;
                }
                self.buffered.pop_front().map(Ok)
            }
            Err(e) => {
                if matches!(e, CallError::Sandbox(_)) {
                    self.handle = None;
                    self.instance = None; // never reused
                } else {
                    // The provider's error ends the stream; the instance is sound.
                    self.end().await;
                }
                telemetry::record_error(&self.span, &e);
                if let Some(meter) = self.meter.take() {
                    meter.finish(Outcome::Failed(&e)).await;
                }
                Some(Err(e))
            }
        }
    }

    /// After the last event: the guest's stream is dropped and a warm instance goes back.
    async fn end(&mut self) {
        let (Some(handle), Some(mut instance)) = (self.handle.take(), self.instance.take()) else { return };
        if let Some(back) = self.back.take() {
            if instance.drop_resource(handle).await.is_ok() {
                back.put_back(instance);
            }
        }
    }

    /// Every remaining event, as a `futures::Stream`.
    pub fn into_stream(self) -> impl futures::Stream<Item = Result<StreamEvent, CallError>> {
        futures::stream::unfold(self, |mut s| async move { s.next().await.map(|item| (item, s)) })
    }
}
