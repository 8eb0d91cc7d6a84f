//! Each tenant's own keep-alive connection pool, for `http` and `https` (rustls, HTTP/1.1), so
//! that a call does not pay for a new connection (and TLS handshake) every time while tenants
//! never share one.
//!
//! The guest owns every timeout: the pool applies the ones the guest passes in the request's
//! options and restates none of its own. The connect timeout covers the TCP connection and the
//! TLS handshake; the first-byte timeout counts from the moment the request is handed to the
//! pool. The connector checks every address against the tenant's [`AddressPolicy`].

use crate::address::{AddressDenied, AddressPolicy};
use crate::tls::certificate_problem;
use http_body_util::BodyExt;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder, MaybeHttpsStream};
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::ClientConfig;
use std::error::Error as StdError;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpStream;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

include!("../../client/src/host_errors.rs");

/// The most name lookups of one tenant's pool in flight at once. The system resolver
/// (`getaddrinfo`) blocks a thread of tokio's blocking pool until it answers, which a dropped
/// future does not stop: a name whose server never answers would otherwise tie up a thread per
/// call until the resolver's own timeout (tens of seconds). Lookups past this wait (within the
/// request's connect timeout), and a tenant's stuck lookups hold at most this many threads.
pub(crate) const LOOKUPS_PER_TENANT: usize = 4;

/// A blocking name lookup: the system resolver, or a test's.
type Lookup = fn(&str) -> std::io::Result<Vec<SocketAddr>>;

fn system_lookup(name: &str) -> std::io::Result<Vec<SocketAddr>> {
    use std::net::ToSocketAddrs;
    Ok((name, 0).to_socket_addrs()?.collect())
}

/// Idle connections are closed after this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

type BoxError = Box<dyn StdError + Send + Sync>;
type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send>>;

tokio::task_local! {
    /// The connect timeout of the request being sent: hyper's pool calls the connector with the
    /// URI alone, so the request's own timeout travels beside it.
    static CONNECT_TIMEOUT: Option<Duration>;
}

/// One tenant's pool of keep-alive connections; clones share it.
#[derive(Clone)]
pub(crate) struct Connections(Client<Connector, WasiBody>);

impl Connections {
    pub(crate) fn new(tls: Arc<ClientConfig>, policy: AddressPolicy, pinned: Arc<[(String, IpAddr)]>) -> Self {
        let policy = Arc::new(policy);
        let mut http = HttpConnector::new_with_resolver(Resolver::new(policy.clone(), pinned, system_lookup));
        http.set_nodelay(true);
        http.enforce_http(false);
        let https = HttpsConnectorBuilder::new()
            .with_tls_config((*tls).clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client =
            // The timer makes the pool close idle connections when they expire, not at the next use.
            Client::builder(TokioExecutor::new())
                .pool_timer(hyper_util::rt::TokioTimer::new())
                .pool_idle_timeout(IDLE_TIMEOUT)
                .build(Connector { https, policy });
        Self(client)
    }

    /// Sends one request on a pooled (or new) connection and returns its head.
    pub(crate) async fn send(
        &self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> Result<http::Response<WasiBody>, Error> {
        let connect_timeout = options.as_ref().and_then(|o| o.connect_timeout);
        let first_byte = options.and_then(|o| o.first_byte_timeout);
        let sending = CONNECT_TIMEOUT.scope(connect_timeout, self.0.request(request));
        let response = match first_byte {
            Some(timeout) => match tokio::time::timeout(timeout, sending).await {
                Ok(response) => response,
                Err(_) => return Err(Error::ConnectionReadTimeout),
            },
            // The guest enforces its own deadlines anyway.
            None => sending.await,
        };
        let mut response = response.map_err(|e| error_code(&e))?;
        // Both framings (which HTTP forbids): the encoding is the body's (RFC 9112 §6.3, which
        // hyper follows), and the length, which the guest would take for the body's end, goes,
        // as the RFC asks of a recipient that passes the message on.
        if response.headers().contains_key(http::header::TRANSFER_ENCODING) {
            response.headers_mut().remove(http::header::CONTENT_LENGTH);
        }
        // The guest enforces its own between-bytes and total deadlines while it reads.
        Ok(response.map(|body| body.map_err(Error::from).boxed_unsync()))
    }
}

/// The wasi-http error code for a failed exchange, from the first cause that names one.
fn error_code(error: &hyper_util::client::legacy::Error) -> Error {
    let mut cause: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(current) = cause {
        // An `io::Error` hides the error it wraps from `source()`, and may wrap another.
        let mut wrapped = Some(current);
        while let Some(layer) = wrapped {
            if let Some(code) = code_of(layer) {
                return code;
            }
            wrapped = layer.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()).map(|e| e as _);
        }
        cause = current.source();
    }
    if error.is_connect() {
        Error::ConnectionRefused
    } else {
        Error::InternalError(Some(error.to_string()))
    }
}

fn code_of(error: &(dyn StdError + 'static)) -> Option<Error> {
    if error.is::<AddressDenied>() {
        return Some(Error::DestinationIpProhibited);
    }
    if error.is::<ConnectTimeout>() {
        return Some(Error::ConnectionTimeout);
    }
    if let Some(tls) = error.downcast_ref::<rustls::Error>() {
        return Some(match tls {
            // The code itself has no room for the reason; the message carries it.
            rustls::Error::InvalidCertificate(problem) => {
                Error::InternalError(Some(format!("{TLS_CERTIFICATE_ERROR}: {}", certificate_problem(problem))))
            }
            rustls::Error::AlertReceived(alert) => {
                Error::TlsAlertReceived { alert_id: Some(u8::from(*alert)), alert_message: Some(format!("{alert:?}")) }
            }
            _ => Error::TlsProtocolError,
        });
    }
    match error.downcast_ref::<std::io::Error>()?.kind() {
        std::io::ErrorKind::ConnectionRefused => Some(Error::ConnectionRefused),
        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted => {
            Some(Error::ConnectionTerminated)
        }
        _ => None,
    }
}

/// The connect phase ran past the request's connect timeout.
#[derive(Debug)]
struct ConnectTimeout;

impl std::fmt::Display for ConnectTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connect timeout (TCP and TLS handshake)")
    }
}

impl StdError for ConnectTimeout {}

/// rustls over TCP, with the tenant's address policy for IP literals and the request's connect
/// timeout around the whole set-up.
#[derive(Clone)]
pub(crate) struct Connector {
    https: HttpsConnector<HttpConnector<Resolver>>,
    policy: Arc<AddressPolicy>,
}

impl tower_service::Service<http::Uri> for Connector {
    type Response = MaybeHttpsStream<TokioIo<TcpStream>>;
    type Error = BoxError;
    type Future = BoxFuture<Self::Response>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.https.poll_ready(cx)
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        // Names go through the resolver below; an IP literal never does.
        let literal = uri.host().and_then(|h| h.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok());
        if let Some(denied) = literal.and_then(|ip| self.policy.check(ip).err()) {
            return Box::pin(async move { Err(Box::new(denied) as BoxError) });
        }
        // Read now, while the request's task-local is in scope (the pool may finish the
        // connection in a task of its own).
        let timeout = CONNECT_TIMEOUT.try_with(|t| *t).ok().flatten();
        let connecting = self.https.call(uri);
        Box::pin(async move {
            match timeout {
                Some(timeout) => {
                    // Boxed as the error itself: `?` on a `Box<ConnectTimeout>` would box the box.
                    tokio::time::timeout(timeout, connecting).await.map_err(|_| Box::new(ConnectTimeout) as BoxError)?
                }
                None => connecting.await,
            }
        })
    }
}

/// The tenant's pinned names, else the system resolver, keeping only the addresses the tenant's
/// policy allows.
#[derive(Clone)]
pub(crate) struct Resolver {
    policy: Arc<AddressPolicy>,
    pinned: Arc<[(String, IpAddr)]>,
    /// [`LOOKUPS_PER_TENANT`] permits, each held by a lookup's blocking thread until it returns.
    lookups: Arc<tokio::sync::Semaphore>,
    lookup: Lookup,
}

impl Resolver {
    fn new(policy: Arc<AddressPolicy>, pinned: Arc<[(String, IpAddr)]>, lookup: Lookup) -> Self {
        let lookups = Arc::new(tokio::sync::Semaphore::new(LOOKUPS_PER_TENANT));
        Self { policy, pinned, lookups, lookup }
    }
}

impl tower_service::Service<Name> for Resolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = BoxError;
    type Future = BoxFuture<Self::Response>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let policy = self.policy.clone();
        let pinned: Vec<SocketAddr> = self
            .pinned
            .iter()
            .filter(|(pinned, _)| pinned.eq_ignore_ascii_case(name.as_str()))
            .map(|(_, ip)| SocketAddr::new(*ip, 0))
            .collect();
        let (lookups, lookup) = (self.lookups.clone(), self.lookup);
        Box::pin(async move {
            let found: Vec<SocketAddr> = if pinned.is_empty() {
                let permit = lookups.acquire_owned().await?;
                // The permit goes with the blocking thread: it is free again when the lookup
                // returns, not when a timeout drops this future.
                tokio::task::spawn_blocking(move || {
                    let _permit = permit;
                    lookup(name.as_str())
                })
                .await??
            } else {
                pinned
            };
            let mut denied = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| match policy.check(addr.ip()) {
                    Ok(()) => true,
                    Err(e) => {
                        denied.get_or_insert(e);
                        false
                    }
                })
                .collect();
            match (allowed.is_empty(), denied) {
                (true, Some(denied)) => Err(Box::new(denied) as BoxError),
                _ => Ok(allowed.into_iter()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tower_service::Service;

    static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
    static MOST: AtomicUsize = AtomicUsize::new(0);

    /// A resolver that never answers (for a second and a half, which the test waits out).
    fn stuck(_: &str) -> std::io::Result<Vec<SocketAddr>> {
        let now = IN_FLIGHT.fetch_add(1, Ordering::SeqCst) + 1;
        MOST.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(1500));
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
        Err(std::io::Error::other("no answer"))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lookups_that_never_answer_hold_at_most_a_few_threads_of_a_tenant() {
        let resolver = Resolver::new(Arc::new(AddressPolicy::default()), Arc::from(Vec::new()), stuck);
        // Twenty calls, each given up after 100 ms as a connect timeout would.
        let calls: Vec<_> = (0..20)
            .map(|_| {
                let mut resolver = resolver.clone();
                let name: Name = "never.example".parse().unwrap();
                tokio::spawn(async move { tokio::time::timeout(Duration::from_millis(100), resolver.call(name)).await })
            })
            .collect();
        for call in calls {
            assert!(call.await.unwrap().is_err(), "given up at the timeout");
        }
        // The abandoned lookups' threads are still in getaddrinfo: at most the bound of them.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(MOST.load(Ordering::SeqCst), LOOKUPS_PER_TENANT);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(IN_FLIGHT.load(Ordering::SeqCst), 0);
        // Once they returned, a lookup runs again.
        let mut resolver = resolver.clone();
        let answer = resolver.call("again.example".parse().unwrap()).await;
        assert!(answer.is_err(), "the stuck resolver answers with its error");
    }
}
