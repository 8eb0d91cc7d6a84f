//! `litellm-gateway`: an OpenAI-compatible HTTP gateway as a `wasi:http/proxy` component.
//!
//! It imports `devsper:llm/provider@0.3.0` (the contract of the root `wit/`, through the
//! `litellm-client` crate) and exports
//! `wasi:http/incoming-handler`. `litellm-compose` plugs the `litellm-provider` component into its
//! import with wac; the composition imports only standard WASI 0.2, so `wasmtime serve` (and any
//! `wasi:http/proxy` host) runs it:
//!
//! * `POST /v1/chat/completions`: OpenAI's body in, `chat.completion` out; with `"stream": true`
//!   server-sent `chat.completion.chunk` events and `data: [DONE]`;
//! * `GET /v1/models`: the upstream's model list;
//! * `GET /health`: `{"status":"ok"}` without calling the upstream.
//!
//! The `/v1` prefix is optional. Each request opens a client with an empty configuration, so the
//! provider reads its endpoint and key from the environment the host gives the component
//! (`LITELLM_BASE_URL`, `LITELLM_API_KEY`), with its own defaults for timeouts and retries. The
//! gateway does not authenticate its own clients: that is the platform's job in front of it.
//! Upstream errors reach the client with their status and OpenAI's error body
//! (`{"error":{"message","type","param","code"}}`).
//!
//! `openai.rs` holds the pure conversions (tested natively), `http.rs` the `wasi:http` glue; this
//! file routes.

mod http;
pub mod openai;

use litellm_client::{Client, Config, Error};
use openai::{error_reply, gateway_error, ErrorReply};
use serde_json::json;
use wasi::http::types::{IncomingRequest, Method, ResponseOutparam};

/// The largest request body read, in bytes; a larger one gets a 413. Chat bodies with images as
/// data URLs can be large, but a gateway must bound what one request makes it hold.
const MAX_BODY: usize = 16 << 20;
/// The most stream events one crossing into the provider brings back.
const BATCH: u32 = 64;

/// The component's export.
pub struct Gateway;

#[cfg(target_arch = "wasm32")]
wasi::http::proxy::export!(Gateway);

impl wasi::exports::http::incoming_handler::Guest for Gateway {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let path = request.path_with_query().unwrap_or_default();
        let path = path.split('?').next().unwrap_or_default();
        // The `/v1` prefix is optional, as on OpenAI-compatible servers.
        let route = path.strip_prefix("/v1").unwrap_or(path);
        match (request.method(), route) {
            (Method::Post, "/chat/completions") => chat(&request, out),
            (Method::Get, "/models") => respond(out, list_models()),
            (Method::Get, "/health") => http::json(out, 200, &json!({"status": "ok"}), &[]),
            (_, "/chat/completions" | "/models" | "/health") => respond(
                out,
                Err(gateway_error(405, "method not allowed", "invalid_request_error", "method_not_allowed")),
            ),
            _ => {
                let message = format!("no route for {path}");
                respond(out, Err(gateway_error(404, &message, "invalid_request_error", "not_found")))
            }
        }
    }
}

/// A JSON answer, or an error reply.
type Reply = Result<serde_json::Value, ErrorReply>;

/// Sends a reply: 200 with its JSON, or the error's status, body and `retry-after` headers.
fn respond(out: ResponseOutparam, reply: Reply) {
    match reply {
        Ok(value) => http::json(out, 200, &value, &[]),
        Err(error) => {
            let headers = retry_headers(error.retry_after_ms);
            http::json(out, error.status, &error.body, &headers)
        }
    }
}

/// `retry-after-ms` and `retry-after` (whole seconds, rounded up), as OpenAI sends them, so
/// that the client's own retry logic waits as long as the upstream asked.
fn retry_headers(retry_after_ms: Option<u64>) -> Vec<(&'static str, String)> {
    match retry_after_ms {
        Some(ms) => vec![("retry-after-ms", ms.to_string()), ("retry-after", ms.div_ceil(1000).to_string())],
        None => vec![],
    }
}

/// A client with every setting `none`: the provider's defaults and its environment.
fn open() -> Result<Client, ErrorReply> {
    let config = Config::default();
    Client::open(&config).map_err(|e| error_reply(&e))
}

fn list_models() -> Reply {
    let models = open()?.list_models().map_err(|e| error_reply(&e))?;
    Ok(openai::models(&models))
}

fn chat(request: &IncomingRequest, out: ResponseOutparam) {
    let body = match http::read_body(request, MAX_BODY) {
        Ok(body) => body,
        Err(http::BodyError::TooLarge) => {
            let message = format!("the request body is larger than {MAX_BODY} bytes");
            return respond(out, Err(gateway_error(413, &message, "invalid_request_error", "request_too_large")));
        }
        Err(http::BodyError::Broken(why)) => {
            let message = format!("the request body could not be read: {why}");
            return respond(out, Err(gateway_error(400, &message, "invalid_request_error", "body_unreadable")));
        }
    };
    let call = match openai::chat_call(&body) {
        Ok(call) => call,
        Err(message) => {
            return respond(out, Err(gateway_error(400, &message, "invalid_request_error", "invalid_request")))
        }
    };
    let client = match open() {
        Ok(client) => client,
        Err(error) => return respond(out, Err(error)),
    };
    let (id, created) = (completion_id(), now_seconds());
    if !call.stream {
        let reply = client.generate(&call.request).map(|answer| openai::completion(&answer, &id, created));
        return respond(out, reply.map_err(|e| error_reply(&e)));
    }
    // The provider sends the request and reads the status before it returns the stream, so an
    // upstream error still becomes this response's status.
    let stream = match client.stream(&call.request) {
        Ok(stream) => stream,
        Err(error) => return respond(out, Err(error_reply(&error))),
    };
    let Some(sse) = http::Sse::start(out) else { return };
    let mut chunks = openai::Chunks::new(&id, created, &call.request.model, call.include_usage);
    if sse.event(&chunks.start()).is_err() {
        return;
    }
    loop {
        let batch: Result<_, Error> = stream.next_batch(BATCH);
        match batch {
            Ok(events) if events.is_empty() => break,
            Ok(events) => {
                for event in &events {
                    for chunk in chunks.event(event) {
                        // The client went away: stop reading the upstream (dropping the stream
                        // closes its connection).
                        if sse.event(&chunk).is_err() {
                            return;
                        }
                    }
                }
            }
            Err(error) => {
                // The status (200) is already sent: the error goes as a last event, without
                // `[DONE]`, so that the client does not take the answer for complete.
                let _ = sse.event(&openai::error_chunk(&error));
                sse.finish();
                return;
            }
        }
    }
    if sse.done().is_ok() {
        sse.finish();
    }
}

/// A fresh completion id, `chatcmpl-` and 24 hex digits from WASI random.
fn completion_id() -> String {
    let (a, b) = (wasi::random::random::get_random_u64(), wasi::random::random::get_random_u64());
    format!("chatcmpl-{a:016x}{:08x}", b as u32)
}

/// The wall clock in Unix seconds, for `created`.
fn now_seconds() -> u64 {
    wasi::clocks::wall_clock::now().seconds
}
