//! Runs every measurement once with the smallest counts (`Counts::tiny`), in this process: the
//! compile-and-run coverage of the bench for `cargo test --workspace`. The figures mean nothing.

use litellm_bench::{report, Counts, MemoryMode, Variant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiny_run_measures_everything() {
    let sizes = Counts::tiny();
    let results = litellm_bench::run(sizes.clone(), "cargo test", MemoryMode::InProcess).await.expect("the tiny run");
    // 1 KiB, 1 MiB, first and last stream event: every variant; instantiation: 2.
    assert_eq!(results.latency.len(), 4 * Variant::ALL.len() + 2);
    assert!(results.latency.iter().all(|r| !r.stats.is_empty()));
    // pooling, warm, the WASI 0.3 component warm, warm on a thread per core, native.
    assert_eq!(results.throughput.len(), sizes.callers.len() * 5);
    assert!(results.throughput.iter().all(|r| r.rate.median() > 0.0));
    assert_eq!(results.memory.len(), 3);
    assert!(results.memory.iter().all(|(_, f)| f.rss_before > 0));
    assert!(results.size.bytes > 0);
    let decomposition = &results.decomposition;
    // native, the WASI HTTP floor, warm, pooling, and warm with concurrency support on.
    assert_eq!(decomposition.cpu.len(), 5);
    assert!(decomposition.cpu.iter().any(|row| row.label == Variant::Floor.label()));
    assert!(decomposition.cpu.iter().all(|row| row.calls > 0 && row.cpu_us() > 0.0));
    // A warm generate crosses into the host (WASI calls) and into the guest (the export) at least once.
    assert!(decomposition.crossings.iter().all(|row| row.into_host >= 1.0 && row.into_guest >= 1.0));

    let table = report::render(&results);
    for expected in [
        "| generate, 1 KiB answer | component, pooling |",
        "| generate, 1 MiB answer | native reqwest",
        "stream of 20 events: first event",
        "| instantiate only | component, default allocator |",
        "| generate, 1 KiB answer | component, warm client (pooling) |",
        "| generate, 1 KiB answer | HTTPS: native reqwest + rustls (keep-alive) |",
        "### Throughput",
        "component, warm clients, a thread per core (pooling)",
        "| generate, 1 KiB answer | WASI 0.3 component, warm client (pooling) |",
        "| stream of 20 events: last event | WASI 0.3 component, pooling |",
        "the WASI 0.3 component (`--features wasi-p3`",
        "### Memory per live instance",
        "### Component size",
        "### Where a call's cost goes",
        "| generate, 1 KiB answer, warm client |",
        "No system call rows: not measured in the tiny mode.",
        "Bytes one warm 1 KiB call moves across the boundary",
        "the content out 1024 B",
    ] {
        assert!(table.contains(expected), "{expected:?} missing from\n{table}");
    }
    assert!(table.contains(Variant::Native.label()));
}

#[tokio::test]
async fn native_client_and_component_stream_the_same_events() {
    use litellm_mock::MockServer;
    use litellm_provider::domain::StreamEvent;

    let server = MockServer::start().await.unwrap();
    let client = litellm_bench::native::NativeClient::new(&server.base_url(), "sk-native", None).unwrap();
    let mut stream = client.stream(&litellm_bench::native_request(&litellm_bench::stream_model(5))).await.unwrap();
    let mut texts = String::new();
    let mut finish = None;
    while let Some(event) = stream.next().await {
        match event.unwrap() {
            StreamEvent::Text(t) => texts.push_str(&t),
            StreamEvent::Finish { stop_reason, usage, .. } => {
                finish = Some((stop_reason, usage.map(|u| u.output_tokens)))
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(texts, "w0 w1 w2 w3 w4 ");
    assert_eq!(finish, Some((litellm_provider::domain::StopReason::EndTurn, Some(5))));
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/v1/chat/completions");
    assert_eq!(seen[0].header("authorization"), Some("Bearer sk-native"));
    assert_eq!(seen[0].header("accept"), Some("text/event-stream"));
    assert_eq!(seen[0].body["model"], "mock/stream-events-5");
    assert_eq!(seen[0].body["stream"], true);
}
