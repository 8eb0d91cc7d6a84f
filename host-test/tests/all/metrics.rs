//! OpenTelemetry GenAI metrics through the real component, exported over OTLP/HTTP by
//! `litellm_host::otlp` to a receiver this test starts: what arrives is decoded with the
//! protocol's own messages (opentelemetry-proto) and checked by name, unit, attributes and value,
//! under semantic conventions 1.41's names and under the latest experimental ones.

use crate::support::env;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use litellm_host::{GenAiConventions, Host, HostOptions, Request, StreamEvent, Tenant, Usage};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point, Metric};
use opentelemetry_sdk::metrics::SdkMeterProvider;
use prost::Message;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An OTLP/HTTP metrics receiver on loopback: every request's path, content type and decoded body.
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<(String, String, ExportMetricsServiceRequest)>>>,
}

async fn receiver() -> Receiver {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1/metrics", listener.local_addr().unwrap());
    let received: Arc<Mutex<Vec<_>>> = Arc::default();
    let store = received.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let store = store.clone();
                    async move {
                        let path = request.uri().path().to_string();
                        let content_type = request
                            .headers()
                            .get("content-type")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string();
                        let body = request.into_body().collect().await.unwrap().to_bytes();
                        let decoded = ExportMetricsServiceRequest::decode(body).expect("an OTLP metrics message");
                        store.lock().unwrap().push((path, content_type, decoded));
                        Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::new())))
                    }
                });
                let _ =
                    hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    Receiver { url, received }
}

/// A host recording on a meter provider that exports to `receiver`, with `conventions`' names.
fn metered_host(receiver: &Receiver, conventions: GenAiConventions) -> (Host, SdkMeterProvider) {
    // An hour: nothing is sent before the test flushes.
    let provider =
        litellm_host::otlp::meter_provider(&receiver.url, Duration::from_secs(3600), "metrics-test").unwrap();
    let options = HostOptions::default().meter(litellm_host::otlp::meter(&provider)).conventions(conventions);
    (Host::with_options(options).unwrap(), provider)
}

/// Sends what was recorded (the SDK's export thread makes a blocking HTTP call) and returns every
/// metric that arrived, by name.
async fn flushed(provider: SdkMeterProvider, receiver: &Receiver) -> BTreeMap<String, Metric> {
    tokio::task::spawn_blocking(move || provider.force_flush().expect("the export succeeds")).await.unwrap();
    let received = receiver.received.lock().unwrap();
    assert!(!received.is_empty(), "the receiver got the export");
    let mut metrics = BTreeMap::new();
    for (path, content_type, request) in received.iter() {
        assert_eq!((path.as_str(), content_type.as_str()), ("/v1/metrics", "application/x-protobuf"));
        for resource in &request.resource_metrics {
            let resource_attributes = attributes(&resource.resource.as_ref().unwrap().attributes);
            assert_eq!(resource_attributes.get("service.name").map(String::as_str), Some("metrics-test"));
            for scope in &resource.scope_metrics {
                assert_eq!(scope.scope.as_ref().unwrap().name, "litellm-host");
                for metric in &scope.metrics {
                    metrics.insert(metric.name.clone(), metric.clone());
                }
            }
        }
    }
    metrics
}

fn attributes(list: &[KeyValue]) -> BTreeMap<String, String> {
    let text = |kv: &KeyValue| match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        other => format!("{other:?}"),
    };
    list.iter().map(|kv| (kv.key.clone(), text(kv))).collect()
}

/// A histogram's points: attributes, count, sum.
fn histogram(metric: &Metric) -> Vec<(BTreeMap<String, String>, u64, f64)> {
    match &metric.data {
        Some(metric::Data::Histogram(h)) => {
            h.data_points.iter().map(|p| (attributes(&p.attributes), p.count, p.sum.unwrap_or_default())).collect()
        }
        other => panic!("{}: not a histogram: {other:?}", metric.name),
    }
}

/// A monotonic sum's points: attributes and value.
fn counter(metric: &Metric) -> Vec<(BTreeMap<String, String>, i64)> {
    match &metric.data {
        Some(metric::Data::Sum(sum)) => {
            assert!(sum.is_monotonic, "{}: a counter", metric.name);
            let value = |v: &Option<number_data_point::Value>| match v {
                Some(number_data_point::Value::AsInt(i)) => *i,
                other => panic!("an integer count, got {other:?}"),
            };
            sum.data_points.iter().map(|p| (attributes(&p.attributes), value(&p.value))).collect()
        }
        other => panic!("{}: not a counter: {other:?}", metric.name),
    }
}

/// The one point whose attributes include every pair of `having`.
fn point<T: Clone>(points: &[(BTreeMap<String, String>, T)], having: &[(&str, &str)]) -> T {
    let matching: Vec<_> = points
        .iter()
        .filter(|(attrs, _)| having.iter().all(|(k, v)| attrs.get(*k).map(String::as_str) == Some(*v)))
        .collect();
    assert_eq!(
        matching.len(),
        1,
        "one point with {having:?} among {:?}",
        points.iter().map(|p| &p.0).collect::<Vec<_>>()
    );
    matching[0].1.clone()
}

/// Prints what arrived, names and values, for a person (the closing note shows one payload).
fn show(metrics: &BTreeMap<String, Metric>) {
    for (name, metric) in metrics {
        match &metric.data {
            Some(metric::Data::Histogram(_)) => {
                for (attrs, count, sum) in histogram(metric) {
                    eprintln!("{name} [{}] count={count} sum={sum:.6} {attrs:?}", metric.unit);
                }
            }
            Some(metric::Data::Sum(_)) => {
                for (attrs, value) in counter(metric) {
                    eprintln!("{name} [{}] value={value} {attrs:?}", metric.unit);
                }
            }
            other => eprintln!("{name}: {other:?}"),
        }
    }
}

struct Calls {
    answered: Usage,
    answered_model: String,
    streamed: Usage,
}

/// The same calls under both conventions: a reasoning model with cache and reasoning counts, a
/// stream, and a call the endpoint refuses.
async fn three_calls(host: &Host) -> Calls {
    let env = env().await;
    let tenant = Tenant::new("metered").allow_origin(&env.mock.base_url());
    let answer = host
        .generate(&tenant, env.config(), Request::user("litellm:mock/openai-reasoning", "one two three"))
        .await
        .unwrap();
    let mut stream = host.stream(&tenant, env.config(), Request::user("litellm:m", "four five")).await.unwrap();
    let mut streamed = None;
    while let Some(event) = stream.next().await {
        if let StreamEvent::Finish(end) = event.unwrap() {
            streamed = end.usage;
        }
    }
    let refused = host.generate(&tenant, env.config(), Request::user("litellm:mock/error-quota", "x")).await;
    assert_eq!(refused.unwrap_err().kind(), "quota-exceeded");
    Calls { answered: answer.usage.unwrap(), answered_model: answer.model, streamed: streamed.unwrap() }
}

/// The three calls on a host under `conventions`, and every metric they exported.
async fn exported(conventions: GenAiConventions) -> (Calls, BTreeMap<String, Metric>) {
    let receiver = receiver().await;
    let (host, provider) = metered_host(&receiver, conventions);
    let calls = three_calls(&host).await;
    let metrics = flushed(provider, &receiver).await;
    show(&metrics);
    (calls, metrics)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn semconv_1_41_names_arrive_over_otlp_with_their_units_attributes_and_values() {
    let (calls, metrics) = exported(GenAiConventions::V1_41).await;
    let names: Vec<_> = metrics.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "gen_ai.client.operation.duration",
            "gen_ai.client.operation.time_to_first_chunk",
            "gen_ai.client.token.usage"
        ]
    );

    let tokens = &metrics["gen_ai.client.token.usage"];
    assert_eq!(tokens.unit, "{token}");
    let points: Vec<_> = histogram(tokens).into_iter().map(|(a, count, sum)| (a, (count, sum))).collect();
    let reasoning = [("gen_ai.request.model", "litellm:mock/openai-reasoning"), ("gen_ai.token.type", "input")];
    assert_eq!(point(&points, &reasoning), (1, f64::from(calls.answered.input_tokens)));
    let reasoning = [("gen_ai.request.model", "litellm:mock/openai-reasoning"), ("gen_ai.token.type", "output")];
    assert_eq!(point(&points, &reasoning), (1, f64::from(calls.answered.output_tokens)));
    let streamed = [("gen_ai.request.model", "litellm:m"), ("gen_ai.token.type", "output")];
    assert_eq!(point(&points, &streamed), (1, f64::from(calls.streamed.output_tokens)));
    let attrs = &histogram(tokens)[0].0;
    for key in
        ["gen_ai.provider.name", "gen_ai.operation.name", "gen_ai.request.model", "gen_ai.response.model", "tenant"]
    {
        assert!(attrs.contains_key(key), "{key} in {attrs:?}");
    }
    let answered = [("gen_ai.token.type", "input"), ("gen_ai.response.model", calls.answered_model.as_str())];
    point(&points, &answered);
    assert_eq!(attrs["tenant"], "metered");
    assert_eq!(attrs["gen_ai.operation.name"], "chat");
    assert_eq!(attrs["gen_ai.provider.name"], "litellm");
    assert!(points.iter().all(|(a, _)| !a.contains_key("error.type")), "the refused call reported no tokens");

    let duration = &metrics["gen_ai.client.operation.duration"];
    assert_eq!(duration.unit, "s");
    let points: Vec<_> = histogram(duration).into_iter().map(|(a, count, sum)| (a, (count, sum))).collect();
    assert_eq!(points.iter().map(|(_, (count, _))| count).sum::<u64>(), 3);
    let (count, seconds) = point(&points, &[("error.type", "quota-exceeded")]);
    assert!(count == 1 && seconds > 0.0 && seconds < 60.0, "{count} {seconds}");

    let first = &metrics["gen_ai.client.operation.time_to_first_chunk"];
    assert_eq!(first.unit, "s");
    let points: Vec<_> = histogram(first).into_iter().map(|(a, count, sum)| (a, (count, sum))).collect();
    let (count, seconds) = point(&points, &[("gen_ai.request.model", "litellm:m")]);
    assert!(count == 1 && seconds > 0.0, "the stream's first chunk: {count} {seconds}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_latest_experimental_names_count_cache_and_reasoning_tokens() {
    let (calls, metrics) = exported(GenAiConventions::LatestExperimental).await;
    let names: Vec<_> = metrics.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "gen_ai.client.inference.duration",
            "gen_ai.client.inference.operation.input_tokens",
            "gen_ai.client.inference.operation.output_tokens",
            "gen_ai.client.inference.time_to_first_chunk",
            "gen_ai.client.inference.usage.cache_read.input_tokens",
            "gen_ai.client.inference.usage.input_tokens",
            "gen_ai.client.inference.usage.output_tokens",
            "gen_ai.client.inference.usage.reasoning.output_tokens",
        ],
        "no cache-write counter: the endpoint reported none"
    );
    let model = [("gen_ai.request.model", "litellm:mock/openai-reasoning")];
    let count = |name: &str| {
        let metric = &metrics[name];
        assert_eq!(metric.unit, "{token}", "{name}");
        counter(metric)
    };
    let input = count("gen_ai.client.inference.usage.input_tokens");
    assert_eq!(point(&input, &model), i64::from(calls.answered.input_tokens));
    assert_eq!(point(&input, &[("gen_ai.request.model", "litellm:m")]), i64::from(calls.streamed.input_tokens));
    let output = count("gen_ai.client.inference.usage.output_tokens");
    assert_eq!(point(&output, &model), i64::from(calls.answered.output_tokens));
    let cached = count("gen_ai.client.inference.usage.cache_read.input_tokens");
    assert_eq!(point(&cached, &model), i64::from(calls.answered.cached_input_tokens.unwrap()));
    let reasoning = count("gen_ai.client.inference.usage.reasoning.output_tokens");
    assert_eq!(point(&reasoning, &model), i64::from(calls.answered.reasoning_tokens.unwrap()));

    let per_call = &metrics["gen_ai.client.inference.operation.input_tokens"];
    let points: Vec<_> = histogram(per_call).into_iter().map(|(a, count, sum)| (a, (count, sum))).collect();
    assert_eq!(point(&points, &model), (1, f64::from(calls.answered.input_tokens)));

    let duration = &metrics["gen_ai.client.inference.duration"];
    assert_eq!(duration.unit, "s");
    let points: Vec<_> = histogram(duration).into_iter().map(|(a, count, sum)| (a, (count, sum))).collect();
    assert_eq!(points.iter().map(|(_, (count, _))| count).sum::<u64>(), 3);
    assert_eq!(point(&points, &[("error.type", "quota-exceeded")]).0, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_sends_its_call_s_metrics_and_shows_its_usage() {
    let receiver = receiver().await;
    let url = receiver.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_litellm-host"))
            .env_remove("LITELLM_BASE_URL")
            .env_remove(litellm_host::OPT_IN_VARIABLE)
            .args(["chat", "--verbose", "--model", "litellm:mock/openai-reasoning", "--otlp-endpoint", &url, "one two"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("usage: ") && stderr.contains("cached") && stderr.contains("reasoning"), "{stderr}");
    let received = receiver.received.lock().unwrap();
    let metrics: BTreeMap<_, _> = received
        .iter()
        .flat_map(|(_, _, request)| &request.resource_metrics)
        .flat_map(|resource| &resource.scope_metrics)
        .flat_map(|scope| &scope.metrics)
        .map(|metric| (metric.name.as_str(), metric))
        .collect();
    let duration = histogram(metrics["gen_ai.client.operation.duration"]);
    assert_eq!(duration.len(), 1);
    assert_eq!((duration[0].0["tenant"].as_str(), duration[0].1), ("cli", 1));
    assert!(metrics.contains_key("gen_ai.client.token.usage"));
}
