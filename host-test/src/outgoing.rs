//! The outgoing-request hook: the tenant's allowlist, then a keep-alive connection pool of the
//! tenant's own (plain HTTP), so that a call does not pay for a new TCP connection every time
//! while tenants never share one. HTTPS goes through wasmtime's default sender.

use crate::tenant::origin_of_uri;
use http_body_util::BodyExt;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

/// Idle connections are closed after this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Waits the guest gives none of (it always gives both).
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(600);

/// One tenant's pool of keep-alive connections; clones share it.
#[derive(Clone)]
pub(crate) struct Connections(Client<HttpConnector, WasiBody>);

impl Connections {
    pub(crate) fn new() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(DEFAULT_CONNECT_TIMEOUT));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).pool_idle_timeout(IDLE_TIMEOUT).build(connector);
        Self(client)
    }

    async fn send(
        &self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> Result<http::Response<WasiBody>, Error> {
        // A pooled connection has no connect phase to time, so the first-byte timeout counts from
        // the moment the request is handed to the pool (a new connection's set-up included).
        let first_byte = options.and_then(|o| o.first_byte_timeout).unwrap_or(DEFAULT_FIRST_BYTE_TIMEOUT);
        let response = match tokio::time::timeout(first_byte, self.0.request(request)).await {
            Err(_) => return Err(Error::ConnectionReadTimeout),
            Ok(Err(e)) if e.is_connect() => return Err(Error::ConnectionRefused),
            Ok(Err(e)) => return Err(Error::InternalError(Some(e.to_string()))),
            Ok(Ok(response)) => response,
        };
        // The guest enforces its own between-bytes and total deadlines while it reads.
        Ok(response.map(|body| body.map_err(Error::from).boxed_unsync()))
    }
}

/// The hook a tenant's store uses for every outgoing request.
pub(crate) struct TenantHooks {
    pub(crate) allowed_origins: Arc<[String]>,
    pub(crate) connections: Connections,
}

type ResponseFuture = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<WasiBody>,
                Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

impl WasiHttpHooks for TenantHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> ResponseFuture {
        let allowed = origin_of_uri(request.uri()).is_some_and(|o| self.allowed_origins.contains(&o));
        let plain = request.uri().scheme() == Some(&http::uri::Scheme::HTTP);
        let connections = self.connections.clone();
        Box::new(async move {
            if !allowed {
                return Err(Error::HttpRequestDenied);
            }
            let done: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send> = Box::new(async { Ok(()) });
            if plain {
                return Ok((connections.send(request, options).await?, done));
            }
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((response.map(BodyExt::boxed_unsync), Box::new(io) as Box<dyn Future<Output = _> + Send>))
        })
    }
}
