//! The accept loop and one HTTP/1.1 connection, over plain TCP or TLS.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use http::Request;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::body::{bad_request, Resp};
use super::routes;
use super::state::{lock, RecordedRequest, Shared};

/// Accepts connections, each served in its own task. The tasks live in a `JoinSet` owned
/// by this loop, so aborting the loop also aborts every connection.
pub(crate) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, tls: Option<TlsAcceptor>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(accept(stream, peer, shared.clone(), tls.clone()));
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

/// Completes the TLS handshake when the server speaks TLS, then serves the connection. Each
/// connection that gets this far is counted.
async fn accept(stream: TcpStream, peer: SocketAddr, shared: Arc<Shared>, tls: Option<TlsAcceptor>) {
    let _ = stream.set_nodelay(true);
    let Some(tls) = tls else {
        shared.connections.fetch_add(1, Ordering::SeqCst);
        return serve_connection(stream, peer, shared).await;
    };
    match tls.accept(stream).await {
        Ok(stream) => {
            shared.connections.fetch_add(1, Ordering::SeqCst);
            serve_connection(stream, peer, shared).await
        }
        Err(error) => tracing::debug!(%error, "mock TLS handshake failed"),
    }
}

/// Serves HTTP/1.1 (with keep-alive) on one connection.
async fn serve_connection<S>(stream: S, peer: SocketAddr, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
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
