//! The ways a call is made, and what each is measured against.

use litellm_host::HostOptions;

use crate::options::{default_options, metered_options, p3_options, pooling_options};

/// The ways a call is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The component, fresh instance per call, wasmtime's on-demand allocator.
    Default,
    /// The component, fresh instance per call, wasmtime's pooling allocator.
    Pooling,
    /// The component, a tenant's warm client (pooling): its instance kept between calls.
    Warm,
    /// reqwest in the host process, client reused.
    Native,
    /// `Pooling` over HTTPS (the TLS mock, its CA trusted by the tenant).
    HttpsPooling,
    /// `Warm` over HTTPS.
    HttpsWarm,
    /// The WASI HTTP floor (`litellm-bench-floor`), warm on a pooling host: the provider's
    /// `wasi:http` calls with a fixed request (the provider's own for a 1 KiB answer), the answer
    /// read and dropped unparsed. Only in the decomposition.
    Floor,
    /// `Native` over HTTPS: reqwest with rustls (ring, HTTP/1.1), the same CA.
    HttpsNative,
    /// The seed crate itself, `devsper_providers::LiteLlmProvider` 0.2.0, through devsper's trait
    /// (in a child process: see [`crate::seed`]).
    Seed,
    /// `litellm_devsper::WasmLiteLlmProvider` through devsper's trait (fresh instance per call).
    DevsperWasm,
    /// Warm clients on a thread per core: the callers split over the cores' threads, each thread
    /// its own current-thread runtime and `Host::for_this_thread` (pooling). Only in the
    /// throughput rows.
    PerCore,
    /// `Warm` metered: its tenant under a quota with all four limits (never reached) on the
    /// host's in-process store, and GenAI metrics recorded on an OpenTelemetry SDK meter.
    Metered,
    /// `Pooling` with the WASI 0.3 component (`World::P3`): async exports over `wasi:http@0.3.0`.
    P3Pooling,
    /// `Warm` with the WASI 0.3 component.
    P3Warm,
}

impl Variant {
    /// Every variant, in the order of the report's rows.
    pub const ALL: [Variant; 10] = [
        Variant::Default,
        Variant::Pooling,
        Variant::Warm,
        Variant::P3Pooling,
        Variant::P3Warm,
        Variant::Metered,
        Variant::Native,
        Variant::HttpsPooling,
        Variant::HttpsWarm,
        Variant::HttpsNative,
    ];

    /// The row label.
    pub fn label(self) -> &'static str {
        match self {
            Variant::Default => "component, default allocator",
            Variant::Pooling => "component, pooling",
            Variant::Warm => "component, warm client (pooling)",
            Variant::Floor => "WASI HTTP floor: the provider's wasi:http calls, no JSON (warm, pooling)",
            Variant::Native => "native reqwest (keep-alive)",
            Variant::HttpsPooling => "HTTPS: component, pooling",
            Variant::HttpsWarm => "HTTPS: component, warm client",
            Variant::HttpsNative => "HTTPS: native reqwest + rustls (keep-alive)",
            Variant::Seed => "seed crate devsper-providers 0.2.0 (reqwest, native-tls)",
            Variant::DevsperWasm => "litellm-devsper WasmLiteLlmProvider (devsper trait)",
            Variant::Metered => "component, warm client, metered: quota + GenAI metrics",
            Variant::PerCore => "component, warm clients, a thread per core (pooling)",
            Variant::P3Pooling => "WASI 0.3 component, pooling",
            Variant::P3Warm => "WASI 0.3 component, warm client (pooling)",
        }
    }

    /// The command-line name (for the memory probe's child process).
    pub fn name(self) -> &'static str {
        match self {
            Variant::Default => "default",
            Variant::Pooling => "pooling",
            Variant::Warm => "warm",
            Variant::Floor => "floor",
            Variant::Native => "native",
            Variant::HttpsPooling => "https-pooling",
            Variant::HttpsWarm => "https-warm",
            Variant::HttpsNative => "https-native",
            Variant::Seed => "seed",
            Variant::DevsperWasm => "devsper-wasm",
            Variant::Metered => "metered",
            Variant::PerCore => "per-core",
            Variant::P3Pooling => "p3-pooling",
            Variant::P3Warm => "p3-warm",
        }
    }

    /// The inverse of [`Variant::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().chain([Variant::Floor]).find(|v| v.name() == name)
    }

    /// The native variant this one's ratio is taken against.
    pub fn baseline(self) -> Variant {
        if self.https() {
            Variant::HttpsNative
        } else {
            Variant::Native
        }
    }

    /// Whether the variant calls the TLS mock.
    pub fn https(self) -> bool {
        matches!(self, Variant::HttpsPooling | Variant::HttpsWarm | Variant::HttpsNative)
    }

    /// Whether calls go through a warm client.
    pub fn warm(self) -> bool {
        matches!(
            self,
            Variant::Warm | Variant::HttpsWarm | Variant::Floor | Variant::Metered | Variant::PerCore | Variant::P3Warm
        )
    }

    /// The host of a component variant; `None` for native, which has none.
    pub fn host_options(self) -> Option<HostOptions> {
        match self {
            Variant::Default => Some(default_options()),
            Variant::Native | Variant::HttpsNative | Variant::Seed | Variant::DevsperWasm => None,
            Variant::Floor => Some(pooling_options().component_path(litellm_artifacts::BENCH_FLOOR)),
            Variant::Metered => Some(metered_options()),
            Variant::P3Pooling | Variant::P3Warm => Some(p3_options()),
            _ => Some(pooling_options()),
        }
    }
}
