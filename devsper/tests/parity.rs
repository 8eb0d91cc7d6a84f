//! Parity with the seed: the same requests through devsper's own `ModelRouter` (it lives in
//! `devsper-providers` 0.2.0, not in `devsper-core`), once holding the seed
//! (`devsper_providers::LiteLlmProvider`, native reqwest) and once holding
//! [`WasmLiteLlmProvider`], both against one `litellm_mock::MockServer`.
//!
//! Where the seed is right the two `LlmResponse`s (and the request bodies) are asserted equal;
//! each place where the seed is wrong has its own test asserting the difference (the README's
//! parity table has one row per test).

use devsper_core::{LlmMessage, LlmProvider, LlmRequest, LlmResponse, LlmRole, ToolDef};
use devsper_providers::{LiteLlmProvider, ModelRouter};
use litellm_devsper::WasmLiteLlmProvider;
use litellm_host::{CallError, Config, ProviderError, Tenant};
use litellm_mock::{MockServer, RecordedRequest};
use serde_json::{json, Value};
use std::sync::Arc;

/// One mock, and a router with the seed and a router with ours, both pointed at it.
struct Pair {
    mock: MockServer,
    seed: ModelRouter,
    ours: ModelRouter,
}

/// What one side got back, and what the mock received from it.
struct Outcome {
    result: anyhow::Result<LlmResponse>,
    requests: Vec<RecordedRequest>,
}

impl Outcome {
    fn ok(&self) -> &LlmResponse {
        self.result.as_ref().unwrap_or_else(|e| panic!("expected an answer, got {e:#}"))
    }

    fn err(&self) -> &anyhow::Error {
        match &self.result {
            Ok(r) => panic!("expected an error, got {r:?}"),
            Err(e) => e,
        }
    }

    /// The one request the side sent.
    fn body(&self) -> &Value {
        assert_eq!(self.requests.len(), 1, "one request expected");
        &self.requests[0].body
    }

    /// The typed error at the root of ours.
    fn call_error(&self) -> &CallError {
        self.err().downcast_ref::<CallError>().unwrap_or_else(|| panic!("not a CallError: {:#}", self.err()))
    }

    fn provider_error(&self) -> &ProviderError {
        match self.call_error() {
            CallError::Provider(e) => e,
            other => panic!("expected a provider error, got {other}"),
        }
    }
}

impl Pair {
    async fn new(api_key: &str) -> Pair {
        let mock = MockServer::start().await.expect("mock starts");
        let url = mock.base_url();
        let seed = ModelRouter::new().with_provider(Arc::new(LiteLlmProvider::new(url.clone(), api_key)));
        let ours = ModelRouter::new().with_provider(Arc::new(WasmLiteLlmProvider::new(url, api_key)));
        Pair { mock, seed, ours }
    }

    async fn run(&self, router: &ModelRouter, req: &LlmRequest) -> Outcome {
        self.mock.take_requests();
        let result = router.generate(req.clone()).await;
        Outcome { result, requests: self.mock.take_requests() }
    }

    /// The same request through the seed, then through ours.
    async fn both(&self, req: LlmRequest) -> (Outcome, Outcome) {
        (self.run(&self.seed, &req).await, self.run(&self.ours, &req).await)
    }
}

fn user(content: &str) -> LlmMessage {
    LlmMessage { role: LlmRole::User, content: content.into() }
}

fn request(model: &str, messages: Vec<LlmMessage>) -> LlmRequest {
    LlmRequest { model: model.into(), messages, tools: vec![], max_tokens: None, temperature: None, system: None }
}

fn hello(model: &str) -> LlmRequest {
    request(model, vec![user("Hello")])
}

fn weather_tool() -> ToolDef {
    ToolDef {
        name: "get_weather".into(),
        description: "The current weather in a city".into(),
        parameters: json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
    }
}

/// `LlmResponse` has no `PartialEq`; its serde form is compared instead.
fn value(r: &LlmResponse) -> Value {
    serde_json::to_value(r).expect("LlmResponse serializes")
}

fn roles(body: &Value) -> Vec<&str> {
    body["messages"].as_array().expect("messages").iter().map(|m| m["role"].as_str().expect("role")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_request_and_answer_for_a_plain_chat() {
    let pair = Pair::new("sk-parity-1").await;
    let req = LlmRequest { max_tokens: Some(32), temperature: Some(0.5), ..hello("litellm:gpt-4o") };
    let (seed, ours) = pair.both(req).await;
    assert_eq!(value(seed.ok()), value(ours.ok()));
    assert_eq!(ours.ok().content, "You said: Hello");
    assert_eq!(seed.body(), ours.body(), "the same JSON body");
    assert_eq!(ours.body()["model"], "gpt-4o", "the prefix is stripped");
    assert_eq!(seed.requests[0].path, ours.requests[0].path);
    assert_eq!(seed.requests[0].method, ours.requests[0].method);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_answer_wherever_the_seed_is_right() {
    let pair = Pair::new("").await;
    for model in [
        "litellm:gpt-4o",
        "litellm:mock/echo",
        "litellm:mock/finish-length",         // MaxTokens
        "litellm:mock/finish-tool-calls",     // ToolUse
        "litellm:mock/finish-content-filter", // EndTurn for both: devsper has no content-filter case
        "litellm:mock/finish-null",
        "litellm:mock/finish-unknown",
        "litellm:mock/null-content",
        "litellm:mock/reasoning", // devsper's response has no place for reasoning: both drop it
    ] {
        let (seed, ours) = pair.both(hello(model)).await;
        assert_eq!(value(seed.ok()), value(ours.ok()), "{model}");
        assert_eq!(seed.body(), ours.body(), "{model}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_is_sent_only_when_not_empty_by_both() {
    let with_key = Pair::new("sk-parity-2").await;
    let (seed, ours) = with_key.both(hello("litellm:gpt-4o")).await;
    for side in [&seed, &ours] {
        assert_eq!(side.requests[0].header("authorization"), Some("Bearer sk-parity-2"));
    }
    let without = Pair::new("").await;
    let (seed, ours) = without.both(hello("litellm:gpt-4o")).await;
    for side in [&seed, &ours] {
        assert_eq!(side.requests[0].header("authorization"), None);
    }
    assert_eq!(value(seed.ok()), value(ours.ok()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_is_sent_alike_and_the_tool_role_goes_as_user() {
    let pair = Pair::new("").await;
    let message = |role, content: &str| LlmMessage { role, content: content.into() };
    let req = request(
        "litellm:gpt-4o",
        vec![
            message(LlmRole::System, "You are terse."),
            user("Weather in Paris?"),
            message(LlmRole::Assistant, "Let me check."),
            message(LlmRole::Tool, "{\"temp\": 21}"),
            user("So?"),
        ],
    );
    let (seed, ours) = pair.both(req).await;
    assert_eq!(roles(seed.body()), ["system", "user", "assistant", "user", "user"]);
    assert_eq!(seed.body()["messages"], ours.body()["messages"]);
    assert_eq!(value(seed.ok()), value(ours.ok()));
    assert_eq!(ours.ok().content, "You said: So?");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn difference_the_seed_drops_the_system_prompt() {
    let pair = Pair::new("").await;
    let req = LlmRequest { system: Some("Be brief.".into()), ..hello("litellm:gpt-4o") };
    let (seed, ours) = pair.both(req).await;
    assert_eq!(roles(seed.body()), ["user"], "seed: no system message");
    assert_eq!(roles(ours.body()), ["system", "user"]);
    assert_eq!(ours.body()["messages"][0]["content"], "Be brief.");
    // The mock counts the words of every message it got: ours two more.
    assert_eq!(ours.ok().input_tokens, seed.ok().input_tokens + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn difference_the_seed_drops_the_tools() {
    let pair = Pair::new("").await;
    let req = LlmRequest { tools: vec![weather_tool()], ..hello("litellm:gpt-4o") };
    let (seed, ours) = pair.both(req).await;
    assert_eq!(seed.body().get("tools"), None, "seed: no tools");
    let tool = weather_tool();
    assert_eq!(
        ours.body()["tools"],
        json!([{"type": "function", "function": {
            "name": tool.name, "description": tool.description, "parameters": tool.parameters,
        }}])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn difference_the_seed_returns_no_tool_calls() {
    let pair = Pair::new("").await;
    let req = LlmRequest { tools: vec![weather_tool()], ..hello("litellm:mock/tool-call") };
    let (seed, ours) = pair.both(req).await;
    let (seed, ours) = (seed.ok(), ours.ok());
    assert!(seed.tool_calls.is_empty(), "seed: the call is lost");
    assert_eq!(
        serde_json::to_value(&ours.tool_calls).unwrap(),
        json!([{"id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}])
    );
    assert_eq!(value(seed)["stop_reason"], "ToolUse");
    assert_eq!(value(ours)["stop_reason"], "ToolUse");
    assert_eq!((seed.content.as_str(), ours.content.as_str()), ("", ""));

    let (seed, ours) = pair.both(hello("litellm:mock/tool-calls-parallel")).await;
    assert!(seed.ok().tool_calls.is_empty());
    let cities: Vec<&Value> = ours.ok().tool_calls.iter().map(|c| &c.arguments["city"]).collect();
    assert_eq!(cities, [&json!("Paris"), &json!("Rome")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn difference_a_missing_usage_fails_the_seed() {
    let pair = Pair::new("").await;
    for model in ["litellm:mock/no-usage", "litellm:mock/null-usage"] {
        let (seed, ours) = pair.both(hello(model)).await;
        assert!(format!("{:#}", seed.err()).contains("decoding"), "{model}: {:#}", seed.err());
        let ours = ours.ok();
        assert_eq!((ours.input_tokens, ours.output_tokens), (0, 0), "{model}");
        assert_eq!(ours.content, "You said: Hello", "{model}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn difference_the_seed_maps_stop_sequence_and_function_call_to_end_turn() {
    let pair = Pair::new("").await;
    let (seed, ours) = pair.both(hello("litellm:mock/finish-stop-sequence")).await;
    assert_eq!(value(seed.ok())["stop_reason"], "EndTurn");
    assert_eq!(value(ours.ok())["stop_reason"], "StopSequence");
    let (seed, ours) = pair.both(hello("litellm:mock/finish-function-call")).await;
    assert_eq!(value(seed.ok())["stop_reason"], "EndTurn");
    assert_eq!(value(ours.ok())["stop_reason"], "ToolUse");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn difference_errors_are_typed_401() {
    let pair = Pair::new("sk-parity-3").await;
    let (seed, ours) = pair.both(hello("litellm:mock/error-401")).await;
    let seed_text = format!("{:#}", seed.err());
    assert!(seed_text.starts_with("litellm API error 401 Unauthorized: {"), "{seed_text}");
    assert!(seed.err().downcast_ref::<CallError>().is_none(), "seed: a string only");
    match ours.provider_error() {
        ProviderError::Unauthorized(api) => {
            assert_eq!((api.status, api.message.as_str(), api.attempts), (401, "mock error 401", 1));
            assert_eq!(api.code.as_deref(), Some("mock_401"));
        }
        other => panic!("expected unauthorized, got {other:?}"),
    }
    assert_eq!(ours.call_error().kind(), "unauthorized");
    assert_eq!(ours.err().root_cause().to_string(), ours.call_error().to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn difference_errors_are_typed_429_and_retried() {
    let pair = Pair::new("").await;
    let (seed, ours) = pair.both(hello("litellm:mock/error-429")).await;
    assert!(format!("{}", seed.err()).starts_with("litellm API error 429 Too Many Requests: {"));
    assert_eq!(seed.requests.len(), 1, "seed: no retry");
    match ours.provider_error() {
        ProviderError::RateLimited(api) => {
            assert_eq!((api.status, api.retry_after_ms, api.attempts), (429, Some(1000), 3));
        }
        other => panic!("expected rate-limited, got {other:?}"),
    }
    assert_eq!(ours.requests.len(), 3, "ours: two retries after Retry-After");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn difference_the_seed_echoes_the_key_from_an_error_body() {
    const KEY: &str = "sk-parity-secret-4242";
    let pair = Pair::new(KEY).await;
    let (seed, ours) = pair.both(hello("litellm:mock/error-echo-key")).await;
    assert!(format!("{:#}", seed.err()).contains(KEY), "seed: the key in the error");
    let err = ours.err();
    for shown in [format!("{err}"), format!("{err:#}"), format!("{err:?}"), format!("{:?}", ours.call_error())] {
        assert!(!shown.contains(KEY), "ours: {shown}");
        assert!(shown.contains("Incorrect API key provided"), "ours: {shown}");
    }
    assert!(matches!(ours.provider_error(), ProviderError::Unauthorized(api) if api.status == 401));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn difference_the_seed_returns_a_long_error_body_whole() {
    let pair = Pair::new("").await;
    let (seed, ours) = pair.both(hello("litellm:mock/error-long")).await;
    assert!(seed.err().to_string().len() > 5000, "seed: the whole body");
    match ours.provider_error() {
        ProviderError::BadRequest(api) => {
            assert_eq!(api.status, 400);
            // 1000 characters of the server's message, then `…` marking the cut.
            assert_eq!(api.message.chars().count(), 1001);
            assert!(api.message.starts_with("xxxx") && api.message.ends_with('…'));
        }
        other => panic!("expected bad-request, got {other:?}"),
    }
    assert!(ours.err().to_string().len() < 1200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn difference_malformed_answers_fail_both_ours_typed() {
    let pair = Pair::new("").await;
    for model in ["litellm:mock/malformed-json", "litellm:mock/no-choices", "litellm:mock/json-not-object"] {
        let (seed, ours) = pair.both(hello(model)).await;
        assert!(seed.err().downcast_ref::<CallError>().is_none(), "{model}");
        assert!(
            matches!(ours.provider_error(), ProviderError::MalformedResponse(_)),
            "{model}: {:?}",
            ours.call_error()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_model_is_refused_alike_by_the_router() {
    let pair = Pair::new("").await;
    let (seed, ours) = pair.both(hello("gpt-4o")).await;
    assert_eq!(seed.err().to_string(), "No provider found for model: gpt-4o");
    assert_eq!(seed.err().to_string(), ours.err().to_string());
    assert!(seed.requests.is_empty() && ours.requests.is_empty());
    assert!(pair.seed.supports_model("litellm:x") && pair.ours.supports_model("litellm:x"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_host_a_tenant_reaches_only_its_allowed_origins() {
    let allowed = MockServer::start().await.unwrap();
    let other = MockServer::start().await.unwrap();
    let host = litellm_devsper::shared_host().expect("the host starts");
    let tenant = Tenant::new("acme").allow_origin(&allowed.base_url());
    let reach = |url: String| WasmLiteLlmProvider::with_host(host.clone(), tenant.clone(), Config::for_url(url));
    let ok = reach(allowed.base_url()).generate(hello("litellm:gpt-4o")).await.unwrap();
    assert_eq!(ok.content, "You said: Hello");
    let denied = reach(other.base_url()).generate(hello("litellm:gpt-4o")).await.unwrap_err();
    let call = denied.downcast_ref::<CallError>().expect("typed");
    assert!(matches!(call, CallError::Provider(ProviderError::Transport(f)) if f.message.contains("denied")), "{call}");
    assert!(other.requests().is_empty(), "nothing reached the other origin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn difference_the_token_cap_reaches_an_openai_reasoning_model() {
    // The seed sends `max_tokens`, which OpenAI's GPT-5-class models refuse; ours sends the cap
    // in the field of the configured profile (`max_completion_tokens` on `openai`).
    let mock = MockServer::start().await.unwrap();
    let seed = LiteLlmProvider::new(mock.base_url(), "");
    let mut req = hello("litellm:mock/openai-reasoning");
    req.max_tokens = Some(32);
    let refused = seed.generate(req.clone()).await.unwrap_err();
    assert!(format!("{refused:#}").contains("max_completion_tokens"), "{refused:#}");
    let host = litellm_devsper::shared_host().expect("the host starts");
    let tenant = Tenant::new("gpt5").allow_origin(&mock.base_url());
    let config = Config::for_url(mock.base_url()).profile(litellm_host::Profile::Openai);
    mock.take_requests();
    let ours = WasmLiteLlmProvider::with_host(host, tenant, config).generate(req).await.unwrap();
    assert_eq!(ours.content, "You said: Hello");
    assert_eq!(mock.requests()[0].body["max_completion_tokens"], 32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_over_its_host_quota_gets_the_typed_refusal_with_the_time_to_wait() {
    let mock = MockServer::start().await.unwrap();
    let host = litellm_devsper::shared_host().expect("the host starts");
    let quota = litellm_host::Quota::unlimited().calls_per_minute(1);
    let tenant = Tenant::new("devsper-quota").allow_origin(&mock.base_url()).quota(quota);
    let provider = WasmLiteLlmProvider::with_host(host, tenant, Config::for_url(mock.base_url()));
    // The first call of the minute may be the minute's only one: a call at the minute's end
    // would see the count restart.
    let second = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() % 60;
    if second >= 55 {
        tokio::time::sleep(std::time::Duration::from_secs(61 - second)).await;
    }
    provider.generate(hello("litellm:gpt-4o")).await.unwrap();
    let refused = provider.generate(hello("litellm:gpt-4o")).await.unwrap_err();
    let call = refused.downcast_ref::<CallError>().expect("typed");
    assert_eq!(call.kind(), "rate-limited", "{call}");
    assert!(matches!(call, CallError::Quota(_)), "the host's quota, not the endpoint's 429");
    assert!(call.retry_after().is_some_and(|wait| wait.as_secs() <= 60));
    assert_eq!(mock.requests().len(), 1, "the refused call never left the host");
}
