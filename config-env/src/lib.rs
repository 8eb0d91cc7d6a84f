//! `litellm-config-env`: a small component that exports `wasi:cli/environment` as the host's
//! environment plus every `LITELLM_*` entry of `wasi:config/store` that the environment lacks.
//!
//! wasmCloud gives a component no environment variables; it gives its manifest's `config` through
//! `wasi:config/store`. The gateway and the provider read their settings (`LITELLM_BASE_URL`,
//! `LITELLM_GATEWAY_KEYS`, …) from `wasi:cli/environment`; `litellm-compose` plugs this component
//! into the composed gateway's environment import, so that both read them from the configuration
//! unchanged (what WASI-Virt does for environments). The gateway without it keeps only standard
//! WASI 0.2 imports and runs where `wasi:config` is missing (jco). See `docs/wasmcloud.md`.
#![deny(missing_docs)]

/// The prefix of the configuration keys that become environment variables: the settings of the
/// gateway and the provider, and nothing else (a platform's other configuration stays out).
pub const PREFIX: &str = "LITELLM_";

/// The environment the composed components see: `environment` as it is, then each configuration
/// entry whose key starts with [`PREFIX`] and is not in `environment` (the host's environment
/// wins, so that an operator can override a manifest's value on one host).
pub fn merge(mut environment: Vec<(String, String)>, config: Vec<(String, String)>) -> Vec<(String, String)> {
    for (key, value) in config {
        if key.starts_with(PREFIX) && !environment.iter().any(|(name, _)| *name == key) {
            environment.push((key, value));
        }
    }
    environment
}

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({ world: "config-env", path: "wit", generate_all });

    use exports::wasi::cli::environment::Guest;
    use wasi::cli::environment as host;
    use wasi::config::store;

    struct ConfigEnv;

    impl Guest for ConfigEnv {
        fn get_environment() -> Vec<(String, String)> {
            let config = match store::get_all() {
                Ok(entries) => entries,
                Err(error) => {
                    // The environment alone then: the gateway answers "misconfigured" or
                    // "closed" for what is missing, and this line says why.
                    let why = match error {
                        store::Error::Upstream(why) | store::Error::Io(why) => why,
                    };
                    eprintln!("litellm-config-env: reading wasi:config/store failed: {why}");
                    Vec::new()
                }
            };
            super::merge(host::get_environment(), config)
        }

        fn get_arguments() -> Vec<String> {
            host::get_arguments()
        }

        fn initial_cwd() -> Option<String> {
            host::initial_cwd()
        }
    }

    export!(ConfigEnv);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_environment_wins_and_only_litellm_keys_come_in() {
        let environment = pairs(&[("LITELLM_BASE_URL", "http://env"), ("HOME", "/")]);
        let config = pairs(&[
            ("LITELLM_BASE_URL", "http://config"),
            ("LITELLM_GATEWAY_KEYS", "k"),
            ("upstream", "x"),
            ("litellm_api_key", "lower case is not ours"),
        ]);
        assert_eq!(
            merge(environment, config),
            pairs(&[("LITELLM_BASE_URL", "http://env"), ("HOME", "/"), ("LITELLM_GATEWAY_KEYS", "k")])
        );
    }

    #[test]
    fn no_configuration_leaves_the_environment_as_it_is() {
        let environment = pairs(&[("A", "1")]);
        assert_eq!(merge(environment.clone(), Vec::new()), environment);
    }
}
