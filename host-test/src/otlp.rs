//! The host's GenAI metrics exported over OTLP/HTTP (feature `otlp`): for a platform that has no
//! OpenTelemetry set-up of its own. A platform that has one passes its own meter to
//! [`crate::HostOptions::meter`] instead.

use opentelemetry::metrics::MeterProvider as _;
use opentelemetry_otlp::{MetricExporter, Protocol, WithExportConfig};
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::Resource;
use std::time::Duration;

/// The instrumentation scope the host's metrics carry.
pub const SCOPE: &str = "litellm-host";

/// A meter provider that sends every metric to `endpoint` (the full URL, as
/// `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` holds it: `http://collector:4318/v1/metrics`) as OTLP
/// protobuf over HTTP every `interval`, with `service.name` = `service`. Cumulative temporality,
/// the OTLP default. Call [`SdkMeterProvider::shutdown`] (or `force_flush`) before the process
/// ends, so that the last interval is sent.
pub fn meter_provider(endpoint: &str, interval: Duration, service: &str) -> anyhow::Result<SdkMeterProvider> {
    // The exporter's reqwest client may be built with rustls (cargo unifies reqwest's features
    // across a build) and then needs a process-wide crypto provider: ring, the host's own, unless
    // the program installed one. The host's own TLS connections name their provider themselves.
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    let exporter = MetricExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(endpoint)
        .with_timeout(Duration::from_secs(10))
        .build()?;
    let reader = PeriodicReader::builder(exporter).with_interval(interval).build();
    let resource = Resource::builder().with_service_name(service.to_string()).build();
    Ok(SdkMeterProvider::builder().with_reader(reader).with_resource(resource).build())
}

/// The meter the host records on, from `provider`.
pub fn meter(provider: &SdkMeterProvider) -> opentelemetry::metrics::Meter {
    provider.meter(SCOPE)
}
