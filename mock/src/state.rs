//! What all connections of one server share: the record of requests and the scenarios' state.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::Value;
use tokio::sync::Notify;

/// One HTTP request received by the [`MockServer`].
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The HTTP method, e.g. `"POST"`.
    pub method: String,
    /// Path and query, e.g. `"/v1/chat/completions"`.
    pub path: String,
    /// Header names (lower-cased) and values, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON; `Value::Null` when it is not JSON.
    pub body: Value,
    /// The raw body bytes.
    pub raw_body: Vec<u8>,
    /// The client's end of the connection it came on: equal for requests on one kept-alive
    /// connection.
    pub peer: SocketAddr,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// State shared by all connections of one server.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Every request received, in arrival order.
    pub(crate) requests: Mutex<Vec<RecordedRequest>>,
    /// Requests seen so far per `mock/flaky*` model string.
    pub(crate) flaky: Mutex<HashMap<String, u32>>,
    /// The last `chatcmpl-mock-N` number handed out.
    pub(crate) next_id: AtomicU64,
    /// Released by [`MockServer::release_gate`], awaited by `mock/stream-gated`.
    pub(crate) gate: Notify,
    /// Connections accepted (for TLS: whose handshake completed).
    pub(crate) connections: AtomicU64,
    /// Event streams still being written (their writer ends when the client goes away).
    pub(crate) live_streams: AtomicU64,
    /// Scripted answers by model, set with [`crate::MockServer::script`].
    pub(crate) scripts: Mutex<HashMap<String, Scripted>>,
}

/// An answer given verbatim to every chat request for one model.
#[derive(Debug, Clone)]
pub struct Scripted {
    /// The HTTP status.
    pub status: u16,
    /// The `content-type` header.
    pub content_type: String,
    /// The body, byte for byte (a JSON document, or an SSE stream's raw text).
    pub body: Vec<u8>,
}

/// Locks `mutex`, ignoring poisoning (a panicking test must not break the other requests).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
