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

/// With `LITELLM_WASM_OPT` at build time the host loads `litellm_provider.opt.wasm`, and cargo's
/// own output beside it must be the bigger one; without it, cargo's output itself.
#[test]
fn the_component_is_the_one_the_build_describes() {
    let loaded = std::path::Path::new(litellm_host::COMPONENT_PATH);
    let size = |p: &std::path::Path| std::fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).len();
    if litellm_host::COMPONENT_BUILD.contains("wasm-opt") {
        assert!(loaded.ends_with("litellm_provider.opt.wasm"), "{}", loaded.display());
        let as_built = loaded.with_file_name("litellm_provider.wasm");
        assert!(size(loaded) < size(&as_built), "wasm-opt made {} no smaller", loaded.display());
    } else {
        assert!(loaded.ends_with("litellm_provider.wasm"), "{}", loaded.display());
        assert!(litellm_host::COMPONENT_BUILD.contains("as cargo built it"), "{}", litellm_host::COMPONENT_BUILD);
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
        let config = Config::default().base_url(base_url);
        let e = provider_error(host().provider_name(&tenant, config).await);
        assert!(matches!(e, ProviderError::InvalidRequest(ref m) if m.contains("base URL")), "{base_url}: {e:?}");
    }
    let zero = Config::default().total_timeout_ms(0);
    assert!(matches!(provider_error(host().provider_name(&tenant, zero).await), ProviderError::InvalidRequest(_)));
}
