//! Each tenant's own keep-alive connection pool, so that a call does not pay for a new
//! connection every time while tenants never share one.
//!
//! The guest owns every timeout: the pool applies the ones the guest passes in the request's
//! options and restates none of its own.

use http_body_util::BodyExt;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

/// Idle connections are closed after this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// One tenant's pool of keep-alive connections; clones share it.
#[derive(Clone)]
pub(crate) struct Connections(Client<HttpConnector, WasiBody>);

impl Connections {
    pub(crate) fn new() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).pool_idle_timeout(IDLE_TIMEOUT).build(connector);
        Self(client)
    }

    /// Sends one request on a pooled (or new) connection and returns its head.
    pub(crate) async fn send(
        &self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> Result<http::Response<WasiBody>, Error> {
        // A pooled connection has no connect phase to time, so the first-byte timeout counts from
        // the moment the request is handed to the pool, a new connection's set-up included.
        let head_timeout = options.and_then(|o| o.first_byte_timeout);
        let response = self.0.request(request);
        let response = match head_timeout {
            Some(timeout) => match tokio::time::timeout(timeout, response).await {
                Ok(response) => response,
                Err(_) => return Err(Error::ConnectionReadTimeout),
            },
            // The guest enforces its own deadlines anyway.
            None => response.await,
        };
        let response = match response {
            Ok(response) => response,
            Err(e) if e.is_connect() => return Err(Error::ConnectionRefused),
            Err(e) => return Err(Error::InternalError(Some(e.to_string()))),
        };
        // The guest enforces its own between-bytes and total deadlines while it reads.
        Ok(response.map(|body| body.map_err(Error::from).boxed_unsync()))
    }
}
