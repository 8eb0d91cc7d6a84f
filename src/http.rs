//! The one module that speaks WASI HTTP: it sends a request with its timeouts, retries what may be
//! retried, and reads bodies incrementally under a size cap and the deadlines, waiting on pollables.

use crate::config::{Scheme, Settings};
use crate::domain::{Error, Failure};
use crate::{errors, retry};
use std::time::SystemTime;
use wasi::clocks::monotonic_clock;
use wasi::http::outgoing_handler;
use wasi::http::types::{
    ErrorCode, Fields, FutureIncomingResponse, IncomingBody, IncomingResponse, Method, OutgoingBody, OutgoingRequest,
    RequestOptions, Scheme as WasiScheme,
};
use wasi::io::poll;
use wasi::io::streams::{InputStream, StreamError};

const NS_PER_MS: u64 = 1_000_000;
const READ_SIZE: u64 = 64 * 1024;
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

fn failure(message: String) -> Failure {
    Failure { message, attempts: 1 }
}

fn timeout(what: &str) -> Error {
    Error::Timeout(failure(format!("{what} timed out")))
}

/// Waits until `pollable` is ready or `until` (monotonic ns) passes; false on the time-out.
fn wait(pollable: &poll::Pollable, until: u64) -> bool {
    if pollable.ready() {
        return true;
    }
    let timer = monotonic_clock::subscribe_instant(until);
    poll::poll(&[pollable, &timer]).contains(&0)
}

/// The WIT name of a host error code (its `Debug` form would cost the component kilobytes).
fn code_name(code: &ErrorCode) -> &'static str {
    match code {
        ErrorCode::DnsTimeout => "DNS-timeout",
        ErrorCode::DnsError(_) => "DNS-error",
        ErrorCode::DestinationNotFound => "destination-not-found",
        ErrorCode::DestinationUnavailable => "destination-unavailable",
        ErrorCode::DestinationIpProhibited => "destination-IP-prohibited",
        ErrorCode::DestinationIpUnroutable => "destination-IP-unroutable",
        ErrorCode::ConnectionRefused => "connection-refused",
        ErrorCode::ConnectionTerminated => "connection-terminated",
        ErrorCode::ConnectionTimeout => "connection-timeout",
        ErrorCode::ConnectionReadTimeout => "connection-read-timeout",
        ErrorCode::ConnectionWriteTimeout => "connection-write-timeout",
        ErrorCode::ConnectionLimitReached => "connection-limit-reached",
        ErrorCode::TlsProtocolError => "TLS-protocol-error",
        ErrorCode::TlsCertificateError => "TLS-certificate-error",
        ErrorCode::TlsAlertReceived(_) => "TLS-alert-received",
        ErrorCode::HttpRequestDenied => "HTTP-request-denied",
        ErrorCode::HttpRequestUriInvalid => "HTTP-request-URI-invalid",
        ErrorCode::HttpResponseIncomplete => "HTTP-response-incomplete",
        ErrorCode::HttpResponseBodySize(_) => "HTTP-response-body-size",
        ErrorCode::HttpResponseTimeout => "HTTP-response-timeout",
        ErrorCode::HttpProtocolError => "HTTP-protocol-error",
        ErrorCode::ConfigurationError => "configuration-error",
        ErrorCode::InternalError(_) => "internal-error",
        _ => "HTTP-error",
    }
}

/// A failure reported by the host, and whether trying again may help.
fn from_code(code: ErrorCode, authority: &str) -> (Error, bool) {
    match code {
        ErrorCode::DnsTimeout
        | ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout => {
            (Error::Timeout(failure(format!("{} talking to {authority}", code_name(&code)))), true)
        }
        ErrorCode::HttpRequestDenied => {
            let message = format!("the host denied the request to {authority} (HTTP-request-denied)");
            (Error::Transport(failure(message)), false)
        }
        ErrorCode::HttpResponseBodySize(_) => (Error::MalformedResponse(code_name(&code).to_string()), false),
        ErrorCode::HttpRequestUriInvalid | ErrorCode::ConfigurationError => {
            (Error::Transport(failure(format!("{} for {authority}", code_name(&code)))), false)
        }
        other => (Error::Transport(failure(format!("{} talking to {authority}", code_name(&other)))), true),
    }
}

/// A response body, read chunk by chunk.
pub struct Body {
    // Field order is drop order: the stream is a child of the body, the body of the response.
    stream: InputStream,
    _body: IncomingBody,
    _response: IncomingResponse,
    read: u64,
    cap: u64,
    between_bytes_ns: u64,
    deadline: Deadline,
    authority: String,
}

impl Body {
    /// The next bytes, `None` at the end of the body.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, Error> {
        let last_progress = monotonic_clock::now();
        loop {
            match self.stream.read(READ_SIZE) {
                Ok(bytes) if bytes.is_empty() => {
                    let until = self.deadline.0.min(last_progress.saturating_add(self.between_bytes_ns));
                    if !wait(&self.stream.subscribe(), until) {
                        let which = if until == self.deadline.0 {
                            "the call (total deadline)"
                        } else {
                            "the body (between bytes)"
                        };
                        return Err(timeout(which));
                    }
                }
                Ok(bytes) => {
                    self.read += bytes.len() as u64;
                    if self.read > self.cap {
                        return Err(too_large(self.cap));
                    }
                    return Ok(Some(bytes));
                }
                Err(StreamError::Closed) => return Ok(None),
                Err(StreamError::LastOperationFailed(e)) => {
                    let error = match wasi::http::types::http_error_code(&e) {
                        Some(code) => from_code(code, &self.authority).0,
                        None => io_error(&e.to_debug_string()),
                    };
                    return Err(error);
                }
            }
        }
    }

    /// The whole body, up to the cap.
    pub fn read_all(mut self) -> Result<Vec<u8>, Error> {
        let mut all = Vec::new();
        while let Some(chunk) = self.next_chunk()? {
            if all.is_empty() {
                all = chunk;
            } else {
                all.extend_from_slice(&chunk);
            }
        }
        Ok(all)
    }
}

/// A body-stream failure the host gave no HTTP error code for. Its debug text may carry a whole
/// host backtrace: keep the first line, cut short.
fn io_error(debug: &str) -> Error {
    let line: String = debug.lines().next().unwrap_or("").trim().chars().take(200).collect();
    let message = format!("reading the body: {line}");
    if line.contains("timeout") || line.contains("timed out") {
        Error::Timeout(failure(message))
    } else {
        Error::Transport(failure(message))
    }
}

fn too_large(cap: u64) -> Error {
    Error::MalformedResponse(format!("the response is larger than max-response-bytes ({cap} bytes)"))
}

/// The head of a 2xx answer and its unread body.
pub struct Answer {
    pub content_type: String,
    pub body: Body,
}

fn header(response: &IncomingResponse, name: &str) -> Option<String> {
    let values = response.headers().get(name);
    values.first().map(|v| String::from_utf8_lossy(v).into_owned())
}

/// One attempt: send, then wait for the head; an error answer becomes its typed error.
fn exchange(
    settings: &Settings,
    path: &str,
    body: Option<&[u8]>,
    accept: &str,
    deadline: Deadline,
) -> Result<Answer, (Error, bool)> {
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
    let future = outgoing_handler::handle(request, Some(options)).map_err(|code| from_code(code, authority))?;
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
    let content_length = header(&response, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
    let content_type = header(&response, "content-type").unwrap_or_default();
    let retry_after = errors::retry_after_ms(
        header(&response, "retry-after-ms").as_deref(),
        header(&response, "retry-after").as_deref(),
        SystemTime::now(),
    );
    let success = (200..300).contains(&status);
    let cap = if success { u64::from(settings.max_response_bytes) } else { errors::MAX_ERROR_BODY_BYTES as u64 };
    if success && content_length.is_some_and(|len| len > cap) {
        return Err((too_large(cap), false));
    }
    let incoming = response.consume().map_err(|_| (Error::Transport(failure("the body was taken".into())), false))?;
    let stream = incoming.stream().map_err(|_| (Error::Transport(failure("no body stream".into())), false))?;
    let body = Body {
        stream,
        _body: incoming,
        _response: response,
        read: 0,
        cap,
        between_bytes_ns: u64::from(settings.between_bytes_timeout_ms) * NS_PER_MS,
        deadline,
        authority: authority.to_string(),
    };
    if success {
        return Ok(Answer { content_type, body });
    }
    // An error answer: its message is in the first bytes; a body over the cap is cut, not an error.
    let mut bytes = Vec::new();
    let mut body = body;
    body.cap = u64::MAX;
    while let Ok(Some(chunk)) = body.next_chunk() {
        bytes.extend_from_slice(&chunk);
        if bytes.len() >= errors::MAX_ERROR_BODY_BYTES {
            bytes.truncate(errors::MAX_ERROR_BODY_BYTES);
            break;
        }
    }
    let error = errors::from_answer(status, &bytes, retry_after, &settings.api_key);
    let retryable = retry::is_retryable(&error);
    Err((error, retryable))
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
        Some(Ok(Err(code))) => Err(from_code(code, authority)),
        Some(Err(())) | None => Err((Error::Transport(failure("the response was already taken".into())), false)),
    }
}

/// Sends `body` to `path` (POST; GET without a body), retrying as the settings allow, and hands each 2xx answer to `on_answer`.
/// A retryable error from `on_answer` (a broken or stalled body) is retried too; the final error
/// says how many attempts were made.
pub fn send<T>(
    settings: &Settings,
    path: &str,
    body: Option<&[u8]>,
    accept: &str,
    mut on_answer: impl FnMut(Answer) -> Result<T, Error>,
) -> Result<T, Error> {
    let deadline = Deadline::after_ms(settings.total_timeout_ms);
    let mut attempts = 0;
    loop {
        attempts += 1;
        let (mut error, retryable) = match exchange(settings, path, body, accept, deadline) {
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
