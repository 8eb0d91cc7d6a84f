//! OpenAI-compatible breadth: sampling and format parameters, content parts, extra body and
//! headers, embeddings, model listing, and the provider profiles' wire forms.

use crate::support::{api_error, env, host, provider_error};
use litellm_host::{
    ContentPart, EmbeddingsRequest, ImageUrl, JsonSchema, Profile, ProviderError, Request, ResponseFormat, ToolChoice,
    ToolDef,
};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_parameter_has_its_exact_wire_form() {
    let env = env().await;
    let mut request = Request::user("litellm:gpt-4o", "Describe");
    request.messages[0].parts = vec![
        ContentPart::Image(ImageUrl { url: "https://example.com/cat.png".into(), detail: Some("low".into()) }),
        ContentPart::Text("briefly".into()),
    ];
    request.top_p = Some(0.5);
    request.stop = vec!["END".into(), "STOP".into()];
    request.seed = Some(42);
    request.user = Some("user-7".into());
    request.presence_penalty = Some(0.25);
    request.frequency_penalty = Some(-0.25);
    request.response_format = Some(ResponseFormat::JsonSchema(JsonSchema {
        name: "answer".into(),
        schema: r#"{"type":"object","properties":{"a":{"type":"string"}}}"#.into(),
        strict: Some(true),
    }));
    request.tools = vec![ToolDef::function("f", "{}")];
    request.tool_choice = Some(ToolChoice::Named("f".into()));
    request.parallel_tool_calls = Some(false);
    request.extra_body = Some(r#"{"top_k": 40, "metadata": {"team": "x"}}"#.into());
    let config = env.config().headers(vec![("OpenAI-Organization".into(), "org-9".into())]);
    env.call(config, request).await.unwrap();
    let r = &env.mock.requests()[0];
    assert_eq!(r.header("openai-organization"), Some("org-9"));
    assert_eq!(
        r.body,
        json!({
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": "Describe"},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}},
                {"type": "text", "text": "briefly"}]}],
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
            "top_p": 0.5,
            "stop": ["END", "STOP"],
            "seed": 42,
            "user": "user-7",
            "presence_penalty": 0.25,
            "frequency_penalty": -0.25,
            "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "strict": true,
                "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}},
            "tool_choice": {"type": "function", "function": {"name": "f"}},
            "parallel_tool_calls": false,
            "top_k": 40,
            "metadata": {"team": "x"}
        })
    );
    assert!(r.body.get("n").is_none(), "one completion: n is never sent");

    let mut simple = Request::user("litellm:gpt-4o", "plain");
    simple.stop = vec!["END".into()];
    simple.response_format = Some(ResponseFormat::JsonObject);
    simple.tool_choice = Some(ToolChoice::None);
    env.call(env.config(), simple).await.unwrap();
    let body = &env.mock.requests()[1].body;
    assert_eq!(body["messages"][0]["content"], "plain", "text alone stays a string");
    assert_eq!((body["stop"].clone(), body["tool_choice"].clone()), (json!("END"), json!("none")));
    assert_eq!(body["response_format"], json!({"type": "json_object"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_parameters_and_headers_are_invalid_requests() {
    let env = env().await;
    let mut hot = Request::user("litellm:m", "x");
    hot.top_p = Some(2.0);
    let mut extra = Request::user("litellm:m", "x");
    extra.extra_body = Some(r#"{"model": "other"}"#.into());
    for request in [hot, extra] {
        assert!(matches!(provider_error(env.call(env.config(), request).await), ProviderError::InvalidRequest(_)));
    }
    let config = env.config().headers(vec![("Authorization".into(), "Bearer stolen".into())]);
    let e = provider_error(env.call(config, Request::user("litellm:m", "x")).await);
    assert!(matches!(e, ProviderError::InvalidRequest(ref m) if m.contains("Authorization")), "{e:?}");
    assert!(env.mock.requests().is_empty());
}

fn embeddings(model: &str, inputs: &[&str]) -> EmbeddingsRequest {
    EmbeddingsRequest {
        model: model.into(),
        inputs: inputs.iter().map(|s| s.to_string()).collect(),
        dimensions: None,
        user: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embeddings_in_batches_floats_or_base64() {
    let env = env().await;
    let mut request = embeddings("litellm:text-embedding-3-small", &["hello world", "hi"]);
    request.dimensions = Some(4);
    let answer = host().embed(&env.tenant, env.config(), request).await.unwrap();
    assert_eq!(answer.embeddings, vec![vec![11.0, 0.0, 0.5, 0.5], vec![2.0, 1.0, 0.5, 0.5]]);
    assert_eq!(answer.model, "text-embedding-3-small");
    assert_eq!(answer.usage.map(|u| (u.input_tokens, u.output_tokens)), Some((3, 0)));
    let r = &env.mock.requests()[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v1/embeddings"));
    assert_eq!(r.body, json!({"model": "text-embedding-3-small", "input": ["hello world", "hi"], "dimensions": 4}));

    let answer =
        host().embed(&env.tenant, env.config(), embeddings("litellm:mock/embed-base64", &["abc"])).await.unwrap();
    assert_eq!(answer.embeddings[0][..2], [3.0, 0.0]);
    let answer =
        host().embed(&env.tenant, env.config(), embeddings("litellm:mock/embed-no-usage", &["a"])).await.unwrap();
    assert_eq!(answer.usage, None);
    let e = provider_error(host().embed(&env.tenant, env.config(), embeddings("litellm:mock/error-401", &["a"])).await);
    assert_eq!((e.kind(), api_error(&e).status), ("unauthorized", 401));
    let e = provider_error(host().embed(&env.tenant, env.config(), embeddings("litellm:e", &[])).await);
    assert!(matches!(e, ProviderError::InvalidRequest(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_are_listed_with_a_get() {
    let env = env().await;
    let config = env.config().api_key("sk-list");
    let models = host().list_models(&env.tenant, config).await.unwrap();
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["gpt-4o", "text-embedding-3-small", "mock/echo"]);
    assert_eq!((models[0].owned_by.as_deref(), models[0].created), (Some("mock"), Some(1700000000)));
    let r = &env.mock.requests()[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/v1/models"));
    assert_eq!(r.header("authorization"), Some("Bearer sk-list"));
    assert!(r.raw_body.is_empty() && r.header("content-type").is_none());
    let bad = env.config().api_key("sk-bad-key");
    let e = provider_error(host().list_models(&env.tenant, bad).await);
    assert_eq!(e.kind(), "unauthorized");
    assert!(!format!("{e:?}").contains("sk-bad-key"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azure_profile_uses_deployments_api_version_and_api_key() {
    let env = env().await;
    let config = env.config().profile(Profile::Azure).api_key("az-key");
    let answer = env.call(config.clone(), Request::user("litellm:gpt-4o-prod", "Hi Azure")).await.unwrap();
    assert_eq!(answer.content, "You said: Hi Azure");
    host().embed(&env.tenant, config.clone(), embeddings("litellm:embed-prod", &["x"])).await.unwrap();
    host().list_models(&env.tenant, config.clone()).await.unwrap();
    let versioned = config.api_version("2025-01-01-preview");
    env.call(versioned, Request::user("litellm:gpt-4o-prod", "v")).await.unwrap();
    let requests = env.mock.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21",
            "/openai/deployments/embed-prod/embeddings?api-version=2024-10-21",
            "/openai/models?api-version=2024-10-21",
            "/openai/deployments/gpt-4o-prod/chat/completions?api-version=2025-01-01-preview",
        ]
    );
    for r in &requests {
        assert_eq!(r.header("api-key"), Some("az-key"));
        assert_eq!(r.header("authorization"), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_ollama_and_vllm_profiles() {
    let env = env().await;
    let profile = |p: Profile, key: Option<&str>| {
        let config = env.config().profile(p);
        match key {
            Some(key) => config.api_key(key),
            None => config,
        }
    };
    env.call(profile(Profile::Openai, Some("sk-oa")), Request::user("gpt-4o", "a")).await.unwrap();
    env.call(profile(Profile::Ollama, None), Request::user("llama3.2", "b")).await.unwrap();
    env.call(profile(Profile::Vllm, None), Request::user("Qwen/Qwen2.5-7B", "c")).await.unwrap();
    let requests = env.mock.requests();
    assert!(requests.iter().all(|r| r.path == "/v1/chat/completions"));
    assert_eq!(requests[0].header("authorization"), Some("Bearer sk-oa"));
    assert_eq!((requests[1].header("authorization"), requests[2].header("authorization")), (None, None));
    assert_eq!(requests[2].body["model"], "Qwen/Qwen2.5-7B");

    let e = provider_error(env.call(profile(Profile::Ollama, None), Request::user("mock/error-ollama", "x")).await);
    assert_eq!((e.kind(), api_error(&e).status), ("bad-request", 404));
    assert!(api_error(&e).message.contains("try pulling it first"));
    let e = provider_error(env.call(profile(Profile::Vllm, None), Request::user("mock/error-vllm", "x")).await);
    assert_eq!(e.kind(), "context-length-exceeded", "vLLM's top-level error shape: {e:?}");
    assert_eq!(api_error(&e).code.as_deref(), Some("BadRequestError"), "a word over a number");
}
