//! A streamed completion as the host hands it out. Events come from the guest in batches (in the
//! 0.2 world `next-batch`, one crossing for every event a read brought; in the 0.3 world what the
//! guest's writes to its stream brought, [`crate::world`]), and are handed out one by one.
//!
//! What an open stream holds (its instance and connection, the tenant's place, its quota ticket)
//! lives in a slot a watchdog task shares: at the tenant's cap on the whole call the watchdog
//! takes it and drops it, whether or not the caller is pulling, so that a consumer that stops
//! reading cannot keep them past the cap.

use crate::instance::Instance;
use crate::metering::{CallMeter, Outcome};
use crate::telemetry;
use crate::tenant::WholeCall;
use crate::warm::ReturnTo;
use crate::world::GuestStream;
use crate::{CallError, StreamEvent};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;
use tokio::sync::OwnedSemaphorePermit;

/// The most events one crossing brings.
const BATCH: u32 = 256;

/// A streamed completion. Dropping it before its end drops the instance, which closes the
/// connection; a warm client's instance goes back to it once the stream has ended. At the
/// tenant's cap on a whole call ([`crate::Tenant::max_call_duration`]) everything the stream holds
/// is let go, pulled or not; the next [`EventStream::next`] then says so.
pub struct EventStream {
    slot: Arc<Mutex<Slot>>,
    buffered: VecDeque<StreamEvent>,
    span: tracing::Span,
    /// The tenant's cap on the whole call, counted from the stream's opening.
    cap: Arc<WholeCall>,
    watchdog: tokio::task::JoinHandle<()>,
}

/// What the stream holds, and where it is.
enum Slot {
    /// Open, between two pulls.
    Open(Box<Open>),
    /// A pull has it.
    Pulling,
    /// The cap was reached; not yet told to the caller.
    Expired,
    /// Over: after the finish event, an error, or the expiry once told.
    Ended,
}

struct Open {
    instance: Instance,
    stream: GuestStream,
    back: Option<ReturnTo>,
    /// The call's metering, until the stream ends (dropped before: counted as dropped).
    meter: Option<CallMeter>,
    // The tenant's place, held as long as the stream is open.
    _permit: OwnedSemaphorePermit,
}

fn lock(slot: &Mutex<Slot>) -> MutexGuard<'_, Slot> {
    // Every change of the slot is one assignment: a panic cannot leave it half-changed.
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

impl EventStream {
    pub(crate) fn new(
        instance: Instance,
        stream: GuestStream,
        span: tracing::Span,
        permit: OwnedSemaphorePermit,
        back: Option<ReturnTo>,
        cap: WholeCall,
        meter: CallMeter,
    ) -> Self {
        let open = Open { instance, stream, back, meter: Some(meter), _permit: permit };
        let slot = Arc::new(Mutex::new(Slot::Open(Box::new(open))));
        let cap = Arc::new(cap);
        let watchdog = tokio::spawn(watch(slot.clone(), cap.clone(), span.clone()));
        Self { slot, buffered: VecDeque::new(), span, cap, watchdog }
    }

    /// The next event; `None` after the `finish` event or an error. A `next` dropped before it
    /// returns (a caller's own timeout around it) ends the stream: its instance and connection go
    /// with it, and later calls return `None`.
    pub async fn next(&mut self) -> Option<Result<StreamEvent, CallError>> {
        if let Some(event) = self.buffered.pop_front() {
            return Some(Ok(event));
        }
        let mut open = {
            let mut slot = lock(&self.slot);
            match std::mem::replace(&mut *slot, Slot::Pulling) {
                Slot::Open(open) => open,
                Slot::Expired => {
                    *slot = Slot::Ended;
                    return Some(Err(self.cap.exceeded()));
                }
                other => {
                    *slot = other;
                    return None;
                }
            }
        };
        // The call deadline applies to each step, so a long stream is not cut for being long; the
        // tenant's cap on the whole call is what bounds its length.
        let left = self.cap.ends_at.saturating_duration_since(Instant::now());
        let Open { instance, stream, .. } = &mut *open;
        let step = instance.call(async |store, p, _| stream.next_batch(store, p, BATCH).await);
        let result = match tokio::time::timeout(left, step).await {
            Ok(result) => result.and_then(|next| next.map_err(CallError::Provider)),
            Err(_) => Err(self.cap.exceeded()),
        };
        match result {
            Ok(events) if events.is_empty() => {
                self.end(open).await;
                None
            }
            Ok(events) => {
                if let Some(meter) = &mut open.meter {
                    meter.streamed(&events);
                }
                self.buffered.extend(events);
                if let Some(StreamEvent::Finish(end)) = self.buffered.back() {
                    telemetry::record_answer(&self.span, &end.model, end.stop_reason, end.usage);
                    if let Some(meter) = open.meter.take() {
                        meter.finish(Outcome::Answered { model: &end.model, usage: end.usage, answer_bytes: 0 }).await;
                    }
                    // The answer is complete: a warm instance goes back now, not only after a
                    // caller asks past the finish event.
                    self.end(open).await;
                } else {
                    self.put_back(open);
                }
                self.buffered.pop_front().map(Ok)
            }
            Err(e) => {
                telemetry::record_error(&self.span, &e);
                if let Some(meter) = open.meter.take() {
                    meter.finish(Outcome::Failed(&e)).await;
                }
                if matches!(e, CallError::Sandbox(_)) {
                    // Never reused.
                    *lock(&self.slot) = Slot::Ended;
                } else {
                    // The provider's error ends the stream; the instance is sound.
                    self.end(open).await;
                }
                Some(Err(e))
            }
        }
    }

    /// Between two pulls the stream is open again, unless the cap passed meanwhile: then what
    /// it holds goes now (the watchdog found it in use).
    fn put_back(&self, mut open: Box<Open>) {
        let mut slot = lock(&self.slot);
        if Instant::now() >= self.cap.ends_at {
            *slot = Slot::Expired;
            drop(slot);
            let meter = open.meter.take();
            drop(open);
            let error = self.cap.exceeded();
            telemetry::record_error(&self.span, &error);
            if let Some(meter) = meter {
                meter.finish_now(Outcome::Failed(&error));
            }
        } else {
            *slot = Slot::Open(open);
        }
    }

    /// After the last event: the guest's stream is dropped and a warm instance goes back.
    async fn end(&self, open: Box<Open>) {
        *lock(&self.slot) = Slot::Ended;
        self.watchdog.abort();
        let Open { mut instance, stream, back, meter: _meter, _permit } = *open;
        if let Some(back) = back {
            if instance.drop_stream(stream).await.is_ok() {
                back.put_back(instance);
            }
        }
    }

    /// Every remaining event, as a `futures::Stream`.
    pub fn into_stream(self) -> impl futures::Stream<Item = Result<StreamEvent, CallError>> {
        futures::stream::unfold(self, |mut s| async move { s.next().await.map(|item| (item, s)) })
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.watchdog.abort();
    }
}

/// At the cap, lets go of what an open stream holds; a stream being pulled then is let go by
/// its pull (its step ends at the cap too).
async fn watch(slot: Arc<Mutex<Slot>>, cap: Arc<WholeCall>, span: tracing::Span) {
    tokio::time::sleep_until(cap.ends_at.into()).await;
    let open = {
        let mut slot = lock(&slot);
        match std::mem::replace(&mut *slot, Slot::Expired) {
            Slot::Open(open) => open,
            other => {
                *slot = other;
                return;
            }
        }
    };
    let error = cap.exceeded();
    telemetry::record_error(&span, &error);
    let mut open = open;
    let meter = open.meter.take();
    // The instance (and its connection) and the tenant's place go first.
    drop(open);
    if let Some(meter) = meter {
        meter.finish(Outcome::Failed(&error)).await;
    }
}
