//! The one module that speaks WASI HTTP: it sends a request with its timeouts, retries what may be
//! retried, and reads bodies incrementally under a size cap and the deadlines, waiting on pollables.

mod body;
mod codes;

pub use body::Body;

use crate::config::{Scheme, Settings};
use crate::domain::{Error, Failure};
use crate::{errors, retry};
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
    fn remaining_ns(self) -> u64 {
        self.0.saturating_sub(monotonic_clock::now())
    }
}

pub(super) fn failure(message: String) -> Failure {
    Failure { message, attempts: 1 }
}

pub(super) fn timeout(what: &str) -> Error {
    Error::Timeout(failure(format!("{what} timed out")))
}

/// Waits until `pollable` is ready or `until` (monotonic ns) passes; false on the time-out.
pub(super) fn wait(pollable: &poll::Pollable, until: u64) -> bool {
    if pollable.ready() {
        return true;
    }
    let timer = monotonic_clock::subscribe_instant(until);
    poll::poll(&[pollable, &timer]).contains(&0)
}

/// The head of a 2xx answer and its unread body.
pub struct Answer {
    pub content_type: String,
    pub body: Body,
}

/// The first value of header `name`; `fields` is the response's headers, taken once per answer
/// (each `headers()` is a resource of its own, two more crossings).
fn header(fields: &Fields, name: &str) -> Option<String> {
    let values = fields.get(name);
    values.first().map(|v| String::from_utf8_lossy(v).into_owned())
}

/// One attempt: send, then wait for the head; an error answer becomes its typed error.
fn exchange(settings: &Settings, request: &Outgoing<'_>, deadline: Deadline) -> Result<Answer, (Error, bool)> {
    let Outgoing { path, body, accept, body_cap } = *request;
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
    let invalid = |what: &str| (Error::InvalidRequest(format!("the host refused the {what}")), false);
    // The host's refusal never echoes the headers, so the key cannot leak through it.
    let fields = Fields::from_list(&headers).map_err(|_| invalid("request headers"))?;
    let request = OutgoingRequest::new(fields);
    let method = if body.is_some() { Method::Post } else { Method::Get };
    request.set_method(&method).map_err(|_| invalid("method"))?;
    let scheme = match settings.endpoint.scheme {
        Scheme::Http => WasiScheme::Http,
        Scheme::Https => WasiScheme::Https,
    };
    request.set_scheme(Some(&scheme)).map_err(|_| invalid("scheme"))?;
    request.set_authority(Some(authority)).map_err(|_| invalid("authority"))?;
    request.set_path_with_query(Some(path)).map_err(|_| invalid("path"))?;
    let options = RequestOptions::new();
    let ms = |v: u32| Some(u64::from(v) * NS_PER_MS);
    // A host may not support every option; the guest enforces its own deadlines anyway.
    let _ = options.set_connect_timeout(ms(settings.connect_timeout_ms));
    let _ = options.set_first_byte_timeout(ms(settings.first_byte_timeout_ms));
    let _ = options.set_between_bytes_timeout(ms(settings.between_bytes_timeout_ms));
    let outgoing = request.body().map_err(|_| invalid("request body"))?;
    let future = outgoing_handler::handle(request, Some(options)).map_err(|code| codes::from_code(code, authority))?;
    // A denied or failed request closes the body stream; the response future then holds the cause.
    if let Ok(stream) = outgoing.write() {
        for piece in body.unwrap_or_default().chunks(WRITE_SIZE) {
            if stream.blocking_write_and_flush(piece).is_err() {
                break;
            }
        }
    }
    let _ = OutgoingBody::finish(outgoing, None);
    let head_until = deadline.0.min(
        monotonic_clock::now()
            .saturating_add(u64::from(settings.connect_timeout_ms) * NS_PER_MS)
            .saturating_add(u64::from(settings.first_byte_timeout_ms) * NS_PER_MS),
    );
    let response = await_head(&future, head_until, deadline, authority)?;
    let status = response.status();
    if !(100..=599).contains(&status) {
        // Not an HTTP status: a broken or hostile endpoint, which trying again will not mend.
        let message = format!("the endpoint answered with status {status}, which is not an HTTP status");
        return Err((Error::MalformedResponse(message), false));
    }
    let fields = response.headers();
    let content_length = header(&fields, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
    let content_type = header(&fields, "content-type").unwrap_or_default();
    if (300..400).contains(&status) {
        // Never followed: a redirect could lead the key to another origin.
        return Err((errors::redirect(status, header(&fields, "location").as_deref()), false));
    }
    let retry_after = (!(200..300).contains(&status)).then(|| {
        let ms = header(&fields, "retry-after-ms");
        errors::retry_after_ms(ms.as_deref(), header(&fields, "retry-after").as_deref(), SystemTime::now())
    });
    // A child of the response: dropped before the response is consumed.
    drop(fields);
    let retry_after = retry_after.flatten();
    let success = (200..300).contains(&status);
    if !success {
        // An error answer: its message is in the first bytes; more than that is cut, not an error.
        let cap = errors::MAX_ERROR_BODY_BYTES as u64;
        let between_bytes_ns = u64::from(settings.between_bytes_timeout_ms) * NS_PER_MS;
        let mut bytes = Vec::new();
        if let Ok(mut body) = Body::new(response, None, None, between_bytes_ns, deadline, authority) {
            while let Ok(Some(chunk)) = body.next_chunk() {
                bytes.extend_from_slice(&chunk);
                if bytes.len() as u64 >= cap {
                    bytes.truncate(cap as usize);
                    break;
                }
            }
        }
        let error = errors::from_answer(status, &bytes, retry_after, &settings.api_key);
        let retryable = retry::is_retryable(&error);
        return Err((error, retryable));
    }
    if let Some(cap) = body_cap.filter(|cap| content_length.is_some_and(|len| len > *cap)) {
        return Err((body::too_large(cap), false));
    }
    let between_bytes_ns = u64::from(settings.between_bytes_timeout_ms) * NS_PER_MS;
    let body =
        Body::new(response, body_cap, content_length, between_bytes_ns, deadline, authority).map_err(|e| (e, false))?;
    Ok(Answer { content_type, body })
}

fn await_head(
    future: &FutureIncomingResponse,
    until: u64,
    deadline: Deadline,
    authority: &str,
) -> Result<IncomingResponse, (Error, bool)> {
    if !wait(&future.subscribe(), until) {
        let total = until == deadline.0;
        let which = if total { "the call (total deadline)" } else { "waiting for the response head" };
        return Err((timeout(which), !total));
    }
    match future.get() {
        Some(Ok(Ok(response))) => Ok(response),
        Some(Ok(Err(code))) => Err(codes::from_code(code, authority)),
        Some(Err(())) | None => Err((Error::Transport(failure("the response was already taken".into())), false)),
    }
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

/// Sends `request`, retrying as the settings allow, and hands each 2xx answer to `on_answer`.
/// A retryable error from `on_answer` (a broken or stalled body) is retried too; the final error
/// says how many attempts were made.
pub fn send<T>(
    settings: &Settings,
    request: Outgoing<'_>,
    mut on_answer: impl FnMut(Answer) -> Result<T, Error>,
) -> Result<T, Error> {
    let deadline = Deadline::after_ms(settings.total_timeout_ms);
    let mut attempts = 0;
    loop {
        attempts += 1;
        let (mut error, retryable) = match exchange(settings, &request, deadline) {
            Ok(answer) => match on_answer(answer) {
                Ok(value) => return Ok(value),
                Err(e) => {
                    let retryable = retry::is_retryable(&e);
                    (e, retryable)
                }
            },
            Err(failed) => failed,
        };
        error.set_attempts(attempts);
        if !retryable || attempts > settings.max_retries {
            return Err(error);
        }
        let asked = error.api_error().and_then(|e| e.retry_after_ms);
        let delay_ns =
            retry::delay_ms(attempts, asked, wasi::random::random::get_random_u64()).saturating_mul(NS_PER_MS);
        if delay_ns >= deadline.remaining_ns() {
            return Err(error);
        }
        monotonic_clock::subscribe_duration(delay_ns).block();
    }
}
