//! OpenTelemetry GenAI client metrics (feature `metrics`), recorded on the platform's own
//! [`Meter`](opentelemetry::metrics::Meter) beside each call's span.
//!
//! Two sets of names, as the conventions stand in 2026 ([`GenAiConventions`]): semantic
//! conventions 1.41's by default, and the ones renamed in open-telemetry/semantic-conventions-genai
//! when `OTEL_SEMCONV_STABILITY_OPT_IN` lists `gen_ai_latest_experimental`. Token metrics carry
//! only what the endpoint reported (the conventions forbid estimates unless asked for).

use crate::Usage;
use opentelemetry::metrics::{Counter, Histogram, Meter};
use opentelemetry::KeyValue;
use std::time::Duration;

/// Which GenAI metric names a host emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GenAiConventions {
    /// Semantic conventions 1.41: `gen_ai.client.token.usage` (a histogram with
    /// `gen_ai.token.type` `input` / `output`), `gen_ai.client.operation.duration` and
    /// `gen_ai.client.operation.time_to_first_chunk`.
    #[default]
    V1_41,
    /// semantic-conventions-genai's latest: `gen_ai.client.inference.duration` and
    /// `gen_ai.client.inference.time_to_first_chunk` for chat (`gen_ai.client.operation.duration`
    /// for embeddings), the counters `gen_ai.client.inference.usage.input_tokens`,
    /// `.output_tokens`, `.cache_read.input_tokens`, `.cache_write.input_tokens`,
    /// `.reasoning.output_tokens`, and the histograms
    /// `gen_ai.client.inference.operation.input_tokens` / `.output_tokens`.
    LatestExperimental,
}

/// The opt-in variable of the OpenTelemetry conventions, and its value for the latest GenAI names.
pub const OPT_IN_VARIABLE: &str = "OTEL_SEMCONV_STABILITY_OPT_IN";
const LATEST: &str = "gen_ai_latest_experimental";

impl GenAiConventions {
    /// From `OTEL_SEMCONV_STABILITY_OPT_IN` (a comma-separated list), as OpenTelemetry's own
    /// instrumentations read it.
    pub fn from_env() -> Self {
        Self::from_opt_in(std::env::var(OPT_IN_VARIABLE).ok().as_deref())
    }

    fn from_opt_in(value: Option<&str>) -> Self {
        let latest = value.is_some_and(|list| list.split(',').any(|item| item.trim() == LATEST));
        if latest {
            GenAiConventions::LatestExperimental
        } else {
            GenAiConventions::V1_41
        }
    }
}

/// The conventions' bucket boundaries for token counts and for durations in seconds.
const TOKEN_BUCKETS: [f64; 14] = [
    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0, 16777216.0,
    67108864.0,
];
const SECOND_BUCKETS: [f64; 14] =
    [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

/// Names, units and descriptions: one place for each.
mod names {
    pub const TOKEN_USAGE: &str = "gen_ai.client.token.usage";
    pub const OPERATION_DURATION: &str = "gen_ai.client.operation.duration";
    pub const OPERATION_FIRST_CHUNK: &str = "gen_ai.client.operation.time_to_first_chunk";
    pub const INFERENCE_DURATION: &str = "gen_ai.client.inference.duration";
    pub const INFERENCE_FIRST_CHUNK: &str = "gen_ai.client.inference.time_to_first_chunk";
    pub const USAGE_INPUT: &str = "gen_ai.client.inference.usage.input_tokens";
    pub const USAGE_OUTPUT: &str = "gen_ai.client.inference.usage.output_tokens";
    pub const USAGE_CACHE_READ: &str = "gen_ai.client.inference.usage.cache_read.input_tokens";
    pub const USAGE_CACHE_WRITE: &str = "gen_ai.client.inference.usage.cache_write.input_tokens";
    pub const USAGE_REASONING: &str = "gen_ai.client.inference.usage.reasoning.output_tokens";
    pub const OPERATION_INPUT: &str = "gen_ai.client.inference.operation.input_tokens";
    pub const OPERATION_OUTPUT: &str = "gen_ai.client.inference.operation.output_tokens";
    pub const TOKEN: &str = "{token}";
    pub const SECOND: &str = "s";
}

/// The instruments of one host.
pub(crate) enum GenAiMetrics {
    V1_41 { tokens: Histogram<u64>, duration: Histogram<f64>, first_chunk: Histogram<f64> },
    Latest(Box<Latest>),
}

pub(crate) struct Latest {
    inference_duration: Histogram<f64>,
    operation_duration: Histogram<f64>,
    first_chunk: Histogram<f64>,
    input: Counter<u64>,
    output: Counter<u64>,
    cache_read: Counter<u64>,
    cache_write: Counter<u64>,
    reasoning: Counter<u64>,
    input_per_call: Histogram<u64>,
    output_per_call: Histogram<u64>,
}

fn tokens_histogram(meter: &Meter, name: &'static str, description: &'static str) -> Histogram<u64> {
    let buckets = TOKEN_BUCKETS.to_vec();
    meter.u64_histogram(name).with_unit(names::TOKEN).with_description(description).with_boundaries(buckets).build()
}

fn seconds_histogram(meter: &Meter, name: &'static str, description: &'static str) -> Histogram<f64> {
    let buckets = SECOND_BUCKETS.to_vec();
    meter.f64_histogram(name).with_unit(names::SECOND).with_description(description).with_boundaries(buckets).build()
}

fn tokens_counter(meter: &Meter, name: &'static str, description: &'static str) -> Counter<u64> {
    meter.u64_counter(name).with_unit(names::TOKEN).with_description(description).build()
}

impl GenAiMetrics {
    pub(crate) fn new(meter: &Meter, conventions: GenAiConventions) -> Self {
        use names::*;
        match conventions {
            GenAiConventions::V1_41 => GenAiMetrics::V1_41 {
                tokens: tokens_histogram(meter, TOKEN_USAGE, "Number of input and output tokens used."),
                duration: seconds_histogram(meter, OPERATION_DURATION, "GenAI operation duration."),
                first_chunk: seconds_histogram(meter, OPERATION_FIRST_CHUNK, "Time to the first chunk of a stream."),
            },
            GenAiConventions::LatestExperimental => GenAiMetrics::Latest(Box::new(Latest {
                inference_duration: seconds_histogram(meter, INFERENCE_DURATION, "GenAI inference duration."),
                operation_duration: seconds_histogram(meter, OPERATION_DURATION, "GenAI operation duration."),
                first_chunk: seconds_histogram(meter, INFERENCE_FIRST_CHUNK, "Time to the first chunk of a stream."),
                input: tokens_counter(meter, USAGE_INPUT, "Input tokens used."),
                output: tokens_counter(meter, USAGE_OUTPUT, "Output tokens used."),
                cache_read: tokens_counter(meter, USAGE_CACHE_READ, "Input tokens read from the prompt cache."),
                cache_write: tokens_counter(meter, USAGE_CACHE_WRITE, "Input tokens written to the prompt cache."),
                reasoning: tokens_counter(meter, USAGE_REASONING, "Output tokens spent reasoning."),
                input_per_call: tokens_histogram(meter, OPERATION_INPUT, "Input tokens per inference operation."),
                output_per_call: tokens_histogram(meter, OPERATION_OUTPUT, "Output tokens per inference operation."),
            })),
        }
    }

    /// Records one finished call: its duration, its time to the first chunk (streams) and the
    /// usage the endpoint reported. `inference` is false for embeddings.
    pub(crate) fn record(
        &self,
        attributes: &[KeyValue],
        inference: bool,
        duration: Duration,
        first_chunk: Option<Duration>,
        usage: Option<Usage>,
    ) {
        match self {
            GenAiMetrics::V1_41 { tokens, duration: histogram, first_chunk: ttfc } => {
                histogram.record(duration.as_secs_f64(), attributes);
                if let Some(first) = first_chunk {
                    ttfc.record(first.as_secs_f64(), attributes);
                }
                if let Some(usage) = usage {
                    for (kind, count) in [("input", usage.input_tokens), ("output", usage.output_tokens)] {
                        let mut typed = attributes.to_vec();
                        typed.push(KeyValue::new("gen_ai.token.type", kind));
                        tokens.record(u64::from(count), &typed);
                    }
                }
            }
            GenAiMetrics::Latest(latest) => {
                let histogram = if inference { &latest.inference_duration } else { &latest.operation_duration };
                histogram.record(duration.as_secs_f64(), attributes);
                if let Some(first) = first_chunk {
                    latest.first_chunk.record(first.as_secs_f64(), attributes);
                }
                let Some(usage) = usage else { return };
                latest.input.add(u64::from(usage.input_tokens), attributes);
                latest.output.add(u64::from(usage.output_tokens), attributes);
                latest.input_per_call.record(u64::from(usage.input_tokens), attributes);
                latest.output_per_call.record(u64::from(usage.output_tokens), attributes);
                // The details only when the endpoint sent them: an absent count is not a 0.
                for (counter, count) in [
                    (&latest.cache_read, usage.cached_input_tokens),
                    (&latest.cache_write, usage.cache_write_input_tokens),
                    (&latest.reasoning, usage.reasoning_tokens),
                ] {
                    if let Some(count) = count {
                        counter.add(u64::from(count), attributes);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_opt_in_is_one_item_of_a_list() {
        assert_eq!(GenAiConventions::from_opt_in(None), GenAiConventions::V1_41);
        assert_eq!(GenAiConventions::from_opt_in(Some("http")), GenAiConventions::V1_41);
        assert_eq!(GenAiConventions::from_opt_in(Some("gen_ai_latest_experimental_x")), GenAiConventions::V1_41);
        let latest = GenAiConventions::LatestExperimental;
        assert_eq!(GenAiConventions::from_opt_in(Some("gen_ai_latest_experimental")), latest);
        assert_eq!(GenAiConventions::from_opt_in(Some("http, gen_ai_latest_experimental")), latest);
    }
}
