//! Setters for the public options records, which are `#[non_exhaustive]` so that a field added
//! later breaks no caller: `Config::for_url(url).max_retries(0)`, `HostOptions::default().limits(…)`.
//! Each setter takes the field's value (for an optional field, the value inside the `Some`).

/// `setters!(Type { field: Value => Some, other: Value => same })`: one `fn field(self, value)`
/// per field, wrapping the value in `Some` for the optional ones.
macro_rules! setters {
    ($ty:ty { $($field:ident : $value:ty => $wrap:ident),* $(,)? }) => {
        impl $ty {
            $(
                #[doc = concat!("Sets `", stringify!($field), "`.")]
                pub fn $field(mut self, value: $value) -> Self {
                    self.$field = $wrap(value);
                    self
                }
            )*
        }
    };
}

/// The same for text and path fields, which take anything that converts (`&str`, `String`…).
macro_rules! into_setters {
    ($ty:ty { $($field:ident : $value:ty => $wrap:ident),* $(,)? }) => {
        impl $ty {
            $(
                #[doc = concat!("Sets `", stringify!($field), "`.")]
                pub fn $field(mut self, value: impl Into<$value>) -> Self {
                    self.$field = $wrap(value.into());
                    self
                }
            )*
        }
    };
}

/// The value itself, for the fields that are not optional.
fn same<T>(value: T) -> T {
    value
}

use crate::{Config, HostLimits, HostOptions, PoolingOptions, Profile, Secret, TlsRoots, WarmOptions};
use std::path::PathBuf;
use std::time::Duration;

into_setters!(Config { base_url: String => Some, api_key: Secret => Some, api_version: String => Some });

setters!(Config {
    profile: Profile => Some,
    connect_timeout_ms: u32 => Some,
    first_byte_timeout_ms: u32 => Some,
    between_bytes_timeout_ms: u32 => Some,
    total_timeout_ms: u32 => Some,
    max_retries: u32 => Some,
    max_response_bytes: u32 => Some,
    headers: Vec<(String, Secret)> => same,
});

into_setters!(HostOptions { component_path: PathBuf => Some, cache_dir: PathBuf => Some });

setters!(HostOptions { pooling: PoolingOptions => Some, tls: TlsRoots => same, warm: WarmOptions => same, limits: HostLimits => same, concurrency_support: bool => same, world: crate::World => same });
setters!(HostOptions { quota_store: std::sync::Arc<dyn crate::SharedStore> => Some });
#[cfg(feature = "crossings")]
setters!(HostOptions { count_crossings: bool => same });
#[cfg(feature = "metrics")]
setters!(HostOptions { meter: opentelemetry::metrics::Meter => Some, conventions: crate::GenAiConventions => Some });

setters!(WarmOptions {
    per_client: usize => same,
    max_idle: usize => same,
    max_idle_memory_bytes: usize => same,
    max_calls: u32 => same,
    idle_timeout: Duration => same,
});

setters!(PoolingOptions { max_instances: u32 => same, max_memory_bytes: usize => same, keep_resident_bytes: usize => same });

setters!(HostLimits { max_instances: usize => same, max_linear_memory_bytes: usize => same });
