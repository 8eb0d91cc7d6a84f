//! Reading a response body incrementally, under the size cap and the deadlines.

use super::wait;
use crate::domain::Error;
use crate::errors::{self, lasting, transient};
use crate::http::codes::from_code;
use crate::http::{timed_out, Deadline};
use wasi::clocks::monotonic_clock;
use wasi::http::types::{IncomingBody, IncomingResponse};
use wasi::io::poll::Pollable;
use wasi::io::streams::{InputStream, StreamError};

const READ_SIZE: u64 = 64 * 1024;

/// A response body, read chunk by chunk.
pub struct Body {
    // Field order is drop order: the pollable is a child of the stream, the stream of the body,
    // the body of the response.
    /// The stream's pollable, made at the first wait and kept for the next ones (each new one
    /// is two more calls into the host: its `subscribe` and its drop).
    ready: Option<Pollable>,
    stream: InputStream,
    _body: IncomingBody,
    _response: IncomingResponse,
    read: u64,
    cap: u64,
    /// The length the answer announced (`content-length`), within the cap: what `read_all`
    /// reserves at once instead of growing (and copying) its buffer as chunks come.
    pub(in crate::http) announced: u64,
    /// `content-length`, when the answer gave one: once exactly that many bytes are in, the body
    /// is complete (the host's HTTP stack holds the answer to it), and no read waits for its end.
    /// More bytes than that mean the length was not the body's framing (a server that also sent
    /// `transfer-encoding`, which overrides it and which a host does not show its guest): it is
    /// forgotten, and the body read to its end.
    length: Option<u64>,
    between_bytes_ns: u64,
    deadline: Deadline,
    authority: String,
}

impl Body {
    /// Takes the body of `response`; `cap` is the most bytes it may have (none: no limit, for a
    /// reader that stops by itself).
    pub(in crate::http) fn new(
        response: IncomingResponse,
        cap: Option<u64>,
        announced: Option<u64>,
        between_bytes_ns: u64,
        deadline: Deadline,
        authority: &str,
    ) -> Result<Self, Error> {
        let incoming = response.consume().map_err(|_| Error::Transport(lasting("the body was taken")))?;
        let stream = incoming.stream().map_err(|_| Error::Transport(lasting("no body stream")))?;
        Ok(Self {
            ready: None,
            stream,
            _body: incoming,
            _response: response,
            read: 0,
            cap: cap.unwrap_or(u64::MAX),
            announced: announced.unwrap_or(0).min(cap.unwrap_or(0)),
            length: announced,
            between_bytes_ns,
            deadline,
            authority: authority.to_string(),
        })
    }

    /// The next bytes, `None` at the end of the body.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, Error> {
        match self.length {
            Some(length) if self.read == length => return Ok(None),
            Some(length) if self.read > length => self.length = None,
            _ => {}
        }
        // When this wait for bytes began: taken at the first empty read, so that a read that
        // finds bytes at once costs no call to the clock.
        let mut since = None;
        loop {
            match self.stream.read(READ_SIZE) {
                Ok(bytes) if bytes.is_empty() => {
                    let since = *since.get_or_insert_with(monotonic_clock::now);
                    let until = self.deadline.0.min(since.saturating_add(self.between_bytes_ns));
                    let ready = self.ready.get_or_insert_with(|| self.stream.subscribe());
                    if !wait(ready, until) {
                        return Err(timed_out(until, self.deadline, "the body (between bytes)"));
                    }
                }
                Ok(bytes) => {
                    self.read += bytes.len() as u64;
                    if self.read > self.cap {
                        return Err(errors::too_large(self.cap));
                    }
                    return Ok(Some(bytes));
                }
                Err(StreamError::Closed) => return Ok(None),
                Err(StreamError::LastOperationFailed(e)) => {
                    let error = match wasi::http::types::http_error_code(&e) {
                        Some(code) => from_code(code, &self.authority),
                        None => io_error(&e.to_debug_string()),
                    };
                    return Err(error);
                }
            }
        }
    }
}

/// A body-stream failure the host gave no HTTP error code for. Its debug text may carry a whole
/// host backtrace: keep the first line, cut short.
fn io_error(debug: &str) -> Error {
    let line: String = debug.lines().next().unwrap_or("").trim().chars().take(200).collect();
    let message = format!("reading the body: {line}");
    if line.contains("timeout") || line.contains("timed out") {
        Error::Timeout(transient(message))
    } else {
        Error::Transport(transient(message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_failures_without_a_code_keep_one_short_line() {
        let debug = "connection read timeout\nStack backtrace:\n   0: capture\n";
        match io_error(debug) {
            Error::Timeout(f) => assert_eq!(f.message, "reading the body: connection read timeout"),
            other => panic!("{other:?}"),
        }
        match io_error(&"x".repeat(5000)) {
            Error::Transport(f) => assert!(f.message.len() < 250),
            other => panic!("{other:?}"),
        }
    }
}
