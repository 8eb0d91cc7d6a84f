//! A devsper router holding the sandboxed LiteLLM provider next to a native provider from the
//! seed's crate (`devsper_providers::OpenAiProvider`, reqwest), routed by model name: `litellm:*`
//! goes through the WebAssembly component, `gpt-*` straight over native HTTP. Both point at the
//! mock, so the example runs anywhere; `cargo test -p litellm-devsper` runs it.

use devsper_core::{LlmMessage, LlmProvider, LlmRequest, LlmRole};
use devsper_providers::openai::OpenAiProvider;
use devsper_providers::ModelRouter;
use litellm_devsper::WasmLiteLlmProvider;
use litellm_mock::MockServer;
use std::sync::Arc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let endpoint = MockServer::start().await?;
    let url = endpoint.base_url();

    // The one-constructor switch: this line was `LiteLlmProvider::new(url, "sk-sandboxed")`.
    let sandboxed = WasmLiteLlmProvider::new(url.clone(), "sk-sandboxed");
    let native = OpenAiProvider::new("sk-native").with_base_url(url);
    // devsper's router takes the first provider whose `supports_model` matches.
    let router = ModelRouter::new().with_provider(Arc::new(sandboxed)).with_provider(Arc::new(native));

    for (model, key) in [("litellm:gpt-4o", "sk-sandboxed"), ("gpt-4o", "sk-native")] {
        let request = LlmRequest {
            model: model.into(),
            messages: vec![LlmMessage { role: LlmRole::User, content: format!("Hello from {model}") }],
            tools: vec![],
            max_tokens: Some(64),
            temperature: None,
            system: None,
        };
        let answer = router.generate(request).await?;
        println!("{model:>16} -> {} ({} in, {} out)", answer.content, answer.input_tokens, answer.output_tokens);
        assert_eq!(answer.content, format!("You said: Hello from {model}"));

        // The key tells which provider sent the request.
        let sent = endpoint.take_requests();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].header("authorization"), Some(format!("Bearer {key}").as_str()));
        assert_eq!(sent[0].body["model"], "gpt-4o");
    }

    // A model no provider takes is refused by the router itself.
    let unknown = LlmRequest {
        model: "claude-sonnet-4-6".into(),
        messages: vec![LlmMessage { role: LlmRole::User, content: "Hi".into() }],
        tools: vec![],
        max_tokens: None,
        temperature: None,
        system: None,
    };
    let refused = router.generate(unknown).await.expect_err("no provider takes claude-*");
    println!("{:>16} -> {refused}", "claude-sonnet-4-6");
    Ok(())
}
