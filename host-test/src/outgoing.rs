//! The outgoing-request hook of a tenant's store: the tenant's allowlist, then the tenant's own
//! connection pool.

use crate::origin::origin_of_uri;
use crate::tenant::Tenant;
use crate::transport::Connections;
use std::future::Future;
use std::sync::Arc;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

/// The hook a tenant's store uses for every outgoing request.
pub(crate) struct TenantHooks {
    allowed_origins: Arc<[String]>,
    connections: Connections,
}

impl TenantHooks {
    pub(crate) fn new(tenant: &Tenant, connections: Connections) -> Self {
        Self { allowed_origins: tenant.allowed_origins.clone(), connections }
    }
}

type IoFuture = Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>;
type ResponseFuture = Box<dyn Future<Output = wasmtime_wasi_http::Result<(http::Response<WasiBody>, IoFuture)>> + Send>;

impl WasiHttpHooks for TenantHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: IoFuture,
    ) -> ResponseFuture {
        let allowed = origin_of_uri(request.uri()).is_some_and(|o| self.allowed_origins.contains(&o));
        let connections = self.connections.clone();
        Box::new(async move {
            if !allowed {
                return Err(Error::HttpRequestDenied);
            }
            // The pool drives the connection itself: nothing is left for the store to await.
            let done: IoFuture = Box::new(async { Ok(()) });
            Ok((connections.send(request, options).await?, done))
        })
    }
}
