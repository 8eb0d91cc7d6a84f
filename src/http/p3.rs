//! The exchange over WASI 0.3 (`wasi:http@0.3.0`): the request handed to `client.send` with its
//! body on a `stream<u8>`, the answer's body read from its `stream<u8>`, and its end (or the
//! failure that cut it) from the trailers' future.
//!
//! The layers above are synchronous, as in the 0.2 component, so every wait is one
//! `wit_bindgen::block_on` that races the operation against `monotonic-clock.wait-until`: the
//! guest's task waits in the host for whichever comes first, and a wait that times out drops
//! (cancels) the operation.

use super::codes::from_code;
use super::{refused_part, timed_out, Deadline, Outgoing, NS_PER_MS};
use crate::bindings::wasi::clocks::monotonic_clock;
use crate::bindings::wasi::http::client;
pub(super) use crate::bindings::wasi::http::types::ErrorCode;
use crate::bindings::wasi::http::types::{
    Fields, Method, Request, RequestOptions, Response as WasiResponse, Scheme as WasiScheme, Trailers,
};
use crate::bindings::{wit_future, wit_stream};
use crate::config::{Scheme, Settings};
use crate::domain::Error;
use crate::errors;
use futures::future::{select, Either};
use std::future::{Future, IntoFuture};
use std::pin::pin;
use wit_bindgen::{FutureReader, FutureWriter, StreamReader, StreamResult};

/// The most bytes one read of the body asks for.
const READ_SIZE: usize = 64 * 1024;

/// The monotonic clock, in nanoseconds.
pub(super) fn now() -> u64 {
    monotonic_clock::now()
}

/// Runs `operation` until it ends or `until` (monotonic ns) passes: its output, or `None` on the
/// time-out (the operation then dropped, which cancels it in the host).
fn within<T: 'static>(operation: impl Future<Output = T>, until: u64) -> Option<T> {
    wit_bindgen::block_on(async move {
        match select(pin!(operation), pin!(monotonic_clock::wait_until(until))).await {
            Either::Left((value, _)) => Some(value),
            Either::Right(_) => None,
        }
    })
}

/// An answer whose head has come, and what must live as long as its body is read.
pub(super) struct Response {
    response: WasiResponse,
    /// The request's transmission: dropped with the answer, not before.
    _transmitted: FutureReader<Result<(), ErrorCode>>,
}

/// Sends `request` and waits for its answer's head until `head_until` (monotonic ns).
pub(super) fn send(
    settings: &Settings,
    request: &Outgoing<'_>,
    head_until: u64,
    deadline: Deadline,
) -> Result<Response, Error> {
    let authority = settings.endpoint.authority.as_str();
    let fields = Fields::from_list(&request.headers(settings)).map_err(|_| refused_part("request headers"))?;
    let options = RequestOptions::new();
    let ms = |v: u32| Some(u64::from(v) * NS_PER_MS);
    // A host may not support every option; the guest enforces its own deadlines anyway.
    let _ = options.set_connect_timeout(ms(settings.connect_timeout_ms));
    let _ = options.set_first_byte_timeout(ms(settings.first_byte_timeout_ms));
    let _ = options.set_between_bytes_timeout(ms(settings.between_bytes_timeout_ms));
    let (contents, contents_reader) = match request.body {
        Some(_) => {
            let (writer, reader) = wit_stream::new::<u8>();
            (Some(writer), Some(reader))
        }
        None => (None, None),
    };
    let (trailers, trailers_reader) = wit_future::new::<Result<Option<Trailers>, ErrorCode>>(|| Ok(None));
    let (outgoing, transmitted) = Request::new(fields, contents_reader, trailers_reader, Some(options));
    let method = if request.is_post() { Method::Post } else { Method::Get };
    outgoing.set_method(&method).map_err(|_| refused_part("method"))?;
    let scheme = match settings.endpoint.scheme {
        Scheme::Http => WasiScheme::Http,
        Scheme::Https => WasiScheme::Https,
    };
    outgoing.set_scheme(Some(&scheme)).map_err(|_| refused_part("scheme"))?;
    outgoing.set_authority(Some(authority)).map_err(|_| refused_part("authority"))?;
    outgoing.set_path_with_query(Some(request.path)).map_err(|_| refused_part("path"))?;
    let body = request.body.unwrap_or_default().to_vec();
    let exchange = async move {
        let sending = client::send(outgoing);
        // The body is written while the host sends: a denied or failed request drops the body's
        // reader, which ends the write, and the answer then holds the cause.
        let writing = async move {
            if let Some(mut contents) = contents {
                let _ = contents.write_all(body).await;
            }
            let _ = trailers.write(Ok(None)).await;
        };
        futures::future::join(sending, writing).await.0
    };
    match within(exchange, head_until) {
        None => Err(timed_out(head_until, deadline, "waiting for the response head")),
        Some(Ok(response)) => Ok(Response { response, _transmitted: transmitted }),
        Some(Err(code)) => Err(from_code(code, authority)),
    }
}

/// The answer's status code.
pub(super) fn status(response: &Response) -> u16 {
    response.response.get_status_code()
}

/// Runs `read` with a lookup of the answer's headers (the first value of a name), taken once.
pub(super) fn with_headers<R>(response: &Response, read: impl FnOnce(&dyn Fn(&str) -> Option<String>) -> R) -> R {
    let fields = response.response.get_headers();
    read(&|name| fields.get(name).first().map(|v| String::from_utf8_lossy(v).into_owned()))
}

/// A response body, read chunk by chunk.
pub struct Body {
    stream: StreamReader<u8>,
    /// How the body ended: resolved once the stream has ended.
    ended: Option<FutureReader<Result<Option<Trailers>, ErrorCode>>>,
    /// Our side of the answer's handling; its default (`ok`) is sent when the body is dropped.
    _handled: FutureWriter<Result<(), ErrorCode>>,
    _transmitted: FutureReader<Result<(), ErrorCode>>,
    read: u64,
    cap: u64,
    /// The length the answer announced (`content-length`), within the cap: what `read_all`
    /// reserves at once.
    pub(in crate::http) announced: u64,
    between_bytes_ns: u64,
    deadline: Deadline,
    authority: String,
}

impl Body {
    /// Takes the body of `response`; `cap` is the most bytes it may have (none: no limit, for a
    /// reader that stops by itself).
    pub(in crate::http) fn new(
        response: Response,
        cap: Option<u64>,
        announced: Option<u64>,
        between_bytes_ns: u64,
        deadline: Deadline,
        authority: &str,
    ) -> Result<Self, Error> {
        let (handled, handled_reader) = wit_future::new::<Result<(), ErrorCode>>(|| Ok(()));
        let (stream, ended) = WasiResponse::consume_body(response.response, handled_reader);
        Ok(Self {
            stream,
            ended: Some(ended),
            _handled: handled,
            _transmitted: response._transmitted,
            read: 0,
            cap: cap.unwrap_or(u64::MAX),
            announced: announced.unwrap_or(0).min(cap.unwrap_or(0)),
            between_bytes_ns,
            deadline,
            authority: authority.to_string(),
        })
    }

    /// The next bytes, `None` at the end of the body.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, Error> {
        let Some(ended) = self.ended.take() else { return Ok(None) };
        // The silence allowed counts from the start of this wait, however many empty reads it takes.
        let until = self.deadline.0.min(now().saturating_add(self.between_bytes_ns));
        loop {
            let buffer = Vec::with_capacity(READ_SIZE);
            let Some((result, bytes)) = within(self.stream.read(buffer), until) else {
                return Err(timed_out(until, self.deadline, "the body (between bytes)"));
            };
            if !bytes.is_empty() {
                self.read += bytes.len() as u64;
                if self.read > self.cap {
                    return Err(errors::too_large(self.cap));
                }
                self.ended = Some(ended);
                return Ok(Some(bytes));
            }
            match result {
                StreamResult::Complete(_) | StreamResult::Cancelled => continue,
                // The stream is over: its future says whether the whole body came.
                StreamResult::Dropped => {
                    return match within(ended.into_future(), until) {
                        None => Err(timed_out(until, self.deadline, "the body's end")),
                        Some(Ok(_)) => Ok(None),
                        Some(Err(code)) => Err(from_code(code, &self.authority)),
                    };
                }
            }
        }
    }
}

/// Waits `ns` nanoseconds (a retry's pause).
pub fn pause(ns: u64) {
    wit_bindgen::block_on(monotonic_clock::wait_for(ns));
}

/// Random bits from the host, for a retry's jitter.
pub fn random_u64() -> u64 {
    crate::bindings::wasi::random::random::get_random_u64()
}
