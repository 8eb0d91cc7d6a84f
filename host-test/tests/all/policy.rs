//! The connect-time address policy: checked after name resolution (a name that resolves to a
//! refused address is refused), metadata addresses always refused unless allowed one by one.

use crate::support::{env, host, provider_error};
use litellm_host::{Config, ProviderError, Request, Tenant};
use std::net::{IpAddr, Ipv4Addr};

fn prohibited(e: &ProviderError) -> bool {
    matches!(e, ProviderError::Transport(f) if f.message.contains("prohibits") && f.attempts == 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_networks_are_refused_after_resolution_when_the_tenant_asks() {
    let env = env().await;
    // `localhost` is a name: the allowlist lets it through, the resolved 127.0.0.1 is refused.
    let url = format!("http://localhost:{}", env.mock.addr().port());
    let config = Config::for_url(&url).max_retries(2);
    let strict = Tenant::new("strict").allow_origin(&url).deny_private_networks(true);
    let e = provider_error(host().generate(&strict, config.clone(), Request::user("litellm:m", "x")).await);
    assert!(prohibited(&e), "{e:?}");
    assert!(env.mock.requests().is_empty(), "nothing reached the endpoint");

    let excepted = strict.clone().allow_address(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let answer = host().generate(&excepted, config.clone(), Request::user("litellm:m", "allowed")).await.unwrap();
    assert_eq!(answer.content, "You said: allowed");
    let open = Tenant::new("open").allow_origin(&url);
    assert!(host().generate(&open, config, Request::user("litellm:m", "x")).await.is_ok(), "off by default");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_addresses_are_refused_even_when_the_origin_is_allowed() {
    // Refused before any packet leaves: the connector checks the address first.
    let url = "http://169.254.169.254";
    let tenant = Tenant::new("metadata").allow_origin(url);
    let config = Config::for_url(url).max_retries(2);
    let e = provider_error(host().generate(&tenant, config, Request::user("litellm:m", "x")).await);
    assert!(prohibited(&e), "{e:?}");
}
