//! One `tracing` span per call, with the seed's OpenTelemetry `gen_ai.*` fields, the current GenAI
//! conventions' `gen_ai.provider.name` and cache and reasoning token counts, the tenant and the
//! error type.

use crate::metering::Outcome;
pub(crate) use crate::operation::Operation;
use crate::{CallError, EmbeddingsResponse, ModelInfo, Profile, Response, StopReason, Tenant, Usage};
use tracing::field::Empty;
use tracing::Span;

/// The span of one call; response fields are recorded when the answer (or a stream's finish
/// event) arrives. Chat spans are named `gen_ai.chat`, the others `gen_ai.<operation>`.
pub(crate) fn span(tenant: &Tenant, profile: Option<Profile>, operation: &Operation<'_>) -> Span {
    let provider = provider_name(profile);
    let (model, max_tokens, stream) = match operation {
        Operation::Chat { request, stream } => (Some(request.model.as_str()), request.max_tokens, *stream),
        Operation::Embeddings(request) => (Some(request.model.as_str()), None, false),
        Operation::SupportsModel(model) => (Some(*model), None, false),
        Operation::ListModels | Operation::Name => (None, None, false),
    };
    macro_rules! span_named {
        ($name:literal, $operation:literal) => {
            tracing::info_span!(
                $name,
                "gen_ai.system" = "litellm",
                "gen_ai.provider.name" = provider,
                "gen_ai.operation.name" = $operation,
                "gen_ai.request.model" = model,
                "gen_ai.request.max_tokens" = max_tokens,
                "gen_ai.request.stream" = stream,
                "gen_ai.response.model" = Empty,
                "gen_ai.response.finish_reasons" = Empty,
                "gen_ai.usage.input_tokens" = Empty,
                "gen_ai.usage.output_tokens" = Empty,
                "gen_ai.usage.cache_read.input_tokens" = Empty,
                "gen_ai.usage.cache_creation.input_tokens" = Empty,
                "gen_ai.usage.reasoning.output_tokens" = Empty,
                "tenant" = tenant.name(),
                "error.type" = Empty,
            )
        };
    }
    // A span's name must be a literal, hence one arm per operation.
    match operation {
        Operation::Chat { .. } => span_named!("gen_ai.chat", "chat"),
        Operation::Embeddings(_) => span_named!("gen_ai.embeddings", "embeddings"),
        Operation::ListModels => span_named!("gen_ai.list_models", "list_models"),
        Operation::Name => span_named!("gen_ai.name", "name"),
        Operation::SupportsModel(_) => span_named!("gen_ai.supports_model", "supports_model"),
    }
}

/// What an answer adds to its span and its metering.
pub(crate) trait Answer {
    /// Records the answer's fields; most answers have none.
    fn record(&self, _span: &Span) {}

    /// How the call ends for its metering: the answering model, its usage and the answer's text
    /// size (`None` for answers that are not metered).
    fn outcome(&self) -> Option<Outcome<'_>> {
        None
    }
}

impl Answer for Response {
    fn record(&self, span: &Span) {
        record_answer(span, &self.model, self.stop_reason, self.usage);
    }

    fn outcome(&self) -> Option<Outcome<'_>> {
        let answer_bytes = self.content.len()
            + self.reasoning.as_ref().map_or(0, String::len)
            + self.tool_calls.iter().map(|call| call.name.len() + call.arguments.len()).sum::<usize>();
        Some(Outcome::Answered { model: &self.model, usage: self.usage, answer_bytes })
    }
}

impl Answer for EmbeddingsResponse {
    fn record(&self, span: &Span) {
        span.record("gen_ai.response.model", self.model.as_str());
        record_usage(span, self.usage);
    }

    fn outcome(&self) -> Option<Outcome<'_>> {
        Some(Outcome::Answered { model: &self.model, usage: self.usage, answer_bytes: 0 })
    }
}

impl Answer for Vec<ModelInfo> {}
impl Answer for String {}
impl Answer for bool {}

/// Records a call's outcome on its span.
pub(crate) fn record<T: Answer>(span: &Span, result: &Result<T, CallError>) {
    match result {
        Ok(answer) => answer.record(span),
        Err(e) => record_error(span, e),
    }
}

/// Records what the endpoint answered.
pub(crate) fn record_answer(span: &Span, model: &str, stop: StopReason, usage: Option<Usage>) {
    span.record("gen_ai.response.model", model);
    span.record("gen_ai.response.finish_reasons", stop.name());
    record_usage(span, usage);
}

fn record_usage(span: &Span, usage: Option<Usage>) {
    let Some(usage) = usage else { return };
    span.record("gen_ai.usage.input_tokens", usage.input_tokens);
    span.record("gen_ai.usage.output_tokens", usage.output_tokens);
    // Only the counts the endpoint sent: an absent one stays absent from the span.
    for (field, count) in [
        ("gen_ai.usage.cache_read.input_tokens", usage.cached_input_tokens),
        ("gen_ai.usage.cache_creation.input_tokens", usage.cache_write_input_tokens),
        ("gen_ai.usage.reasoning.output_tokens", usage.reasoning_tokens),
    ] {
        if let Some(count) = count {
            span.record(field, count);
        }
    }
}

/// `gen_ai.provider.name`: the GenAI conventions' well-known value where there is one (`openai`,
/// `azure.ai.openai`), else the profile's name; `litellm` when the config names no profile (the
/// component may still take one from the tenant's `LITELLM_PROFILE`).
pub(crate) fn provider_name(profile: Option<Profile>) -> &'static str {
    match profile {
        Some(Profile::Openai) => "openai",
        Some(Profile::Azure) => "azure.ai.openai",
        Some(profile) => profile.name(),
        None => "litellm",
    }
}

/// Records why the call failed: the contract's error case, or `sandbox`.
pub(crate) fn record_error(span: &Span, error: &CallError) {
    let kind = error.kind();
    span.record("error.type", kind);
    tracing::warn!(parent: span, error.type = kind, "call failed: {error}");
}
