//! Resolving a `ClientConfig` (plus the environment) into the settings a client works with.

use crate::domain::{ApiKey, ClientConfig, Error};

/// The base URL used when neither the config nor `LITELLM_BASE_URL` names one (the seed's default).
pub const DEFAULT_BASE_URL: &str = "http://localhost:4000";
pub const ENV_BASE_URL: &str = "LITELLM_BASE_URL";
pub const ENV_API_KEY: &str = "LITELLM_API_KEY";

pub const DEFAULT_CONNECT_TIMEOUT_MS: u32 = 10_000;
pub const DEFAULT_FIRST_BYTE_TIMEOUT_MS: u32 = 60_000;
pub const DEFAULT_BETWEEN_BYTES_TIMEOUT_MS: u32 = 60_000;
pub const DEFAULT_TOTAL_TIMEOUT_MS: u32 = 600_000;
/// Like the OpenAI SDKs.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
pub const DEFAULT_MAX_RESPONSE_BYTES: u32 = 8 * 1024 * 1024;

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

/// Where requests go: `{scheme}://{authority}{path_prefix}/v1/...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub scheme: Scheme,
    pub authority: String,
    /// Empty, or a path starting with `/` and not ending with `/` or `/v1`.
    pub path_prefix: String,
}

impl Endpoint {
    /// Parses a base URL, tolerating a trailing `/` and a trailing `/v1`.
    pub fn parse(base_url: &str) -> Result<Self, Error> {
        let invalid = |why: &str| Error::InvalidRequest(format!("base URL {base_url:?}: {why}"));
        let trimmed = base_url.trim();
        let (scheme, rest) = if let Some(rest) = strip_prefix_ignore_case(trimmed, "http://") {
            (Scheme::Http, rest)
        } else if let Some(rest) = strip_prefix_ignore_case(trimmed, "https://") {
            (Scheme::Https, rest)
        } else {
            return Err(invalid("must start with http:// or https://"));
        };
        if rest.contains(['?', '#']) {
            return Err(invalid("must not have a query or fragment"));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if authority.is_empty()
            || authority.contains('@')
            || authority.contains(char::is_whitespace)
        {
            return Err(invalid("needs a host (user info is not supported)"));
        }
        let mut path = path.trim_end_matches('/');
        if let Some(without) = path.strip_suffix("/v1") {
            path = without.trim_end_matches('/');
        }
        Ok(Self {
            scheme,
            authority: authority.to_string(),
            path_prefix: path.to_string(),
        })
    }

    /// The path and query of an API route, e.g. `route("chat/completions")`.
    pub fn path(&self, route: &str) -> String {
        format!("{}/v1/{route}", self.path_prefix)
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Everything a client needs, defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub endpoint: Endpoint,
    pub api_key: ApiKey,
    pub connect_timeout_ms: u32,
    pub first_byte_timeout_ms: u32,
    pub between_bytes_timeout_ms: u32,
    pub total_timeout_ms: u32,
    pub max_retries: u32,
    pub max_response_bytes: u32,
}

impl Settings {
    /// Applies the config, then the environment (`LITELLM_BASE_URL`, `LITELLM_API_KEY`), then defaults.
    pub fn resolve(
        config: &ClientConfig,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, Error> {
        let base_url = config
            .base_url
            .clone()
            .filter(|u| !u.trim().is_empty())
            .or_else(|| env(ENV_BASE_URL).filter(|u| !u.trim().is_empty()))
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let api_key = config
            .api_key
            .clone()
            .or_else(|| env(ENV_API_KEY).map(ApiKey::new))
            .unwrap_or_default();
        if api_key.expose().contains(['\r', '\n']) {
            return Err(Error::InvalidRequest(
                "the API key must not contain line breaks".into(),
            ));
        }
        let positive = |value: Option<u32>, default: u32, name: &str| match value {
            Some(0) => Err(Error::InvalidRequest(format!(
                "{name} must be greater than 0"
            ))),
            Some(v) => Ok(v),
            None => Ok(default),
        };
        Ok(Self {
            endpoint: Endpoint::parse(&base_url)?,
            api_key,
            connect_timeout_ms: positive(
                config.connect_timeout_ms,
                DEFAULT_CONNECT_TIMEOUT_MS,
                "connect-timeout-ms",
            )?,
            first_byte_timeout_ms: positive(
                config.first_byte_timeout_ms,
                DEFAULT_FIRST_BYTE_TIMEOUT_MS,
                "first-byte-timeout-ms",
            )?,
            between_bytes_timeout_ms: positive(
                config.between_bytes_timeout_ms,
                DEFAULT_BETWEEN_BYTES_TIMEOUT_MS,
                "between-bytes-timeout-ms",
            )?,
            total_timeout_ms: positive(
                config.total_timeout_ms,
                DEFAULT_TOTAL_TIMEOUT_MS,
                "total-timeout-ms",
            )?,
            max_retries: config.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
            max_response_bytes: positive(
                config.max_response_bytes,
                DEFAULT_MAX_RESPONSE_BYTES,
                "max-response-bytes",
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn base_url_forms() {
        for (url, prefix) in [
            ("http://localhost:4000", ""),
            ("http://localhost:4000/", ""),
            ("http://localhost:4000/v1", ""),
            ("http://localhost:4000/v1/", ""),
            ("HTTP://localhost:4000/proxy/v1", "/proxy"),
            ("http://localhost:4000/proxy/", "/proxy"),
        ] {
            let e = Endpoint::parse(url).unwrap();
            assert_eq!(e.authority, "localhost:4000", "{url}");
            assert_eq!(e.path_prefix, prefix, "{url}");
            assert_eq!(
                e.path("chat/completions"),
                format!("{prefix}/v1/chat/completions")
            );
        }
        assert_eq!(
            Endpoint::parse("https://api.openai.com").unwrap().scheme,
            Scheme::Https
        );
        for bad in [
            "localhost:4000",
            "ftp://x",
            "http://",
            "http:///v1",
            "http://a?b",
            "http://u:p@h",
            "héllo",
        ] {
            assert!(
                matches!(Endpoint::parse(bad), Err(Error::InvalidRequest(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn config_then_env_then_default() {
        let env = |name: &str| match name {
            ENV_BASE_URL => Some("http://env:1".to_string()),
            ENV_API_KEY => Some("env-key".to_string()),
            _ => None,
        };
        let s = Settings::resolve(&ClientConfig::default(), env).unwrap();
        assert_eq!(s.endpoint.authority, "env:1");
        assert_eq!(s.api_key.expose(), "env-key");

        let config = ClientConfig {
            base_url: Some("http://cfg:2".into()),
            api_key: Some(ApiKey::new("")),
            ..Default::default()
        };
        let s = Settings::resolve(&config, env).unwrap();
        assert_eq!(s.endpoint.authority, "cfg:2");
        assert!(
            s.api_key.is_empty(),
            "an explicit empty key wins over the environment"
        );

        let s = Settings::resolve(&ClientConfig::default(), no_env).unwrap();
        assert_eq!(s.endpoint.authority, "localhost:4000");
        assert!(s.api_key.is_empty());
        assert_eq!(s.max_retries, DEFAULT_MAX_RETRIES);
    }

    #[test]
    fn rejects_zero_limits_and_broken_keys() {
        let zero = ClientConfig {
            total_timeout_ms: Some(0),
            ..Default::default()
        };
        assert!(matches!(
            Settings::resolve(&zero, no_env),
            Err(Error::InvalidRequest(_))
        ));
        let key = ClientConfig {
            api_key: Some(ApiKey::new("a\r\nX-Evil: 1")),
            ..Default::default()
        };
        match Settings::resolve(&key, no_env) {
            Err(Error::InvalidRequest(msg)) => assert!(!msg.contains("Evil")),
            other => panic!("{other:?}"),
        }
    }
}
