//! The `wasi:http` glue: reading a request body with a size cap, and writing a JSON response or
//! a stream of server-sent events.

use serde_json::Value;
use wasi::http::types::{Fields, IncomingBody, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam};
use wasi::io::streams::{OutputStream, StreamError};

/// The most bytes one `blocking-write-and-flush` may take (WASI's limit).
const WRITE_CHUNK: usize = 4096;
/// The most bytes asked of one read of the request body.
const READ_CHUNK: u64 = 64 * 1024;

/// Why a request body could not be read.
pub(crate) enum BodyError {
    /// It is larger than the cap.
    TooLarge,
    /// The body was already taken or the stream failed.
    Broken(String),
}

/// Reads the whole request body, at most `cap` bytes.
pub(crate) fn read_body(request: &IncomingRequest, cap: usize) -> Result<Vec<u8>, BodyError> {
    let body = request.consume().map_err(|()| BodyError::Broken("the body was already taken".into()))?;
    let stream = body.stream().map_err(|()| BodyError::Broken("the body has no stream".into()))?;
    let mut bytes = Vec::new();
    loop {
        match stream.blocking_read(READ_CHUNK) {
            Ok(chunk) => {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > cap {
                    return Err(BodyError::TooLarge);
                }
            }
            // The normal end of the body.
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(e)) => return Err(BodyError::Broken(e.to_debug_string())),
        }
    }
    // The stream is a child of the body: it must go first.
    drop(stream);
    let _trailers = IncomingBody::finish(body);
    Ok(bytes)
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

/// Writes all of `bytes`, in pieces WASI accepts.
fn write_all(stream: &OutputStream, bytes: &[u8]) -> Result<(), StreamError> {
    for piece in bytes.chunks(WRITE_CHUNK) {
        stream.blocking_write_and_flush(piece)?;
    }
    Ok(())
}

/// Ends a body: the stream goes first (it is the body's child), then `finish`.
fn finish(body: OutgoingBody, stream: OutputStream) {
    drop(stream);
    let _ = OutgoingBody::finish(body, None);
}

/// Sends a whole JSON response.
pub(crate) fn json(out: ResponseOutparam, status: u16, value: &Value, extra: &[(&str, String)]) {
    let bytes = value.to_string().into_bytes();
    let mut headers =
        vec![("content-type", "application/json".to_owned()), ("content-length", bytes.len().to_string())];
    headers.extend(extra.iter().cloned());
    let Some((body, stream)) = start(out, status, &headers) else { return };
    // A client that went away mid-answer needs nothing more.
    let _ = write_all(&stream, &bytes);
    finish(body, stream);
}

/// A response of server-sent events, written as they come.
pub(crate) struct Sse {
    body: OutgoingBody,
    stream: OutputStream,
}

impl Sse {
    /// Sends the head of a 200 `text/event-stream` response; `None` when the host refused it.
    pub(crate) fn start(out: ResponseOutparam) -> Option<Sse> {
        let headers = [
            ("content-type", "text/event-stream".to_owned()),
            ("cache-control", "no-cache".to_owned()),
            // Proxies (nginx) must not hold the events back.
            ("x-accel-buffering", "no".to_owned()),
        ];
        let (body, stream) = start(out, 200, &headers)?;
        Some(Sse { body, stream })
    }

    /// Sends `data: JSON` and the blank line that ends the event; an error when the client is gone.
    pub(crate) fn event(&self, value: &Value) -> Result<(), StreamError> {
        write_all(&self.stream, format!("data: {value}\n\n").as_bytes())
    }

    /// Sends OpenAI's end marker, `data: [DONE]`.
    pub(crate) fn done(&self) -> Result<(), StreamError> {
        write_all(&self.stream, b"data: [DONE]\n\n")
    }

    /// Ends the response body.
    pub(crate) fn finish(self) {
        finish(self.body, self.stream);
    }
}
