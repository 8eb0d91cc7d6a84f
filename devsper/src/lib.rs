//! `litellm-devsper`: a drop-in [`devsper_core::LlmProvider`] for LiteLLM and other
//! OpenAI-compatible endpoints that runs the `litellm-provider` WebAssembly component in
//! `litellm-host`'s sandbox instead of calling the endpoint from native code.
//!
//! It replaces `devsper_providers::LiteLlmProvider` with one constructor:
//!
//! ```no_run
//! use devsper_core::{LlmMessage, LlmProvider, LlmRequest, LlmRole};
//! use litellm_devsper::WasmLiteLlmProvider;
//!
//! # async fn demo() -> anyhow::Result<()> {
//! // Before: devsper_providers::LiteLlmProvider::new("http://localhost:4000", "sk-key")
//! let provider = WasmLiteLlmProvider::new("http://localhost:4000", "sk-key");
//!
//! let answer = provider
//!     .generate(LlmRequest {
//!         model: "litellm:gpt-4o".into(),
//!         messages: vec![LlmMessage { role: LlmRole::User, content: "Hello".into() }],
//!         tools: vec![],
//!         max_tokens: Some(64),
//!         temperature: None,
//!         system: Some("Be brief.".into()),
//!     })
//!     .await;
//! match answer {
//!     Ok(answer) => println!("{} ({} + {} tokens)", answer.content, answer.input_tokens, answer.output_tokens),
//!     // The contract's typed error is the error's root: 429 and 401 can be told apart.
//!     Err(e) => match e.downcast_ref::<litellm_host::CallError>() {
//!         Some(call) if call.kind() == "rate-limited" => eprintln!("slow down: {call}"),
//!         _ => eprintln!("{e:#}"),
//!     },
//! }
//! # Ok(()) }
//! ```
//!
//! Every call gets a fresh instance of the component with its tenant's policy: the tenant made by
//! [`WasmLiteLlmProvider::new`] may reach the base URL's origin and nothing else. A platform that
//! runs many tenants builds its own [`litellm_host::Host`] once and one provider per tenant with
//! [`WasmLiteLlmProvider::with_host`].
//!
//! What the seed dropped goes through: the system prompt, the tools, the model's tool calls, the
//! stop-sequence stop reason. A response without `usage` counts 0 and 0 tokens instead of failing.
//! An error is an [`anyhow::Error`] whose root is [`litellm_host::CallError`], with the server's
//! message capped at 1000 characters and the key scrubbed from it.
#![deny(missing_docs)]

use async_trait::async_trait;
use devsper_core::{LlmMessage, LlmProvider, LlmRequest, LlmResponse, LlmRole, StopReason};
use litellm_host::{Config, Host, Message, Request, Response, Role, Tenant, ToolCall, ToolDef, Usage, WarmClient};
use serde_json::Value;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// The provider's name, as devsper's router and logs show it (the seed's).
pub const NAME: &str = "litellm";
/// The model prefix the provider takes (the seed's rule).
pub const MODEL_PREFIX: &str = "litellm:";
/// The name of the tenant [`WasmLiteLlmProvider::new`] makes, as it appears in the host's spans.
pub const TENANT_NAME: &str = "devsper";

/// A devsper [`LlmProvider`] backed by the `litellm-provider` component in a wasmtime sandbox.
///
/// Cheap to share behind an `Arc`, as devsper's router holds it. Each `generate` is one call of
/// the component in the provider's warm instance ([`Host::warm`]: kept between its calls, as the
/// seed keeps its HTTP client; a second instance for a concurrent call), with the contract's
/// timeouts and retries (2 retries on 408, 409, 429, 5xx and connection failures, honouring
/// `Retry-After`).
pub struct WasmLiteLlmProvider {
    calls: Result<WarmClient, HostUnavailable>,
    tenant: Tenant,
    config: Config,
}

impl WasmLiteLlmProvider {
    /// The seed's constructor: `base_url` is the endpoint (e.g. `http://localhost:4000`; a
    /// trailing `/` or `/v1` is ignored), `api_key` may be empty, and then no key is sent.
    ///
    /// The provider runs on the process-wide host ([`shared_host`]), made by the first
    /// provider built this way: that first call compiles the component, which takes a moment (on a
    /// multi-threaded tokio runtime it runs in `block_in_place`). The provider's tenant may reach
    /// the origin of `base_url` and no other.
    ///
    /// The signature cannot fail, so a host that cannot be made is kept: every `generate` of this
    /// provider returns that [`HostUnavailable`] error, and the next provider made tries again.
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Self {
        let base_url = base_url.into();
        let api_key = api_key.into();
        let tenant = Tenant::new(TENANT_NAME).allow_origin(&base_url);
        let config = Config {
            base_url: Some(base_url),
            api_key: (!api_key.is_empty()).then(|| api_key.into()),
            ..Config::default()
        };
        let calls = shared_host().map(|host| host.warm(&tenant, config.clone()));
        Self { calls, tenant, config }
    }

    /// A provider on a host of the caller's, for a platform running many tenants: each tenant's
    /// policy (allowed origins, environment, memory, deadline, concurrency) and configuration
    /// (profile, base URL, key, timeouts, retries) are the caller's.
    pub fn with_host(host: Arc<Host>, tenant: Tenant, config: Config) -> Self {
        Self { calls: Ok(host.warm(&tenant, config.clone())), tenant, config }
    }

    /// The tenant the provider's calls run for.
    pub fn tenant(&self) -> &Tenant {
        &self.tenant
    }

    /// The configuration every call passes to the component.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

impl fmt::Debug for WasmLiteLlmProvider {
    /// The tenant and the configuration, whose `Debug` hide the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasmLiteLlmProvider")
            .field("host", &self.calls.as_ref().map(|_| "Host").map_err(ToString::to_string))
            .field("tenant", &self.tenant)
            .field("config", &self.config)
            .finish()
    }
}

#[async_trait]
impl LlmProvider for WasmLiteLlmProvider {
    async fn generate(&self, req: LlmRequest) -> anyhow::Result<LlmResponse> {
        let calls = self.calls.as_ref().map_err(|e| anyhow::Error::new(e.clone()))?;
        let request = to_contract(req);
        tracing::debug!(
            model = %request.model,
            provider = NAME,
            tenant = self.tenant.name(),
            "LiteLLM request through the sandboxed component"
        );
        let response = calls.generate(request).await?;
        Ok(from_contract(response))
    }

    fn name(&self) -> &str {
        NAME
    }

    fn supports_model(&self, model: &str) -> bool {
        model.starts_with(MODEL_PREFIX)
    }
}

/// The host could not be made (the component missing or not compiling): returned by every
/// `generate` of a provider made by [`WasmLiteLlmProvider::new`] then. Its source is the host's
/// own error.
#[derive(Clone)]
pub struct HostUnavailable(Arc<anyhow::Error>);

impl fmt::Display for HostUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the litellm-host sandbox could not be started: {:#}", self.0)
    }
}

impl fmt::Debug for HostUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("HostUnavailable").field(&self.0).finish()
    }
}

impl std::error::Error for HostUnavailable {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let inner: &(dyn std::error::Error + Send + Sync + 'static) = &**self.0;
        Some(inner)
    }
}

static SHARED_HOST: OnceLock<Arc<Host>> = OnceLock::new();
/// Held while the shared host is being made, so that it is made once.
static MAKING: Mutex<()> = Mutex::new(());

/// The process-wide host of the providers made by [`WasmLiteLlmProvider::new`]: made (the
/// component compiled) on first use with [`Host::new`]. After a failure the next use tries again.
/// A platform may pass it to [`WasmLiteLlmProvider::with_host`] too.
pub fn shared_host() -> Result<Arc<Host>, HostUnavailable> {
    if let Some(host) = SHARED_HOST.get() {
        return Ok(host.clone());
    }
    let _making = MAKING.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(host) = SHARED_HOST.get() {
        return Ok(host.clone());
    }
    let host = Arc::new(blocking(Host::new).map_err(|e| HostUnavailable(Arc::new(e)))?);
    Ok(SHARED_HOST.get_or_init(|| host).clone())
}

/// Runs `f`, telling a multi-threaded tokio runtime that this thread blocks meanwhile.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// devsper's request as the contract's. Every field of devsper's request has a place in the
/// contract; the contract's other options stay unset.
pub fn to_contract(req: LlmRequest) -> Request {
    Request {
        model: req.model,
        messages: req.messages.into_iter().map(message).collect(),
        tools: req.tools.into_iter().map(tool_def).collect(),
        max_tokens: req.max_tokens,
        temperature: req.temperature,
        system: req.system,
        ..Request::default()
    }
}

/// One message. devsper's [`LlmMessage`] is a role and a text only: a `Tool` message carries no
/// call id, so the contract sends it as `user` (as the seed did), and an assistant message carries
/// no tool calls.
fn message(m: LlmMessage) -> Message {
    let role = match m.role {
        LlmRole::System => Role::System,
        LlmRole::User => Role::User,
        LlmRole::Assistant => Role::Assistant,
        LlmRole::Tool => Role::Tool,
    };
    Message::text(role, m.content)
}

/// One tool: the JSON Schema as JSON text, an empty description as none. A `null` schema (a tool
/// without arguments) becomes the empty object schema, since the contract requires an object.
fn tool_def(t: devsper_core::ToolDef) -> ToolDef {
    let parameters = match t.parameters {
        Value::Null => serde_json::json!({"type": "object", "properties": {}}),
        schema => schema,
    };
    ToolDef {
        name: t.name,
        description: (!t.description.is_empty()).then_some(t.description),
        parameters: parameters.to_string(),
    }
}

/// The contract's response as devsper's. No usage counts 0 and 0. devsper's response has no
/// place for reasoning, which is dropped, nor for a refusal: a refusal with no content becomes
/// the content (else the agent would see an empty answer with no reason).
pub fn from_contract(r: Response) -> LlmResponse {
    let Usage { input_tokens, output_tokens } = r.usage.unwrap_or(Usage { input_tokens: 0, output_tokens: 0 });
    let content = match r.refusal {
        Some(refusal) if r.content.is_empty() => refusal,
        _ => r.content,
    };
    LlmResponse {
        content,
        tool_calls: r.tool_calls.into_iter().map(tool_call).collect(),
        input_tokens,
        output_tokens,
        model: r.model,
        stop_reason: stop_reason(r.stop_reason),
    }
}

/// One tool call, its arguments parsed as JSON; text that is not JSON is kept as a JSON string.
fn tool_call(c: ToolCall) -> devsper_core::ToolCall {
    let arguments = serde_json::from_str(&c.arguments).unwrap_or(Value::String(c.arguments));
    devsper_core::ToolCall { id: c.id, name: c.name, arguments }
}

/// The contract's stop reason as devsper's. devsper has no content-filter case: `content-filter`
/// becomes [`StopReason::EndTurn`] (the answer is over, and asking again with more tokens, as
/// `MaxTokens` would suggest, will not help), which is also what the seed returns for
/// `content_filter`.
pub fn stop_reason(reason: litellm_host::StopReason) -> StopReason {
    match reason {
        litellm_host::StopReason::EndTurn | litellm_host::StopReason::ContentFilter => StopReason::EndTurn,
        litellm_host::StopReason::ToolUse => StopReason::ToolUse,
        litellm_host::StopReason::MaxTokens => StopReason::MaxTokens,
        litellm_host::StopReason::StopSequence => StopReason::StopSequence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(arguments: &str) -> ToolCall {
        ToolCall { id: "call_1".into(), name: "f".into(), arguments: arguments.into() }
    }

    #[test]
    fn arguments_are_parsed_and_non_json_is_kept_as_text() {
        assert_eq!(tool_call(call(r#"{"city":"Paris"}"#)).arguments, json!({"city": "Paris"}));
        assert_eq!(tool_call(call("{\"city\": ")).arguments, json!("{\"city\": "));
        assert_eq!(tool_call(call("")).arguments, json!(""));
        assert_eq!(tool_call(call("42")).arguments, json!(42));
    }

    #[test]
    fn every_role_and_field_has_a_place() {
        let roles = [LlmRole::System, LlmRole::User, LlmRole::Assistant, LlmRole::Tool];
        let request = to_contract(LlmRequest {
            model: "litellm:gpt-4o".into(),
            messages: roles.into_iter().map(|role| LlmMessage { role, content: "x".into() }).collect(),
            tools: vec![
                devsper_core::ToolDef {
                    name: "get_weather".into(),
                    description: "The weather".into(),
                    parameters: json!({"type": "object", "properties": {"city": {"type": "string"}}}),
                },
                devsper_core::ToolDef { name: "now".into(), description: String::new(), parameters: Value::Null },
            ],
            max_tokens: Some(7),
            temperature: Some(0.5),
            system: Some("Be brief.".into()),
        });
        let roles: Vec<Role> = request.messages.iter().map(|m| m.role).collect();
        assert_eq!(roles, [Role::System, Role::User, Role::Assistant, Role::Tool]);
        assert!(request.messages.iter().all(|m| m.tool_call_id.is_none() && m.tool_calls.is_empty()));
        assert_eq!(request.model, "litellm:gpt-4o");
        assert_eq!((request.max_tokens, request.temperature), (Some(7), Some(0.5)));
        assert_eq!(request.system.as_deref(), Some("Be brief."));
        assert_eq!(request.tools[0].description.as_deref(), Some("The weather"));
        let schema: Value = serde_json::from_str(&request.tools[0].parameters).unwrap();
        assert_eq!(schema["properties"]["city"]["type"], "string");
        assert_eq!(request.tools[1].description, None);
        assert_eq!(request.tools[1].parameters, r#"{"properties":{},"type":"object"}"#);
    }

    #[test]
    fn response_mapping_usage_refusal_and_stop_reasons() {
        let response = from_contract(Response {
            content: "hi".into(),
            tool_calls: vec![call(r#"{"a":1}"#)],
            usage: None,
            model: "gpt-4o".into(),
            stop_reason: litellm_host::StopReason::ToolUse,
            reasoning: Some("hidden".into()),
            refusal: None,
        });
        assert_eq!((response.input_tokens, response.output_tokens), (0, 0));
        assert_eq!(response.tool_calls[0].arguments, json!({"a": 1}));
        assert!(matches!(response.stop_reason, StopReason::ToolUse));
        let refused = |content: &str| Response {
            content: content.into(),
            tool_calls: vec![],
            usage: None,
            model: "gpt-4o".into(),
            stop_reason: litellm_host::StopReason::EndTurn,
            reasoning: None,
            refusal: Some("I can't help with that.".into()),
        };
        assert_eq!(from_contract(refused("")).content, "I can't help with that.");
        assert_eq!(from_contract(refused("Partial")).content, "Partial");
        use litellm_host::StopReason as C;
        let mapped = [C::EndTurn, C::ToolUse, C::MaxTokens, C::StopSequence, C::ContentFilter].map(stop_reason);
        assert!(matches!(
            mapped,
            [
                StopReason::EndTurn,
                StopReason::ToolUse,
                StopReason::MaxTokens,
                StopReason::StopSequence,
                StopReason::EndTurn
            ]
        ));
    }

    #[test]
    fn new_sends_the_key_only_when_not_empty_and_allows_only_its_origin() {
        let with_key = WasmLiteLlmProvider::new("http://127.0.0.1:4000", "sk-test-1");
        assert_eq!(with_key.config().api_key.as_ref().map(|k| k.expose()), Some("sk-test-1"));
        assert_eq!(with_key.config().base_url.as_deref(), Some("http://127.0.0.1:4000"));
        assert!(!format!("{with_key:?}").contains("sk-test-1"));
        let without = WasmLiteLlmProvider::new("http://127.0.0.1:4000", "");
        assert_eq!(without.config().api_key, None);
        assert_eq!(without.name(), "litellm");
        assert!(without.supports_model("litellm:gpt-4o"));
        assert!(!without.supports_model("gpt-4o"));
    }

    #[tokio::test]
    async fn a_host_that_could_not_start_is_every_generate_s_error() {
        let failure = anyhow::anyhow!("no such file").context("loading the component");
        let provider = WasmLiteLlmProvider {
            calls: Err(HostUnavailable(Arc::new(failure))),
            tenant: Tenant::new("t"),
            config: Config::default(),
        };
        for _ in 0..2 {
            let request = LlmRequest {
                model: "litellm:gpt-4o".into(),
                messages: vec![LlmMessage { role: LlmRole::User, content: "hi".into() }],
                tools: vec![],
                max_tokens: None,
                temperature: None,
                system: None,
            };
            let err = provider.generate(request).await.unwrap_err();
            assert!(err.downcast_ref::<HostUnavailable>().is_some());
            assert_eq!(
                err.to_string(),
                "the litellm-host sandbox could not be started: loading the component: no such file"
            );
            assert_eq!(err.root_cause().to_string(), "no such file");
        }
    }
}
