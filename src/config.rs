//! Resolving a `ClientConfig` (plus the environment) into the settings a client works with.

use crate::domain::{ClientConfig, Error, Profile, Secrets, TokenLimitField};
pub use crate::endpoint::{Endpoint, Scheme};

/// The base URL used when neither the config nor `LITELLM_BASE_URL` names one (the seed's default).
pub const DEFAULT_BASE_URL: &str = "http://localhost:4000";
/// The environment's base URL, for a config that names none.
pub const ENV_BASE_URL: &str = "LITELLM_BASE_URL";
/// The environment's API key, for a config that names none.
pub const ENV_API_KEY: &str = "LITELLM_API_KEY";
/// A profile's name (`litellm`, `openai`, `azure`, `ollama`, `vllm`), for a config that names none.
pub const ENV_PROFILE: &str = "LITELLM_PROFILE";

/// The longest wait for a connection.
pub const DEFAULT_CONNECT_TIMEOUT_MS: u32 = 10_000;
/// The longest wait for the response head after sending.
pub const DEFAULT_FIRST_BYTE_TIMEOUT_MS: u32 = 60_000;
/// The longest silence between two parts of a body.
pub const DEFAULT_BETWEEN_BYTES_TIMEOUT_MS: u32 = 60_000;
/// The longest a whole call (all attempts, the body included) may take.
pub const DEFAULT_TOTAL_TIMEOUT_MS: u32 = 600_000;
/// Like the OpenAI SDKs.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// The largest non-streamed answer read.
pub const DEFAULT_MAX_RESPONSE_BYTES: u32 = 8 * 1024 * 1024;
/// Azure OpenAI's current GA API version.
pub const DEFAULT_AZURE_API_VERSION: &str = "2024-10-21";

/// Headers a caller may not set: the transport's own, and the key's.
const RESERVED_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "host",
    "authorization",
    "api-key",
    "transfer-encoding",
    "connection",
    "accept",
];

impl Profile {
    /// The base URL when neither the config nor the environment names one.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Profile::Litellm => DEFAULT_BASE_URL,
            Profile::Openai => "https://api.openai.com",
            // An Azure resource has its own endpoint; this only makes a missing one fail visibly.
            Profile::Azure => "https://localhost",
            Profile::Ollama => "http://localhost:11434",
            Profile::Vllm => "http://localhost:8000",
        }
    }

    /// The profile of a name as the contract spells it.
    pub fn from_name(name: &str) -> Option<Profile> {
        Some(match name {
            "litellm" => Profile::Litellm,
            "openai" => Profile::Openai,
            "azure" => Profile::Azure,
            "ollama" => Profile::Ollama,
            "vllm" => Profile::Vllm,
            _ => return None,
        })
    }

    /// The field the token cap goes in when the request picks none. OpenAI's reasoning models
    /// (GPT-5-class, o-series) reject `max_tokens` with 400 `unsupported_parameter`, and every
    /// OpenAI model takes `max_completion_tokens`; LiteLLM, vLLM, Ollama, llama.cpp, DeepSeek and
    /// Kimi read `max_tokens` (sources in docs/wire.md).
    pub fn token_limit_field(self) -> TokenLimitField {
        match self {
            Profile::Openai | Profile::Azure => TokenLimitField::MaxCompletionTokens,
            Profile::Litellm | Profile::Ollama | Profile::Vllm => TokenLimitField::MaxTokens,
        }
    }

    /// The message field an assistant turn's reasoning goes back in, if any. DeepSeek and Kimi
    /// in thinking mode require `reasoning_content` on tool-calling turns, LiteLLM forwards it and
    /// llama.cpp reads it; vLLM and Ollama read `reasoning` (vLLM drops `reasoning_content`);
    /// OpenAI keeps reasoning on its side, so `openai` and `azure` send none (docs/wire.md).
    pub fn reasoning_field(self) -> Option<ReasoningField> {
        match self {
            Profile::Litellm => Some(ReasoningField::ReasoningContent),
            Profile::Vllm | Profile::Ollama => Some(ReasoningField::Reasoning),
            Profile::Openai | Profile::Azure => None,
        }
    }
}

/// The message field that carries reasoning back to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasoningField {
    /// `reasoning_content`: DeepSeek, Kimi, LiteLLM, llama.cpp.
    ReasoningContent,
    /// `reasoning`: vLLM, Ollama.
    Reasoning,
}

fn checked_headers(headers: &[(String, String)]) -> Result<Vec<(String, String)>, Error> {
    let mut checked = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        let is_token =
            !lower.is_empty() && lower.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !is_token {
            return Err(crate::errors::invalid(format!("header name {name:?} is not a valid token")));
        }
        if RESERVED_HEADERS.contains(&lower.as_str()) {
            return Err(crate::errors::invalid(format!("header {name:?} is set by the client itself")));
        }
        if value.contains(['\r', '\n', '\0']) {
            return Err(crate::errors::invalid(format!("header {name:?} has a line break in its value")));
        }
        checked.push((lower, value.clone()));
    }
    Ok(checked)
}

impl Settings {
    /// The header that carries the key: Azure's `api-key`, else `Authorization: Bearer`; none
    /// when the key is empty.
    pub fn auth_header(&self) -> Option<(&'static str, String)> {
        if self.api_key.is_empty() {
            return None;
        }
        Some(match self.profile {
            Profile::Azure => ("api-key", self.api_key.expose().to_string()),
            _ => ("authorization", format!("Bearer {}", self.api_key.expose())),
        })
    }

    /// The path and query of an API route (`chat/completions`, `embeddings`, `models`); Azure
    /// routes name the deployment (the model).
    pub fn route(&self, route: &str, wire_model: &str) -> Result<String, Error> {
        if self.profile != Profile::Azure {
            return Ok(self.endpoint.path(route));
        }
        let prefix = &self.endpoint.path_prefix;
        let version = &self.api_version;
        if route == "models" {
            return Ok(format!("{prefix}/openai/models?api-version={version}"));
        }
        // One path segment: letters, digits, `-`, `_`, `.`, never `.` or `..` alone (which would
        // leave the deployments path); `/`, `?`, `#` and `%` are refused with everything else.
        let deployment_ok = !matches!(wire_model, "" | "." | "..")
            && wire_model.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !deployment_ok {
            return Err(crate::errors::invalid(format!("{wire_model:?} is not an Azure deployment name")));
        }
        Ok(format!("{prefix}/openai/deployments/{wire_model}/{route}?api-version={version}"))
    }
}

/// Everything a client needs, defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The server flavour.
    pub profile: Profile,
    /// Where requests go.
    pub endpoint: Endpoint,
    /// The key and every other secret, for the key's header and for scrubbing.
    pub api_key: Secrets,
    /// Extra request headers, names in lower case, checked.
    pub headers: Vec<(String, String)>,
    /// The Azure `api-version`.
    pub api_version: String,
    /// The longest wait for a connection, in ms.
    pub connect_timeout_ms: u32,
    /// The longest wait for the response head, in ms.
    pub first_byte_timeout_ms: u32,
    /// The longest silence inside a body, in ms.
    pub between_bytes_timeout_ms: u32,
    /// The longest a whole call may take, in ms.
    pub total_timeout_ms: u32,
    /// Attempts after the first on retryable failures.
    pub max_retries: u32,
    /// The largest non-streamed answer read, in bytes.
    pub max_response_bytes: u32,
}

impl Settings {
    /// Applies the config, then the environment (`LITELLM_PROFILE`, `LITELLM_BASE_URL`,
    /// `LITELLM_API_KEY`), then defaults.
    pub fn resolve(config: &ClientConfig, env: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let profile = match (config.profile, env(ENV_PROFILE).filter(|p| !p.trim().is_empty())) {
            (Some(profile), _) => profile,
            (None, Some(name)) => Profile::from_name(name.trim()).ok_or_else(|| {
                crate::errors::invalid(format!(
                    "{ENV_PROFILE} {name:?} is not a profile (litellm, openai, azure, ollama, vllm)"
                ))
            })?,
            (None, None) => Profile::default(),
        };
        let base_url = config
            .base_url
            .clone()
            .filter(|u| !u.trim().is_empty())
            .or_else(|| env(ENV_BASE_URL).filter(|u| !u.trim().is_empty()))
            .unwrap_or_else(|| profile.default_base_url().to_string());
        let api_key = config.api_key.clone().or_else(|| env(ENV_API_KEY).map(Secrets::new)).unwrap_or_default();
        if api_key.expose().contains(['\r', '\n']) {
            return Err(crate::errors::invalid("the API key must not contain line breaks"));
        }
        let positive = |value: Option<u32>, default: u32, name: &str| match value {
            Some(0) => Err(crate::errors::invalid(format!("{name} must be greater than 0"))),
            Some(v) => Ok(v),
            None => Ok(default),
        };
        let api_version = config.api_version.clone().unwrap_or_else(|| DEFAULT_AZURE_API_VERSION.to_string());
        if api_version.is_empty() || !api_version.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') {
            return Err(crate::errors::invalid(format!("api-version {api_version:?} is not a version")));
        }
        let headers = checked_headers(&config.headers)?;
        let api_key = api_key.hiding(headers.iter().map(|(_, value)| value.as_str()));
        let mut endpoint = Endpoint::parse(&base_url)?;
        if profile == Profile::Azure {
            // The resource endpoint is often given with the `/openai` the routes add again.
            if let Some(prefix) = endpoint.path_prefix.strip_suffix("/openai") {
                endpoint.path_prefix = prefix.to_string();
            }
        }
        Ok(Self {
            profile,
            endpoint,
            api_key,
            headers,
            api_version,
            connect_timeout_ms: positive(config.connect_timeout_ms, DEFAULT_CONNECT_TIMEOUT_MS, "connect-timeout-ms")?,
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
            total_timeout_ms: positive(config.total_timeout_ms, DEFAULT_TOTAL_TIMEOUT_MS, "total-timeout-ms")?,
            max_retries: config.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
            max_response_bytes: positive(config.max_response_bytes, DEFAULT_MAX_RESPONSE_BYTES, "max-response-bytes")?,
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
            api_key: Some(Secrets::new("")),
            ..Default::default()
        };
        let s = Settings::resolve(&config, env).unwrap();
        assert_eq!(s.endpoint.authority, "cfg:2");
        assert!(s.api_key.is_empty(), "an explicit empty key wins over the environment");

        let s = Settings::resolve(&ClientConfig::default(), no_env).unwrap();
        assert_eq!((s.profile, s.endpoint.authority.as_str()), (Profile::Litellm, "localhost:4000"));
        assert!(s.api_key.is_empty());
        assert_eq!(s.max_retries, DEFAULT_MAX_RETRIES);
    }

    #[test]
    fn the_profile_comes_from_the_config_then_litellm_profile() {
        let openai = |name: &str| (name == ENV_PROFILE).then(|| " openai".to_string());
        let s = Settings::resolve(&ClientConfig::default(), openai).unwrap();
        assert_eq!((s.profile, s.endpoint.authority.as_str()), (Profile::Openai, "api.openai.com"));
        let vllm = ClientConfig { profile: Some(Profile::Vllm), ..Default::default() };
        assert_eq!(Settings::resolve(&vllm, openai).unwrap().profile, Profile::Vllm, "the config wins");
        let typo = |name: &str| (name == ENV_PROFILE).then(|| "OpenAI".to_string());
        match Settings::resolve(&ClientConfig::default(), typo) {
            Err(Error::InvalidRequest(m)) => assert!(m.contains("LITELLM_PROFILE") && m.contains("OpenAI"), "{m}"),
            other => panic!("{other:?}"),
        }
        let wire: Vec<_> = [Profile::Litellm, Profile::Openai, Profile::Azure, Profile::Ollama, Profile::Vllm]
            .map(|p| (p.token_limit_field(), p.reasoning_field()))
            .into();
        use {ReasoningField::*, TokenLimitField::*};
        assert_eq!(
            wire,
            [
                (MaxTokens, Some(ReasoningContent)),
                (MaxCompletionTokens, None),
                (MaxCompletionTokens, None),
                (MaxTokens, Some(Reasoning)),
                (MaxTokens, Some(Reasoning))
            ]
        );
    }

    #[test]
    fn rejects_zero_limits_and_broken_keys() {
        let zero = ClientConfig { total_timeout_ms: Some(0), ..Default::default() };
        assert!(matches!(Settings::resolve(&zero, no_env), Err(Error::InvalidRequest(_))));
        let key = ClientConfig { api_key: Some(Secrets::new("a\r\nX-Evil: 1")), ..Default::default() };
        match Settings::resolve(&key, no_env) {
            Err(Error::InvalidRequest(msg)) => assert!(!msg.contains("Evil")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn profiles_set_defaults_routes_and_the_key_header() {
        let with =
            |profile| ClientConfig { profile: Some(profile), api_key: Some(Secrets::new("k")), ..Default::default() };
        let ollama = Settings::resolve(&with(Profile::Ollama), no_env).unwrap();
        assert_eq!(ollama.endpoint.authority, "localhost:11434");
        assert_eq!(ollama.route("chat/completions", "llama3").unwrap(), "/v1/chat/completions");
        assert_eq!(ollama.auth_header(), Some(("authorization", "Bearer k".to_string())));
        let vllm = Settings::resolve(&with(Profile::Vllm), no_env).unwrap();
        assert_eq!(vllm.endpoint.authority, "localhost:8000");
        let openai = Settings::resolve(&with(Profile::Openai), no_env).unwrap();
        assert_eq!((openai.endpoint.scheme, openai.endpoint.authority.as_str()), (Scheme::Https, "api.openai.com"));

        let azure =
            ClientConfig { base_url: Some("https://res.openai.azure.com/openai/".into()), ..with(Profile::Azure) };
        let azure = Settings::resolve(&azure, no_env).unwrap();
        assert_eq!(azure.auth_header(), Some(("api-key", "k".to_string())));
        assert_eq!(
            azure.route("chat/completions", "gpt-4o-prod").unwrap(),
            "/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21"
        );
        assert_eq!(azure.route("models", "").unwrap(), "/openai/models?api-version=2024-10-21");
        for bad in ["a/b", "..", ".", "a?x", "a#x", "a%2e", ""] {
            assert!(matches!(azure.route("embeddings", bad), Err(Error::InvalidRequest(_))), "{bad}");
        }
        assert!(azure.route("chat/completions", "gpt-4.1.mini").is_ok());
        let bad_version = ClientConfig { api_version: Some("1&x=2".into()), ..with(Profile::Azure) };
        assert!(matches!(Settings::resolve(&bad_version, no_env), Err(Error::InvalidRequest(_))));
    }

    #[test]
    fn extra_headers_are_checked() {
        let with = |name: &str, value: &str| ClientConfig {
            headers: vec![(name.to_string(), value.to_string())],
            ..Default::default()
        };
        let ok = Settings::resolve(&with("OpenAI-Organization", "org-1"), no_env).unwrap();
        assert_eq!(ok.headers, vec![("openai-organization".to_string(), "org-1".to_string())]);
        for (name, value) in [
            ("Authorization", "x"),
            ("api-key", "x"),
            ("content-length", "1"),
            ("bad name", "x"),
            ("x-a", "1\r\nx-b: 2"),
        ] {
            assert!(matches!(Settings::resolve(&with(name, value), no_env), Err(Error::InvalidRequest(_))), "{name}");
        }
    }
}
