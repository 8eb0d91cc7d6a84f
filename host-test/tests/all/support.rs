//! What every test needs: one host for the whole binary, a mock per test, a tenant allowed to reach it.

use litellm_host::{
    ApiError, CallError, Config, Host, HostOptions, ProviderError, Request, Response, StreamEnd, StreamEvent, Tenant,
    World,
};
use litellm_mock::MockServer;
use std::sync::OnceLock;

/// The host, compiled once per test binary.
pub fn host() -> &'static Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| Host::new().expect("the component loads"))
}

/// The host of the WASI 0.3 component ([`World::P3`]), compiled once per test binary.
pub fn host_p3() -> &'static Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| Host::with_options(HostOptions::default().world(World::P3)).expect("the 0.3 component loads"))
}

/// Both worlds' hosts, with their names: what the suites that run through both iterate over.
pub fn both_worlds() -> [(&'static str, &'static Host); 2] {
    [("WASI 0.2", host()), ("WASI 0.3", host_p3())]
}

pub struct Env {
    pub mock: MockServer,
    pub tenant: Tenant,
}

pub async fn env() -> Env {
    let mock = MockServer::start().await.expect("the mock starts");
    let tenant = Tenant::new("test").allow_origin(&mock.base_url());
    Env { mock, tenant }
}

impl Env {
    /// The mock's URL, no retries (tests of retries ask for them).
    pub fn config(&self) -> Config {
        Config::for_url(self.mock.base_url()).max_retries(0)
    }

    pub async fn generate(&self, model: &str) -> Result<Response, CallError> {
        self.call(self.config(), Request::user(model, "Hello there")).await
    }

    pub async fn call(&self, config: Config, request: Request) -> Result<Response, CallError> {
        host().generate(&self.tenant, config, request).await
    }
}

/// The provider's error, failing the test on anything else.
pub fn provider_error<T: std::fmt::Debug>(result: Result<T, CallError>) -> ProviderError {
    match result {
        Err(CallError::Provider(e)) => e,
        other => panic!("expected a provider error, got {other:?}"),
    }
}

/// The API error inside the cases that carry one.
pub fn api_error(e: &ProviderError) -> &ApiError {
    e.api_error().unwrap_or_else(|| panic!("expected an API error, got {e:?}"))
}

/// Every event of a stream against the test's mock, and the error that ended it early, if any.
pub async fn collect(env: &Env, config: Config, model: &str) -> (Vec<StreamEvent>, Option<CallError>) {
    collect_for(&env.tenant, config, model).await
}

/// Every event of a stream for `tenant`, and the error that ended it early, if any.
pub async fn collect_for(tenant: &Tenant, config: Config, model: &str) -> (Vec<StreamEvent>, Option<CallError>) {
    let mut stream = match host().stream(tenant, config, Request::user(model, "Hello there")).await {
        Ok(s) => s,
        Err(e) => return (Vec::new(), Some(e)),
    };
    let mut events = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(event) => events.push(event),
            Err(e) => return (events, Some(e)),
        }
    }
    (events, None)
}

pub fn text(events: &[StreamEvent]) -> String {
    events.iter().filter_map(|e| if let StreamEvent::Text(t) = e { Some(t.as_str()) } else { None }).collect()
}

pub fn finish(events: &[StreamEvent]) -> &StreamEnd {
    match events.last() {
        Some(StreamEvent::Finish(end)) => end,
        other => panic!("the last event is not finish: {other:?}"),
    }
}

/// Whether `shown` holds `key` in a spelling a reader would still recognise: any letter case, or
/// each character as a JSON `\uXXXX` escape.
pub fn leaks(shown: &str, key: &str) -> bool {
    let (shown, key) = (shown.to_lowercase(), key.to_lowercase());
    let escaped: String = key.chars().map(|c| format!("\\u{:04x}", c as u32)).collect();
    shown.contains(&key) || shown.contains(&escaped)
}

/// Per-minute counts restart with the wall clock's minute: a test that counts them starts with
/// enough of the minute left (a round that straddled two minutes would be counted in both).
pub async fn away_from_the_minute_s_end() {
    let second = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() % 60;
    if second >= 50 {
        tokio::time::sleep(std::time::Duration::from_secs(61 - second)).await;
    }
}
