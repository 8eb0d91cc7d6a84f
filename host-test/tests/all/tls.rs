//! HTTPS through each tenant's own keep-alive pool: trusted and untrusted certificates, keep-alive,
//! no shared connections, a server that never speaks TLS, a stream over TLS.

use crate::support::{collect_for, host, provider_error, text};
use litellm_host::{CaBundle, Config, Host, HostOptions, ProviderError, Request, Tenant, TlsRoots};
use litellm_mock::{MockServer, TlsOptions};
use std::time::{Duration, Instant};

const KEY: &str = "sk-tls-secret-key";

async fn tls_mock(options: TlsOptions) -> (MockServer, CaBundle) {
    let mock = MockServer::start_tls(options).await.expect("the TLS mock starts");
    let ca = CaBundle::from_pem(mock.ca_pem().expect("a TLS mock has a CA").as_bytes()).expect("the CA parses");
    (mock, ca)
}

fn config(base_url: &str) -> Config {
    Config::for_url(base_url).api_key(KEY).max_retries(2)
}

/// The transport failure of a call that could not get a trusted connection.
fn certificate_failure(result: Result<litellm_host::Response, litellm_host::CallError>) -> String {
    match provider_error(result) {
        ProviderError::Transport(f) => {
            assert_eq!(f.attempts, 1, "a certificate failure is not retried: {f:?}");
            assert!(!f.message.contains(KEY));
            f.message
        }
        other => panic!("expected a transport failure, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_over_tls_with_the_tenants_ca() {
    let (mock, ca) = tls_mock(TlsOptions::default()).await;
    assert!(mock.base_url().starts_with("https://localhost:"));
    let tenant = Tenant::new("tls").allow_origin(&mock.base_url()).trust(&ca);
    let answer =
        host().generate(&tenant, config(&mock.base_url()), Request::user("litellm:gpt-4o", "Hi")).await.unwrap();
    assert_eq!(answer.content, "You said: Hi");
    assert_eq!(mock.requests()[0].header("authorization"), Some(format!("Bearer {KEY}").as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_tenants_sequential_calls_share_one_tls_connection() {
    let (mock, ca) = tls_mock(TlsOptions::default()).await;
    let tenant = Tenant::new("keep-alive").allow_origin(&mock.base_url()).trust(&ca);
    for i in 0..100 {
        let request = Request::user("litellm:gpt-4o", format!("call {i}"));
        let answer = host().generate(&tenant, config(&mock.base_url()), request).await.unwrap();
        assert_eq!(answer.content, format!("You said: call {i}"));
    }
    assert_eq!(mock.connections(), 1, "100 sequential calls of one tenant open one TLS connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_never_share_a_tls_connection() {
    let (mock, ca) = tls_mock(TlsOptions::default()).await;
    let a = Tenant::new("a").allow_origin(&mock.base_url()).trust(&ca);
    let b = Tenant::new("b").allow_origin(&mock.base_url()).trust(&ca);
    for i in 0..10 {
        let tenant = if i % 2 == 0 { &a } else { &b };
        let request = Request::user(format!("litellm:tenant-{}", tenant.name()), "x");
        host().generate(tenant, config(&mock.base_url()), request).await.unwrap();
    }
    assert_eq!(mock.connections(), 2, "one connection per tenant");
    let peers = |model: &str| mock.requests_for(model).iter().map(|r| r.peer).collect::<std::collections::HashSet<_>>();
    let (peers_a, peers_b) = (peers("tenant-a"), peers("tenant-b"));
    assert_eq!((peers_a.len(), peers_b.len()), (1, 1));
    assert!(peers_a.is_disjoint(&peers_b));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_ca_is_a_certificate_error_not_retried() {
    let (mock, _ca) = tls_mock(TlsOptions::default()).await;
    let tenant = Tenant::new("untrusting").allow_origin(&mock.base_url());
    let message =
        certificate_failure(host().generate(&tenant, config(&mock.base_url()), Request::user("litellm:m", "x")).await);
    assert!(message.contains("certificate") && message.contains("unknown issuer"), "{message}");
    assert!(mock.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_host_name_and_an_expired_certificate_say_so() {
    let (mock, ca) = tls_mock(TlsOptions::default()).await;
    let by_ip = format!("https://127.0.0.1:{}", mock.addr().port()); // the certificate names localhost only
    let tenant = Tenant::new("by-ip").allow_origin(&by_ip).trust(&ca);
    let message = certificate_failure(host().generate(&tenant, config(&by_ip), Request::user("litellm:m", "x")).await);
    assert!(message.contains("certificate") && message.contains("name mismatch"), "{message}");

    let (expired, ca) = tls_mock(TlsOptions { expired: true, ..TlsOptions::default() }).await;
    let tenant = Tenant::new("expired").allow_origin(&expired.base_url()).trust(&ca);
    let message = certificate_failure(
        host().generate(&tenant, config(&expired.base_url()), Request::user("litellm:m", "x")).await,
    );
    assert!(message.contains("certificate") && message.contains("expired"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_speaks_tls_meets_the_connect_timeout() {
    // Accepts TCP connections and never answers the handshake.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let url = format!("https://127.0.0.1:{port}");
    let tenant = Tenant::new("silent").allow_origin(&url);
    let config = Config::for_url(&url).connect_timeout_ms(300).max_retries(0);
    let started = Instant::now();
    let e = provider_error(host().generate(&tenant, config, Request::user("litellm:m", "x")).await);
    let elapsed = started.elapsed();
    assert!(matches!(e, ProviderError::Timeout(ref f) if f.message.contains("connection-timeout")), "{e:?}");
    assert!(elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(3), "{elapsed:?}");
    held.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_over_tls() {
    let (mock, ca) = tls_mock(TlsOptions::default()).await;
    let tenant = Tenant::new("tls-stream").allow_origin(&mock.base_url()).trust(&ca);
    let (events, error) = collect_for(&tenant, config(&mock.base_url()), "litellm:gpt-4o").await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(text(&events), "You said: Hello there");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hosts_roots_serve_every_tenant() {
    let (mock, ca) = tls_mock(TlsOptions::default()).await;
    let host = Host::with_options(HostOptions::default().tls(TlsRoots::default().with(&ca))).unwrap();
    let tenant = Tenant::new("no-own-ca").allow_origin(&mock.base_url());
    let answer = host.generate(&tenant, config(&mock.base_url()), Request::user("litellm:m", "host CA")).await.unwrap();
    assert_eq!(answer.content, "You said: host CA");
}

#[test]
fn a_pem_without_certificates_is_refused() {
    assert!(CaBundle::from_pem(b"not a certificate").is_err());
    assert!(CaBundle::from_pem_file("/nonexistent/ca.pem").is_err());
}
