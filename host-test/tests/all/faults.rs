//! The fault matrix: every broken, slow or hostile endpoint behaviour ends in the right typed error
//! within its time bound, through the real component, with no trap, in both worlds (the 0.2 and
//! the 0.3 component, one after the other). A world's cases run concurrently.

use crate::support::{both_worlds, env, leaks};
use futures::future::join_all;
use litellm_host::{CallError, Config, Host, ProviderError, Request, Tenant};
use std::time::{Duration, Instant};

struct Case {
    model: &'static str,
    stream: bool,
    config: fn(Config) -> Config,
    /// The error case expected, or `ok`.
    expected: &'static str,
    /// The attempts the error reports (0: not checked).
    attempts: u32,
    /// Words the error's `Debug` must hold ("": not checked): which deadline ran out.
    says: &'static str,
    at_least: Duration,
    at_most: Duration,
}

const fn case(model: &'static str, expected: &'static str, at_most_ms: u64) -> Case {
    Case {
        model,
        stream: false,
        config: |c| c,
        expected,
        attempts: 0,
        says: "",
        at_least: Duration::ZERO,
        at_most: Duration::from_millis(at_most_ms),
    }
}

fn cases() -> Vec<Case> {
    vec![
        case("mock/error-408", "bad-request", 3000),
        case("mock/error-409", "bad-request", 3000),
        case("mock/error-413", "bad-request", 3000),
        case("mock/error-502", "upstream", 3000),
        case("mock/error-504", "upstream", 3000),
        case("mock/error-quota", "quota-exceeded", 3000),
        case("mock/error-context", "context-length-exceeded", 3000),
        case("mock/error-content-filter", "content-filtered", 3000),
        case("mock/malformed-json", "malformed-response", 3000),
        case("mock/truncated-json", "malformed-response", 3000),
        case("mock/wrong-content-type", "malformed-response", 3000),
        case("mock/non-utf8", "ok", 3000),
        case("mock/reset-body", "transport", 3000),
        Case { config: |c| c.first_byte_timeout_ms(300), ..case("mock/slow-headers-5000", "timeout", 3000) },
        Case {
            config: |c| c.between_bytes_timeout_ms(300),
            says: "the body (between bytes)",
            at_least: Duration::from_millis(300),
            ..case("mock/stalled-body", "timeout", 3000)
        },
        Case {
            config: |c| c.total_timeout_ms(400),
            says: "the call (total deadline)",
            at_least: Duration::from_millis(400),
            ..case("mock/stalled-body", "timeout", 3000)
        },
        // A body over the cap is cut off, whether announced (content-length) or chunked.
        case("mock/huge", "malformed-response", 8000),
        Case { config: |c| c.max_response_bytes(512 << 10), ..case("mock/big-1mb", "malformed-response", 3000) },
        // Retries: honouring Retry-After in seconds, as an HTTP date, and retry-after-ms.
        Case {
            config: |c| c.max_retries(1),
            attempts: 2,
            at_least: Duration::from_millis(950),
            ..case("mock/error-429", "rate-limited", 4000)
        },
        Case {
            config: |c| c.max_retries(1),
            attempts: 2,
            at_least: Duration::from_millis(900),
            ..case("mock/error-429-date", "rate-limited", 5000)
        },
        Case {
            config: |c| c.max_retries(3),
            attempts: 4,
            at_least: Duration::from_millis(450),
            ..case("mock/error-429-ms", "rate-limited", 4000)
        },
        Case {
            config: |c| c.max_retries(2),
            at_least: Duration::from_millis(375 + 750),
            ..case("mock/flaky-2-matrix", "ok", 5000)
        },
        // A wait longer than the total deadline allows is not started: the error comes at once.
        Case {
            config: |c| c.max_retries(5).total_timeout_ms(700),
            attempts: 1,
            ..case("mock/error-429", "rate-limited", 950)
        },
        // Streams.
        Case { stream: true, config: |c| c.total_timeout_ms(300), ..case("mock/stream-endless", "timeout", 3000) },
        Case { stream: true, ..case("mock/stream-truncated", "malformed-response", 3000) },
        Case { stream: true, ..case("mock/stream-error-midway", "upstream", 3000) },
        Case { stream: true, ..case("mock/stream-not-sse", "ok", 3000) },
        Case { stream: true, ..case("mock/reset-body", "transport", 3000) },
        Case {
            stream: true,
            config: |c| c.between_bytes_timeout_ms(300),
            says: "the body (between bytes)",
            at_least: Duration::from_millis(300),
            ..case("mock/stalled-body", "timeout", 3000)
        },
        Case {
            stream: true,
            config: |c| c.max_retries(1),
            attempts: 2,
            at_least: Duration::from_millis(950),
            ..case("mock/error-429", "rate-limited", 4000)
        },
        // A hostile endpoint (contract 0.3.0): the key echoed in other spellings, a status that
        // is no HTTP status (never retried), oversized ids and names, terminal escapes.
        case("mock/hostile-echo-upper", "unauthorized", 3000),
        case("mock/hostile-echo-escaped", "upstream", 3000),
        case("mock/hostile-choices-key", "malformed-response", 3000),
        case("mock/hostile-redirect-key-host", "bad-request", 3000),
        Case {
            config: |c| c.max_retries(2),
            attempts: 1,
            ..case("mock/hostile-status-999", "malformed-response", 3000)
        },
        case("mock/hostile-long-id", "malformed-response", 3000),
        Case { stream: true, ..case("mock/hostile-stream-long-names", "malformed-response", 8000) },
        case("mock/hostile-escapes", "ok", 3000),
        Case { stream: true, ..case("mock/hostile-escapes", "ok", 3000) },
    ]
}

async fn run(host: &Host, tenant: &Tenant, config: Config, case: &Case) -> Result<(), CallError> {
    let request = Request::user(format!("litellm:{}", case.model), "fault");
    if !case.stream {
        return host.generate(tenant, config, request).await.map(drop);
    }
    let mut stream = host.stream(tenant, config, request).await?;
    while let Some(event) = stream.next().await {
        event?;
    }
    Ok(())
}

/// The attempts an error reports; `None` for the cases that carry no count.
fn attempts(e: &ProviderError) -> Option<u32> {
    match e {
        ProviderError::Timeout(f) | ProviderError::Transport(f) => Some(f.attempts),
        ProviderError::InvalidRequest(_) | ProviderError::MalformedResponse(_) => None,
        other => Some(crate::support::api_error(other).attempts),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_ends_in_its_typed_error_in_time_without_a_trap() {
    let mut failures = Vec::new();
    let mut cases_run = 0;
    for (world, host) in both_worlds() {
        let (cases, failed) = matrix(host).await;
        cases_run += cases;
        failures.extend(failed.into_iter().map(|f| format!("{world}: {f}")));
    }
    assert!(failures.is_empty(), "{} of {cases_run} cases failed:\n{}", failures.len(), failures.join("\n"));
}

/// The whole matrix through `host`, against a mock of its own (the cases count its requests):
/// how many cases ran, and what each failure was.
async fn matrix(host: &Host) -> (usize, Vec<String>) {
    let env = env().await;
    let key = "sk-fault-matrix-91c2";
    let tenant = env.tenant.clone().env("LITELLM_API_KEY", key);
    // FAULT_CASE=substring runs only the matching cases (for debugging one).
    let only = std::env::var("FAULT_CASE").unwrap_or_default();
    let cases: Vec<Case> = cases().into_iter().filter(|c| c.model.contains(only.as_str())).collect();
    let runs = cases.iter().map(|case| {
        let config = (case.config)(env.config());
        let tenant = tenant.clone();
        async move {
            let started = Instant::now();
            let result = tokio::time::timeout(Duration::from_secs(30), run(host, &tenant, config, case)).await;
            (case, result, started.elapsed())
        }
    });
    let done = join_all(runs).await;
    // An error without a count of attempts is counted by what the mock received: such a case's
    // model is its own in the matrix.
    let attempts_of = |e: &ProviderError, case: &Case| {
        attempts(e).unwrap_or_else(|| {
            assert_eq!(cases.iter().filter(|c| c.model == case.model).count(), 1, "{}: one case", case.model);
            env.mock.requests_for(case.model).len() as u32
        })
    };
    let mut failures = Vec::new();
    for (case, result, elapsed) in done {
        let label = format!("{}{}", case.model, if case.stream { " (stream)" } else { "" });
        let outcome = match result {
            Err(_) => Err(format!("{label}: hung")),
            Ok(Ok(())) if case.expected == "ok" => Ok(()),
            Ok(Ok(())) => Err(format!("{label}: succeeded, expected {}", case.expected)),
            Ok(Err(e @ CallError::Sandbox(_))) => Err(format!("{label}: TRAP {e}")),
            Ok(Err(e @ CallError::Quota(_))) => Err(format!("{label}: refused by a quota it does not have: {e}")),
            Ok(Err(CallError::Provider(e))) => {
                let shown = format!("{e:?}");
                if e.kind() != case.expected {
                    Err(format!("{label}: {shown}, expected {}", case.expected))
                } else if !shown.contains(case.says) {
                    Err(format!("{label}: {shown}, expected it to say {:?}", case.says))
                } else if case.attempts != 0 && attempts_of(&e, case) != case.attempts {
                    Err(format!("{label}: {} attempts, expected {}", attempts_of(&e, case), case.attempts))
                } else if leaks(&shown, key) {
                    Err(format!("{label}: the key leaked: {shown}"))
                } else {
                    Ok(())
                }
            }
        };
        let timing = if elapsed < case.at_least || elapsed > case.at_most {
            Err(format!("{label}: took {elapsed:?}, expected {:?}..={:?}", case.at_least, case.at_most))
        } else {
            Ok(())
        };
        failures.extend(outcome.err());
        failures.extend(timing.err());
    }
    (cases.len(), failures)
}
