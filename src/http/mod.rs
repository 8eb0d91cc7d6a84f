//! The one module that speaks WASI HTTP: one attempt of a request with its timeouts, its answer's
//! head read and its body read incrementally under a size cap and the deadlines. Retrying is
//! `retry.rs`'s; parsing is above.
//!
//! What an exchange is (the request's headers, the head's meaning, the body's cap) is written
//! here once; how it waits is the world's: `p2` waits on `wasi:io` pollables, `p3` on
//! `wasi:http@0.3.0`'s futures and streams (the feature `wasi-p3` chooses, and
//! `artifacts/build.rs` builds one component of each).

mod codes;
#[cfg(not(feature = "wasi-p3"))]
#[path = "p2/mod.rs"]
mod transport;
#[cfg(feature = "wasi-p3")]
#[path = "p3.rs"]
mod transport;

pub use transport::{pause, random_u64, Body};

use crate::config::Settings;
use crate::domain::Error;
use crate::errors;
use std::time::SystemTime;

const NS_PER_MS: u64 = 1_000_000;

/// A point on the monotonic clock after which a call gives up.
#[derive(Clone, Copy)]
pub struct Deadline(u64);

impl Deadline {
    pub fn after_ms(ms: u32) -> Self {
        Self(transport::now().saturating_add(u64::from(ms) * NS_PER_MS))
    }
    pub fn remaining_ns(self) -> u64 {
        self.0.saturating_sub(transport::now())
    }
}

/// The time-out of a wait that ended at `until` (monotonic ns): the call's total deadline, or
/// the nearer one the wait was for (`waiting_for`, as in "waiting for the response head").
fn timed_out(until: u64, deadline: Deadline, waiting_for: &str) -> Error {
    let total = until == deadline.0;
    errors::timeout(if total { "the call (total deadline)" } else { waiting_for }, total)
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

/// One request: `body` to `path` (POST; GET without a body), what it accepts, and the most
/// bytes its answer's body may have (none for a stream, which is bounded per event instead).
#[derive(Clone, Copy)]
pub struct Outgoing<'a> {
    pub path: &'a str,
    pub body: Option<&'a [u8]>,
    pub accept: &'a str,
    pub body_cap: Option<u64>,
}

impl Outgoing<'_> {
    /// The request's method: POST with a body, GET without.
    fn is_post(&self) -> bool {
        self.body.is_some()
    }

    /// The request's headers: what it accepts, its body's type and length, the key's header and
    /// the configured extra headers.
    fn headers(&self, settings: &Settings) -> Vec<(String, Vec<u8>)> {
        let mut headers: Vec<(String, Vec<u8>)> = vec![("accept".into(), self.accept.as_bytes().to_vec())];
        if let Some(body) = self.body {
            headers.push(("content-type".into(), b"application/json".to_vec()));
            headers.push(("content-length".into(), body.len().to_string().into_bytes()));
        }
        if let Some((name, value)) = settings.auth_header() {
            headers.push((name.into(), value.into_bytes()));
        }
        headers.extend(settings.headers.iter().map(|(k, v)| (k.clone(), v.as_bytes().to_vec())));
        headers
    }
}

/// The host refused a part of the request as it was built. The host's refusal never echoes the
/// headers, so the key cannot leak through it.
fn refused_part(what: &str) -> Error {
    errors::invalid(format!("the host refused the {what}"))
}

impl Body {
    /// The whole body, up to the cap.
    pub fn read_all(mut self) -> Result<Vec<u8>, Error> {
        let mut all = Vec::with_capacity(self.announced as usize);
        while let Some(chunk) = self.next_chunk()? {
            if all.capacity() == 0 {
                all = chunk;
            } else {
                all.extend_from_slice(&chunk);
            }
        }
        Ok(all)
    }
}

/// One attempt: the request sent, the head awaited, and the answer as it came (a 2xx with its
/// unread body, an error answer's first bytes, a redirect); a failure without an answer is its
/// typed error (knowing whether trying again may help). Reading and parsing are the caller's.
pub fn exchange(settings: &Settings, request: &Outgoing<'_>, deadline: Deadline) -> Result<Answer, Error> {
    let authority = settings.endpoint.authority.as_str();
    let response = transport::send(settings, request, head_deadline(settings, deadline), deadline)?;
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

/// When the head must have come: connect and first-byte timeouts from now, within the total.
fn head_deadline(settings: &Settings, deadline: Deadline) -> u64 {
    deadline.0.min(
        transport::now()
            .saturating_add(u64::from(settings.connect_timeout_ms) * NS_PER_MS)
            .saturating_add(u64::from(settings.first_byte_timeout_ms) * NS_PER_MS),
    )
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
    fn of(response: &transport::Response) -> Result<Head, Error> {
        let status = transport::status(response);
        if !(100..=599).contains(&status) {
            // Not an HTTP status: a broken or hostile endpoint, which trying again will not mend.
            return Err(errors::malformed(format!("status {status}, which is not an HTTP status")));
        }
        transport::with_headers(response, |header| {
            let retry_after_ms = (!(200..300).contains(&status))
                .then(|| {
                    let ms = header("retry-after-ms");
                    errors::retry_after_ms(ms.as_deref(), header("retry-after").as_deref(), SystemTime::now())
                })
                .flatten();
            Ok(Head {
                status,
                content_length: header("content-length").and_then(|v| v.trim().parse::<u64>().ok()),
                content_type: header("content-type").unwrap_or_default(),
                // Only a redirect's error names it: one call into the host fewer for every other answer.
                location: (300..400).contains(&status).then(|| header("location")).flatten(),
                retry_after_ms,
            })
        })
    }
}

/// An error answer's first bytes, where its message is: more than that is cut, not an error.
fn error_body(response: transport::Response, between_bytes_ns: u64, deadline: Deadline, authority: &str) -> Vec<u8> {
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
