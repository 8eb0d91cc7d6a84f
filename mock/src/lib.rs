//! A mock OpenAI-compatible chat-completions server for tests and for `litellm-host mock`.
//!
//! The server speaks real HTTP/1.1 (hyper) on 127.0.0.1, records every request it receives and
//! answers `POST /v1/chat/completions` according to the request's `model`:
//!
//! * any model not starting with `mock/`, and `mock/echo`: echoes the last user message;
//! * `mock/<scenario>`: a scripted behaviour (errors, tool calls, malformed bodies, slow or
//!   broken connections, SSE variants...). Non-streaming scenarios live in `scenarios.rs`, SSE
//!   ones in `streaming.rs`. Unknown `mock/` names behave like `mock/echo`.
//!
//! Error, delay and flaky scenarios (`mock/error-*`, `mock/slow-headers-MS`, `mock/flaky-*`,
//! `mock/stream-500`) apply to streaming and non-streaming requests alike.
//!
//! Besides chat, it serves `POST /v1/embeddings` (`embeddings.rs`), `GET /v1/models`
//! (`routes.rs`; 401 for `Authorization: Bearer sk-bad-key`), the Azure OpenAI flavour of these
//! routes under `/openai/` (`azure.rs`) and `GET /health`. The `/v1` prefix is optional.

mod azure;
mod body;
mod call;
mod embeddings;
mod flavours;
mod handlers;
mod request;
mod routes;
mod scenarios;
mod state;
mod streaming;
#[cfg(test)]
mod tests;
mod text;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::Request;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use body::{bad_request, Resp};
use state::{lock, Shared};

pub use state::RecordedRequest;

/// A running mock server. Dropping it stops the server and its open connections.
#[derive(Debug)]
pub struct MockServer {
    /// The listening address.
    addr: SocketAddr,
    /// State shared with the connections.
    shared: Arc<Shared>,
    /// The accept loop, which owns the connection tasks.
    task: JoinHandle<()>,
}

impl MockServer {
    /// Starts a server on 127.0.0.1 with a random free port.
    pub async fn start() -> anyhow::Result<MockServer> {
        Self::start_on(0).await
    }

    /// Starts a server on 127.0.0.1:`port` (0 picks a free port).
    pub async fn start_on(port: u16) -> anyhow::Result<MockServer> {
        let socket = TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
        let listener = socket.listen(4096)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let task = tokio::spawn(accept_loop(listener, shared.clone()));
        Ok(MockServer { addr, shared, task })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request recorded so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Every request recorded so far, in arrival order, clearing the record.
    pub fn take_requests(&self) -> Vec<RecordedRequest> {
        std::mem::take(&mut *lock(&self.shared.requests))
    }

    /// The recorded requests whose JSON body has `"model": model`.
    pub fn requests_for(&self, model: &str) -> Vec<RecordedRequest> {
        lock(&self.shared.requests)
            .iter()
            .filter(|r| r.body.get("model").and_then(Value::as_str) == Some(model))
            .cloned()
            .collect()
    }

    /// Lets one `mock/stream-gated` stream continue past its first delta. A release made
    /// before the stream reaches the gate is remembered (one permit, like `Notify::notify_one`).
    pub fn release_gate(&self) {
        self.shared.gate.notify_one();
    }

    /// How many event streams the server is still writing: one ends when its answer is complete
    /// or when the client has closed the connection.
    pub fn live_streams(&self) -> u64 {
        self.shared.live_streams.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Serves until Ctrl-C, then stops the server.
    pub async fn run_until_ctrl_c(mut self) -> anyhow::Result<()> {
        tracing::info!(url = %self.base_url(), "mock server listening");
        tokio::select! {
            signal = tokio::signal::ctrl_c() => signal?,
            ended = &mut self.task => anyhow::bail!("mock server stopped unexpectedly: {ended:?}"),
        }
        tracing::info!("mock server stopping");
        Ok(())
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Accepts connections, each served in its own task. The tasks live in a `JoinSet` owned
/// by this loop, so aborting the loop also aborts every connection.
async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(serve_connection(stream, peer, shared.clone()));
                }
                Err(error) => {
                    tracing::warn!(%error, "mock server accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Serves HTTP/1.1 (with keep-alive) on one connection.
async fn serve_connection(stream: TcpStream, peer: SocketAddr, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |req| {
        let shared = shared.clone();
        async move { Ok::<_, Infallible>(handle(shared, peer, req).await) }
    });
    let result = http1::Builder::new().header_read_timeout(None).serve_connection(TokioIo::new(stream), service).await;
    if let Err(error) = result {
        tracing::debug!(%error, "mock connection ended with an error");
    }
}

/// Reads the whole request, records it and routes it.
async fn handle(shared: Arc<Shared>, peer: SocketAddr, req: Request<Incoming>) -> Resp {
    let (parts, body) = req.into_parts();
    let (raw, read_error) = match body.collect().await {
        Ok(collected) => (collected.to_bytes(), None),
        Err(error) => (Default::default(), Some(error)),
    };
    let parsed = serde_json::from_slice::<Value>(&raw);
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(n, v)| (n.as_str().to_ascii_lowercase(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let path = parts.uri.path_and_query().map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    let recorded = RecordedRequest {
        method: parts.method.to_string(),
        path,
        headers,
        body: parsed.as_ref().cloned().unwrap_or(Value::Null),
        raw_body: raw.to_vec(),
        peer,
    };
    let authorization = recorded.header("authorization").map(str::to_owned);
    lock(&shared.requests).push(recorded);

    if let Some(error) = read_error {
        return bad_request(&format!("could not read the request body: {error}"), Value::Null, "bad_body");
    }
    routes::route(shared, &parts, parsed, authorization).await
}
