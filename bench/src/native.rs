//! The native baseline: what the component does, in plain Rust on reqwest, as a native user would
//! write it. It builds the same request bytes (`litellm_provider::request::chat_body`) and parses
//! the answer with the same code (`litellm_provider::response::parse`,
//! `litellm_provider::chunks::StreamAssembler`), so the difference to the component is the
//! sandbox, the WASI HTTP plumbing and the connection handling, not the JSON work.
//!
//! One [`NativeClient`] keeps its connections alive across calls (reqwest's pool), which is what
//! a native user gets; the component's host opens a new connection for every call.

use std::collections::VecDeque;
use std::pin::Pin;
use std::time::Duration;

/// The path of a chat completion under the mock's base URL (the provider's route for it).
pub const CHAT_PATH: &str = "/v1/chat/completions";

use anyhow::{anyhow, Context};
use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures::{Stream, StreamExt};
use litellm_provider::chunks::StreamAssembler;
use litellm_provider::domain::{ChatRequest, ChatResponse, Error, Profile, Secrets, StreamEvent};
use litellm_provider::sse::SseEvent;
use litellm_provider::{errors, request, response};

/// The component's default response size cap, kept here so both do the same work.
const MAX_RESPONSE_BYTES: usize = 8 << 20;

/// A reusable client bound to one endpoint and key.
#[derive(Clone)]
pub struct NativeClient {
    http: reqwest::Client,
    url: String,
    key: Secrets,
    ca_pem: Option<String>,
}

impl NativeClient {
    /// A client for `base_url` (a trailing `/` or `/v1` is ignored, as in the component); the
    /// `Authorization: Bearer` header is sent only when `api_key` is not empty.
    /// With `ca_pem`, HTTPS trusts that CA only, through rustls with ring and HTTP/1.1: the
    /// component's host's TLS stack, so that both do the same work.
    pub fn new(base_url: &str, api_key: &str, ca_pem: Option<&str>) -> anyhow::Result<Self> {
        let base = base_url.trim_end_matches('/');
        let base = base.strip_suffix("/v1").unwrap_or(base);
        // reqwest without its own provider asks the process's; ring, as the host uses. A second
        // install is refused, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(60))
            .timeout(Duration::from_secs(600));
        if let Some(pem) = ca_pem {
            builder = builder.http1_only().tls_backend_preconfigured(rustls_config(pem)?);
        }
        let http = builder.build().context("building the reqwest client")?;
        let ca_pem = ca_pem.map(str::to_string);
        Ok(Self { http, url: format!("{base}{CHAT_PATH}"), key: Secrets::new(api_key), ca_pem })
    }

    /// A client of its own (its own connection pool) for the same endpoint.
    pub fn fresh(&self) -> anyhow::Result<Self> {
        let base = self.url.trim_end_matches(CHAT_PATH);
        Self::new(base, self.key.expose(), self.ca_pem.as_deref())
    }

    async fn send(&self, chat: &ChatRequest, stream: bool) -> anyhow::Result<(reqwest::Response, String)> {
        let body = request::chat_body(chat, stream, Profile::Litellm).map_err(provider_error)?;
        let accept = if stream { "text/event-stream" } else { "application/json" };
        let mut builder =
            self.http.post(&self.url).header("content-type", "application/json").header("accept", accept).body(body);
        if !self.key.is_empty() {
            builder = builder.bearer_auth(self.key.expose());
        }
        let answer = builder.send().await.context("sending the request")?;
        let status = answer.status();
        if !status.is_success() {
            let retry_after = errors::retry_after_ms(
                header(&answer, "retry-after-ms").as_deref(),
                header(&answer, "retry-after").as_deref(),
                std::time::SystemTime::now(),
            );
            let bytes = answer.bytes().await.context("reading an error answer")?;
            let error = errors::from_answer(status.as_u16(), &bytes, retry_after, &self.key);
            return Err(provider_error(error));
        }
        Ok((answer, request::wire_model(&chat.model).to_string()))
    }

    /// One chat completion: POST, read the whole answer, parse it.
    pub async fn generate(&self, chat: &ChatRequest) -> anyhow::Result<ChatResponse> {
        let (answer, model) = self.send(chat, false).await?;
        let bytes = answer.bytes().await.context("reading the answer")?;
        if bytes.len() > MAX_RESPONSE_BYTES {
            return Err(anyhow!("the answer is larger than {MAX_RESPONSE_BYTES} bytes"));
        }
        response::parse(&bytes, &model, &self.key).map_err(provider_error)
    }

    /// One chat completion as a stream of events, parsed as they arrive.
    pub async fn stream(&self, chat: &ChatRequest) -> anyhow::Result<NativeStream> {
        let (answer, model) = self.send(chat, true).await?;
        Ok(NativeStream {
            events: Box::pin(answer.bytes_stream().eventsource()),
            assembler: StreamAssembler::new(&model, self.key.clone()),
            ready: VecDeque::new(),
            done: false,
        })
    }
}

type Events = Pin<Box<dyn Stream<Item = Result<Event, EventStreamError<reqwest::Error>>> + Send>>;

/// A streamed completion: server-sent events (eventsource-stream) through the component's own
/// chunk assembler.
pub struct NativeStream {
    events: Events,
    assembler: StreamAssembler,
    ready: VecDeque<StreamEvent>,
    done: bool,
}

impl NativeStream {
    /// The next event; `None` after the `Finish` event or an error.
    pub async fn next(&mut self) -> Option<anyhow::Result<StreamEvent>> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Some(Ok(event));
            }
            if self.done {
                return None;
            }
            let step = match self.events.next().await {
                Some(Ok(event)) => {
                    // eventsource-stream names an unnamed event `message`; the assembler only
                    // looks for `error`.
                    let event = SseEvent { event: event.event, data: event.data };
                    self.assembler.on_event(&event, &mut self.ready)
                }
                Some(Err(error)) => {
                    self.done = true;
                    return Some(Err(anyhow!("reading the event stream: {error}")));
                }
                None => {
                    self.done = true;
                    self.assembler.on_end(&mut self.ready)
                }
            };
            if let Err(error) = step {
                self.done = true;
                return Some(Err(provider_error(error)));
            }
            if self.assembler.finished() {
                self.done = true;
            }
        }
    }
}

/// rustls (ring, TLS 1.2/1.3) trusting the CA in `pem` only, offering HTTP/1.1.
fn rustls_config(pem: &str) -> anyhow::Result<rustls::ClientConfig> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(pem.as_bytes()) {
        roots.add(cert.map_err(|e| anyhow!("the CA: {e}"))?).map_err(|e| anyhow!("the CA: {e}"))?;
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| anyhow!("TLS versions: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn header(answer: &reqwest::Response, name: &str) -> Option<String> {
    answer.headers().get(name).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

fn provider_error(error: Error) -> anyhow::Error {
    anyhow!("{}: {error:?}", error.kind())
}
