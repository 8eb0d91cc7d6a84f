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
//! `mock/stream-500`), the strict 2026 servers (`thinking.rs`) and a hostile endpoint
//! (`mock/hostile-*`, `hostile.rs`) apply to streaming and non-streaming requests alike.
//!
//! Besides chat, it serves `POST /v1/embeddings` (`embeddings.rs`), `GET /v1/models`
//! (`routes.rs`; 401 for `Authorization: Bearer sk-bad-key`), the Azure OpenAI flavour of these
//! routes under `/openai/` (`azure.rs`) and `GET /health`. The `/v1` prefix is optional.

#![deny(missing_docs)]

mod agent;
mod azure;
mod body;
mod call;
mod completion;
mod embeddings;
mod flavours;
mod handlers;
mod hostile;
mod request;
mod routes;
mod scenarios;
mod server;
mod state;
mod streaming;
#[cfg(test)]
mod tests;
mod text;
mod thinking;
mod tls;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde_json::Value;
use tokio::net::TcpSocket;
use tokio::task::JoinHandle;

use state::{lock, Shared};

pub use agent::{AGENT_COMMAND, AGENT_OUTPUT, AGENT_REPLY};
pub use state::{RecordedRequest, Scripted};
pub use thinking::DEEPSEEK_REASONING;
pub use tls::TlsOptions;

/// A running mock server. Dropping it stops the server and its open connections.
#[derive(Debug)]
pub struct MockServer {
    /// The listening address.
    addr: SocketAddr,
    /// State shared with the connections.
    shared: Arc<Shared>,
    /// The accept loop, which owns the connection tasks.
    task: JoinHandle<()>,
    /// With TLS: the certificate authority that signed the server's certificate, as PEM.
    ca_pem: Option<String>,
    /// With TLS: the host name the base URL uses.
    tls_host: Option<String>,
}

impl MockServer {
    /// Starts a server on 127.0.0.1 with a random free port.
    pub async fn start() -> anyhow::Result<MockServer> {
        Self::start_on(0).await
    }

    /// Starts a server on 127.0.0.1:`port` (0 picks a free port).
    pub async fn start_on(port: u16) -> anyhow::Result<MockServer> {
        Self::listen(port, None).await
    }

    /// Starts a server that speaks HTTPS on 127.0.0.1 with a random free port. Its certificate
    /// is made now, signed by a CA of its own ([`MockServer::ca_pem`]); by default it is valid for
    /// `localhost` and the base URL is `https://localhost:PORT`.
    pub async fn start_tls(options: TlsOptions) -> anyhow::Result<MockServer> {
        let made = tls::make(&options)?;
        let mut server = Self::listen(0, Some(made.acceptor)).await?;
        server.ca_pem = Some(made.ca_pem);
        server.tls_host = Some(options.names.first().cloned().unwrap_or_else(|| "localhost".into()));
        Ok(server)
    }

    async fn listen(port: u16, tls: Option<tokio_rustls::TlsAcceptor>) -> anyhow::Result<MockServer> {
        let socket = TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
        let listener = socket.listen(4096)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let task = tokio::spawn(server::accept_loop(listener, shared.clone(), tls));
        Ok(MockServer { addr, shared, task, ca_pem: None, tls_host: None })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, or for TLS `https://localhost:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        match &self.tls_host {
            Some(host) => format!("https://{host}:{}", self.addr.port()),
            None => format!("http://{}", self.addr),
        }
    }

    /// With TLS, the PEM of the CA that signed the server's certificate (for the client to trust).
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// How many connections the server has accepted; with TLS, how many completed the handshake.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::SeqCst)
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

    /// Answers every chat request for `model` with `answer`, verbatim, from now on: for replaying
    /// bodies recorded from real servers. A scripted model takes precedence over the scenarios.
    pub fn script(&self, model: impl Into<String>, answer: Scripted) {
        lock(&self.shared.scripts).insert(model.into(), answer);
    }

    /// Lets one `mock/stream-gated` stream continue past its first delta. A release made
    /// before the stream reaches the gate is remembered (one permit, like `Notify::notify_one`).
    pub fn release_gate(&self) {
        self.shared.gate.notify_one();
    }

    /// How many event streams the server is still writing: one ends when its answer is complete
    /// or when the client has closed the connection.
    pub fn live_streams(&self) -> u64 {
        self.shared.live_streams.load(Ordering::SeqCst)
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
