//! The gateway's own settings, read from its environment at each request: who may call it
//! (client keys), which models, which extra body fields, and the limits of a request. Pure:
//! tested natively; `lib.rs` hands it the environment.
//!
//! The variables, their defaults and what a platform must still do are documented in
//! `docs/gateway.md`; the names and defaults themselves live here, once.

use crate::routes::{KeyPolicy, Routes};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use subtle::ConstantTimeEq;

/// The body fields a passthrough list can never admit: each would redirect the call elsewhere,
/// re-key it, or change the upstream's credentials, routing, fallbacks or prices on the gateway's
/// key (LiteLLM's proxy and SDK read them from a request body). Whole families are refused by
/// prefix and suffix too: see [`never_passed`].
pub const NEVER_PASSED: &[&str] = &[
    "api_base",
    "base_url",
    "api_key",
    "api_version",
    "api_type",
    "organization",
    "extra_headers",
    "headers",
    "user_config",
    "custom_llm_provider",
    "mock_response",
    "fallbacks",
    "context_window_fallbacks",
    "content_policy_fallbacks",
    "model_list",
    "input_cost_per_token",
    "output_cost_per_token",
];

/// Name prefixes and suffixes a passthrough list can never admit, for the families of fields
/// LiteLLM reads credentials, endpoints and prices from: every `aws_*` (endpoint, role, profile,
/// web identity…), `vertex_*` and `vertex_ai_*` alias, `azure_*`, and every `*_cost_per_token` /
/// `*_cost_per_*` price.
const NEVER_PASSED_PREFIXES: &[&str] = &["aws_", "vertex_", "azure_", "litellm_"];
const NEVER_PASSED_SUFFIXES: &[&str] = &["_cost_per_token", "_cost_per_second", "_cost_per_request", "_fallbacks"];

/// Whether a passthrough list may never admit `field` ([`NEVER_PASSED`] and its families).
pub fn never_passed(field: &str) -> bool {
    let field = field.to_ascii_lowercase();
    NEVER_PASSED.contains(&field.as_str())
        || NEVER_PASSED_PREFIXES.iter().any(|p| field.starts_with(p))
        || NEVER_PASSED_SUFFIXES.iter().any(|s| field.ends_with(s))
        || field.contains("cost_per_")
}

/// The default cap on a request body (4 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 << 20;
/// The default deadline for a request body to arrive.
pub const DEFAULT_BODY_TIMEOUT_MS: u64 = 30_000;
/// The default deadline of a whole request.
pub const DEFAULT_TIMEOUT_MS: u32 = 600_000;

/// One client key and the name the access log shows for it.
pub struct ClientKey {
    name: String,
    key: String,
}

impl std::fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClientKey({}, ***)", self.name)
    }
}

/// Who may call the gateway.
#[derive(Debug)]
pub enum Auth {
    /// No key configured and not opened: every route but `/health` answers 401.
    Closed,
    /// Opened explicitly with `LITELLM_GATEWAY_AUTH=none`.
    Open,
    /// A request must carry one of these keys.
    Keys(Vec<ClientKey>),
}

/// Why a request's key was not accepted.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The gateway has no keys and was not opened.
    NotConfigured,
    /// No key, or not one of the gateway's.
    WrongKey,
}

/// Who called: the key's name, or `None` on an open gateway.
pub type Caller = Option<String>;

impl Auth {
    /// Checks a request's key (`Authorization: Bearer KEY` or Azure's `api-key: KEY`). Every
    /// configured key is compared, each in constant time, so the time taken says nothing about
    /// which one (or how much of one) matched.
    pub fn check(&self, authorization: Option<&str>, api_key: Option<&str>) -> Result<Caller, Refusal> {
        let keys = match self {
            Auth::Open => return Ok(None),
            Auth::Closed => return Err(Refusal::NotConfigured),
            Auth::Keys(keys) => keys,
        };
        let bearer = authorization.and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
        let given = bearer.or(api_key.map(str::trim)).filter(|k| !k.is_empty()).ok_or(Refusal::WrongKey)?;
        // Digests of equal length are compared, so that neither the time nor an early return on
        // a length mismatch (which `ct_eq` on slices makes) says how long a key is.
        let given = Sha256::digest(given.as_bytes());
        let mut found = None;
        for key in keys {
            if bool::from(Sha256::digest(key.key.as_bytes()).ct_eq(&given)) {
                found = Some(key.name.clone());
            }
        }
        found.map(Some).ok_or(Refusal::WrongKey)
    }
}

/// A `LITELLM_GATEWAY_KEYS` entry as `(name, key)` when it names its key: `name=key` with a
/// name of letters, digits, `-`, `_` and `.`, and a key that is more than `=` padding. Anything
/// else is a key without a name, whole: a base64 key ending in `==` (or holding `+` or `/`
/// before its first `=`) keeps every character and never shows in the log as a name.
fn named_key(entry: &str) -> Option<(&str, &str)> {
    let (name, key) = entry.split_once('=')?;
    let (name, key) = (name.trim(), key.trim());
    let is_name = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    (is_name && !key.chars().all(|c| c == '=')).then_some((name, key))
}

/// Which models may be called.
#[derive(Debug, Default)]
pub struct Models(Vec<String>);

impl Models {
    /// Whether `model` is allowed: every model without a list; else one equal to an entry, or
    /// starting with an entry's text before its trailing `*`.
    pub fn allows(&self, model: &str) -> bool {
        self.0.is_empty()
            || self.0.iter().any(|entry| match entry.strip_suffix('*') {
                Some(prefix) => model.starts_with(prefix),
                None => model == entry,
            })
    }
}

/// Everything the gateway reads from its environment.
#[derive(Debug)]
pub struct Settings {
    /// Who may call.
    pub auth: Auth,
    /// Which models.
    pub models: Models,
    /// Extra top-level body fields passed to the upstream as they are.
    pub passthrough: Vec<String>,
    /// The largest request body, in bytes.
    pub max_body_bytes: usize,
    /// How long a request body may take to arrive, in ms.
    pub body_timeout_ms: u64,
    /// A whole request's deadline, in ms.
    pub timeout_ms: u32,
    /// Which images and files a client may send.
    pub media: Media,
    /// The routes document (`LITELLM_GATEWAY_ROUTES`): deployments, fallbacks, keys' limits.
    pub routes: Option<Routes>,
    /// The deployments' keys, read from the variables the document names.
    pub secrets: Secrets,
}

/// The policy name that applies to every key without one of its own (and to every caller of an
/// open gateway).
pub const EVERY_KEY: &str = "*";

/// The deployments' keys by the name of the variable that holds each. `Debug` shows the names.
#[derive(Default)]
pub struct Secrets(BTreeMap<String, String>);

impl Secrets {
    /// The key held by variable `name`.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys().map(|name| format!("{name}=***"))).finish()
    }
}

/// Which images and files a client may send (`LITELLM_GATEWAY_MEDIA`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Media {
    /// Any: image URLs, which the upstream fetches, and file ids, which it looks up (the default).
    #[default]
    Any,
    /// Only what the request carries itself: `data:` images and inline file data. An image URL
    /// would make the upstream fetch an address the client chose, on the gateway's key; a file id
    /// would read a file of the gateway's account.
    Inline,
}

impl Media {
    /// Refuses the first image URL or file id of `request` when only inline media are allowed.
    pub fn check(self, request: &litellm_client::Request) -> Result<(), String> {
        if self == Media::Any {
            return Ok(());
        }
        for (i, message) in request.messages.iter().enumerate() {
            for part in &message.parts {
                let refused = match part {
                    litellm_client::ContentPart::Image(image) if !image.url.starts_with("data:") => "an image URL",
                    litellm_client::ContentPart::File(file) if file.file_id.is_some() => "a file id",
                    _ => continue,
                };
                return Err(format!(
                    "message {i} holds {refused}: this gateway takes only inline media \
                     (LITELLM_GATEWAY_MEDIA=inline); send images as data: URLs and files as file_data"
                ));
            }
        }
        Ok(())
    }
}

fn list(value: Option<String>) -> Vec<String> {
    value.unwrap_or_default().split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn number<T: std::str::FromStr + PartialOrd + Default>(
    env: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: T,
) -> Result<T, String> {
    match env(name).filter(|v| !v.trim().is_empty()) {
        None => Ok(default),
        Some(v) => match v.trim().parse::<T>() {
            Ok(n) if n > T::default() => Ok(n),
            _ => Err(format!("{name} must be a whole number greater than 0, not {v:?}")),
        },
    }
}

impl Settings {
    /// Reads the settings; an error names the variable that is wrong (and never shows a key).
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let keys = list(env("LITELLM_GATEWAY_KEYS"));
        let auth = match env("LITELLM_GATEWAY_AUTH").as_deref().map(str::trim) {
            Some("none") => Auth::Open,
            None | Some("" | "keys") if keys.is_empty() => Auth::Closed,
            None | Some("" | "keys") => {
                let mut parsed = Vec::with_capacity(keys.len());
                for (i, entry) in keys.iter().enumerate() {
                    let (name, key) = match named_key(entry) {
                        Some((name, key)) => (name.to_owned(), key.to_owned()),
                        None => (format!("key-{}", i + 1), entry.clone()),
                    };
                    if name.is_empty() || key.is_empty() {
                        return Err(format!("LITELLM_GATEWAY_KEYS entry {} has an empty name or key", i + 1));
                    }
                    parsed.push(ClientKey { name, key });
                }
                Auth::Keys(parsed)
            }
            Some(other) => return Err(format!("LITELLM_GATEWAY_AUTH must be keys or none, not {other:?}")),
        };
        let passthrough = list(env("LITELLM_GATEWAY_PASSTHROUGH"));
        if let Some(field) = passthrough.iter().find(|f| never_passed(f)) {
            return Err(format!(
                "LITELLM_GATEWAY_PASSTHROUGH may not admit {field:?}: it redirects or re-keys the call"
            ));
        }
        let routes = match env("LITELLM_GATEWAY_ROUTES").filter(|v| !v.trim().is_empty()) {
            Some(text) => Some(Routes::parse(&text)?),
            None => None,
        };
        let mut secrets = BTreeMap::new();
        if let Some(routes) = &routes {
            for name in routes.keys.keys().filter(|name| *name != EVERY_KEY) {
                let known = matches!(&auth, Auth::Keys(keys) if keys.iter().any(|k| &k.name == name));
                if !known {
                    return Err(format!(
                        "LITELLM_GATEWAY_ROUTES: keys names {name:?}, which is not a key name of LITELLM_GATEWAY_KEYS \
                         (name a key `{name}=KEY`, or use \"{EVERY_KEY}\" for every key)"
                    ));
                }
            }
            for deployment in routes.models.iter().flat_map(|route| &route.deployments) {
                if let Some(name) = &deployment.api_key_secret {
                    let key = env(name).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
                        format!(
                            "LITELLM_GATEWAY_ROUTES: deployment {:?} takes its key from {name}, which is not set",
                            deployment.name
                        )
                    })?;
                    secrets.insert(name.clone(), key.trim().to_owned());
                }
            }
        }
        Ok(Settings {
            routes,
            secrets: Secrets(secrets),
            auth,
            models: Models(list(env("LITELLM_GATEWAY_MODELS"))),
            passthrough,
            max_body_bytes: number(&env, "LITELLM_GATEWAY_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)?,
            body_timeout_ms: number(&env, "LITELLM_GATEWAY_BODY_TIMEOUT_MS", DEFAULT_BODY_TIMEOUT_MS)?,
            timeout_ms: number(&env, "LITELLM_GATEWAY_TIMEOUT_MS", DEFAULT_TIMEOUT_MS)?,
            media: match env("LITELLM_GATEWAY_MEDIA").as_deref().map(str::trim) {
                None | Some("" | "any") => Media::Any,
                Some("inline") => Media::Inline,
                Some(other) => return Err(format!("LITELLM_GATEWAY_MEDIA must be any or inline, not {other:?}")),
            },
        })
    }

    /// The policy of the caller named `client` (`None`: an open gateway's caller): its own, else
    /// the one for [`EVERY_KEY`]; and the name its counters go under.
    pub fn policy(&self, client: Option<&str>) -> Option<(&KeyPolicy, String)> {
        let keys = &self.routes.as_ref()?.keys;
        let name = client.unwrap_or(EVERY_KEY);
        keys.get(name).or_else(|| keys.get(EVERY_KEY)).map(|policy| (policy, name.to_owned()))
    }

    /// Whether the gateway was opened to anyone (`LITELLM_GATEWAY_AUTH=none`).
    pub fn is_open(&self) -> bool {
        matches!(self.auth, Auth::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, String> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_env(move |name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    #[test]
    fn closed_by_default_and_open_only_when_asked() {
        let closed = settings(&[]).unwrap();
        assert_eq!(closed.auth.check(Some("Bearer anything"), None), Err(Refusal::NotConfigured));
        let open = settings(&[("LITELLM_GATEWAY_AUTH", "none")]).unwrap();
        assert_eq!(open.auth.check(None, None), Ok(None));
        assert!(open.is_open());
        assert!(settings(&[("LITELLM_GATEWAY_AUTH", "off")]).unwrap_err().contains("keys or none"));
    }

    #[test]
    fn keys_named_or_plain_in_either_header() {
        let s = settings(&[("LITELLM_GATEWAY_KEYS", "team-a=sk-aaa, sk-plain ,team-b = sk-bbb")]).unwrap();
        assert_eq!(s.auth.check(Some("Bearer sk-aaa"), None), Ok(Some("team-a".into())));
        assert_eq!(s.auth.check(Some("bearer  sk-plain"), None), Ok(Some("key-2".into())));
        assert_eq!(s.auth.check(None, Some("sk-bbb")), Ok(Some("team-b".into())));
        for (authorization, api_key) in
            [(Some("Bearer sk-aa"), None), (Some("Bearer sk-aaaa"), None), (Some("sk-aaa"), None), (None, None)]
        {
            assert_eq!(s.auth.check(authorization, api_key), Err(Refusal::WrongKey), "{authorization:?}");
        }
        assert!(!format!("{s:?}").contains("sk-aaa"), "Debug hides the keys");
    }

    #[test]
    fn inline_media_refuses_image_urls_and_file_ids() {
        use litellm_client::{ContentPart, FilePart, ImageUrl, Message, Request, Role};
        let with = |part: ContentPart| Request {
            messages: vec![Message { parts: vec![part], ..Message::text(Role::User, "look") }],
            ..Request::user("m", "x")
        };
        let url = with(ContentPart::Image(ImageUrl { url: "http://169.254.169.254/".into(), detail: None }));
        let data = with(ContentPart::Image(ImageUrl { url: "data:image/png;base64,AAAA".into(), detail: None }));
        let file_id = with(ContentPart::File(FilePart { data: None, file_id: Some("file-1".into()), filename: None }));
        let inline = settings(&[("LITELLM_GATEWAY_MEDIA", "inline")]).unwrap().media;
        assert!(inline.check(&url).unwrap_err().contains("an image URL"));
        assert!(inline.check(&file_id).unwrap_err().contains("a file id"));
        assert_eq!(inline.check(&data), Ok(()));
        let any = settings(&[]).unwrap().media;
        assert_eq!((any, any.check(&url)), (Media::Any, Ok(())), "the default takes every form");
        assert!(settings(&[("LITELLM_GATEWAY_MEDIA", "none")]).unwrap_err().contains("any or inline"));
    }

    #[test]
    fn base64_keys_keep_every_character_and_are_never_a_name() {
        // Base64 keys end in `=` padding and may hold `+` and `/`: each is a key, whole.
        let keys = "c2stYWJjZA==,c2stYWJjZGU=,team-c=c2stZGVmZw==,a+b/c=d==";
        let s = settings(&[("LITELLM_GATEWAY_KEYS", keys)]).unwrap();
        assert_eq!(s.auth.check(Some("Bearer c2stYWJjZA=="), None), Ok(Some("key-1".into())));
        assert_eq!(s.auth.check(Some("Bearer c2stYWJjZGU="), None), Ok(Some("key-2".into())));
        assert_eq!(s.auth.check(Some("Bearer a+b/c=d=="), None), Ok(Some("key-4".into())));
        assert_eq!(s.auth.check(Some("Bearer c2stZGVmZw=="), None), Ok(Some("team-c".into())));
        assert_eq!(s.auth.check(Some("Bearer ="), None), Err(Refusal::WrongKey), "no key is `=`");
        assert_eq!(s.auth.check(Some("Bearer c2stYWJjZA"), None), Err(Refusal::WrongKey));
        let Auth::Keys(parsed) = &s.auth else { panic!() };
        let names: Vec<&str> = parsed.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(names, ["key-1", "key-2", "team-c", "key-4"], "no key shows as a name");
        assert_eq!(named_key("team=sk=1"), Some(("team", "sk=1")));
    }

    #[test]
    fn routes_name_configured_keys_and_set_secrets_and_never_show_them() {
        let doc = r#"{"models": [{"model": "m", "deployments": [{"name": "d", "base_url": "http://u", "api_key_secret": "UPSTREAM_KEY"}]}],
                      "keys": {"team-a": {"rpm": 5}, "*": {"models": ["m"]}}}"#;
        let s = settings(&[
            ("LITELLM_GATEWAY_KEYS", "team-a=sk-client,sk-other"),
            ("LITELLM_GATEWAY_ROUTES", doc),
            ("UPSTREAM_KEY", "sk-upstream-secret"),
        ])
        .unwrap();
        assert_eq!(s.secrets.get("UPSTREAM_KEY").as_deref(), Some("sk-upstream-secret"));
        assert!(!format!("{s:?}").contains("sk-upstream-secret"), "Debug names the variable, not the key");
        let (own, name) = s.policy(Some("team-a")).unwrap();
        assert_eq!((own.rpm, name.as_str()), (Some(5), "team-a"));
        let (every, name) = s.policy(Some("key-2")).unwrap();
        assert_eq!(
            (every.models.clone(), name.as_str()),
            (vec!["m".to_owned()], "key-2"),
            "counted under its own name"
        );
        let missing = settings(&[("LITELLM_GATEWAY_KEYS", "team-a=sk-client"), ("LITELLM_GATEWAY_ROUTES", doc)]);
        assert!(missing.unwrap_err().contains("takes its key from UPSTREAM_KEY, which is not set"));
        let unknown = settings(&[
            ("LITELLM_GATEWAY_KEYS", "team-b=sk-client"),
            ("LITELLM_GATEWAY_ROUTES", doc),
            ("UPSTREAM_KEY", "sk-upstream-secret"),
        ]);
        assert!(unknown.unwrap_err().contains("\"team-a\", which is not a key name"));
        assert!(settings(&[]).unwrap().policy(None).is_none(), "no document, no policy");
    }

    #[test]
    fn models_exact_or_by_prefix() {
        let s = settings(&[("LITELLM_GATEWAY_MODELS", "gpt-4o, claude-*")]).unwrap();
        assert!(s.models.allows("gpt-4o") && s.models.allows("claude-sonnet-4"));
        assert!(!s.models.allows("gpt-4o-mini") && !s.models.allows("o3"));
        assert!(settings(&[]).unwrap().models.allows("anything"));
    }

    #[test]
    fn passthrough_never_admits_a_redirect_and_limits_are_numbers() {
        let s = settings(&[("LITELLM_GATEWAY_PASSTHROUGH", "top_k, metadata")]).unwrap();
        assert_eq!(s.passthrough, vec!["top_k".to_owned(), "metadata".to_owned()]);
        for field in NEVER_PASSED {
            let refused = settings(&[("LITELLM_GATEWAY_PASSTHROUGH", field)]).unwrap_err();
            assert!(refused.contains(field), "{refused}");
        }
        // The families: LiteLLM's AWS endpoint/role/profile/web-identity fields, Vertex aliases,
        // prices, fallbacks; in any letter case.
        for field in [
            "aws_bedrock_runtime_endpoint",
            "aws_role_name",
            "aws_profile_name",
            "aws_web_identity_token",
            "aws_sts_endpoint",
            "vertex_ai_project",
            "vertex_ai_location",
            "vertex_ai_credentials",
            "input_cost_per_token",
            "output_cost_per_character",
            "cache_read_input_token_cost_per_token",
            "fallbacks",
            "context_window_fallbacks",
            "AWS_Region_Name",
        ] {
            assert!(never_passed(field), "{field}");
            assert!(settings(&[("LITELLM_GATEWAY_PASSTHROUGH", field)]).is_err(), "{field}");
        }
        for field in ["top_k", "repetition_penalty", "guided_json", "chat_template_kwargs"] {
            assert!(!never_passed(field), "{field}");
        }
        let s = settings(&[]).unwrap();
        assert_eq!((s.max_body_bytes, s.body_timeout_ms, s.timeout_ms), (4 << 20, 30_000, 600_000));
        assert!(settings(&[("LITELLM_GATEWAY_MAX_BODY_BYTES", "0")]).is_err());
        assert!(settings(&[("LITELLM_GATEWAY_BODY_TIMEOUT_MS", "soon")]).unwrap_err().contains("BODY_TIMEOUT"));
    }
}
