//! The component's shape: its imports, its name and model rule, and config errors.

use crate::support::{env, host, provider_error};
use litellm_host::{Config, ProviderError, Tenant};

#[test]
fn imports_only_standard_wasi_0_2() {
    let imports = host().component_imports();
    assert!(imports.iter().any(|i| i.starts_with("wasi:http/outgoing-handler@0.2.")), "{imports:?}");
    for import in &imports {
        assert!(import.starts_with("wasi:") && import.contains("@0.2."), "non-standard import {import}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn name_and_supported_models() {
    let env = env().await;
    assert_eq!(host().provider_name(&env.tenant, env.config()).await.unwrap(), "litellm");
    for (model, supported) in
        [("litellm:gpt-4o", true), ("litellm:", true), ("gpt-4o", false), ("openai:gpt-4o", false)]
    {
        let got = host().supports_model(&env.tenant, env.config(), model).await.unwrap();
        assert_eq!(got, supported, "{model}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_config_is_an_invalid_request_at_open() {
    let tenant = Tenant::new("t");
    for base_url in ["ftp://example", "localhost:4000", "http://h?q=1"] {
        let config = Config { base_url: Some(base_url.into()), ..Config::default() };
        let e = provider_error(host().provider_name(&tenant, config).await);
        assert!(matches!(e, ProviderError::InvalidRequest(ref m) if m.contains("base URL")), "{base_url}: {e:?}");
    }
    let zero = Config { total_timeout_ms: Some(0), ..Config::default() };
    assert!(matches!(provider_error(host().provider_name(&tenant, zero).await), ProviderError::InvalidRequest(_)));
}
