//! Each call is a `gen_ai.chat` span with the seed's `gen_ai.*` fields, the current GenAI conventions'
//! provider name and cache and reasoning counts, the tenant and the error type.

use crate::support::{env, host};
use litellm_host::{Profile, Request};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

type Fields = BTreeMap<String, String>;

/// Keeps every span's fields, by span id, in creation order.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<(Id, Fields)>>>);

struct Visitor<'a>(&'a mut Fields);

impl Visit for Visitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_string(), format!("{value:?}").trim_matches('"').to_string());
    }
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        let mut fields = Fields::new();
        attrs.record(&mut Visitor(&mut fields));
        self.0.lock().unwrap().push((id.clone(), fields));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut spans = self.0.lock().unwrap();
        if let Some((_, fields)) = spans.iter_mut().rev().find(|(i, _)| i == id) {
            values.record(&mut Visitor(fields));
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn spans_carry_gen_ai_fields_tenant_and_error_type() {
    let env = env().await;
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));

    let mut request = Request::user("litellm:gpt-4o", "Hello there");
    request.max_tokens = Some(32);
    host().generate(&env.tenant, env.config(), request).await.unwrap();
    let _ = host().generate(&env.tenant, env.config(), Request::user("litellm:mock/error-429", "x")).await;
    let mut stream =
        host().stream(&env.tenant, env.config(), Request::user("litellm:mock/stream-tool-calls", "x")).await.unwrap();
    while stream.next().await.is_some() {}

    let spans = capture.0.lock().unwrap().clone();
    let chats: Vec<&Fields> = spans.iter().map(|(_, f)| f).filter(|f| f.contains_key("gen_ai.system")).collect();
    assert_eq!(chats.len(), 3, "{spans:?}");
    let ok = chats[0];
    for (field, value) in [
        ("gen_ai.system", "litellm"),
        ("gen_ai.operation.name", "chat"),
        ("gen_ai.request.model", "litellm:gpt-4o"),
        ("gen_ai.request.max_tokens", "32"),
        ("gen_ai.request.stream", "false"),
        ("gen_ai.response.model", "gpt-4o"),
        ("gen_ai.response.finish_reasons", "end-turn"),
        ("gen_ai.usage.input_tokens", "2"),
        ("gen_ai.usage.output_tokens", "4"),
        ("tenant", "test"),
    ] {
        assert_eq!(ok.get(field).map(String::as_str), Some(value), "{field} in {ok:?}");
    }
    assert!(!ok.contains_key("error.type"));
    assert_eq!(chats[1].get("error.type").map(String::as_str), Some("rate-limited"));
    assert_eq!(chats[2].get("gen_ai.request.stream").map(String::as_str), Some("true"));
    assert_eq!(chats[2].get("gen_ai.response.finish_reasons").map(String::as_str), Some("tool-use"));
    // An endpoint that sends no cached or reasoning counts: the fields stay empty.
    assert_eq!(ok.get("gen_ai.provider.name").map(String::as_str), Some("litellm"));
    assert!(
        !ok.contains_key("gen_ai.usage.cache_read.input_tokens")
            && !ok.contains_key("gen_ai.usage.reasoning.output_tokens")
    );
}

#[tokio::test(flavor = "current_thread")]
async fn spans_carry_the_cached_and_reasoning_counts_and_the_provider() {
    let env = env().await;
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    let config = env.config().profile(Profile::Openai);
    let answer =
        host().generate(&env.tenant, config, Request::user("litellm:mock/openai-reasoning", "Hi")).await.unwrap();
    let usage = answer.usage.unwrap();

    let spans = capture.0.lock().unwrap().clone();
    let chat = spans.iter().map(|(_, f)| f).find(|f| f.contains_key("gen_ai.system")).unwrap();
    for (field, value) in [
        ("gen_ai.provider.name", "openai".to_string()),
        ("gen_ai.usage.input_tokens", usage.input_tokens.to_string()),
        ("gen_ai.usage.cache_read.input_tokens", (usage.input_tokens - 1).to_string()),
        ("gen_ai.usage.reasoning.output_tokens", "7".to_string()),
    ] {
        assert_eq!(chat.get(field), Some(&value), "{field} in {chat:?}");
    }
    assert!(!chat.contains_key("gen_ai.usage.cache_creation.input_tokens"), "absent stays absent: {chat:?}");
}
