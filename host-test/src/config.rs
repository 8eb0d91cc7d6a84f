//! The client configuration as the host takes it, converted to the contract's `config` record in
//! this one place. Secrets (the key, header values) are held in [`Secret`], whose `Debug` hides them.

use crate::contract::bindings::exports::devsper::llm::types::Config as WitConfig;
use crate::contract::Profile;
use std::fmt;

/// A value that must not be shown: `Debug` prints `***` (or `""` when empty).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The value itself, to send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_string())
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "***" })
    }
}

/// How the component reaches the endpoint. Every `None` takes the component's default: the
/// component owns them (see the contract's `config` record), the host restates none.
#[derive(Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// The server flavour; default `litellm`.
    pub profile: Option<Profile>,
    /// The endpoint; default the tenant's `LITELLM_BASE_URL`, else the profile's default.
    pub base_url: Option<String>,
    /// The key; default the tenant's `LITELLM_API_KEY`.
    pub api_key: Option<Secret>,
    /// The longest wait for a connection (TLS handshake included), in ms.
    pub connect_timeout_ms: Option<u32>,
    /// The longest wait for the response head, in ms.
    pub first_byte_timeout_ms: Option<u32>,
    /// The longest silence inside a body, in ms.
    pub between_bytes_timeout_ms: Option<u32>,
    /// The longest a whole call may take, retries included, in ms.
    pub total_timeout_ms: Option<u32>,
    /// Attempts after the first on retryable failures.
    pub max_retries: Option<u32>,
    /// The largest non-streamed response body read, in bytes.
    pub max_response_bytes: Option<u32>,
    /// Extra request headers; their values are secrets (they may hold tokens).
    pub headers: Vec<(String, Secret)>,
    /// The Azure `api-version`.
    pub api_version: Option<String>,
}

impl fmt::Debug for Config {
    /// Every field, the key and header values as `***`, and a base URL's userinfo (a name and
    /// password before `@`) as `…`: `https://svc:S3cret@host` shows as `https://…@host`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base_url = self.base_url.as_deref().map(|url| match url.rfind('@') {
            Some(at) => format!("{}…{}", &url[..url.find("://").map_or(0, |i| i + 3).min(at)], &url[at..]),
            None => url.to_owned(),
        });
        f.debug_struct("Config")
            .field("profile", &self.profile)
            .field("base_url", &base_url)
            .field("api_key", &self.api_key)
            .field("connect_timeout_ms", &self.connect_timeout_ms)
            .field("first_byte_timeout_ms", &self.first_byte_timeout_ms)
            .field("between_bytes_timeout_ms", &self.between_bytes_timeout_ms)
            .field("total_timeout_ms", &self.total_timeout_ms)
            .field("max_retries", &self.max_retries)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("headers", &self.headers)
            .field("api_version", &self.api_version)
            .finish()
    }
}

impl Config {
    /// A config for `base_url` with every other field at its default.
    pub fn for_url(base_url: impl Into<String>) -> Self {
        Config { base_url: Some(base_url.into()), ..Config::default() }
    }

    pub(crate) fn to_wit(&self) -> WitConfig {
        WitConfig {
            profile: self.profile,
            base_url: self.base_url.clone(),
            api_key: self.api_key.as_ref().map(|k| k.0.clone()),
            connect_timeout_ms: self.connect_timeout_ms,
            first_byte_timeout_ms: self.first_byte_timeout_ms,
            between_bytes_timeout_ms: self.between_bytes_timeout_ms,
            total_timeout_ms: self.total_timeout_ms,
            max_retries: self.max_retries,
            max_response_bytes: self.max_response_bytes,
            headers: self.headers.iter().map(|(name, value)| (name.clone(), value.0.clone())).collect(),
            api_version: self.api_version.clone(),
        }
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
        let wit = config.to_wit();
        assert_eq!(wit.api_key.as_deref(), Some("sk-hidden-1"));
        assert_eq!(wit.headers, vec![("x-token".to_string(), "tok-hidden-2".to_string())]);
    }

    #[test]
    fn debug_never_shows_a_base_urls_userinfo() {
        for url in ["https://svc:S3cret@host/v1", "http://S3cret@h", "https://a@S3cret@host"] {
            let shown = format!("{:?}", Config::for_url(url));
            assert!(!shown.contains("S3cret") && shown.contains("…@"), "{shown}");
        }
        assert!(format!("{:?}", Config::for_url("https://host/v1")).contains("\"https://host/v1\""));
    }
}
