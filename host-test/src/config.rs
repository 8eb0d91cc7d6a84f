//! The client configuration as the host takes it: the contract's `config` record, with a `Debug`
//! that never shows the key (the generated record's would).

use crate::bindings::exports::devsper::llm::types::Config as WitConfig;
use crate::Profile;
use std::fmt;

/// How the component reaches the endpoint; every `None` takes its default (see the contract's
/// `config` record for each field's default).
#[derive(Clone, Default, PartialEq)]
pub struct Config {
    /// The server flavour; default `litellm`.
    pub profile: Option<Profile>,
    /// The endpoint; default the tenant's `LITELLM_BASE_URL`, else the profile's default.
    pub base_url: Option<String>,
    /// The key; default the tenant's `LITELLM_API_KEY`. Never shown by `Debug`.
    pub api_key: Option<String>,
    /// The longest wait for a connection, in ms.
    pub connect_timeout_ms: Option<u32>,
    /// The longest wait for the response head, in ms.
    pub first_byte_timeout_ms: Option<u32>,
    /// The longest silence inside a body, in ms.
    pub between_bytes_timeout_ms: Option<u32>,
    /// The longest a whole call may take, retries included, in ms.
    pub total_timeout_ms: Option<u32>,
    /// Attempts after the first on retryable failures.
    pub max_retries: Option<u32>,
    /// The largest response body read, in bytes.
    pub max_response_bytes: Option<u32>,
    /// Extra request headers.
    pub headers: Vec<(String, String)>,
    /// The Azure `api-version`.
    pub api_version: Option<String>,
}

impl Config {
    pub(crate) fn to_wit(&self) -> WitConfig {
        WitConfig {
            profile: self.profile,
            base_url: self.base_url.clone(),
            api_key: self.api_key.clone(),
            connect_timeout_ms: self.connect_timeout_ms,
            first_byte_timeout_ms: self.first_byte_timeout_ms,
            between_bytes_timeout_ms: self.between_bytes_timeout_ms,
            total_timeout_ms: self.total_timeout_ms,
            max_retries: self.max_retries,
            max_response_bytes: self.max_response_bytes,
            headers: self.headers.clone(),
            api_version: self.api_version.clone(),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("profile", &self.profile)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|k| if k.is_empty() { "" } else { "***" }))
            .field("connect_timeout_ms", &self.connect_timeout_ms)
            .field("first_byte_timeout_ms", &self.first_byte_timeout_ms)
            .field("between_bytes_timeout_ms", &self.between_bytes_timeout_ms)
            .field("total_timeout_ms", &self.total_timeout_ms)
            .field("max_retries", &self.max_retries)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("headers", &self.headers.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>())
            .field("api_version", &self.api_version)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key_or_header_values() {
        let config = Config {
            api_key: Some("sk-hidden-1".into()),
            headers: vec![("x-token".into(), "tok-hidden-2".into())],
            ..Config::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("hidden"), "{shown}");
        assert!(shown.contains("***") && shown.contains("x-token"));
    }
}
