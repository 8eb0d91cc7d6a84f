//! The one module that speaks WASI HTTP: one attempt of a request with its timeouts, its answer's
//! head read and its body read incrementally under a size cap and the deadlines, waiting on
//! pollables. Retrying is `retry.rs`'s; parsing is above.

mod body;
mod codes;

pub use body::Body;

use crate::config::{Scheme, Settings};
use crate::domain::Error;
use crate::errors;
use std::time::SystemTime;
use wasi::clocks::monotonic_clock;
use wasi::http::outgoing_handler;
use wasi::http::types::{
    Fields, FutureIncomingResponse, IncomingResponse, Method, OutgoingBody, OutgoingRequest, RequestOptions,
    Scheme as WasiScheme,
};
use wasi::io::poll;

const NS_PER_MS: u64 = 1_000_000;
/// `blocking-write-and-flush` takes at most 4096 bytes a call.
const WRITE_SIZE: usize = 4096;

/// A point on the monotonic clock after which a call gives up.
#[derive(Clone, Copy)]
pub struct Deadline(u64);

impl Deadline {
    pub fn after_ms(ms: u32) -> Self {
        Self(monotonic_clock::now().saturating_add(u64::from(ms) * NS_PER_MS))
    }
    pub fn remaining_ns(self) -> u64 {
        self.0.saturating_sub(monotonic_clock::now())
    }
}

/// Waits until `pollable` is ready or `until` (monotonic ns) passes; false on the time-out.
pub(super) fn wait(pollable: &poll::Pollable, until: u64) -> bool {
    // No `ready()` first: every wait follows a read that found nothing (or the request just
    // sent), so it would almost always say no, one more call into the host.
    let timer = monotonic_clock::subscribe_instant(until);
    poll::poll(&[pollable, &timer]).contains(&0)
}

/// What one exchange brought back, as the endpoint sent it: this layer classifies nothing, the
/// caller takes it as a success or a typed error ([`crate::answer::accepted`]).
pub enum Answer {
    /// A 2xx: its head and unread body.
    Success(Success),
    /// An error answer (1xx, 4xx, 5xx): its status, its body's first bytes, its `Retry-After`.
    Refused(Refusal),
    /// A 3xx, never followed: a redirect could lead the key to another origin.
    Redirect { status: u16, location: Option<String> },
}

/// The head of a 2xx answer and its unread body.
pub struct Success {
    pub content_type: String,
    pub body: Body,
}

/// An error answer, read up to where its message is.
pub struct Refusal {
    pub status: u16,
    pub body: Vec<u8>,
    pub retry_after_ms: Option<u64>,
}

/// The first value of header `name`; `fields` is the response's headers, taken once per answer
/// (each `headers()` is a resource of its own, two more crossings).
fn header(fields: &Fields, name: &str) -> Option<String> {
    let values = fields.get(name);
    values.first().map(|v| String::from_utf8_lossy(v).into_owned())
}

/// One request: `body` to `path` (POST; GET without a body), what it accepts, and the most
/// bytes its answer's body may have (none for a stream, which is bounded per event instead).
#[derive(Clone, Copy)]
pub struct Outgoing<'a> {
    pub path: &'a str,
    pub body: Option<&'a [u8]>,
    pub accept: &'a str,
    pub body_cap: Option<u64>,
}

/// One attempt: the request sent, the head awaited, and the answer as it came (a 2xx with its
/// unread body, an error answer's first bytes, a redirect); a failure without an answer is its
/// typed error (knowing whether trying again may help). Reading and parsing are the caller's.
pub fn exchange(settings: &Settings, request: &Outgoing<'_>, deadline: Deadline) -> Result<Answer, Error> {
    let authority = settings.endpoint.authority.as_str();
    let future = send_request(settings, request)?;
    let response = await_head(&future, head_deadline(settings, deadline), deadline, authority)?;
    let head = Head::of(&response)?;
    if (300..400).contains(&head.status) {
        return Ok(Answer::Redirect { status: head.status, location: head.location });
    }
    let between_bytes_ns = u64::from(settings.between_bytes_timeout_ms) * NS_PER_MS;
    if !(200..300).contains(&head.status) {
        let body = error_body(response, between_bytes_ns, deadline, authority);
        return Ok(Answer::Refused(Refusal { status: head.status, body, retry_after_ms: head.retry_after_ms }));
    }
    if let Some(cap) = request.body_cap.filter(|cap| head.content_length.is_some_and(|len| len > *cap)) {
        return Err(errors::too_large(cap));
    }
    let body = Body::new(response, request.body_cap, head.content_length, between_bytes_ns, deadline, authority)?;
    Ok(Answer::Success(Success { content_type: head.content_type, body }))
}

/// Builds the request, hands it to the host and writes its body.
fn send_request(settings: &Settings, request: &Outgoing<'_>) -> Result<FutureIncomingResponse, Error> {
    let Outgoing { path, body, accept, .. } = *request;
    let authority = settings.endpoint.authority.as_str();
    let mut headers: Vec<(String, Vec<u8>)> = vec![("accept".into(), accept.as_bytes().to_vec())];
    if let Some(body) = body {
        headers.push(("content-type".into(), b"application/json".to_vec()));
        headers.push(("content-length".into(), body.len().to_string().into_bytes()));
    }
    if let Some((name, value)) = settings.auth_header() {
        headers.push((name.into(), value.into_bytes()));
    }
    headers.extend(settings.headers.iter().map(|(k, v)| (k.clone(), v.as_bytes().to_vec())));
    let invalid = |what: &str| crate::errors::invalid(format!("the host refused the {what}"));
    // The host's refusal never echoes the headers, so the key cannot leak through it.
    let fields = Fields::from_list(&headers).map_err(|_| invalid("request headers"))?;
    let outgoing_request = OutgoingRequest::new(fields);
    let method = if body.is_some() { Method::Post } else { Method::Get };
    outgoing_request.set_method(&method).map_err(|_| invalid("method"))?;
    let scheme = match settings.endpoint.scheme {
        Scheme::Http => WasiScheme::Http,
        Scheme::Https => WasiScheme::Https,
    };
    outgoing_request.set_scheme(Some(&scheme)).map_err(|_| invalid("scheme"))?;
    outgoing_request.set_authority(Some(authority)).map_err(|_| invalid("authority"))?;
    outgoing_request.set_path_with_query(Some(path)).map_err(|_| invalid("path"))?;
    let options = RequestOptions::new();
    let ms = |v: u32| Some(u64::from(v) * NS_PER_MS);
    // A host may not support every option; the guest enforces its own deadlines anyway.
    let _ = options.set_connect_timeout(ms(settings.connect_timeout_ms));
    let _ = options.set_first_byte_timeout(ms(settings.first_byte_timeout_ms));
    let _ = options.set_between_bytes_timeout(ms(settings.between_bytes_timeout_ms));
    let outgoing = outgoing_request.body().map_err(|_| invalid("request body"))?;
    let future =
        outgoing_handler::handle(outgoing_request, Some(options)).map_err(|code| codes::from_code(code, authority))?;
    // A denied or failed request closes the body stream; the response future then holds the cause.
    if let Ok(stream) = outgoing.write() {
        for piece in body.unwrap_or_default().chunks(WRITE_SIZE) {
            if stream.blocking_write_and_flush(piece).is_err() {
                break;
            }
        }
    }
    let _ = OutgoingBody::finish(outgoing, None);
    Ok(future)
}

/// When the head must have come: connect and first-byte timeouts from now, within the total.
fn head_deadline(settings: &Settings, deadline: Deadline) -> u64 {
    deadline.0.min(
        monotonic_clock::now()
            .saturating_add(u64::from(settings.connect_timeout_ms) * NS_PER_MS)
            .saturating_add(u64::from(settings.first_byte_timeout_ms) * NS_PER_MS),
    )
}

fn await_head(
    future: &FutureIncomingResponse,
    until: u64,
    deadline: Deadline,
    authority: &str,
) -> Result<IncomingResponse, Error> {
    if !wait(&future.subscribe(), until) {
        let total = until == deadline.0;
        let which = if total { "the call (total deadline)" } else { "waiting for the response head" };
        return Err(errors::timeout(which, total));
    }
    match future.get() {
        Some(Ok(Ok(response))) => Ok(response),
        Some(Ok(Err(code))) => Err(codes::from_code(code, authority)),
        Some(Err(())) | None => Err(Error::Transport(errors::lasting("the response was already taken"))),
    }
}

/// What the answer's head says, read once.
struct Head {
    status: u16,
    content_length: Option<u64>,
    content_type: String,
    location: Option<String>,
    retry_after_ms: Option<u64>,
}

impl Head {
    fn of(response: &IncomingResponse) -> Result<Head, Error> {
        let status = response.status();
        if !(100..=599).contains(&status) {
            // Not an HTTP status: a broken or hostile endpoint, which trying again will not mend.
            return Err(errors::malformed(format!("status {status}, which is not an HTTP status")));
        }
        // A child of the response: dropped (at the end of this function) before it is consumed.
        let fields = response.headers();
        let retry_after_ms = (!(200..300).contains(&status))
            .then(|| {
                let ms = header(&fields, "retry-after-ms");
                errors::retry_after_ms(ms.as_deref(), header(&fields, "retry-after").as_deref(), SystemTime::now())
            })
            .flatten();
        Ok(Head {
            status,
            content_length: header(&fields, "content-length").and_then(|v| v.trim().parse::<u64>().ok()),
            content_type: header(&fields, "content-type").unwrap_or_default(),
            // Only a redirect's error names it: one call into the host fewer for every other answer.
            location: (300..400).contains(&status).then(|| header(&fields, "location")).flatten(),
            retry_after_ms,
        })
    }
}

/// An error answer's first bytes, where its message is: more than that is cut, not an error.
fn error_body(response: IncomingResponse, between_bytes_ns: u64, deadline: Deadline, authority: &str) -> Vec<u8> {
    let cap = errors::MAX_ERROR_BODY_BYTES;
    let mut bytes = Vec::new();
    if let Ok(mut body) = Body::new(response, None, None, between_bytes_ns, deadline, authority) {
        while let Ok(Some(chunk)) = body.next_chunk() {
            bytes.extend_from_slice(&chunk);
            if bytes.len() >= cap {
                bytes.truncate(cap);
                break;
            }
        }
    }
    bytes
}

/// Waits `ns` nanoseconds (a retry's pause).
pub fn pause(ns: u64) {
    monotonic_clock::subscribe_duration(ns).block();
}

/// Random bits from the host, for a retry's jitter.
pub fn random_u64() -> u64 {
    wasi::random::random::get_random_u64()
}
