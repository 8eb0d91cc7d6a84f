//! The hosts the bench's component variants run on: their options, the component they load and
//! the metered variant's quota. Callers ([`crate::caller`]) and variants ([`crate::variant`]) both
//! take them from here.

use litellm_host::{HostOptions, PoolingOptions};

/// A pooling host sized for the measurements (live streams and concurrent callers).
/// `BENCH_KEEP_RESIDENT` (bytes) overrides the slots' resident memory, to compare settings.
pub fn pooling_options() -> HostOptions {
    let mut pooling = PoolingOptions::default();
    if let Some(bytes) = std::env::var("BENCH_KEEP_RESIDENT").ok().and_then(|b| b.parse().ok()) {
        pooling.keep_resident_bytes = bytes;
    }
    default_options().pooling(pooling)
}

/// A pooling host of the WASI 0.3 component (`litellm_host::COMPONENT_P3_PATH`).
pub fn p3_options() -> HostOptions {
    let mut options = pooling_options().world(litellm_host::World::P3);
    options.component_path = Some(litellm_host::COMPONENT_P3_PATH.into());
    options
}

/// A pooling host that meters: GenAI metrics on an OpenTelemetry SDK meter whose reader is only
/// read on demand (what a platform's collector pulls or its exporter sends every few seconds is
/// not part of a call), and its tenants' quotas on the default in-process store.
pub fn metered_options() -> HostOptions {
    use opentelemetry::metrics::MeterProvider as _;
    static PROVIDER: std::sync::OnceLock<opentelemetry_sdk::metrics::SdkMeterProvider> = std::sync::OnceLock::new();
    let provider = PROVIDER.get_or_init(|| {
        let reader = opentelemetry_sdk::metrics::ManualReader::builder().build();
        opentelemetry_sdk::metrics::SdkMeterProvider::builder().with_reader(reader).build()
    });
    pooling_options().meter(provider.meter("litellm-bench"))
}

/// The metered variant's quota: every limit on, none ever reached.
pub fn bench_quota() -> litellm_host::Quota {
    litellm_host::Quota::unlimited()
        .calls_per_minute(1 << 40)
        .tokens_per_minute(1 << 50)
        .concurrent_calls(1 << 20)
        .token_budget(1 << 60)
}

/// An on-demand host: wasmtime's default allocator.
pub fn default_options() -> HostOptions {
    HostOptions::default().component_path(component_file().0)
}

/// The component every component variant loads, and how it was made: the host's own
/// ([`litellm_host::COMPONENT_PATH`]) unless `BENCH_COMPONENT` names another file, so that two
/// builds of the component can be measured by one bench binary, one run after the other.
pub fn component_file() -> (String, String) {
    match std::env::var("BENCH_COMPONENT") {
        Ok(path) if !path.is_empty() => (path, "the file `BENCH_COMPONENT` names".to_owned()),
        _ => (
            litellm_host::COMPONENT_PATH.to_owned(),
            format!("as `artifacts/build.rs` made it: {}", litellm_host::COMPONENT_BUILD),
        ),
    }
}
