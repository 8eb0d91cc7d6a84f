//! The response body type shared by every scenario, and small response builders.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::{Response, StatusCode};
use hyper::body::{Body, Frame, SizeHint};
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// A mock HTTP response.
pub(crate) type Resp = Response<MockBody>;

/// A response body: either fully known (sent with `content-length`) or fed frame by frame
/// through a channel (sent with chunked encoding).
#[derive(Debug)]
pub(crate) struct MockBody(Inner);

/// The two kinds of [`MockBody`].
#[derive(Debug)]
enum Inner {
    /// All the bytes (`None` once sent, or when empty).
    Full(Option<Bytes>),
    /// Frames (or an error that aborts the connection) from a [`BodySender`].
    Channel(mpsc::Receiver<Result<Bytes, io::Error>>),
}

impl MockBody {
    /// A body whose bytes are all known; hyper sends it with `content-length`.
    pub(crate) fn full(bytes: impl Into<Bytes>) -> Self {
        let bytes: Bytes = bytes.into();
        MockBody(Inner::Full((!bytes.is_empty()).then_some(bytes)))
    }

    /// A chunked body fed through the returned sender. The body ends when every sender is dropped.
    pub(crate) fn channel(capacity: usize) -> (BodySender, Self) {
        let (tx, rx) = mpsc::channel(capacity);
        (BodySender(tx), MockBody(Inner::Channel(rx)))
    }
}

impl Body for MockBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match &mut self.get_mut().0 {
            Inner::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Inner::Channel(rx) => rx.poll_recv(cx).map(|item| item.map(|r| r.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.0, Inner::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Inner::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Inner::Channel(_) => SizeHint::default(),
        }
    }
}

/// The producing side of a [`MockBody::channel`].
#[derive(Debug, Clone)]
pub(crate) struct BodySender(mpsc::Sender<Result<Bytes, io::Error>>);

impl BodySender {
    /// Queues one body frame; `None` once the connection (and so the body) is gone.
    pub(crate) async fn send(&self, data: impl Into<Bytes>) -> Option<()> {
        self.0.send(Ok(data.into())).await.ok()
    }

    /// Makes hyper fail the body, which drops the connection mid-response.
    pub(crate) async fn abort(&self) {
        let error = io::Error::new(io::ErrorKind::ConnectionReset, "mock reset");
        let _ = self.0.send(Err(error)).await;
    }

    /// Sleeps for `duration`; `None` if the body was dropped meanwhile.
    pub(crate) async fn sleep(&self, duration: Duration) -> Option<()> {
        tokio::select! {
            _ = tokio::time::sleep(duration) => Some(()),
            _ = self.0.closed() => None,
        }
    }
}

/// A response with the given status, `content-type` and body.
pub(crate) fn response(status: u16, content_type: &'static str, body: MockBody) -> Resp {
    let mut resp = Response::new(body);
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

/// An `application/json` response with `content-length`.
pub(crate) fn json_response(status: u16, value: &Value) -> Resp {
    response(status, "application/json", MockBody::full(value.to_string()))
}

/// Adds a header (silently skipped if `value` is not a valid header value).
pub(crate) fn with_header(mut resp: Resp, name: &'static str, value: &str) -> Resp {
    if let Ok(value) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(HeaderName::from_static(name), value);
    }
    resp
}

/// An OpenAI-shaped error: `{"error":{"message","type","param","code"}}`.
pub(crate) fn error_response(status: u16, message: &str, kind: Value, param: Value, code: Value) -> Resp {
    let body = json!({"error": {"message": message, "type": kind, "param": param, "code": code}});
    json_response(status, &body)
}

/// The generic `mock error STATUS` error (code `mock_STATUS`).
pub(crate) fn mock_error(status: u16) -> Resp {
    let message = format!("mock error {status}");
    let code = format!("mock_{status}");
    error_response(status, &message, json!("mock_error"), Value::Null, json!(code))
}

/// The `mock/error-STATUS` answer: [`mock_error`] for a `status` in 400..=599, with
/// `retry-after: 1` for 429; `None` when `status` is not such a number.
pub(crate) fn status_error(status: &str) -> Option<Resp> {
    let status = status.parse::<u16>().ok().filter(|s| (400..=599).contains(s))?;
    let resp = mock_error(status);
    Some(if status == 429 { with_header(resp, "retry-after", "1") } else { resp })
}

/// A 400 `invalid_request_error` about the request itself.
pub(crate) fn bad_request(message: &str, param: Value, code: &str) -> Resp {
    error_response(400, message, json!("invalid_request_error"), param, json!(code))
}
