//! What a host counts of each call, beside its span: the tenant's quota ([`crate::quota`]),
//! admitted before the component runs and settled when the call ends, and the GenAI metrics
//! (feature `metrics`). Chat completions and embeddings are metered; the provider's name, model
//! rule and model list are not.

use crate::operation::Operation;
use crate::quota::{self, Ticket};
use crate::store::SharedStore;
use crate::{CallError, Request, StreamEvent, Tenant, Usage};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a host meters with: the quota store, and the metrics when a meter was given.
pub(crate) struct Metering {
    store: Arc<dyn SharedStore>,
    #[cfg(feature = "metrics")]
    metrics: Option<crate::metrics::GenAiMetrics>,
}

impl Metering {
    pub(crate) fn new(store: Arc<dyn SharedStore>) -> Self {
        Self {
            store,
            #[cfg(feature = "metrics")]
            metrics: None,
        }
    }

    /// Records GenAI metrics on `meter` from now on, with the names of `conventions`.
    #[cfg(feature = "metrics")]
    pub(crate) fn with_metrics(
        mut self,
        meter: &opentelemetry::metrics::Meter,
        conventions: crate::GenAiConventions,
    ) -> Self {
        self.metrics = Some(crate::metrics::GenAiMetrics::new(meter, conventions));
        self
    }

    /// Starts metering one call: admits it against the tenant's quota (a refusal is the call's
    /// error, before any instance is taken).
    pub(crate) async fn start(
        self: &Arc<Self>,
        tenant: &Tenant,
        provider: &'static str,
        operation: &Operation<'_>,
    ) -> Result<CallMeter, CallError> {
        let started = Instant::now();
        let (kind, model, input_bytes) = match operation {
            Operation::Chat { request, .. } => (Kind::Chat, request.model.clone(), text_bytes(request)),
            Operation::Embeddings(request) => {
                (Kind::Embeddings, request.model.clone(), request.inputs.iter().map(String::len).sum())
            }
            Operation::ListModels | Operation::Name | Operation::SupportsModel(_) => {
                return Ok(CallMeter::unmetered());
            }
        };
        let mut meter = CallMeter {
            metering: Some(self.clone()),
            kind,
            tenant: tenant.name.clone(),
            provider,
            model,
            started,
            first_chunk: None,
            input_bytes,
            streamed_bytes: 0,
            ticket: None,
        };
        match quota::admit(&self.store, tenant.name(), &tenant.quota).await {
            Ok(ticket) => {
                meter.ticket = ticket;
                Ok(meter)
            }
            Err(refused) => {
                let error = CallError::Quota(refused);
                meter.end(Outcome::Failed(&error));
                Err(error)
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Chat,
    Embeddings,
}

/// How a metered call ended.
pub(crate) enum Outcome<'a> {
    /// The endpoint answered (a stream's finish event), with the model that did and its usage.
    Answered { model: &'a str, usage: Option<Usage>, answer_bytes: usize },
    /// It failed; a stream that had brought events counts what they used.
    Failed(&'a CallError),
    /// The caller dropped it before its end.
    Dropped,
}

/// One call's metering, from its admission to its end. Dropped before its end (a cancelled
/// future, a stream let go) it ends as [`Outcome::Dropped`].
// The attributes are read by the metrics alone.
#[cfg_attr(not(feature = "metrics"), allow(dead_code))]
pub(crate) struct CallMeter {
    /// `None` for a call that is not metered, and once the call has ended.
    metering: Option<Arc<Metering>>,
    kind: Kind,
    tenant: Arc<str>,
    provider: &'static str,
    model: String,
    started: Instant,
    first_chunk: Option<Duration>,
    input_bytes: usize,
    streamed_bytes: usize,
    ticket: Option<Ticket>,
}

impl CallMeter {
    fn unmetered() -> Self {
        CallMeter {
            metering: None,
            kind: Kind::Chat,
            tenant: Arc::from(""),
            provider: "",
            model: String::new(),
            started: Instant::now(),
            first_chunk: None,
            input_bytes: 0,
            streamed_bytes: 0,
            ticket: None,
        }
    }

    /// A stream's events as they arrive: the first one's time, and the text they carry (what a
    /// stream cut before its usage is counted by).
    pub(crate) fn streamed(&mut self, events: &[StreamEvent]) {
        if self.first_chunk.is_none() && !events.is_empty() {
            self.first_chunk = Some(self.started.elapsed());
        }
        self.streamed_bytes += events.iter().map(event_bytes).sum::<usize>();
    }

    /// Ends the call: records its metrics and settles its quota ticket.
    pub(crate) async fn finish(mut self, outcome: Outcome<'_>) {
        if let Some((ticket, tokens)) = self.end(outcome) {
            ticket.settle(tokens).await;
        }
    }

    /// Ends the call where no await is possible: records its metrics now and settles its quota
    /// ticket from a task of the current runtime.
    pub(crate) fn finish_now(mut self, outcome: Outcome<'_>) {
        settle_later(self.end(outcome));
    }

    /// Records the call's metrics once, and gives back its ticket with the tokens to settle.
    fn end(&mut self, outcome: Outcome<'_>) -> Option<(Ticket, u64)> {
        let metering = self.metering.take()?;
        let estimated = || quota::estimated_tokens(self.input_bytes + self.streamed_bytes);
        let (tokens, reported, response_model, error_type) = match &outcome {
            Outcome::Answered { model, usage: Some(usage), .. } => {
                (quota::tokens_of(usage), Some(*usage), Some(*model), None)
            }
            Outcome::Answered { model, usage: None, answer_bytes } => {
                // No usage from the endpoint: the quota still counts what the call used.
                let tokens = quota::estimated_tokens(self.input_bytes + self.streamed_bytes.max(*answer_bytes));
                (tokens, None, Some(*model), None)
            }
            Outcome::Failed(error) => {
                // A refusal or an error before any event used nothing; one after events did.
                let tokens = if self.streamed_bytes > 0 { estimated() } else { 0 };
                (tokens, None, None, Some(error.kind()))
            }
            Outcome::Dropped => {
                let tokens = if self.streamed_bytes > 0 { estimated() } else { 0 };
                (tokens, None, None, Some("cancelled"))
            }
        };
        #[cfg(feature = "metrics")]
        if let Some(metrics) = &metering.metrics {
            let attributes = self.attributes(response_model, error_type);
            let inference = self.kind == Kind::Chat;
            metrics.record(&attributes, inference, self.started.elapsed(), self.first_chunk, reported);
        }
        #[cfg(not(feature = "metrics"))]
        let _ = (&metering, reported, response_model, error_type);
        self.ticket.take().map(|ticket| (ticket, tokens))
    }

    #[cfg(feature = "metrics")]
    fn attributes(
        &self,
        response_model: Option<&str>,
        error_type: Option<&'static str>,
    ) -> Vec<opentelemetry::KeyValue> {
        use opentelemetry::KeyValue;
        let operation = match self.kind {
            Kind::Chat => "chat",
            Kind::Embeddings => "embeddings",
        };
        let mut attributes = vec![
            KeyValue::new("gen_ai.provider.name", self.provider),
            KeyValue::new("gen_ai.operation.name", operation),
            KeyValue::new("gen_ai.request.model", self.model.clone()),
            KeyValue::new("tenant", self.tenant.to_string()),
        ];
        if let Some(model) = response_model {
            attributes.push(KeyValue::new("gen_ai.response.model", model.to_string()));
        }
        if let Some(error_type) = error_type {
            attributes.push(KeyValue::new("error.type", error_type));
        }
        attributes
    }
}

impl Drop for CallMeter {
    fn drop(&mut self) {
        // The ticket's own drop would free the place too, but count no tokens.
        settle_later(self.end(Outcome::Dropped));
    }
}

/// Settles a ticket from a task of the current runtime (none outside one: the ticket's drop
/// still frees its place when it can).
fn settle_later(ended: Option<(Ticket, u64)>) {
    if let (Some((ticket, tokens)), Ok(runtime)) = (ended, tokio::runtime::Handle::try_current()) {
        runtime.spawn(ticket.settle(tokens));
    }
}

/// The text a request sends: what a call without usage is estimated by.
fn text_bytes(request: &Request) -> usize {
    let messages = request.messages.iter().map(|message| {
        let parts: usize = message
            .parts
            .iter()
            .map(|part| match part {
                crate::ContentPart::Text(text) => text.len(),
                _ => 0,
            })
            .sum();
        let calls: usize = message.tool_calls.iter().map(|call| call.name.len() + call.arguments.len()).sum();
        message.content.len() + parts + calls
    });
    messages.sum()
}

/// The text one stream event carries.
fn event_bytes(event: &StreamEvent) -> usize {
    match event {
        StreamEvent::Text(text) | StreamEvent::Reasoning(text) | StreamEvent::Refusal(text) => text.len(),
        StreamEvent::ToolCall(call) => call.name.len() + call.arguments.len(),
        StreamEvent::Finish(_) => 0,
    }
}
