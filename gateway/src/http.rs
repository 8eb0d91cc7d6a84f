//! The `wasi:http` glue: reading a request body under a size cap and a deadline, and writing a
//! JSON response or a stream of server-sent events under a deadline (a client that stops reading
//! cannot hold the instance longer than the request's deadline).

use serde_json::Value;
use wasi::clocks::monotonic_clock::{self, Instant};
use wasi::http::types::{Fields, IncomingBody, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam};
use wasi::io::poll::poll;
use wasi::io::streams::{InputStream, OutputStream, StreamError};

/// The most bytes asked of one read of the request body.
const READ_CHUNK: u64 = 64 * 1024;

/// Why a request body could not be read.
pub(crate) enum BodyError {
    /// It is (or says it is) larger than the cap; the rest is not read.
    TooLarge,
    /// It did not arrive before its deadline.
    TimedOut,
    /// The body was already taken or the stream failed.
    Broken(String),
}

/// Why a response could not be written whole.
#[derive(Debug)]
pub(crate) enum WriteError {
    /// The client went away.
    Gone,
    /// The client did not read before the deadline.
    Stalled,
}

/// The monotonic time `ms` from now.
pub(crate) fn deadline_in(ms: u64) -> Instant {
    monotonic_clock::now().saturating_add(ms.saturating_mul(1_000_000))
}

/// The first value of header `name`, as text.
pub(crate) fn header(request: &IncomingRequest, name: &str) -> Option<String> {
    let values = request.headers().get(name);
    values.into_iter().next().and_then(|v| String::from_utf8(v).ok())
}

/// Reads the whole request body: at most `cap` bytes (a larger `content-length` is refused
/// before anything is read), all of it before `deadline`.
pub(crate) fn read_body(request: &IncomingRequest, cap: usize, deadline: Instant) -> Result<Vec<u8>, BodyError> {
    let declared = header(request, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > cap as u64) {
        return Err(BodyError::TooLarge);
    }
    let body = request.consume().map_err(|()| BodyError::Broken("the body was already taken".into()))?;
    let stream = body.stream().map_err(|()| BodyError::Broken("the body has no stream".into()))?;
    let bytes = read_until(&stream, cap, declared, deadline)?;
    // The stream is a child of the body: it must go first.
    drop(stream);
    let _trailers = IncomingBody::finish(body);
    Ok(bytes)
}

fn read_until(
    stream: &InputStream,
    cap: usize,
    declared: Option<u64>,
    deadline: Instant,
) -> Result<Vec<u8>, BodyError> {
    let mut bytes = Vec::with_capacity(declared.map_or(0, |len| len as usize));
    let ready = stream.subscribe();
    let timer = monotonic_clock::subscribe_instant(deadline);
    loop {
        match stream.read(READ_CHUNK) {
            Ok(chunk) if chunk.is_empty() => {
                // Nothing yet: wait for bytes or the deadline, whichever comes first.
                if poll(&[&ready, &timer]).contains(&1) && !ready.ready() {
                    return Err(BodyError::TimedOut);
                }
            }
            Ok(chunk) => {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > cap {
                    return Err(BodyError::TooLarge);
                }
            }
            // The normal end of the body.
            Err(StreamError::Closed) => return Ok(bytes),
            Err(StreamError::LastOperationFailed(e)) => return Err(BodyError::Broken(e.to_debug_string())),
        }
    }
}

/// Response headers from `(name, value)` pairs (a value the host refuses is left out).
fn fields(headers: &[(&str, String)]) -> Fields {
    let fields = Fields::new();
    for (name, value) in headers {
        let _ = fields.append(name, value.as_bytes());
    }
    fields
}

/// Sets the response head and returns its body, or `None` when the host refused it (the client
/// is gone, or the status is invalid).
fn start(out: ResponseOutparam, status: u16, headers: &[(&str, String)]) -> Option<(OutgoingBody, OutputStream)> {
    let response = OutgoingResponse::new(fields(headers));
    response.set_status_code(status).ok()?;
    let body = response.body().ok()?;
    ResponseOutparam::set(out, Ok(response));
    let stream = body.write().ok()?;
    Some((body, stream))
}

/// Writes all of `bytes` and flushes, waiting for the client at most until `deadline`.
fn write_all(stream: &OutputStream, mut bytes: &[u8], deadline: Instant) -> Result<(), WriteError> {
    let ready = stream.subscribe();
    let timer = monotonic_clock::subscribe_instant(deadline);
    let wait = || {
        if poll(&[&ready, &timer]).contains(&1) && !ready.ready() {
            return Err(WriteError::Stalled);
        }
        Ok(())
    };
    while !bytes.is_empty() {
        let room = stream.check_write().map_err(|_| WriteError::Gone)?;
        if room == 0 {
            wait()?;
            continue;
        }
        let (now, rest) = bytes.split_at(bytes.len().min(room as usize));
        stream.write(now).map_err(|_| WriteError::Gone)?;
        bytes = rest;
    }
    stream.flush().map_err(|_| WriteError::Gone)?;
    // The flush is done when the stream can take bytes again.
    while stream.check_write().map_err(|_| WriteError::Gone)? == 0 {
        wait()?;
    }
    Ok(())
}

/// Ends a body: the stream goes first (it is the body's child), then `finish`.
fn finish(body: OutgoingBody, stream: OutputStream) {
    drop(stream);
    let _ = OutgoingBody::finish(body, None);
}

/// Sends a whole JSON response, waiting for the client at most until `deadline`.
pub(crate) fn json(out: ResponseOutparam, status: u16, value: &Value, extra: &[(&str, String)], deadline: Instant) {
    json_bytes(out, status, &value.to_string().into_bytes(), extra, deadline)
}

/// Sends a whole JSON response already serialized.
pub(crate) fn json_bytes(
    out: ResponseOutparam,
    status: u16,
    bytes: &[u8],
    extra: &[(&str, String)],
    deadline: Instant,
) {
    let mut headers =
        vec![("content-type", "application/json".to_owned()), ("content-length", bytes.len().to_string())];
    headers.extend(extra.iter().cloned());
    let Some((body, stream)) = start(out, status, &headers) else { return };
    // A client that went away (or stalled) mid-answer gets nothing more; the body is ended
    // either way, its stream first.
    let _ = write_all(&stream, bytes, deadline);
    finish(body, stream);
}

/// A response of server-sent events, written as they come.
pub(crate) struct Sse {
    // The stream is the body's child: it is declared (so dropped) first, also when the response
    // is abandoned without `finish`.
    stream: OutputStream,
    body: OutgoingBody,
    deadline: Instant,
}

impl Sse {
    /// Sends the head of a 200 `text/event-stream` response (with `extra` headers); `None` when
    /// the host refused it.
    /// Every write waits for the client at most until `deadline`.
    pub(crate) fn start(out: ResponseOutparam, extra: &[(&str, String)], deadline: Instant) -> Option<Sse> {
        let mut headers = vec![
            ("content-type", "text/event-stream".to_owned()),
            ("cache-control", "no-cache".to_owned()),
            // Proxies (nginx) must not hold the events back.
            ("x-accel-buffering", "no".to_owned()),
        ];
        headers.extend(extra.iter().cloned());
        let (body, stream) = start(out, 200, &headers)?;
        Some(Sse { body, stream, deadline })
    }

    /// Sends `data: JSON` and the blank line that ends the event.
    pub(crate) fn event(&self, value: &Value) -> Result<(), WriteError> {
        write_all(&self.stream, format!("data: {value}\n\n").as_bytes(), self.deadline)
    }

    /// Sends `event: TYPE`, `data: JSON` and the blank line, `TYPE` being the event's `type`:
    /// the named events of the Responses and Messages streams.
    pub(crate) fn named(&self, value: &Value) -> Result<(), WriteError> {
        let name = value["type"].as_str().unwrap_or("message");
        write_all(&self.stream, format!("event: {name}\ndata: {value}\n\n").as_bytes(), self.deadline)
    }

    /// Sends OpenAI's end marker, `data: [DONE]`.
    pub(crate) fn done(&self) -> Result<(), WriteError> {
        write_all(&self.stream, b"data: [DONE]\n\n", self.deadline)
    }

    /// Ends the response body.
    pub(crate) fn finish(self) {
        finish(self.body, self.stream);
    }
}
