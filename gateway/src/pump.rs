//! A stream relayed to the client as server-sent events: the head once the upstream's status
//! is known, the wire's events batch by batch, and an error after the 200 as the wire's last
//! event. A client that goes away ends the relay (and the upstream's connection with it).

use crate::access_log::Entry;
use crate::http::Sse;
use crate::openai::error_reply;
use crate::wire::Wire;
use crate::{deployment_header, BATCH};
use litellm_client::{CompletionStream, Error, StreamEvent};
use serde_json::Value;
use wasi::clocks::monotonic_clock::Instant;
use wasi::http::types::ResponseOutparam;

/// Sends `stream` on `out` in `wire`'s events, until its end, an error or the client's leaving.
pub(crate) fn relay(
    stream: &CompletionStream,
    wire: &mut dyn Wire,
    out: ResponseOutparam,
    entry: &mut Entry,
    deadline: Instant,
) {
    let Some(sse) = Sse::start(out, &deployment_header(entry), deadline) else { return };
    entry.status = 200;
    let named = wire.named();
    let send = |events: Vec<Value>, entry: &mut Entry| {
        for value in &events {
            let sent = if named { sse.named(value) } else { sse.event(value) };
            // The client went away or stopped reading: stop reading the upstream (dropping the
            // stream closes its connection).
            sent.map_err(|e| entry.error = Some(format!("client {e:?}").to_lowercase()))?;
        }
        Ok::<(), ()>(())
    };
    if send(wire.start(), entry).is_err() {
        return;
    }
    loop {
        let batch: Result<_, Error> = stream.next_batch(BATCH);
        match batch {
            Ok(events) if events.is_empty() => break,
            Ok(events) => {
                for event in &events {
                    if let StreamEvent::Finish(end) = event {
                        entry.usage = end.usage;
                    }
                    if send(wire.event(event), entry).is_err() {
                        return;
                    }
                }
            }
            Err(error) => {
                // The status (200) is already sent: the error goes as a last event.
                entry.error =
                    Some(error_reply(&error).body["error"]["type"].as_str().unwrap_or("api_error").to_owned());
                let _ = send(vec![wire.failed(&error)], entry);
                sse.finish();
                return;
            }
        }
    }
    if named || sse.done().is_ok() {
        sse.finish();
    }
}
