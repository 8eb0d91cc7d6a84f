//! `litellm-gateway`: an OpenAI-compatible HTTP gateway as a `wasi:http/proxy` component, safe to
//! expose: closed until client keys are configured.
//!
//! It imports `devsper:llm/provider@0.3.0` (the contract of the root `wit/`, through the
//! `litellm-client` crate) and exports `wasi:http/incoming-handler`. `litellm-compose` plugs the
//! `litellm-provider` component into its import with wac; the composition imports only standard
//! WASI 0.2, so `wasmtime serve` (and any `wasi:http/proxy` host) runs it:
//!
//! * `POST /v1/chat/completions`: OpenAI's body in, `chat.completion` out; with `"stream": true`
//!   server-sent `chat.completion.chunk` events and `data: [DONE]`;
//! * `POST /v1/embeddings`: OpenAI's body in (input as a string or a list), its list out (floats
//!   or base64);
//! * `POST /v1/responses`: OpenAI's Responses body in (Codex CLI's wire), a `response` out; with
//!   `"stream": true` the Responses event sequence ([`openai::ResponseEvents`]);
//! * `POST /v1/messages` (`?beta=true` too): Anthropic's Messages body in (Claude Code's wire), a
//!   `message` out, or its event sequence; errors in Anthropic's shape ([`anthropic`]);
//!   `POST /v1/messages/count_tokens`: an estimate ([`anthropic::count_tokens`]);
//! * `GET /v1/models`: the upstream's model list, within the model allowlist;
//! * `GET /health`: `{"status":"ok"}` without a key and without calling the upstream.
//!
//! Every other request must carry a client key (`Authorization: Bearer KEY`, `api-key: KEY` or
//! Anthropic's `x-api-key: KEY`)
//! from `LITELLM_GATEWAY_KEYS`; with none configured the gateway answers 401 to everything but
//! `/health`, unless `LITELLM_GATEWAY_AUTH=none` opens it. The model allowlist, the field
//! passthrough and the request limits are in [`settings`]. The provider reads its upstream from
//! the same environment (`LITELLM_BASE_URL`, `LITELLM_API_KEY`, `LITELLM_PROFILE`); the client's
//! key never goes upstream and the upstream's key never reaches a client. Each request writes one
//! JSON line to stderr ([`access_log`]).
//!
//! `openai/` holds the pure conversions and `settings.rs` the policy (tested natively), `http.rs`
//! the `wasi:http` glue; this file routes.
#![deny(missing_docs)]

pub mod access_log;
pub mod anthropic;
mod http;
pub mod limits;
pub mod openai;
mod pump;
pub mod routes;
pub mod settings;
mod store;
mod wire;

use access_log::Entry;
use http::BodyError;
use limits::{Admission, Refused};
use litellm_client::{Client, Config, Error, Request};
use openai::{error_reply, gateway_error, ErrorReply, Invalid};
use routes::OnStoreError;
use serde_json::{json, Value};
use settings::{Refusal, Settings};
use store::SharedBucket;
use wasi::clocks::monotonic_clock::{self, Instant};
use wasi::http::types::{IncomingRequest, Method, ResponseOutparam};
use wire::{ChatWire, Wire};

/// The most stream events one crossing into the provider brings back.
const BATCH: u32 = 64;

/// The component's export.
pub struct Gateway;

#[cfg(target_arch = "wasm32")]
wasi::http::proxy::export!(Gateway);

/// The gateway's environment, as the host gives it: read once per request (each read is a
/// crossing that copies every variable).
fn environment() -> impl Fn(&str) -> Option<String> {
    let variables = wasi::cli::environment::get_environment();
    move |name| variables.iter().find_map(|(k, v)| (k == name).then(|| v.clone()))
}

impl wasi::exports::http::incoming_handler::Guest for Gateway {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let started = monotonic_clock::now();
        let path = request.path_with_query().unwrap_or_default();
        let path = path.split('?').next().unwrap_or_default().to_owned();
        let method = request.method();
        let mut entry = Entry { route: path.clone(), method: method_name(&method), ..Entry::default() };
        serve(&request, out, &method, &path, &mut entry);
        let wall = wasi::clocks::wall_clock::now();
        let time_ms = wall.seconds * 1000 + u64::from(wall.nanoseconds) / 1_000_000;
        let duration_ms = (monotonic_clock::now() - started) / 1_000_000;
        // One write for the whole line: `eprintln!` writes in pieces, and the next request's
        // instance may already be logging (the answer went out first), so that pieces of two
        // lines would interleave in the host's output.
        let mut line = entry.line(time_ms, duration_ms).to_string();
        line.push('\n');
        let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    }
}

fn method_name(method: &Method) -> &'static str {
    match method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Head => "HEAD",
        Method::Put => "PUT",
        Method::Delete => "DELETE",
        Method::Options => "OPTIONS",
        _ => "OTHER",
    }
}

/// One request: health, then the gateway's settings, the client's key, and the route.
fn serve(request: &IncomingRequest, out: ResponseOutparam, method: &Method, path: &str, entry: &mut Entry) {
    // The `/v1` prefix is optional, as on OpenAI-compatible servers.
    let route = path.strip_prefix("/v1").unwrap_or(path);
    let health = route == "/health" && matches!(method, Method::Get);
    let settings = match Settings::from_env(environment()) {
        Ok(settings) => settings,
        Err(why) => {
            // Every route says so, `/health` too (503): a platform must not route to it.
            let (status, code) = if health { (503, "gateway_misconfigured") } else { (500, "gateway_misconfigured") };
            let error = gateway_error(status, &format!("the gateway is misconfigured: {why}"), "server_error", code);
            return respond(out, entry, Err(error), http::deadline_in(10_000));
        }
    };
    entry.open = settings.is_open();
    if health {
        // No key needed and no upstream call: the platform's liveness probe.
        return respond(out, entry, Ok(json!({"status": "ok"})), http::deadline_in(10_000));
    }
    let deadline = http::deadline_in(u64::from(settings.timeout_ms));
    let authorization = http::header(request, "authorization");
    let api_key = http::header(request, "api-key").or_else(|| http::header(request, "x-api-key"));
    match settings.auth.check(authorization.as_deref(), api_key.as_deref()) {
        Ok(client) => entry.client = client,
        Err(refusal) => return respond(out, entry, Err(unauthorized(refusal)), deadline),
    }
    let body_deadline = http::deadline_in(settings.body_timeout_ms);
    match (method, route) {
        (Method::Post, "/chat/completions") => match read(request, &settings, body_deadline) {
            Ok(body) => chat(&body, &settings, out, entry, deadline),
            Err(error) => respond(out, entry, Err(error), deadline),
        },
        (Method::Post, "/responses") => match read(request, &settings, body_deadline) {
            Ok(body) => responses(&body, &settings, out, entry, deadline),
            Err(error) => respond(out, entry, Err(error), deadline),
        },
        (Method::Post, "/messages") => match read(request, &settings, body_deadline) {
            Ok(body) => messages(&body, &settings, out, entry, deadline),
            Err(error) => respond(out, entry, Err(error), deadline),
        },
        (Method::Post, "/messages/count_tokens") => {
            let reply = read(request, &settings, body_deadline)
                .and_then(|body| anthropic::count_tokens(&body).map_err(invalid));
            respond(out, entry, reply, deadline)
        }
        (Method::Post, "/embeddings") => {
            match read(request, &settings, body_deadline).and_then(|body| embed(&body, &settings, entry, deadline)) {
                Ok(serialized) => {
                    entry.status = 200;
                    http::json_bytes(out, 200, &serialized, &deployment_header(entry), deadline)
                }
                Err(error) => respond(out, entry, Err(error), deadline),
            }
        }
        (Method::Get, "/models") => {
            let reply = list_models(&settings, entry.client.as_deref());
            respond(out, entry, reply, deadline)
        }
        (
            _,
            "/chat/completions"
            | "/responses"
            | "/messages"
            | "/messages/count_tokens"
            | "/embeddings"
            | "/models"
            | "/health",
        ) => {
            let error = gateway_error(405, "method not allowed", "invalid_request_error", "method_not_allowed");
            respond(out, entry, Err(error), deadline)
        }
        _ => {
            let error = gateway_error(404, &format!("no route for {path}"), "invalid_request_error", "not_found");
            respond(out, entry, Err(error), deadline)
        }
    }
}

/// The 401 for a refused key, in OpenAI's shape; it never echoes what the client sent.
fn unauthorized(refusal: Refusal) -> ErrorReply {
    let message = match refusal {
        Refusal::NotConfigured => {
            "this gateway has no client keys configured: set LITELLM_GATEWAY_KEYS to a comma-separated list of keys \
             (`name=key` names a team), or LITELLM_GATEWAY_AUTH=none to open it to anyone"
        }
        Refusal::WrongKey => {
            "missing or incorrect API key: send `Authorization: Bearer KEY` (or `api-key: KEY`) with a key of \
             LITELLM_GATEWAY_KEYS"
        }
    };
    gateway_error(401, message, "invalid_request_error", "invalid_api_key")
}

/// A JSON answer, or an error reply.
type Reply = Result<Value, ErrorReply>;

/// Whether a route speaks Anthropic's wire, so that its errors take Anthropic's shape.
fn speaks_anthropic(route: &str) -> bool {
    let route = route.strip_prefix("/v1").unwrap_or(route);
    route == "/messages" || route.starts_with("/messages/")
}

/// Sends a reply: 200 with its JSON, or the error's status, body and `retry-after` headers; and
/// notes the status (and error type) for the log. Errors on Anthropic's routes take its shape.
fn respond(out: ResponseOutparam, entry: &mut Entry, reply: Reply, deadline: Instant) {
    match reply {
        Ok(value) => {
            entry.status = 200;
            http::json(out, 200, &value, &deployment_header(entry), deadline)
        }
        Err(mut error) => {
            if speaks_anthropic(&entry.route) {
                error.body = anthropic::error_body(&error);
            }
            entry.status = error.status;
            entry.error = error.body["error"]["type"].as_str().map(str::to_owned);
            let mut headers = retry_headers(error.retry_after_ms);
            headers.extend(deployment_header(entry));
            http::json(out, error.status, &error.body, &headers, deadline)
        }
    }
}

/// The response header that names the deployment that answered (never its address or key).
pub const DEPLOYMENT_HEADER: &str = "x-litellm-deployment";

fn deployment_header(entry: &Entry) -> Vec<(&'static str, String)> {
    entry.deployment.iter().map(|name| (DEPLOYMENT_HEADER, name.clone())).collect()
}

/// `retry-after-ms` and `retry-after` (whole seconds, rounded up), as OpenAI sends them, so
/// that the client's own retry logic waits as long as the upstream asked.
fn retry_headers(retry_after_ms: Option<u64>) -> Vec<(&'static str, String)> {
    match retry_after_ms {
        Some(ms) => vec![("retry-after-ms", ms.to_string()), ("retry-after", ms.div_ceil(1000).to_string())],
        None => vec![],
    }
}

/// The request body under the gateway's cap and deadline.
fn read(request: &IncomingRequest, settings: &Settings, deadline: Instant) -> Result<Vec<u8>, ErrorReply> {
    http::read_body(request, settings.max_body_bytes, deadline).map_err(|e| match e {
        BodyError::TooLarge => {
            let message = format!("the request body is larger than {} bytes", settings.max_body_bytes);
            gateway_error(413, &message, "invalid_request_error", "request_too_large")
        }
        BodyError::TimedOut => {
            let message = format!("the request body did not arrive within {} ms", settings.body_timeout_ms);
            gateway_error(408, &message, "invalid_request_error", "request_timeout")
        }
        BodyError::Broken(why) => {
            let message = format!("the request body could not be read: {why}");
            gateway_error(400, &message, "invalid_request_error", "body_unreadable")
        }
    })
}

/// A 400 for a body the gateway refuses, naming the field.
fn invalid(e: Invalid) -> ErrorReply {
    let mut reply = gateway_error(400, &e.message, "invalid_request_error", "invalid_request");
    reply.body["error"]["param"] = json!(e.param);
    if e.message.starts_with("Unrecognized request argument") {
        reply.body["error"]["code"] = json!("unknown_parameter");
    }
    reply
}

/// A 404 for a model outside the allowlist, as OpenAI answers an unknown model.
fn model_not_found(model: &str) -> ErrorReply {
    let message = format!("The model `{model}` does not exist or you do not have access to it.");
    gateway_error(404, &message, "invalid_request_error", "model_not_found")
}

/// A client with the provider's defaults and environment, and the gateway's deadline.
fn open(settings: &Settings) -> Result<Client, ErrorReply> {
    let config = Config { total_timeout_ms: Some(settings.timeout_ms), ..Config::default() };
    Client::open(&config).map_err(|e| error_reply(&e))
}

/// The models a caller may list: with routes, the routed names (not the patterns) without an
/// upstream call; else the upstream's list; either within the allowlist and the key's models.
fn list_models(settings: &Settings, client: Option<&str>) -> Reply {
    let policy = settings.policy(client).map(|(policy, _)| policy);
    let allowed = |id: &str| settings.models.allows(id) && policy.is_none_or(|p| p.allows(id));
    let models = match settings.routes.as_ref().filter(|r| !r.models.is_empty()) {
        Some(routes) => routes
            .models
            .iter()
            .filter(|route| !route.model.ends_with('*'))
            .map(|route| litellm_client::ModelInfo { id: route.model.clone(), owned_by: None, created: None })
            .collect(),
        None => open(settings)?.list_models().map_err(|e| error_reply(&e))?,
    };
    Ok(openai::models(&models.into_iter().filter(|m| allowed(&m.id)).collect::<Vec<_>>()))
}

/// An embeddings call: its answer serialized already (see `openai::embeddings_reply`).
fn embed(body: &[u8], settings: &Settings, entry: &mut Entry, deadline: Instant) -> Result<Vec<u8>, ErrorReply> {
    let call = openai::embeddings_call(body).map_err(invalid)?;
    let model = call.request.model.clone();
    entry.model = Some(model.clone());
    let store = admitted(settings, &model, entry)?;
    let (store, admission) = store;
    let answer = routed(settings, &store, &model, entry, deadline, |client, upstream_model| {
        let request = litellm_client::EmbeddingsRequest { model: upstream_model.to_owned(), ..call.request.clone() };
        client.embed(&request)
    });
    if let Ok(answer) = &answer {
        entry.usage = answer.usage;
    }
    finish(&store, admission, entry);
    Ok(openai::embeddings_reply(&answer?, call.base64))
}

/// The checks before any upstream call: the allowlist, the key's models and limits. Gives the
/// shared store and the admission to finish when the call ends.
fn admitted(
    settings: &Settings,
    model: &str,
    entry: &mut Entry,
) -> Result<(SharedBucket, Option<Admission>), ErrorReply> {
    if !settings.models.allows(model) {
        return Err(model_not_found(model));
    }
    let bucket = settings.routes.as_ref().map_or(routes::DEFAULT_BUCKET, |r| r.bucket.as_str());
    let store = SharedBucket::new(bucket);
    let Some((policy, name)) = settings.policy(entry.client.as_deref()) else { return Ok((store, None)) };
    if !policy.allows(model) {
        return Err(model_not_found(model));
    }
    if !policy.counts() {
        return Ok((store, None));
    }
    match limits::admit(&store, &name, policy, now_ms()) {
        Ok(admission) => Ok((store, Some(admission))),
        Err(Refused::Over { limit, of, retry_after_ms }) => {
            entry.limit = Some(limit.name());
            Err(over_limit(limit, of, retry_after_ms))
        }
        Err(Refused::Store(why)) => {
            entry.store_error = Some(why);
            match settings.routes.as_ref().map(|r| r.on_store_error) {
                Some(OnStoreError::Open) => Ok((store, None)),
                _ => Err(gateway_error(
                    503,
                    "the gateway's shared store is unavailable, so this key's limits cannot be counted; retry later",
                    "server_error",
                    "store_unavailable",
                )),
            }
        }
    }
}

/// The 429 of a key over one of its limits, in OpenAI's shape (Anthropic's on its routes).
fn over_limit(limit: limits::Limit, of: u64, retry_after_ms: Option<u64>) -> ErrorReply {
    use limits::Limit;
    let (what, kind, code) = match limit {
        Limit::Rpm => (format!("{of} requests per minute"), "requests", "rate_limit_exceeded"),
        Limit::Tpm => (format!("{of} tokens per minute"), "tokens", "rate_limit_exceeded"),
        Limit::Concurrent => (format!("{of} requests at once"), "requests", "rate_limit_exceeded"),
        Limit::Budget => (format!("a budget of {of} tokens"), "insufficient_quota", "insufficient_quota"),
    };
    let wait = match retry_after_ms {
        Some(ms) => format!("; retry after {} s", ms.div_ceil(1000)),
        None => ": it does not renew; ask the gateway's operator".to_owned(),
    };
    let mut reply = gateway_error(429, &format!("this key is over its limit of {what}{wait}"), kind, code);
    reply.retry_after_ms = retry_after_ms;
    reply
}

/// Counts what a call used and gives back its slot; a store error here is logged, the answer
/// stands.
fn finish(store: &SharedBucket, admission: Option<Admission>, entry: &mut Entry) {
    let Some(admission) = admission else { return };
    let tokens = entry.usage.map_or(0, |u| u64::from(u.input_tokens) + u64::from(u.output_tokens));
    if let Err(why) = admission.finish(store, tokens, now_ms()) {
        entry.store_error = Some(why);
    }
}

/// Runs `call` on the deployments that serve `model`, in the routes' order, moving on after a
/// fallback error ([`routes::falls_back`]) and cooling that deployment down; without routes, on
/// the provider's own upstream. Names the deployment that answered (and those tried) in `entry`.
fn routed<T>(
    settings: &Settings,
    store: &SharedBucket,
    model: &str,
    entry: &mut Entry,
    deadline: Instant,
    mut call: impl FnMut(&Client, &str) -> Result<T, Error>,
) -> Result<T, ErrorReply> {
    let Some(routes) = settings.routes.as_ref().filter(|r| !r.models.is_empty()) else {
        return call(&open(settings)?, model).map_err(|e| error_reply(&e));
    };
    let now = now_ms();
    // The shared store decides the turn and the cool-downs; a store that fails makes neither
    // (the document's order is used): the choice of a deployment is not a limit.
    let turn = |route: &routes::Route| {
        if routes.balances(route) {
            limits::next_turn(store, &route.model).unwrap_or(0)
        } else {
            0
        }
    };
    let mut plan = routes.plan(model, turn);
    if plan.is_empty() {
        return Err(model_not_found(model));
    }
    if plan.len() > 1 {
        // Cooling deployments go last, in their order: still tried when nothing else answers.
        plan.sort_by_cached_key(|a| limits::cooling(store, &a.deployment.name, now).unwrap_or(false));
    }
    let mut last = None;
    for attempt in &plan {
        let name = &attempt.deployment.name;
        let key = attempt.deployment.api_key_secret.as_deref().and_then(|s| settings.secrets.get(s));
        let remaining = (deadline.saturating_sub(monotonic_clock::now()) / 1_000_000).max(1);
        let config = attempt.config(key, u32::try_from(remaining).unwrap_or(u32::MAX));
        let result = Client::open(&config).and_then(|client| call(&client, &attempt.upstream_model()));
        match result {
            Err(error) if routes::falls_back(&error) => {
                entry.tried.push(name.clone());
                let _ = limits::cool_down(store, name, now_ms(), routes.cooldown_ms);
                last = Some(error);
            }
            result => {
                entry.deployment = Some(name.clone());
                return result.map_err(|e| error_reply(&e));
            }
        }
    }
    Err(error_reply(&last.expect("a plan has at least one attempt")))
}

fn chat(body: &[u8], settings: &Settings, out: ResponseOutparam, entry: &mut Entry, deadline: Instant) {
    let call = match openai::chat_call(body, &settings.passthrough) {
        Ok(call) => call,
        Err(e) => return respond(out, entry, Err(invalid(e)), deadline),
    };
    let (id, created) = (completion_id(), now_seconds());
    let chunks = openai::Chunks::new(&id, created, &call.request.model, call.include_usage);
    let mut wire = ChatWire { id, created, chunks };
    answer(call.request, call.stream, &mut wire, settings, out, entry, deadline)
}

fn responses(body: &[u8], settings: &Settings, out: ResponseOutparam, entry: &mut Entry, deadline: Instant) {
    let call = match openai::responses_call(body, &settings.passthrough) {
        Ok(call) => call,
        Err(e) => return respond(out, entry, Err(invalid(e)), deadline),
    };
    entry.left_out = call.left_out;
    let ids = openai::ResponseIds::new(&random_hex());
    let mut wire = openai::ResponseEvents::new(ids, now_seconds(), &call.request.model, call.echo);
    answer(call.request, call.stream, &mut wire, settings, out, entry, deadline)
}

fn messages(body: &[u8], settings: &Settings, out: ResponseOutparam, entry: &mut Entry, deadline: Instant) {
    let call = match anthropic::messages_call(body, &settings.passthrough) {
        Ok(call) => call,
        Err(e) => return respond(out, entry, Err(invalid(e)), deadline),
    };
    entry.left_out = call.left_out;
    let mut wire = anthropic::MessageEvents::new(&format!("msg_{}", random_hex()), &call.request.model);
    answer(call.request, call.stream, &mut wire, settings, out, entry, deadline)
}

/// A call on any wire: the allowlist, the key's models and limits, the routed provider, then
/// the whole answer or the stream; and what the call used, counted when it ends.
fn answer(
    request: Request,
    stream: bool,
    wire: &mut dyn Wire,
    settings: &Settings,
    out: ResponseOutparam,
    entry: &mut Entry,
    deadline: Instant,
) {
    entry.model = Some(request.model.clone());
    entry.stream = stream;
    if let Err(why) = settings.media.check(&request) {
        return respond(out, entry, Err(gateway_error(400, &why, "invalid_request_error", "media_refused")), deadline);
    }
    let (store, admission) = match admitted(settings, &request.model, entry) {
        Ok(admitted) => admitted,
        Err(error) => return respond(out, entry, Err(error), deadline),
    };
    serve_call(request, stream, wire, settings, &store, out, entry, deadline);
    finish(&store, admission, entry);
}

#[allow(clippy::too_many_arguments)]
fn serve_call(
    request: Request,
    stream: bool,
    wire: &mut dyn Wire,
    settings: &Settings,
    store: &SharedBucket,
    out: ResponseOutparam,
    entry: &mut Entry,
    deadline: Instant,
) {
    let model = request.model.clone();
    let upstream = |model: &str| Request { model: model.to_owned(), ..request.clone() };
    if !stream {
        let reply = routed(settings, store, &model, entry, deadline, |client, m| client.generate(&upstream(m)));
        let reply = reply.map(|answer| {
            entry.usage = answer.usage;
            wire.whole(&answer)
        });
        return respond(out, entry, reply, deadline);
    }
    // The provider sends the request and reads the status before it returns the stream, so an
    // upstream error still becomes this response's status, and the next deployment can still
    // be tried: nothing has been sent to the client yet.
    let stream = match routed(settings, store, &model, entry, deadline, |client, m| client.stream(&upstream(m))) {
        Ok(stream) => stream,
        Err(error) => return respond(out, entry, Err(error), deadline),
    };
    pump::relay(&stream, wire, out, entry, deadline);
}

/// 24 hex digits from WASI random: the stem of the answers' ids.
fn random_hex() -> String {
    let (a, b) = (wasi::random::random::get_random_u64(), wasi::random::random::get_random_u64());
    format!("{a:016x}{:08x}", b as u32)
}

/// A fresh completion id, `chatcmpl-` and 24 hex digits from WASI random.
fn completion_id() -> String {
    format!("chatcmpl-{}", random_hex())
}

/// The wall clock in Unix milliseconds, for the limits' minutes and the cool-downs.
fn now_ms() -> u64 {
    let now = wasi::clocks::wall_clock::now();
    now.seconds.saturating_mul(1000) + u64::from(now.nanoseconds / 1_000_000)
}

/// The wall clock in Unix seconds, for `created`.
fn now_seconds() -> u64 {
    wasi::clocks::wall_clock::now().seconds
}
