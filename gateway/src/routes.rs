//! The routes document (`LITELLM_GATEWAY_ROUTES`): which deployments serve a model, in which
//! order they are tried, which errors move on to the next one, and each client key's models and
//! limits. Pure: parsed and tested natively; `lib.rs` runs the plan, [`crate::limits`] counts.
//!
//! The document's format, with a complete example, is in docs/gateway.md ("Routes and limits");
//! its field names and defaults live here, once.

use litellm_client::{Config, Error, Profile};
use serde::Deserialize;
use std::collections::BTreeMap;

/// How long a deployment that failed with a fallback error is skipped, by default (ms).
pub const DEFAULT_COOLDOWN_MS: u64 = 30_000;
/// The `wasi:keyvalue` bucket the gateway opens by default.
pub const DEFAULT_BUCKET: &str = "litellm-gateway";
/// The most fallback models one route may name, and the most deployments one call tries: a
/// bound on the work one request can cause.
pub const MAX_ATTEMPTS: usize = 8;

/// The whole document.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Routes {
    /// Models and the deployments that serve them, matched in order (the first match wins).
    #[serde(default)]
    pub models: Vec<Route>,
    /// Each client key's models and limits, by the key's name in `LITELLM_GATEWAY_KEYS`.
    #[serde(default)]
    pub keys: BTreeMap<String, KeyPolicy>,
    /// How deployments of one model share the calls.
    #[serde(default)]
    pub strategy: Strategy,
    /// How long a failing deployment is skipped, in ms.
    #[serde(default = "default_cooldown")]
    pub cooldown_ms: u64,
    /// The `wasi:keyvalue` bucket of the shared counters.
    #[serde(default = "default_bucket")]
    pub bucket: String,
    /// What a call meets when the store cannot be reached and a key has limits.
    #[serde(default)]
    pub on_store_error: OnStoreError,
}

fn default_cooldown() -> u64 {
    DEFAULT_COOLDOWN_MS
}

fn default_bucket() -> String {
    DEFAULT_BUCKET.to_owned()
}

/// One model name (or pattern) and where it is served.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// The model name a client sends; a trailing `*` matches every name with that start.
    pub model: String,
    /// The deployments, at least one.
    pub deployments: Vec<Deployment>,
    /// Models tried, in order, when every deployment of this one failed with a fallback error.
    #[serde(default)]
    pub fallbacks: Vec<String>,
}

/// One upstream serving a model.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    /// Its name: the `x-litellm-deployment` header and the access log show it, never its address
    /// or key. Unique across the document.
    pub name: String,
    /// The endpoint, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    /// The server flavour (a profile's name, e.g. `openai`, `azure`, `vllm`); default the
    /// provider's (`LITELLM_PROFILE`, else `litellm`).
    #[serde(default)]
    pub profile: Option<String>,
    /// The model name sent upstream; default the name the client sent.
    #[serde(default)]
    pub model: Option<String>,
    /// The name of the variable (environment or `wasi:config`) that holds this deployment's key;
    /// none: no key is sent. The key itself is never written in the document.
    #[serde(default)]
    pub api_key_secret: Option<String>,
    /// Its share of the calls under weighted round robin (default 1; 0 takes none but fallbacks).
    #[serde(default = "default_weight")]
    pub weight: u32,
    /// Attempts after the first on the same deployment; default 0: the next deployment is the
    /// retry.
    #[serde(default)]
    pub max_retries: u32,
    /// The longest wait for a connection, in ms (default the provider's, 10000).
    pub connect_timeout_ms: Option<u32>,
    /// The longest wait for the response head, in ms (default the provider's, 60000): a
    /// deployment slower than this is a timeout, and the next one is tried.
    pub first_byte_timeout_ms: Option<u32>,
}

fn default_weight() -> u32 {
    1
}

/// How the deployments of one model share its calls.
#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Each deployment in turn, `weight` calls each per round, through one counter in the shared
    /// store; the others follow in the document's order as fallbacks.
    #[default]
    WeightedRoundRobin,
    /// The document's order: the first deployment takes every call, the next only on failure.
    Ordered,
}

/// What a call meets when a key has limits and the store fails.
#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum OnStoreError {
    /// Refuse it (503 `store_unavailable`): a limit that cannot be counted does not hold.
    #[default]
    Closed,
    /// Serve it uncounted, and say so in the access log.
    Open,
}

/// A client key's models and limits; every limit unset means none.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct KeyPolicy {
    /// Models this key may call (exact, or a start ending in `*`); none: every model the
    /// gateway serves.
    #[serde(default)]
    pub models: Vec<String>,
    /// Requests per minute (a fixed window on the wall clock's minute).
    pub rpm: Option<u64>,
    /// Tokens per minute, counted from the usage the upstream reported.
    pub tpm: Option<u64>,
    /// Requests in flight at once (a stream counts until its end).
    pub max_concurrent: Option<u64>,
    /// Tokens over the key's lifetime (until the store forgets them).
    pub token_budget: Option<u64>,
}

impl KeyPolicy {
    /// Whether this key may call `model`.
    pub fn allows(&self, model: &str) -> bool {
        self.models.is_empty() || self.models.iter().any(|entry| matches(entry, model))
    }

    /// Whether any limit needs the shared store.
    pub fn counts(&self) -> bool {
        self.rpm.is_some() || self.tpm.is_some() || self.max_concurrent.is_some() || self.token_budget.is_some()
    }
}

/// A model name against an entry: equal, or starting with the entry's text before its `*`.
pub(crate) fn matches(entry: &str, model: &str) -> bool {
    match entry.strip_suffix('*') {
        Some(prefix) => model.starts_with(prefix),
        None => model == entry,
    }
}

impl Routes {
    /// Parses and checks the document; an error names the field (and never shows a value).
    pub fn parse(text: &str) -> Result<Routes, String> {
        let routes: Routes =
            serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text)).map_err(|e| {
                // serde's message may quote the value (a key pasted in the wrong field): only the
                // path and the position are shown, and syntax errors, which quote nothing.
                let (path, inner) = (e.path().to_string(), e.into_inner());
                match inner.classify() {
                    serde_json::error::Category::Data => format!(
                        "LITELLM_GATEWAY_ROUTES: `{path}` is not a known field, or has the wrong type or value \
                         (line {}, column {}; docs/gateway.md has the format)",
                        inner.line(),
                        inner.column()
                    ),
                    _ => format!("LITELLM_GATEWAY_ROUTES is not JSON: {inner}"),
                }
            })?;
        let mut names = std::collections::BTreeSet::new();
        for route in &routes.models {
            let at = |what: &str| format!("LITELLM_GATEWAY_ROUTES: model {:?}: {what}", route.model);
            if route.model.is_empty() {
                return Err("LITELLM_GATEWAY_ROUTES: a route has an empty model".into());
            }
            if route.deployments.is_empty() {
                return Err(at("needs at least one deployment"));
            }
            if route.fallbacks.len() >= MAX_ATTEMPTS {
                return Err(at(&format!("names more than {} fallbacks", MAX_ATTEMPTS - 1)));
            }
            for deployment in &route.deployments {
                if deployment.name.is_empty() || !names.insert(deployment.name.as_str()) {
                    return Err(at(&format!("deployment name {:?} is empty or used twice", deployment.name)));
                }
                if !(deployment.base_url.starts_with("http://") || deployment.base_url.starts_with("https://")) {
                    return Err(at(&format!("deployment {:?}: base_url must be http:// or https://", deployment.name)));
                }
                if let Some(profile) = &deployment.profile {
                    Profile::from_name(profile).ok_or_else(|| {
                        at(&format!(
                            "deployment {:?}: profile {profile:?} is not one of the provider's",
                            deployment.name
                        ))
                    })?;
                }
            }
        }
        Ok(routes)
    }

    /// The route serving `model`: the first whose pattern matches.
    pub fn route(&self, model: &str) -> Option<&Route> {
        self.models.iter().find(|route| matches(&route.model, model))
    }

    /// The deployments a call of `model` tries, in order: the route's own (starting where
    /// `turn` points under round robin), then each fallback model's, once each, at most
    /// [`MAX_ATTEMPTS`]. Empty when no route serves `model`.
    pub fn plan(&self, model: &str, turn: impl Fn(&Route) -> u64) -> Vec<Attempt<'_>> {
        let mut plan: Vec<Attempt<'_>> = Vec::new();
        let Some(first) = self.route(model) else { return plan };
        let mut models = vec![model];
        models.extend(first.fallbacks.iter().map(String::as_str));
        for model in models {
            let Some(route) = self.route(model) else { continue };
            for deployment in self.order(route, turn(route)) {
                if plan.len() < MAX_ATTEMPTS && !plan.iter().any(|a| a.deployment.name == deployment.name) {
                    plan.push(Attempt { model: model.to_owned(), deployment });
                }
            }
        }
        plan
    }

    /// A route's deployments in the order one call tries them: under weighted round robin the
    /// one `turn` lands on first (each deployment owns `weight` consecutive turns of a round),
    /// then the others in the document's order; deployments of weight 0 only as fallbacks.
    fn order<'a>(&self, route: &'a Route, turn: u64) -> Vec<&'a Deployment> {
        let mut order: Vec<&Deployment> = route.deployments.iter().collect();
        let total: u64 = route.deployments.iter().map(|d| u64::from(d.weight)).sum();
        if self.strategy == Strategy::WeightedRoundRobin && total > 0 {
            let mut position = turn % total;
            let chosen = route
                .deployments
                .iter()
                .position(|d| {
                    let owns = position < u64::from(d.weight);
                    position = position.saturating_sub(u64::from(d.weight));
                    owns
                })
                .unwrap_or(0);
            let first = order.remove(chosen);
            order.insert(0, first);
        }
        order
    }

    /// Whether any route needs a round-robin counter (more than one weighted deployment).
    pub fn balances(&self, route: &Route) -> bool {
        self.strategy == Strategy::WeightedRoundRobin && route.deployments.iter().filter(|d| d.weight > 0).count() > 1
    }
}

/// One deployment a call may try, for the model it serves (the requested one or a fallback).
#[derive(Debug)]
pub struct Attempt<'a> {
    /// The model name the client sent, or the fallback model this deployment serves.
    pub model: String,
    /// The deployment.
    pub deployment: &'a Deployment,
}

impl Attempt<'_> {
    /// The provider's config for this deployment: its endpoint, profile, key and retries, under
    /// the gateway's deadline.
    pub fn config(&self, key: Option<String>, total_timeout_ms: u32) -> Config {
        let deployment = self.deployment;
        Config {
            profile: deployment.profile.as_deref().and_then(Profile::from_name),
            base_url: Some(deployment.base_url.clone()),
            // An explicit empty key: the provider then sends none, instead of falling back to
            // the gateway's `LITELLM_API_KEY`, which belongs to another upstream.
            api_key: Some(key.unwrap_or_default()),
            max_retries: Some(deployment.max_retries),
            connect_timeout_ms: deployment.connect_timeout_ms,
            first_byte_timeout_ms: deployment.first_byte_timeout_ms,
            total_timeout_ms: Some(total_timeout_ms),
            ..Config::default()
        }
    }

    /// The model name sent upstream.
    pub fn upstream_model(&self) -> String {
        self.deployment.model.clone().unwrap_or_else(|| self.model.clone())
    }
}

/// Whether a call that failed with `error` moves on to the next deployment: the upstream was
/// rate-limited or out of quota, failed (5xx), timed out or could not be reached. Every other
/// error (the request's own fault) is the answer.
pub fn falls_back(error: &Error) -> bool {
    match error {
        Error::RateLimited(_) | Error::QuotaExceeded(_) | Error::Timeout(_) | Error::Transport(_) => true,
        Error::Upstream(api) => api.status >= 500 || api.status == 0,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{
        "models": [
            {"model": "gpt-4o", "fallbacks": ["small"], "deployments": [
                {"name": "a", "base_url": "http://a.example", "model": "gpt-4o-2024", "api_key_secret": "KEY_A", "weight": 3},
                {"name": "b", "base_url": "https://b.example/v1", "profile": "azure"}
            ]},
            {"model": "small", "deployments": [{"name": "s", "base_url": "http://s.example"}]},
            {"model": "claude-*", "deployments": [{"name": "c", "base_url": "http://c.example", "weight": 0}]}
        ],
        "keys": {"team-a": {"models": ["gpt-*"], "rpm": 10, "tpm": 1000, "max_concurrent": 2, "token_budget": 5000}}
    }"#;

    #[test]
    fn the_document_parses_with_its_defaults() {
        let routes = Routes::parse(DOC).unwrap();
        assert_eq!(
            (routes.strategy, routes.cooldown_ms, routes.bucket.as_str()),
            (Strategy::WeightedRoundRobin, 30_000, "litellm-gateway")
        );
        assert_eq!(routes.on_store_error, OnStoreError::Closed);
        let policy = &routes.keys["team-a"];
        assert!(policy.allows("gpt-4o") && !policy.allows("claude-3") && policy.counts());
        assert!(!KeyPolicy::default().counts() && KeyPolicy::default().allows("anything"));
        assert_eq!(routes.route("claude-sonnet-4").unwrap().deployments[0].name, "c");
        assert!(routes.route("o3").is_none());
    }

    #[test]
    fn weighted_round_robin_then_the_rest_then_fallbacks() {
        let routes = Routes::parse(DOC).unwrap();
        let names = |turn: u64| -> Vec<String> {
            routes.plan("gpt-4o", |_| turn).iter().map(|a| format!("{}:{}", a.model, a.deployment.name)).collect()
        };
        // a owns turns 0..3 of each round of 4, b the fourth.
        for turn in [0, 1, 2, 4, 6] {
            assert_eq!(names(turn), ["gpt-4o:a", "gpt-4o:b", "small:s"], "turn {turn}");
        }
        for turn in [3, 7, 11] {
            assert_eq!(names(turn), ["gpt-4o:b", "gpt-4o:a", "small:s"], "turn {turn}");
        }
        let plan = routes.plan("gpt-4o", |_| 0);
        assert_eq!((plan[0].upstream_model(), plan[1].upstream_model()), ("gpt-4o-2024".into(), "gpt-4o".into()));
        let config = plan[1].config(None, 5_000);
        assert_eq!(config.profile, Some(Profile::Azure));
        assert_eq!(config.api_key.as_deref(), Some(""), "no key: none is sent, not the gateway's");
        assert_eq!((config.max_retries, config.total_timeout_ms), (Some(0), Some(5_000)));
        // Weight 0 is still served, as the only deployment.
        assert_eq!(routes.plan("claude-3", |_| 9)[0].deployment.name, "c");
        assert!(routes.plan("unknown", |_| 0).is_empty());
        assert!(routes.balances(routes.route("gpt-4o").unwrap()) && !routes.balances(routes.route("small").unwrap()));
    }

    #[test]
    fn ordered_strategy_and_fallback_cycles_are_bounded() {
        let doc = r#"{"strategy": "ordered", "models": [
            {"model": "x", "fallbacks": ["y", "x"], "deployments": [{"name": "x1", "base_url": "http://x"}, {"name": "x2", "base_url": "http://x"}]},
            {"model": "y", "fallbacks": ["x"], "deployments": [{"name": "y1", "base_url": "http://y"}]}
        ]}"#;
        let routes = Routes::parse(doc).unwrap();
        let plan: Vec<&str> = routes.plan("x", |_| 1).iter().map(|a| a.deployment.name.as_str()).collect();
        assert_eq!(plan, ["x1", "x2", "y1"], "each deployment once, in the document's order");
    }

    #[test]
    fn a_wrong_document_is_named_without_its_values() {
        let wrong = [
            (r#"{"models": [{"model": "m", "deployments": []}]}"#, "at least one deployment"),
            (
                r#"{"models": [{"model": "m", "deployments": [{"name": "a", "base_url": "ftp://x"}]}]}"#,
                "http:// or https://",
            ),
            (
                r#"{"models": [{"model": "m", "deployments": [{"name": "a", "base_url": "http://x", "profile": "nope"}]}]}"#,
                "profile",
            ),
            (
                r#"{"models": [{"model": "m", "deployments": [{"name": "a", "base_url": "http://x"}, {"name": "a", "base_url": "http://y"}]}]}"#,
                "used twice",
            ),
            (
                r#"{"models": [{"model": "m", "deployments": [{"name": "a", "base_url": "http://x", "api_key": "sk-secret"}]}]}"#,
                "`models[0].deployments[0].api_key`",
            ),
            (
                r#"{"models": [{"model": "m", "deployments": [{"name": "a", "base_url": "http://x", "weight": "sk-secret"}]}]}"#,
                "`models[0].deployments[0].weight`",
            ),
            (r#"{"keys": {"k": {"rpm": -1}}}"#, "`keys.k.rpm`"),
            (r#"{"strategy": "random"}"#, "`strategy`"),
            ("not json", "is not JSON"),
        ];
        for (doc, expected) in wrong {
            let error = Routes::parse(doc).unwrap_err();
            assert!(error.contains(expected), "{doc}: {error}");
            assert!(!error.contains("sk-secret"), "{error}");
        }
    }

    #[test]
    fn the_documented_example_parses() {
        // docs/gateway.md's complete example is the document a reader copies: it must be valid.
        let page = include_str!("../../docs/gateway.md");
        let section = &page[page.find("## Routes and limits").expect("the section")..];
        let start = section.find("```json\n").expect("the example") + "```json\n".len();
        let example = &section[start..start + section[start..].find("```").unwrap()];
        let routes = Routes::parse(example).unwrap();
        assert_eq!(routes.models.len(), 3);
        assert_eq!(
            routes.plan("gpt-4o", |_| 3).iter().map(|a| a.deployment.name.as_str()).collect::<Vec<_>>(),
            ["azure-east", "openai", "litellm"]
        );
        assert!(routes.keys["team-a"].allows("gpt-4o-mini") && routes.keys.contains_key("*"));
    }

    #[test]
    fn upstream_failures_fall_back_and_the_callers_errors_do_not() {
        use litellm_client::{ApiError, Failure};
        let api = |status: u16| ApiError { status, message: "m".into(), code: None, retry_after_ms: None, attempts: 1 };
        let failure = Failure { message: "m".into(), attempts: 1 };
        for error in [
            Error::RateLimited(api(429)),
            Error::QuotaExceeded(api(429)),
            Error::Upstream(api(503)),
            Error::Timeout(failure.clone()),
            Error::Transport(failure.clone()),
        ] {
            assert!(falls_back(&error), "{}", error.kind());
        }
        for error in [
            Error::BadRequest(api(400)),
            Error::Unauthorized(api(401)),
            Error::ContextLengthExceeded(api(400)),
            Error::InvalidRequest("m".into()),
            Error::Upstream(api(404)),
            Error::MalformedResponse("m".into()),
        ] {
            assert!(!falls_back(&error), "{}", error.kind());
        }
    }
}
