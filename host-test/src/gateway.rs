//! Serving a `wasi:http/proxy` component (the composed gateway) over HTTP/1.1: each request in a
//! fresh instance with one tenant's policy (its environment, the origins it may reach, its memory
//! cap and deadline, its own connection pool), and `wasi:keyvalue` over one [`SharedStore`] that
//! every instance of this server shares — and, with a [`RedisStore`](crate::RedisStore), every
//! server on that database. `litellm-host serve-gateway` is this with a command line.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use litellm_host::{GatewayServer, MemoryStore, Tenant};
//! use std::sync::Arc;
//!
//! let tenant = Tenant::new("gateway")
//!     .allow_origin("http://127.0.0.1:4000")
//!     .env("LITELLM_BASE_URL", "http://127.0.0.1:4000")
//!     .env("LITELLM_GATEWAY_KEYS", "team-a=sk-client-a");
//! let server = GatewayServer::new("litellm-gateway.composed.wasm".as_ref(), tenant, Arc::new(MemoryStore::default()))?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! server.serve(listener).await
//! # }
//! ```

use crate::engine::{self, anyhow_of, deadline_ticks};
use crate::keyvalue::{self, KeyValue};
use crate::places::Tenants;
use crate::quota::{self, QuotaError};
use crate::state::TenantState;
use crate::store::SharedStore;
use crate::tenant::Tenant;
use crate::tls::TlsRoots;
use std::path::Path;
use std::sync::Arc;
use tokio::net::TcpListener;
use wasmtime::component::Linker;
use wasmtime::Store;
use wasmtime_wasi::{WasiCtxView, WasiView};
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{WasiHttpCtxView, WasiHttpView};

/// One request's store data: the tenant's WASI and HTTP contexts, and the shared store.
struct GatewayState {
    tenant: TenantState,
    store: Arc<dyn SharedStore>,
}

impl WasiView for GatewayState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        self.tenant.ctx()
    }
}

impl WasiHttpView for GatewayState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        self.tenant.http()
    }
}

fn keyvalue_view(state: &mut GatewayState) -> KeyValue<'_> {
    KeyValue { table: state.tenant.table(), store: &state.store }
}

/// The answer when the instance failed before it set one (a trap, the deadline, the memory
/// cap): a 500 in OpenAI's error shape, and the reason on the host's stderr.
fn failed(error: anyhow::Error) -> hyper::Response<HyperOutgoingBody> {
    use http_body_util::BodyExt;
    eprintln!("litellm-host: {error:#}");
    let body = r#"{"error":{"message":"the gateway failed before it answered","type":"server_error","param":null,"code":"gateway_failed"}}"#;
    let body = http_body_util::Full::new(bytes::Bytes::from_static(body.as_bytes())).map_err(|never| match never {});
    let mut response = hyper::Response::new(body.boxed_unsync());
    *response.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert("content-type", hyper::header::HeaderValue::from_static("application/json"));
    response
}

/// The answer when the tenant's quota refuses a request before the component runs: 429 with
/// `retry-after` in OpenAI's error shape (`type` `requests` or `insufficient_quota`, as the
/// gateway's own per-key limits answer), Anthropic's on `/v1/messages`; 503 when the store fails.
fn refused(error: &QuotaError, anthropic: bool) -> hyper::Response<HyperOutgoingBody> {
    use http_body_util::BodyExt;
    let (status, kind, code, anthropic_kind) = match error {
        QuotaError::RateLimited { .. } => (429, "requests", "rate_limit_exceeded", "rate_limit_error"),
        QuotaError::QuotaExceeded { .. } => (429, "insufficient_quota", "insufficient_quota", "rate_limit_error"),
        QuotaError::StoreUnavailable(_) => (503, "server_error", "store_unavailable", "overloaded_error"),
    };
    // The store's own words stay in the host's log: the client learns the kind only.
    let message = match error {
        QuotaError::StoreUnavailable(_) => {
            eprintln!("litellm-host: {error}");
            "the gateway's quota store is unavailable".to_owned()
        }
        QuotaError::RateLimited { .. } | QuotaError::QuotaExceeded { .. } => error.to_string(),
    };
    let body = if anthropic {
        serde_json::json!({"type": "error", "error": {"type": anthropic_kind, "message": message}})
    } else {
        serde_json::json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
    };
    let body = http_body_util::Full::new(bytes::Bytes::from(body.to_string())).map_err(|never| match never {});
    let mut response = hyper::Response::new(body.boxed_unsync());
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::TOO_MANY_REQUESTS);
    let headers = response.headers_mut();
    headers.insert("content-type", hyper::header::HeaderValue::from_static("application/json"));
    if let Some(wait) = error.retry_after() {
        let ms = wait.as_millis() as u64;
        headers.insert("retry-after-ms", ms.into());
        headers.insert("retry-after", ms.div_ceil(1000).into());
    }
    response
}

/// A `wasi:http/proxy` component served for one tenant, with a shared key-value store.
#[derive(Clone)]
pub struct GatewayServer {
    inner: Arc<Inner>,
}

struct Inner {
    pre: ProxyPre<GatewayState>,
    tenant: Tenant,
    tenants: Tenants,
    store: Arc<dyn SharedStore>,
    /// The roots every thread's pools trust.
    roots: rustls::RootCertStore,
}

/// A listening socket on `addr` that others may share (`SO_REUSEPORT`), non-blocking for tokio.
fn reusable(addr: std::net::SocketAddr) -> anyhow::Result<std::net::TcpListener> {
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(true)?;
    socket.bind(addr)?;
    let listener = socket.listen(1024)?.into_std()?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

impl GatewayServer {
    /// Compiles the component at `path` (it may import `wasi:keyvalue/store` and `atomics`
    /// besides `wasi:http/proxy`), for `tenant`'s policy and `store`.
    pub fn new(path: &Path, tenant: Tenant, store: Arc<dyn SharedStore>) -> anyhow::Result<Self> {
        let engine = engine::engine(None, false, false)?;
        let (component, _) = engine::load_component(&engine, path, None)?;
        let mut linker = Linker::<GatewayState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(anyhow_of)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(anyhow_of)?;
        keyvalue::add_to_linker(&mut linker, keyvalue_view).map_err(anyhow_of)?;
        let pre = ProxyPre::new(linker.instantiate_pre(&component).map_err(anyhow_of)?).map_err(anyhow_of)?;
        engine::spawn_epoch_ticker(&engine);
        let roots = TlsRoots::default().store()?;
        let tenants = Tenants::new(roots.clone());
        Ok(Self { inner: Arc::new(Inner { pre, tenant, tenants, store, roots }) })
    }

    /// Serves on `threads` threads, each with its own current-thread tokio runtime, its own
    /// listening socket on `addr` (`SO_REUSEPORT`: the kernel spreads connections among them) and
    /// its own connection pools, so that a request is accepted, run and answered on one thread,
    /// never handed between cores (BENCHMARKS.md, "Where the cost goes today"). The compiled
    /// component and the shared store are the threads' in common. Blocks until a thread fails;
    /// `on_bound` is told the address once every socket listens (port 0 picks one for all).
    pub fn serve_per_core(
        self,
        addr: std::net::SocketAddr,
        threads: usize,
        on_bound: impl FnOnce(std::net::SocketAddr),
    ) -> anyhow::Result<()> {
        let first = reusable(addr)?;
        let bound = first.local_addr()?;
        let mut sockets = vec![first];
        for _ in 1..threads.max(1) {
            sockets.push(reusable(bound)?);
        }
        on_bound(bound);
        let workers: Vec<_> = sockets
            .into_iter()
            .enumerate()
            .map(|(i, socket)| {
                let server = self.for_a_thread();
                std::thread::Builder::new().name(format!("litellm-gateway-{i}")).spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                    runtime.block_on(async move { server.serve(TcpListener::from_std(socket)?).await })
                })
            })
            .collect::<Result<_, _>>()?;
        for worker in workers {
            worker.join().map_err(|_| anyhow::anyhow!("a serving thread panicked"))??;
        }
        Ok(())
    }

    /// The same server with connection pools of its own (a thread's).
    fn for_a_thread(&self) -> Self {
        let inner = &self.inner;
        let tenants = Tenants::new(inner.roots.clone());
        let inner = Inner {
            pre: inner.pre.clone(),
            tenant: inner.tenant.clone(),
            tenants,
            store: inner.store.clone(),
            roots: inner.roots.clone(),
        };
        Self { inner: Arc::new(inner) }
    }

    /// Accepts connections on `listener` and serves every request, until the listener fails.
    pub async fn serve(self, listener: TcpListener) -> anyhow::Result<()> {
        loop {
            let (socket, _) = listener.accept().await?;
            let server = self.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let server = server.clone();
                    async move { Ok::<_, std::convert::Infallible>(server.handle(request).await.unwrap_or_else(failed)) }
                });
                // A client that breaks its connection ends only its own requests.
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(socket), service)
                    .await;
            });
        }
    }

    /// One request in a fresh instance, under the tenant's memory cap and whole-call deadline,
    /// once the tenant's quota admits it (counted in the server's store, bucket
    /// [`crate::QUOTA_BUCKET`]; a request counts as one call, held until its answer has been
    /// sent; tokens are the gateway's to count, with its per-key limits).
    async fn handle(
        &self,
        request: hyper::Request<hyper::body::Incoming>,
    ) -> anyhow::Result<hyper::Response<HyperOutgoingBody>> {
        let inner = &self.inner;
        let ticket = match quota::admit(&inner.store, inner.tenant.name(), &inner.tenant.quota).await {
            Ok(ticket) => ticket,
            Err(error) => {
                let path = request.uri().path();
                let anthropic = path.trim_start_matches("/v1").starts_with("/messages");
                return Ok(refused(&error, anthropic));
            }
        };
        let connections = inner.tenants.connections(&inner.tenant);
        let state = GatewayState {
            tenant: TenantState::logging_to_stderr(&inner.tenant, connections),
            store: inner.store.clone(),
        };
        let mut store = Store::new(inner.pre.engine(), state);
        store.limiter(|state| &mut state.tenant.limits);
        store.set_epoch_deadline(deadline_ticks(inner.tenant.max_call_duration));
        store.epoch_deadline_trap();
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let request = store.data_mut().http().new_incoming_request(Scheme::Http, request).map_err(anyhow_of)?;
        let out = store.data_mut().http().new_response_outparam(sender).map_err(anyhow_of)?;
        let pre = inner.pre.clone();
        // The request runs in its own task: a streamed answer goes on after its head is sent.
        let task = tokio::spawn(async move {
            let proxy = pre.instantiate_async(&mut store).await?;
            let handled = proxy.wasi_http_incoming_handler().call_handle(&mut store, request, out).await;
            if let Some(ticket) = ticket {
                ticket.settle(0).await;
            }
            handled
        });
        match receiver.await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(code)) => Err(anyhow::anyhow!("the gateway answered with an error code: {code:?}")),
            Err(_) => {
                let why = match task.await {
                    Ok(Ok(())) => "it returned without".to_owned(),
                    Ok(Err(e)) => format!("{e}"),
                    Err(e) => format!("{e}"),
                };
                Err(anyhow::anyhow!("the gateway set no response: {why}"))
            }
        }
    }
}
