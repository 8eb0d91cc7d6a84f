//! The exchange over WASI 0.2 (`wasi:http@0.2`): the request handed to `outgoing-handler`, its
//! body written in pieces, and every wait on `wasi:io` pollables raced with a monotonic timer.

mod body;

pub use body::Body;

use super::codes::from_code;
use super::{refused_part, timed_out, Deadline, Outgoing, NS_PER_MS};
use crate::config::{Scheme, Settings};
use crate::domain::Error;
use crate::errors;
use wasi::clocks::monotonic_clock;
use wasi::http::outgoing_handler;
pub(super) use wasi::http::types::ErrorCode;
use wasi::http::types::{
    Fields, FutureIncomingResponse, IncomingResponse, Method, OutgoingBody, OutgoingRequest, RequestOptions,
    Scheme as WasiScheme,
};
use wasi::io::poll;

/// `blocking-write-and-flush` takes at most 4096 bytes a call.
const WRITE_SIZE: usize = 4096;

/// An answer whose head has come.
pub(super) type Response = IncomingResponse;

/// The monotonic clock, in nanoseconds.
pub(super) fn now() -> u64 {
    monotonic_clock::now()
}

/// Waits until `pollable` is ready or `until` (monotonic ns) passes; false on the time-out.
fn wait(pollable: &poll::Pollable, until: u64) -> bool {
    // No `ready()` first: every wait follows a read that found nothing (or the request just
    // sent), so it would almost always say no, one more call into the host.
    let timer = monotonic_clock::subscribe_instant(until);
    poll::poll(&[pollable, &timer]).contains(&0)
}

/// Sends `request` and waits for its answer's head until `head_until` (monotonic ns).
pub(super) fn send(
    settings: &Settings,
    request: &Outgoing<'_>,
    head_until: u64,
    deadline: Deadline,
) -> Result<Response, Error> {
    let authority = settings.endpoint.authority.as_str();
    let future = send_request(settings, request)?;
    if !wait(&future.subscribe(), head_until) {
        return Err(timed_out(head_until, deadline, "waiting for the response head"));
    }
    match future.get() {
        Some(Ok(Ok(response))) => Ok(response),
        Some(Ok(Err(code))) => Err(from_code(code, authority)),
        Some(Err(())) | None => Err(Error::Transport(errors::lasting("the response was already taken"))),
    }
}

/// Builds the request, hands it to the host and writes its body.
fn send_request(settings: &Settings, request: &Outgoing<'_>) -> Result<FutureIncomingResponse, Error> {
    let authority = settings.endpoint.authority.as_str();
    let fields = Fields::from_list(&request.headers(settings)).map_err(|_| refused_part("request headers"))?;
    let outgoing_request = OutgoingRequest::new(fields);
    let method = if request.is_post() { Method::Post } else { Method::Get };
    outgoing_request.set_method(&method).map_err(|_| refused_part("method"))?;
    let scheme = match settings.endpoint.scheme {
        Scheme::Http => WasiScheme::Http,
        Scheme::Https => WasiScheme::Https,
    };
    outgoing_request.set_scheme(Some(&scheme)).map_err(|_| refused_part("scheme"))?;
    outgoing_request.set_authority(Some(authority)).map_err(|_| refused_part("authority"))?;
    outgoing_request.set_path_with_query(Some(request.path)).map_err(|_| refused_part("path"))?;
    let options = RequestOptions::new();
    let ms = |v: u32| Some(u64::from(v) * NS_PER_MS);
    // A host may not support every option; the guest enforces its own deadlines anyway.
    let _ = options.set_connect_timeout(ms(settings.connect_timeout_ms));
    let _ = options.set_first_byte_timeout(ms(settings.first_byte_timeout_ms));
    let _ = options.set_between_bytes_timeout(ms(settings.between_bytes_timeout_ms));
    let outgoing = outgoing_request.body().map_err(|_| refused_part("request body"))?;
    let future =
        outgoing_handler::handle(outgoing_request, Some(options)).map_err(|code| from_code(code, authority))?;
    // A denied or failed request closes the body stream; the response future then holds the cause.
    if let Ok(stream) = outgoing.write() {
        for piece in request.body.unwrap_or_default().chunks(WRITE_SIZE) {
            if stream.blocking_write_and_flush(piece).is_err() {
                break;
            }
        }
    }
    let _ = OutgoingBody::finish(outgoing, None);
    Ok(future)
}

/// The answer's status code.
pub(super) fn status(response: &Response) -> u16 {
    response.status()
}

/// Runs `read` with a lookup of the answer's headers (the first value of a name). The headers
/// are taken once per answer (each `headers()` is a resource of its own, two more crossings), a
/// child of the response dropped before the body is consumed.
pub(super) fn with_headers<R>(response: &Response, read: impl FnOnce(&dyn Fn(&str) -> Option<String>) -> R) -> R {
    let fields = response.headers();
    read(&|name| fields.get(name).first().map(|v| String::from_utf8_lossy(v).into_owned()))
}

/// Waits `ns` nanoseconds (a retry's pause).
pub fn pause(ns: u64) {
    monotonic_clock::subscribe_duration(ns).block();
}

/// Random bits from the host, for a retry's jitter.
pub fn random_u64() -> u64 {
    wasi::random::random::get_random_u64()
}
