//! One `tracing` span per call, with the seed's OpenTelemetry `gen_ai.*` fields plus the tenant and
//! the error type.

use crate::{CallError, Request, StopReason, Tenant, Usage};
use tracing::field::Empty;
use tracing::Span;

/// The span of one chat call; response fields are recorded when the answer (or the stream's
/// finish event) arrives.
pub(crate) fn chat_span(tenant: &Tenant, request: &Request, stream: bool) -> Span {
    tracing::info_span!(
        "gen_ai.chat",
        "gen_ai.system" = "litellm",
        "gen_ai.operation.name" = "chat",
        "gen_ai.request.model" = request.model.as_str(),
        "gen_ai.request.max_tokens" = request.max_tokens,
        "gen_ai.request.stream" = stream,
        "gen_ai.response.model" = Empty,
        "gen_ai.response.finish_reasons" = Empty,
        "gen_ai.usage.input_tokens" = Empty,
        "gen_ai.usage.output_tokens" = Empty,
        "tenant" = tenant.name(),
        "error.type" = Empty,
    )
}

/// Records what the endpoint answered.
pub(crate) fn record_answer(span: &Span, model: &str, stop: StopReason, usage: Option<Usage>) {
    span.record("gen_ai.response.model", model);
    span.record("gen_ai.response.finish_reasons", stop.name());
    if let Some(usage) = usage {
        span.record("gen_ai.usage.input_tokens", usage.input_tokens);
        span.record("gen_ai.usage.output_tokens", usage.output_tokens);
    }
}

/// Records why the call failed: the contract's error case, or `sandbox`.
pub(crate) fn record_error(span: &Span, error: &CallError) {
    let kind = match error {
        CallError::Provider(e) => e.kind(),
        CallError::Sandbox(_) => "sandbox",
    };
    span.record("error.type", kind);
    tracing::warn!(parent: span, error.type = kind, "gen_ai.chat failed: {error}");
}
